// Resolves a BC API request to a resource (companies, an entity set, a record, lines under a document, a bound
// action) and performs it against the store. A pure request → response function, so $batch reuses it.
import { bcErrors } from './errors.js';
import { applyCollection, encodeSkipToken, parseQueryOptions, type QueryOptions } from './odata/query.js';
import { contextUrl, shapeRecord, type ShapeContext } from './responses.js';
import { childSetOf, definitionFor, resolveNavigation, type EntitySetDefinition } from './schema.js';
import { createRecord, deleteRecord, updateRecord, type WriteContext } from './entity-rules.js';
import { validateBody } from './validation.js';
import { linesOf, type DocumentSet } from './documents.js';
import { runBoundAction } from './bound-actions.js';
import { createReservation, requireInventoryApi, type CustomApiSettings } from './reservations.js';
import { buildMetadata, serviceDocument } from './metadata.js';
import { jsonContentType, requestedMetadataLevel, withoutControlInformation } from './odata/metadata-level.js';
import { etagOf, type Store, type StoredRow } from './store.js';
import type { ApiLocation } from './routes.js';
import type { BcPrincipal, Directory } from './directory.js';
import { requirePermission, type TablePermission } from './permissions.js';

export interface ApiRequest {
  method: string;
  location: ApiLocation;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  body: unknown;
  /** The full request URL (for nextLink). */
  url: URL;
  /** Who the bearer token acts for; when given, BC's permission checks and change log apply. */
  principal?: BcPrincipal;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** Raw text (e.g. $metadata XML, $count). */
  text?: string;
}

export interface ApiConfig {
  tenant: string;
  environments: string[];
  maxPageSize: number;
  now: () => number;
  /** Users and permission sets; without one, requests are not permission-checked. */
  directory?: Directory;
  /** The custom APIs served (reservations.ts); read on every request, so a change applies at once. */
  customApis: CustomApiSettings;
}

type Target =
  | { kind: 'companies' }
  | { kind: 'company'; row: StoredRow }
  | { kind: 'collection'; companyId: string; definition: EntitySetDefinition; path: string; scope?: { field: string; value: string } }
  | { kind: 'count'; companyId: string; definition: EntitySetDefinition }
  | { kind: 'entity'; companyId: string; definition: EntitySetDefinition; path: string; row: StoredRow }
  | { kind: 'action'; companyId: string; definition: EntitySetDefinition; action: string; row: StoredRow }
  | { kind: 'metadata' }
  | { kind: 'service' };

const companiesDefinition = definitionFor('standard', 'companies')!;

/** Separates the lines of a document POST (`salesOrderLines: [...]`) from its header. */
function splitDeepInsert(definition: EntitySetDefinition, body: unknown): { header: unknown; lines?: unknown[] } {
  const lineSet = linesOf[definition.entitySet as DocumentSet] as string | undefined;
  if (!lineSet || typeof body !== 'object' || body === null || !(lineSet in body)) return { header: body };
  const { [lineSet]: lines, ...header } = body as Record<string, unknown>;
  if (!Array.isArray(lines)) throw bcErrors.badRequest(`The property '${lineSet}' of a deep insert must be an array`);
  return { header, lines };
}

export class BcApi {
  constructor(
    private readonly store: Store,
    private readonly config: ApiConfig,
  ) {}

  /** The entity set a request addresses (for stats, faults and rate keys); undefined when it names none. */
  static entitySetOf(location: ApiLocation): string | undefined {
    const segments = location.segments;
    if (segments.length === 0) return undefined;
    if (segments.length === 1) return segments[0]!.name;
    const last = segments[segments.length - 1]!;
    if (last.name.startsWith('Microsoft.NAV.') || last.name === '$count') return segments[segments.length - 2]!.name;
    return last.name;
  }

  /** Performs a request and answers at the metadata level it asks for (Accept or `$format`). */
  handle(request: ApiRequest): ApiResponse {
    const { principal } = request;
    const response = principal
      ? this.store.actAs({ principal, time: new Date(this.config.now()).toISOString() }, () => this.perform(request))
      : this.perform(request);
    if (response.body === undefined) return response;
    const level = requestedMetadataLevel(request.headers.accept, request.query.get('$format'));
    const body = level === 'none' ? withoutControlInformation(response.body) : response.body;
    return { ...response, headers: { 'Content-Type': jsonContentType(level), ...response.headers }, body };
  }

