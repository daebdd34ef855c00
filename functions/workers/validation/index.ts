// The validation worker: data against the entity's schema and business rules; never writes.
import { validationExecutor } from '../../core/tasks/index.js';
import { createWorkerHandler } from '../runtime.js';

export const handler = createWorkerHandler({ type: 'validation', executor: validationExecutor() });
