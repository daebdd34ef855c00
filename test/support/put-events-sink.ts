// A test-local EventBridge endpoint: speaks the PutEvents JSON 1.1 protocol on 127.0.0.1:0, records every
// request and can reject chosen entries, so publishers run against the real SDK without AWS.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface SinkEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName?: string;
  Time?: number;
}

export interface ReceivedEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  busName?: string;
}

/** Decides one entry's fate: undefined accepts it, an error code rejects it. */
export type EntryPolicy = (entry: SinkEntry) => { ErrorCode: string; ErrorMessage: string } | undefined;

export interface PutEventsSink {
  endpoint: string;
  /** Entries of every request, in order received. */
  requests: SinkEntry[][];
  /** Accepted events, parsed. */
  accepted: ReceivedEvent[];
  policy: EntryPolicy;
  /** Answer the next n requests with this whole-call failure. */
  failNextCalls: number;
  callFailure: { status: number; type: string };
  reset(): void;
  stop(): Promise<void>;
}

export async function startPutEventsSink(): Promise<PutEventsSink> {
  const sink: PutEventsSink = {
    endpoint: '',
    requests: [],
    accepted: [],
    policy: () => undefined,
    failNextCalls: 0,
    callFailure: { status: 500, type: 'InternalException' },
    reset() {
      sink.requests.length = 0;
      sink.accepted.length = 0;
      sink.policy = () => undefined;
      sink.failNextCalls = 0;
      sink.callFailure = { status: 500, type: 'InternalException' };
    },
    stop: async () => {},
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (req.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        return reply(400, { __type: 'UnknownOperationException', message: String(req.headers['x-amz-target']) });
      }
      const { Entries } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: SinkEntry[] };
      sink.requests.push(Entries);
      if (sink.failNextCalls > 0) {
        sink.failNextCalls--;
        return reply(sink.callFailure.status, { __type: sink.callFailure.type, message: 'rejected by the test sink' });
      }
      let failedCount = 0;
      const results = Entries.map((entry) => {
        const rejection = sink.policy(entry);
        if (rejection) {
          failedCount++;
          return rejection;
        }
        sink.accepted.push({
          source: entry.Source,
          detailType: entry.DetailType,
          detail: JSON.parse(entry.Detail) as Record<string, unknown>,
          ...(entry.EventBusName !== undefined ? { busName: entry.EventBusName } : {}),
        });
        return { EventId: randomUUID() };
      });
      reply(200, { FailedEntryCount: failedCount, Entries: results });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  sink.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sink.stop = () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  return sink;
}
