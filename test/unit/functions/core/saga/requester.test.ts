// The saga's steps act as the requester under delegated BC access (functions/core/saga/requester.ts): which steps
// take a token, whose, and what a refused grant does to a forward step and to an undo step.
import { describe, expect, it } from 'vitest';
import { BcDelegationError, currentBcUserToken, type DelegatedTokens } from '../../../../../functions/core/bc/index.js';
import { asRequester, BcTransientError, SagaStepError, type SagaContext } from '../../../../../functions/core/saga/index.js';

const context: SagaContext = { tenantId: 'local', sessionId: 's1', planId: 'p1', taskId: 't1', correlationId: 'c1' };
const input = { ...context, requestedBy: 'carol' };

/** Tokens that answer `bc-access-token-of-<user>`, or fail with `failure`; records whom they were asked for. */
function tokens(failure?: BcDelegationError) {
  const asked: string[] = [];
  const fake = {
    async accessToken(tenantId: string, userId: string) {
      asked.push(`${tenantId}/${userId}`);
      if (failure) throw failure;
      return `bc-access-token-of-${userId}`;
    },
  };
  return { asked, tokens: fake as unknown as DelegatedTokens };
}

/** The work of a step: reports the token its BC calls would carry. */
const seenToken = async (): Promise<string> => {
  const current = currentBcUserToken();
  if (!current) return 'app';
  return 'token' in current ? current.token : 'malformed';
};

describe('a saga step under delegated BC access', () => {
  it("runs a BC step with the requester's token, and asks for no token where BC is not called", async () => {
    const { asked, tokens: t } = tokens();
    expect(await asRequester({ tokens: t }, 'createOrder', input, context, seenToken)).toBe("bc-access-token-of-carol");
    expect(await asRequester({ tokens: t }, 'addLine', input, context, seenToken)).toBe("bc-access-token-of-carol");
    expect(await asRequester({ tokens: t }, 'requestApproval', input, context, seenToken)).toBe('app');
    expect(asked).toEqual(['local/carol', 'local/carol']);
  });

  it('runs as the app when the stage calls BC as the app', async () => {
    expect(await asRequester({ tokens: undefined }, 'createOrder', input, context, seenToken)).toBe('app');
  });

  it('refuses a BC step that does not say whose it is, rather than write as the app', async () => {
    const { tokens: t } = tokens();
    const { requestedBy: _omitted, ...withoutRequester } = input;
    await expect(asRequester({ tokens: t }, 'createOrder', withoutRequester, context, seenToken)).rejects.toMatchObject({ name: 'SagaInputInvalid' });
  });

  it('fails a forward step before BC when the grant is gone, and retries one the identity provider could not answer', async () => {
    let ran = false;
    const work = async () => { ran = true; return 'done'; };
    const gone = tokens(new BcDelegationError('BcSignInRequired', 'send the message again', false)).tokens;
    const refused = asRequester({ tokens: gone }, 'createOrder', input, context, work);
    await expect(refused).rejects.toBeInstanceOf(SagaStepError);
    await expect(refused).rejects.toMatchObject({ name: 'BcRequestFailed', code: 'BcSignInRequired' });
    const down = tokens(new BcDelegationError('BcDelegationUnavailable', 'login.microsoftonline.com did not answer', true)).tokens;
    await expect(asRequester({ tokens: down }, 'reserveInventory', input, context, work)).rejects.toBeInstanceOf(BcTransientError);
    expect(ran).toBe(false);
  });

  it("undoes the saga's writes as the app when the requester's access is gone, and says so", async () => {
    const fallbacks: string[] = [];
    const gone = tokens(new BcDelegationError('BcSignInRequired', 'revoked', false)).tokens;
    const access = { tokens: gone, onFallback: (step: string) => fallbacks.push(step) };
    expect(await asRequester(access, 'deleteOrder', input, context, seenToken)).toBe('app');
    expect(await asRequester(access, 'deleteLines', input, context, seenToken)).toBe('app');
    expect(fallbacks).toEqual(['deleteOrder', 'deleteLines']);
  });
});
