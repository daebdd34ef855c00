// One Lambda handler of functions/<path>/index.ts, built the same way everywhere: a NodejsFunction bundled by
// esbuild as an ES module with the AWS SDK inside, on nodejs24.x/arm64, with X-Ray, Powertools settings, its
// own log group (retention from config) and its own role that may only write that log group. The construct
// that owns the function adds what it uses (use(): environment and grant together, lib/constructs/access.ts).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetStaging, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import type { Access } from './access.js';
import { acknowledge } from './nag.js';
import { METRICS_NAMESPACE } from '../../functions/core/observability/index.js';

/** The repository root: lib/constructs/ is two levels below it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Lets bundled CommonJS dependencies call `require` inside the ES module output. */
const REQUIRE_BANNER =
  "import { createRequire as __bcAgentCreateRequire } from 'node:module'; " +
  'const require = __bcAgentCreateRequire(import.meta.url);';


/**
 * What `ajv` resolves to in every bundle (relative to the project root, esbuild's working directory): the MCP
 * SDK's client and server import ajv statically though ours are given @cfworker/json-schema validators.
 */
const WITHOUT_AJV = './functions/core/mcp/without-ajv.ts';

/** Context key: `true` adds esbuild's metafile (index.meta.json) to each function's bundle. */
export const BUNDLE_METAFILE_CONTEXT = 'bc-agent:bundle-metafile';

export interface HandlerFunctionProps {
  readonly config: EnvironmentConfig;
  /** The handler's folder under functions/, e.g. `workers/query`. */
  readonly handlerPath: string;
  readonly description: string;
  readonly timeout: Duration;
  readonly memorySize?: number;
  /** Environment beyond the common STAGE / LOG_LEVEL / Powertools variables. */
  readonly environment?: Record<string, string>;
  /** Where Lambda puts an asynchronous invocation that failed all its retries (event consumers). */
  readonly deadLetterQueue?: sqs.IQueue;
}

export function removalPolicyOf(config: EnvironmentConfig): RemovalPolicy {
  return config.retention.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
}

export function logRetentionOf(config: EnvironmentConfig): logs.RetentionDays {
  // RetentionDays' values are the day counts CloudWatch accepts; reject anything else rather than round.
  const days = config.retention.logDays;
  if (!(Object.values(logs.RetentionDays) as number[]).includes(days)) {
    throw new Error(`retention.logDays ${days} is not a retention CloudWatch Logs accepts`);
  }
  return days as logs.RetentionDays;
}

export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const { config, handlerPath } = props;
    const entry = join(PROJECT_ROOT, 'functions', handlerPath, 'index.ts');
    if (!existsSync(entry)) throw new Error(`Handler entry ${entry} does not exist`);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logRetentionOf(config),
      removalPolicy: removalPolicyOf(config),
    });
    // An explicit role instead of the default one: the managed AWSLambdaBasicExecutionRole would let the
    // function write any log group in the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `bc-agent ${config.stage} ${handlerPath}`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 512,
      role: this.role,
      deadLetterQueue: props.deadLetterQueue,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        STAGE: config.stage,
        LOG_LEVEL: config.logLevel,
        POWERTOOLS_SERVICE_NAME: `bc-agent-${handlerPath.replaceAll('/', '-')}`,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        // Stack traces point into the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        mainFields: ['module', 'main'],
        banner: REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        // File and line are what a stack trace needs; without the sources' text the map is ~3x smaller to
        // load when --enable-source-maps reads it at init.
        sourcesContent: false,
        // index.meta.json beside the bundle (what each input contributes, printed by bench/local-cloud.ts), only
        // when the synthesis asks for it: the local cloud's does, a deployment ships no build metadata.
        metafile: this.node.tryGetContext(BUNDLE_METAFILE_CONTEXT) === true,
        // The SDK is bundled: a cold start loads only the clients in use, not the runtime's whole copy.
        externalModules: [],
        // ajv and ajv-formats resolve to a module that refuses to be constructed: ~100 KB less to load at a cold start.
        esbuildArgs: { '--alias:ajv': WITHOUT_AJV, '--alias:ajv-formats': WITHOUT_AJV },
        // esbuild resolves an alias from its working directory: the project root locally, and in Docker
        // bundling (no local esbuild) the project's mount rather than the container's default `/`.
        workingDirectory: AssetStaging.BUNDLING_INPUT_DIR,
      },
    });
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (AWS requires Resource *).',
    );
  }

  /** Gives the function each group's environment and grant, in order (grants in order make its policy). */
  use(...groups: Access[]): this {
    for (const group of groups) {
      for (const [name, value] of Object.entries(group.environment)) this.function.addEnvironment(name, value);
      group.grant(this);
    }
    return this;
  }

  /** Adds an environment variable (for values known only after other constructs exist). */
  addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }
}
