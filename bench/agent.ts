// The agent on the local cloud: AWS API calls per chat message, by service, for a 1-task and a 3-task plan
// (counted by a proxy in front of the local AWS endpoint, which every function is pointed at through the
// SDK's per-service endpoint variables), and the end-to-end latency of `count customers` (POST → answer
// visible through GET /v1/plans/{id}), p50/p95. The push notifier remembers a session's subscribers for a
// window (PUSH_SUBSCRIBER_CACHE_SECONDS): the 1-task and 3-task figures are of a message sent after the
// previous one's window lapsed (a person's pace: one lookup per message), the last of one sent within it.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDocumentClient, createStateStore, type StateStore } from '../functions/core/store/index.js';
import { AUDIT_BATCH } from '../lib/constructs/consumers.js';
import { LOCAL_CREDENTIALS, LOCAL_REGION, type LocalCloud, PROJECT_ROOT, startLocalCloud, synthesizeDevStack } from '../local/cloud/index.js';
import { percentile } from './support/stats.js';

/** BENCH_TRACE=1 is for reading the calls: it skips the latency runs. */
const LATENCY_RUNS = process.env.BENCH_TRACE === '1' ? 0 : 20;
/** Standard sets only: the stack's default list names the custom itemReservations API the MCP config refuses. */
const WRITABLE_SETS = 'customers,vendors,items,salesOrders,salesOrderLines,purchaseOrders,purchaseOrderLines';

interface CountingProxy {
  url: string;
  target: string;
  counts: Map<string, number>;
  /** Calls of functions that are not on the message path (the per-minute schedules), kept out of `counts`. */
  background: number;
  isBackground: (userAgent: string) => boolean;
  /** With BENCH_TRACE=1: one line per call (the calling function, the operation, its table and key). */
  trace: string[];
  total(): number;
  reset(): void;
  stop(): Promise<void>;
}

/** `DynamoDB_20120810.PutItem` → `dynamodb PutItem`; the service from the X-Amz-Target prefix. */
function serviceOf(target: string | undefined): string {
  if (!target) return 'other';
  const prefix = target.slice(0, target.indexOf('.'));
  if (prefix.startsWith('DynamoDB')) return 'dynamodb';
  if (prefix === 'AmazonSQS') return 'sqs';
  if (prefix === 'AWSEvents') return 'eventbridge';
  if (prefix.startsWith('AWSStepFunctions')) return 'stepfunctions';
  if (prefix === 'secretsmanager') return 'secretsmanager';
  return prefix.toLowerCase();
}

const TRACE = process.env.BENCH_TRACE === '1';

