// Request counters for tests and benchmarks: total, and per `METHOD entitySet` (e.g. `GET customers`).
export interface RequestStats {
  total: number;
  byRoute: Record<string, number>;
  byStatus: Record<string, number>;
}

export class StatsCollector {
  private stats: RequestStats = { total: 0, byRoute: {}, byStatus: {} };

  record(method: string, entitySet: string | undefined): void {
    this.stats.total++;
    const key = `${method.toUpperCase()} ${entitySet ?? '(none)'}`;
    this.stats.byRoute[key] = (this.stats.byRoute[key] ?? 0) + 1;
  }

  recordStatus(status: number): void {
    this.stats.byStatus[status] = (this.stats.byStatus[status] ?? 0) + 1;
  }

  snapshot(): RequestStats {
    return JSON.parse(JSON.stringify(this.stats)) as RequestStats;
  }

  reset(): void {
    this.stats = { total: 0, byRoute: {}, byStatus: {} };
  }
}
