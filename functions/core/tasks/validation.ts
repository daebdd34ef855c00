// The validation task: checks a record against the entity's schema and business rules, writing nothing.
import type { ValidateArgs } from '../plan/index.js';
import type { TaskExecutor } from '../task-runtime/index.js';
import { parseArgs } from './parse-args.js';
import { validateRecord } from './validation-rules.js';

export function validationExecutor(): TaskExecutor {
  return async (context) => {
    const args = parseArgs<ValidateArgs>(context.task.tool, context.args);
    return { kind: 'succeeded', payload: await context.payloadOf(validateRecord(args.entity, args.data, 'check')) };
  };
}
