// Business Central as the campaign sees it: the local BC sandbox read through its API v2.0 URLs (and the
// inventory custom API), its fault admin, and snapshots of every record of every company, so a scenario can
// say exactly which records differ from before it ran and which of them no successful plan explains.
import { entitySetNames } from '../../functions/core/bc/index.js';

const TENANT = 'local';
const ENVIRONMENT = 'sandbox';
const CLIENT_ID = 'local-client';
const CLIENT_SECRET = 'local-secret';
/** Fields that change on any write without saying anything about the data. */
const VOLATILE_FIELDS = new Set(['@odata.etag', 'lastModifiedDateTime']);

// The sandbox admin API's own shapes (its /_admin/faults body and /_admin/requests entries).
export type { FaultRuleInput as FaultRule, LoggedRequest } from '../../local/bc-sandbox/index.js';
import type { FaultRuleInput as FaultRule, LoggedRequest } from '../../local/bc-sandbox/index.js';

export type BcRecord = Record<string, unknown>;

export class SandboxClient {
  private token?: { value: string; until: number };

  constructor(readonly url: string) {}

  get apiUrl(): string {
    return `${this.url}/v2.0/${TENANT}/${ENVIRONMENT}/api/v2.0`;
  }

  get inventoryApiUrl(): string {
    return `${this.url}/v2.0/${TENANT}/${ENVIRONMENT}/api/bcagent/inventory/v1.0`;
  }

  private async bearer(): Promise<string> {
    if (this.token && this.token.until > Date.now()) return this.token.value;
    const response = await fetch(`${this.url}/${TENANT}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET, scope: 'https://api.businesscentral.dynamics.com/.default' }),
    });
    const body = (await response.json()) as { access_token?: string; expires_in?: number };
    if (!response.ok || !body.access_token) throw new Error(`BC sandbox token: ${response.status}`);
    this.token = { value: body.access_token, until: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 };
    return body.access_token;
  }

  /** GET an absolute URL with the sandbox token; `$count` answers are numbers. */
  async getUrl(url: string): Promise<any> {
    const get = async () => fetch(url, { headers: { authorization: `Bearer ${await this.bearer()}` }, signal: AbortSignal.timeout(30_000) });
    let response = await get();
    if (response.status === 401) {
      // A restarted sandbox no longer knows the tokens it issued before: ask for a new one, once.
      this.token = undefined;
      response = await get();
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`BC GET ${url}: ${response.status} ${text.slice(0, 300)}`);
    return text.trim().startsWith('{') ? JSON.parse(text) : Number(text);
  }

  /**
   * Whether the tenant has the reservations extension (bc-extension/; the local cloud's follows the dev stage's
   * saga.reservations): its API root answers, or BC's 404 for an unpublished route.
   */
  async inventoryApiPublished(): Promise<boolean> {
    try {
      await this.getUrl(this.inventoryApiUrl);
      return true;
    } catch (error) {
      if (/: 404 .*BadRequest_NotFound/.test((error as Error).message)) return false;
      throw error;
    }
  }

  /** Every record of a collection, following `@odata.nextLink`. */
  async getAll(url: string): Promise<BcRecord[]> {
    const records: BcRecord[] = [];
    for (let next: string | undefined = url; next; ) {
      const page = (await this.getUrl(next)) as { value: BcRecord[]; '@odata.nextLink'?: string };
      records.push(...page.value);
      next = page['@odata.nextLink'];
    }
    return records;
  }

  async companies(): Promise<BcRecord[]> {
    return this.getAll(`${this.apiUrl}/companies`);
  }

  /** `path` under the first (demo) company, e.g. `customers/$count` or `vendors?$top=3`. */
  async company(path: string): Promise<any> {
    const [first] = await this.companies();
    return this.getUrl(`${this.apiUrl}/companies(${String(first!.id)})/${path}`);
  }

  async addFault(rule: FaultRule): Promise<void> {
    const response = await fetch(`${this.url}/_admin/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rule) });
    if (response.status !== 201) throw new Error(`adding fault ${JSON.stringify(rule)}: ${response.status} ${await response.text()}`);
  }

  async clearFaults(): Promise<void> {
    const response = await fetch(`${this.url}/_admin/faults`, { method: 'DELETE' });
    if (!response.ok) throw new Error(`clearing faults: ${response.status}`);
  }

  async requests(): Promise<LoggedRequest[]> {
    return ((await (await fetch(`${this.url}/_admin/requests`)).json()) as { value: LoggedRequest[] }).value;
  }
}

