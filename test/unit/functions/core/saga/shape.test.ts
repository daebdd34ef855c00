// The saga's per-stage shape (functions/core/saga/shape.ts) and what follows from it without a BC tenant:
// which steps and compensations exist, how the steps and the repair sweep read SAGA_RESERVATIONS, that a stage
// without reservations has no way to call the itemReservations API, and that its result says nothing of them.
import { describe, expect, it } from 'vitest';
import { BcClient } from '../../../../../functions/core/bc/index.js';
import { CircuitBreaker } from '../../../../../functions/core/breaker/index.js';
import { guardedSagaBc, runSagaStep, sagaReservationsFromEnv, sagaShape, compensationsFrom, SAGA_ERROR_NAMES, type PurchaseOrderSagaDeps } from '../../../../../functions/core/saga/index.js';
import { succeededResult, succeededResultFromOutput } from '../../../../../functions/core/saga/outcome.js';
import { remainingFrom } from '../../../../../functions/core/saga/repair.js';

describe('the saga shape', () => {
  it('without reservations: create the order and add its lines; undo the lines, then the order', () => {
    const shape = sagaShape(false);
    expect(shape.forwardSteps).toEqual(['createOrder', 'addLines']);
    expect(shape.compensationOrder).toEqual(['deleteLines', 'deleteOrder']);
    expect(compensationsFrom(shape, 'addLines')).toEqual(['deleteLines', 'deleteOrder']);
    expect(compensationsFrom(shape, 'createOrder')).toEqual(['deleteOrder']);
    expect(() => compensationsFrom(shape, 'reserveInventory')).toThrow(/reserveInventory is not a step of this saga \(reservations off\)/);
  });

  it('with reservations: the reservation step last, its release first', () => {
    const shape = sagaShape(true);
    expect(shape.forwardSteps).toEqual(['createOrder', 'addLines', 'reserveInventory']);
    expect(shape.compensationOrder).toEqual(['releaseReservations', 'deleteLines', 'deleteOrder']);
    expect(compensationsFrom(shape, 'reserveInventory')).toEqual(['releaseReservations', 'deleteLines', 'deleteOrder']);
  });

  it('parks, for a repair, the stage\'s compensations from the first one that failed', () => {
    const standard = sagaShape(false).compensationOrder;
    expect(remainingFrom([], standard)).toEqual(['deleteLines', 'deleteOrder']);
    expect(remainingFrom(['deleteOrder'], standard)).toEqual(['deleteOrder']);
    expect(remainingFrom(['releaseReservations'], standard)).toEqual(['deleteLines', 'deleteOrder']);
    expect(remainingFrom([])).toEqual(['releaseReservations', 'deleteLines', 'deleteOrder']);
  });
});

describe('SAGA_RESERVATIONS', () => {
  it('is true or false; unset or blank means off', () => {
    expect(sagaReservationsFromEnv({ SAGA_RESERVATIONS: 'true' })).toBe(true);
    expect(sagaReservationsFromEnv({ SAGA_RESERVATIONS: ' false ' })).toBe(false);
    expect(sagaReservationsFromEnv({})).toBe(false);
    expect(sagaReservationsFromEnv({ SAGA_RESERVATIONS: '' })).toBe(false);
  });

  it('fails the cold start, naming the variable, on anything else', () => {
    for (const value of ['yes', '1', 'TRUE', 'on']) {
      expect(() => sagaReservationsFromEnv({ SAGA_RESERVATIONS: value })).toThrow(`SAGA_RESERVATIONS must be 'true' or 'false', got '${value}'`);
    }
  });
});

describe('a stage without reservations', () => {
  // Nothing listens here: a step that tried to reach BC would fail with a network error, not the one expected.
  const client = new BcClient({ baseUrl: 'http://127.0.0.1:1', tenant: 't', environment: 'e', tokenUrl: 'http://127.0.0.1:1/token', clientId: 'c', clientSecret: 's', maxRetries: 0 });
  const breaker = { execute: <T>(run: () => Promise<T>) => run() } as unknown as CircuitBreaker;
  const bc = guardedSagaBc(client, breaker, {}, { reservations: false });
  const deps = { bc, now: () => new Date() } as unknown as PurchaseOrderSagaDeps;
  const guid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const created = {
    companyId: guid(1), orderId: guid(2), orderNumber: '106001', orderKey: 'key',
    lines: [{ lineIndex: 0, sequence: 10000, itemId: guid(3), itemNumber: '1896-S', quantity: 1, locationId: guid(4), locationCode: 'MAIN' }],
  };
  const state = {
    tenantId: 'local', sessionId: 'sess-1', planId: 'plan-1', taskId: 'task-1', correlationId: 'corr-1', requestedBy: 'alice',
    order: { vendorNumber: '20000', lines: [{ itemNumber: '1896-S', quantity: 1 }] },
    results: { createOrder: created },
  };

  it('has no client for the itemReservations API', () => {
    expect(bc.reservations).toBeUndefined();
    expect(guardedSagaBc(client, breaker).reservations).toBeDefined();
  });

  it.each(['reserveInventory', 'releaseReservations'] as const)('refuses %s with a clear error before calling BC', async (step) => {
    const failure = await runSagaStep(deps, step, state).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: SAGA_ERROR_NAMES.invalidInput, message: expect.stringContaining('saga.reservations is off') });
  });

  it('reports a succeeded order without a reservation count (not "0 reserved")', () => {
    expect(succeededResult(created)).toEqual({ orderId: guid(2), orderNumber: '106001', lines: 1 });
    expect(succeededResultFromOutput(JSON.stringify({ results: { createOrder: created } }))).toEqual({ orderId: guid(2), orderNumber: '106001', lines: 1 });
    expect(succeededResultFromOutput(JSON.stringify({ results: { createOrder: created, reserveInventory: { reservations: [{}] } } }))).toMatchObject({ reservations: 1 });
  });
});
