// Mistakes the generated types must catch (openapi-tools.test.ts expects exactly these errors from tsc): proof
// that the check of front-end.ts is not vacuous (types that collapsed to `any` would accept all of it).
import createClient from 'openapi-fetch';
import type { paths } from './api.js';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:3000' });
export async function misuse() {
  // TS2561: the body has no property `txt` (did you mean `text`?).
  await client.POST('/v1/sessions/{sessionId}/messages', { params: { path: { sessionId: 's' } }, body: { txt: 'hi' } });
  const plan = await client.GET('/v1/plans/{planId}', { params: { path: { planId: 'p' } } });
  // TS2339: a plan has no property `owner` (and `data` is possibly undefined: TS18048).
  return plan.data.owner;
}
