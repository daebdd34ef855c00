// `_meta` keys shared by the BC MCP server and the workers' MCP client.
import * as z from 'zod';
import { idSchema } from '../events/index.js';

/** On a failed tool result: the structured BC error (`{ code, message, status?, correlationId?, retryable }`). */
export const TOOL_ERROR_META_KEY = 'bc-agent/error';

/** On a tools/call request: which message's story the call belongs to, for the server's events and logs. */
export const STORY_CONTEXT_META_KEY = 'bc-agent/context';

export const storyContextSchema = z.object({
  tenantId: idSchema,
  sessionId: idSchema,
  planId: idSchema,
  taskId: idSchema.optional(),
  correlationId: z.string().min(1).max(128),
  /** The event that caused the call (e.g. the task:created being handled). */
  causationId: z.string().min(1).max(128).optional(),
});

export type StoryContext = z.infer<typeof storyContextSchema>;
