import type { ServerResponse } from 'node:http';
import { AwsError, serveOperation, type JsonService } from '../protocol.js';

/**
 * The SQS query protocol (form-encoded `Action=…&Version=2012-11-05`, XML answers), spoken by aws-cli before
 * 2.13 / botocore before 1.31 and by older SDKs. It is a second wire format over the same operations as the
 * JSON protocol: the form is read into the JSON input shape, the JSON service runs it, and its output is
 * written as SQS's XML. So both protocols share every rule, error and durability guarantee.
 */

const NAMESPACE = 'http://queue.amazonaws.com/doc/2012-11-05/';
export const SQS_QUERY_CONTENT_TYPE = 'text/xml';

// ---- request: form parameters → JSON input ----

type Params = Map<string, string>;

const NUMBER_MEMBERS = new Set(['MaxNumberOfMessages', 'WaitTimeSeconds', 'VisibilityTimeout', 'DelaySeconds', 'MaxResults', 'MaxNumberOfMessagesPerSecond']);
/** Flattened lists: `AttributeName.1=All` → `AttributeNames: ['All']`. */
const LISTS: Record<string, string> = {
  AttributeName: 'AttributeNames', MessageAttributeName: 'MessageAttributeNames', MessageSystemAttributeName: 'MessageSystemAttributeNames',
  StringListValue: 'StringListValues', BinaryListValue: 'BinaryListValues',
};
/** Flattened maps of `N.Name` / `N.Value` (the value may itself be a structure). */
const MAPS: Record<string, string> = { Attribute: 'Attributes', MessageAttribute: 'MessageAttributes', MessageSystemAttribute: 'MessageSystemAttributes' };
/** Flattened lists of structures: batch entries. */
const ENTRY_LISTS = new Set(['SendMessageBatchRequestEntry', 'DeleteMessageBatchRequestEntry', 'ChangeMessageVisibilityBatchRequestEntry']);

/** Sets a member named by the client as an own property (a name like `__proto__` stays plain data). */
const setOwn = (target: Record<string, unknown>, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

/** The members below `prefix.N.` for each index N, in index order. */
function indexed(params: Params, prefix: string): Params[] {
  const byIndex = new Map<number, Params>();
  for (const [key, value] of params) {
    const match = /^(\d+)(?:\.(.+))?$/.exec(key.slice(prefix.length + 1));
    if (!key.startsWith(`${prefix}.`) || !match) continue;
    const index = Number(match[1]);
    if (!byIndex.has(index)) byIndex.set(index, new Map());
    byIndex.get(index)!.set(match[2] ?? '', value);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, members]) => members);
}

/** Reads a structure of the query protocol into the JSON protocol's shape of the same members. */
function structure(params: Params): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const nested = new Set<string>();
  for (const [key, value] of params) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      // Numbers the form carries as text; anything not a number is passed on for the operation to refuse.
      setOwn(input, key, NUMBER_MEMBERS.has(key) && /^-?\d+$/.test(value) ? Number(value) : value);
    } else nested.add(key.slice(0, dot));
  }
  for (const name of nested) {
    if (Object.hasOwn(LISTS, name)) input[LISTS[name]!] = indexed(params, name).map((members) => members.get(''));
    else if (Object.hasOwn(MAPS, name)) {
      const map: Record<string, unknown> = {};
      for (const members of indexed(params, name)) {
        const key = members.get('Name');
        if (key === undefined) throw new AwsError('MissingParameter', `${name}.N.Name is required`, 400, 'MissingParameter');
        const simple = members.get('Value');
        setOwn(map, key, simple !== undefined ? simple : structure(below(members, 'Value')));
      }
      input[MAPS[name]!] = map;
    } else if (ENTRY_LISTS.has(name)) {
      input.Entries = indexed(params, name).map(structure);
    }
  }
  return input;
}

/** The members of `prefix.…`, without the prefix. */
function below(params: Params, prefix: string): Params {
  const result: Params = new Map();
  for (const [key, value] of params) if (key.startsWith(`${prefix}.`)) result.set(key.slice(prefix.length + 1), value);
  return result;
}

/**
 * The operation input of a query request. Older clients post to the queue's URL instead of sending
 * `QueueUrl`; the path then names the queue.
 */
export function queryInput(params: Params, path: string): Record<string, unknown> {
  const { Action: _action, Version: _version, ...members } = Object.fromEntries(params);
  const input = structure(new Map(Object.entries(members)));
  const queuePath = path.split('?')[0]!;
  if (input.QueueUrl === undefined && queuePath !== '/' && queuePath !== '') input.QueueUrl = queuePath;
  return input;
}

