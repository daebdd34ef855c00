// Push from the WebSocket API when config.json names one: connect `wsUrl?token=<jwt>`, subscribe to the
// chat session, and tell listeners which plan an event is about; they refetch it (the event is a hint, the
// plan from GET /v1/plans/{id} is the truth). Reconnects with backoff; polling covers the gaps.

export interface PushedEvent {
  type: 'event';
  detailType: string;
  sessionId: string;
  planId?: string;
  taskId?: string;
  time?: string;
  detail?: unknown;
}

export type LiveState = 'off' | 'connecting' | 'open' | 'closed';

export class LiveFeed {
  private socket: WebSocket | undefined;
  private readonly listeners = new Set<(event: PushedEvent) => void>();
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
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
      this.setState('open');
    };
    socket.onmessage = (message) => {
      let event: PushedEvent;
      try {
        event = JSON.parse(String(message.data)) as PushedEvent;
      } catch {
        return;
      }
      if (event?.type !== 'event' || event.sessionId !== this.sessionId) return;
      for (const listener of this.listeners) listener(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.setState('closed');
      if (this.stopped) return;
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  private setState(state: LiveState): void {
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
