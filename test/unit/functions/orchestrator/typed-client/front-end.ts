// A front-end's use of the HTTP API through types that openapi-typescript generates from docs/openapi.json, with
// openapi-fetch: no casts, no `any`. openapi-tools.test.ts generates ./api.d.ts next to a copy of this file,
// type-checks it with `tsc --strict` and runs it against the local HTTP API. Not compiled with the project (the
// generated types exist only in that temporary directory).
import createClient from 'openapi-fetch';
import type { components, paths } from './api.js';

type Approval = components['schemas']['Approval'];
type ErrorBody = components['schemas']['Error'] | components['schemas']['GatewayMessage'];

/** What an approver is shown of the operation they decide: any tool's arguments. */
export function describeArguments(args: Approval['operation']['arguments']): string {
  return Object.entries(args)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ');
}

/** Every error body the API documents: a route's own `{ error }`, or API Gateway's `{ message }` (401, 429). */
export function problem(error: ErrorBody): string {
  return 'message' in error ? error.message : `${error.error.code}: ${error.error.message}`;
}

export async function run(baseUrl: string, token: string) {
  const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
  const sent = await client.POST('/v1/sessions/{sessionId}/messages', {
    params: { path: { sessionId: 'typed-front-end' } },
    body: { text: 'count customers' },
  });
  if (sent.error) throw new Error(problem(sent.error));
  const planId: string = sent.data.planId;

  const plan = await client.GET('/v1/plans/{planId}', { params: { path: { planId } } });
  if (plan.error) throw new Error(problem(plan.error));
  const tools: string[] = plan.data.tasks.map((task) => task.tool);

  const approvals = await client.GET('/v1/approvals');
  const pending = approvals.data ? approvals.data.approvals.map((a) => `${a.operation.tool}(${describeArguments(a.operation.arguments)})`) : [];

  const anonymous = createClient<paths>({ baseUrl });
  const refused = await anonymous.GET('/v1/sessions/{sessionId}', { params: { path: { sessionId: 'typed-front-end' } } });
  const refusal = refused.error ? problem(refused.error) : 'not refused';

  return {
    planId,
    planStatus: plan.data.status,
    tools,
    pending,
    refusal: { status: refused.response.status, text: refusal },
    shownArguments: describeArguments({ customerNumber: '10000', quantity: 3 }),
  };
}
