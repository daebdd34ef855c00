// The WebSocket runtime (API Gateway WebSocket API: $connect, $disconnect, subscribe, $default in one
// function). The event's type is the push package's, so this module stays free of it.
import { lambdaRuntime, type LambdaHandler, type RuntimeOptions } from './invocation.js';

export function webSocketRuntime<E extends { requestContext: { routeKey?: string } }, R>(options: RuntimeOptions, handle: (event: E) => Promise<R>): LambdaHandler<E, R> {
  return lambdaRuntime(options, (event) => handle(event));
}
