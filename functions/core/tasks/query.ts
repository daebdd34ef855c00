// The query task: bc_query_entity, then the following pages through nextLink until the requested `top`, the
// record cap or the page cap is reached. The result keeps OData's shape ({ value, count? }), so `$ref`s such
// as `t1.result.value[0].id` read it directly.
import type { QueryArgs } from '../plan/index.js';
import type { BcCaller } from '../task-runtime/index.js';
import type { TaskExecutor } from '../task-runtime/index.js';
import { parseArgs } from './parse-args.js';

export interface QueryLimits {
  /** Records one task may collect across pages. */
  maxRecords: number;
  /** Pages one task may read. */
  maxPages: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxRecords: 5_000, maxPages: 20 };

export interface QueryResult {
  value: Record<string, unknown>[];
  count?: number;
  /** Present when more records matched than were collected: the nextLink to continue from. */
  nextLink?: string;
  truncated?: boolean;
}

interface Page {
  value: Record<string, unknown>[];
  count?: number;
  nextLink?: string;
}

export async function runQuery(bc: BcCaller, args: QueryArgs, limits: QueryLimits = DEFAULT_QUERY_LIMITS): Promise<QueryResult> {
  const wanted = Math.min(args.top ?? Number.POSITIVE_INFINITY, limits.maxRecords);
  const first = await bc.call<Page>('bc_query_entity', args as unknown as Record<string, unknown>);
  const value = [...first.value];
  let nextLink = first.nextLink;
  let pages = 1;
  while (nextLink && value.length < wanted && pages < limits.maxPages) {
    const page = await bc.call<Page>('bc_query_entity', {
      entity: args.entity,
      nextLink,
      ...(args.company ? { company: args.company } : {}),
    });
    value.push(...page.value);
    nextLink = page.nextLink;
    pages++;
  }
  // Stopping at the `top` the person asked for is the answer; stopping at a cap leaves records unread.
  const moreExist = nextLink !== undefined || value.length > wanted;
  const truncated = moreExist && (args.top === undefined || wanted < args.top);
  return {
    value: value.slice(0, Number.isFinite(wanted) ? wanted : undefined),
    ...(first.count !== undefined ? { count: first.count } : {}),
    ...(truncated ? { truncated: true, ...(nextLink ? { nextLink } : {}) } : {}),
  };
}

export function queryExecutor(limits: QueryLimits = DEFAULT_QUERY_LIMITS): TaskExecutor {
  return async (context) => {
    const args = parseArgs<QueryArgs>(context.task.tool, context.args);
    // A read has no side effect to guard with a Once (two idempotency-table writes): the task's run lease
    // keeps a second delivery from asking BC while this one runs, and an ended task is not run again.
    return { kind: 'succeeded', payload: await context.payloadOf(await runQuery(context.bc(), args, limits)) };
  };
}
