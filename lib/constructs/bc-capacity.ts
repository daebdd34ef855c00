// The BC capacity governor's wiring for a function that calls BC itself (MCP server, saga steps, saga repair):
// the BC_GOVERNOR* environment from the stage's bcCapacity settings and read/write access to the table that
// holds the shared budget (the state table; the items have their own `CAPACITY#` keys).
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { EnvironmentConfig } from '../config.js';

export function bcCapacityEnvironment(config: EnvironmentConfig, table: dynamodb.ITable): Record<string, string> {
  const { bcCapacity } = config;
  return {
    BC_GOVERNOR: bcCapacity.enabled ? 'on' : 'off',
    BC_GOVERNOR_TABLE: table.tableName,
    BC_GOVERNOR_RATE_PER_MINUTE: String(bcCapacity.ratePerMinute),
    BC_GOVERNOR_CONCURRENCY: String(bcCapacity.concurrency),
    BC_GOVERNOR_SAFETY_MARGIN: String(bcCapacity.safetyMargin),
    BC_GOVERNOR_HIGH_RESERVE: String(bcCapacity.highReserve),
  };
}

/** Gives `fn` the governor's environment and its table. */
export function governBcCalls(fn: lambda.Function, config: EnvironmentConfig, table: dynamodb.ITable): void {
  for (const [name, value] of Object.entries(bcCapacityEnvironment(config, table))) fn.addEnvironment(name, value);
  table.grantReadWriteData(fn);
}
