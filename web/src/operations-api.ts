// GET /v1/metrics (docs/openapi.json, OperationsMetrics): the stage's operations metrics on one time grid.
import { readJson } from './api.js';

export type SeriesGroup = 'plans' | 'taskDuration' | 'bcLatency' | 'breaker';

export interface OperationsSeries {
  id: string;
  group: SeriesGroup;
  label: string;
  unit: 'per minute' | 'ms' | 'state';
  /** One per timestamp; null where the period has no datapoint. */
  values: Array<number | null>;
}

export interface OperationsMetrics {
  from: string;
  to: string;
  periodSeconds: number;
  /** Epoch seconds of each period's start (uPlot's time axis takes seconds). */
  timestamps: number[];
  series: OperationsSeries[];
}

/** The role GET /v1/metrics requires. */
export const OPERATOR_ROLE = 'operator';

export async function fetchOperationsMetrics(apiUrl: string, token: string, window: { from: Date; to: Date; period: number }): Promise<OperationsMetrics> {
  const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString(), period: String(window.period) });
  const response = await fetch(`${apiUrl}/v1/metrics?${query}`, { headers: { authorization: `Bearer ${token}` } });
  return (await readJson(response)) as OperationsMetrics;
}
