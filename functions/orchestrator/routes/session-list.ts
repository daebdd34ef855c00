// GET /v1/sessions?limit=&cursor=: the sessions the caller started in their tenant, newest first, a page at a time.
import * as z from 'zod';
import { json, type Route, validationError } from '../../core/http/index.js';
import type { StateStore } from '../../core/store/index.js';
import { callerOf, queryOf } from './scope.js';

export const MAX_SESSIONS_PAGE = 100;

const querySchema = z.object({
  limit: z.coerce.number({ error: 'limit must be a number' }).int('limit must be a whole number').min(1, 'limit must be at least 1').max(MAX_SESSIONS_PAGE, `limit must be at most ${MAX_SESSIONS_PAGE}`).default(20),
  cursor: z.string().max(1024, 'cursor is too long').optional(),
});

const encodeCursor = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

function decodeCursor(cursor: string): Record<string, unknown> | undefined {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    return key !== null && typeof key === 'object' && !Array.isArray(key) ? (key as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function sessionListRoute(store: StateStore): Route {
  return {
    method: 'GET',
    path: '/v1/sessions',
    async handle(context) {
      const caller = callerOf(context);
      const query = queryOf(querySchema, context);
      let start: Record<string, unknown> | undefined;
      if (query.cursor !== undefined) {
        start = decodeCursor(query.cursor);
        // A cursor is only ever one this route gave the same caller: anything else is refused, not followed.
        if (!start || !store.sessions.isOwnCursor(caller.tenantId, caller.sub, start)) {
          throw validationError('cursor is not a cursor of this list; pass the nextCursor of the previous page');
        }
      }
      const page = await store.sessions.listByUser(caller.tenantId, caller.sub, query.limit, start);
      return json(200, {
        sessions: page.sessions.map((s) => ({ sessionId: s.sessionId, createdAt: s.createdAt })),
        ...(page.cursor ? { nextCursor: encodeCursor(page.cursor) } : {}),
      });
    },
  };
}
