// The BC capacity governor's access for a function that calls BC itself (MCP server, saga steps, saga repair):
// the BC_GOVERNOR* environment from the stage's bcCapacity settings and read/write access to the table that
// holds the shared budget (the state table; the items have their own `CAPACITY#` keys).
import type { EnvironmentConfig } from '../config.js';
import type { Access } from './access.js';
import type { Tables } from './tables.js';

export function bcCapacityAccess(config: EnvironmentConfig, tables: Tables): Access {
  const { bcCapacity } = config;
  return {
    environment: {
      BC_GOVERNOR: bcCapacity.enabled ? 'on' : 'off',
      BC_GOVERNOR_TABLE: tables.state.tableName,
      BC_GOVERNOR_RATE_PER_MINUTE: String(bcCapacity.ratePerMinute),
      BC_GOVERNOR_CONCURRENCY: String(bcCapacity.concurrency),
      BC_GOVERNOR_SAFETY_MARGIN: String(bcCapacity.safetyMargin),
      BC_GOVERNOR_HIGH_RESERVE: String(bcCapacity.highReserve),
    },
    grant: (handler) => tables.state.grantReadWriteData(handler.function),
  };
}
