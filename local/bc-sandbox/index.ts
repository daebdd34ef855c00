// The embedded Business Central sandbox (ARCHITECTURE §8, §10): an HTTP server on loopback that behaves like BC
// API v2.0 for the core entity sets, with OAuth client credentials, OData, ETags, $batch, bound actions, the
// itemReservations custom API, BC's rate limit, fault injection and a deterministic seed.
import type { AddressInfo } from 'node:net';
import { BcApi } from './api.js';
import { requestOnBehalfOfToken } from '../../functions/core/bc/index.js';
import { TokenIssuer } from './auth.js';
import { FaultInjector, validateFaultRule, type FaultRule, type FaultRuleInput } from './faults.js';
import { SlidingWindowLimiter, defaultRateLimit, type RateLimitConfig } from './rate-limit.js';
import { ConcurrencyGate, defaultConcurrency, type ConcurrencyConfig, type ConcurrencyStats } from './concurrency.js';
import { buildSeed } from './seed.js';
import { createSandboxServer } from './server.js';
import { StatsCollector, type RequestStats } from './stats.js';
import { DEFAULT_REQUEST_LOG_SIZE, RequestLog, type LoggedRequest } from './request-log.js';
import { Store } from './store.js';
import { Directory, defaultDirectory, type BcPrincipal, type BcUserConfig, type DirectoryConfig, type PermissionSetConfig } from './directory.js';
import type { UserAssertionTrust } from './on-behalf-of.js';
import { MAX_CHANGE_LOG_ENTRIES, type ChangeLogEntry } from './change-log.js';

export type { FaultRule, FaultRuleInput, RateLimitConfig, RequestStats, LoggedRequest, ConcurrencyConfig, ConcurrencyStats };
export type { BcPrincipal, BcUserConfig, ChangeLogEntry, DirectoryConfig, PermissionSetConfig, UserAssertionTrust };
export { defaultDirectory, MAX_CHANGE_LOG_ENTRIES };
// What the local cloud reads from its environment to configure the sandbox it starts.
export { identitySettingsFromEnv } from './identity-env.js';
export { concurrencyFromEnv } from './concurrency.js';
export { rateLimitFromEnv } from './rate-limit.js';
// The client side of the grants is product code (functions/core/bc); re-exported for the tests that drive the sandbox.
export { requestOnBehalfOfToken, redeemRefreshToken, OnBehalfOfTokenError, type OnBehalfOfTokenRequest, type OnBehalfOfToken } from '../../functions/core/bc/index.js';

export interface BcSandboxOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Loopback only: 127.0.0.1 (default) or ::1. */
  host?: '127.0.0.1' | '::1' | 'localhost';
  /** JSON file the data is restored from and persisted to; absent = memory only. */
  stateFile?: string;
  tenant?: string;
  /** Environment names served (default ['sandbox']). */
  environments?: string[];
  clientId?: string;
  clientSecret?: string;
  tokenTtlSeconds?: number;
  /** Lifetime of refresh tokens from delegated grants (default 90 days, Entra's inactivity limit). */
  refreshTokenTtlSeconds?: number;
  /** Requests per principal per window; BC online's documented limit by default (6000 per 5 minutes). */
  rateLimit?: Partial<RateLimitConfig>;
  /** Requests processed at once / queued per environment; BC online's documented 5 and 95 by default. */
  concurrency?: Partial<ConcurrencyConfig>;
  /** Server-driven page size cap (BC online: 20000). */
  maxPageSize?: number;
  /** Clock in epoch ms; tests move it to expire tokens or slide the rate window. */
  now?: () => number;
  /**
   * The issuer whose user access tokens the on-behalf-of grant accepts as `assertion` (issuer, audience, and its
   * key: publicKey, jwks or jwksUri). Without it the grant answers invalid_grant; `trustUserAssertions` sets it later.
   */
  userAssertions?: UserAssertionTrust;
  /** Users, permission sets and the app's permission sets (default: `defaultDirectory`, alice/bob/carol). */
  directory?: DirectoryConfig;
  /**
   * Whether the itemReservations API of bc-extension/ is installed (default true); without it the inventory API
   * answers BC's 404 for an unpublished route, as a standard tenant does.
   */
  itemReservations?: boolean;
}

