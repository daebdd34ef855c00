// `npm run token -- --sub alice --tenant local [--role approver] [--ttl 3600]`: prints a JWT the local HTTP
// API and the local MCP URL accept, signed with the key pair in `<LOCAL_STATE_DIR>/jwt/` for the issuer and
// audience of the dev stack's authorizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { localSettingsFromEnv } from './config.js';
import { hasJwtKeys, loadOrCreateJwtKeys, signLocalToken, type JwtIssuerConfig, type LocalTokenRequest } from './jwt.js';
import { latestAssemblyDir, PROJECT_ROOT, readAssembly } from './synth.js';
import { LocalStack } from './template/local-stack.js';
import { readFunctions, readHttpApi } from './template/model.js';
import { apiClaimMapping } from './http-api/claims.js';

const USAGE = 'usage: npm run token -- --sub <user> --tenant <tenant> [--role approver]... [--ttl <seconds>] [--entra | --no-entra]';

export function parseTokenArgs(argv: string[]): LocalTokenRequest {
  const { values } = parseArgs({
    args: argv,
    options: {
      sub: { type: 'string' },
      tenant: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string' },
      scope: { type: 'string' },
      entra: { type: 'boolean' },
      'no-entra': { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (!values.sub || !values.tenant) throw new Error(`--sub and --tenant are required\n${USAGE}`);
  const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error(`--ttl must be a positive whole number of seconds, got "${values.ttl}"`);
  return {
    sub: values.sub,
    tenant: values.tenant,
    ...(values.role?.length ? { roles: values.role } : {}),
    ttlSeconds: ttl,
    ...(values.scope ? { scope: values.scope } : {}),
    // Unset: Entra-shaped exactly when the dev stage reads Entra's claims (tid/oid).
    ...(values.entra ? { entra: true } : values['no-entra'] ? { entra: false } : {}),
  };
}

/**
 * The authorizer's issuer and audience: from the template `npm start` last synthesized (what the running
 * local cloud checks), else from the dev configuration.
 */
export async function devJwtConfig(stateDir: string): Promise<JwtIssuerConfig> {
  const assemblyDir = await latestAssemblyDir(join(stateDir, 'cdk.out'));
  if (assemblyDir) {
    const { template, stackName } = await readAssembly(assemblyDir);
    const stack = new LocalStack(template, { stackName, region: 'us-east-1', accountId: '000000000000', awsUrl: '', apiUrl: '', functionUrl: '' });
    const api = readHttpApi(stack);
    const authorizer = api?.routes.find((route) => route.authorizer)?.authorizer;
    const claims = apiClaimMapping(api, readFunctions(stack, assemblyDir));
    if (authorizer) return { issuer: authorizer.issuer, audience: authorizer.audience, ...(claims ? { claims } : {}) };
  }
  const [{ App }, { claimMappingOf, configFor }, { overridesOf }] = await Promise.all([import('aws-cdk-lib'), import('../../lib/config.js'), import('../../lib/app.js')]);
  const cdkJson = JSON.parse(await readFile(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  const { jwt } = configFor('dev', overridesOf(new App({ context: cdkJson.context ?? {} }), 'dev'));
  return { issuer: jwt.issuer, audience: jwt.audience, claims: claimMappingOf(jwt) };
}

async function main(): Promise<void> {
  const request = parseTokenArgs(process.argv.slice(2));
  const { stateDir } = localSettingsFromEnv();
  const keyExisted = await hasJwtKeys(stateDir);
  const keys = await loadOrCreateJwtKeys(stateDir);
  process.stdout.write(`${await signLocalToken(keys, await devJwtConfig(stateDir), request)}\n`);
  // stdout stays the bare token (TOKEN=$(npm run --silent token …)); the hint for a likely 401 goes to stderr.
  if (!keyExisted) process.stderr.write(`${newKeyNotice(stateDir)}\n`);
}

/** Why a token signed with a freshly made key may be refused: the running local cloud keeps state elsewhere. */
export function newKeyNotice(stateDir: string): string {
  return (
    `note: no local cloud has run with its state in ${stateDir} yet, so this token is signed with a new key made there; ` +
    'a local cloud already running with another LOCAL_STATE_DIR refuses it (run this with the same LOCAL_STATE_DIR as npm start)'
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
