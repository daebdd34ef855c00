import type { PutEventsEntry, PutEventsResult, TaskHandlers } from '../types.js';

/**
 * Runs one Task state's resource locally: the Lambda integrations (`lambda:invoke`, plain function ARNs)
 * and `events:putEvents`, each optionally `.waitForTaskToken`. Errors carry the ASL error name in `name`.
 */

export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface TaskContext {
  handlers: TaskHandlers;
  putEvents: (entries: PutEventsEntry[]) => Promise<PutEventsResult | void>;
  /** Waits for SendTaskSuccess/Failure on the token found in the task's input. */
  waitForToken: (input: unknown) => Promise<unknown>;
  record: (type: string, details: Record<string, unknown>) => void;
  /**
   * A resumed `.waitForTaskToken` state whose Lambda (or event) carrying the token had already completed before
   * the restart: it is not invoked again, the state only waits for the token.
   */
  skipSubmit?: boolean;
  /** Called once the Lambda (or event) carrying the task token has completed. */
  submitted?: () => void;
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const EVENTS_PUT = 'arn:aws:states:::events:putEvents';
const WAIT_SUFFIX = '.waitForTaskToken';

export function isSupportedResource(resource: string): boolean {
  const base = resource.endsWith(WAIT_SUFFIX) ? resource.slice(0, -WAIT_SUFFIX.length) : resource;
  return base === LAMBDA_INVOKE || base === EVENTS_PUT || /^arn:aws[\w-]*:lambda:[^:]*:[^:]*:function:/.test(resource);
}

export async function runTask(resource: string, input: unknown, context: TaskContext): Promise<unknown> {
  const waits = resource.endsWith(WAIT_SUFFIX);
  const base = waits ? resource.slice(0, -WAIT_SUFFIX.length) : resource;
  const resourceType = base === EVENTS_PUT ? 'events' : 'lambda';
  const resourceName = base === LAMBDA_INVOKE ? `invoke${waits ? WAIT_SUFFIX : ''}` : base === EVENTS_PUT ? `putEvents${waits ? WAIT_SUFFIX : ''}` : resource;
  context.record('TaskScheduled', { taskScheduledEventDetails: { resourceType, resource: resourceName, region: '', parameters: JSON.stringify(input ?? null) } });
  context.record('TaskStarted', { taskStartedEventDetails: { resourceType, resource: resourceName } });
  try {
    let output: unknown;
    if (base === LAMBDA_INVOKE) {
      const parameters = (input ?? {}) as Record<string, unknown>;
      if (typeof parameters.FunctionName !== 'string') throw new TaskError('States.Runtime', 'lambda:invoke requires Parameters.FunctionName');
      if (waits) {
        const invocation = context.skipSubmit ? Promise.resolve() : context.handlers.invokeLambda(parameters.FunctionName, parameters.Payload ?? null)
          .then(() => context.submitted?.());
        context.record('TaskSubmitted', { taskSubmittedEventDetails: { resourceType, resource: resourceName, output: '{}' } });
        output = await Promise.all([context.waitForToken(input), invocation]).then(([result]) => result);
      } else {
        const payload = await context.handlers.invokeLambda(parameters.FunctionName, parameters.Payload ?? null);
        output = { ExecutedVersion: '$LATEST', Payload: payload ?? null, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: crypto.randomUUID() }, StatusCode: 200 };
      }
    } else if (base === EVENTS_PUT) {
      const entries = ((input ?? {}) as { Entries?: unknown }).Entries;
      if (!Array.isArray(entries)) throw new TaskError('States.Runtime', 'events:putEvents requires Parameters.Entries');
      const result = waits && context.skipSubmit ? undefined : await context.putEvents(entries.map(toPutEventsEntry));
      if (result && result.FailedEntryCount > 0) throw new TaskError('EventBridge.FailedEntry', JSON.stringify(result));
      if (waits) context.submitted?.();
      output = waits ? await context.waitForToken(input) : result ?? { Entries: [], FailedEntryCount: 0 };
    } else if (/^arn:aws[\w-]*:lambda:/.test(base)) {
      if (waits) throw new TaskError('States.Runtime', 'A plain Lambda ARN cannot use .waitForTaskToken');
      output = await context.handlers.invokeLambda(base, input);
    } else {
      throw new TaskError('States.Runtime', `Resource ${resource} is not supported by the local Step Functions`);
    }
    context.record('TaskSucceeded', { taskSucceededEventDetails: { resourceType, resource: resourceName, output: JSON.stringify(output ?? null) } });
    return output ?? null;
  } catch (error) {
    const failure = error instanceof Error ? error : new Error(String(error));
    context.record('TaskFailed', { taskFailedEventDetails: { resourceType, resource: resourceName, error: failure.name, cause: failure.message } });
    throw failure;
  }
}

/** The putEvents integration passes Detail as an object; PutEvents wants JSON text. */
function toPutEventsEntry(raw: unknown): PutEventsEntry {
  const entry = { ...(raw as Record<string, unknown>) };
  if (entry.Detail !== undefined && typeof entry.Detail !== 'string') entry.Detail = JSON.stringify(entry.Detail);
  return entry as PutEventsEntry;
}
