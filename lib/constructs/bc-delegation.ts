// Per-user BC access (config.bc.access, README "Per-user BC access"): the KMS key that seals each person's
// delegated refresh token and the table that keeps it until its TTL. The orchestrator seals and stores
// (GenerateDataKey, PutItem); the workers that reach BC read and open (GetItem, Decrypt). Both need the app
// registration's credentials for the token endpoint (a confidential client) and the BC_* settings. The key and
// table exist in every stage, so switching BC_ACCESS between `app` and `delegated` replaces no resource.
import { Duration } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import type { Access } from './access.js';
import type { BusinessCentralAccess } from './business-central.js';
import { removalPolicyOf } from './handler-function.js';
import { acknowledge } from './nag.js';

export interface BcDelegationProps {
  readonly config: EnvironmentConfig;
  readonly businessCentral: BusinessCentralAccess;
}

export class BcDelegation extends Construct {
  readonly key: kms.Key;
  /** Sealed delegated grants (`pk` = DELEGATION#<tenant>#<user>, TTL `expiresAt`). */
  readonly table: dynamodb.Table;
  /** BC_ACCESS only: for the MCP server, which uses the token a worker sends. */
  readonly mode: Access;
  /** For the orchestrator: exchange on behalf of the caller, seal, store. */
  readonly sealing: Access;
  /** For the workers that call BC: read, open, redeem. */
  readonly redeeming: Access;

  constructor(scope: Construct, id: string, { config, businessCentral }: BcDelegationProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: `bc-agent ${config.stage}: seals delegated BC refresh tokens (envelope encryption)`,
      enableKeyRotation: true,
      removalPolicy: removalPolicyOf(config),
      pendingWindow: Duration.days(7),
    });
    this.table = new dynamodb.Table(this, 'Grants', {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      // The stage's data policy, as for every table (lib/constructs/tables.ts).
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.retention.pointInTimeRecovery },
      removalPolicy: removalPolicyOf(config),
      deletionProtection: config.retention.removalPolicy === 'retain',
    });
    if (!config.retention.pointInTimeRecovery) {
      acknowledge(this.table, 'AwsSolutions-DDB3', `Stage ${config.stage} holds disposable data; sealed grants live for hours and the next message makes a new one.`);
    }

    const mode = { BC_ACCESS: config.bc.access };
    const delegation = {
      ...mode,
      BC_DELEGATION_TABLE: this.table.tableName,
      BC_DELEGATION_KEY_ID: this.key.keyArn,
      BC_DELEGATION_TTL_SECONDS: String(config.bc.delegationTtlHours * 3600),
      ...businessCentral.environment,
    };
    this.mode = { environment: mode, grant: () => undefined };
    this.sealing = {
      environment: delegation,
      grant: (handler) => {
        this.key.grant(handler.function, 'kms:GenerateDataKey');
        this.table.grant(handler.function, 'dynamodb:PutItem');
        businessCentral.grant(handler);
      },
    };
    this.redeeming = {
      environment: delegation,
      grant: (handler) => {
        this.key.grantDecrypt(handler.function);
        this.table.grant(handler.function, 'dynamodb:GetItem');
        businessCentral.grant(handler);
      },
    };
  }
}
