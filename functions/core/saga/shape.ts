// The purchase-order saga's shape per stage (lib/config.ts `saga.reservations`): which committing steps it runs
// and which compensations undo them. One definition for the state machine (lib/constructs/purchase-order-saga.ts
// builds its chain from it), the steps and the repair sweep (both learn the setting from SAGA_RESERVATIONS).
//
//   reservations off (a standard tenant): createOrder → addLines;        undo: deleteLines → deleteOrder
//   reservations on (bc-extension/ installed): … → reserveInventory;     undo: releaseReservations → …
import { optionalEnv, type Env } from '../config/index.js';
import { COMPENSATION_ORDER } from './schema.js';

/** Every committing forward step, in running order; `reserveInventory` only when the stage has reservations. */
export const ALL_FORWARD_STEPS = ['createOrder', 'addLines', 'reserveInventory'] as const;
export type ForwardStep = (typeof ALL_FORWARD_STEPS)[number];
export type Compensation = (typeof COMPENSATION_ORDER)[number];

/** The compensation that undoes each forward step. */
export const COMPENSATION_OF: Record<ForwardStep, Compensation> = {
  reserveInventory: 'releaseReservations',
  addLines: 'deleteLines',
  createOrder: 'deleteOrder',
};

/** The steps that need the itemReservations API (bc-extension/). */
const RESERVATION_STEPS: readonly string[] = ['reserveInventory', 'releaseReservations'];

export interface SagaShape {
  reservations: boolean;
  forwardSteps: readonly ForwardStep[];
  /** The compensations in running order (reverse of the forward steps). */
  compensationOrder: readonly Compensation[];
}

export function sagaShape(reservations: boolean): SagaShape {
  const keep = (step: string) => reservations || !RESERVATION_STEPS.includes(step);
  return {
    reservations,
    forwardSteps: ALL_FORWARD_STEPS.filter(keep),
    compensationOrder: COMPENSATION_ORDER.filter(keep),
  };
}

/** The compensations that run when `failed` fails: its own undo, then those of the steps before it. */
export function compensationsFrom(shape: SagaShape, failed: ForwardStep): Compensation[] {
  const index = shape.forwardSteps.indexOf(failed);
  if (index === -1) throw new Error(`${failed} is not a step of this saga (reservations ${shape.reservations ? 'on' : 'off'})`);
  return shape.forwardSteps.slice(0, index + 1).reverse().map((step) => COMPENSATION_OF[step]);
}

/** The environment variable the construct sets on the steps and the repair sweep: `true` or `false`. */
export const SAGA_RESERVATIONS_ENV = 'SAGA_RESERVATIONS';

/** The stage's setting; unset means off (a standard tenant), anything but true/false is a configuration error. */
export function sagaReservationsFromEnv(env: Env): boolean {
  const raw = optionalEnv(SAGA_RESERVATIONS_ENV, env);
  if (raw === undefined) return false;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw new Error(`${SAGA_RESERVATIONS_ENV} must be 'true' or 'false', got '${raw}'`);
}
