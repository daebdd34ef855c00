// The SQS query protocol (form-encoded Action=…, XML answers) beside the JSON protocol, driven by real clients:
// the AWS SDK's own query-protocol implementation, raw form posts, and Debian's aws-cli 2.9 (whose botocore still speaks SQS's query protocol).
import { AwsQueryProtocol } from '@aws-sdk/core/protocols';
import {
  ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageBatchCommand, DeleteMessageCommand, GetQueueAttributesCommand,
  GetQueueUrlCommand, ListQueuesCommand, PurgeQueueCommand, QueueDoesNotExist, ReceiptHandleIsInvalid, ReceiveMessageCommand,
  SendMessageBatchCommand, SendMessageCommand, SQSClient, type SQSClientConfig,
} from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import { md5OfMessageAttributes } from '../../../../local/aws/sqs/md5.js';
import { awsCli } from '../../../support/aws-cli.js';
import { startLocalAws } from '../../../support/local-aws.js';

const clock = new ManualClock();
let local: Awaited<ReturnType<typeof startLocalAws>>;
let json: SQSClient;
let query: SQSClient;
/** Content types of the requests the query client sent: proves it spoke the query protocol, not JSON. */
const queryContentTypes = new Set<string>();

/** The current SDK's SQS client switched to the query protocol (the SDK's AwsQueryProtocol, as older SDKs spoke it). */
function queryClient(config: SQSClientConfig): SQSClient {
  return new SQSClient({
    ...config,
    protocol: AwsQueryProtocol,
    protocolSettings: { defaultNamespace: 'com.amazonaws.sqs', xmlNamespace: 'http://queue.amazonaws.com/doc/2012-11-05/', version: '2012-11-05' },
  } as SQSClientConfig);
}

beforeAll(async () => {
  local = await startLocalAws({ clock });
  json = new SQSClient(local.clientConfig);
  query = queryClient(local.clientConfig);
  query.middlewareStack.add((next) => async (args) => {
    const headers = (args.request as { headers: Record<string, string> }).headers;
    queryContentTypes.add(`${headers['content-type']} ${headers['x-amz-target'] ?? 'no-target'}`);
    return next(args);
  }, { step: 'finalizeRequest', name: 'recordContentType' });
});

afterAll(async () => {
  json.destroy();
  query.destroy();
  await local.cleanup();
});

