// The analysis worker: statistics of a referenced result, with Claude's narrative when a key is configured.
import { analysisExecutor } from '../../core/tasks/index.js';
import { claudeWriterFromEnv } from '../../core/claude/index.js';
import { createWorkerHandler } from '../runtime.js';

const writer = claudeWriterFromEnv();
export const handler = createWorkerHandler({ type: 'analysis', executor: analysisExecutor(writer ? { writer } : {}) });
