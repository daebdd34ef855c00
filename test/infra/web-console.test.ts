// The web console construct on its own: a private bucket read only by the distribution (origin access
// control), index.html at the root, the HTTP API under /v1/* with the caller's Authorization forwarded and
// nothing shared between callers, /config.json answered at the edge with the stage's issuer, access logs,
// and no cdk-nag finding left unacknowledged.
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { configFor } from '../../lib/config.js';
import { WebConsole } from '../../lib/constructs/web-console.js';

const ISSUER = 'https://login.example.com/tenant/v2.0';

function webConsoleStack(wsUrl?: string, consoleClient?: { clientId: string; scope?: string }): { stack: Stack; template: Template } {
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'WebConsoleTest', { env: { region: 'eu-west-1', account: '111111111111' } });
  const httpApi = new apigw.HttpApi(stack, 'HttpApi');
  const jwt = { issuer: ISSUER, audience: ['api://bc-agent'], ...(consoleClient ? { console: consoleClient } : {}) };
  new WebConsole(stack, 'WebConsole', { config: configFor('staging', { jwt }), httpApi, ...(wsUrl ? { wsUrl } : {}) });
  return { stack, template: Template.fromStack(stack) };
}

const only = <T>(record: Record<string, T>): T => {
  const values = Object.values(record);
  expect(values).toHaveLength(1);
  return values[0]!;
};

describe('WebConsole', () => {
  const { stack, template } = webConsoleStack();
  const distribution = only(template.findResources('AWS::CloudFront::Distribution')).Properties.DistributionConfig;

  it('keeps the site bucket private: all public access blocked, TLS only, read by the distribution alone', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'site/' }),
    });
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }),
    });
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    const sitePolicy = policies.find((p) => p.includes('cloudfront.amazonaws.com'));
    expect(sitePolicy).toBeDefined();
    expect(sitePolicy).toContain('s3:GetObject');
    expect(sitePolicy).toContain('AWS:SourceArn');
    expect(sitePolicy).toContain('aws:SecureTransport');
    expect(sitePolicy).not.toContain('"Principal":"*","Action":"s3:GetObject"');
  });

  it('serves index.html at the root over HTTPS with security headers, and logs every request', () => {
    expect(distribution.DefaultRootObject).toBe('index.html');
    expect(distribution.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(distribution.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeDefined();
    expect(distribution.Logging).toMatchObject({ Prefix: 'cloudfront/' });
    const s3Origin = distribution.Origins.find((o: { S3OriginConfig?: unknown }) => o.S3OriginConfig);
    expect(s3Origin.OriginAccessControlId).toBeDefined();
  });

  it('routes /v1/* to the HTTP API over TLS 1.2 with every method, the caller\'s token in the cache key and the API\'s own Host', () => {
    const api = distribution.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/v1/*');
    expect(api.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE', 'OPTIONS']));
    expect(api.ViewerProtocolPolicy).toBe('https-only');
    // Managed AllViewerExceptHostHeader: API Gateway refuses a Host that is not its own.
    expect(api.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    const apiOrigin = distribution.Origins.find((o: { Id: string }) => o.Id === api.TargetOriginId);
    expect(apiOrigin.CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    expect(JSON.stringify(apiOrigin.DomainName)).toContain('ApiEndpoint');
    const cachePolicy = only(template.findResources('AWS::CloudFront::CachePolicy')).Properties.CachePolicyConfig;
    expect(cachePolicy).toMatchObject({ DefaultTTL: 0, MinTTL: 0 });
    expect(cachePolicy.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['authorization'] });
    expect(cachePolicy.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig.QueryStringBehavior).toBe('all');
  });

  it('answers /config.json at the edge with the stage\'s issuer and audience, and no dev tokens', () => {
    const behavior = distribution.CacheBehaviors.find((b: { PathPattern: string }) => b.PathPattern === '/config.json');
    expect(behavior.FunctionAssociations).toHaveLength(1);
    expect(behavior.FunctionAssociations[0].EventType).toBe('viewer-request');
    const fn = only(template.findResources('AWS::CloudFront::Function')).Properties;
    expect(fn.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    // Run the function's code as CloudFront would and read what the console gets.
    const handler = new Function(`${fn.FunctionCode as string}; return handler;`)() as (event: unknown) => { statusCode: number; headers: Record<string, { value: string }>; body: { data: string } };
    const response = handler({ request: { uri: '/config.json' } });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']!.value).toBe('application/json');
    expect(JSON.parse(response.body.data)).toEqual({ apiUrl: '', issuer: ISSUER, audience: ['api://bc-agent'], devTokens: false });
  });

  it('names the WebSocket API in /config.json when the stage has one', () => {
    const withWs = webConsoleStack('wss://ws.example.com/live').template;
    const code = only(withWs.findResources('AWS::CloudFront::Function')).Properties.FunctionCode as string;
    const handler = new Function(`${code}; return handler;`)() as (event: unknown) => { body: { data: string } };
    expect(JSON.parse(handler({}).body.data).wsUrl).toBe('wss://ws.example.com/live');
  });

  it("gives the console the stage's OIDC client for sign-in through the issuer (code + PKCE), when the stage names one", () => {
    const withClient = webConsoleStack(undefined, { clientId: '0b8e-console', scope: 'openid api://bc-agent/access' }).template;
    const code = only(withClient.findResources('AWS::CloudFront::Function')).Properties.FunctionCode as string;
    const handler = new Function(`${code}; return handler;`)() as (event: unknown) => { body: { data: string } };
    expect(JSON.parse(handler({}).body.data)).toMatchObject({ issuer: ISSUER, oidc: { clientId: '0b8e-console', scope: 'openid api://bc-agent/access' } });
    // The default scope is the one OIDC requires.
    const defaultScope = only(webConsoleStack(undefined, { clientId: 'c' }).template.findResources('AWS::CloudFront::Function')).Properties.FunctionCode as string;
    expect(JSON.parse((new Function(`${defaultScope}; return handler;`)() as (event: unknown) => { body: { data: string } })({}).body.data).oidc).toEqual({ clientId: 'c', scope: 'openid' });
    expect(() => configFor('staging', { jwt: { issuer: ISSUER, audience: ['a'], console: { clientId: 'c', scope: 'api://x/y' } } })).toThrow(/must include openid/);
  });

  it('leaves no cdk-nag AwsSolutions finding unacknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(stack.node.findChild('WebConsole'));
    expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('WebConsole access logs', () => {
  it('are delivered under a bucket policy scoped to the site bucket, with no ACL set by CDK', () => {
    const { template } = webConsoleStack();
    const buckets = Object.values(template.findResources('AWS::S3::Bucket'));
    expect(buckets.every((b) => b.Properties.AccessControl === undefined)).toBe(true);
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    const logsPolicy = policies.find((p) => p.includes('logging.s3.amazonaws.com'))!;
    expect(logsPolicy).toContain('s3:PutObject');
    expect(logsPolicy).toContain('site/*');
    expect(logsPolicy).toContain('aws:SourceArn');
  });
});
