// The step handler's own contract (request validation, dependencies loaded once and again after a failure)
// and the BC configuration from the environment (functions/core/bc/env.ts).
import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { loadBcClientConfig } from '../../../../../functions/core/bc/env.js';
import { BcTimeoutError, currentBcDeadline } from '../../../../../functions/core/bc/index.js';
import type { PurchaseOrderSagaDeps } from '../../../../../functions/core/saga/index.js';
import { createStepHandler } from '../../../../../functions/saga-steps/purchase-order/index.js';

const logger = new Logger({ serviceName: 'saga-handler-test', logLevel: 'SILENT' });

const context = { tenantId: 'local', sessionId: 's1', planId: 'p1', taskId: 't1', correlationId: 'corr-12345678' };

describe('step handler', () => {
  it('refuses a request that is not { step, input, taskToken? } before loading anything', async () => {
    const loadDeps = vi.fn(async () => ({}) as PurchaseOrderSagaDeps);
    const handler = createStepHandler(loadDeps, logger);
    await expect(handler({ step: 'shipIt', input: {} })).rejects.toMatchObject({ name: 'SagaInputInvalid', message: expect.stringContaining('step') });
    await expect(handler({ step: 'validate' })).rejects.toMatchObject({ name: 'SagaInputInvalid', message: expect.stringContaining('input') });
    await expect(handler({ step: 'validate', input: {}, extra: 1 })).rejects.toMatchObject({ name: 'SagaInputInvalid' });
    await expect(handler('validate')).rejects.toMatchObject({ name: 'SagaInputInvalid' });
    expect(loadDeps).not.toHaveBeenCalled();
  });

  it('names the missing parts of a step input', async () => {
    const handler = createStepHandler(async () => ({}) as PurchaseOrderSagaDeps, logger);
    await expect(handler({ step: 'createOrder', input: { ...context, requestedBy: 'alice', order: { vendorNumber: 'V1', lines: [{ itemNumber: 'I1', quantity: 1 }] } } })).rejects.toMatchObject({
      name: 'SagaInputInvalid',
      message: 'createOrder needs results.validate in its input',
    });
    await expect(handler({ step: 'addLine', input: { ...context, lineIndex: -1 } })).rejects.toMatchObject({
      name: 'SagaInputInvalid',
      message: expect.stringMatching(/order: .*line: .*lineIndex: /),
    });
  });

  it('loads its dependencies once, and again after a failed load', async () => {
    let calls = 0;
    const loadDeps = async (): Promise<PurchaseOrderSagaDeps> => {
      calls++;
      if (calls === 1) throw new Error('secret unavailable');
      return {} as PurchaseOrderSagaDeps;
    };
    const handler = createStepHandler(loadDeps, logger);
    const summarize = { step: 'summarizeRollback', input: { ...context, requestedBy: 'alice', order: { vendorNumber: 'V1', lines: [{ itemNumber: 'I1', quantity: 1 }] } } };
    await expect(handler(summarize)).rejects.toThrow('secret unavailable');
    expect(await handler(summarize)).toEqual({ status: 'succeeded', compensated: [], failed: [] });
    await handler(summarize);
    expect(calls).toBe(2);
  });
});

describe('step handler and the Lambda timeout', () => {
  it('bounds the step\'s BC calls by the invocation\'s remaining time, so BC trouble fails the step before Lambda kills it', async () => {
    let seen: number | undefined;
    const deps = {
      bc: {
        client: {
          resolveCompany: async () => {
            seen = currentBcDeadline();
            throw new BcTimeoutError('BC GET /companies timed out', { kind: 'timeout', status: 0, code: 'Client_Timeout' });
          },
        },
      },
    } as unknown as PurchaseOrderSagaDeps;
    const handler = createStepHandler(async () => deps, logger);
    const validate = { step: 'validate', input: { ...context, requestedBy: 'alice', order: { vendorNumber: 'V1', lines: [{ itemNumber: 'I1', quantity: 1 }] } } };
    const before = Date.now();
    await expect(handler(validate, { getRemainingTimeInMillis: () => 30_000 })).rejects.toMatchObject({ name: 'BcTransientError' });
    expect(seen).toBeGreaterThanOrEqual(before + 30_000 - 1_000);
    expect(seen).toBeLessThanOrEqual(Date.now() + 30_000 - 1_000);
  });
});

describe('BC configuration from the environment', () => {
  const base = { BC_API_BASE_URL: 'http://127.0.0.1:4580', BC_TENANT: 'local', BC_ENVIRONMENT: 'sandbox' };
  const addressing = { baseUrl: 'http://127.0.0.1:4580', tenant: 'local', environment: 'sandbox' };

  it('takes the credentials from the secret when one is named', async () => {
    const loader = vi.fn(async () => ({ clientId: 'from-secret', clientSecret: 's3cret' }));
    const config = await loadBcClientConfig({ ...base, BC_CREDENTIALS_SECRET_ARN: 'arn:secret', BC_CLIENT_ID: 'plain', BC_CLIENT_SECRET: 'plain', BC_COMPANY_ID: 'CRONUS', BC_TOKEN_URL: ' http://t/token ' }, loader);
    expect(loader).toHaveBeenCalledWith('arn:secret');
    expect(config).toEqual({ ...addressing, clientId: 'from-secret', clientSecret: 's3cret', companyId: 'CRONUS', tokenUrl: 'http://t/token' });
  });

  it('falls back to BC_CLIENT_ID/BC_CLIENT_SECRET and says what is missing', async () => {
    const loader = vi.fn();
    expect(await loadBcClientConfig({ ...base, BC_CLIENT_ID: 'id', BC_CLIENT_SECRET: 'secret' }, loader)).toEqual({ ...addressing, clientId: 'id', clientSecret: 'secret' });
    expect(loader).not.toHaveBeenCalled();
    await expect(loadBcClientConfig({ ...base, BC_CLIENT_ID: 'id' }, loader)).rejects.toThrow('BC credentials missing');
    await expect(loadBcClientConfig({ ...base, BC_TENANT: ' ' }, loader)).rejects.toThrow('BC_TENANT is not set');
  });
});
