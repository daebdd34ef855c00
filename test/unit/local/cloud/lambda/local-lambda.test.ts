import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalLambda } from '../../../../../local/cloud/lambda/local-lambda.js';
import type { FunctionDefinition } from '../../../../../local/cloud/template/model.js';

const root = mkdtempSync(join(tmpdir(), 'local-lambda-'));
const sent: Array<{ queueArn: string; body: unknown }> = [];
const errors: string[] = [];

function fn(name: string, source: string, extra: Partial<FunctionDefinition> = {}): FunctionDefinition {
  const codeDir = join(root, name);
  mkdirSync(codeDir);
  writeFileSync(join(codeDir, 'index.mjs'), source);
  return {
    logicalId: `${name}Logical`,
    name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    handler: 'index.handler',
    runtime: 'nodejs24.x',
    timeoutSeconds: 2,
    memoryMb: 128,
    environment: { NAME: name },
    codeDir,
    asyncRetryAttempts: 2,
    ...extra,
  };
}

const lambda = new LocalLambda({
  functions: [
    fn('echo', `export const handler = async (event) => ({ event, name: process.env.NAME, region: process.env.AWS_REGION });`),
    fn('flaky', `let n = 0; export const handler = async () => { n += 1; if (n < 3) throw new Error('try ' + n); return n; };`, {
      asyncOnFailureArn: 'arn:aws:sqs:us-east-1:000000000000:never',
    }),
    fn('failing', `export const handler = async () => { throw new TypeError('always'); };`, {
      asyncRetryAttempts: 1,
      deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq',
    }),
    fn('destined', `export const handler = async () => { throw new Error('nope'); };`, {
      asyncRetryAttempts: 0,
      asyncOnFailureArn: 'arn:aws:sqs:us-east-1:000000000000:on-failure',
    }),
    fn('throttled', `export const handler = async () => 1;`, { reservedConcurrency: 0 }),
    { ...fn('inline', ''), codeDir: undefined } as FunctionDefinition,
  ],
  environmentOf: (definition) => ({ ...definition.environment, AWS_REGION: 'us-east-1' }),
  defaultConcurrency: 2,
  onLog: () => undefined,
  sendToQueue: (queueArn, body) => sent.push({ queueArn, body: JSON.parse(body) }),
  onError: (message) => errors.push(message),
  asyncRetryDelaysMs: [10, 20],
});

afterAll(async () => {
  await lambda.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('LocalLambda', () => {
  it('finds a function by name, ARN, qualified ARN or logical id and gives it its environment', async () => {
    for (const ref of ['echo', 'echoLogical', 'arn:aws:lambda:us-east-1:000000000000:function:echo', 'arn:aws:lambda:us-east-1:000000000000:function:echo:$LATEST']) {
      expect(await lambda.invoke(ref, { a: 1 })).toEqual({ event: { a: 1 }, name: 'echo', region: 'us-east-1' });
    }
    await expect(lambda.invoke('missing', {})).rejects.toMatchObject({ errorType: 'ResourceNotFoundException' });
    await expect(lambda.invoke('inline', {})).rejects.toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    await expect(lambda.invoke('throttled', {})).rejects.toMatchObject({ errorType: 'TooManyRequestsException' });
  });

  it('retries a failed asynchronous invocation and stops once it succeeds', async () => {
    lambda.invokeAsync('flaky', {});
    await lambda.idle();
    expect(errors.filter((e) => e.startsWith('flaky'))).toHaveLength(2);
    expect(sent.filter((s) => s.queueArn.endsWith(':never'))).toEqual([]);
  });

  it('sends the event to the dead-letter queue, or Lambda’s record to the on-failure destination, after the last retry', async () => {
    lambda.invokeAsync('failing', { order: 1 });
    lambda.invokeAsync('destined', { order: 2 });
    await lambda.idle();
    expect(errors.filter((e) => e.startsWith('failing'))).toHaveLength(2);
    expect(sent).toContainEqual({ queueArn: 'arn:aws:sqs:us-east-1:000000000000:dlq', body: { order: 1 } });
    expect(sent).toContainEqual({
      queueArn: 'arn:aws:sqs:us-east-1:000000000000:on-failure',
      body: expect.objectContaining({
        requestPayload: { order: 2 },
        requestContext: expect.objectContaining({ condition: 'RetriesExhausted', approximateInvokeCount: 1 }),
        responsePayload: expect.objectContaining({ errorMessage: 'nope' }),
      }),
    });
  });

  it('measures a fresh environment’s module init time', async () => {
    expect(await lambda.prewarm('echo')).toBeGreaterThanOrEqual(0);
  });
});
