// A posting task (bc_post_document): the document is read first, so the approver sees exactly what will be posted
// (number, customer or vendor, amount, what posting does) and an unknown or already-posted document is refused
// before anyone is asked. Posting is never repeated blindly: when a post got no definite answer, the document's
// state says whether it happened, and only a document still unposted is posted again.
import { McpToolError, McpTransportError } from '../mcp/index.js';
import { describePosting, findDocumentAction, isPosted, POST_DOCUMENT_TOOL, summaryFields, type DocumentAction, type PostDocumentArgs } from '../plan/index.js';
import { PermanentTaskError, type TaskExecutor } from '../task-runtime/index.js';

type ExecutionContext = Parameters<TaskExecutor>[0];

export interface PreparedPosting {
  /**
   * The arguments to approve and send: the task's, with the document as read (`expected`: number and amount), so
   * an approval binds to that document and a document changed since no longer matches it.
   */
  arguments: Record<string, unknown>;
  /** What will be posted, for the approval. */
  summary: string;
  /** Why the document cannot be posted (unknown, already posted), when it was read in that state: the task ends. */
  refusal?: PermanentTaskError;
  /** Posts it (at most once: see above); the tool's result. */
  run(): Promise<unknown>;
}

type Document = Record<string, unknown>;

/** BC (or the MCP server) answered with a definite refusal: nothing was posted. */
function refused(error: unknown): boolean {
  return error instanceof McpToolError && error.status !== undefined && error.status >= 400 && error.status < 500;
}

/**
 * `approved`: the operation this task's approval was asked for by an earlier attempt (the document as it was read
 * then). An approval binds to it, so it is what runs; and the document may be posted by now (that attempt posted
 * and its answer was lost with it), which run() confirms instead of refusing.
 */
export async function preparePosting(context: ExecutionContext, args: PostDocumentArgs, approved?: Record<string, unknown>): Promise<PreparedPosting> {
  // Resolved by now: the worker ran every `$ref` before the executor.
  const id = String(args.id);
  const spec = findDocumentAction(args.entity, args.action);
  // The plan validation refuses such a pair; a worker re-checks what arrives.
  if (!spec) throw new PermanentTaskError('InvalidArguments', `'${args.entity}' has no posting action '${args.action}'`);
  const bc = context.bc();
  const company = args.company ? { company: args.company } : {};

  const read = async (entity: string, field: string, value: string): Promise<Document | undefined> => {
    const page = await bc.call<{ value: Document[] }>('bc_query_entity', { entity, filter: { field, op: 'eq', value }, select: summaryFields(entity), top: 1, ...company });
    return page.value[0];
  };
  /** The posted document, if the post has happened: the same record posted, or the invoice made from the order. */
  const postedResult = async (before: Document): Promise<Document | undefined> => {
    if (spec.postedAs.kind === 'same record') {
      const now = await read(spec.entity, 'id', id);
      return now && isPosted(spec, now) ? now : undefined;
    }
    if (await read(spec.entity, 'id', id)) return undefined;
    return read(spec.postedAs.entity, 'orderNumber', String(before.number));
  };

  const document = await read(spec.entity, 'id', id);
  const summary = document ? describePosting(spec, document) : `${spec.command} ${spec.document} ${id}: ${spec.effect}.`;
  const refusal = approved
    ? undefined
    : !document
    ? new PermanentTaskError('NotFound', `There is no ${spec.document} with id ${id}; nothing was posted.`)
    : isPosted(spec, document)
      ? new PermanentTaskError('AlreadyPosted', `${capitalised(spec.document)} ${String(document.number)} is already posted (status ${String(document.status)}); nothing was posted.`)
      : undefined;

  const operation: Record<string, unknown> = approved ?? {
    ...args,
    id,
    ...(document && typeof document.totalAmountIncludingTax === 'number'
      ? { expected: { number: String(document.number), totalAmountIncludingTax: document.totalAmountIncludingTax } }
      : {}),
  };

  const post = async (): Promise<unknown> => {
    try {
      return await bc.call(POST_DOCUMENT_TOOL, operation);
    } catch (error) {
      if (error instanceof McpToolError && error.code === 'AlreadyPosted') {
        throw new PermanentTaskError('AlreadyPosted', `${error.message} (posted after this task read it)`);
      }
      throw error;
    }
  };

  return {
    arguments: operation,
    summary,
    ...(refusal ? { refusal } : {}),
    run: async () => {
      if (approved && (!document || isPosted(spec, document))) {
        // Approved as a draft and posted by now: an earlier attempt of this task posted it and its answer was lost
        // with that attempt (or someone else posted it). The posted document confirms it; nothing is posted again.
        // The number approved (the draft's; a posted document gets a new one).
        const number = (approved.expected as { number?: string } | undefined)?.number ?? document?.number;
        const posted = number === undefined ? undefined : await postedResult({ number });
        if (posted) {
          context.logger.warn('the approved document was posted before this attempt: confirmed, not posted again', { entity: spec.entity, id });
          return { entity: spec.entity, action: spec.action, id, documentNumber: String(number), summary, posted, confirmedPostedEarlier: true };
        }
        throw new PermanentTaskError(document ? 'AlreadyPosted' : 'NotFound', document
          ? `${capitalised(spec.document)} ${String(document.number)} changed since it was approved (status ${String(document.status)}); nothing was posted.`
          : `There is no ${spec.document} with id ${id} any more, and no posted document made from it; nothing was posted.`);
      }
      if (!document) throw refusal!;
      // Approved as a draft, posted by now: an earlier attempt of this task whose answer was lost, or someone else.
      if (refusal) throw new PermanentTaskError('AlreadyPosted', `${refusal.message.replace(/; nothing was posted\.$/, '')}: it was not posted again.`);
      try {
        return await post();
      } catch (error) {
        if (refused(error) || error instanceof PermanentTaskError) throw error;
        // No definite answer (lost on the way back, a timeout, BC failing after it may have committed): the
        // document's state says whether the post happened; look before doing anything again.
        const posted = await postedResult(document);
        if (posted) return { entity: spec.entity, action: spec.action, id, documentNumber: String(document.number), summary, posted, confirmedAfterLostAnswer: true };
        if (!(error instanceof McpTransportError && error.outcomeUnknown)) throw error;
        // Not posted: posting now cannot post twice (and the tool checks the state once more before it posts).
        context.logger.warn('a post got no answer and the document is not posted: posting it again', { entity: spec.entity, id });
        return post();
      }
    },
  };
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export type { DocumentAction };