/** Every record of every company: `companyId/entitySet/id` → record without its volatile fields. */
export interface BcSnapshot {
  takenAt: string;
  /** The first company, the one the agent uses when a request names none. */
  demoCompanyId: string;
  records: Map<string, BcRecord>;
  /** Whether itemReservations exists on this tenant (its records are in `records` only then). */
  reservationsApi: boolean;
}

/** Entity sets read per company: the catalogue's (companies aside) and, with the extension, the inventory reservations. */
const COMPANY_SETS = entitySetNames.filter((name) => name !== 'companies');

export async function takeSnapshot(bc: SandboxClient): Promise<BcSnapshot> {
  const records = new Map<string, BcRecord>();
  const companies = await bc.companies();
  const reservationsApi = await bc.inventoryApiPublished();
  const keep = (companyId: string, set: string, record: BcRecord) => {
    const stable = Object.fromEntries(Object.entries(record).filter(([key]) => !VOLATILE_FIELDS.has(key)));
    records.set(`${companyId}/${set}/${String(record.id)}`, stable);
  };
  for (const company of companies) {
    const companyId = String(company.id);
    keep(companyId, 'companies', company);
    const reads = [
      ...COMPANY_SETS.map((set) => [set, `${bc.apiUrl}/companies(${companyId})/${set}`] as const),
      ...(reservationsApi ? [['itemReservations', `${bc.inventoryApiUrl}/companies(${companyId})/itemReservations`] as const] : []),
    ];
    const collections = await Promise.all(reads.map(async ([set, url]) => [set, await bc.getAll(url)] as const));
    for (const [set, collection] of collections) for (const record of collection) keep(companyId, set, record);
  }
  return { takenAt: new Date().toISOString(), demoCompanyId: String(companies[0]?.id), records, reservationsApi };
}

export interface BcDifference {
  key: string;
  entitySet: string;
  id: string;
  kind: 'added' | 'removed' | 'changed';
  before?: BcRecord;
  after?: BcRecord;
  /** For `changed`: the fields whose values differ. */
  fields?: string[];
}

export function diffSnapshots(before: BcSnapshot, after: BcSnapshot): BcDifference[] {
  const differences: BcDifference[] = [];
  const describe = (key: string) => {
    const [, entitySet, id] = key.split('/') as [string, string, string];
    return { key, entitySet, id };
  };
  for (const [key, old] of before.records) {
    const now = after.records.get(key);
    if (!now) {
      differences.push({ ...describe(key), kind: 'removed', before: old });
      continue;
    }
    const fields = [...new Set([...Object.keys(old), ...Object.keys(now)])].filter((f) => JSON.stringify(old[f]) !== JSON.stringify(now[f]));
    if (fields.length) differences.push({ ...describe(key), kind: 'changed', before: old, after: now, fields });
  }
  for (const [key, now] of after.records) if (!before.records.has(key)) differences.push({ ...describe(key), kind: 'added', after: now });
  return differences;
}

/** A write a succeeded plan reports: today the purchase-order saga's order (with its lines and reservations). */
export interface ExplainedWrite {
  purchaseOrderId: string;
}

/**
 * The differences no succeeded plan explains: these are the orphans. A purchase order a succeeded saga reports
 * explains the order, the lines on it and the reservations that point at it (as added records, and the order's
 * own totals changing as its lines arrive).
 */
export function unexplained(differences: BcDifference[], writes: ExplainedWrite[]): BcDifference[] {
  const orders = new Set(writes.map((w) => w.purchaseOrderId.toLowerCase()));
  const ofOrder = (value: unknown) => typeof value === 'string' && orders.has(value.toLowerCase());
  return differences.filter((d) => {
    const record = d.after ?? d.before ?? {};
    if (d.kind !== 'added') return true;
    if (d.entitySet === 'purchaseOrders') return !ofOrder(d.id);
    if (d.entitySet === 'purchaseOrderLines') return !ofOrder(record.documentId);
    if (d.entitySet === 'itemReservations') return !ofOrder(record.sourceId);
    return true;
  });
}

/** `added purchaseOrders 1234 (number 106001)`: one line per difference, for the report. */
export function describeDifference(d: BcDifference): string {
  const record = d.after ?? d.before ?? {};
  const label = record.number ?? record.documentNumber ?? record.sourceId ?? '';
  return `${d.kind} ${d.entitySet} ${d.id}${label ? ` (${String(label)})` : ''}${d.fields ? ` fields ${d.fields.join(',')}` : ''}`;
}
