// A thin fetch wrapper for the sandbox tests: a bearer token, JSON in and out, paths relative to the API root.
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startBcSandbox, type BcSandbox } from '../../local/bc-sandbox/index.js';

export interface TestResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export class SandboxClient {
  constructor(
    readonly sandbox: BcSandbox,
    private token: string,
    readonly root: string = sandbox.apiUrl,
  ) {}

  static async connect(sandbox: BcSandbox, root?: string): Promise<SandboxClient> {
    return new SandboxClient(sandbox, await sandbox.getToken(), root);
  }

  get companyId(): string {
    return this.sandbox.companyIds()[0]!;
  }

  /** `companies(<first company>)/<path>` */
  company(path: string): string {
    return `companies(${this.companyId})/${path}`;
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TestResponse<T>> {
    const url = path.startsWith('http') ? path : `${this.root}/${path}`;
    const response = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = text;
    if ((response.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  get<T = any>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }

  post<T = any>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }

  patch<T = any>(path: string, body: unknown, etag: string | undefined, headers: Record<string, string> = {}) {
    return this.request<T>('PATCH', path, body, { ...(etag ? { 'If-Match': etag } : {}), ...headers });
  }

  delete<T = any>(path: string, etag: string | undefined) {
    return this.request<T>('DELETE', path, undefined, etag ? { 'If-Match': etag } : {});
  }

  /** GET a collection and return its `value` (asserting success). */
  async list(path: string): Promise<any[]> {
    const response = await this.get(path);
    if (response.status !== 200) throw new Error(`GET ${path} → ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.value as any[];
  }
}

/** `?$filter=…` with the expression URL-encoded. */
export function filter(expression: string, extra = ''): string {
  return `?$filter=${encodeURIComponent(expression)}${extra}`;
}

/**
 * Starts a BC sandbox and a client on it before the file's tests (handing both to `use`) and stops it after;
 * with `resetEach`, every test starts from the seed data.
 */
export function withSandboxClient(use: (fixture: { sandbox: BcSandbox; client: SandboxClient }) => void, options: { resetEach?: boolean } = {}): void {
  let sandbox: BcSandbox | undefined;
  beforeAll(async () => {
    sandbox = await startBcSandbox();
    use({ sandbox, client: await SandboxClient.connect(sandbox) });
  });
  if (options.resetEach) beforeEach(() => sandbox?.reset());
  afterAll(async () => {
    await sandbox?.stop();
  });
}
