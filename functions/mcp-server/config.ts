// Configuration of the MCP server from the environment (docs/internals.md), shared by the Lambda handler and
// the stdio bin: the BC client's settings (functions/core/bc/env.ts, shared with the saga steps) plus which
// entity sets the write tools may change.
import { BcClient, correlatingFetch, type BcClientConfig } from '../core/bc/index.js';
import { loadBcClientConfig, loadBcCredentialsFromSecretsManager, type BcCredentialsLoader } from '../core/bc/index.js';
import type { Env } from '../core/config/index.js';
import { parseWritableEntitySets, type WritableEntitySets } from './deps.js';

export interface McpServerConfig {
  bc: BcClientConfig;
  writableEntitySets: WritableEntitySets;
}

export async function loadMcpServerConfig(
  env: Env = process.env,
  loadCredentials: BcCredentialsLoader = loadBcCredentialsFromSecretsManager,
): Promise<McpServerConfig> {
  // The writable sets are checked first: a typo there is a configuration error whatever the credentials.
  const writableEntitySets = parseWritableEntitySets(env.BC_WRITABLE_ENTITY_SETS);
  return { bc: await loadBcClientConfig(env, loadCredentials), writableEntitySets };
}

/**
 * The server's BC client, one per process: each request carries the correlation id of the tool call in
 * progress (`withBcCorrelation`), so BC's logs line up with the caller's story.
 */
export function createServerBcClient(config: McpServerConfig): BcClient {
  return new BcClient(config.bc, { fetch: correlatingFetch(globalThis.fetch.bind(globalThis)) });
}
