// What the security tests share: requests as a chat front-end (or an attacker) sends them to the local
// cloud's HTTP API, tokens the local authorizer must refuse, and the cloud's tables and BC sandbox.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { loadOrCreateJwtKeys } from '../../local/cloud/jwt.js';
import type { TestCloud } from './local-cloud.js';

export interface ApiAnswer {
  status: number;
  body: any;
}

/**
 * One request to the HTTP API. The stage is throttled (a token bucket, like API Gateway's), and this suite
 * sends bursts: a 429 is waited out and retried like a well-behaved client does, so each answer is the
 * route's own.
 */
export async function call(cloud: TestCloud, method: string, path: string, options: { token?: string; authorization?: string; body?: string | Buffer; contentType?: string } = {}): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.authorization) headers.authorization = options.authorization;
  if (options.body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(`${cloud.urls.api}${path}`, { method, headers, ...(options.body !== undefined ? { body: options.body } : {}) });
    const text = await response.text();
    if (response.status === 429 && attempt < 20) {
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
      continue;
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the test sees the text.
    }
    return { status: response.status, body };
  }
}

/** Tokens the authorizer must refuse, each with what is wrong with it. */
export async function badTokens(cloud: TestCloud): Promise<Record<string, string>> {
  const keys = await loadOrCreateJwtKeys(cloud.stateDir);
  const { issuer, audience } = cloud.jwtConfig;
  const now = Math.floor(Date.now() / 1000);
  const signed = (build: (jwt: SignJWT) => SignJWT, key: CryptoKey = keys.privateKey, kid: string | undefined = keys.kid) =>
    build(new SignJWT({ tenant: 'local', roles: ['approver'] }).setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) }).setSubject('mallory')).sign(key);
  const { privateKey: foreignKey } = await generateKeyPair('RS256');
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    'expired': await signed((jwt) => jwt.setIssuer(issuer).setAudience(audience[0]!).setIssuedAt(now - 7200).setExpirationTime(now - 3600)),
    'forged (signed by another key)': await signed((jwt) => jwt.setIssuer(issuer).setAudience(audience[0]!).setExpirationTime(now + 3600), foreignKey),
    'another issuer': await signed((jwt) => jwt.setIssuer('https://evil.example/').setAudience(audience[0]!).setExpirationTime(now + 3600)),
    'another audience': await signed((jwt) => jwt.setIssuer(issuer).setAudience('someone-else').setExpirationTime(now + 3600)),
    'not yet valid': await signed((jwt) => jwt.setIssuer(issuer).setAudience(audience[0]!).setNotBefore(now + 3600).setExpirationTime(now + 7200)),
    'unsigned (alg none)': `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', tenant: 'local', roles: ['approver'], iss: issuer, aud: audience[0], exp: now + 3600 })}.`,
    'tampered claims': await (async () => {
      const good = await signed((jwt) => jwt.setIssuer(issuer).setAudience(audience[0]!).setExpirationTime(now + 3600));
      const [header, , signature] = good.split('.');
      return `${header}.${encode({ sub: 'mallory', tenant: 'other', roles: ['approver'], iss: issuer, aud: audience[0], exp: now + 3600 })}.${signature}`;
    })(),
    'not a JWT': 'not-a-jwt',
  };
}

/** The physical name of a table of the stack, by the start of its logical id (`TablesApprovals`, …). */
export function tableName(cloud: TestCloud, logicalIdPrefix: string): string {
  const found = cloud.stack.resourcesOfType('AWS::DynamoDB::Table').find(([id]) => id.startsWith(logicalIdPrefix));
  if (!found) throw new Error(`no table ${logicalIdPrefix}* in the stack`);
  return String(cloud.stack.ref(found[0]));
}

export const documentClient = (cloud: TestCloud) => DynamoDBDocumentClient.from(new DynamoDBClient(cloud.clientConfig), { marshallOptions: { removeUndefinedValues: true } });

/** Writes against BC since the last reset of the sandbox's counters (method other than GET). */
export function bcWrites(cloud: TestCloud): Record<string, number> {
  const { byRoute } = cloud.sandbox.stats();
  return Object.fromEntries(Object.entries(byRoute).filter(([route]) => !route.startsWith('GET ')));
}
