// Task arguments as a worker sees them: checked again against the tool's schema, since a worker never trusts
// what arrived in a message.
import type * as z from 'zod';
import { findTool } from '../plan/index.js';
import { PermanentTaskError } from '../task-runtime/index.js';

/**
 * Parses arguments with the tool's schema: a worker never trusts what arrived in a message. `resolved` is the
 * schema of the arguments once their `$ref`s are resolved, where the plan schema allows only a reference.
 */
export function parseArgs<T>(tool: string, args: Record<string, unknown>, resolved?: z.ZodType): T {
  const definition = findTool(tool);
  if (!definition) throw new PermanentTaskError('UnknownTool', `unknown tool '${tool}'`);
  const parsed = (resolved ?? definition.args).safeParse(args);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new PermanentTaskError('InvalidArguments', `the arguments of ${tool} are not valid: ${issues}`);
  }
  const problems = definition.check(parsed.data as never);
  if (problems.length > 0) throw new PermanentTaskError('InvalidArguments', problems.map((p) => p.message).join('; '));
  return parsed.data as T;
}
