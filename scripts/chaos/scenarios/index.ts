// The campaign's scenarios, in the order `npm run chaos` runs them.
import type { Scenario } from '../scenario.js';
import { bcLatency } from './bc-latency.js';
import { bcThrottling } from './bc-throttling.js';
import { bcUnavailable } from './bc-unavailable.js';
import { breakerOpenSaga } from './breaker-open-saga.js';
import { compensationOutage } from './compensation-outage.js';
import { crash } from './crash.js';

export const SCENARIOS: readonly Scenario[] = [breakerOpenSaga, compensationOutage, bcUnavailable, bcLatency, bcThrottling, crash];
