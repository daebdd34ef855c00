// The delegated BC token of the request in progress. The MCP server's BcClient serves every caller of a container
// (and concurrent tool calls), so a person's token cannot be client configuration: the server runs each request
// inside `withBcUserToken` with the token its worker sent (BC_USER_TOKEN_HEADER), and the client's authorizer
// uses it instead of the app's own client-credentials token. Outside such a context the app's token applies.
import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The header a worker puts the person's BC access token in when it calls the MCP server. The MCP server is only
 * reachable with the workers' IAM identity (SigV4), and BC itself checks the token, so the header grants nothing
 * its bearer does not already hold.
 */
export const BC_USER_TOKEN_HEADER = 'x-bc-user-token';

/** A token, or `malformed` when the header held something else (every BC call then fails instead of running as the app). */
const current = new AsyncLocalStorage<{ token: string } | { malformed: true }>();

/** A bearer token as BC and Entra issue them: printable ASCII without spaces. */
const TOKEN_SHAPE = /^[\x21-\x7e]{16,8192}$/;

/** Runs `work` with `token` as the bearer of every BC request it causes; without a token, `work` runs as the app. */
export function withBcUserToken<T>(token: string | undefined, work: () => Promise<T>): Promise<T> {
  if (token === undefined || token === '') return work();
  return current.run(TOKEN_SHAPE.test(token) ? { token } : { malformed: true }, work);
}

/**
 * The delegated token of the work in progress: undefined outside `withBcUserToken` (the app's token applies),
 * `{ malformed: true }` when the caller sent something that is not a token.
 */
export function currentBcUserToken(): { token: string } | { malformed: true } | undefined {
  return current.getStore();
}
