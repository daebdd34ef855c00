// What the BC sandbox's HTTP benchmarks share: a sandbox with its first company's API root and an app token,
// stopped when the benchmark ends; a call timed until its whole answer is read; median and p95 of the timings.
// In a folder of its own, as bench/run.ts runs every bench/*.ts.
import { startBcSandbox, type BcSandbox } from '../../local/bc-sandbox/index.js';
import { percentile } from './stats.js';

export interface SandboxBench {
  sandbox: BcSandbox;
  /** The API root of the sandbox's first company. */
  company: string;
  /** The app's bearer token, as a header. */
  auth: { Authorization: string };
}

export async function withSandbox(bench: (s: SandboxBench) => Promise<void>): Promise<void> {
  const sandbox = await startBcSandbox();
  try {
    const auth = { Authorization: `Bearer ${await sandbox.getToken()}` };
    await bench({ sandbox, company: `${sandbox.apiUrl}/companies(${sandbox.companyIds()[0]})`, auth });
  } finally {
    await sandbox.stop();
  }
}

/** One HTTP call, timed until its whole answer is read. */
export async function timedFetch(url: string, init: RequestInit): Promise<{ ms: number; status: number }> {
  const started = performance.now();
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return { ms: performance.now() - started, status: response.status };
}

/** `median … ms, p95 … ms` of the timings. */
export function medianAndP95(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  return `median ${percentile(sorted, 50).toFixed(2)} ms, p95 ${percentile(sorted, 95).toFixed(2)} ms`;
}
