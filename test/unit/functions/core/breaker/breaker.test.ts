import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BreakerOpenError, CircuitBreaker, type BreakerStateChange } from '../../../../../functions/core/breaker/index.js';
import { BreakerStore } from '../../../../../functions/core/breaker/store.js';
import { runBcProbe } from '../../../../../functions/core/breaker/guard.js';
import { currentBcDeadline } from '../../../../../functions/core/bc/deadline.js';

const TABLE = 'breakers';
let server: Server;
let endpoint: string;

/** A DocumentClient that counts the DynamoDB operations it sends, by command name. */
function countingClient() {
  const calls: Record<string, number> = {};
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      calls[context.commandName as string] = (calls[context.commandName as string] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return { db: DynamoDBDocumentClient.from(raw), calls };
}

const bcDown = Object.assign(new Error('BC answered 503'), { status: 503 });
const badRequest = Object.assign(new Error('BC answered 400'), { status: 400 });
const throttled = Object.assign(new Error('BC answered 429'), { status: 429 });

let keySeq = 0;
let clock = 0;
const now = () => clock;

function breaker(key: string, extra: Partial<ConstructorParameters<typeof CircuitBreaker>[0]> = {}) {
  const { db, calls } = countingClient();
  const changes: BreakerStateChange[] = [];
  const b = new CircuitBreaker({ key, tableName: TABLE, db, now, onStateChange: (c) => void changes.push(c), ...extra });
  return { b, calls, changes };
}

async function failTimes(b: CircuitBreaker, n: number, error: unknown = bcDown) {
  for (let i = 0; i < n; i++) {
    await expect(b.execute(async () => Promise.reject(error))).rejects.toBe(error);
    clock += 10;
  }
}

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await raw.send(
    new CreateTableCommand({
      TableName: TABLE,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  keySeq += 1;
  clock = 1_700_000_000_000;
});

describe('circuit breaker on DynamoDB', () => {
  it('opens after 5 counted failures and then rejects without calling BC', async () => {
    const { b, changes } = breaker(`bc:t${keySeq}`);
    await failTimes(b, 4);
    expect(await b.state()).toBe('closed');
    await failTimes(b, 1);
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open']);

    let bcCalls = 0;
    const rejection = b.execute(async () => {
      bcCalls += 1;
      return 'unreachable';
    });
    await expect(rejection).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(rejection).rejects.toMatchObject({ code: 'DependencyUnavailable' });
    expect(bcCalls).toBe(0);
  });

  it("lets a call marked whenOpen 'call' through an open breaker without closing it (compensations)", async () => {
    const { b, changes } = breaker(`bc:t${keySeq}`);
    await failTimes(b, 5);
    let bcCalls = 0;
    const compensation = () => b.execute(async () => { bcCalls += 1; return 'undone'; }, { whenOpen: 'call' });
    await expect(compensation()).resolves.toBe('undone');
    // A failing one is not refused either: its own error comes back, and the breaker stays open.
    await expect(b.execute(async () => { throw new Error('BC still down'); }, { whenOpen: 'call' })).rejects.toThrow('BC still down');
    expect(bcCalls).toBe(1);
    expect(await b.state()).toBe('open');
    await expect(b.execute(async () => 'forward')).rejects.toBeInstanceOf(BreakerOpenError);
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open']);
  });

  it('counts failures across Lambdas (separate instances share the record)', async () => {
    const key = `bc:t${keySeq}`;
    const lambdas = Array.from({ length: 5 }, () => breaker(key));
    for (const { b } of lambdas) await failTimes(b, 1);
    clock += 2_000; // past every container's cache window
    await expect(lambdas[0]!.b.execute(async () => 'x')).rejects.toBeInstanceOf(BreakerOpenError);
    const opened = lambdas.flatMap((l) => l.changes).filter((c) => c.to === 'open');
    expect(opened).toHaveLength(1);
  });

  it('forgets failures outside the rolling window', async () => {
    const { b } = breaker(`bc:t${keySeq}`);
    await failTimes(b, 4);
    clock += 61_000;
    await failTimes(b, 4);
    clock += 2_000;
    expect(await b.state()).toBe('closed');
  });

  it('does not count 4xx answers, nor 429 unless configured', async () => {
    const { b } = breaker(`bc:t${keySeq}`);
    await failTimes(b, 6, badRequest);
    await failTimes(b, 6, throttled);
    clock += 2_000;
    expect(await b.state()).toBe('closed');

    const strict = breaker(`bc:t${keySeq}-strict`, { countThrottling: true });
    await failTimes(strict.b, 5, throttled);
    expect(await strict.b.state()).toBe('open');
  });

  it('lets exactly one of 20 concurrent callers probe after the open timeout, then closes on success', async () => {
    const key = `bc:t${keySeq}`;
    const first = breaker(key);
    await failTimes(first.b, 5);
    clock += 60_001;

    const callers = Array.from({ length: 20 }, () => breaker(key));
    let probes = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let rejectedSoFar = 0;
    let allOthersRejected!: () => void;
    const othersDone = new Promise<void>((resolve) => (allOthersRejected = resolve));
    const outcomes = callers.map(({ b }) => {
      const outcome = b.execute(async () => {
        probes += 1;
        await gate; // hold the probe open until every other caller has been turned away
        return 'ok';
      });
      outcome.catch(() => {
        rejectedSoFar += 1;
        if (rejectedSoFar === 19) allOthersRejected();
      });
      return outcome;
    });
    await othersDone;
    release();
    const results = await Promise.allSettled(outcomes);
    expect(probes).toBe(1);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && r.reason instanceof BreakerOpenError)).toHaveLength(19);

    const transitions = [...first.changes, ...callers.flatMap((c) => c.changes)].map((c) => `${c.from}->${c.to}`);
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    clock += 2_000;
    expect(await first.b.state()).toBe('closed');
  });

  it('opens again when the probe fails, and a crashed probe cannot wedge it', async () => {
    const key = `bc:t${keySeq}`;
    const { b, changes } = breaker(key, { probeLeaseMs: 5_000 });
    await failTimes(b, 5);
    clock += 60_001;
    await expect(b.execute(async () => Promise.reject(bcDown))).rejects.toBe(bcDown);
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open', 'open->half-open', 'half-open->open']);

    // A probe whose Lambda dies keeps the lease only until it expires.
    clock += 60_001;
    const crashed = breaker(key, { probeLeaseMs: 5_000 });
    const never = crashed.b.execute(() => new Promise<string>(() => {}));
    void never;
    const store = new BreakerStore(countingClient().db, TABLE);
    await expect.poll(async () => (await store.read(key)).state).toBe('half-open');
    const other = breaker(key, { probeLeaseMs: 5_000 });
    await expect(other.b.execute(async () => 'ok')).rejects.toBeInstanceOf(BreakerOpenError);
    clock += 5_001;
    const third = breaker(key, { probeLeaseMs: 5_000 });
    await expect(third.b.execute(async () => 'ok')).resolves.toBe('ok');
    expect(third.changes.map((c) => `${c.from}->${c.to}`)).toEqual(['half-open->closed']);
  });

  it('does not close on a probe that never reached BC (refused by the client), and frees the lease at once', async () => {
    const key = `bc:t${keySeq}`;
    const { b, changes } = breaker(key);
    await failTimes(b, 5);
    clock += 60_001;
    // e.g. a tool call with an unknown field: the BC client refuses it before any HTTP request.
    const refused = Object.assign(new Error('Unknown field'), { kind: 'invalid_request', status: 0 });
    await expect(b.execute(async () => Promise.reject(refused))).rejects.toBe(refused);
    expect(changes.map((c) => `${c.from}->${c.to}`)).toEqual(['closed->open', 'open->half-open']);
    const store = new BreakerStore(countingClient().db, TABLE);
    expect((await store.read(key)).state).toBe('half-open');

    const next = breaker(key);
    await expect(next.b.execute(async () => 'ok')).resolves.toBe('ok');
    expect(next.changes.map((c) => `${c.from}->${c.to}`)).toEqual(['half-open->closed']);
  });

  it('ends a probe within its lease, so a slow probe cannot overlap a second one', async () => {
    const key = `bc:t${keySeq}`;
    const bounds: number[] = [];
    const { b } = breaker(key, {
      probeLeaseMs: 5_000,
      // What the BC wiring passes: the probe's BC calls get the lease expiry as their deadline.
      runProbe: (call, leaseUntil) => {
        bounds.push(leaseUntil);
        return call();
      },
    });
    await failTimes(b, 5);
    clock += 60_001;
    const probeStartedAt = clock;
    await expect(b.execute(async () => 'ok')).resolves.toBe('ok');
    expect(bounds).toEqual([probeStartedAt + 5_000]);
    await expect(b.execute(async () => 'ok')).resolves.toBe('ok');
    expect(bounds).toHaveLength(1); // closed again: ordinary calls are not bounded
  });

  it('gives a BC probe the lease expiry as its BC deadline (runBcProbe)', async () => {
    const key = `bc:t${keySeq}`;
    const { b } = breaker(key, { probeLeaseMs: 5_000, runProbe: runBcProbe });
    await failTimes(b, 5);
    clock += 60_001;
    const leaseUntil = clock + 5_000;
    await expect(b.execute(async () => currentBcDeadline())).resolves.toBe(leaseUntil);
    await expect(b.execute(async () => currentBcDeadline())).resolves.toBeUndefined();
  });

  it('writes nothing and reads at most once per cache window on the healthy path', async () => {
    const { b, calls } = breaker(`bc:t${keySeq}`, { cacheMs: 1_000 });
    for (let i = 0; i < 50; i++) {
      await b.execute(async () => 'ok');
      clock += 100; // 50 calls over 5 s
    }
    expect(calls.UpdateItemCommand ?? 0).toBe(0);
    expect(calls.PutItemCommand ?? 0).toBe(0);
    expect(calls.GetItemCommand).toBeLessThanOrEqual(5);
  });

  it('shares one read among concurrent callers when the cache is cold', async () => {
    const { b, calls } = breaker(`bc:t${keySeq}`, { cacheMs: 1_000 });
    await Promise.all(Array.from({ length: 20 }, () => b.execute(async () => 'ok')));
    expect(calls.GetItemCommand).toBe(1);
  });

  it('does not trust its cache forever when the clock steps back', async () => {
    const key = `bc:t${keySeq}`;
    const { b, calls } = breaker(key, { cacheMs: 1_000 });
    await b.execute(async () => 'ok');
    clock -= 3_600_000; // NTP steps the clock back an hour
    await b.execute(async () => 'ok');
    expect(calls.GetItemCommand).toBe(2);
  });

  it('keeps a transition it made over an older read that finished after it', async () => {
    const key = `bc:t${keySeq}`;
    const { db: real } = countingClient();
    let holdReads: Promise<void> | undefined;
    let heldReads = 0;
    // Answers of GetItem can be held back: the read sees the table as it was when DynamoDB answered.
    const db = {
      send: async (command: unknown) => {
        const answer = await real.send(command as never);
        if (command instanceof GetCommand && holdReads) {
          heldReads += 1;
          await holdReads;
        }
        return answer;
      },
    } as unknown as DynamoDBDocumentClient;
    const b = new CircuitBreaker({ key, tableName: TABLE, db, now, threshold: 1, cacheMs: 1_000 });

    let failSlowCall!: () => void;
    const slowCall = b.execute(() => new Promise<string>((_, reject) => (failSlowCall = () => reject(bcDown))));
    await expect.poll(() => failSlowCall).toBeDefined();
    clock += 2_000; // the cache has expired: the next caller reads
    let releaseReads!: () => void;
    holdReads = new Promise<void>((resolve) => (releaseReads = resolve));
    const lateReader = b.execute(async () => 'ok');
    await expect.poll(() => heldReads).toBe(1); // DynamoDB has answered "closed"; the answer is on its way
    failSlowCall(); // BC fails the slow call: this container opens the breaker
    await expect(slowCall).rejects.toBe(bcDown);
    releaseReads(); // the read sent before the transition comes back now, saying closed
    await expect(lateReader).rejects.toBeInstanceOf(BreakerOpenError);
    await expect(b.execute(async () => 'ok')).rejects.toBeInstanceOf(BreakerOpenError);
  });

  it('fails open when DynamoDB itself is unreachable', async () => {
    const warnings: string[] = [];
    const raw = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9', // discard port: nothing listens
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const b = new CircuitBreaker({
      key: 'bc:unreachable',
      tableName: TABLE,
      db: DynamoDBDocumentClient.from(raw),
      logger: { warn: (m) => void warnings.push(m) },
    });
    await expect(b.execute(async () => 'served')).resolves.toBe('served');
    expect(warnings.some((w) => w.includes('failing open'))).toBe(true);
  });
});

describe('guardWithBreaker', () => {
  it('routes the listed methods through the breaker and leaves others alone', async () => {
    const { guardWithBreaker } = await import('../../../../../functions/core/breaker/guard.js');
    const { b } = breaker(`bc:t${keySeq}-guard`);
    let calls = 0;
    const client = {
      async query(): Promise<string> {
        calls += 1;
        throw bcDown;
      },
      label(): string {
        return 'plain';
      },
    };
    const guarded = guardWithBreaker(client, b, ['query']);
    for (let i = 0; i < 5; i++) await expect(guarded.query()).rejects.toBe(bcDown);
    await expect(guarded.query()).rejects.toBeInstanceOf(BreakerOpenError);
    expect(calls).toBe(5);
    expect(guarded.label()).toBe('plain');
  });
});
