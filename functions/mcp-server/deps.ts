// What the MCP server needs from the outside world: the BC client (its subset the tools and resources use) and
// which entity sets the write tools may change. Kept separate so tests and the bench can pass their own.
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { BcClient } from '../core/bc/index.js';
import { isEntitySet } from '../core/bc/index.js';
import type { EntitySchemaCache } from './entity-schemas.js';

export type BcBackend = Pick<BcClient, 'companies' | 'query' | 'continueQuery' | 'create' | 'update' | 'delete' | 'batch' | 'metadata' | 'get' | 'invokeAction'>;

/** Entity sets the write tools may change: every set (`'*'`) or the listed ones (empty: read-only server). */
export type WritableEntitySets = ReadonlySet<string> | '*';

export function isWritable(writable: WritableEntitySets, entitySet: string): boolean {
  return writable === '*' || writable.has(entitySet);
}

/**
 * Parses `BC_WRITABLE_ENTITY_SETS`: a comma list of entity sets, `*` for all, empty/unset for none.
 * An unknown name is a configuration error (a typo must not silently leave a set read-only or writable).
 */
export function parseWritableEntitySets(value: string | undefined): WritableEntitySets {
  const text = (value ?? '').trim();
  if (text === '*') return '*';
  const names = text.split(',').map((n) => n.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isEntitySet(n));
  if (unknown.length) {
    throw new Error(`BC_WRITABLE_ENTITY_SETS names unknown entity sets: ${unknown.join(', ')}`);
  }
  return new Set(names);
}

export interface BcMcpServerDeps {
  bc: BcBackend;
  writableEntitySets: WritableEntitySets;
  /** The configured company (BC_COMPANY_ID), shown as the current one by `bc://company`; default: the first. */
  companyId?: string;
  /**
   * Entity-set schemas from BC's `$metadata`. Pass one per container so that a stateless server, built per
   * request, fetches `$metadata` once; omitted, the server makes its own.
   */
  schemas?: EntitySchemaCache;
  /**
   * Why the caller (the transport's `authInfo`) may not use the write tools, or undefined when it may. The HTTP
   * server passes access.ts's check; omitted (stdio: the operator's own process and BC credentials), every
   * caller may write the writable entity sets.
   */
  writeRefusal?: (authInfo: AuthInfo | undefined) => string | undefined;
}
