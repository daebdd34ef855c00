// The claim mapping of the local HTTP API: what the function behind its JWT routes was deployed with
// (`JWT_*_CLAIM` in its environment, set by the API construct from lib/config.ts), so local tokens carry the
// claims the handlers read, as they would from the stage's identity provider.
import { claimMappingFromEnv, type ClaimMapping } from '../../../functions/core/http/index.js';
import type { FunctionDefinition, HttpApiDefinition } from '../template/model.js';

export function apiClaimMapping(
  api: HttpApiDefinition | undefined,
  functions: readonly Pick<FunctionDefinition, 'name' | 'environment'>[],
  extraEnv: Record<string, string> = {},
): ClaimMapping | undefined {
  const target = api?.routes.find((route) => route.authorizer && route.functionName)?.functionName;
  const fn = target ? functions.find((f) => f.name === target) : undefined;
  return fn ? claimMappingFromEnv({ ...fn.environment, ...extraEnv }) : undefined;
}
