// `npm run chaos [-- <scenario> …]`: the chaos campaign. Each scenario gets its own local cloud (local/cloud/start.ts
// as a child process, free ports, a fresh state directory under CHAOS_STATE_DIR or the system's temp dir, never
// the developer's .local state), a BC snapshot before it, and a verdict after it. Prints one line per scenario
// and last `chaos: <n> scenarios, <orphans> orphans, <stuck> stuck plans, <lost> lost messages`; exits 1 when any
// count is non-zero or a check failed, 2 on bad arguments. The crash scenario runs beside the others on its own
// cloud (CHAOS_PARALLEL=0 runs everything in sequence).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, synthesizeDevStack } from '../../local/cloud/index.js';
import { formatReport, passed, runScenario, summaryLine, type ScenarioReport } from './campaign.js';
import { ChildCloud, seedStateDir } from './cloud.js';
import type { Scenario } from './scenario.js';
import { SCENARIOS } from './scenarios/index.js';
import { timingsFrom } from './timings.js';

/** The campaign's own synthesis cache, apart from `npm start`'s (.local/cdk.out) and the tests' (.local/test-cdk.out). */
const CHAOS_ASSEMBLY_ROOT = join(PROJECT_ROOT, '.local', 'chaos-cdk.out');

async function main(argv: string[]): Promise<number> {
  const unknown = argv.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length) {
    process.stderr.write(`unknown scenario ${unknown.join(', ')}; the scenarios are:\n${SCENARIOS.map((s) => `  ${s.name.padEnd(20)} ${s.summary}`).join('\n')}\n`);
    return 2;
  }
  const selected = argv.length ? SCENARIOS.filter((s) => argv.includes(s.name)) : [...SCENARIOS];
  const started = Date.now();
  process.stdout.write('chaos: synthesizing the dev stack (cached when unchanged)…\n');
  const { assemblyDir, template } = await synthesizeDevStack({ outdir: CHAOS_ASSEMBLY_ROOT });
  const timings = timingsFrom(template);
  process.stdout.write(
    `chaos: breaker open ${timings.breakerOpenSeconds} s, compensation retries ${timings.compensationRetrySeconds} s, ` +
      `sweeper ${timings.sweeperPeriodSeconds} s (${timings.sweeperSource}), visibility timeout ${timings.visibilityTimeoutSeconds} s, ` +
      `crash deadline ${timings.crashDeadlineSeconds} s, other deadlines ${timings.scenarioDeadlineSeconds} s\n`,
  );

  const stateRoot = process.env.CHAOS_STATE_DIR?.trim() || tmpdir();
  await mkdir(stateRoot, { recursive: true });
  const keep = process.env.CHAOS_KEEP_STATE === '1';
  const reports: ScenarioReport[] = [];
  const runOne = async (scenario: Scenario): Promise<void> => {
    const stateDir = await mkdtemp(join(stateRoot, `bc-agent-chaos-${scenario.name}-`));
    const logFile = join(stateDir, 'cloud.log');
    let cloud: ChildCloud | undefined;
    let report: ScenarioReport;
    try {
      await seedStateDir(stateDir, assemblyDir);
      cloud = await ChildCloud.start(stateDir, logFile);
      report = await runScenario(scenario, cloud, timings);
    } catch (error) {
      report = { name: scenario.name, seconds: 0, notes: [], orphans: 0, stuck: 0, lost: 0, failures: [`the local cloud did not start: ${(error as Error).message}`] };
    } finally {
      await cloud?.stop();
    }
    reports.push(report);
    if (!passed(report) || keep) report.notes.push(`state and the cloud's log kept in ${stateDir}`);
    else await rm(stateDir, { recursive: true, force: true });
    process.stdout.write(`${formatReport(report).join('\n')}\n`);
  };
  const inSequence = async (scenarios: Scenario[]): Promise<void> => {
    for (const scenario of scenarios) await runOne(scenario);
  };
  // The crash scenario mostly waits out its deadline on a cloud of its own: by default it runs beside the others.
  const parallel = process.env.CHAOS_PARALLEL !== '0';
  const beside = parallel ? selected.filter((s) => s.needsRestart) : [];
  await Promise.all([inSequence(selected.filter((s) => !beside.includes(s))), inSequence(beside)]);
  process.stdout.write(`chaos: ran in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
  process.stdout.write(`${summaryLine(reports)}\n`);
  return reports.every(passed) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`chaos: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
