// What a function needs to use a shared resource: the environment variables that name it (docs/internals.md)
// and the grant that lets it, derived here once so no variable is written in two places and none comes
// without its permission. A construct hands the groups its function uses to HandlerFunction.use(); groups
// owned by one construct (the MCP server's URL, the saga's ARN, BC's credentials) are made by that construct.
import type * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../config.js';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { HandlerFunction } from './handler-function.js';
import { acknowledge } from './nag.js';
import type { MetricsIdentity } from './observability.js';
import type { Tables } from './tables.js';

export interface Access {
  /** The variables that tell the function where the resource is and how to use it. */
  readonly environment: Readonly<Record<string, string>>;
  /** Gives `handler` the permissions the resource needs (nothing for a group of settings only). */
  grant(handler: HandlerFunction): void;
}

/** EVENT_BUS_NAME; may put events on the bus. */
export function eventBusAccess(bus: events.IEventBus): Access {
  return {
    environment: { EVENT_BUS_NAME: bus.eventBusName },
    grant: (handler) => bus.grantPutEventsTo(handler.function),
  };
}

/** STATE_TABLE: sessions, plans, tasks and repair records; read/write. */
export function stateAccess(tables: Tables): Access {
  return {
    environment: { STATE_TABLE: tables.state.tableName },
    grant: (handler) => tables.state.grantReadWriteData(handler.function),
  };
}

/** IDEMPOTENCY_TABLE: Powertools idempotency records; read/write. */
export function idempotencyAccess(tables: Tables): Access {
  return {
    environment: { IDEMPOTENCY_TABLE: tables.idempotency.tableName },
    grant: (handler) => tables.idempotency.grantReadWriteData(handler.function),
  };
}

/** The circuit breaker in front of BC: BREAKERS_TABLE and the BREAKER_* settings; read/write on its table. */
export function breakerAccess(config: EnvironmentConfig, tables: Tables): Access {
  return {
    environment: {
      BREAKERS_TABLE: tables.breakers.tableName,
      BREAKER_THRESHOLD: String(config.breaker.threshold),
      BREAKER_WINDOW_SECONDS: String(config.breaker.windowSeconds),
      BREAKER_OPEN_SECONDS: String(config.breaker.openSeconds),
    },
    grant: (handler) => tables.breakers.grantReadWriteData(handler.function),
  };
}

/** Approvals: APPROVALS_TABLE and the APPROVAL_* settings; read/write on the table and its byStatus index. */
export function approvalAccess(config: EnvironmentConfig, tables: Tables): Access {
  return {
    environment: {
      APPROVALS_TABLE: tables.approvals.tableName,
      APPROVAL_TTL_MINUTES: String(config.approvals.ttlMinutes),
      APPROVAL_AUTO_APPROVE: config.approvals.autoApprove.join(','),
      APPROVAL_ALLOW_SELF: String(config.approvals.allowSelfApproval),
    },
    grant: (handler) => tables.grantApprovalsReadWrite(handler),
  };
}

/** The Anthropic key's secret when config.claude.secretArn names one (imported once per stack). */
export function claudeSecretOf(scope: Construct, config: EnvironmentConfig): secretsmanager.ISecret | undefined {
  return config.claude.secretArn
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, 'AnthropicKey', config.claude.secretArn)
    : undefined;
}

/** Claude: ANTHROPIC_MODEL, and ANTHROPIC_SECRET_ARN with read on the secret when there is one. */
export function claudeAccess(config: EnvironmentConfig, secret: secretsmanager.ISecret | undefined): Access {
  return {
    environment: {
      ANTHROPIC_MODEL: config.claude.model,
      ...(secret ? { ANTHROPIC_SECRET_ARN: secret.secretArn } : {}),
    },
    grant: (handler) => secret?.grantRead(handler.function),
  };
}

/**
 * The analytics consumer's metrics, read back (GET /v1/metrics): ANALYTICS_METRICS_NAMESPACE and
 * ANALYTICS_METRICS_SERVICE (with the reader's own STAGE, the same stage) name the series; may call GetMetricData.
 */
export function operationsMetricsAccess(source: MetricsIdentity): Access {
  return {
    environment: { ANALYTICS_METRICS_NAMESPACE: source.namespace, ANALYTICS_METRICS_SERVICE: source.service },
    grant: (handler) => {
      handler.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
      acknowledge(handler.role, 'AwsSolutions-IAM5[Resource::*]', 'cloudwatch:GetMetricData supports no resource-level permissions (AWS requires Resource *).');
    },
  };
}