// ---- response: JSON output → XML ----

const escapeXml = (text: string): string =>
  // `\r` is written as a character reference: an XML parser turns a literal CR into LF, which would change a
  // message body (and break its MD5 check in the client).
  text.replace(/[&<>"'\r]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' })[char]!);

/** Flattened list members: the JSON list name → the repeated XML element. */
const LIST_ELEMENTS: Record<string, (action: string) => string> = {
  QueueUrls: () => 'QueueUrl', queueUrls: () => 'QueueUrl', Messages: () => 'Message', Results: () => 'ListMessageMoveTasksResultEntry',
  Successful: (action) => `${action}ResultEntry`, Failed: () => 'BatchResultErrorEntry',
  StringListValues: () => 'StringListValue', BinaryListValues: () => 'BinaryListValue',
};
/** Flattened maps: the JSON map name → the repeated XML element holding `Name` and `Value`. */
const MAP_ELEMENTS: Record<string, string> = { Attributes: 'Attribute', MessageAttributes: 'MessageAttribute' };

function toXml(value: unknown, action: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return escapeXml(String(value));
  let xml = '';
  for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
    if (member === undefined || member === null) continue;
    if (Array.isArray(member)) {
      const element = Object.hasOwn(LIST_ELEMENTS, name) ? LIST_ELEMENTS[name]!(action) : name;
      for (const item of member) xml += `<${element}>${toXml(item, action)}</${element}>`;
    } else if (Object.hasOwn(MAP_ELEMENTS, name) && typeof member === 'object') {
      const element = MAP_ELEMENTS[name]!;
      for (const [key, entry] of Object.entries(member as Record<string, unknown>)) {
        xml += `<${element}><Name>${escapeXml(key)}</Name><Value>${toXml(entry, action)}</Value></${element}>`;
      }
    } else {
      xml += `<${name}>${toXml(member, action)}</${name}>`;
    }
  }
  return xml;
}

function sendXml(res: ServerResponse, status: number, xml: (requestId: string) => string): void {
  const requestId = crypto.randomUUID();
  const body = `<?xml version="1.0"?>${xml(requestId)}`;
  res.writeHead(status, { 'content-type': SQS_QUERY_CONTENT_TYPE, 'content-length': Buffer.byteLength(body), 'x-amzn-requestid': requestId });
  res.end(body);
}

/** Actions whose answer has no Result element (their output shape is empty). */
const NO_RESULT = new Set(['DeleteQueue', 'SetQueueAttributes', 'PurgeQueue', 'DeleteMessage', 'ChangeMessageVisibility']);

/**
 * `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata>…` as SQS answers. The Result element is there
 * even when empty (a receive with no message, no queue listed): botocore's query parser requires it.
 */
export function sendQueryOutput(res: ServerResponse, action: string, output: unknown): void {
  const result = NO_RESULT.has(action) ? '' : `<${action}Result>${toXml(output, action)}</${action}Result>`;
  sendXml(res, 200, (requestId) => `<${action}Response xmlns="${NAMESPACE}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`);
}

/** SQS's query error: `<ErrorResponse><Error><Type/><Code/><Message/>…`, with the query error code clients map to exceptions. */
export function sendQueryError(res: ServerResponse, error: unknown): void {
  const awsError = error instanceof AwsError
    ? error
    : new AwsError('InternalError', error instanceof Error ? error.message : String(error), 500);
  const code = awsError.queryError ?? awsError.code;
  sendXml(res, awsError.status, (requestId) => `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${awsError.status >= 500 ? 'Receiver' : 'Sender'}</Type>`
    + `<Code>${escapeXml(code)}</Code><Message>${escapeXml(awsError.message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`);
}

/** Serves one query-protocol request (`params` from the form body and the URL) with the SQS operations. */
export async function handleSqsQueryRequest(service: JsonService, params: Params, path: string, res: ServerResponse): Promise<void> {
  const action = params.get('Action');
  if (!action) {
    sendQueryError(res, new AwsError('MissingAction', 'The request must contain the parameter Action.', 400));
    return;
  }
  // The query protocol's actions are the JSON protocol's operations, by the same names.
  if (!Object.hasOwn(service.operations, action)) {
    sendQueryError(res, new AwsError('InvalidAction', `The action ${action} is not valid for this web service.`, 400));
    return;
  }
  await serveOperation(service, action, () => queryInput(params, path), res, {
    output: (response, output) => sendQueryOutput(response, action, output),
    error: (response, error) => sendQueryError(response, error),
  });
}
