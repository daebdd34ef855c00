// The claim mapping per stage (lib/config.ts): the authorizer trusts the stage's issuer and audience, and the
// orchestrator behind it reads tenant, subject and roles from the claims the stage's provider issues — Entra
// ID's `tid`/`oid`/`roles` when the issuer is Entra's, the local token command's `tenant`/`sub`/`roles` otherwise.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { claimMappingOf, configFor, LOCAL_JWT_ISSUER, type ConfigOverrides, type Stage } from '../../lib/config.js';
import { Api } from '../../lib/constructs/api.js';

const ENTRA = { issuer: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0', audience: ['5b9a1c0e-3f7d-4c2a-9e61-1d2e3f4a5b6c'] };

function synth(stage: Stage, overrides: ConfigOverrides): Template {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), `Identity${stage}`);
  const orchestrator = new lambda.Function(stack, 'Orchestrator', {
    runtime: lambda.Runtime.NODEJS_LATEST, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  new Api(stack, 'Api', { config: configFor(stage, overrides), orchestrator });
  return Template.fromStack(stack);
}

const orchestratorEnv = (template: Template) =>
  Object.values(template.findResources('AWS::Lambda::Function'))[0]!.Properties.Environment.Variables as Record<string, string>;

describe('claim mapping per stage', () => {
  it('dev (the local issuer): tenant, sub and roles, as the local token command issues them', () => {
    const template = synth('dev', {});
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { AuthorizerType: 'JWT', JwtConfiguration: { Issuer: LOCAL_JWT_ISSUER, Audience: ['bc-agent'] } });
    expect(orchestratorEnv(template)).toMatchObject({ JWT_TENANT_CLAIM: 'tenant', JWT_SUBJECT_CLAIM: 'sub', JWT_ROLES_CLAIM: 'roles' });
  });

  it('prod with an Entra ID issuer: tid, oid and app roles; the access log records the mapped claims', () => {
    const template = synth('prod', { jwt: ENTRA });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', { JwtConfiguration: { Issuer: ENTRA.issuer, Audience: ENTRA.audience } });
    expect(orchestratorEnv(template)).toMatchObject({ JWT_TENANT_CLAIM: 'tid', JWT_SUBJECT_CLAIM: 'oid', JWT_ROLES_CLAIM: 'roles' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      AccessLogSettings: { Format: Match.stringLikeRegexp('claims\\.oid.*claims\\.tid') },
    });
  });

  it('staging: the provider and each claim can be set explicitly (a local issuer that issues Entra-shaped tokens, a custom roles claim)', () => {
    expect(claimMappingOf(configFor('staging', { jwt: { provider: 'entra' } }).jwt)).toEqual({ tenant: 'tid', subject: 'oid', roles: 'roles' });
    const template = synth('staging', { jwt: { ...ENTRA, claims: { roles: 'groups' } } });
    expect(orchestratorEnv(template)).toMatchObject({ JWT_TENANT_CLAIM: 'tid', JWT_SUBJECT_CLAIM: 'oid', JWT_ROLES_CLAIM: 'groups' });
  });

  it('refuses a claim name that is not one', () => {
    expect(() => configFor('dev', { jwt: { claims: { tenant: 'has space' } } })).toThrow(/jwt\.claims\.tenant/);
    expect(() => configFor('dev', { jwt: { provider: 'okta' as never } })).toThrow(/jwt\.provider/);
  });
});
