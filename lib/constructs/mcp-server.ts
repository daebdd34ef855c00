// The MCP server Lambda behind an IAM-authenticated function URL: the workers' way to Business Central.
import { Duration, Fn } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { breakerAccess, eventBusAccess, type Access } from './access.js';
import type { BusinessCentralAccess } from './business-central.js';
import { HandlerFunction } from './handler-function.js';
import type { Tables } from './tables.js';

export interface McpServerProps {
  readonly config: EnvironmentConfig;
  readonly bus: events.IEventBus;
  readonly tables: Tables;
  readonly businessCentral: BusinessCentralAccess;
}

export class McpServer extends Construct {
  readonly handler: HandlerFunction;
  readonly functionUrl: lambda.FunctionUrl;
  /** The Streamable HTTP endpoint: the function URL (which ends in `/`) followed by `mcp`. */
  readonly mcpUrl: string;
  /** For a function that calls the server: MCP_SERVER_URL and invoke on the function URL. */
  readonly clientAccess: Access;

  constructor(scope: Construct, id: string, { config, bus, tables, businessCentral }: McpServerProps) {
    super(scope, id);
    this.handler = new HandlerFunction(this, 'Handler', {
      config,
      handlerPath: 'mcp-server',
      description: `bc-agent ${config.stage}: MCP server (Streamable HTTP) for Business Central`,
      timeout: Duration.seconds(config.mcpServerTimeoutSeconds),
      environment: {
        BC_WRITABLE_ENTITY_SETS: config.bc.writableEntitySets.join(','),
        // The issuer its protected resource metadata names (RFC 9728). Allowed hosts need no setting: the
        // transport allows only the host the function URL was addressed by (requestContext.domainName).
        MCP_AUTH_ISSUER: config.jwt.issuer,
      },
    });
    this.handler.use(businessCentral, breakerAccess(config, tables), eventBusAccess(bus));

    this.functionUrl = this.handler.function.addFunctionUrl({
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
      // Streamable HTTP answers with a JSON body or an event stream; stateless mode needs no streaming.
      invokeMode: lambda.InvokeMode.BUFFERED,
    });
    this.mcpUrl = Fn.join('', [this.functionUrl.url, 'mcp']);
    this.clientAccess = {
      environment: { MCP_SERVER_URL: this.mcpUrl },
      grant: (client) => this.grantInvokeUrl(client.function),
    };
  }

  /** Lets `grantee` call the server: a SigV4-signed request to the function URL. */
  grantInvokeUrl(grantee: iam.IGrantable): void {
    this.handler.function.grantInvokeUrl(grantee);
  }
}
