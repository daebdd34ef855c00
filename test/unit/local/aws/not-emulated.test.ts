// Lambda and CloudWatch Logs are not emulated: their requests get a plain error in the service's own shape
// that says so and where function logs are, instead of a protocol error. Driven by raw HTTP in each
// service's wire format, and by Debian's aws-cli 2.9 when installed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_NOT_EMULATED, LOGS_NOT_EMULATED } from '../../../../local/aws/not-emulated.js';
import { awsCli } from '../../../support/aws-cli.js';
import { startLocalAws } from '../../../support/local-aws.js';

let local: Awaited<ReturnType<typeof startLocalAws>>;

beforeAll(async () => {
  local = await startLocalAws();
});

afterAll(async () => {
  await local.cleanup();
});

const signedFor = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`;

describe('services the local cloud does not emulate', () => {
  it('answers Lambda REST calls with a Lambda-shaped error that points at npm start', async () => {
    for (const [method, path] of [['GET', '/2015-03-31/functions/'], ['POST', '/2015-03-31/functions/fn/invocations'], ['GET', '/2018-10-31/layers']] as const) {
      const response = await fetch(`${local.aws.url}${path}`, { method, headers: { authorization: signedFor('lambda') }, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(response.status).toBe(400);
      expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
      expect(await response.json()).toEqual({ Type: 'User', message: LAMBDA_NOT_EMULATED });
    }
    expect(LAMBDA_NOT_EMULATED).toMatch(/does not emulate the Lambda API.*npm start's output/);
  });

  it('answers CloudWatch Logs calls with a JSON 1.1 error that points at npm start', async () => {
    const response = await fetch(local.aws.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.FilterLogEvents', authorization: signedFor('logs') },
      body: JSON.stringify({ logGroupName: '/aws/lambda/fn' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await response.json()).toEqual({ __type: 'UnknownOperationException', message: LOGS_NOT_EMULATED });
    expect(LOGS_NOT_EMULATED).toMatch(/does not emulate CloudWatch Logs.*npm start's output/);
  });

  it('names the protocols it speaks for a request without a target, and the service a request was signed for', async () => {
    const response = await fetch(local.aws.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(/^Missing X-Amz-Target/);
    // A request signed for another service (here S3's REST API) is named in the answer.
    const s3 = await fetch(`${local.aws.url}/bucket?list-type=2`, { headers: { authorization: signedFor('s3') } });
    expect(s3.status).toBe(400);
    expect(((await s3.json()) as { message: string }).message).toBe('Service s3 is not emulated by the local cloud (it serves DynamoDB, SQS, EventBridge, Step Functions, Secrets Manager, CloudWatch metrics, KMS)');
  });

  it("aws-cli (Debian's 2.9) prints the plain message for lambda and logs commands", async () => {
    const cli = (...args: string[]) => awsCli(local.aws.url, args).then(() => '', (error: { stderr: string }) => error.stderr);
    const [lambda, logs] = await Promise.all([cli('lambda', 'list-functions'), cli('logs', 'describe-log-groups')]);
    expect(lambda).toContain('(UnknownOperationException) when calling the ListFunctions operation: The local cloud does not emulate the Lambda API');
    expect(logs).toContain('(UnknownOperationException) when calling the DescribeLogGroups operation: The local cloud does not emulate CloudWatch Logs');
  }, 60_000);
});
