// Parses BC API URLs: `/v2.0/{tenant}/{environment}/api/v2.0/<resource path>` for the standard API and
// `/v2.0/{tenant}/{environment}/api/bcagent/inventory/v1.0/<resource path>` for the custom inventory API.
import { bcErrors } from './errors.js';
import type { ApiKind } from './schema.js';

export interface PathSegment {
  name: string;
  key?: string;
}

export interface ApiLocation {
  api: ApiKind;
  tenant: string;
  environment: string;
  /** `https://host/v2.0/{tenant}/{environment}/api/v2.0` style root for @odata.context and nextLink. */
  serviceRoot: string;
  segments: PathSegment[];
}

const API_ROOTS: Record<string, ApiKind> = { 'api/v2.0': 'standard', 'api/bcagent/inventory/v1.0': 'inventory' };
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Returns undefined when the path is not an API path at all. */
export function parseApiPath(pathname: string, origin: string): ApiLocation | undefined {
  const match = /^\/v2\.0\/([^/]+)\/([^/]+)\/(api\/v2\.0|api\/bcagent\/inventory\/v1\.0)(?:\/(.*))?$/.exec(pathname);
  if (!match) return undefined;
  const [, tenant, environment, root, rest] = match;
  const serviceRoot = `${origin}/v2.0/${tenant}/${environment}/${root}`;
  return {
    api: API_ROOTS[root!]!,
    tenant: decodeURIComponent(tenant!),
    environment: decodeURIComponent(environment!),
    serviceRoot,
    segments: parseSegments(rest ?? ''),
  };
}

/** `companies(abc)/salesOrders(def)/salesOrderLines` → [{companies, abc}, {salesOrders, def}, {salesOrderLines}] */
export function parseSegments(path: string): PathSegment[] {
  return path
    .split('/')
    .filter((s) => s.length > 0)
    .map((raw) => {
      const segment = decodeURIComponent(raw);
      const open = segment.indexOf('(');
      if (open === -1) return { name: segment };
      if (!segment.endsWith(')')) throw bcErrors.querySyntax(`Bad Request - Error in query syntax: '${segment}'`);
      return { name: segment.slice(0, open), key: parseKey(segment.slice(open + 1, -1)) };
    });
}

/** Keys are GUIDs, bare or as `id=<guid>`, optionally quoted. */
function parseKey(raw: string): string {
  let key = raw.trim();
  if (key.startsWith('id=')) key = key.slice(3);
  if (key.startsWith("'") && key.endsWith("'")) key = key.slice(1, -1);
  if (!GUID.test(key)) throw bcErrors.querySyntax(`'|' or ',' expected at position ${Math.min(key.length, 3)} in (${raw})`);
  return key.toLowerCase();
}
