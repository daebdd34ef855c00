// The same scenarios through the Claude planner: the real @anthropic-ai/sdk in the functions talks to a local
// server that speaks the Messages API (ANTHROPIC_BASE_URL), which answers the planner with the plan tool call
// and the answer writer with text built from the data it was sent.
import { describe, expect, it } from 'vitest';
import { planToolCall, replyToolCall, textAnswer, type CapturedRequest, type FakeAnthropic } from '../support/fake-anthropic.js';
import type { TestCloud } from '../support/local-cloud.js';
import { Chat, sandboxGet, withClaudeAgentCloud } from '../support/chat.js';
import { eventually } from '../support/local-cloud.js';
import { call } from '../support/security.js';

let fake: FakeAnthropic;
let cloud: TestCloud;
let chat: Chat;
let vendorNumber: string;
let draftInvoice: { id: string; number: string; customerNumber: string; customerName: string };

const query = (id: string, description: string, args: Record<string, unknown>, dependsOn: string[] = []) => ({ id, type: 'query', description, tool: 'bc_query_entity', arguments: args, dependsOn });

/** What "Claude" plans for each message of these tests. */
function planFor(message: string) {
  if (message.includes('how many customers')) return { summary: 'Count customers', tasks: [query('t1', 'Count customers', { entity: 'customers', count: true, top: 1, select: ['id'] })] };
  if (message.includes('three vendors')) {
    return { summary: 'Three vendors after 10000', tasks: [query('t1', 'List vendors', { entity: 'vendors', filter: { field: 'number', op: 'gt', value: '10000' }, top: 3 })] };
  }
  if (message.includes('five customers and five vendors')) {
    return { summary: 'Five customers and five vendors', tasks: [query('t1', 'List customers', { entity: 'customers', top: 5 }), query('t2', 'List vendors', { entity: 'vendors', top: 5 })] };
  }
  if (message.includes('post the draft invoice')) {
    return {
      summary: 'Post the draft sales invoice',
      tasks: [
        query('t1', 'Find the invoice', { entity: 'salesInvoices', filter: { field: 'number', op: 'eq', value: draftInvoice.number }, select: ['id'], top: 1 }),
        { id: 't2', type: 'write', description: 'Post it', tool: 'bc_post_document', dependsOn: ['t1'], arguments: { entity: 'salesInvoices', action: 'post', id: { $ref: 't1.result.value[0].id' } } },
      ],
    };
  }
  if (message.includes('balance')) {
    return {
      summary: 'Vendor and balance analysis',
      tasks: [
        query('t1', 'Get the vendor', { entity: 'vendors', filter: { field: 'number', op: 'eq', value: vendorNumber }, top: 1 }),
        { id: 't2', type: 'analysis', description: 'Analyze by balance', tool: 'analyze', dependsOn: ['t1'], arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' } },
      ],
    };
  }
  return undefined;
}

function respond(request: CapturedRequest) {
  const content = request.body.messages[0].content as string;
  if (Array.isArray(request.body.tools) && request.body.tools.length > 0) {
    const message = /<message>\n([\s\S]*)\n<\/message>/.exec(content)?.[1] ?? '';
    const plan = planFor(message);
    return plan ? planToolCall(plan) : replyToolCall('I work with Business Central data: ask me to count, list, analyse or validate records.');
  }
  // The writer: prose from the data it was given (tools are never offered to it).
  const data = JSON.parse(/<data>\n([\s\S]*)\n<\/data>/.exec(content)![1]!);
  if (data.statistics) return textAnswer(`Claude on ${data.entity}: the total ${data.statistics.by} is ${data.statistics.summary.sum}.`);
  return textAnswer(`Claude: ${data.deterministicSummary}`);
}

withClaudeAgentCloud({ apiKey: 'test-key', respond }, async (started, claude) => {
  cloud = started;
  fake = claude;
  chat = await Chat.open(cloud);
  vendorNumber = ((await sandboxGet(cloud, 'vendors?$top=1')).value as { number: string }[])[0]!.number;
  draftInvoice = (await sandboxGet(cloud, `salesInvoices?$filter=${encodeURIComponent("status eq 'Draft'")}`)).value[0];
});

describe('the agent, Claude planner', () => {
  it('answers a count with the sandbox true count, written by Claude from the data', async () => {
    const truth = await sandboxGet(cloud, 'customers/$count');
    const plan = await chat.ask('how many customers do we have?');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.tasks[0]!.result.count).toBe(truth);
    expect(plan.response).toBe(`Claude: There are ${truth} customers.`);
    const writerRequests = fake.requests.filter((r) => !r.body.tools);
    expect(writerRequests.length).toBeGreaterThan(0);
  });

  it('lists exactly the sandbox rows', async () => {
    const truth = (await sandboxGet(cloud, `vendors?$filter=${encodeURIComponent("number gt '10000'")}&$top=3`)).value;
    const plan = await chat.ask('show me three vendors after 10000');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.tasks[0]!.result.value).toEqual(truth);
  });

  it('runs independent tasks in one level', async () => {
    const plan = await chat.ask('five customers and five vendors please');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.tasks.map((t) => [t.dependsOn.length, t.result.value.length])).toEqual([[0, 5], [0, 5]]);
  });

  it('runs a sequence with the reference resolved, and Claude narrates the statistics', async () => {
    const plan = await chat.ask('that vendor, then its balance');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    const analysis = plan.tasks[1]!.result;
    expect(analysis).toMatchObject({ records: 1, narrator: 'claude', summary: { kind: 'numeric', count: 1 } });
    expect(analysis.text).toBe(`Claude on vendors: the total balance is ${analysis.summary.sum}.`);
  });

  it('plans a posting step whose approval names the document, and a denial posts nothing', async () => {
    const before = cloud.sandbox.snapshot();
    const plan = await chat.ask('please post the draft invoice', ['awaiting_approval', 'failed', 'succeeded'], 45_000);
    expect(plan.status, JSON.stringify(plan)).toBe('awaiting_approval');
    expect(plan.tasks[1]).toMatchObject({ tool: 'bc_post_document', status: 'awaiting_approval' });
    // The plan tool Claude was offered has the posting tool, from the same registry as the MCP server's.
    const planRequest = fake.requests.find((r) => Array.isArray(r.body.tools) && r.body.tools.length > 0)!;
    expect(JSON.stringify(planRequest.body.tools)).toContain('"const":"bc_post_document"');
    const approver = await cloud.token({ sub: 'carol', tenant: 'local', roles: ['approver'] });
    const approval = await eventually('the posting approval', async () => {
      const listed = await call(cloud, 'GET', '/v1/approvals?status=pending', { token: approver });
      return (listed.body.approvals as { approvalId: string; planId: string; summary: string }[]).find((a) => a.planId === plan.planId);
    });
    expect(approval.summary).toMatch(new RegExp(`^Post sales invoice ${draftInvoice.number} for customer ${draftInvoice.customerNumber} "${draftInvoice.customerName}" \\([\\d,]+\\.\\d\\d [A-Z]{3}\\): writes customer ledger and G/L entries`));
    expect((await call(cloud, 'POST', `/v1/approvals/${approval.approvalId}`, { token: approver, body: JSON.stringify({ decision: 'deny' }) })).status).toBe(200);
    expect((await chat.until(plan.planId, ['failed', 'succeeded'], 45_000)).status).toBe('failed');
    expect(cloud.sandbox.snapshot()).toBe(before);
  });

  it('answers nonsense with a helpful reply', async () => {
    const plan = await chat.ask('tell me a joke');
    expect(plan.status).toBe('succeeded');
    expect(plan.response).toContain('I work with Business Central data');
  });
});