/** Posts a raw query-protocol form and returns the status and XML text. */
async function postForm(params: Record<string, string>, path = '/'): Promise<{ status: number; contentType: string | null; xml: string }> {
  const response = await fetch(`${local.aws.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
  });
  return { status: response.status, contentType: response.headers.get('content-type'), xml: await response.text() };
}

const element = (xml: string, name: string): string[] =>
  [...xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((match) => match[1]!);

describe('SQS query protocol through the AWS SDK', () => {
  it('creates, lists and describes queues, and both protocols see the same queues', async () => {
    const { QueueUrl } = await query.send(new CreateQueueCommand({ QueueName: 'query-orders', Attributes: { VisibilityTimeout: '45', DelaySeconds: '0' } }));
    expect(QueueUrl).toBe(`${local.aws.url}/000000000000/query-orders`);
    expect((await query.send(new GetQueueUrlCommand({ QueueName: 'query-orders' }))).QueueUrl).toBe(QueueUrl);
    expect((await query.send(new ListQueuesCommand({ QueueNamePrefix: 'query-' }))).QueueUrls).toEqual([QueueUrl]);
    expect((await json.send(new ListQueuesCommand({ QueueNamePrefix: 'query-' }))).QueueUrls).toEqual([QueueUrl]);
    const { Attributes } = await query.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['VisibilityTimeout', 'QueueArn'] }));
    expect(Attributes).toEqual({ VisibilityTimeout: '45', QueueArn: 'arn:aws:sqs:us-east-1:000000000000:query-orders' });
  });

  it('sends with message attributes and receives them with system attributes and the MD5s the SDK checks', async () => {
    const { QueueUrl } = await query.send(new CreateQueueCommand({ QueueName: 'query-attrs' }));
    const MessageAttributes = {
      tenant: { DataType: 'String', StringValue: 'contoso' },
      attempt: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([0, 1, 2, 250]) },
    };
    // A body with CR, LF, markup and non-ASCII text: the XML answer must give back exactly these characters.
    const body = 'line 1\r\nline 2 <b>&amp;</b> "quoted" \u00e9\u20ac';
    const sent = await query.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageAttributes }));
    expect(sent.MD5OfMessageBody).toBe(createHash('md5').update(body).digest('hex'));
    expect(sent.MD5OfMessageAttributes).toBe(md5OfMessageAttributes({
      tenant: { DataType: 'String', StringValue: 'contoso' }, attempt: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2, 250]).toString('base64') },
    }));

    const { Messages } = await query.send(new ReceiveMessageCommand({
      QueueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
    }));
    expect(Messages).toHaveLength(1);
    const [message] = Messages!;
    expect(message!.Body).toBe(body);
    expect(message!.MessageId).toBe(sent.MessageId);
    expect(message!.Attributes).toEqual({ ApproximateReceiveCount: '1', SentTimestamp: String(clock.now()) });
    expect(message!.MessageAttributes?.tenant).toEqual({ DataType: 'String', StringValue: 'contoso' });
    expect(message!.MessageAttributes?.attempt).toEqual({ DataType: 'Number', StringValue: '3' });
    expect([...message!.MessageAttributes!.blob!.BinaryValue!]).toEqual([0, 1, 2, 250]);
    expect(message!.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);

    // Only the attributes asked for come back.
    await query.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: message!.ReceiptHandle, VisibilityTimeout: 0 }));
    const again = await query.send(new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ['tenant'] }));
    expect(Object.keys(again.Messages![0]!.MessageAttributes ?? {})).toEqual(['tenant']);
    expect(again.Messages![0]!.Attributes).toBeUndefined();
    await query.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: again.Messages![0]!.ReceiptHandle }));
    expect((await query.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
  });

  it('sends and deletes in batches with per-entry failures, and messages cross protocols', async () => {
    const { QueueUrl } = await query.send(new CreateQueueCommand({ QueueName: 'query-batch' }));
    const batch = await query.send(new SendMessageBatchCommand({
      QueueUrl,
      Entries: [
        { Id: 'a', MessageBody: 'first', MessageAttributes: { kind: { DataType: 'String', StringValue: 'x' } } },
        { Id: 'b', MessageBody: 'second', DelaySeconds: 5 },
        { Id: 'c', MessageBody: 'third', DelaySeconds: 901 },
      ],
    }));
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['a', 'b']);
    expect(batch.Failed).toEqual([expect.objectContaining({ Id: 'c', SenderFault: true, Code: 'InvalidParameterValue' })]);

    // Sent by query, received by JSON, deleted by query.
    const first = await json.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(first.Messages?.map((message) => message.Body)).toEqual(['first']);
    clock.advance(5_000);
    const second = await query.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    expect(second.Messages?.map((message) => message.Body)).toEqual(['second']);
    const deleted = await query.send(new DeleteMessageBatchCommand({
      QueueUrl,
      Entries: [
        { Id: 'one', ReceiptHandle: first.Messages![0]!.ReceiptHandle },
        { Id: 'two', ReceiptHandle: second.Messages![0]!.ReceiptHandle },
        { Id: 'bogus', ReceiptHandle: 'not-a-handle' },
      ],
    }));
    expect(deleted.Successful?.map((entry) => entry.Id)).toEqual(['one', 'two']);
    expect(deleted.Failed).toEqual([expect.objectContaining({ Id: 'bogus', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    const { Attributes } = await json.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('purges, and raises the named SQS exceptions from XML errors', async () => {
    const { QueueUrl } = await query.send(new CreateQueueCommand({ QueueName: 'query-purge' }));
    await query.send(new SendMessageCommand({ QueueUrl, MessageBody: 'doomed' }));
    await query.send(new PurgeQueueCommand({ QueueUrl }));
    expect((await json.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();

    await expect(query.send(new GetQueueUrlCommand({ QueueName: 'query-missing' }))).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(query.send(new SendMessageCommand({ QueueUrl: `${local.aws.url}/000000000000/query-missing`, MessageBody: 'x' })))
      .rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(query.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: 'garbage' }))).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(query.send(new CreateQueueCommand({ QueueName: 'query-purge', Attributes: { VisibilityTimeout: '1' } })))
      .rejects.toMatchObject({ name: 'QueueNameExists' });
  });
});

describe('SQS query protocol through the AWS SDK: the wire format used', () => {
  it('sent every request above as a form without X-Amz-Target', () => {
    expect([...queryContentTypes]).toEqual(['application/x-www-form-urlencoded no-target']);
  });
});

describe('SQS query protocol on the wire', () => {
  it('answers XML in the AWS shape, with a RequestId', async () => {
    const created = await postForm({ Action: 'CreateQueue', QueueName: 'raw-queue', 'Attribute.1.Name': 'DelaySeconds', 'Attribute.1.Value': '0' });
    expect(created.status).toBe(200);
    expect(created.contentType).toBe('text/xml');
    expect(created.xml).toMatch(/^<\?xml version="1.0"\?><CreateQueueResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><CreateQueueResult><QueueUrl>http:\/\/127.0.0.1:\d+\/000000000000\/raw-queue<\/QueueUrl><\/CreateQueueResult><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/CreateQueueResponse>$/);
    const deleted = await postForm({ Action: 'PurgeQueue', QueueUrl: element(created.xml, 'QueueUrl')[0]! });
    expect(deleted.xml).toMatch(/^<\?xml version="1.0"\?><PurgeQueueResponse [^>]*><ResponseMetadata><RequestId>/);
    const nothing = await postForm({ Action: 'ReceiveMessage', QueueUrl: element(created.xml, 'QueueUrl')[0]! });
    expect(nothing.xml).toContain('<ReceiveMessageResult></ReceiveMessageResult><ResponseMetadata>');
  });

  it('takes the queue from the request path as older clients send it, and escapes bodies', async () => {
    await postForm({ Action: 'CreateQueue', QueueName: 'raw-path' });
    const sent = await postForm({ Action: 'SendMessage', MessageBody: 'a <tag> & "q"\r\n' }, '/000000000000/raw-path');
    expect(sent.status).toBe(200);
    const received = await postForm({ Action: 'ReceiveMessage', 'AttributeName.1': 'All' }, '/000000000000/raw-path');
    expect(element(received.xml, 'Body')).toEqual(['a &lt;tag&gt; &amp; &quot;q&quot;&#xD;\n']);
    expect(element(received.xml, 'Name')).toEqual(expect.arrayContaining(['ApproximateReceiveCount', 'SentTimestamp', 'SenderId']));
  });

  it('gives XML errors: unknown queue, missing and unknown actions, bad parameters', async () => {
    const missingQueue = await postForm({ Action: 'GetQueueUrl', QueueName: 'nope' });
    expect(missingQueue.status).toBe(400);
    expect(missingQueue.xml).toMatch(/^<\?xml version="1.0"\?><ErrorResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/"><Error><Type>Sender<\/Type><Code>AWS.SimpleQueueService.NonExistentQueue<\/Code><Message>The specified queue does not exist.<\/Message><Detail\/><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    const unknown = await postForm({ Action: 'FlyToTheMoon' });
    expect(element(unknown.xml, 'Code')).toEqual(['InvalidAction']);
    const noAction = await fetch(`${local.aws.url}/?Version=2012-11-05&Action=`, { method: 'POST' });
    expect(noAction.status).toBe(400);
    expect(element(await noAction.text(), 'Code')).toEqual(['MissingAction']);
    await postForm({ Action: 'CreateQueue', QueueName: 'raw-bad' });
    const badNumber = await postForm({ Action: 'ReceiveMessage', QueueUrl: '/000000000000/raw-bad', MaxNumberOfMessages: 'lots' });
    expect(badNumber.status).toBe(400);
    expect(element(badNumber.xml, 'Message')[0]).toMatch(/MaxNumberOfMessages/);
    const badAttribute = await postForm({ Action: 'SendMessage', QueueUrl: '/000000000000/raw-bad', MessageBody: 'x', 'MessageAttribute.1.Value.DataType': 'String' });
    expect(element(badAttribute.xml, 'Code')).toEqual(['MissingParameter']);
    // Member names that are object internals are plain unknown members: ignored, nothing polluted.
    const hostile = await postForm({
      Action: 'SendMessage', QueueUrl: '/000000000000/raw-bad', MessageBody: 'x',
      '__proto__.1': 'a', 'constructor.1.Name': 'b', 'MessageAttribute.1.Name': '__proto__', 'MessageAttribute.1.Value.DataType': 'String', 'MessageAttribute.1.Value.StringValue': 'v',
    });
    expect(hostile.status).toBe(200);
    const hostileReceived = await postForm({ Action: 'ReceiveMessage', QueueUrl: '/000000000000/raw-bad', 'MessageAttributeName.1': 'All' });
    expect(element(hostileReceived.xml, 'MessageAttribute')).toEqual(['<Name>__proto__</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value>']);
    expect(({} as Record<string, unknown>).DataType).toBeUndefined();
    await postForm({ Action: 'PurgeQueue', QueueUrl: '/000000000000/raw-bad' });
    // Nothing was sent by the refused requests.
    const empty = await postForm({ Action: 'ReceiveMessage', QueueUrl: '/000000000000/raw-bad' });
    expect(element(empty.xml, 'Message')).toEqual([]);
  });

  it('refuses query requests for services that are not emulated', async () => {
    const response = await fetch(local.aws.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sns/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: 'Action=ListTopics&Version=2010-03-31',
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Service sns is not emulated by the local cloud');
  });
});

// Debian's aws-cli 2.9: its botocore still speaks SQS's query protocol.
describe('SQS through aws-cli 2.9 (query protocol)', () => {
  const cli = async (...args: string[]): Promise<{ output: any; debug: string }> => {
    const { stdout, stderr } = await awsCli(local.aws.url, ['--output', 'json', 'sqs', ...args]);
    return { output: stdout.trim() === '' ? {} : JSON.parse(stdout), debug: stderr };
  };

  // Each CLI start costs seconds on a loaded machine: one call per capability, independent ones in parallel.
  it('lists, sends, receives and deletes', async () => {
    const { QueueUrl } = await json.send(new CreateQueueCommand({ QueueName: 'cli-queue' }));
    await json.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: 'b1', MessageBody: 'from the sdk' }] }));
    const empty = await json.send(new CreateQueueCommand({ QueueName: 'cli-empty' }));
    const [listed, sent, missing, none] = await Promise.all([
      cli('list-queues', '--queue-name-prefix', 'cli-', '--debug'),
      cli('send-message', '--queue-url', QueueUrl!, '--message-body', 'hello from the cli',
        '--message-attributes', '{"tenant":{"DataType":"String","StringValue":"contoso"}}'),
      cli('get-queue-url', '--queue-name', 'cli-missing').then(() => undefined, (error: Error) => error),
      // An empty answer still parses: the Result element is always there.
      cli('receive-message', '--queue-url', empty.QueueUrl!),
    ]);
    expect(none.output).toEqual({});
    expect(listed.debug).toContain("'User-Agent': b'aws-cli/2.9.");
    // The CLI spoke the query protocol (a form body, no X-Amz-Target) and read the XML answer.
    expect(listed.debug).toContain("'Content-Type': b'application/x-www-form-urlencoded");
    expect(listed.output.QueueUrls).toEqual([empty.QueueUrl, QueueUrl]); // sorted by name
    expect(listed.debug).not.toContain('X-Amz-Target');
    expect(listed.debug).toContain('<ListQueuesResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">');
    expect(sent.output.MD5OfMessageBody).toBe(createHash('md5').update('hello from the cli').digest('hex'));
    // The CLI names the SQS error from the XML error response.
    expect(missing?.message).toMatch(/NonExistentQueue|QueueDoesNotExist/);

    const received = await cli('receive-message', '--queue-url', QueueUrl!, '--max-number-of-messages', '10', '--attribute-names', 'All', '--message-attribute-names', 'All');
    const messages = received.output.Messages as { Body: string; ReceiptHandle: string; Attributes: Record<string, string>; MessageAttributes?: object }[];
    expect(messages.map((message) => message.Body).sort()).toEqual(['from the sdk', 'hello from the cli']);
    expect(messages.find((message) => message.Body === 'hello from the cli')?.MessageAttributes).toEqual({ tenant: { DataType: 'String', StringValue: 'contoso' } });
    expect(messages[0]!.Attributes.ApproximateReceiveCount).toBe('1');
    await cli('delete-message', '--queue-url', QueueUrl!, '--receipt-handle', messages[0]!.ReceiptHandle);
    const { Attributes } = await json.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(Attributes).toEqual({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '1' });
  }, 120_000);
});
