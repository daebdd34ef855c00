// The orchestrator's routes on Powertools' HTTP event handler (`@aws-lambda-powertools/event-handler/http`):
// it matches method and path (so it works behind one `$default` route as well as per-route integrations) and
// decodes path parameters. Around it, this module keeps the project's contract: every answer carries the
// correlation id, a path served under other methods answers 405 with Allow, and the error mapping guarantees a
// caller never sees a 500 caused by their input, nor a stack trace.
import { Router } from '@aws-lambda-powertools/event-handler/http';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { CORRELATION_HEADER, correlationIdFrom, resetCorrelation, setCorrelation } from '../observability/index.js';
import { badRequest, HttpError, methodNotAllowed, notFound } from './errors.js';
import { header } from './request.js';
import { errorResponse, internalErrorResponse, type HttpResponse } from './responses.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export interface RouteContext {
  event: APIGatewayProxyEventV2;
  params: Record<string, string>;
  correlationId: string;
  logger: Logger;
}

export interface Route {
  method: HttpMethod;
  /** e.g. `/v1/plans/{planId}`. */
  path: string;
  handle(context: RouteContext): Promise<HttpResponse>;
}

/** `/v1/plans/{planId}` as the event handler writes it: `/v1/plans/:planId`. */
const handlerPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1') as `/${string}`;

/** An answer as the event handler takes it (its body is always there). */
const asResult = ({ statusCode, headers, body }: HttpResponse) => ({ statusCode, headers, body: body ?? '' });

/** An error as the answer the caller gets (the correlation header is added to every answer below). */
const answer = (error: HttpError) => asResult(errorResponse(error, {}));

/** The Lambda context is not used by the routes; the event handler only carries it along. */
const NO_CONTEXT = {} as Context;

export function createRouter(routes: Route[], logger: Logger) {
  const app = new Router({ logger });
  const methodsByPath = new Map<string, HttpMethod[]>();
  for (const route of routes) {
    methodsByPath.set(route.path, [...(methodsByPath.get(route.path) ?? []), route.method]);
    app.route(
      async ({ event, params }) => {
        const v2 = event as APIGatewayProxyEventV2;
        return asResult(await route.handle({ event: v2, params, correlationId: header(v2, CORRELATION_HEADER)!, logger }));
      },
      { method: route.method, path: handlerPath(route.path) },
    );
  }
  // A known path under a method it does not serve: 405 naming the methods it does.
  for (const [path, allowed] of methodsByPath) {
    const others = METHODS.filter((m) => !allowed.includes(m));
    if (others.length > 0) app.route(() => answer(methodNotAllowed(allowed)), { method: [...others], path: handlerPath(path) });
  }
  app.notFound(async (_error, { event }) => answer(notFound(`no route for ${methodOf(event as APIGatewayProxyEventV2)} ${pathOf(event as APIGatewayProxyEventV2)}`)));
  // Registered most specific first: the event handler picks the first registered type an error is an instance of.
  app.errorHandler(HttpError, async (error) => answer(error));
  // A path parameter that is not valid percent-encoding is the caller's mistake, not a server error.
  app.errorHandler(URIError, async () => answer(badRequest('the path is not valid percent-encoding')));
  app.errorHandler(Error, async (error, { event }) => {
    logger.error('request failed', { method: methodOf(event as APIGatewayProxyEventV2), path: pathOf(event as APIGatewayProxyEventV2), error });
    return asResult(internalErrorResponse({}));
  });

  return async function handle(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const started = Date.now();
    const correlationId = correlationIdFrom(header(event, CORRELATION_HEADER));
    const responseHeaders = { [CORRELATION_HEADER]: correlationId };
    resetCorrelation(logger);
    setCorrelation(logger, { correlationId });
    const method = methodOf(event);
    const path = pathOf(event);
    // The routes read the id the answer carries from the event, whether the caller sent one or not.
    const request = { ...event, headers: { ...event.headers, [CORRELATION_HEADER]: correlationId } };

    let response: HttpResponse;
    try {
      const result = await app.resolve(request, NO_CONTEXT);
      response = { statusCode: result.statusCode ?? 200, headers: { ...stringHeaders(result.headers), ...responseHeaders }, body: result.body ?? '' };
    } catch (error) {
      if (error instanceof HttpError) {
        response = errorResponse(error, responseHeaders);
      } else {
        logger.error('request failed', { method, path, error: error as Error });
        response = internalErrorResponse(responseHeaders);
      }
    }
    logger.info('request', { method, path, status: response.statusCode, durationMs: Date.now() - started });
    return response;
  };
}

function methodOf(event: APIGatewayProxyEventV2): string {
  return (event.requestContext?.http?.method ?? 'GET').toUpperCase();
}

function pathOf(event: APIGatewayProxyEventV2): string {
  return event.rawPath ?? event.requestContext?.http?.path ?? '/';
}

function stringHeaders(headers: Record<string, string | number | boolean> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name, String(value)]));
}
