// Publishes events to the bus: validates, packs ≤ 10 entries and ≤ 256 KB per PutEvents, retries only the
// entries EventBridge rejected (exponential backoff, full jitter) and reports what it could not publish.
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DomainEvent } from './catalogue.js';
import { parseEventDetail } from './create-event.js';
import { EVENTBRIDGE_MAX_REQUEST_BYTES, MAX_DETAIL_BYTES } from './payload.js';

export const MAX_ENTRIES_PER_PUT = 10;

/** Entry error codes that will fail the same way again: reported at once, never retried. */
const PERMANENT_ERROR_CODES = new Set([
  'MalformedDetail',
  'InvalidArgument',
  'ValidationException',
  'AccessDeniedException',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
  'DetailTooLarge',
]);

export interface PublishFailure {
  event: DomainEvent;
  errorCode: string;
  errorMessage: string;
}

export interface PublishResult {
  /** Events accepted by EventBridge. */
  published: number;
  failed: PublishFailure[];
  /** PutEvents requests made, retries included. */
  putEventsCalls: number;
}

export class EventPublishError extends Error {
  override readonly name = 'EventPublishError';
  constructor(readonly failed: PublishFailure[]) {
    super(
      `could not publish ${failed.length} event(s): ` +
        failed.map((f) => `${f.event.name} ${f.event.detail.eventId} (${f.errorCode})`).join(', '),
    );
  }
}

export interface PublisherOptions {
  /** The custom bus name (EVENT_BUS_NAME). */
  busName: string;
  /** The emitting component; `source` becomes `bc-agent.<component>`. */
  component: string;
  client?: EventBridgeClient;
  /** Attempts per entry, the first included. */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface PublishOptions {
  /** When false, failures are only returned, not thrown. */
  throwOnFailure?: boolean;
}

export interface EventPublisher {
  readonly source: string;
  publish(events: DomainEvent[], options?: PublishOptions): Promise<PublishResult>;
}

interface PendingEntry {
  event: DomainEvent;
  entry: PutEventsRequestEntry;
  bytes: number;
}

/** Size of one entry as EventBridge counts it: fixed 14 bytes for Time plus the UTF-8 strings. */
export function putEventsEntrySize(entry: PutEventsRequestEntry): number {
  const utf8 = (s: string | undefined) => (s ? Buffer.byteLength(s, 'utf8') : 0);
  return (
    (entry.Time ? 14 : 0) +
    utf8(entry.Source) +
    utf8(entry.DetailType) +
    utf8(entry.Detail) +
    (entry.Resources ?? []).reduce((n, r) => n + utf8(r), 0)
  );
}

/** Packs entries in order into requests of at most 10 entries and 256 KB. */
export function packBatches<T extends { bytes: number }>(
  entries: T[],
  maxEntries = MAX_ENTRIES_PER_PUT,
  maxBytes = EVENTBRIDGE_MAX_REQUEST_BYTES,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const entry of entries) {
    if (current.length > 0 && (current.length === maxEntries || currentBytes + entry.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(entry);
    currentBytes += entry.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createPublisher(options: PublisherOptions): EventPublisher {
  if (!options.busName) throw new Error('createPublisher: busName is required (EVENT_BUS_NAME)');
  if (!/^[a-z0-9.-]+$/.test(options.component)) throw new Error(`createPublisher: bad component "${options.component}"`);
  const client = options.client ?? new EventBridgeClient({});
  const source = `bc-agent.${options.component}`;
  const maxAttempts = options.maxAttempts ?? 4;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  const toEntry = (event: DomainEvent): PendingEntry => {
    // Validate (and normalise) before anything is sent: an invalid event is a programming error.
    const detail = parseEventDetail(event.name, event.detail);
    const entry: PutEventsRequestEntry = {
      EventBusName: options.busName,
      Source: source,
      DetailType: event.name,
      Detail: JSON.stringify(detail),
      Time: new Date(detail.occurredAt),
    };
    return { event: { name: event.name, detail } as DomainEvent, entry, bytes: putEventsEntrySize(entry) };
  };

  /** One PutEvents call; returns the entries to retry and records permanent failures. */
  const send = async (batch: PendingEntry[], failed: Map<PendingEntry, PublishFailure>): Promise<PendingEntry[]> => {
    let results;
    try {
      const response = await client.send(new PutEventsCommand({ Entries: batch.map((p) => p.entry) }));
      results = response.Entries ?? [];
    } catch (error) {
      // The SDK has already retried transient call errors. A client fault (no such bus, no permission) will
      // fail again: reported at once. Anything else is retried here with the rest.
      const message = error instanceof Error ? error.message : String(error);
      const { name, $fault } = error as { name?: string; $fault?: string };
      const code = name ?? 'PutEventsError';
      for (const p of batch) failed.set(p, { event: p.event, errorCode: code, errorMessage: message });
      const permanent = $fault === 'client' && !/Throttl|TooManyRequests/i.test(code);
      return permanent ? [] : batch;
    }
    const retry: PendingEntry[] = [];
    batch.forEach((p, i) => {
      const result = results[i];
      if (result && result.EventId && !result.ErrorCode) {
        failed.delete(p);
        return;
      }
      const errorCode = result?.ErrorCode ?? 'MissingResult';
      failed.set(p, { event: p.event, errorCode, errorMessage: result?.ErrorMessage ?? 'no result for this entry' });
      if (!PERMANENT_ERROR_CODES.has(errorCode)) retry.push(p);
    });
    return retry;
  };

  return {
    source,
    async publish(events, publishOptions = {}) {
      const pending = events.map(toEntry);
      const failed = new Map<PendingEntry, PublishFailure>();
      let putEventsCalls = 0;

      let toSend: PendingEntry[] = [];
      for (const p of pending) {
        // Over the budget, a detail might pass EventBridge yet break the SQS delivery behind it: never sent.
        const detailBytes = Buffer.byteLength(p.entry.Detail ?? '', 'utf8');
        if (detailBytes > MAX_DETAIL_BYTES) {
          failed.set(p, {
            event: p.event,
            errorCode: 'DetailTooLarge',
            errorMessage: `detail is ${detailBytes} bytes, the limit is ${MAX_DETAIL_BYTES}; store large values and send a reference`,
          });
        } else {
          toSend.push(p);
        }
      }

      for (let attempt = 1; toSend.length > 0; attempt++) {
        if (attempt > 1) {
          const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 2));
          await sleep(Math.floor(random() * ceiling));
        }
        const retry: PendingEntry[] = [];
        for (const batch of packBatches(toSend)) {
          putEventsCalls++;
          retry.push(...(await send(batch, failed)));
        }
        toSend = attempt < maxAttempts ? retry : [];
      }

      const result: PublishResult = {
        published: pending.length - failed.size,
        failed: pending.filter((p) => failed.has(p)).map((p) => failed.get(p)!),
        putEventsCalls,
      };
      if (result.failed.length > 0 && publishOptions.throwOnFailure !== false) throw new EventPublishError(result.failed);
      return result;
    },
  };
}

/** The publisher for a Lambda component, configured from EVENT_BUS_NAME. */
export function publisherFromEnv(component: string, overrides: Partial<PublisherOptions> = {}): EventPublisher {
  const busName = process.env.EVENT_BUS_NAME;
  if (!busName) throw new Error('EVENT_BUS_NAME is not set');
  return createPublisher({ busName, component, ...overrides });
}
