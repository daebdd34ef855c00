// The web console in a real browser (Chromium driven by playwright-core) against the whole local cloud: a
// requester signs in (with a dev token, or through the local issuer's OIDC sign-in: code + PKCE), asks, and
// watches the answer arrive without a reload; a write waits on the requester's page until an approver, signed
// in in a second browser context, grants it (or denies it), and the requester's page follows; a plan waiting
// for approval is cancelled from the console and nothing reaches BC; a plan's timeline tells its story.
// Screenshots go to .local/screenshots/ for review.
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it, onTestFailed } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { PROJECT_ROOT } from '../../local/cloud/synth.js';
import { describeInChromium } from '../support/chromium.js';
import { eventually, type TestCloud } from '../support/local-cloud.js';

const SCREENSHOTS = join(PROJECT_ROOT, '.local', 'screenshots');
/**
 * Long enough for the functions' cold starts while the rest of the suite shares two cores (a first plan has
 * taken 40 s there); every wait ends as soon as the page shows what it waits for.
 */
const UI_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 4 * UI_TIMEOUT_MS;
/** Re-reads the page until the expectation holds (expect.poll's own default gives up after 1 s). */
const poll = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: UI_TIMEOUT_MS, interval: 100 });

describeInChromium('web console', (world) => {
  let cloud: TestCloud;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    ({ cloud, browser } = world());
    await mkdir(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
  });

  async function signIn(sub: string, options: { approver?: boolean; prepare?(context: BrowserContext): Promise<unknown> } = {}): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    await options.prepare?.(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    // What the page showed when a test failed, for whoever reads the failure.
    onTestFailed(async ({ task }) => {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-${task.name.slice(0, 40).replace(/\W+/g, '-')}-${sub}.png`), fullPage: true }).catch(() => undefined);
    });
    await page.goto(cloud.urls.console!);
    await page.getByLabel('User', { exact: true }).fill(sub);
    await page.getByLabel('Tenant', { exact: true }).fill('local');
    if (options.approver) await page.getByLabel('approver', { exact: true }).check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await poll(() => page.getByLabel('signed in as').textContent()).toContain(`${sub} @ local`);
    return page;
  }

  async function send(page: Page, text: string) {
    const earlier = await page.locator('article.plan').count();
    await page.getByLabel('message', { exact: true }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
    const plan = page.locator('article.plan').nth(earlier);
    await plan.waitFor();
    return plan;
  }

  async function bcCustomers(displayName: string): Promise<unknown[]> {
    const { sandbox } = cloud;
    const filter = encodeURIComponent(`displayName eq '${displayName}'`);
    const response = await fetch(`${sandbox.apiUrl}/companies(${sandbox.companyIds()[0]})/customers?$filter=${filter}`, {
      headers: { authorization: `Bearer ${await sandbox.getToken()}` },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { value: unknown[] }).value;
  }

  it('serves the console and its configuration on the API port, and refuses a bad sign-in with a clear error', async () => {
    const config = (await (await fetch(`${cloud.urls.api}/config.json`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({ apiUrl: '', issuer: cloud.jwtConfig.issuer, devTokens: true });
    const context = await browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    await page.goto(cloud.urls.console!);
    await poll(() => page.getByLabel('Issuer').textContent()).toContain(cloud.jwtConfig.issuer);
    await page.getByLabel('User', { exact: true }).fill('not a user name!');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('sub: letters, digits');
    expect(await page.getByLabel('message', { exact: true }).count()).toBe(0);
  }, TEST_TIMEOUT_MS);

  it('a token the API refuses (expired, or not its issuer\'s) ends the sign-in with a message instead of failing every request', async () => {
    const page = await signIn('pat');
    // The tab's token is replaced by one signed with another key: the API answers 401 from now on.
    await page.evaluate(() => {
      const stored = JSON.parse(sessionStorage.getItem('bc-agent.signed-in')!) as { token: string };
      const [header, payload] = stored.token.split('.');
      sessionStorage.setItem('bc-agent.signed-in', JSON.stringify({ ...stored, token: `${header}.${payload}.${'A'.repeat(342)}` }));
    });
    await page.reload();
    await poll(() => page.getByRole('alert').textContent()).toContain('The API no longer accepts your sign-in');
    expect(await page.getByLabel('message', { exact: true }).count()).toBe(0);
    expect(await page.evaluate(() => sessionStorage.getItem('bc-agent.signed-in'))).toBeNull();
  }, TEST_TIMEOUT_MS);

  it('answers `count customers` in place: the task lights up and the answer appears without a reload', async () => {
    const page = await signIn('alice');
    // A marker on the window survives only if the page is never reloaded or navigated away.
    await page.evaluate(() => ((globalThis as unknown as { consoleMarker: string }).consoleMarker = 'same page'));
    const plan = await send(page, 'count customers');
    await plan.locator('.answer').waitFor();
    await poll(() => plan.getAttribute('data-status')).toBe('succeeded');
    expect(await plan.locator('.task[data-task-id="t1"]').getAttribute('data-status')).toBe('succeeded');

    // The page shows exactly what the API says for the plan.
    const planId = (await plan.getAttribute('data-plan-id'))!;
    const token = await cloud.token({ sub: 'alice', tenant: 'local' });
    const stored = (await (await fetch(`${cloud.urls.api}/v1/plans/${planId}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      response: string;
      tasks: Array<{ result: { count: number } }>;
    };
    expect((await plan.locator('.answer').textContent())?.trim()).toBe(stored.response.trim());
    expect(stored.response).toContain(String(stored.tasks[0]!.result.count));
    expect(await page.evaluate(() => (globalThis as unknown as { consoleMarker?: string }).consoleMarker)).toBe('same page');

    const table = await send(page, 'list customers top 3');
    await poll(() => table.getAttribute('data-status')).toBe('succeeded');
    // The answer's Markdown table is a table, and every field of the rows is one click away.
    await poll(() => table.locator('.answer table tbody tr').count()).toBe(3);
    expect(await table.locator('.answer table thead th').allTextContents()).toContain('displayName');
    expect(await table.locator('details.rows table tbody tr').count()).toBe(3);
    // A count's placeholder record is not shown as rows.
    expect(await plan.locator('details.rows').count()).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-chat.png'), fullPage: true });

    // The plan's timeline, from its card: the audit story from planning to the answer, the task named.
    await plan.getByRole('button', { name: 'Timeline' }).click();
    const timeline = plan.getByLabel('timeline');
    await poll(() => timeline.locator('li[data-event="agent:completed"]').count()).toBe(1);
    const names = await timeline.locator('li').evaluateAll((items) => items.map((item) => item.getAttribute('data-event')));
    expect(names.indexOf('agent:started')).toBeGreaterThanOrEqual(0);
    expect(names.indexOf('task:completed')).toBeGreaterThan(names.indexOf('task:created'));
    expect(names.indexOf('agent:completed')).toBeGreaterThan(names.indexOf('task:completed'));
    expect(await timeline.locator('li[data-event="task:completed"] .event-task').textContent()).toBe('t1');
    expect(await timeline.locator('li[data-event="agent:completed"] .event-text').textContent()).toContain('plan succeeded');
    expect(await timeline.locator('li time').first().textContent()).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);
    await plan.screenshot({ path: join(SCREENSHOTS, 'console-timeline.png') });
    await plan.getByRole('button', { name: 'Hide timeline' }).click();
    // A finished plan offers no cancel.
    expect(await plan.getByRole('button', { name: 'Cancel plan' }).count()).toBe(0);

    // A reload keeps the conversation: both messages come back with their answers, read from the session.
    await page.reload();
    await poll(() => page.locator('article.plan[data-status="succeeded"]').count()).toBe(2);
    expect(await page.locator('.you').allTextContents()).toEqual(['count customers', 'list customers top 3']);
    expect((await page.locator('article.plan').first().locator('.answer').textContent())?.trim()).toBe(stored.response.trim());
  }, TEST_TIMEOUT_MS);

  it('a write waits on the requester\'s page until an approver grants it in another browser; then the requester\'s page shows it done', async () => {
    // Markup in data is shown as text, never run: the name carries an image whose error handler would set a flag.
    const displayName = `Granted <img src=x onerror=pwned=1> ${Date.now()}`;
    const requester = await signIn('carol');
    const plan = await send(requester, `create customer displayName='${displayName}'`);
    const waiting = plan.getByLabel('waiting for approval');
    await waiting.waitFor();
    await poll(() => plan.getAttribute('data-status')).toBe('awaiting_approval');
    expect(await bcCustomers(displayName)).toHaveLength(0);
    // The requester's own card: who it waits for, the approval's summary, id and a countdown to its expiry
    // (the task's statusReason), without a reload.
    expect(await waiting.locator('h3').textContent()).toBe('Waiting for approval by an approver');
    await poll(() => waiting.locator('.expiry').textContent()).toMatch(/^expires in \d+ (min|s)$/);
    expect(await waiting.textContent()).toContain(displayName);
    const waitingApprovalId = await waiting.getAttribute('data-approval-id');
    expect(waitingApprovalId).toBeTruthy();
    await requester.screenshot({ path: join(SCREENSHOTS, 'console-requester-waiting.png'), fullPage: true });

    const approver = await signIn('dave', { approver: true });
    const planId = (await plan.getAttribute('data-plan-id'))!;
    const card = approver.locator('article.approval', { hasText: displayName });
    await card.waitFor();
    expect(await card.textContent()).toContain('carol');
    expect(await card.textContent()).toContain(planId);
    // The requester's card and the approver's name the same approval.
    expect(await card.getAttribute('data-approval-id')).toBe(waitingApprovalId);
    expect(await card.locator('.expiry').textContent()).toMatch(/expires in \d+ (min|s)/);
    expect(await card.locator('h3').textContent()).toContain('<img src=x onerror=pwned=1>');
    expect(await approver.locator('img').count()).toBe(0);
    await approver.screenshot({ path: join(SCREENSHOTS, 'console-approval-card.png'), fullPage: true });
    await card.getByRole('button', { name: 'Grant' }).click();
    await approver.getByText(/approval .+: granted/).waitFor();

    // The requester's page follows on its own: the waiting card goes, the plan succeeds, BC has the customer.
    await poll(() => plan.getAttribute('data-status')).toBe('succeeded');
    await waiting.waitFor({ state: 'detached' });
    expect(await bcCustomers(displayName)).toHaveLength(1);
    for (const page of [requester, approver]) expect(await page.evaluate(() => (globalThis as { pwned?: unknown }).pwned)).toBeUndefined();
    await requester.screenshot({ path: join(SCREENSHOTS, 'console-requester-granted.png'), fullPage: true });
  }, TEST_TIMEOUT_MS);

  it('a denied write ends the requester\'s plan without writing to BC', async () => {
    const displayName = `Console Denied ${Date.now()}`;
    const requester = await signIn('erin');
    const plan = await send(requester, `create customer displayName='${displayName}'`);
    await plan.getByLabel('waiting for approval').waitFor();

    const approver = await signIn('frank', { approver: true });
    const card = approver.locator('article.approval', { hasText: displayName });
    await card.getByPlaceholder('reason (optional)').fill('not this one');
    await card.getByRole('button', { name: 'Deny' }).click();
    await approver.getByText(/approval .+: denied/).waitFor();

    await poll(() => plan.getAttribute('data-status')).toMatch(/^(failed|cancelled)$/);
    expect(await plan.getByLabel('waiting for approval').count()).toBe(0);
    expect(await bcCustomers(displayName)).toHaveLength(0);
  }, TEST_TIMEOUT_MS);

  it('a plan waiting for approval is cancelled from the requester\'s console: the approval closes for the approver, the card says cancelled, and BC is untouched', async () => {
    const displayName = `Console Cancelled ${Date.now()}`;
    const before = cloud.sandbox.snapshot();
    // The requester's page runs on a clock the test can move, to watch the countdown without waiting minutes.
    const requester = await signIn('kim', { prepare: (context) => context.clock.install() });
    const plan = await send(requester, `create customer displayName='${displayName}'`);
    const waiting = plan.getByLabel('waiting for approval');
    await waiting.waitFor();
    const approvalId = (await waiting.getAttribute('data-approval-id'))!;
    expect(approvalId).toBeTruthy();
    // The requester's card counts down on its own.
    await poll(() => waiting.locator('.expiry').textContent()).toMatch(/^expires in \d+ min$/);
    const minutesOnCard = async () => Number(/^expires in (\d+) min$/.exec((await waiting.locator('.expiry').textContent()) ?? '')?.[1] ?? NaN);
    const minutesLeft = await minutesOnCard();
    await requester.clock.fastForward('03:00');
    // Three minutes later on the page's clock (a fourth when real time crossed a rounding boundary meanwhile).
    await poll(minutesOnCard).toBeLessThanOrEqual(minutesLeft - 3);
    expect(await minutesOnCard()).toBeGreaterThanOrEqual(minutesLeft - 4);

    const approver = await signIn('leo', { approver: true });
    const card = approver.locator(`article.approval[data-approval-id="${approvalId}"]`);
    await card.waitFor();

    await plan.getByRole('button', { name: 'Cancel plan' }).click();
    await poll(() => plan.getAttribute('data-status')).toBe('cancelled');
    const cancelled = plan.getByLabel('cancelled');
    await cancelled.waitFor();
    expect(await cancelled.locator('h3').textContent()).toBe('Cancelled by kim');
    expect(await cancelled.textContent()).toContain(`approval closed: ${approvalId}`);
    await waiting.waitFor({ state: 'detached' });
    expect(await plan.locator('.task[data-task-id="t1"]').getAttribute('data-status')).toBe('cancelled');
    expect(await plan.getByRole('button', { name: 'Cancel plan' }).count()).toBe(0);

    // The approver's list drops it on its next refresh; a grant sent anyway (an API client) is refused.
    await card.waitFor({ state: 'detached' });
    const approverToken = await cloud.token({ sub: 'leo', tenant: 'local', roles: ['approver'] });
    const lateGrant = await fetch(`${cloud.urls.api}/v1/approvals/${approvalId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'grant' }),
    });
    expect(lateGrant.status).toBe(409);
    await approver.screenshot({ path: join(SCREENSHOTS, 'console-approver-after-cancel.png'), fullPage: true });

    // The timeline tells it: requested, closed, the plan cancelled.
    await plan.getByRole('button', { name: 'Timeline' }).click();
    const timeline = plan.getByLabel('timeline');
    await poll(() => timeline.locator('li[data-event="agent:completed"]').count()).toBe(1);
    expect(await timeline.locator('li[data-event="approval:requested"] .event-text').textContent()).toContain('approval requested by kim');
    expect(await timeline.locator('li[data-event="approval:closed"]').count()).toBe(1);
    expect(await timeline.locator('li[data-event="agent:completed"] .event-text').textContent()).toContain('plan cancelled');
    await requester.screenshot({ path: join(SCREENSHOTS, 'console-cancelled.png'), fullPage: true });

    // Nothing was written to BC: the sandbox's whole data set is as before the message.
    expect(await bcCustomers(displayName)).toHaveLength(0);
    expect(cloud.sandbox.snapshot()).toBe(before);
  }, TEST_TIMEOUT_MS);

  it('signs in through the issuer (OIDC authorization code + PKCE on the local issuer\'s pick-a-user page) and sends a message', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    const tokenRequests: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/_local/oidc/token')) tokenRequests.push(request.postData() ?? '');
    });

    // First, an exchange whose PKCE verifier was tampered with on the way: the issuer refuses it, the console
    // says so and stays signed out, and the code has left the address bar.
    await context.route('**/_local/oidc/token', async (route) => {
      const form = new URLSearchParams(route.request().postData() ?? '');
      form.set('code_verifier', 'x'.repeat(43));
      await route.continue({ postData: form.toString() });
    });
    await page.goto(cloud.urls.console!);
    await page.getByRole('button', { name: 'Sign in with your identity provider' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await poll(() => page.getByRole('alert').textContent()).toContain('code_verifier does not match the code_challenge');
    expect(await page.getByLabel('signed in as').count()).toBe(0);
    expect(new URL(page.url()).search).toBe('');
    await context.unroute('**/_local/oidc/token');
    tokenRequests.length = 0;

    await page.getByRole('button', { name: 'Sign in with your identity provider' }).click();
    await page.waitForURL(/\/_local\/oidc\/authorize\?/);
    const authorizeUrl = new URL(page.url());
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('client_id')).toBe('bc-agent-console');
    await page.getByLabel('User', { exact: true }).fill('oscar');
    await page.getByLabel('Tenant', { exact: true }).fill('local');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-oidc-sign-in.png'), fullPage: true });
    await page.getByRole('button', { name: 'Continue' }).click();

    await poll(() => page.getByLabel('signed in as').textContent()).toContain('oscar @ local');
    // The code went back with its PKCE verifier, and left the address bar.
    expect(tokenRequests).toHaveLength(1);
    expect(new URLSearchParams(tokenRequests[0]).get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
    expect(new URL(page.url()).search).toBe('');

    const plan = await send(page, 'count customers');
    await poll(() => plan.getAttribute('data-status')).toBe('succeeded');
    await plan.locator('.answer').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-oidc-chat.png'), fullPage: true });
    // The session is oscar's: the API read the subject from the issuer's access token.
    const sessionId = await page.evaluate(() => sessionStorage.getItem('bc-agent.session'));
    const token = await cloud.token({ sub: 'oscar', tenant: 'local' });
    const sessions = (await (await fetch(`${cloud.urls.api}/v1/sessions`, { headers: { authorization: `Bearer ${token}` } })).json()) as { sessions: Array<{ sessionId: string }> };
    expect(sessions.sessions.map((session) => session.sessionId)).toContain(sessionId);
  }, TEST_TIMEOUT_MS);

  it('a cancel that comes too late (the plan ended meanwhile) is told on the card, and the card catches up', async () => {
    const displayName = `Console Late Cancel ${Date.now()}`;
    const requester = await signIn('nina');
    const plan = await send(requester, `create customer displayName='${displayName}'`);
    const waiting = plan.getByLabel('waiting for approval');
    await waiting.waitFor();
    const approvalId = (await waiting.getAttribute('data-approval-id'))!;
    const planId = (await plan.getAttribute('data-plan-id'))!;
    // The page stops seeing the plan change while an approver denies it through the API and the plan ends.
    let frozen = true;
    await requester.context().route(`**/v1/plans/${planId}`, (route) => (frozen && route.request().method() === 'GET' ? route.abort() : route.fallback()));
    const approverToken = await cloud.token({ sub: 'omar', tenant: 'local', roles: ['approver'] });
    const denied = await fetch(`${cloud.urls.api}/v1/approvals/${approvalId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'deny' }),
    });
    expect(denied.status).toBe(200);
    const requesterToken = await cloud.token({ sub: 'nina', tenant: 'local' });
    await eventually('the plan to end', async () => {
      const response = await fetch(`${cloud.urls.api}/v1/plans/${planId}`, { headers: { authorization: `Bearer ${requesterToken}` } });
      return ['failed', 'cancelled'].includes(((await response.json()) as { status: string }).status) ? true : undefined;
    }, UI_TIMEOUT_MS);
    expect(await plan.getAttribute('data-status')).toBe('awaiting_approval');

    // Cancelled while the page still shows the plan waiting (only its reads are held back, not the DELETE): once
    // the page sees the plan again, its poll would take the button away before a click could land.
    await plan.getByRole('button', { name: 'Cancel plan' }).click();
    await poll(() => plan.getByRole('alert').first().textContent()).toContain('could not cancel');
    expect(await plan.getByRole('alert').first().textContent()).toMatch(/ended|PlanEnded/i);
    frozen = false;
    await poll(() => plan.getAttribute('data-status')).toMatch(/^(failed|cancelled)$/);
    expect(await plan.getByRole('button', { name: 'Cancel plan' }).count()).toBe(0);
    expect(await bcCustomers(displayName)).toHaveLength(0);
  }, TEST_TIMEOUT_MS);

  it('an approver who decides an approval someone else has just granted is told so on the card, and BC is written once', async () => {
    const displayName = `Console Raced ${Date.now()}`;
    const requester = await signIn('ivan');
    const plan = await send(requester, `create customer displayName='${displayName}'`);
    await plan.getByLabel('waiting for approval').waitFor();

    const late = await signIn('judy', { approver: true });
    const card = late.locator('article.approval', { hasText: displayName });
    await card.waitFor();
    // The late approver's list stops refreshing (it keeps showing the card) while another approver grants.
    await late.context().route('**/v1/approvals?status=pending*', (route) => route.abort());
    const approvalId = (await card.getAttribute('data-approval-id'))!;
    const otherToken = await cloud.token({ sub: 'mallory', tenant: 'local', roles: ['approver'] });
    const granted = await fetch(`${cloud.urls.api}/v1/approvals/${approvalId}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${otherToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'grant' }),
    });
    expect(granted.status).toBe(200);

    await card.getByRole('button', { name: 'Deny' }).click();
    await poll(() => card.getByRole('alert').textContent()).toContain(`approval ${approvalId} is already granted`);
    await late.screenshot({ path: join(SCREENSHOTS, 'console-approval-conflict.png'), fullPage: true });
    await poll(() => plan.getAttribute('data-status')).toBe('succeeded');
    expect(await bcCustomers(displayName)).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  it('with a wsUrl in config.json, subscribes to its session with its token, refetches a plan when an event about it is pushed, and resubscribes after a drop', async () => {
    // A WebSocket endpoint speaking the push contract (README, "Web console"): what the console sends, and pushes on demand.
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/live`;
    const subscriptions: Array<{ token: string | null; message: unknown; socket: WebSocket }> = [];
    /** What the endpoint answers a subscribe with: how long until pushes are sure to reach the connection. */
    const liveInMs = [0, 4000];
    server.on('connection', (socket, request) => {
      const token = new URL(request.url ?? '/', wsUrl).searchParams.get('token');
      socket.once('message', (data) => {
        const message = JSON.parse(String(data)) as { sessionId: string };
        const wait = liveInMs[subscriptions.length] ?? 0;
        subscriptions.push({ token, message, socket });
        socket.send(JSON.stringify({ type: 'subscribed', sessionId: message.sessionId, liveFrom: new Date(Date.now() + wait).toISOString(), liveInMs: wait }));
      });
    });
    try {
      const page = await signIn('grace', {
        // This context's config names the endpoint, and its safety-net polling is an hour: after the first
        // fetch, only a pushed event can make the page look at the plan again.
        prepare: (context) =>
          context.route('**/config.json', async (route) => {
            const response = await route.fetch();
            await route.fulfill({ response, json: { ...((await response.json()) as object), wsUrl, pushPollMs: 3_600_000 } });
          }),
      });
      const first = await eventually('the console to subscribe', async () => subscriptions[0]);
      const { token, sessionId } = await page.evaluate(() => ({
        token: (JSON.parse(sessionStorage.getItem('bc-agent.signed-in')!) as { token: string }).token,
        sessionId: sessionStorage.getItem('bc-agent.session'),
      }));
      expect(first.token).toBe(token);
      expect(first.message).toEqual({ action: 'subscribe', sessionId });
      await poll(() => page.locator('.live').textContent()).toBe('push open');

      const displayName = `Console Pushed ${Date.now()}`;
      const plan = await send(page, `create customer displayName='${displayName}'`);
      const planId = (await plan.getAttribute('data-plan-id'))!;
      const approverToken = await cloud.token({ sub: 'heidi', tenant: 'local', roles: ['approver'] });
      const pending = await eventually('the approval', async () => {
        const response = await fetch(`${cloud.urls.api}/v1/approvals?status=pending`, { headers: { authorization: `Bearer ${approverToken}` } });
        return ((await response.json()) as { approvals: Array<{ approvalId: string; planId: string }> }).approvals.find((a) => a.planId === planId);
      });
      const granted = await fetch(`${cloud.urls.api}/v1/approvals/${pending.approvalId}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${approverToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ decision: 'grant' }),
      });
      expect(granted.status).toBe(200);
      const aliceToken = token;
      await eventually('the plan to succeed', async () => {
        const response = await fetch(`${cloud.urls.api}/v1/plans/${planId}`, { headers: { authorization: `Bearer ${aliceToken}` } });
        return ((await response.json()) as { status: string }).status === 'succeeded' ? true : undefined;
      }, UI_TIMEOUT_MS);
      // Done in the API, not on the page: nothing has told it yet.
      expect(await plan.getAttribute('data-status')).not.toBe('succeeded');

      // An event of another session is not this page's business; one about this plan makes it look.
      const event = (session: string) => JSON.stringify({ type: 'event', detailType: 'task:completed', sessionId: session, planId, taskId: 't1', time: new Date().toISOString(), detail: {} });
      first.socket.send(event('someone-else'));
      first.socket.send(event(sessionId!));
      await poll(() => plan.getAttribute('data-status')).toBe('succeeded');
      await page.screenshot({ path: join(SCREENSHOTS, 'console-push.png'), fullPage: true });

      // A dropped connection is made again, subscribed to the same session.
      first.socket.terminate();
      const second = await eventually('the console to subscribe again', async () => subscriptions[1]);
      expect(second.message).toEqual({ action: 'subscribe', sessionId });
      // This answer says pushes may miss the session for 4 s (the notifier's subscriber window): until then the
      // console polls at its fast rate, so a plan that ends unpushed inside the window still shows its answer.
      await poll(() => page.locator('.live').textContent()).toBe('push catching-up');
      const caughtUp = await send(page, 'count customers');
      await poll(() => caughtUp.getAttribute('data-status')).toBe('succeeded');
      await poll(() => page.locator('.live').textContent()).toBe('push open');
    } finally {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    }
  }, TEST_TIMEOUT_MS);
});
