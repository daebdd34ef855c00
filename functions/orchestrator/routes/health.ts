import { json, type Route } from '../../core/http/index.js';

/** Liveness, no auth: the function is loaded and answering. */
export const healthRoute: Route = {
  method: 'GET',
  path: '/v1/health',
  handle: async () => json(200, { status: 'ok' }),
};
