// GET /v1/metrics?from=&to=&period=: the stage's operations metrics (plans per minute by outcome, task duration and
// BC latency percentiles, breaker state) on one time grid, read from CloudWatch. Operators only: the metrics are
// the whole stage's (they carry no tenant), so no tenant's user may read another's activity through them.
import * as z from 'zod';
import { forbidden, json, type Route, validationError } from '../../core/http/index.js';
import type { OperationsMetricsReader } from '../../core/operations-metrics/index.js';
import { callerOf, queryOf } from './scope.js';

export const OPERATOR_ROLE = 'operator';
export const DEFAULT_METRICS_WINDOW_SECONDS = 60 * 60;
export const DEFAULT_METRICS_PERIOD_SECONDS = 60;
/** Points per series at most (a day of minutes): enough for a plot, bounded for CloudWatch and the page. */
export const MAX_METRICS_POINTS = 1440;
/** CloudWatch keeps 1-minute datapoints 15 days; older windows would come back empty. */
export const MAX_METRICS_AGE_SECONDS = 15 * 24 * 60 * 60;

const instant = (name: string) =>
  z.iso.datetime({ offset: true, error: `${name} must be an ISO 8601 instant, e.g. 2026-01-01T12:00:00Z` }).transform((text) => new Date(text)).optional();

const querySchema = z.object({
  from: instant('from'),
  to: instant('to'),
  period: z.coerce
    .number({ error: 'period must be a number of seconds' })
    .int('period must be a whole number of seconds')
    .min(60, 'period must be at least 60 seconds')
    .max(86_400, 'period must be at most 86400 seconds (a day)')
    .refine((p) => p % 60 === 0, 'period must be a multiple of 60 seconds')
    .default(DEFAULT_METRICS_PERIOD_SECONDS),
});

export interface MetricsRouteDeps {
  /** Built on first use, so a function that never serves this route never makes a CloudWatch client. */
  reader: () => OperationsMetricsReader;
  now: () => Date;
}

export function metricsRoute(deps: MetricsRouteDeps): Route {
  return {
    method: 'GET',
    path: '/v1/metrics',
    async handle(context) {
      const caller = callerOf(context);
      if (!caller.roles.includes(OPERATOR_ROLE)) throw forbidden(`the operations metrics are for the ${OPERATOR_ROLE} role`);
      const query = queryOf(querySchema, context);
      const now = deps.now();
      const to = query.to ?? now;
      const from = query.from ?? new Date(to.getTime() - DEFAULT_METRICS_WINDOW_SECONDS * 1000);
      const invalid = (message: string) => validationError(`the query is not valid: ${message}`);
      if (from.getTime() >= to.getTime()) throw invalid('from must be before to');
      if (now.getTime() - from.getTime() > MAX_METRICS_AGE_SECONDS * 1000) throw invalid('from must be within the last 15 days (CloudWatch keeps minute data that long)');
      const points = Math.ceil((to.getTime() - from.getTime()) / 1000 / query.period);
      if (points > MAX_METRICS_POINTS) {
        throw invalid(`the window holds ${points} periods of ${query.period} s, more than ${MAX_METRICS_POINTS}: shorten it or widen the period`);
      }
      const metrics = await deps.reader().read({ from, to, periodSeconds: query.period });
      return json(200, metrics);
    },
  };
}
