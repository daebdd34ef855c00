// The Business Central API v2.0 client: company addressing, OData queries with paging, CRUD with ETags,
// bound actions, JSON $batch, $metadata and custom APIs. Transport concerns (timeouts, retries, 401 refresh)
// live in transport.ts, tokens in token.ts, query text in odata.ts; this module composes them.
import {
  buildBatchBody,
  chunkBatch,
  readBatchResponse,
  type BatchOperation,
  type BatchResult,
  type PreparedBatchOperation,
} from './batch.js';
import { findCustomApi, type CustomApiPath } from './custom-apis.js';
import { findEntitySet, type EntitySetDefinition } from './entities.js';
import { BcAuthError, BcConflictError, BcError, BcServerError, invalidRequest } from './errors.js';
import { EtagCache } from './etag-cache.js';
import { buildQueryOptions, encodeQueryOptions, type ODataQuery } from './odata.js';
import { DEFAULT_RETRY_POLICY, realSleep, type RetryPolicy, type Sleep } from './retry.js';
import {
  checkWritePayload,
  describe,
  isGuid,
  requireGuid,
  requireOperation,
  schemaFor,
  type EntitySchema,
} from './schema.js';
import { TokenProvider } from './token.js';
import { BC_USER_TOKEN_HEADER, currentBcUserToken } from './user-token.js';
import { send, type BcRequestInfo, type HttpRequest, type HttpResponse, type TransportGovernor, type TransportOptions } from './transport.js';
import { governorFromEnv } from '../capacity/index.js';

export interface BcClientConfig {
  /** https://api.businesscentral.dynamics.com, or the sandbox URL. */
  baseUrl: string;
  tenant: string;
  environment: string;
  /** Default company (GUID or name); without it, the first company. */
  companyId?: string;
  /** Default https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token */
  tokenUrl?: string;
  clientId: string;
  clientSecret: string;
  /** Default https://api.businesscentral.dynamics.com/.default */
  scope?: string;
  /** Per attempt; default 30 s. */
  timeoutMs?: number;
  /** Retries after the first attempt on 429/503/504 and network failures; default 4. */
  maxRetries?: number;
  /** Pages followed through @odata.nextLink per query before the rest is reported as nextLink; default 20. */
  maxPages?: number;
  /** Sent to BC as the `x-correlation-id` request header. */
  correlationId?: string;
  /**
   * PATCH/DELETE without a known ETag (none passed, none remembered from a read): `fetch` reads the record's
   * current ETag first (default), `error` refuses. A stale ETag is never replaced on a conflict either way.
   */
  missingEtag?: 'fetch' | 'error';
  /** Bound on remembered ETags; default 2000. */
  etagCacheSize?: number;
}

export interface BcClientOptions {
  fetch?: typeof fetch;
  onRequest?: (info: BcRequestInfo) => void;
  /** Waits between retries; tests pass a recorder instead of real time. */
  sleep?: Sleep;
  /** Wall clock in epoch ms, for token expiry and Retry-After dates. */
  now?: () => number;
  /** [0, 1) source for backoff jitter. */
  random?: () => number;
  /** Overrides for backoff timing (maxRetries comes from the config). */
  retry?: Partial<Omit<RetryPolicy, 'maxRetries'>>;
  /** The BC capacity governor; default the one BC_GOVERNOR turns on (functions/core/capacity), null for none. */
  governor?: TransportGovernor | null;
}

export interface QueryResult {
  value: Record<string, unknown>[];
  count?: number;
  /** Present when more pages exist than were fetched (page cap reached); pass to `continueQuery`. */
  nextLink?: string;
}

export interface QueryOptions {
  company?: string;
  maxPages?: number;
  /** Page size BC should use (`Prefer: odata.maxpagesize`). */
  pageSize?: number;
  /** For document lines: list the lines of this document (`salesOrders({parentId})/salesOrderLines`). */
  parentId?: string;
}

export type { BatchOperation, BatchResult, CustomApiPath };

/** CRUD on one custom API entity set (e.g. itemReservations), validated against its declared shape. */
export interface CustomApiClient {
  list(query?: ODataQuery, options?: QueryOptions): Promise<QueryResult>;
  get(id: string, options?: { company?: string; select?: string[]; expand?: string[] }): Promise<Record<string, unknown>>;
  create(data: Record<string, unknown>, options?: { company?: string }): Promise<Record<string, unknown>>;
  update(id: string, data: Record<string, unknown>, options?: { company?: string; etag?: string }): Promise<Record<string, unknown>>;
  delete(id: string, options?: { company?: string; etag?: string }): Promise<void>;
}

