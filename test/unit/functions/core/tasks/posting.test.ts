// A posting task against the BC sandbox through the real MCP server and SDK client: the approval summary is read
// from the document, an unknown or already-posted document is refused before anyone is asked, and a post whose
// answer was lost is confirmed from the document's state, never posted twice.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../../../../local/bc-sandbox/index.js';
import { McpTransportError, toolErrorFromResult } from '../../../../../functions/core/mcp/index.js';
import { preparePosting } from '../../../../../functions/core/tasks/index.js';
import type { BcCaller, TaskExecutor } from '../../../../../functions/core/task-runtime/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { recordedClient } from '../../../../support/bc-client.js';
import { silentLogger } from '../../../../support/execution.js';
import { connectInMemory } from '../../../../support/mcp.js';
import { SandboxClient } from '../../../../support/sandbox-client.js';

let sandbox: BcSandbox;
let api: SandboxClient;
let client: Client;

beforeAll(async () => {
  sandbox = await startBcSandbox({ port: 0 });
  api = await SandboxClient.connect(sandbox);
  client = await connectInMemory({ bc: recordedClient(sandbox).client, writableEntitySets: new Set(['salesInvoices', 'purchaseOrders']) }, 'posting-task-test');
});
afterAll(async () => {
  await client?.close();
  await sandbox?.stop();
});
beforeEach(() => sandbox.reset());

type Loss = 'after the post' | 'before it arrived' | undefined;

/** The worker's BC caller over the SDK client; `lose` drops the first post's answer (after or instead of it). */
function caller(lose: Loss = undefined) {
  const posts: string[] = [];
  let lost = false;
  const bc: BcCaller = {
    calls: 0,
    async call<T>(tool: string, args: Record<string, unknown>): Promise<T> {
      const loseThis = tool === 'bc_post_document' && lose !== undefined && !lost;
      if (loseThis) lost = true;
      if (loseThis && lose === 'before it arrived') throw new McpTransportError('timeout', 'no answer within 30 s', undefined, { outcomeUnknown: true });
      if (tool === 'bc_post_document') posts.push(String(args.id));
      const result = (await client.callTool({ name: tool, arguments: args })) as CallToolResult;
      if (result.isError) throw toolErrorFromResult(tool, result);
      if (loseThis) throw new McpTransportError('timeout', 'no answer within 30 s', undefined, { outcomeUnknown: true });
      return result.structuredContent as T;
    },
  };
  const context = { bc: () => bc, logger: silentLogger() } as unknown as Parameters<TaskExecutor>[0];
  return { context, posts };
}

const rows = async (path: string) => (await api.get(api.company(path))).body.value as Record<string, any>[];
const draftInvoice = async () => (await rows(`salesInvoices?$filter=${encodeURIComponent("status eq 'Draft'")}`))[0]!;

