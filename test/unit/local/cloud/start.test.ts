import { describe, expect, it } from 'vitest';
import { DEFAULT_PORTS, localSettingsFromEnv } from '../../../../local/cloud/config.js';
import { formatFunctionLog, shortFunctionName } from '../../../../local/cloud/start.js';

describe('npm start helpers', () => {
  it('reads ports and the state directory from the environment, rejecting bad ports', () => {
    expect(localSettingsFromEnv({}).ports).toEqual(DEFAULT_PORTS);
    const settings = localSettingsFromEnv({ LOCAL_API_PORT: '0', LOCAL_MCP_PORT: '5000', LOCAL_STATE_DIR: '/tmp/x' });
    expect(settings).toEqual({ ports: { ...DEFAULT_PORTS, api: 0, mcp: 5000 }, stateDir: '/tmp/x' });
    expect(() => localSettingsFromEnv({ LOCAL_AWS_PORT: 'abc' })).toThrow(/LOCAL_AWS_PORT must be a port number/);
    expect(() => localSettingsFromEnv({ LOCAL_BC_PORT: '70000' })).toThrow(/LOCAL_BC_PORT/);
  });

  it('prints function logs readably: Powertools JSON, metrics and plain lines', () => {
    expect(shortFunctionName('BcAgent-dev-OrchestratorFunction49D0C499')).toBe('OrchestratorFunction');
    expect(formatFunctionLog('BcAgent-dev-AuditConsumer0123ABCD', 'stdout',
      JSON.stringify({ level: 'INFO', message: 'audit', timestamp: '2026-11-27T15:00:01.234Z', service: 's', planId: 'p1', n: 2 })))
      .toBe('15:00:01.234 INFO  [AuditConsumer] audit planId=p1 n=2');
    expect(formatFunctionLog('fn', 'stdout', JSON.stringify({
      _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'N', Dimensions: [['service', 'stage']], Metrics: [{ Name: 'Events', Unit: 'Count' }] }] },
      service: 'audit', stage: 'dev', Events: 1,
    }))).toMatch(/ METRIC \[fn\] Events=1 service=audit stage=dev$/);
    expect(formatFunctionLog('fn', 'stderr', 'plain text')).toBe('[fn] (stderr) plain text');
  });
});