  private perform(request: ApiRequest): ApiResponse {
    const { location } = request;
    if (location.tenant !== this.config.tenant || !this.config.environments.includes(location.environment)) {
      throw bcErrors.tenantUnavailable(location.tenant, location.environment);
    }
    this.requirePublished(location, request.url);
    const target = this.resolve(location);
    this.authorize(request, target);
    switch (target.kind) {
      case 'service':
        this.allow(request, ['GET'], 'the service document');
        return { status: 200, headers: {}, body: serviceDocument(location.api, location.serviceRoot) };
      case 'metadata':
        this.allow(request, ['GET'], '$metadata');
        return { status: 200, headers: { 'Content-Type': 'application/xml' }, text: buildMetadata(location.api) };
      case 'companies': {
        this.allow(request, ['GET'], 'companies');
        const shape: ShapeContext = { store: this.store, companyId: '', api: location.api };
        return this.list(request, companiesDefinition, this.store.companies(), 'companies', (row, options) => shapeRecord(shape, row, companiesDefinition, options));
      }
      case 'company': {
        this.allow(request, ['GET'], 'companies');
        const options = this.options(request, companiesDefinition);
        const shape: ShapeContext = { store: this.store, companyId: '', api: location.api };
        return this.entityResponse(location, 'companies', options, shapeRecord(shape, target.row, companiesDefinition, options), target.row);
      }
      case 'count': {
        this.allow(request, ['GET'], target.definition.entitySet);
        const { filter } = this.options(request, target.definition);
        const rows = this.store.list(target.companyId, target.definition.entitySet).filter((row) => !filter || filter(row.data));
        return { status: 200, headers: { 'Content-Type': 'text/plain' }, text: String(rows.length) };
      }
      case 'collection':
        return this.collection(request, target);
      case 'entity':
        return this.entity(request, target);
      case 'action':
        return this.action(request, target);
    }
  }

  /**
   * BC's table-data permission check for what the request does to the table behind the entity set: Read for GET
   * (and for every expanded set), Insert for POST (a deep insert also inserts its lines), Modify for PATCH and
   * for a bound action (posting changes the document), Delete for DELETE.
   */
  private authorize(request: ApiRequest, target: Target): void {
    const { principal } = request;
    const directory = this.config.directory;
    if (!principal || !directory) return;
    if (target.kind === 'service' || target.kind === 'metadata' || target.kind === 'companies' || target.kind === 'company') return;
    const require = (entitySet: string, permission: TablePermission) => requirePermission(directory, principal, entitySet, permission);
    const entitySet = target.definition.entitySet;
    if (target.kind === 'action') return require(entitySet, 'Modify');
    switch (request.method) {
      case 'GET': {
        require(entitySet, 'Read');
        if (target.kind === 'count') return;
        const expanded = (options: QueryOptions): void => {
          for (const expand of options.expand) {
            require(expand.resolution.target, 'Read');
            expanded(expand.options);
          }
        };
        return expanded(this.options(request, target.definition));
      }
      case 'POST': {
        require(entitySet, 'Insert');
        const lineSet = linesOf[entitySet as DocumentSet] as string | undefined;
        if (lineSet && typeof request.body === 'object' && request.body !== null && lineSet in request.body) require(lineSet, 'Insert');
        return;
      }
      case 'PATCH':
      case 'PUT':
        return require(entitySet, 'Modify');
      case 'DELETE':
        return require(entitySet, 'Delete');
    }
  }

  /** Refuses, as BC does, a request to a custom API whose extension is not installed (reservations.ts). */
  requirePublished(location: ApiLocation, url: URL): void {
    if (location.api === 'inventory') requireInventoryApi(this.config.customApis, url);
  }

  private allow(request: ApiRequest, methods: string[], segment: string): void {
    if (!methods.includes(request.method)) throw bcErrors.methodNotAllowed(request.method, segment);
  }

  private options(request: ApiRequest, definition: EntitySetDefinition): QueryOptions {
    return parseQueryOptions(new Map(request.query), definition, (set) => definitionFor(request.location.api, set) ?? definitionFor('standard', set));
  }

  private writeContext(companyId: string): WriteContext {
    return { store: this.store, companyId, now: () => new Date(this.config.now()).toISOString() };
  }

