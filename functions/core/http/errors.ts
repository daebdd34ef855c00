// Errors a route raises on purpose: each becomes `{ "error": { "code", "message" } }` with its status.

export type HttpErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 503;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: HttpErrorStatus,
    readonly code: string,
    message: string,
    /** Extra fields of the error body (e.g. the list of plan problems). */
    readonly details?: Record<string, unknown>,
    /** Extra response headers (e.g. Allow, Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, details?: Record<string, unknown>) => new HttpError(400, 'BadRequest', message, details);
export const validationError = (message: string, details?: Record<string, unknown>) =>
  new HttpError(400, 'ValidationError', message, details);
export const unauthorized = (message = 'a valid bearer token is required') => new HttpError(401, 'Unauthorized', message);
export const forbidden = (message: string) => new HttpError(403, 'Forbidden', message);
export const notFound = (message: string) => new HttpError(404, 'NotFound', message);
export const methodNotAllowed = (allowed: string[]) =>
  new HttpError(405, 'MethodNotAllowed', `use ${allowed.join(' or ')}`, undefined, { allow: allowed.join(', ') });
export const conflict = (message: string) => new HttpError(409, 'Conflict', message);
export const payloadTooLarge = (maxBytes: number) =>
  new HttpError(413, 'PayloadTooLarge', `the request body must be at most ${maxBytes} bytes`);
export const unsupportedMediaType = () =>
  new HttpError(415, 'UnsupportedMediaType', 'the request body must be JSON (Content-Type: application/json)');
export const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new HttpError(422, code, message, details);
export const tooManyRequests = (message: string, retryAfterSeconds?: number) =>
  new HttpError(429, 'TooManyRequests', message, undefined, retryAfterSeconds ? { 'retry-after': String(retryAfterSeconds) } : undefined);
export const serviceUnavailable = (message: string) => new HttpError(503, 'ServiceUnavailable', message);
