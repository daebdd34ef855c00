// The operations page in a real browser (Chromium via playwright-core) on the whole local cloud: plans run
// (some fail while BC is down, which opens the breaker), the analytics consumer's EMF output becomes CloudWatch
// metrics in the local endpoint, and an operator sees them drawn: every plot has points, and each plot's canvas
// holds its series' colour. The screenshot goes to .local/screenshots/ beside the console's others.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/cloud/synth.js';
import type { OperationsMetrics } from '../../functions/core/operations-metrics/index.js';
import { Chat } from '../support/chat.js';
import { describeInChromium } from '../support/chromium.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';

const SCREENSHOTS = join(PROJECT_ROOT, '.local', 'screenshots');
const UI_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 5 * UI_TIMEOUT_MS;

/** The colours the page draws each group's first series in (web/src/views/operations.tsx). */
const SERIES_RGB = { plans: [0x1f, 0x8a, 0x4c], taskDuration: [0x21, 0x60, 0xc4], bcLatency: [0x21, 0x60, 0xc4], breaker: [0xc0, 0x39, 0x2b] } as const;

interface PlotCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

describeInChromium('operations page', (world) => {
  let cloud: TestCloud;
  let browser: Browser;
  beforeAll(async () => {
    ({ cloud, browser } = world());
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  const metrics = async (token: string): Promise<OperationsMetrics> => {
    const response = await fetch(`${cloud.urls.api}/v1/metrics?period=60`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    return (await response.json()) as OperationsMetrics;
  };
  const total = (m: OperationsMetrics, id: string) => m.series.find((s) => s.id === id)!.values.reduce<number>((sum, v) => sum + (v ?? 0), 0);

  /** A page signed in as `sub` with `roles` (the console keeps who is signed in in sessionStorage, per tab). */
  async function signedIn(sub: string, roles: string[]): Promise<Page> {
    const token = await cloud.token({ sub, tenant: 'local', roles });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    await context.addInitScript((user) => sessionStorage.setItem('bc-agent.signed-in', JSON.stringify(user)), { token, sub, tenant: 'local', roles });
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(cloud.urls.console!);
    await expect.poll(() => page.getByLabel('signed in as').textContent(), { timeout: UI_TIMEOUT_MS }).toContain(`${sub} @ local`);
    return page;
  }

  it('draws plans by outcome, task duration, BC latency and the breaker from the metrics the plans produced', async () => {
    const operatorToken = await cloud.token({ sub: 'olga', tenant: 'local', roles: ['operator'] });
    // Not an operator: no metrics, and no Operations link.
    const userToken = await cloud.token({ sub: 'alice', tenant: 'local' });
    expect((await fetch(`${cloud.urls.api}/v1/metrics`, { headers: { authorization: `Bearer ${userToken}` } })).status).toBe(403);

    const chat = new Chat(cloud, userToken);
    for (const text of ['count customers', 'list customers top 3', 'count items']) expect((await chat.ask(text, undefined, UI_TIMEOUT_MS)).status).toBe('succeeded');
    // BC down for items: both plans fail after their retries, and the failures open the breaker (5 in a minute).
    const fault = await fetch(`${cloud.sandbox.url}/_admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ entitySet: 'items', status: 503 }) });
    expect(fault.status).toBe(201);
    const failing = await Promise.all([new Chat(cloud, userToken), new Chat(cloud, userToken)].map((c) => c.ask('count items', ['failed', 'succeeded'], UI_TIMEOUT_MS)));
    expect(failing.map((p) => p.status)).toEqual(['failed', 'failed']);
    await fetch(`${cloud.sandbox.url}/_admin/faults`, { method: 'DELETE' });

    // The analytics consumer runs after the events: wait until the metrics say what happened.
    const seen = await eventually('the plans in the metrics', async () => {
      const m = await metrics(operatorToken);
      return total(m, 'plans_succeeded') >= 3 && total(m, 'plans_failed') >= 2 && m.series.find((s) => s.id === 'breaker')!.values.includes(2) ? m : undefined;
    }, UI_TIMEOUT_MS);
    expect(seen.series.find((s) => s.id === 'task_query_p95')!.values.some((v) => v !== null && v > 0)).toBe(true);
    expect(seen.series.find((s) => s.id === 'bc_success_p50')!.values.some((v) => v !== null && v > 0)).toBe(true);
    expect(seen.series.find((s) => s.id === 'bc_error_p95')!.values.some((v) => v !== null)).toBe(true);

    const plain = await signedIn('alice', []);
    expect(await plain.getByRole('link', { name: 'Operations' }).count()).toBe(0);

    const page = await signedIn('olga', ['operator']);
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByRole('region', { name: 'Operations' }).waitFor();
    for (const group of Object.keys(SERIES_RGB)) {
      await expect.poll(() => page.locator(`figure[data-group="${group}"]`).getAttribute('data-points'), { timeout: UI_TIMEOUT_MS }).not.toBe('0');
      await page.locator(`figure[data-group="${group}"] canvas`).waitFor();
    }
    // Each plot's canvas holds pixels of its first series' colour: the series are drawn, not only the axes (a
    // series with one datapoint in the window is one 7-pixel point, ≈ 30 pixels).
    const drawn = await page.evaluate((colours) => {
      const counts: Record<string, number> = {};
      for (const [group, [r, g, b]] of Object.entries(colours)) {
        // The test's TypeScript has no DOM types: the page's document, typed as far as it is used.
        const { document } = globalThis as unknown as { document: { querySelector(selector: string): PlotCanvas } };
        const canvas = document.querySelector(`figure[data-group="${group}"] canvas`);
        const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
        let n = 0;
        for (let i = 0; i < data.length; i += 4) {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - r) < 24 && Math.abs(data[i + 1]! - g) < 24 && Math.abs(data[i + 2]! - b) < 24) n += 1;
        }
        counts[group] = n;
      }
      return counts;
    }, SERIES_RGB);
    for (const group of Object.keys(SERIES_RGB)) expect(drawn[group], `${group} plot has its series drawn`).toBeGreaterThan(12);
    // The legend names the series (uPlot's legend), so a reader knows which line is which.
    expect(await page.locator('figure[data-group="plans"] .u-legend').textContent()).toContain('succeeded');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-operations.png'), fullPage: true });

    // Back to the chat, and the page stays the same app (hash navigation).
    await page.getByRole('link', { name: 'Chat' }).click();
    await page.getByLabel('message', { exact: true }).waitFor();
    expect(await page.getByRole('region', { name: 'Operations' }).count()).toBe(0);
  }, TEST_TIMEOUT_MS);
});
