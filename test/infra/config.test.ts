// Per-stage configuration: defaults, overrides from context, and clear errors for bad values.
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { overridesOf, stagesOf } from '../../lib/app.js';
import { configFor, STAGES, WORKER_TYPES, type Stage } from '../../lib/config.js';

describe('configFor', () => {
  it.each(STAGES)('gives %s the design defaults', (stage) => {
    const config = configFor(stage);
    expect(config.stage).toBe(stage);
    expect(config.breaker).toEqual({ threshold: 5, windowSeconds: 60, openSeconds: 60 });
    expect(config.approvals).toEqual({ ttlMinutes: 15, autoApprove: [], allowSelfApproval: false });
    for (const type of WORKER_TYPES) {
      expect(config.workers[type].maxConcurrency).toBeGreaterThanOrEqual(2);
      expect(config.workers[type].highMaxConcurrency).toBeGreaterThanOrEqual(2);
    }
  });

  it('keeps data in prod and staging and lets dev go', () => {
    expect(configFor('prod').retention).toMatchObject({ pointInTimeRecovery: true, removalPolicy: 'retain' });
    expect(configFor('staging').retention).toMatchObject({ pointInTimeRecovery: true, removalPolicy: 'retain' });
    expect(configFor('dev').retention).toMatchObject({ pointInTimeRecovery: false, removalPolicy: 'destroy' });
  });

  it('merges overrides at any depth; arrays replace', () => {
    const config = configFor('staging', {
      jwt: { issuer: 'https://login.example.com/tenant/v2.0' },
      bc: { tenant: 'contoso', writableEntitySets: ['customers'] },
      workers: { query: { maxConcurrency: 50 } },
    });
    expect(config.jwt).toEqual({ issuer: 'https://login.example.com/tenant/v2.0', audience: ['bc-agent'] });
    expect(config.bc).toMatchObject({ tenant: 'contoso', writableEntitySets: ['customers'], environment: 'sandbox' });
    expect(config.workers.query).toMatchObject({ maxConcurrency: 50, timeoutSeconds: 60 });
  });

  it('names every invalid setting', () => {
    expect(() =>
      configFor('dev', {
        jwt: { issuer: 'http://insecure.example.com/' },
        workers: { write: { maxConcurrency: 1, batchSize: 0 } },
        retention: { logDays: 0 },
      }),
    ).toThrow(/jwt\.issuer[\s\S]*workers\.write\.batchSize[\s\S]*workers\.write\.maxConcurrency[\s\S]*retention\.logDays/);
  });

  it('allows CORS only for the configured origins', () => {
    expect(configFor('prod').api.corsAllowOrigins).toEqual([]);
    expect(configFor('prod', { api: { corsAllowOrigins: ['https://chat.example.com'] } }).api.corsAllowOrigins).toEqual(['https://chat.example.com']);
    expect(() => configFor('prod', { api: { corsAllowOrigins: ['*'] } })).toThrow(/api\.corsAllowOrigins\.0/);
  });

  it('never auto-approves in prod', () => {
    expect(configFor('dev', { approvals: { autoApprove: ['POST:customers'] } }).approvals.autoApprove).toEqual(['POST:customers']);
    expect(() => configFor('prod', { approvals: { autoApprove: ['POST:customers'] } })).toThrow(/autoApprove must be empty in prod/);
    expect(() => configFor('prod', { approvals: { allowSelfApproval: true } })).toThrow(/allowSelfApproval must be false in prod/);
  });

  it('rejects an unknown stage and a stage change through overrides', () => {
    expect(() => configFor('qa' as Stage)).toThrow(/Unknown stage 'qa'/);
    expect(() => configFor('dev', { stage: 'prod' })).toThrow(/may not change the stage/);
  });
});

describe('app context', () => {
  it('reads per-stage overrides from `bc-agent:<stage>`, as an object or a JSON string', () => {
    const app = new App({
      context: {
        'bc-agent:prod': { jwt: { audience: ['api://bc-agent'] } },
        'bc-agent:staging': '{"bc":{"tenant":"contoso"}}',
      },
    });
    expect(overridesOf(app, 'prod')).toEqual({ jwt: { audience: ['api://bc-agent'] } });
    expect(overridesOf(app, 'staging')).toEqual({ bc: { tenant: 'contoso' } });
    expect(overridesOf(app, 'dev')).toEqual({});
    expect(() => overridesOf(new App({ context: { 'bc-agent:dev': '[1]' } }), 'dev')).toThrow(/must be an object/);
  });

  it('lists the stages of the `environments` context, all three by default', () => {
    expect(stagesOf(new App())).toEqual(['dev', 'staging', 'prod']);
    expect(stagesOf(new App({ context: { environments: ['dev'] } }))).toEqual(['dev']);
    expect(() => stagesOf(new App({ context: { environments: ['dev', 'qa'] } }))).toThrow(/unknown stage 'qa'/);
  });
});

describe('writable entity sets', () => {
  it('refuses a name outside the BC catalogue at synthesis', async () => {
    const { configFor } = await import('../../lib/config.js');
    expect(() => configFor('dev', { bc: { writableEntitySets: ['itemReservations'] } } as never)).toThrow(/writableEntitySets/);
    expect(configFor('dev').bc.writableEntitySets).not.toContain('itemReservations');
  });
});

describe('default location of purchase-order lines', () => {
  it('reaches the saga steps only when configured', async () => {
    const { configFor } = await import('../../lib/config.js');
    expect(configFor('dev').bc.defaultLocationCode).toBeUndefined();
    expect(configFor('dev', { bc: { defaultLocationCode: 'MAIN' } } as never).bc.defaultLocationCode).toBe('MAIN');
    expect(() => configFor('dev', { bc: { defaultLocationCode: '' } } as never)).toThrow(/defaultLocationCode/);
  });
});
