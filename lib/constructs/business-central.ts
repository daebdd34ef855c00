// Access to Business Central: the Secrets Manager secret with the OAuth2 client credentials and the BC_*
// environment (docs/internals.md). Only the functions that call BC themselves get it: the MCP server and the
// saga steps; workers reach BC through the MCP server.
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import type { Access } from './access.js';
import { removalPolicyOf, type HandlerFunction } from './handler-function.js';
import { acknowledge } from './nag.js';

export interface BusinessCentralAccessProps {
  readonly config: EnvironmentConfig;
}

/** As an Access group: the BC_* environment and read on the credentials (HandlerFunction.use). */
export class BusinessCentralAccess extends Construct implements Access {
  /** `{ "clientId", "clientSecret" }` of the Entra ID app registration BC trusts; set after the first deploy. */
  readonly credentials: secretsmanager.Secret;
  /** BC_API_BASE_URL, BC_TENANT, BC_ENVIRONMENT, BC_COMPANY_ID?, BC_TOKEN_URL?, BC_CREDENTIALS_SECRET_ARN. */
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, { config }: BusinessCentralAccessProps) {
    super(scope, id);
    const { bc } = config;
    this.credentials = new secretsmanager.Secret(this, 'Credentials', {
      description: `bc-agent ${config.stage}: BC OAuth2 client credentials { clientId, clientSecret }; put the real values after deploy`,
      // A JSON shape the BC client parses; until the real values are put, the empty clientId makes every
      // BC call fail with a clear message instead of a token error.
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
    this.environment = {
      BC_API_BASE_URL: bc.baseUrl,
      BC_TENANT: bc.tenant,
      BC_ENVIRONMENT: bc.environment,
      ...(bc.companyId ? { BC_COMPANY_ID: bc.companyId } : {}),
      ...(bc.tokenUrl ? { BC_TOKEN_URL: bc.tokenUrl } : {}),
      BC_CREDENTIALS_SECRET_ARN: this.credentials.secretArn,
    };
  }

  grantCredentials(grantee: iam.IGrantable): void {
    this.credentials.grantRead(grantee);
  }

  grant(handler: HandlerFunction): void {
    this.grantCredentials(handler.function);
  }
}