describe('a posting task', () => {
  it('describes exactly what will be posted, from the document', async () => {
    const draft = await draftInvoice();
    const { context } = caller();
    const prepared = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id });
    expect(prepared.refusal).toBeUndefined();
    expect(prepared.summary).toMatch(new RegExp(`^Post sales invoice ${draft.number} for customer ${draft.customerNumber} "${draft.customerName}" \\(\\d[\\d,]*\\.\\d\\d (LCY|[A-Z]{3})\\): writes customer ledger`));
  });

  it('refuses an unknown or already-posted document before anyone is asked', async () => {
    const { context } = caller();
    const unknown = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: '00000000-0000-4000-8000-00000000abcd' });
    expect(unknown.refusal).toMatchObject({ code: 'NotFound' });
    const [posted] = await rows(`salesInvoices?$filter=${encodeURIComponent("status eq 'Open'")}&$top=1`);
    const again = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: posted!.id });
    expect(again.refusal).toMatchObject({ code: 'AlreadyPosted', message: `Sales invoice ${posted!.number} is already posted (status Open); nothing was posted.` });
    await expect(again.run()).rejects.toMatchObject({ code: 'AlreadyPosted' });
  });

  it('a post whose answer was lost is confirmed from the document, not posted again', async () => {
    const draft = await draftInvoice();
    const { context, posts } = caller('after the post');
    const prepared = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id });
    const result = (await prepared.run()) as Record<string, any>;
    expect(posts).toEqual([draft.id]);
    expect(result).toMatchObject({ confirmedAfterLostAnswer: true, documentNumber: draft.number, posted: { id: draft.id, status: 'Open' } });
    const now = (await api.get(api.company(`salesInvoices(${draft.id})`))).body;
    expect(result.posted.number).toBe(now.number);
  });

  it('an order posted before its answer was lost is found as its posted invoice', async () => {
    const [order] = await rows('purchaseOrders?$top=1');
    const { context, posts } = caller('after the post');
    const result = (await (await preparePosting(context, { entity: 'purchaseOrders', action: 'receiveAndInvoice', id: order!.id })).run()) as Record<string, any>;
    expect(posts).toHaveLength(1);
    const [invoice] = await rows(`purchaseInvoices?$filter=${encodeURIComponent(`orderNumber eq '${order!.number}'`)}`);
    expect(result).toMatchObject({ confirmedAfterLostAnswer: true, posted: { id: invoice!.id, number: invoice!.number } });
  });

  it('a post that never arrived is posted after checking that it has not happened', async () => {
    const draft = await draftInvoice();
    const { context, posts } = caller('before it arrived');
    const result = (await (await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id })).run()) as Record<string, any>;
    expect(posts).toEqual([draft.id]);
    expect(result.posted).toMatchObject({ id: draft.id, status: 'Open' });
    expect(result.confirmedAfterLostAnswer).toBeUndefined();
  });

  it('BC failing on the action posts nothing; the retry posts once', async () => {
    const draft = await draftInvoice();
    sandbox.addFault({ entitySet: 'salesInvoices', method: 'POST', status: 503, retryAfterSeconds: 0 });
    const { context, posts } = caller();
    const prepared = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id });
    const failure = await prepared.run().then(() => undefined, (error: unknown) => error);
    expect(failure).toMatchObject({ name: 'McpToolError', retryable: true });
    expect((await api.get(api.company(`salesInvoices(${draft.id})`))).body).toMatchObject({ status: 'Draft', number: draft.number });
    sandbox.clearFaults();
    // The queue's retry: the same task runs again and posts.
    const result = (await (await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id })).run()) as Record<string, any>;
    expect(result.posted).toMatchObject({ id: draft.id, status: 'Open' });
    expect(posts).toEqual([draft.id, draft.id]);
    expect((await rows(`salesInvoices?$filter=${encodeURIComponent(`id eq ${draft.id}`)}`))[0]).toMatchObject({ status: 'Open' });
  });

  it('an approved post whose attempt ended before its answer is confirmed by the next attempt, not failed or posted twice', async () => {
    const draft = await draftInvoice();
    const { context, posts } = caller();
    // Attempt 1: asked for approval with the document as read, then (approved) posted, and ended before recording it.
    const first = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id });
    await first.run();
    // Attempt 2 runs the operation the approval was asked for: the draft is posted by now.
    const next = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: draft.id }, first.arguments);
    expect(next.refusal).toBeUndefined();
    expect(next.arguments).toEqual(first.arguments);
    const result = (await next.run()) as Record<string, any>;
    expect(posts).toEqual([draft.id]);
    expect(result).toMatchObject({ confirmedPostedEarlier: true, documentNumber: draft.number, posted: { id: draft.id, status: 'Open' } });
  });

  it('an approved order received and invoiced by an earlier attempt is confirmed as its invoice (the order is gone)', async () => {
    const [order] = await rows('purchaseOrders?$top=1');
    const { context, posts } = caller();
    const first = await preparePosting(context, { entity: 'purchaseOrders', action: 'receiveAndInvoice', id: order!.id });
    await first.run();
    const result = (await (await preparePosting(context, { entity: 'purchaseOrders', action: 'receiveAndInvoice', id: order!.id }, first.arguments)).run()) as Record<string, any>;
    expect(posts).toHaveLength(1);
    const [invoice] = await rows(`purchaseInvoices?$filter=${encodeURIComponent(`orderNumber eq '${order!.number}'`)}`);
    expect(result).toMatchObject({ confirmedPostedEarlier: true, posted: { id: invoice!.id } });
  });

  it('an approved post of a document that is gone with nothing posted from it fails, saying so', async () => {
    const { context, posts } = caller();
    const approved = { entity: 'salesInvoices', action: 'post', id: '00000000-0000-4000-8000-00000000abcd', expected: { number: 'S-INV-GONE', totalAmountIncludingTax: 1 } };
    const next = await preparePosting(context, { entity: 'salesInvoices', action: 'post', id: approved.id }, approved);
    await expect(next.run()).rejects.toMatchObject({ code: 'NotFound', message: expect.stringMatching(/nothing was posted/) });
    expect(posts).toEqual([]);
  });
});
