// The web console per stage: the built single-page app (web/, `npm run build:web`) in a private S3 bucket
// behind CloudFront (origin access control, so only the distribution reads it), with the HTTP API as a second
// origin under /v1/*: the console calls the API on its own origin, so no CORS is needed. `/config.json` is
// answered at the edge by a CloudFront Function with the stage's issuer, audience and the console's OIDC
// client (what the local cloud serves as /config.json), so the same build runs on every stage.
import { aws_cloudfront as cloudfront, aws_cloudfront_origins as origins, aws_iam as iam, aws_s3 as s3, Duration, Fn, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { removalPolicyOf } from './handler-function.js';
import { acknowledge } from './nag.js';

export interface WebConsoleProps {
  readonly config: EnvironmentConfig;
  /** The HTTP API served under /v1/* (its `$default` stage). */
  readonly httpApi: apigw.IHttpApi;
  /** The WebSocket API's URL (`wss://…`), when the stage has one; the console then listens for pushed events. */
  readonly wsUrl?: string;
}

export class WebConsole extends Construct {
  /** Where the built console goes: `aws s3 sync .local/web s3://<bucket>/` (README, "Web console"). */
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** CloudFront's and the site bucket's access logs. */
  readonly logs: s3.Bucket;

  constructor(scope: Construct, id: string, { config, httpApi, wsUrl }: WebConsoleProps) {
    super(scope, id);
    const removalPolicy = removalPolicyOf(config);

    // CloudFront standard logging writes with ACLs, so this bucket keeps object ownership with the writer.
    this.logs = new s3.Bucket(this, 'Logs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      lifecycleRules: [{ expiration: Duration.days(Math.max(config.retention.logDays, 1)) }],
      removalPolicy,
    });
    acknowledge(this.logs, 'AwsSolutions-S1', "This bucket is where the console's access logs go (CloudFront and the site bucket); logging it into itself would loop.");

    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy,
    });
    // Server access logs delivered under a bucket policy, not the log-delivery ACL CDK would otherwise set
    // (what @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy does; the app does not set that flag).
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = { destinationBucketName: this.logs.bucketName, logFilePrefix: 'site/' };
    this.logs.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.logs.arnForObjects('site/*')],
        conditions: { ArnLike: { 'aws:SourceArn': this.bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );

    const consoleConfig = {
      apiUrl: '',
      ...(wsUrl ? { wsUrl } : {}),
      issuer: config.jwt.issuer,
      audience: config.jwt.audience,
      devTokens: false,
      // Sign-in through the issuer (authorization code + PKCE) when the stage names the console's client.
      ...(config.jwt.console ? { oidc: { clientId: config.jwt.console.clientId, scope: config.jwt.console.scope ?? 'openid' } } : {}),
    };
    const configFunction = new cloudfront.Function(this, 'ConfigJson', {
      comment: `bc-agent ${config.stage}: the console's /config.json`,
      runtime: cloudfront.FunctionRuntime.JS_2_0,
      code: cloudfront.FunctionCode.fromInline(
        `function handler(event) { return { statusCode: 200, statusDescription: 'OK', headers: { 'content-type': { value: 'application/json' }, 'cache-control': { value: 'no-store' } }, body: { encoding: 'text', data: ${JSON.stringify(JSON.stringify(consoleConfig))} } }; }`,
      ),
    });

    const site = origins.S3BucketOrigin.withOriginAccessControl(this.bucket);
    // The $default stage is at the root of the API's own domain; CloudFront passes /v1/… on unchanged.
    const api = new origins.HttpOrigin(Fn.select(2, Fn.split('/', httpApi.apiEndpoint)), {
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [cloudfront.OriginSslPolicy.TLS_V1_2],
    });
    // The API's JWT must reach it, and an origin request policy cannot forward Authorization: it goes in the
    // cache key. Nothing is cached (TTL 0 unless the API says otherwise), and never across callers.
    const apiCachePolicy = new cloudfront.CachePolicy(this, 'ApiCachePolicy', {
      comment: `bc-agent ${config.stage}: API requests, keyed by caller`,
      defaultTtl: Duration.seconds(0),
      minTtl: Duration.seconds(0),
      maxTtl: Duration.seconds(1),
      headerBehavior: cloudfront.CacheHeaderBehavior.allowList('authorization'),
      queryStringBehavior: cloudfront.CacheQueryStringBehavior.all(),
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: `bc-agent ${config.stage}: web console`,
      defaultRootObject: 'index.html',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: this.logs,
      logFilePrefix: 'cloudfront/',
      defaultBehavior: {
        origin: site,
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: cloudfront.ResponseHeadersPolicy.SECURITY_HEADERS,
      },
      additionalBehaviors: {
        '/config.json': {
          origin: site,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
          functionAssociations: [{ function: configFunction, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }],
        },
        '/v1/*': {
          origin: api,
          viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
          allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
          cachePolicy: apiCachePolicy,
          // API Gateway answers 403 to a Host header that is not its own.
          originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        },
      },
    });
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR1',
      'The console is for the tenant staff wherever they work; access is decided by the identity provider and the API’s JWT authorizer, not by country.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR2',
      'The distribution serves static files and forwards /v1 to the HTTP API, which is JWT-authorized and throttled per stage; a WAF web ACL (us-east-1) can be attached per deployment.',
    );
    acknowledge(
      this.distribution,
      'AwsSolutions-CFR4',
      'Without a custom domain CloudFront serves its default *.cloudfront.net certificate, whose policy it fixes itself; TLSv1.2_2021 applies once a domain and certificate are set.',
    );
  }

  /** `https://<id>.cloudfront.net`. */
  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
