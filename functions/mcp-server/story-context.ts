// The story (tenant, session, plan, task, correlation) a tool call belongs to, as the worker sent it in the
// request's `_meta`. Held for the duration of the call so that whatever happens deep inside (a circuit breaker
// transition) can be reported as an event of that story.
import { AsyncLocalStorage } from 'node:async_hooks';
import { STORY_CONTEXT_META_KEY, storyContextSchema, type StoryContext } from '../core/mcp/index.js';

const current = new AsyncLocalStorage<StoryContext | undefined>();

/** The context in `_meta`, or undefined when absent or malformed (a desktop client sends none). */
export function storyContextFrom(meta: Record<string, unknown> | undefined): StoryContext | undefined {
  const parsed = storyContextSchema.safeParse(meta?.[STORY_CONTEXT_META_KEY]);
  return parsed.success ? parsed.data : undefined;
}

export function runInStory<T>(context: StoryContext | undefined, work: () => Promise<T>): Promise<T> {
  return current.run(context, work);
}

export function currentStory(): StoryContext | undefined {
  return current.getStore();
}