/** Where an entity set lives: the API root URL and its schema. */
interface ApiTarget {
  root: string;
  schema: EntitySchema;
  /** Key for remembered ETags, so a custom API's ids never collide with standard ones. */
  cacheKey: string;
}

const DEFAULT_SCOPE = 'https://api.businesscentral.dynamics.com/.default';
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HEADER_VALUE = /^[\x20-\x7e]{1,1024}$/;

function requireSegment(value: unknown, what: string): string {
  if (typeof value !== 'string' || !SEGMENT.test(value)) {
    throw invalidRequest(`${what} must be a URL-safe name (letters, digits, . _ -), got ${describe(value)}`, 'BadRequest_InvalidRequestUrl');
  }
  return value;
}

function requireNonEmpty(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`BcClientConfig.${what} is required`);
  return value;
}

function positiveInteger(value: number | undefined, fallback: number, what: string, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) throw new Error(`${what} must be an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

function etagHeader(etag: unknown): string {
  if (typeof etag !== 'string' || !HEADER_VALUE.test(etag)) {
    throw invalidRequest(`An ETag must be a printable string such as W/"JzE5OzE…", got ${describe(etag)}`, 'BadRequest_InvalidToken');
  }
  return etag;
}

export class BcClient {
  private readonly baseUrl: URL;
  private readonly apiRoot: string;
  private readonly transport: TransportOptions;
  private readonly tokens: TokenProvider;
  private readonly etags: EtagCache;
  private readonly maxPages: number;
  private readonly missingEtag: 'fetch' | 'error';
  private readonly correlationId?: string;
  private companiesPromise?: Promise<Record<string, unknown>[]>;
  private metadataPromise?: Promise<string>;

  /** Default company from the configuration (GUID or name). The config itself is not kept: it holds the secret. */
  private readonly defaultCompany?: string;

  constructor(config: BcClientConfig, options: BcClientOptions = {}) {
    requireNonEmpty(config?.baseUrl, 'baseUrl');
    requireNonEmpty(config.clientId, 'clientId');
    requireNonEmpty(config.clientSecret, 'clientSecret');
    const tenant = requireSegment(config.tenant, 'BcClientConfig.tenant');
    const environment = requireSegment(config.environment, 'BcClientConfig.environment');
    this.baseUrl = new URL(config.baseUrl.replace(/\/+$/, ''));
    this.apiRoot = `${this.baseUrl.href.replace(/\/+$/, '')}/v2.0/${tenant}/${environment}/api/v2.0`;
    if (config.companyId !== undefined) requireNonEmpty(config.companyId, 'companyId');
    this.defaultCompany = config.companyId;
    if (config.correlationId !== undefined && !HEADER_VALUE.test(config.correlationId)) {
      throw new Error('BcClientConfig.correlationId must be printable ASCII');
    }
    this.correlationId = config.correlationId;
    this.maxPages = positiveInteger(config.maxPages, 20, 'maxPages');
    this.missingEtag = config.missingEtag ?? 'fetch';
    this.etags = new EtagCache(positiveInteger(config.etagCacheSize, 2_000, 'etagCacheSize'));
    const now = options.now ?? Date.now;
    this.transport = {
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: positiveInteger(config.timeoutMs, 30_000, 'timeoutMs'),
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry, maxRetries: positiveInteger(config.maxRetries, DEFAULT_RETRY_POLICY.maxRetries, 'maxRetries', 0) },
      sleep: options.sleep ?? realSleep,
      random: options.random ?? Math.random,
      now,
      onRequest: options.onRequest,
      governor: options.governor === null ? undefined : (options.governor ?? governorFromEnv({ tenant, environment, clientId: config.clientId })),
    };
    this.tokens = new TokenProvider(
      {
        tokenUrl: config.tokenUrl ?? `https://login.microsoftonline.com/${tenant}/oauth2/v2.0/token`,
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        scope: config.scope ?? DEFAULT_SCOPE,
      },
      (request) => send(request, this.transport),
      now,
    );
  }

  /** Token requests made so far (each refresh counts once, however many callers waited on it). */
  get tokenRequests(): number {
    return this.tokens.requests;
  }

  // ---- HTTP plumbing -------------------------------------------------------------------------------

  private authorizer(): (refresh: boolean) => Promise<string> {
    // A person's delegated token (on-behalf-of, user-token.ts) replaces the app's: BC then applies their rights.
    const userToken = currentBcUserToken();
    if (userToken) {
      return async (refresh) => {
        if ('malformed' in userToken) throw new BcAuthError(`The ${BC_USER_TOKEN_HEADER} header does not hold a bearer token`, { kind: 'auth', status: 401, code: 'Authentication_InvalidCredentials' });
        // Only its holder can renew it; BC's 401 goes back to the caller as an auth error.
        if (refresh) throw new BcAuthError('Business Central refused the delegated access token (401): it expired or was revoked', { kind: 'auth', status: 401, code: 'Authentication_InvalidCredentials' });
        return userToken.token;
      };
    }
    let last: string | undefined;
    return async (refresh) => {
      last = await this.tokens.token(refresh, last);
      return last;
    };
  }

  private async request(
    method: HttpRequest['method'],
    url: string,
    init: { body?: unknown; headers?: Record<string, string>; idempotent?: boolean; accept?: string } = {},
  ): Promise<HttpResponse> {
    const headers: Record<string, string> = { Accept: init.accept ?? 'application/json', ...init.headers };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    if (this.correlationId) headers['x-correlation-id'] = this.correlationId;
    return send(
      {
        method,
        url,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        idempotent: init.idempotent ?? method !== 'POST',
        authorize: this.authorizer(),
      },
      this.transport,
    );
  }

  private async requestJson(
    method: HttpRequest['method'],
    url: string,
    init?: { body?: unknown; headers?: Record<string, string>; idempotent?: boolean },
  ): Promise<Record<string, unknown>> {
    const response = await this.request(method, url, init);
    if (response.status === 204 || response.text === '') return {};
    try {
      const parsed = JSON.parse(response.text) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // fall through to the error below
    }
    throw new BcServerError(`BC ${method} ${new URL(url).pathname} answered ${response.status} with a body that is not a JSON object`, {
      kind: 'server', status: response.status, code: 'Client_InvalidResponse', method, path: new URL(url).pathname,
    });
  }

  // ---- companies -----------------------------------------------------------------------------------

  /** The companies of the environment (always fetched; also refreshes the list used to resolve names). */
  async companies(): Promise<Record<string, unknown>[]> {
    const result = await this.collect(`${this.apiRoot}/companies`, { value: [] }, undefined, this.maxPages);
    this.companiesPromise = Promise.resolve(result.value);
    return result.value;
  }

  /** The company id to address: a GUID as given, a name looked up once, or the default company. */
  async resolveCompany(company?: string): Promise<string> {
    const wanted = company ?? this.defaultCompany;
    if (wanted !== undefined && isGuid(wanted)) return wanted.toLowerCase();
    // Looked up once per client; concurrent callers share the request, a failure is not remembered.
    this.companiesPromise ??= this.collect(`${this.apiRoot}/companies`, { value: [] }, undefined, this.maxPages).then(
      (r) => r.value,
      (error: unknown) => {
        this.companiesPromise = undefined;
        throw error;
      },
    );
    const list = await this.companiesPromise;
    if (wanted === undefined) {
      const first = list[0];
      if (!first || typeof first.id !== 'string') {
        throw new BcError('BC returned no companies for this tenant/environment', { kind: 'not_found', status: 404, code: 'Internal_CompanyNotFound' });
      }
      return first.id;
    }
    const match = list.find((c) => c.name === wanted || c.displayName === wanted);
    if (!match || typeof match.id !== 'string') {
      throw invalidRequest(
        `No company named ${describe(wanted)}. Companies: ${list.map((c) => String(c.name)).join(', ')}`,
        'Internal_CompanyNotFound',
      );
    }
    return match.id;
  }

  // ---- targets and URLs ----------------------------------------------------------------------------

  private standardTarget(entitySet: string): ApiTarget {
    return { root: this.apiRoot, schema: schemaFor(entitySet), cacheKey: entitySet };
  }

  private customTarget(path: CustomApiPath & { definition?: EntitySetDefinition }): ApiTarget {
    const publisher = requireSegment(path?.publisher, 'Custom API publisher');
    const group = requireSegment(path.group, 'Custom API group');
    const version = requireSegment(path.version, 'Custom API version');
    const entitySet = requireSegment(path.entitySet, 'Custom API entity set');
    const definition = path.definition ?? findCustomApi(path);
    if (!definition) {
      throw invalidRequest(
        `Unknown custom API ${publisher}/${group}/${version}/${entitySet}: declare its shape (definition) so fields can be checked`,
        'BadRequest_ResourceNotFound',
      );
    }
    const root = `${this.apiRoot.replace(/\/api\/v2\.0$/, '')}/api/${publisher}/${group}/${version}`;
    return { root, schema: definition, cacheKey: `${publisher}/${group}/${version}/${entitySet}` };
  }

  /** `companies(<c>)/<set>` or, for lines of one document, `companies(<c>)/<parents>(<p>)/<set>`. */
  private collectionPath(target: ApiTarget, company: string, parentId?: string): string {
    const { schema } = target;
    if (parentId === undefined) return `companies(${company})/${schema.entitySet}`;
    const parentSet = schema.parentPath?.match(/^(\w+)\(\{id\}\)$/)?.[1];
    if (!parentSet) throw invalidRequest(`'${schema.entitySet}' has no parent document, so parentId does not apply`, 'BadRequest');
    return `companies(${company})/${parentSet}(${requireGuid(parentId, 'parentId')})/${schema.entitySet}`;
  }

  private entityPath(target: ApiTarget, company: string, id: string): string {
    return `companies(${company})/${target.schema.entitySet}(${this.recordId(target, id)})`;
  }

  private recordId(target: ApiTarget, id: unknown): string {
    return requireGuid(id, `The id of a ${target.schema.entitySet} record`);
  }

  // ---- queries -------------------------------------------------------------------------------------

  async query(entitySet: string, query?: ODataQuery, options: QueryOptions = {}): Promise<QueryResult> {
    return this.queryTarget(this.standardTarget(entitySet), query, options);
  }

  /** Fetches further pages of an earlier result's nextLink (same entity set), up to the page cap. */
  async continueQuery(entitySet: string, nextLink: string, options: { company?: string; maxPages?: number; pageSize?: number } = {}): Promise<QueryResult> {
    const target = this.standardTarget(entitySet);
    const url = this.checkNextLink(nextLink);
    const company = this.companyOfPageLink(target, url);
    const pageCap = this.pageCap(options.maxPages);
    if (options.company !== undefined && (await this.resolveCompany(options.company)).toLowerCase() !== company) {
      throw invalidRequest(`nextLink ${describe(nextLink)} belongs to another company than ${describe(options.company)}`, 'BadRequest_InvalidRequestUrl');
    }
    return this.collect(url, { value: [] }, options.pageSize, pageCap, (record) => this.etags.remember(company, target.cacheKey, record));
  }

  /**
   * A caller-supplied nextLink must be a page of the entity set the caller named (`companies(<c>)/<set>`, or
   * the lines of one document); otherwise a link could read any other set, record or company under the one
   * name the caller checked. Returns the link's company id.
   */
  private companyOfPageLink(target: ApiTarget, url: string): string {
    const { schema } = target;
    const rootPath = new URL(target.root).pathname;
    const path = new URL(url).pathname;
    const relative = path.startsWith(`${rootPath}/`) ? path.slice(rootPath.length) : '';
    const guid = '([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})';
    const parentSet = schema.parentPath?.match(/^(\w+)\(\{id\}\)$/)?.[1];
    const parent = parentSet ? `(?:/${parentSet}\\(${guid}\\))?` : '';
    const match = new RegExp(`^/companies\\(${guid}\\)${parent}/${schema.entitySet}$`).exec(relative);
    if (!match) {
      throw invalidRequest(`nextLink ${describe(url)} is not a page of '${schema.entitySet}'`, 'BadRequest_InvalidRequestUrl');
    }
    return match[1]!.toLowerCase();
  }

  private pageCap(maxPages: number | undefined): number {
    return positiveInteger(maxPages, this.maxPages, 'maxPages');
  }

  private async queryTarget(target: ApiTarget, query: ODataQuery | undefined, options: QueryOptions): Promise<QueryResult> {
    requireOperation(target.schema, 'GET list');
    const queryString = encodeQueryOptions(buildQueryOptions(target.schema, query));
    const maxPages = this.pageCap(options.maxPages);
    const pageSize = options.pageSize === undefined ? undefined : positiveInteger(options.pageSize, 0, 'pageSize');
    const company = await this.resolveCompany(options.company);
    const url = `${target.root}/${this.collectionPath(target, company, options.parentId)}${queryString}`;
    return this.collect(url, { value: [] }, pageSize, maxPages, (record) => this.etags.remember(company, target.cacheKey, record));
  }

  /** Follows @odata.nextLink until the last page or the page cap; a capped result keeps the nextLink. */
  private async collect(
    firstUrl: string,
    result: QueryResult,
    pageSize: number | undefined,
    maxPages: number,
    onRecord?: (record: Record<string, unknown>) => void,
  ): Promise<QueryResult> {
    const headers: Record<string, string> = pageSize ? { Prefer: `odata.maxpagesize=${pageSize}` } : {};
    let url: string | undefined = firstUrl;
    for (let page = 0; url !== undefined && page < maxPages; page++) {
      const body = await this.requestJson('GET', url, { headers });
      const value = body.value;
      if (!Array.isArray(value)) {
        throw new BcServerError(`BC answered a collection request without a 'value' array`, { kind: 'server', status: 200, code: 'Client_InvalidResponse' });
      }
      for (const record of value as Record<string, unknown>[]) {
        onRecord?.(record);
        result.value.push(record);
      }
      if (page === 0 && typeof body['@odata.count'] === 'number') result.count = body['@odata.count'];
      const next = body['@odata.nextLink'];
      url = typeof next === 'string' ? this.checkNextLink(next) : undefined;
    }
    if (url !== undefined) result.nextLink = url;
    return result;
  }

  /** A nextLink must point back at the same BC host: the bearer token is never sent anywhere else. */
  private checkNextLink(nextLink: string): string {
    let url: URL;
    try {
      url = new URL(nextLink, `${this.apiRoot}/`);
    } catch {
      throw invalidRequest(`Not a valid nextLink: ${describe(nextLink)}`, 'BadRequest_InvalidRequestUrl');
    }
    if (url.origin !== this.baseUrl.origin || !url.pathname.startsWith(new URL(this.apiRoot).pathname.replace(/\/api\/v2\.0$/, '/api/'))) {
      throw invalidRequest(`nextLink ${describe(nextLink)} does not belong to this BC environment`, 'BadRequest_InvalidRequestUrl');
    }
    return url.href;
  }

  // ---- single records ------------------------------------------------------------------------------

  async get(entitySet: string, id: string, options: { company?: string; expand?: string[]; select?: string[] } = {}): Promise<Record<string, unknown>> {
    return this.getTarget(this.standardTarget(entitySet), id, options);
  }

  private async getTarget(target: ApiTarget, id: string, options: { company?: string; expand?: string[]; select?: string[] }): Promise<Record<string, unknown>> {
    requireOperation(target.schema, 'GET by id');
    this.recordId(target, id);
    const queryString = encodeQueryOptions(buildQueryOptions(target.schema, { select: options.select, expand: options.expand }));
    const company = await this.resolveCompany(options.company);
    const record = await this.requestJson('GET', `${target.root}/${this.entityPath(target, company, id)}${queryString}`);
    this.etags.remember(company, target.cacheKey, record);
    return record;
  }

  async create(entitySet: string, data: Record<string, unknown>, options: { company?: string; parentId?: string } = {}): Promise<Record<string, unknown>> {
    return this.createTarget(this.standardTarget(entitySet), data, options);
  }

  private async createTarget(target: ApiTarget, data: Record<string, unknown>, options: { company?: string; parentId?: string }): Promise<Record<string, unknown>> {
    requireOperation(target.schema, 'POST');
    const body = checkWritePayload(target.schema, data, 'create', findEntitySet);
    const company = await this.resolveCompany(options.company);
    const created = await this.requestJson('POST', `${target.root}/${this.collectionPath(target, company, options.parentId)}`, { body });
    this.etags.remember(company, target.cacheKey, created);
    return created;
  }

  async update(entitySet: string, id: string, data: Record<string, unknown>, options: { company?: string; etag?: string } = {}): Promise<Record<string, unknown>> {
    return this.updateTarget(this.standardTarget(entitySet), id, data, options);
  }

  private async updateTarget(target: ApiTarget, id: string, data: Record<string, unknown>, options: { company?: string; etag?: string }): Promise<Record<string, unknown>> {
    requireOperation(target.schema, 'PATCH');
    this.recordId(target, id);
    const body = checkWritePayload(target.schema, data, 'update', findEntitySet);
    const company = await this.resolveCompany(options.company);
    const path = this.entityPath(target, company, id);
    const ifMatch = await this.ifMatchFor(target, company, id, options.etag);
    const updated = await this.withConflictEviction(target, company, id, () =>
      this.requestJson('PATCH', `${target.root}/${path}`, { body, headers: { 'If-Match': ifMatch } }),
    );
    this.etags.remember(company, target.cacheKey, updated);
    return updated;
  }

  async delete(entitySet: string, id: string, options: { company?: string; etag?: string } = {}): Promise<void> {
    return this.deleteTarget(this.standardTarget(entitySet), id, options);
  }

  private async deleteTarget(target: ApiTarget, id: string, options: { company?: string; etag?: string }): Promise<void> {
    requireOperation(target.schema, 'DELETE');
    this.recordId(target, id);
    const company = await this.resolveCompany(options.company);
    const path = this.entityPath(target, company, id);
    const ifMatch = await this.ifMatchFor(target, company, id, options.etag);
    await this.withConflictEviction(target, company, id, () => this.request('DELETE', `${target.root}/${path}`, { headers: { 'If-Match': ifMatch } }));
    this.etags.delete(company, target.cacheKey, id);
  }

  /** Bound action such as `shipAndInvoice` / `Microsoft.NAV.receiveAndInvoice` on one record. */
  async invokeAction(entitySet: string, id: string, action: string, options: { company?: string } = {}): Promise<void> {
    const target = this.standardTarget(entitySet);
    const qualified = typeof action === 'string' && !action.includes('.') ? `Microsoft.NAV.${action}` : action;
    if (!target.schema.boundActions.includes(qualified)) {
      throw invalidRequest(
        `'${entitySet}' has no bound action ${describe(action)} (available: ${target.schema.boundActions.join(', ') || 'none'})`,
        'BadRequest_MethodNotImplemented',
      );
    }
    this.recordId(target, id);
    const company = await this.resolveCompany(options.company);
    await this.request('POST', `${target.root}/${this.entityPath(target, company, id)}/${qualified}`);
    // The action changed the record, so the remembered ETag is stale.
    this.etags.delete(company, target.cacheKey, id);
  }

  /** The caller's ETag, else the one remembered from a read, else (by configuration) the current one. */
  private async ifMatchFor(target: ApiTarget, company: string, id: string, given?: string): Promise<string> {
    if (given !== undefined) return etagHeader(given);
    const remembered = this.etags.get(company, target.cacheKey, id);
    if (remembered !== undefined) return remembered;
    if (this.missingEtag === 'error') {
      throw invalidRequest(
        `No ETag known for ${target.schema.entitySet}(${id}): read the record first or pass its @odata.etag`,
        'BadRequest_InvalidToken',
      );
    }
    const current = await this.getTarget(target, id, { company });
    const etag = current['@odata.etag'];
    if (typeof etag !== 'string') {
      throw new BcServerError(`BC returned ${target.schema.entitySet}(${id}) without an @odata.etag`, { kind: 'server', status: 200, code: 'Client_InvalidResponse' });
    }
    return etag;
  }

  /** On a stale ETag, forget it so the next read starts fresh; the conflict itself goes to the caller. */
  private async withConflictEviction<T>(target: ApiTarget, company: string, id: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (error instanceof BcConflictError) this.etags.delete(company, target.cacheKey, id);
      throw error;
    }
  }

  // ---- $batch --------------------------------------------------------------------------------------

  /**
   * Runs operations through JSON `$batch`, at most 100 per request (larger non-atomic batches are split and
   * sent in order). Atomic batches go as one request with `Isolation: snapshot`; more than 100 is refused.
   * One result per operation, in the caller's order.
   */
  async batch(operations: BatchOperation[], options: { atomic?: boolean; company?: string } = {}): Promise<BatchResult[]> {
    if (!Array.isArray(operations) || operations.length === 0) throw invalidRequest('A batch needs at least one operation', 'BadRequest');
    const atomic = options.atomic === true;
    chunkBatch(operations, atomic); // refuse an oversized atomic batch before any HTTP call
    const validated = operations.map((operation, index) => this.validateBatchOperation(operation, index));
    const company = await this.resolveCompany(options.company);
    const prepared: PreparedBatchOperation[] = [];
    for (const { operation, target, body, index } of validated) {
      const ifMatch = operation.method === 'PATCH' || operation.method === 'DELETE'
        ? await this.ifMatchFor(target, company, operation.id as string, operation.etag)
        : undefined;
      const relativeUrl = operation.id !== undefined
        ? this.entityPath(target, company, operation.id)
        : this.collectionPath(target, company);
      prepared.push({ index, operation, relativeUrl, ...(ifMatch ? { ifMatch } : {}), ...(body ? { body } : {}) });
    }
    const results: BatchResult[] = [];
    for (const chunk of chunkBatch(prepared, atomic)) {
      const idempotent = chunk.every((op) => op.operation.method !== 'POST');
      const responseBody = await this.requestJson('POST', `${this.apiRoot}/$batch`, {
        body: buildBatchBody(chunk),
        headers: atomic ? { Isolation: 'snapshot' } : {},
        idempotent,
      });
      results.push(...readBatchResponse(chunk, responseBody, atomic, '/$batch'));
    }
    for (const result of results) this.rememberBatchResult(company, result);
    return results;
  }

  private validateBatchOperation(operation: BatchOperation, index: number): { operation: BatchOperation; target: ApiTarget; body?: Record<string, unknown>; index: number } {
    const where = `Batch operation ${index + 1}`;
    if (typeof operation !== 'object' || operation === null) throw invalidRequest(`${where} must be an object`, 'BadRequest');
    const target = this.standardTarget(operation.entitySet);
    switch (operation.method) {
      case 'GET':
        requireOperation(target.schema, operation.id === undefined ? 'GET list' : 'GET by id');
        break;
      case 'POST':
        requireOperation(target.schema, 'POST');
        if (operation.id !== undefined) throw invalidRequest(`${where}: POST creates a record, so it takes no id`, 'BadRequest');
        break;
      case 'PATCH':
      case 'DELETE':
        requireOperation(target.schema, operation.method);
        break;
      default:
        throw invalidRequest(`${where}: method must be GET, POST, PATCH or DELETE, got ${describe((operation as { method?: unknown }).method)}`, 'BadRequest_MethodNotAllowed');
    }
    if ((operation.method === 'PATCH' || operation.method === 'DELETE') && operation.id === undefined) throw invalidRequest(`${where}: ${operation.method} needs an id`, 'BadRequest');
    if (operation.id !== undefined) requireGuid(operation.id, `${where}: id`);
    if (operation.etag !== undefined) etagHeader(operation.etag);
    const writes = operation.method === 'POST' || operation.method === 'PATCH';
    if (!writes && operation.data !== undefined) throw invalidRequest(`${where}: ${operation.method} takes no data`, 'BadRequest');
    const body = writes ? checkWritePayload(target.schema, operation.data, operation.method === 'POST' ? 'create' : 'update', findEntitySet) : undefined;
    return { operation, target, body, index };
  }

  private rememberBatchResult(company: string, result: BatchResult): void {
    if (result.ok && result.method === 'DELETE' && result.id) this.etags.delete(company, result.entitySet, result.id);
    else if (result.ok && result.body) {
      const values = result.body.value;
      if (Array.isArray(values)) values.forEach((record) => this.etags.remember(company, result.entitySet, record));
      else this.etags.remember(company, result.entitySet, result.body);
    } else if (result.error instanceof BcConflictError && result.id) this.etags.delete(company, result.entitySet, result.id);
  }

  // ---- metadata and custom APIs --------------------------------------------------------------------

  /** The `$metadata` EDMX document of API v2.0 (fetched once per client). */
  async metadata(): Promise<string> {
    this.metadataPromise ??= this.request('GET', `${this.apiRoot}/$metadata`, { accept: 'application/xml' })
      .then((response) => response.text)
      .catch((error: unknown) => {
        this.metadataPromise = undefined;
        throw error;
      });
    return this.metadataPromise;
  }

  /** A custom API entity set, e.g. `customApi(itemReservationsApi)` for /api/bcagent/inventory/v1.0/…/itemReservations. */
  customApi(path: CustomApiPath & { definition?: EntitySetDefinition }): CustomApiClient {
    const target = this.customTarget(path);
    return {
      list: (query, options = {}) => this.queryTarget(target, query, options),
      get: (id, options = {}) => this.getTarget(target, id, options),
      create: (data, options = {}) => this.createTarget(target, data, options),
      update: (id, data, options = {}) => this.updateTarget(target, id, data, options),
      delete: (id, options = {}) => this.deleteTarget(target, id, options),
    };
  }
}