  private resolve(location: ApiLocation): Target {
    const [first, second, third, ...rest] = location.segments;
    if (!first) return { kind: 'service' };
    if (first.name === '$metadata' && !second) return { kind: 'metadata' };
    if (first.name !== 'companies') throw bcErrors.resourceNotFound(first.name);
    if (first.key === undefined) {
      if (second) throw bcErrors.resourceNotFound(second.name);
      return { kind: 'companies' };
    }
    const company = this.store.company(first.key);
    if (!company) throw bcErrors.companyNotFound(first.key);
    const companyId = String(company.record.data.id);
    if (!second) return { kind: 'company', row: company.record };
    const definition = definitionFor(location.api, second.name);
    if (!definition || second.name === 'companies') throw bcErrors.resourceNotFound(second.name);
    const basePath = `companies(${companyId})/${definition.entitySet}`;
    if (!third) {
      if (second.key === undefined) return { kind: 'collection', companyId, definition, path: basePath };
      return { kind: 'entity', companyId, definition, path: basePath, row: this.row(companyId, definition, second.key) };
    }
    if (rest.length > 0) throw bcErrors.resourceNotFound(rest[0]!.name);
    if (second.key === undefined) {
      if (third.name === '$count' && third.key === undefined) return { kind: 'count', companyId, definition };
      throw bcErrors.resourceNotFound(third.name);
    }
    const parent = this.row(companyId, definition, second.key);
    if (third.name.startsWith('Microsoft.NAV.')) {
      if (!definition.boundActions.includes(third.name)) {
        if (definition.boundActions.length === 0) throw bcErrors.notImplemented('Entity does not support bound actions');
        throw bcErrors.resourceNotFound(third.name);
      }
      return { kind: 'action', companyId, definition, action: third.name, row: parent };
    }
    const child = childSetOf(definition, third.name);
    if (child) {
      const { definition: lineDefinition, foreignKey } = child;
      const lineSet = lineDefinition.entitySet;
      const path = `companies(${companyId})/${definition.entitySet}(${String(parent.data.id)})/${lineSet}`;
      const scope = { field: foreignKey, value: String(parent.data.id) };
      if (third.key === undefined) return { kind: 'collection', companyId, definition: lineDefinition, path, scope };
      const line = this.row(companyId, lineDefinition, third.key);
      if (line.data[foreignKey] !== parent.data.id) throw bcErrors.recordNotFound(lineDefinition.entityName, third.key);
      return { kind: 'entity', companyId, definition: lineDefinition, path, row: line };
    }
    // A single-valued navigation such as salesOrders({id})/customer.
    const navigation = resolveNavigation(definition, third.name);
    if (navigation?.kind === 'single' && third.key === undefined) {
      const targetDefinition = definitionFor('standard', navigation.target)!;
      const related = this.store.get(companyId, navigation.target, String(parent.data[navigation.foreignKey]));
      if (!related) throw bcErrors.recordNotFound(targetDefinition.entityName, String(parent.data[navigation.foreignKey]));
      return { kind: 'entity', companyId, definition: targetDefinition, path: `companies(${companyId})/${navigation.target}`, row: related };
    }
    throw bcErrors.resourceNotFound(third.name);
  }

  private row(companyId: string, definition: EntitySetDefinition, id: string): StoredRow {
    const row = this.store.get(companyId, definition.entitySet, id);
    if (!row) throw bcErrors.recordNotFound(definition.entityName, id);
    return row;
  }

  private list(
    request: ApiRequest,
    definition: EntitySetDefinition,
    rows: StoredRow[],
    path: string,
    shape: (row: StoredRow, options: QueryOptions) => Record<string, unknown>,
  ): ApiResponse {
    const options = this.options(request, definition);
    const preferred = /odata\.maxpagesize=(\d+)/i.exec(request.headers.prefer ?? '');
    const requested = preferred ? Math.max(1, Number(preferred[1])) : undefined;
    const pageSize = Math.min(requested ?? this.config.maxPageSize, this.config.maxPageSize);
    const result = applyCollection(rows, (row) => row.data, options, definition, pageSize);
    const body: Record<string, unknown> = { '@odata.context': contextUrl(request.location.serviceRoot, path, options.select, false) };
    if (result.count !== undefined) body['@odata.count'] = result.count;
    body.value = result.page.map((row) => shape(row, options));
    if (result.nextOffset !== undefined) {
      const next = new URL(request.url.href);
      next.searchParams.set('$skiptoken', encodeSkipToken(result.nextOffset));
      body['@odata.nextLink'] = next.href;
    }
    const headers: Record<string, string> = {};
    if (requested !== undefined) headers['Preference-Applied'] = `odata.maxpagesize=${pageSize}`;
    return { status: 200, headers, body };
  }

  private entityResponse(location: ApiLocation, path: string, options: QueryOptions | undefined, record: Record<string, unknown>, row: StoredRow, status = 200): ApiResponse {
    return {
      status,
      headers: { ETag: etagOf(row) },
      body: { '@odata.context': contextUrl(location.serviceRoot, path, options?.select, true), ...record },
    };
  }

  private supports(definition: EntitySetDefinition, operation: string, method: string): void {
    if (!definition.operations.includes(operation)) throw bcErrors.methodNotAllowed(method, definition.entitySet);
  }

