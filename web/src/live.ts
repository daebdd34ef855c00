// Push from the WebSocket API when config.json names one: connect `wsUrl?token=<jwt>`, subscribe to the
// chat session, and tell listeners which plan an event is about; they refetch it (the event is a hint, the
// plan from GET /v1/plans/{id} is the truth). Reconnects with backoff; polling covers the gaps.
//
// The subscribe answer says when pushes are sure to reach this connection (`liveInMs`: the notifier remembers a
// session's subscribers for a short window). Until then the feed is `catching-up`, so plans keep being polled at
// the fast rate; the switch to `open` makes them read once more, which catches up on anything not pushed.

export interface PushedEvent {
  type: 'event';
  detailType: string;
  sessionId: string;
  planId?: string;
  taskId?: string;
  time?: string;
  detail?: unknown;
}

/** The answer to subscribe (README "Live progress"). */
interface SubscribedAnswer {
  type: 'subscribed';
  sessionId: string;
  liveFrom?: string;
  liveInMs?: number;
}

export type LiveState = 'off' | 'connecting' | 'catching-up' | 'open' | 'closed';

export class LiveFeed {
  private socket: WebSocket | undefined;
  private readonly listeners = new Set<(event: PushedEvent) => void>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Ends the catch-up after a subscribe: from then on every event of the session is pushed. */
  private liveTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  state: LiveState = 'off';

  constructor(
    private readonly wsUrl: string | undefined,
    private readonly token: string,
    private readonly sessionId: string,
  ) {
    if (wsUrl) this.connect();
  }

  onEvent(listener: (event: PushedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.liveTimer);
    this.socket?.close();
    this.setState('off');
  }

  private connect(): void {
    if (this.stopped || !this.wsUrl) return;
    this.setState('connecting');
    const url = new URL(this.wsUrl);
    url.searchParams.set('token', this.token);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = 500;
      socket.send(JSON.stringify({ action: 'subscribe', sessionId: this.sessionId }));
    };
    socket.onmessage = (message) => {
      let event: PushedEvent | SubscribedAnswer;
      try {
        event = JSON.parse(String(message.data)) as PushedEvent | SubscribedAnswer;
      } catch {
        return;
      }
      if (event?.sessionId !== this.sessionId) return;
      if (event.type === 'subscribed') return this.subscribed(socket, event);
      if (event.type !== 'event') return;
      for (const listener of this.listeners) listener(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      clearTimeout(this.liveTimer);
      this.setState('closed');
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  /** Counted from this answer's arrival (not the server's clock): never earlier than the server's liveFrom. */
  private subscribed(socket: WebSocket, answer: SubscribedAnswer): void {
    const liveInMs = typeof answer.liveInMs === 'number' && answer.liveInMs > 0 ? Math.min(answer.liveInMs, 120_000) : 0;
    clearTimeout(this.liveTimer);
    if (liveInMs === 0) return this.setState('open');
    this.setState('catching-up');
    this.liveTimer = setTimeout(() => {
      if (this.socket === socket && !this.stopped) this.setState('open');
    }, liveInMs);
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
