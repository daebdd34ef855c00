// The analysis worker: statistics of a referenced result, with Claude's narrative when a key is configured.
import { analysisExecutor, claudeWriterFromEnv } from '../../core/execution/index.js';
import { createWorkerHandler } from '../runtime.js';

const writer = claudeWriterFromEnv();
export const handler = createWorkerHandler({ type: 'analysis', executor: analysisExecutor(writer ? { writer } : {}) });
