// The JSON log lines a Powertools Logger writes while `run` runs, in order (info and below to stdout, warn and
// error to stderr).
import { vi } from 'vitest';

export type LogLine = Record<string, unknown>;

export async function captureLogLines<T>(run: () => Promise<T>): Promise<{ result: T; lines: LogLine[] }> {
  const chunks: string[] = [];
  const write = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  const spies = [vi.spyOn(process.stdout, 'write').mockImplementation(write), vi.spyOn(process.stderr, 'write').mockImplementation(write)];
  try {
    const result = await run();
    const lines = chunks.flatMap((c) => c.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
    return { result, lines };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** A Lambda context as the runtime (and the local cloud) gives it, for invocation `requestId`. */
export function lambdaContext(requestId: string, remainingMs = 30_000) {
  return {
    functionName: 'fn',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/fn',
    logStreamName: 'local/1',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
