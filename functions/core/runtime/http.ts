// The HTTP runtime (API Gateway HTTP API and function URLs, payload 2.0). Per-request correlation is the
// route table's (functions/core/http/router.ts sets the caller's x-correlation-id) or, where requests may
// overlap in one process, carried per call (the MCP server's withBcCorrelation), so nothing here sets it.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { lambdaRuntime, type InvocationContext, type LambdaHandler, type RuntimeOptions } from './invocation.js';

export function httpRuntime<R>(options: RuntimeOptions, handle: (event: APIGatewayProxyEventV2, context: InvocationContext | undefined) => Promise<R>): LambdaHandler<APIGatewayProxyEventV2, R> {
  return lambdaRuntime(options, handle);
}
