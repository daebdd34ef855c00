// The MCP server Lambda behind an IAM-authenticated function URL, and the Secrets Manager secret holding the
// BC client credentials that only this function can read. Workers and saga steps reach BC only through it.
import { Duration, Fn } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { HandlerFunction, removalPolicyOf } from './handler-function.js';
import { acknowledge } from './nag.js';
import type { Tables } from './tables.js';

export interface McpServerProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
  readonly tables: Tables;
}

export class McpServer extends Construct {
  readonly handler: HandlerFunction;
  readonly functionUrl: lambda.FunctionUrl;
  /** `{ "clientId", "clientSecret" }` of the Entra ID app registration BC trusts; set after the first deploy. */
  readonly credentials: secretsmanager.Secret;
  /** The Streamable HTTP endpoint: the function URL (which ends in `/`) followed by `mcp`. */
  readonly mcpUrl: string;

  constructor(scope: Construct, id: string, { config, bus, tables }: McpServerProps) {
    super(scope, id);
    const { bc } = config;

    this.credentials = new secretsmanager.Secret(this, 'BcCredentials', {
      description: `bc-agent ${config.stage}: BC OAuth2 client credentials { clientId, clientSecret }; put the real values after deploy`,
      // A JSON shape the MCP server can parse; the generated clientSecret is replaced by the real one.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ clientId: '' }),
        generateStringKey: 'clientSecret',
        excludePunctuation: true,
      },
      removalPolicy: removalPolicyOf(config),
    });
    acknowledge(
      this.credentials,
      'AwsSolutions-SMG4',
      'The client secret is issued and rotated in Entra ID, which Secrets Manager cannot rotate; operators put the new value.',
    );

    this.handler = new HandlerFunction(this, 'Handler', {
      config,
      handlerPath: 'mcp-server',
      description: `bc-agent ${config.stage}: MCP server (Streamable HTTP) for Business Central`,
      timeout: Duration.seconds(config.mcpServerTimeoutSeconds),
      environment: {
        EVENT_BUS_NAME: bus.eventBusName,
        BREAKERS_TABLE: tables.breakers.tableName,
        BC_API_BASE_URL: bc.baseUrl,
        BC_TENANT: bc.tenant,
        BC_ENVIRONMENT: bc.environment,
        ...(bc.companyId ? { BC_COMPANY_ID: bc.companyId } : {}),
        ...(bc.tokenUrl ? { BC_TOKEN_URL: bc.tokenUrl } : {}),
        BC_CREDENTIALS_SECRET_ARN: this.credentials.secretArn,
        BC_WRITABLE_ENTITY_SETS: bc.writableEntitySets.join(','),
        BREAKER_THRESHOLD: String(config.breaker.threshold),
        BREAKER_WINDOW_SECONDS: String(config.breaker.windowSeconds),
        BREAKER_OPEN_SECONDS: String(config.breaker.openSeconds),
      },
    });
    this.credentials.grantRead(this.handler.function);
    tables.breakers.grantReadWriteData(this.handler.function);
    bus.grantPutEventsTo(this.handler.function);

    this.functionUrl = this.handler.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      // Streamable HTTP answers with a JSON body or an event stream; stateless mode needs no streaming.
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    this.mcpUrl = Fn.join('', [this.functionUrl.url, 'mcp']);
  }

  /** Lets `grantee` call the server: a SigV4-signed request to the function URL. */
  grantInvokeUrl(grantee: iam.IGrantable): void {
    this.handler.function.grantInvokeUrl(grantee);
  }
}
