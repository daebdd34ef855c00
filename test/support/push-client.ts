// A WebSocket client of the local cloud's WebSocket API, as a chat front-end uses it: connect with
// `?token=<JWT>`, subscribe to sessions, collect what is pushed. Waits are on messages, never on time.
import WebSocket from 'ws';

export interface PushedMessage {
  type: string;
  detailType?: string;
  sessionId?: string;
  planId?: string;
  taskId?: string;
  time?: string;
  detail?: Record<string, any>;
  error?: { code: string; message: string };
  /** The subscribe answer's: from when every event of the session is pushed (README "Catching up after subscribing"). */
  liveFrom?: string;
  liveInMs?: number;
  /** When this client received it (Date.now()). */
  receivedAt: number;
}

export class ConnectRefusedError extends Error {
  constructor(readonly status: number, readonly body: string) {
    super(`connection refused with ${status}: ${body}`);
  }
}

export class PushClient {
  readonly messages: PushedMessage[] = [];
  private readonly waiters = new Set<() => void>();
  closed = false;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.messages.push({ ...(JSON.parse(data.toString()) as Omit<PushedMessage, 'receivedAt'>), receivedAt: Date.now() });
      for (const wake of this.waiters) wake();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters) wake();
    });
  }

  /** Connects (`url` is the stage URL, e.g. cloud.urls.websocket); rejects with ConnectRefusedError on a non-101 answer. */
  static connect(url: string, token: string | undefined): Promise<PushClient> {
    const socket = new WebSocket(token === undefined ? url : `${url}?token=${encodeURIComponent(token)}`);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new PushClient(socket)));
      socket.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => reject(new ConnectRefusedError(res.statusCode ?? 0, body)));
      });
      socket.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Subscribes and waits for the answer (`subscribed` or `error`). */
  async subscribe(sessionId: unknown): Promise<PushedMessage> {
    const before = this.messages.length;
    this.send({ action: 'subscribe', sessionId });
    return this.waitFor((m) => m.type !== 'event', `the answer to subscribe ${String(sessionId)}`, before);
  }

  /** The first message (from index `from`) matching `predicate`, waiting for it up to `timeoutMs`. */
  waitFor(predicate: (message: PushedMessage) => boolean, what: string, from = 0, timeoutMs = 30_000): Promise<PushedMessage> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(from).find(predicate);
        if (found) return finish(() => resolve(found));
        if (this.closed) return finish(() => reject(new Error(`connection closed while waiting for ${what}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map((m) => m.detailType ?? m.type))}`))), timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  events(planId?: string): PushedMessage[] {
    return this.messages.filter((m) => m.type === 'event' && (planId === undefined || m.planId === planId));
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close(1000);
    });
  }
}