/** The table, key and expressions of a DynamoDB request (or the entries of a PutEvents), for the trace. */
function describe(text: string): string {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    const table = typeof body.TableName === 'string' ? body.TableName.replace(/^[^-]*-[^-]*-/, '').slice(0, 28) : '';
    const key = body.Key ?? (body.Item as Record<string, unknown> | undefined);
    const keyText = key ? JSON.stringify(Object.fromEntries(Object.entries(key).filter(([k]) => ['pk', 'sk', 'id'].includes(k)))) : '';
    const entries = Array.isArray(body.Entries) ? (body.Entries as { DetailType?: string }[]).map((e) => e.DetailType).join(',') : '';
    const items = body.RequestItems ? Object.entries(body.RequestItems as Record<string, unknown[] | { Keys: unknown[] }>).map(([t, v]) => `${t.slice(0, 28)}×${Array.isArray(v) ? v.length : v.Keys.length}`).join(',') : '';
    const expr = [body.UpdateExpression, body.ConditionExpression, body.KeyConditionExpression].filter(Boolean).join(' | ').slice(0, 90);
    return [table, keyText, entries, items, expr].filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

async function startCountingProxy(): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const proxy: CountingProxy = {
    url: '',
    target: '',
    counts,
    background: 0,
    isBackground: () => false,
    trace: [],
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      counts.clear();
      proxy.background = 0;
      proxy.trace.length = 0;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    const target = req.headers['x-amz-target'];
    const key = `${serviceOf(typeof target === 'string' ? target : undefined)} ${typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : req.method}`;
    const background = proxy.isBackground(String(req.headers['user-agent'] ?? ''));
    if (background) proxy.background += 1;
    else counts.set(key, (counts.get(key) ?? 0) + 1);
    const upstream = new URL(proxy.target);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    if (!TRACE) {
      req.pipe(forward);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (!background) proxy.trace.push(`${String(req.headers['user-agent'] ?? '').match(/app\/(\S+)/)?.[1] ?? '?'} ${key} ${describe(body.toString('utf8'))}`);
      forward.end(body);
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

interface Session {
  send(text: string): Promise<string>;
  /** Polls GET /v1/plans/{id} as a chat front-end would. */
  waitFor(planId: string): Promise<{ status: string; response?: string }>;
  /** Polls the state table directly, past the counting proxy, so waiting adds no calls to the figures. */
  waitQuietly(planId: string): Promise<{ status: string }>;
}

const SETTLED = ['succeeded', 'failed', 'cancelled', 'awaiting_approval'];

async function poll<T extends { status: string }>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (value && SETTLED.includes(value.status)) return value;
    if (Date.now() > deadline) throw new Error(`${what} still ${value?.status ?? 'missing'} after 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function session(cloud: LocalCloud, token: string, store: StateStore): Session {
  const sessionId = `bench-${Date.now().toString(36)}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  return {
    async send(text) {
      const response = await fetch(`${cloud.urls.api}/v1/sessions/${sessionId}/messages`, { method: 'POST', headers, body: JSON.stringify({ text }) });
      if (response.status !== 202) throw new Error(`POST message: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { planId: string }).planId;
    },
    waitFor: (planId) =>
      poll(`plan ${planId}`, async () => (await (await fetch(`${cloud.urls.api}/v1/plans/${planId}`, { headers })).json()) as { status: string; response?: string }),
    waitQuietly: (planId) => poll(`plan ${planId}`, () => store.plans.getPlan('local', planId)),
  };
}

/**
 * Waits until no AWS call has been made for `quietMs` (the audit and analytics consumers finish after the
 * answer): longer than the audit queue's batching window, so a message's audit writes are counted with it.
 */
async function settle(proxy: CountingProxy, quietMs = AUDIT_BATCH.windowSeconds * 1000 + 750, limitMs = 20_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  let last = -1;
  while (Date.now() < deadline) {
    const now = proxy.total();
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, quietMs));
  }
}

function byService(counts: Map<string, number>): string {
  const services = new Map<string, number>();
  for (const [key, n] of counts) services.set(key.split(' ')[0]!, (services.get(key.split(' ')[0]!) ?? 0) + n);
  const total = [...services.values()].reduce((a, b) => a + b, 0);
  const detail = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}=${n}`).join(', ');
  return `${total} total — ${[...services.entries()].sort().map(([s, n]) => `${s} ${n}`).join(', ')}\n      (${detail})`;
}

export async function run(): Promise<void> {
  const proxy = await startCountingProxy();
  const stateDir = await mkdtemp(join(tmpdir(), 'bc-agent-bench-'));
  const { assemblyDir } = await synthesizeDevStack({ outdir: join(PROJECT_ROOT, '.local', 'bench-cdk.out') });
  const endpointEnv = Object.fromEntries(
    ['DYNAMODB', 'SQS', 'EVENTBRIDGE', 'SFN', 'SECRETS_MANAGER'].map((service) => [`AWS_ENDPOINT_URL_${service}`, proxy.url]),
  );
  const cloud = await startLocalCloud({
    stateDir,
    synthDir: assemblyDir,
    ports: { api: 0, aws: 0, bc: 0, mcp: 0, websocket: 0 },
    env: { ...endpointEnv, BC_WRITABLE_ENTITY_SETS: WRITABLE_SETS },
    onLog: () => undefined,
    onError: () => undefined,
  });
  proxy.target = cloud.urls.aws;
  // The functions the per-minute schedules run (approval expiry, plan sweeper, saga repair) are no part of a
  // message: the waits below let one fall inside a measurement now and then, so their calls are counted apart.
  const scheduled = cloud.stack
    .resourcesOfType('AWS::Events::Rule')
    .filter(([, rule]) => rule.Properties?.ScheduleExpression)
    .flatMap(([, rule]) => (rule.Properties!.Targets as Array<{ Arn?: { 'Fn::GetAtt'?: [string, string] } }>).map((t) => t.Arn?.['Fn::GetAtt']?.[0]))
    .filter((id): id is string => id !== undefined)
    .map((id) => `app/${String(cloud.stack.ref(id)).slice(0, 40)}`);
  proxy.isBackground = (userAgent) => scheduled.some((app) => userAgent.includes(app));
  try {
    const stateTable = cloud.stack.resourcesOfType('AWS::DynamoDB::Table').find(([id]) => id.startsWith('TablesState'))![0];
    const direct = new DynamoDBClient({ endpoint: cloud.urls.aws, region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
    const store = createStateStore({ tableName: String(cloud.stack.ref(stateTable)), db: createDocumentClient(direct) });
    const chat = session(cloud, await cloud.token({ sub: 'bench', tenant: 'local' }), store);
    // Warm every function on the path once (cold starts are not what these figures are about).
    for (const text of ['count customers', 'get vendor 10000 then analyze vendors by balance; count items']) {
      await chat.waitFor(await chat.send(text));
    }
    await settle(proxy);

    const notifier = cloud.stack.resourcesOfType('AWS::Lambda::Function').find(([id]) => id.startsWith('PushNotifier'))![1];
    const windowSeconds = Number((notifier.Properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables.PUSH_SUBSCRIBER_CACHE_SECONDS ?? 0);
    let lastSentAt = Date.now();

    console.log(`AWS API calls per chat message (functions → local AWS endpoint, warm; notifier subscriber window ${windowSeconds} s):`);
    for (const [label, text, afterWindow] of [
      ['1-task plan (count customers)', 'count customers', true],
      // Sent as soon as the one before has settled (≈ 6 s after it), inside its window: no lookup at all.
      ['1-task plan again within the notifier\'s window (count customers)', 'count customers', false],
      ['3-task plan (get vendor 10000 then analyze vendors by balance; count items)', 'get vendor 10000 then analyze vendors by balance; count items', true],
    ] as const) {
      // Past the previous message's window (its first push read the subscribers just after it was sent).
      if (afterWindow) await new Promise((r) => setTimeout(r, Math.max(0, lastSentAt + windowSeconds * 1000 + 500 - Date.now())));
      proxy.reset();
      lastSentAt = Date.now();
      const plan = await chat.waitQuietly(await chat.send(text));
      await settle(proxy);
      console.log(`  ${label}: ${plan.status}, ${byService(proxy.counts)}${proxy.background > 0 ? `\n      (not counted: ${proxy.background} calls of the per-minute schedules meanwhile)` : ''}`);
      if (TRACE) for (const line of proxy.trace) console.log(`      ${line}`);
    }

    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) {
      const started = performance.now();
      const plan = await chat.waitFor(await chat.send('count customers'));
      if (plan.status !== 'succeeded') throw new Error(`count customers ended ${plan.status}`);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    if (latencies.length > 0) console.log(
      `count customers end to end (POST → answer via GET, polled every 20 ms), ${LATENCY_RUNS} runs: ` +
        `p50 ${percentile(latencies, 50).toFixed(0)} ms, p95 ${percentile(latencies, 95).toFixed(0)} ms, max ${latencies.at(-1)!.toFixed(0)} ms`,
    );
    direct.destroy();
  } finally {
    await cloud.stop();
    await proxy.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
