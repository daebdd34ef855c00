// zod validation of what the caller sent, turned into a readable 400 (shape) or 422 (meaning).
import type * as z from 'zod';
import { HttpError } from './errors.js';

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'body';
  return `${where}: ${issue.message}`;
}

export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  options: { status?: 400 | 422; code?: string; what?: string } = {},
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const status = options.status ?? 400;
  const code = options.code ?? (status === 400 ? 'ValidationError' : 'UnprocessableEntity');
  const what = options.what ?? 'the request';
  const problems = result.error.issues.map(describeIssue);
  throw new HttpError(status, code, `${what} is not valid: ${problems.join('; ')}`, { problems });
}
