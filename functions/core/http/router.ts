// A minimal router for payload 2.0 events: matches on method and the raw path (so it works behind one
// `$default` route as well as per-route integrations) and runs the route inside the error mapping that
// guarantees a caller never sees a 500 caused by their input, nor a stack trace.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { CORRELATION_HEADER, correlationIdFrom } from '../observability/index.js';
import { resetCorrelation, setCorrelation } from '../observability/index.js';
import { HttpError, methodNotAllowed, notFound } from './errors.js';
import { header } from './request.js';
import { errorResponse, internalErrorResponse, type HttpResponse } from './responses.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

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

interface CompiledRoute extends Route {
  pattern: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { ...route, pattern: new RegExp(`^${source}/?$`), names };
}

export function createRouter(routes: Route[], logger: Logger) {
  const compiled = routes.map(compile);

  return async function handle(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const started = Date.now();
    const correlationId = correlationIdFrom(header(event, CORRELATION_HEADER));
    const responseHeaders = { [CORRELATION_HEADER]: correlationId };
    resetCorrelation(logger);
    setCorrelation(logger, { correlationId });
    const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
    const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';

    let response: HttpResponse;
    try {
      response = await dispatch(method, path, event, correlationId);
      Object.assign(response.headers, responseHeaders);
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

  async function dispatch(method: string, path: string, event: APIGatewayProxyEventV2, correlationId: string) {
    const allowed: string[] = [];
    for (const route of compiled) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(match[i + 1]!);
        } catch {
          params[name] = match[i + 1]!;
        }
      });
      return route.handle({ event, params, correlationId, logger });
    }
    if (allowed.length > 0) throw methodNotAllowed(allowed);
    throw notFound(`no route for ${method} ${path}`);
  }
}
