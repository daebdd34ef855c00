// Shared set-up for the client's sandbox tests: one sandbox per test file, clients whose retry sleeps and
// requests are recorded instead of waited for.
import { BcClient, type BcClientConfig, type BcClientOptions, type BcRequestInfo } from '../../functions/core/bc/index.js';
import { startBcSandbox } from '../../local/bc-sandbox/index.js';

export type Sandbox = Awaited<ReturnType<typeof startBcSandbox>>;

export const CREDENTIALS = { tenant: 'local', environment: 'sandbox', clientId: 'local-client', clientSecret: 'local-secret' } as const;

export interface RecordedClient {
  client: BcClient;
  requests: BcRequestInfo[];
  sleeps: number[];
}

export function sandboxConfig(sandbox: Sandbox, overrides: Partial<BcClientConfig> = {}): BcClientConfig {
  return {
    baseUrl: sandbox.url,
    tokenUrl: `${sandbox.url}/${CREDENTIALS.tenant}/oauth2/v2.0/token`,
    ...CREDENTIALS,
    timeoutMs: 5_000,
    ...overrides,
  };
}

/** A client against the sandbox that records every attempt and every retry wait (without waiting). */
export function recordedClient(sandbox: Sandbox, overrides: Partial<BcClientConfig> = {}, options: BcClientOptions = {}): RecordedClient {
  const requests: BcRequestInfo[] = [];
  const sleeps: number[] = [];
  const client = new BcClient(sandboxConfig(sandbox, overrides), {
    random: () => 0.5,
    ...options,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    onRequest: (info) => requests.push(info),
  });
  return { client, requests, sleeps };
}

export async function admin(sandbox: Sandbox, method: 'POST' | 'DELETE' | 'GET', path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin ${method} ${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

export const addFault = (sandbox: Sandbox, rule: Record<string, unknown>) => admin(sandbox, 'POST', '/_admin/faults', rule);
export const clearFaults = (sandbox: Sandbox) => admin(sandbox, 'DELETE', '/_admin/faults');