export interface BcSandbox {
  /** e.g. http://127.0.0.1:4580 */
  url: string;
  port: number;
  tenant: string;
  environment: string;
  clientId: string;
  clientSecret: string;
  /** `${url}/${tenant}/oauth2/v2.0/token` */
  tokenUrl: string;
  /** `${url}/v2.0/${tenant}/${environment}/api/v2.0` */
  apiUrl: string;
  /** What a BC API v2.0 client needs to reach this sandbox (the shape of functions/core/bc's BcClientConfig). */
  connection: { baseUrl: string; tenant: string; environment: string; tokenUrl: string; clientId: string; clientSecret: string };
  /** `${url}/v2.0/${tenant}/${environment}/api/bcagent/inventory/v1.0` */
  inventoryApiUrl: string;
  /** The seeded companies' ids, first is the demo company. */
  companyIds(): string[];
  /** Requests a bearer token with the configured credentials (the app's identity). */
  getToken(): Promise<string>;
  /** Exchanges a user's access token for a BC token acting as that user (the on-behalf-of grant). */
  getUserToken(assertion: string): Promise<string>;
  /** Graph's revokeSignInSessions: the user's refresh tokens stop working; also POST /_admin/users/{user}/revokeSignInSessions. */
  revokeSignInSessions(user: string): boolean;
  /** Trusts an issuer's user tokens for the on-behalf-of grant (e.g. once the local cloud knows its authorizer). */
  trustUserAssertions(trust: UserAssertionTrust): void;
  /** BC's change log of API writes, oldest first; also GET /_admin/changes. */
  changes(): ChangeLogEntry[];
  /** The users and permission sets in force; also GET/PUT /_admin/directory. */
  directory(): DirectoryConfig;
  setDirectory(config: DirectoryConfig): void;
  stats(): RequestStats & { concurrency: ConcurrencyStats };
  resetStats(): void;
  /** The latest BC API requests (bounded, oldest first) with their x-correlation-id; also GET /_admin/requests. */
  requests(): LoggedRequest[];
  clearRequests(): void;
  addFault(rule: FaultRuleInput): FaultRule;
  /** Installs or removes the itemReservations extension (the local cloud follows the stage's saga.reservations). */
  setItemReservationsApi(installed: boolean): void;
  itemReservationsApi(): boolean;
  clearFaults(): void;
  /** Restores the seed data and the starting directory (and clears faults and rate counters). */
  reset(): void;
  /** The whole data set as JSON, row versions and number series included (tests compare it around refused writes). */
  snapshot(): string;
  stop(): Promise<void>;
}

export async function startBcSandbox(options: BcSandboxOptions = {}): Promise<BcSandbox> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`The BC sandbox listens on loopback only, not ${host}`);
  const now = options.now ?? Date.now;
  const tenant = options.tenant ?? 'local';
  const environments = options.environments ?? ['sandbox'];
  const clientId = options.clientId ?? 'local-client';
  const clientSecret = options.clientSecret ?? 'local-secret';
  const store = new Store(buildSeed, options.stateFile);
  const directory = new Directory(options.directory ?? defaultDirectory);
  const tokens = new TokenIssuer({ tenant, clientId, clientSecret, tokenTtlSeconds: options.tokenTtlSeconds ?? 3600, ...(options.refreshTokenTtlSeconds ? { refreshTokenTtlSeconds: options.refreshTokenTtlSeconds } : {}), now }, directory, options.userAssertions);
  const limiter = new SlidingWindowLimiter({ ...defaultRateLimit, ...options.rateLimit }, now);
  const faults = new FaultInjector();
  const concurrency = new ConcurrencyGate({ ...defaultConcurrency, ...options.concurrency });
  const stats = new StatsCollector();
  const requests = new RequestLog(DEFAULT_REQUEST_LOG_SIZE, now);
  const customApis = { itemReservations: options.itemReservations ?? true };
  const api = new BcApi(store, { tenant, environments, maxPageSize: options.maxPageSize ?? 20000, now, directory, customApis });
  const { server, hung } = createSandboxServer({ store, api, tokens, limiter, concurrency, faults, stats, requests, directory });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const environment = environments[0]!;
  const tokenUrl = `${url}/${tenant}/oauth2/v2.0/token`;

  return {
    url,
    port,
    tenant,
    environment,
    clientId,
    clientSecret,
    tokenUrl,
    apiUrl: `${url}/v2.0/${tenant}/${environment}/api/v2.0`,
    connection: { baseUrl: url, tenant, environment, tokenUrl, clientId, clientSecret },
    inventoryApiUrl: `${url}/v2.0/${tenant}/${environment}/api/bcagent/inventory/v1.0`,
    companyIds: () => store.companies().map((c) => String(c.data.id)),
    async getToken() {
      const response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'https://api.businesscentral.dynamics.com/.default' }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || !body.access_token) throw new Error(`BC sandbox token request failed with ${response.status}`);
      return body.access_token;
    },
    async getUserToken(assertion) {
      return (await requestOnBehalfOfToken({ tokenUrl, clientId, clientSecret, assertion })).accessToken;
    },
    revokeSignInSessions: (user) => tokens.revokeSignInSessions(user),
    trustUserAssertions: (trust) => tokens.trust(trust),
    changes: () => store.changes().map((entry) => ({ ...entry })),
    directory: () => directory.config(),
    setDirectory: (config) => directory.replace(config),
    stats: () => ({ ...stats.snapshot(), concurrency: concurrency.snapshot() }),
    resetStats: () => {
      stats.reset();
      concurrency.resetCounters();
    },
    requests: () => requests.list(),
    clearRequests: () => requests.clear(),
    addFault: (rule) => faults.add(validateFaultRule(rule)),
    setItemReservationsApi(installed) {
      customApis.itemReservations = installed;
    },
    itemReservationsApi: () => customApis.itemReservations,
    clearFaults: () => faults.clear(),
    snapshot: () => store.snapshot(),
    reset() {
      store.reset();
      directory.reset();
      faults.clear();
      limiter.clear();
    },
    async stop() {
      for (const res of hung) res.destroy();
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
