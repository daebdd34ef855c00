// The stack's WebSocket API (AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET): its stage, route selection
// expression and routes, each with the function its integration calls and whether it returns a response.
import type { LocalStack } from '../template/local-stack.js';
import { functionNameInArn } from '../template/model.js';

export interface WebSocketRouteDefinition {
  /** `$connect`, `$disconnect`, `$default` or a custom route key such as `subscribe`. */
  routeKey: string;
  functionName?: string;
  /** The route has a route response: the integration's answer body goes back to the client. */
  returnResponse: boolean;
}

export interface WebSocketApiDefinition {
  logicalId: string;
  apiId: string;
  stage: string;
  /** Only `$request.body.<field>` is supported (what the stack uses). */
  routeSelectionExpression: string;
  routes: WebSocketRouteDefinition[];
}

export function readWebSocketApi(stack: LocalStack): WebSocketApiDefinition | undefined {
  const apis = stack.resourcesOfType('AWS::ApiGatewayV2::Api').filter(([, resource]) => resource.Properties?.ProtocolType === 'WEBSOCKET');
  if (apis.length === 0) return undefined;
  if (apis.length > 1) throw new Error(`the local cloud serves one WebSocket API, the stack has ${apis.length}`);
  const [logicalId, api] = apis[0]!;
  const apiId = stack.ref(logicalId);
  const belongsToApi = ([, resource]: [string, { Properties?: Record<string, unknown> }]) => stack.resolve(resource.Properties?.ApiId) === apiId;

  const integrations = new Map<string, string | undefined>();
  for (const [integrationId, resource] of stack.resourcesOfType('AWS::ApiGatewayV2::Integration').filter(belongsToApi)) {
    const uri = resource.Properties?.IntegrationUri === undefined ? '' : stack.resolveString(resource.Properties.IntegrationUri, `${integrationId}.IntegrationUri`);
    integrations.set(integrationId, functionNameInArn(uri));
  }
  const routes = stack.resourcesOfType('AWS::ApiGatewayV2::Route').filter(belongsToApi).map(([routeId, resource]): WebSocketRouteDefinition => {
    const props = stack.resolve(resource.Properties ?? {}) as Record<string, unknown>;
    if (props.AuthorizationType !== undefined && props.AuthorizationType !== 'NONE') {
      throw new Error(`WebSocket route ${routeId}: authorizer ${String(props.AuthorizationType)} is not run locally (the $connect function checks the token)`);
    }
    const target = typeof props.Target === 'string' ? props.Target : '';
    const functionName = target.startsWith('integrations/') ? integrations.get(target.slice('integrations/'.length)) : undefined;
    return {
      routeKey: String(props.RouteKey),
      ...(functionName ? { functionName } : {}),
      returnResponse: typeof props.RouteResponseSelectionExpression === 'string',
    };
  });
  const stage = stack.resourcesOfType('AWS::ApiGatewayV2::Stage').filter(belongsToApi)[0];
  if (!stage) throw new Error(`WebSocket API ${logicalId} has no stage`);
  const selection = String(stack.resolve(api.Properties?.RouteSelectionExpression) ?? '$request.body.action');
  if (!/^\$request\.body\.[A-Za-z0-9_]+$/.test(selection)) throw new Error(`route selection expression ${selection} is not run locally`);
  return {
    logicalId,
    apiId: String(apiId),
    stage: stack.resolveString(stage[1].Properties?.StageName, `${stage[0]}.StageName`),
    routeSelectionExpression: selection,
    routes,
  };
}
