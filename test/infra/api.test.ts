// The API construct on its own (no bundling): configuration reaches the authorizer, stage and CORS.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { configFor, type ConfigOverrides } from '../../lib/config.js';
import { Api } from '../../lib/constructs/api.js';

function apiTemplate(overrides: ConfigOverrides): Template {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'ApiTest');
  const orchestrator = new lambda.Function(stack, 'Orchestrator', {
    runtime: lambda.Runtime.NODEJS_LATEST, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new Api(stack, 'Api', { config: configFor('staging', overrides), orchestrator });
  return Template.fromStack(stack);
}

describe('Api', () => {
  it('takes issuer and audience from configuration', () => {
    const template = apiTemplate({ jwt: { issuer: 'https://login.example.com/t/v2.0', audience: ['api://bc-agent', 'bc-agent'] } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://login.example.com/t/v2.0', Audience: ['api://bc-agent', 'bc-agent'] },
    });
  });

  it('has no CORS unless origins are configured', () => {
    const closed = apiTemplate({});
    expect(Object.values(closed.findResources('AWS::ApiGatewayV2::Api'))[0]!.Properties.CorsConfiguration).toBeUndefined();
    apiTemplate({ api: { corsAllowOrigins: ['https://chat.example.com'] } }).hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://chat.example.com'], AllowHeaders: ['authorization', 'content-type'] }),
    });
  });

  it('throttles the default stage as configured', () => {
    apiTemplate({ api: { throttle: { rateLimit: 7, burstLimit: 9 } } }).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 7, ThrottlingBurstLimit: 9 },
    });
  });
});