  private collection(request: ApiRequest, target: Extract<Target, { kind: 'collection' }>): ApiResponse {
    const { definition, companyId, scope } = target;
    const shape: ShapeContext = { store: this.store, companyId, api: request.location.api };
    if (request.method === 'GET') {
      this.supports(definition, 'GET list', 'GET');
      const rows = this.store.list(companyId, definition.entitySet).filter((row) => !scope || row.data[scope.field] === scope.value);
      return this.list(request, definition, rows, target.path, (row, options) => shapeRecord(shape, row, definition, options));
    }
    if (request.method !== 'POST') throw bcErrors.methodNotAllowed(request.method, definition.entitySet);
    this.supports(definition, 'POST', 'POST');
    const { header, lines } = splitDeepInsert(definition, request.body);
    const values = validateBody(definition, header);
    if (scope) {
      if (values[scope.field] !== undefined && values[scope.field] !== scope.value) throw bcErrors.badRequest(`The ${scope.field} in the body does not match the document in the URL`);
      values[scope.field] = scope.value;
    }
    const ctx = this.writeContext(companyId);
    const row =
      request.location.api === 'inventory'
        ? createReservation(ctx, values)
        : lines
          ? this.deepInsert(ctx, definition.entitySet as DocumentSet, values, lines)
          : createRecord(ctx, definition.entitySet, values);
    const options = this.options(request, definition);
    const response = this.entityResponse(request.location, target.path, options, shapeRecord(shape, row, definition, options), row, 201);
    response.headers.Location = `${request.location.serviceRoot}/${target.path}(${String(row.data.id)})`;
    return response;
  }

  /** A document and its lines in one POST (BC's deep insert): all or nothing. */
  private deepInsert(ctx: WriteContext, documentSet: DocumentSet, values: Record<string, unknown>, lines: unknown[]): StoredRow {
    const lineDefinition = definitionFor('standard', linesOf[documentSet])!;
    const snapshot = this.store.snapshot();
    try {
      const document = createRecord(ctx, documentSet, values);
      for (const line of lines) {
        const lineValues = validateBody(lineDefinition, line);
        if (lineValues.documentId !== undefined && lineValues.documentId !== document.data.id) {
          throw bcErrors.badRequest('A line of a deep insert cannot name another document');
        }
        createRecord(ctx, linesOf[documentSet], { ...lineValues, documentId: document.data.id });
      }
      return this.store.get(ctx.companyId, documentSet, String(document.data.id))!;
    } catch (error) {
      this.store.restore(snapshot);
      throw error;
    }
  }

  /** If-Match is required on PATCH and DELETE; `*` matches any version, a stale ETag is a 412. */
  private checkIfMatch(request: ApiRequest, row: StoredRow): void {
    const ifMatch = request.headers['if-match'];
    if (!ifMatch) throw bcErrors.ifMatchMissing();
    const tags = ifMatch.split(',').map((t) => t.trim());
    if (!tags.includes('*') && !tags.includes(etagOf(row))) throw bcErrors.entityChanged();
  }

  private entity(request: ApiRequest, target: Extract<Target, { kind: 'entity' }>): ApiResponse {
    const { definition, companyId, row } = target;
    const shape: ShapeContext = { store: this.store, companyId, api: request.location.api };
    switch (request.method) {
      case 'GET': {
        this.supports(definition, 'GET by id', 'GET');
        const options = this.options(request, definition);
        return this.entityResponse(request.location, target.path, options, shapeRecord(shape, row, definition, options), row);
      }
      case 'PATCH': {
        this.supports(definition, 'PATCH', 'PATCH');
        this.checkIfMatch(request, row);
        const changes = validateBody(definition, request.body);
        const updated = updateRecord(this.writeContext(companyId), definition.entitySet, row, changes);
        const options = this.options(request, definition);
        return this.entityResponse(request.location, target.path, options, shapeRecord(shape, updated, definition, options), updated);
      }
      case 'DELETE': {
        this.supports(definition, 'DELETE', 'DELETE');
        this.checkIfMatch(request, row);
        const ctx = this.writeContext(companyId);
        if (request.location.api === 'inventory') this.store.remove(companyId, definition.entitySet, String(row.data.id));
        else deleteRecord(ctx, definition.entitySet, row);
        return { status: 204, headers: {} };
      }
      default:
        throw bcErrors.methodNotAllowed(request.method, definition.entitySet);
    }
  }

  private action(request: ApiRequest, target: Extract<Target, { kind: 'action' }>): ApiResponse {
    if (request.method !== 'POST') throw bcErrors.methodNotAllowed(request.method, target.action);
    runBoundAction(this.writeContext(target.companyId), target.definition.entitySet, target.action, target.row);
    return { status: 204, headers: {} };
  }
}

