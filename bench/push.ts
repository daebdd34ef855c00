// Live progress on the local cloud: end-to-end latency of `count customers` from the POST to the
// agent:completed push on a subscribed WebSocket, p50/p95, beside the same runs seen by polling
// GET /v1/plans/{id} every 20 ms (a second client, in parallel, on the same plans).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { PROJECT_ROOT, startLocalCloud, synthesizeDevStack } from '../local/cloud/index.js';
import { percentile } from './support/stats.js';

const RUNS = 20;
const POLL_MS = 20;

const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `p50 ${percentile(sorted, 50).toFixed(0)} ms, p95 ${percentile(sorted, 95).toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`;
};

export async function run(): Promise<void> {
  const stateDir = await mkdtemp(join(tmpdir(), 'bc-agent-bench-push-'));
  const { assemblyDir } = await synthesizeDevStack({ outdir: join(PROJECT_ROOT, '.local', 'bench-cdk.out') });
  const cloud = await startLocalCloud({
    stateDir,
    synthDir: assemblyDir,
    ports: { api: 0, aws: 0, bc: 0, mcp: 0, websocket: 0 },
    onLog: () => undefined,
    onError: () => undefined,
  });
  const socket = new WebSocket(`${cloud.urls.websocket}?token=${encodeURIComponent(await cloud.token({ sub: 'bench', tenant: 'local' }))}`);
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const completions = new Map<string, (at: number) => void>();
    /** agent:completed's occurredAt → received here: the push path alone (FIFO queue, notifier, PostToConnection). */
    const hops: number[] = [];
    const early = new Map<string, number>();
    socket.on('message', (data) => {
      const at = performance.now();
      const message = JSON.parse(data.toString()) as { type: string; detailType?: string; planId?: string; time?: string };
      if (message.type !== 'event' || message.detailType !== 'agent:completed' || !message.planId) return;
      hops.push(Date.now() - Date.parse(message.time!));
      const waiter = completions.get(message.planId);
      if (waiter) waiter(at);
      else early.set(message.planId, at);
    });
    const sessionId = `bench-push-${Date.now().toString(36)}`;
    const subscribed = new Promise<void>((resolve) => socket.once('message', () => resolve()));
    socket.send(JSON.stringify({ action: 'subscribe', sessionId }));
    await subscribed;

    const headers = { authorization: `Bearer ${await cloud.token({ sub: 'bench', tenant: 'local' })}`, 'content-type': 'application/json' };
    const ask = async () => {
      const started = performance.now();
      const response = await fetch(`${cloud.urls.api}/v1/sessions/${sessionId}/messages`, { method: 'POST', headers, body: JSON.stringify({ text: 'count customers' }) });
      if (response.status !== 202) throw new Error(`POST message: ${response.status} ${await response.text()}`);
      const { planId } = (await response.json()) as { planId: string };
      const pushed = new Promise<number>((resolve, reject) => {
        const known = early.get(planId);
        if (known !== undefined) return resolve(known);
        const timer = setTimeout(() => reject(new Error(`no agent:completed push for ${planId} within 60 s`)), 60_000);
        completions.set(planId, (at) => {
          clearTimeout(timer);
          resolve(at);
        });
      });
      const polled = (async () => {
        for (;;) {
          const plan = (await (await fetch(`${cloud.urls.api}/v1/plans/${planId}`, { headers })).json()) as { status: string };
          if (['succeeded', 'failed', 'cancelled'].includes(plan.status)) {
            if (plan.status !== 'succeeded') throw new Error(`count customers ended ${plan.status}`);
            return performance.now();
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      })();
      const [pushedAt, polledAt] = await Promise.all([pushed, polled]);
      return { push: pushedAt - started, poll: polledAt - started };
    };

    await ask(); // warm every function on the path once: cold starts are not what these figures are about
    hops.length = 0;
    const push: number[] = [];
    const poll: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const run = await ask();
      push.push(run.push);
      poll.push(run.poll);
    }
    console.log(`count customers end to end, ${RUNS} runs (warm):`);
    console.log(`  POST → agent:completed pushed on the WebSocket: ${summary(push)}`);
    console.log(`  POST → answer via GET /v1/plans/{id} polled every ${POLL_MS} ms (same plans): ${summary(poll)}`);
    console.log(`  agent:completed published → pushed (the push path alone): ${summary(hops)}`);
    const lead = push.map((p, i) => poll[i]! - p);
    console.log(`  the push arrived before the poll saw the answer in ${lead.filter((d) => d > 0).length}/${RUNS} runs (median lead ${percentile(lead, 50).toFixed(0)} ms)`);
  } finally {
    socket.close();
    await cloud.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
