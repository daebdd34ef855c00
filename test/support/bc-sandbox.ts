// The BC sandbox as the functions under test see it: the BC_* environment (docs/internals.md) that points a
// BC client, the MCP server or a saga step at a running sandbox with its client credentials.
import type { BcSandbox } from '../../local/bc-sandbox/index.js';

export function sandboxBcEnv(sandbox: BcSandbox): Record<string, string> {
  const { baseUrl, tenant, environment, tokenUrl, clientId, clientSecret } = sandbox.connection;
  return {
    BC_API_BASE_URL: baseUrl,
    BC_TENANT: tenant,
    BC_ENVIRONMENT: environment,
    BC_TOKEN_URL: tokenUrl,
    BC_CLIENT_ID: clientId,
    BC_CLIENT_SECRET: clientSecret,
  };
}
