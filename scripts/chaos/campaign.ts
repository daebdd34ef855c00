// Runs one scenario against a cloud: the chat and approver clients, the BC snapshot before, the scenario, and
// its report line. Shared by `npm run chaos` (a child-process cloud per scenario) and the smoke test (the
// in-process test cloud).
import { AgentClient } from './api.js';
import { SandboxClient, takeSnapshot } from './bc.js';
import type { ChaosCloud } from './cloud.js';
import type { Scenario, Verdict } from './scenario.js';
import type { ChaosTimings } from './timings.js';

export interface ScenarioReport extends Verdict {
  name: string;
  seconds: number;
  notes: string[];
}

export async function runScenario(scenario: Scenario, cloud: ChaosCloud, timings: ChaosTimings): Promise<ScenarioReport> {
  const started = Date.now();
  const notes: string[] = [];
  const bc = new SandboxClient(cloud.urls.bc);
  let verdict: Verdict;
  try {
    await bc.clearFaults();
    const alice = new AgentClient(cloud.urls.api, await cloud.token({ sub: 'alice', tenant: 'local' }));
    const approver = new AgentClient(cloud.urls.api, await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] }));
    const before = await takeSnapshot(bc);
    verdict = await scenario.run({ cloud, timings, bc, alice, approver, before, note: (line) => notes.push(line) });
  } catch (error) {
    verdict = { orphans: 0, stuck: 0, lost: 0, failures: [`the scenario could not run: ${error instanceof Error ? error.message : String(error)}`] };
  } finally {
    await bc.clearFaults().catch(() => undefined);
  }
  return { name: scenario.name, seconds: (Date.now() - started) / 1000, notes, ...verdict };
}

export const passed = (report: Verdict): boolean => report.orphans + report.stuck + report.lost === 0 && report.failures.length === 0;

/** `breaker-open-saga  FAIL  orphans=2 stuck=0 lost=0  (71.2 s)` then the failures and notes, indented. */
export function formatReport(report: ScenarioReport): string[] {
  const head = `${report.name.padEnd(20)} ${passed(report) ? 'ok  ' : 'FAIL'}  orphans=${report.orphans} stuck=${report.stuck} lost=${report.lost}  (${report.seconds.toFixed(1)} s)`;
  return [head, ...report.failures.map((f) => `    ✗ ${f}`), ...report.notes.map((n) => `    · ${n}`)];
}

export function summaryLine(reports: ScenarioReport[]): string {
  const sum = (key: 'orphans' | 'stuck' | 'lost') => reports.reduce((total, r) => total + r[key], 0);
  return `chaos: ${reports.length} scenarios, ${sum('orphans')} orphans, ${sum('stuck')} stuck plans, ${sum('lost')} lost messages`;
}
