// The Lambda runtime inside one worker thread: imports the function's bundled module once (the init phase),
// then runs one invocation at a time as the parent sends them, answering with the JSON result or the error
// in Lambda's shape. Plain JavaScript so the worker starts without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { entry, exportName, sourceMaps } = workerData;
if (sourceMaps) process.setSourceMapsEnabled(true);

function toLambdaError(error, fallbackType) {
  if (error instanceof Error) {
    return {
      errorType: error.name && error.name !== 'Error' ? error.name : fallbackType,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: fallbackType, errorMessage: String(error), trace: [] };
}

let handler;
const initStart = performance.now();
// This thread's CPU time too: unlike wall time it barely moves when other processes load the machine.
const initCpuStart = process.threadCpuUsage();
try {
  const module = await import(pathToFileURL(entry).href);
  handler = module[exportName];
  if (typeof handler !== 'function') {
    parentPort.postMessage({
      type: 'init-error',
      error: { errorType: 'Runtime.HandlerNotFound', errorMessage: `${entry} has no exported function ${exportName}`, trace: [] },
    });
  } else {
    const initMs = performance.now() - initStart;
    const cpu = process.threadCpuUsage(initCpuStart);
    parentPort.postMessage({ type: 'ready', initMs, initCpuMs: (cpu.user + cpu.system) / 1000 });
  }
} catch (error) {
  const lambdaError = toLambdaError(error, 'Runtime.ImportModuleError');
  lambdaError.errorType = 'Runtime.ImportModuleError';
  parentPort.postMessage({ type: 'init-error', error: lambdaError });
}

parentPort.on('message', async ({ requestId, event, deadline, context }) => {
  const lambdaContext = {
    ...context,
    awsRequestId: requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, lambdaContext);
    // Lambda returns the JSON serialization of the result (undefined becomes null).
    const payload = JSON.stringify(result === undefined ? null : result);
    parentPort.postMessage({ type: 'result', requestId, payload });
  } catch (error) {
    parentPort.postMessage({ type: 'error', requestId, error: toLambdaError(error, 'Error') });
  }
});
