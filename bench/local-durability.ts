// What durability costs the local AWS endpoint: SendMessage, PutEvents (rule → SQS target) and StartExecution
// through the SDK with each LOCAL_AWS_DURABILITY mode in one run — `deferred` (the old behaviour: committed every
// 200 ms after the answer, lost by a SIGKILL), `write` (committed before the answer, no fsync) and `fsync`
// (committed and fsync'ed before the answer, the product default) — one call at a time (latency) and 16 at a time (group
// commit: calls handled in the same turn of the event loop share a transaction), with journal commits, fsyncs and
// record bytes per call (counts that do not drift).
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalAws, type DurabilityMode, type JournalStats } from '../local/aws/index.js';
import { percentile } from './support/stats.js';

const SEQUENTIAL = 200;
const CONCURRENT = 400;
const IN_FLIGHT = 16;
const MODES: DurabilityMode[] = ['deferred', 'write', 'fsync'];

interface Figures {
  p50: number;
  p95: number;
  perSecond: number;
  concurrentPerSecond: number;
  /** Journal commits per call, one at a time and with IN_FLIGHT in flight (group commit shares them). */
  commitsPerCall: number;
  concurrentCommitsPerCall: number;
  fsyncsPerCall: number;
  bytesPerCall: number;
}


/** `call(i)` SEQUENTIAL times one after another, then CONCURRENT times IN_FLIGHT at a time; journal counts over both. */
async function measure(aws: LocalAws, call: (index: number) => Promise<unknown>): Promise<Figures> {
  const before: JournalStats = { ...aws.journal.stats };
  const latencies: number[] = [];
  const begin = performance.now();
  for (let index = 0; index < SEQUENTIAL; index++) {
    const start = performance.now();
    await call(index);
    latencies.push(performance.now() - start);
  }
  const sequentialMs = performance.now() - begin;
  await aws.journal.commit();
  const middle: JournalStats = { ...aws.journal.stats };
  const concurrentBegin = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < CONCURRENT) await call(SEQUENTIAL + next++);
  }));
  const concurrentMs = performance.now() - concurrentBegin;
  await aws.journal.commit();
  const calls = SEQUENTIAL + CONCURRENT;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    perSecond: SEQUENTIAL / (sequentialMs / 1000),
    concurrentPerSecond: CONCURRENT / (concurrentMs / 1000),
    commitsPerCall: (middle.commits - before.commits) / SEQUENTIAL,
    concurrentCommitsPerCall: (aws.journal.stats.commits - middle.commits) / CONCURRENT,
    fsyncsPerCall: (aws.journal.stats.fsyncs - before.fsyncs) / calls,
    bytesPerCall: (aws.journal.stats.bytes - before.bytes) / calls,
  };
}

async function runMode(mode: DurabilityMode): Promise<Record<string, Figures>> {
  const stateDir = mkdtempSync(join(tmpdir(), `bench-durability-${mode}-`));
  const aws = await LocalAws.start({ port: 0, stateDir, durability: mode });
  const config = { endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };
  const sqs = new SQSClient(config);
  const events = new EventBridgeClient(config);
  const sfn = new SFNClient(config);
  try {
    const { url } = aws.sqs.createQueue('bench');
    aws.sqs.createQueue('bench-events');
    aws.events.putRule({ busName: 'default', name: 'bench', eventPattern: '{"source":["bench"]}' });
    aws.events.putTargets('default', 'bench', [{ id: 'q', arn: aws.sqs.queueArn('bench-events') }]);
    const machine = aws.stepFunctions.createStateMachine({
      name: 'bench', definition: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }),
    });
    await aws.journal.commit();
    return {
      SendMessage: await measure(aws, (n) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `{"n":${n},"text":"a chat message of ordinary length"}` }))),
      'PutEvents→SQS': await measure(aws, (n) => events.send(new PutEventsCommand({ Entries: [{ Source: 'bench', DetailType: 'tick', Detail: `{"n":${n}}` }] }))),
      StartExecution: await measure(aws, (n) => sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: `{"n":${n}}` }))),
    };
  } finally {
    sqs.destroy();
    events.destroy();
    sfn.destroy();
    await aws.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const results = new Map<DurabilityMode, Record<string, Figures>>();
  for (const mode of MODES) results.set(mode, await runMode(mode));
  console.log(`${SEQUENTIAL} calls one at a time (latency, calls/s), then ${CONCURRENT} with ${IN_FLIGHT} in flight (calls/s); journal counts per call over both`);
  console.log('call            mode       p50 ms  p95 ms  seq/s  conc/s  commits/call (seq, conc)  fsyncs/call  JSON bytes/call');
  for (const operation of Object.keys(results.get('fsync')!)) {
    for (const mode of MODES) {
      const f = results.get(mode)![operation]!;
      console.log([
        operation.padEnd(15), mode.padEnd(9), f.p50.toFixed(2).padStart(7), f.p95.toFixed(2).padStart(7), f.perSecond.toFixed(0).padStart(6),
        f.concurrentPerSecond.toFixed(0).padStart(7), `${f.commitsPerCall.toFixed(2)}, ${f.concurrentCommitsPerCall.toFixed(2)}`.padStart(24),
        f.fsyncsPerCall.toFixed(2).padStart(12), f.bytesPerCall.toFixed(0).padStart(16),
      ].join(' '));
    }
  }
  for (const operation of Object.keys(results.get('fsync')!)) {
    const deferred = results.get('deferred')![operation]!;
    const fsync = results.get('fsync')![operation]!;
    console.log(`${operation}: fsync mode costs ${(fsync.p50 - deferred.p50).toFixed(2)} ms at p50 per call; ${(fsync.concurrentPerSecond / deferred.concurrentPerSecond * 100).toFixed(0)}% of deferred throughput with ${IN_FLIGHT} in flight`);
  }
}
