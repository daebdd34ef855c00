// The chaos campaign's harness (scripts/chaos) on the in-process test cloud: the time limits it reads from the
// synthesized template, its BC snapshot and diff (what a write changes, what a succeeded saga explains), and one
// cheap scenario end to end (BC answering 503 to everything). `npm run chaos` runs the whole campaign.
import { describe, expect, it } from 'vitest';
import { readAssembly } from '../../local/cloud/synth.js';
import { formatReport, runScenario, summaryLine } from '../../scripts/chaos/campaign.js';
import { diffSnapshots, SandboxClient, takeSnapshot, unexplained } from '../../scripts/chaos/bc.js';
import type { ChaosCloud } from '../../scripts/chaos/cloud.js';
import { bcUnavailable } from '../../scripts/chaos/scenarios/bc-unavailable.js';
import { timingsFrom, type ChaosTimings } from '../../scripts/chaos/timings.js';
import { withAgentCloud } from '../support/chat.js';
import { testAssemblyDir, type TestCloud } from '../support/local-cloud.js';

let cloud: TestCloud;
let timings: ChaosTimings;

withAgentCloud(async (started) => {
  cloud = started;
  timings = timingsFrom((await readAssembly(testAssemblyDir())).template, {});
});

/** A write straight to the sandbox (as if something outside the plans had done it). */
async function bcWrite(method: string, path: string, body?: unknown, etag?: string): Promise<any> {
  const response = await fetch(`${cloud.sandbox.apiUrl}/companies(${cloud.sandbox.companyIds()[0]})/${path}`, {
    method,
    headers: { authorization: `Bearer ${await cloud.sandbox.getToken()}`, 'content-type': 'application/json', ...(etag ? { 'if-match': etag } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
}

describe('the chaos harness', () => {
  it('reads its time limits from the synthesized template, and from the environment over it', () => {
    expect(timings).toMatchObject({ breakerOpenSeconds: 60, compensationRetrySeconds: 30, visibilityTimeoutSeconds: 360 });
    expect(timings.crashDeadlineSeconds).toBe(timings.sweeperPeriodSeconds + timings.visibilityTimeoutSeconds + timings.slackSeconds);
    const template = { Resources: {} } as never;
    expect(timingsFrom(template, { CHAOS_SWEEPER_PERIOD_SECONDS: '30', CHAOS_SLACK_SECONDS: '5' })).toMatchObject({ sweeperPeriodSeconds: 30, sweeperSource: 'CHAOS_SWEEPER_PERIOD_SECONDS' });
    expect(() => timingsFrom(template, { CHAOS_DEADLINE_SECONDS: 'soon' })).toThrow(/CHAOS_DEADLINE_SECONDS must be a number of seconds/);
  });

  it('finds every record a write added, changed or removed, and leaves out what a succeeded saga reports', async () => {
    const bc = new SandboxClient(cloud.urls.bc);
    const before = await takeSnapshot(bc);
    expect(before.records.size).toBeGreaterThan(100);
    expect(diffSnapshots(before, await takeSnapshot(bc))).toEqual([]);

    const customer = await bcWrite('POST', 'customers', { displayName: 'Chaos Harness Ltd' });
    const vendor = (await bcWrite('GET', 'vendors?$top=1')).value[0];
    await bcWrite('PATCH', `vendors(${vendor.id})`, { phoneNumber: '555-0199' }, vendor['@odata.etag']);
    const item = (await bcWrite('GET', `items?$filter=${encodeURIComponent("type eq 'Inventory'")}&$top=1`)).value[0];
    const order = await bcWrite('POST', 'purchaseOrders', { vendorNumber: vendor.number });
    await bcWrite('POST', `purchaseOrders(${order.id})/purchaseOrderLines`, { itemId: item.id, lineType: 'Item', quantity: 1 });

    const differences = diffSnapshots(before, await takeSnapshot(bc));
    const summary = differences.map((d) => `${d.kind} ${d.entitySet}${d.fields ? ` ${d.fields.join(',')}` : ''}`).sort();
    expect(summary).toContain('added customers');
    expect(summary).toContain('changed vendors phoneNumber');
    expect(summary).toContain('added purchaseOrders');
    expect(summary).toContain('added purchaseOrderLines');
    // The order and its line are what a succeeded saga would report; the customer and the vendor's phone are not.
    const orphans = unexplained(differences, [{ purchaseOrderId: order.id }]);
    expect(orphans.map((d) => `${d.kind} ${d.entitySet} ${d.id}`).sort()).toEqual(
      differences.filter((d) => d.entitySet !== 'purchaseOrders' && d.entitySet !== 'purchaseOrderLines').map((d) => `${d.kind} ${d.entitySet} ${d.id}`).sort(),
    );
    expect(orphans.some((d) => d.entitySet === 'customers' && d.id === customer.id)).toBe(true);
  });

  it('runs the BC-503 scenario: every plan fails with a readable error, nothing written, nothing stuck or lost', { timeout: 200_000 }, async () => {
    const chaosCloud: ChaosCloud = { urls: cloud.urls, token: (request) => cloud.token(request) };
    const report = await runScenario(bcUnavailable, chaosCloud, timings);
    expect(report, formatReport(report).join('\n')).toMatchObject({ orphans: 0, stuck: 0, lost: 0, failures: [] });
    expect(report.notes).toContain('plans: failed 3');
    expect(summaryLine([report])).toBe('chaos: 1 scenarios, 0 orphans, 0 stuck plans, 0 lost messages');
    expect(((await (await fetch(`${cloud.urls.bc}/_admin/faults`)).json()) as { value: unknown[] }).value).toEqual([]);
  });
});
