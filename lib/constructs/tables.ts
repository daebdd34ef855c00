// The DynamoDB tables of docs/internals.md: on demand, encrypted, TTL where records expire, point-in-time
// recovery and RETAIN where the stage's config asks for it (prod, staging), DESTROY in dev.
import { Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import { removalPolicyOf, type HandlerFunction } from './handler-function.js';
import { acknowledge, arnWildcardFinding } from './nag.js';

export interface TablesProps {
  readonly config: EnvironmentConfig;
}

/** The key schema of a table or index whose keys are strings (all of ours). */
const stringKeys = (partitionKey: string, sortKey?: string) => ({
  partitionKey: { name: partitionKey, type: dynamodb.AttributeType.STRING },
  ...(sortKey === undefined ? {} : { sortKey: { name: sortKey, type: dynamodb.AttributeType.STRING } }),
});

/** State, approvals and audit records: `pk`, `sk`, and each record expires at its `expiresAt`. */
const expiringRecords = { ...stringKeys('pk', 'sk'), timeToLiveAttribute: 'expiresAt' };

export class Tables extends Construct {
  /**
   * Sessions, messages, plans, tasks and stored large results (`pk`, `sk`, TTL `expiresAt`; sparse GSI
   * `bySweepAt` on `sweepPk`/`sweepAt` holding the live plans for the plan sweeper).
   */
  readonly state: dynamodb.Table;
  /** Approvals (`pk`, `sk`; GSI `byStatus` on `gsi1pk`/`gsi1sk`; TTL `expiresAt`). */
  readonly approvals: dynamodb.Table;
  /** Circuit breakers (`pk`). */
  readonly breakers: dynamodb.Table;
  /** Powertools idempotency records (`id`, TTL `expiration`). */
  readonly idempotency: dynamodb.Table;
  /** Audit log (`pk`, `sk`, TTL `expiresAt`). */
  readonly audit: dynamodb.Table;

  constructor(scope: Construct, id: string, { config }: TablesProps) {
    super(scope, id);
    const common = {
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.retention.pointInTimeRecovery },
      removalPolicy: removalPolicyOf(config),
      deletionProtection: config.retention.removalPolicy === 'retain',
    };
    const table = (id: string, shape: Pick<dynamodb.TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'>) =>
      new dynamodb.Table(this, id, { ...common, ...shape });

    this.state = table('State', expiringRecords);
    // Sparse: only a live plan item carries sweepPk/sweepAt (functions/core/store/keys.ts). Keys and the two
    // ids only, so each index write stays one small write unit whatever the plan's size.
    this.state.addGlobalSecondaryIndex({
      indexName: 'bySweepAt',
      ...stringKeys('sweepPk', 'sweepAt'),
      projectionType: dynamodb.ProjectionType.INCLUDE,
      nonKeyAttributes: ['tenantId', 'planId'],
    });
    // Every function granted the state table now also gets <table>/index/* (CDK adds it for a table with an
    // index): the wildcard stays inside this one table.
    acknowledge(
      Stack.of(this),
      arnWildcardFinding(this.state, '/index/*'),
      'Grants on the state table include its own indexes (<table>/index/*, the bySweepAt index); no other table.',
    );
    this.approvals = table('Approvals', expiringRecords);
    this.approvals.addGlobalSecondaryIndex({ indexName: 'byStatus', ...stringKeys('gsi1pk', 'gsi1sk'), projectionType: dynamodb.ProjectionType.ALL });
    // Breaker records are tiny, long-lived and rebuilt on the first failure: no TTL needed.
    this.breakers = table('Breakers', stringKeys('pk'));
    this.idempotency = table('Idempotency', { ...stringKeys('id'), timeToLiveAttribute: 'expiration' });
    this.audit = table('Audit', expiringRecords);

    if (!config.retention.pointInTimeRecovery) {
      acknowledge(
        this,
        'AwsSolutions-DDB3',
        `Stage ${config.stage} holds disposable data; PITR is on where config.retention.pointInTimeRecovery is (staging, prod).`,
      );
    }
  }

  /**
   * Read/write on the approvals table and its `byStatus` index. CDK grants `<table arn>/index/*`, which stays
   * inside this one table; the finding is acknowledged on the grantee only.
   */
  grantApprovalsReadWrite(handler: HandlerFunction): void {
    this.approvals.grantReadWriteData(handler.function);
    acknowledge(
      handler,
      arnWildcardFinding(this.approvals, '/index/*'),
      'Queries the approvals table\'s own byStatus index; <table>/index/* names no other table.',
    );
  }
}
