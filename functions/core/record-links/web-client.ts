// Links from the agent's results to the records in Business Central's web client, as Copilot in BC links the
// records it names. The URL is the web client's documented form (learn.microsoft.com, "Web client URL"):
//
//   <base>/<entra tenant>/<environment>/?company=<company name>&page=<page id>&filter='SystemId' IS '<id>'
//
// API v2.0 records carry their SystemId as `id`, so one filter finds the record on its card whatever its number.
// The base is configured per stage (BC_WEB_CLIENT_URL; locally the BC sandbox), never one tenant's address.
import { optionalEnv, type Env } from '../config/index.js';

/** The card (or document) page that shows one record of each entity set; sets without one get no link. */
export const RECORD_PAGES: Readonly<Record<string, number>> = {
  customers: 21,
  vendors: 26,
  items: 30,
  accounts: 17,
  salesQuotes: 41,
  salesOrders: 42,
  salesInvoices: 43,
  salesCreditMemos: 44,
  purchaseOrders: 50,
  purchaseInvoices: 51,
  contacts: 5050,
  employees: 5200,
  locations: 5703,
};

export interface WebClientSettings {
  /** e.g. `https://businesscentral.dynamics.com`. */
  baseUrl: string;
  /** The Entra tenant of the BC environment (omitted from the URL when `common`: the user's own). */
  tenant?: string;
  environment?: string;
  /** The company the agent works in, by name; the user's current company when absent. */
  companyName?: string;
}

export interface RecordLink {
  entitySet: string;
  id: string;
  /** What a person reads: the record's number and name where it has them. */
  label: string;
  url: string;
}

/** Links in one task at most: a list of thousands links to its first records only. */
export const MAX_LINKS_PER_TASK = 50;

/** The settings from BC_WEB_CLIENT_URL, BC_TENANT, BC_ENVIRONMENT, BC_COMPANY_NAME; undefined without a base URL. */
export function webClientSettingsFromEnv(env: Env = process.env): WebClientSettings | undefined {
  const baseUrl = optionalEnv('BC_WEB_CLIENT_URL', env);
  if (!baseUrl) return undefined;
  const tenant = optionalEnv('BC_TENANT', env);
  const environment = optionalEnv('BC_ENVIRONMENT', env);
  const companyName = optionalEnv('BC_COMPANY_NAME', env);
  return { baseUrl, ...(tenant ? { tenant } : {}), ...(environment ? { environment } : {}), ...(companyName ? { companyName } : {}) };
}

const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The web client URL of one record, or undefined for an entity set without a page or an id that is no SystemId. */
export function recordUrl(settings: WebClientSettings, entitySet: string, id: string): string | undefined {
  const page = RECORD_PAGES[entitySet];
  if (page === undefined || !GUID.test(id)) return undefined;
  const url = new URL(settings.baseUrl);
  const segments = [url.pathname.replace(/\/+$/, ''), ...(settings.tenant && settings.tenant !== 'common' ? [settings.tenant] : []), ...(settings.environment ? [settings.environment] : [])];
  url.pathname = `${segments.map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/')}/`;
  const search = new URLSearchParams();
  if (settings.companyName) search.set('company', settings.companyName);
  search.set('page', String(page));
  search.set('filter', `'SystemId' IS '${id}'`);
  url.search = search.toString();
  return url.toString();
}

function labelOf(record: Record<string, unknown>, id: string): string {
  const number = typeof record.number === 'string' ? record.number : undefined;
  const name = ['displayName', 'name', 'description'].map((k) => record[k]).find((v): v is string => typeof v === 'string' && v.length > 0);
  return [number, name].filter(Boolean).join(' ') || id;
}

/**
 * Links to the records a task's result names: the rows of a query (`{ value: [...] }`) or the record a write
 * returned, of `entitySet`. Records without an id, or of sets without a page, get none.
 */
export function recordLinks(settings: WebClientSettings, entitySet: string, result: unknown): RecordLink[] {
  const records = Array.isArray((result as { value?: unknown } | null)?.value)
    ? ((result as { value: unknown[] }).value)
    : result !== null && typeof result === 'object' && !Array.isArray(result)
      ? [result]
      : [];
  const links: RecordLink[] = [];
  for (const record of records) {
    if (links.length >= MAX_LINKS_PER_TASK) break;
    if (record === null || typeof record !== 'object') continue;
    const id = (record as { id?: unknown }).id;
    if (typeof id !== 'string') continue;
    const url = recordUrl(settings, entitySet, id);
    if (url) links.push({ entitySet, id, label: labelOf(record as Record<string, unknown>, id), url });
  }
  return links;
}
