// How the workers' MCP requests authenticate: a bearer token (the local MCP server) or AWS SigV4 for the
// IAM-authenticated Lambda function URL (service `lambda`). Both wrap fetch, so the SDK transport is unchanged.
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export type McpAuth =
  | { type: 'bearer'; token: string | (() => string | Promise<string>) }
  | {
      type: 'sigv4';
      region: string;
      /** Default: the function's own credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN. */
      credentials?: AwsCredentials | (() => Promise<AwsCredentials>);
    };

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** Lambda's runtime (and the local cloud) put the execution role's credentials in these variables. */
export function credentialsFromEnv(env: Record<string, string | undefined> = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('SigV4 needs AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 / HMAC-SHA-256 in the shape the Smithy signer expects, on node:crypto. */
export class NodeSha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(this.secret));
  }
  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

function headersOf(init: RequestInit | undefined): Headers {
  return new Headers(init?.headers ?? {});
}

/** A fetch that adds `Authorization` (and for SigV4 the `x-amz-*` headers) to every request. */
export function authorizedFetch(auth: McpAuth, baseFetch: FetchLike = fetch): FetchLike {
  if (auth.type === 'bearer') {
    return async (url, init) => {
      const token = typeof auth.token === 'function' ? await auth.token() : auth.token;
      const headers = headersOf(init);
      headers.set('authorization', `Bearer ${token}`);
      return baseFetch(url, { ...init, headers });
    };
  }

  const credentials = auth.credentials ?? (async () => credentialsFromEnv());
  const signer = new SignatureV4({ service: 'lambda', region: auth.region, credentials, sha256: NodeSha256 });
  return async (url, init) => {
    const target = new URL(url);
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string') {
      throw new Error('SigV4 signing needs a string request body');
    }
    const headers: Record<string, string> = {};
    headersOf(init).forEach((value, name) => {
      headers[name] = value;
    });
    headers.host = target.host;
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of target.searchParams) {
      const existing = query[name];
      query[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
    }
    const signed = await signer.sign({
      method: init?.method ?? 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      ...(target.port ? { port: Number(target.port) } : {}),
      path: target.pathname,
      query,
      headers,
      ...(typeof body === 'string' ? { body } : {}),
    });
    const outgoing = new Headers();
    for (const [name, value] of Object.entries(signed.headers)) {
      // fetch sets Host itself, to the same value that was signed.
      if (name.toLowerCase() !== 'host') outgoing.set(name, String(value));
    }
    return baseFetch(url, { ...init, headers: outgoing });
  };
}
