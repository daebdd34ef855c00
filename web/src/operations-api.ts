// GET /v1/metrics (docs/openapi.json, OperationsMetrics): the stage's operations metrics on one time grid.
import type { components } from '../../functions/core/http/api-schema.js';
import { readJson } from './api.js';

export type OperationsMetrics = components['schemas']['OperationsMetrics'];
export type OperationsSeries = components['schemas']['OperationsSeries'];
export type SeriesGroup = OperationsSeries['group'];

/** The role GET /v1/metrics requires. */
export const OPERATOR_ROLE = 'operator';

export async function fetchOperationsMetrics(apiUrl: string, token: string, window: { from: Date; to: Date; period: number }): Promise<OperationsMetrics> {
  const query = new URLSearchParams({ from: window.from.toISOString(), to: window.to.toISOString(), period: String(window.period) });
  const response = await fetch(`${apiUrl}/v1/metrics?${query}`, { headers: { authorization: `Bearer ${token}` } });
  return (await readJson(response)) as OperationsMetrics;
}
