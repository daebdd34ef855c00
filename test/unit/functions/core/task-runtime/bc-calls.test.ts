// How a task's BC calls carry the person under per-user access: each MCP call sends the requester's BC token in
// the x-bc-user-token header (never in the arguments or the events), the bc:operation events record whose rights
// were used and who approved; a grant that needs a new sign-in ends the task before anything is sent or announced;
// a token BC refuses is replaced once; without per-user access nothing changes.
import { describe, expect, it } from 'vitest';
import { createBcCaller, type UserTokenSource } from '../../../../../functions/core/task-runtime/bc-calls.js';
import { Outbox } from '../../../../../functions/core/task-runtime/outbox.js';
import { PermanentTaskError } from '../../../../../functions/core/task-runtime/index.js';
import { BcDelegationError } from '../../../../../functions/core/bc/index.js';
import { McpToolError, type CallOptions, type McpClient } from '../../../../../functions/core/mcp/index.js';
import { recordingBus } from '../../../../support/approvals.js';

const context = { tenantId: 'local', sessionId: 's-1', planId: 'p-1', correlationId: 'corr-00000001', causationId: 'c-1', taskId: 't1' };
const actor = { tenantId: 'local', userId: 'alice', approvedBy: 'bob' };

function recordingMcp(answer: (call: number, options?: CallOptions) => Promise<Record<string, unknown>>) {
  const calls: { tool: string; args: Record<string, unknown>; options?: CallOptions }[] = [];
  const mcp = {
    async callTool(tool: string, args: Record<string, unknown>, options?: CallOptions) {
      calls.push({ tool, args, ...(options ? { options } : {}) });
      return answer(calls.length, options);
    },
  } as unknown as McpClient;
  return { mcp, calls };
}

function tokens(issue: () => Promise<string>): UserTokenSource & { invalidated: string[] } {
  const invalidated: string[] = [];
  return { invalidated, accessToken: () => issue(), invalidate: (_t, _u, token) => void invalidated.push(token ?? '') };
}

describe('BC calls under per-user access', () => {
  it("sends the requester's token as a header and records who acted and who approved, never the token", async () => {
    const bus = recordingBus();
    const outbox = new Outbox(bus, context);
    const { mcp, calls } = recordingMcp(async () => ({ id: 'c-1' }));
    const caller = createBcCaller(mcp, outbox, { actor, userTokens: tokens(async () => 'bcsbx.alice-token-0123456789') });
    await caller.call('bc_create_entity', { entity: 'customers', data: { displayName: 'A' } });
    await outbox.flush();
    expect(calls[0]!.options?.headers).toEqual({ 'x-bc-user-token': 'bcsbx.alice-token-0123456789' });
    expect(calls[0]!.args).toEqual({ entity: 'customers', data: { displayName: 'A' } });
    expect(bus.names()).toEqual(['bc:operation:start', 'bc:operation:success']);
    for (const event of bus.events) expect(event.detail).toMatchObject({ actingFor: { userId: 'alice', access: 'delegated', approvedBy: 'bob' } });
    expect(JSON.stringify(bus.events)).not.toContain('alice-token');
  });

  it('ends the task before anything is sent or announced when the person must sign in again', async () => {
    const bus = recordingBus();
    const outbox = new Outbox(bus, context);
    const { mcp, calls } = recordingMcp(async () => ({}));
    const caller = createBcCaller(mcp, outbox, { actor, userTokens: tokens(async () => { throw new BcDelegationError('BcSignInRequired', 'Business Central access on behalf of alice has expired', false); }) });
    const error = await caller.call('bc_query_entity', { entity: 'customers' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentTaskError);
    expect(error).toMatchObject({ code: 'BcSignInRequired', message: expect.stringMatching(/on behalf of alice has expired/) });
    await outbox.flush();
    expect(calls).toHaveLength(0);
    expect(bus.events).toHaveLength(0);

    // An identity provider that does not answer is not the person's fault: left transient for the queue's retry.
    const down = createBcCaller(mcp, new Outbox(bus, context), { actor, userTokens: tokens(async () => { throw new BcDelegationError('BcDelegationUnavailable', 'no answer', true); }) });
    expect(await down.call('bc_query_entity', { entity: 'customers' }).catch((e: unknown) => e)).toBeInstanceOf(BcDelegationError);
  });

  it('replaces a token BC refuses (401) once, and passes a second refusal on', async () => {
    let issued = 0;
    const source = tokens(async () => `bcsbx.token-number-${++issued}-abcdef`);
    const { mcp, calls } = recordingMcp(async (n) => {
      if (n === 1) throw new McpToolError('bc_query_entity', 'Authentication_InvalidCredentials', 'refused', false, 401);
      return { value: [] };
    });
    await createBcCaller(mcp, new Outbox(recordingBus(), context), { actor, userTokens: source }).call('bc_query_entity', { entity: 'customers' });
    expect(calls.map((c) => c.options?.headers?.['x-bc-user-token'])).toEqual(['bcsbx.token-number-1-abcdef', 'bcsbx.token-number-2-abcdef']);
    expect(source.invalidated).toEqual(['bcsbx.token-number-1-abcdef']);

    const always = recordingMcp(async () => { throw new McpToolError('bc_query_entity', 'Authentication_InvalidCredentials', 'refused', false, 401); });
    await expect(createBcCaller(always.mcp, new Outbox(recordingBus(), context), { actor, userTokens: source }).call('bc_query_entity', { entity: 'customers' })).rejects.toBeInstanceOf(McpToolError);
    expect(always.calls).toHaveLength(2);
  });

  it('changes nothing when the stage calls BC as the app', async () => {
    const bus = recordingBus();
    const outbox = new Outbox(bus, context);
    const { mcp, calls } = recordingMcp(async () => ({ value: [] }));
    await createBcCaller(mcp, outbox, { actor, userTokens: null }).call('bc_query_entity', { entity: 'customers' });
    await outbox.flush();
    expect(calls[0]!.options?.headers).toBeUndefined();
    expect(bus.events[0]!.detail).not.toHaveProperty('actingFor');
  });
});
