// The purchase-order saga's two shapes as synthesized (lib/config.ts saga.reservations): prod with the default
// (off: a standard tenant) against staging with the reservations extension, from one synthesis. Off, the state
// machine has no reservation states and nothing else differs but where AddLines' checkpoint leads; the steps
// and the repair sweep are told the shape through SAGA_RESERVATIONS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFor, STAGES, type ConfigOverrides } from '../../lib/config.js';
import { compensationsFrom } from '../../lib/constructs/purchase-order-saga.js';
import type { BcAgentStack } from '../../lib/stack.js';
import { logicalIdOf, renderJoin, resourcesOf, synthesizeApp, type SynthesizedApp } from './support.js';

type Definition = { StartAt: string; Comment?: string; States: Record<string, any> };

let synthesized: SynthesizedApp;
let off: Definition;
let on: Definition;

function definitionOf(stage: 'prod' | 'staging'): Definition {
  const stack = synthesized.stacks[stage];
  const machine = resourcesOf(synthesized.templates[stage], 'AWS::StepFunctions::StateMachine')[logicalIdOf(stack, stack.saga.stateMachine)]!;
  return JSON.parse(renderJoin(machine.Properties!.DefinitionString)) as Definition;
}

/** Every state by name, the Map's item states included. */
function statesOf(definition: Definition): Record<string, any> {
  const all: Record<string, any> = {};
  const visit = (states: Record<string, any>) => {
    for (const [name, state] of Object.entries(states)) {
      all[name] = state;
      if (state.Type === 'Map') visit(state.ItemProcessor.States);
    }
  };
  visit(definition.States);
  return all;
}

/** The `step` every Lambda task sends. */
function stepsSent(definition: Definition): string[] {
  return Object.values(statesOf(definition))
    .map((state) => state.Parameters?.Payload?.step ?? state.Parameters?.step)
    .filter((step): step is string => typeof step === 'string');
}

function environmentOf(stack: BcAgentStack, template: SynthesizedApp['templates']['prod'], fn: { node: { defaultChild?: unknown } }): Record<string, unknown> {
  return resourcesOf(template, 'AWS::Lambda::Function')[logicalIdOf(stack, fn)]!.Properties!.Environment.Variables as Record<string, unknown>;
}

const RESERVATION_STATES = [
  'ReserveInventory', 'CheckpointReserveInventory', 'RollbackInitiatedAtReserveInventory',
  'ReleaseReservations', 'ParkReleaseReservations', 'RecordReleaseReservationsFailure',
];

beforeAll(() => {
  synthesized = synthesizeApp({ bundle: false, validateTemplates: false, overrides: { staging: { saga: { reservations: true } } } });
  off = definitionOf('prod');
  on = definitionOf('staging');
});
afterAll(() => synthesized?.cleanup());

describe('the saga.reservations setting', () => {
  it('is off on every stage unless a stage turns it on, and must be a boolean', () => {
    for (const stage of STAGES) expect(configFor(stage).saga.reservations).toBe(false);
    expect(configFor('prod', { saga: { reservations: true } }).saga.reservations).toBe(true);
    expect(() => configFor('dev', { saga: { reservations: 'yes' } } as unknown as ConfigOverrides)).toThrow(/saga\.reservations/);
  });
});

describe('the state machine without reservations', () => {
  it('has no reservation state and sends no reservation step', () => {
    const states = Object.keys(statesOf(off));
    for (const name of RESERVATION_STATES) expect(states).not.toContain(name);
    expect(stepsSent(off)).not.toContain('reserveInventory');
    expect(stepsSent(off)).not.toContain('releaseReservations');
    expect(off.Comment).not.toMatch(/reserve/);
  });

  it('succeeds after the lines, and a failure after CreateOrder undoes the lines and the order only', () => {
    const states = statesOf(off);
    expect(states.CheckpointAddLines.Next).toBe('ReportSucceeded');
    expect(states.AddLines.Catch[0].Next).toBe('RollbackInitiatedAtAddLines');
    expect(states.RollbackInitiatedAtAddLines.Parameters.Entries[0].Detail).toMatchObject({ failedStep: 'addLines', steps: ['deleteLines', 'deleteOrder'] });
    expect(states.RollbackInitiatedAtAddLines.Next).toBe('DeleteLines');
    expect(states.DeleteLines.Next).toBe('DeleteOrder');
    expect(states.DeleteOrder.Next).toBe('SummarizeRollback');
    expect(compensationsFrom('addLines', false)).toEqual(['deleteLines', 'deleteOrder']);
    expect(() => compensationsFrom('reserveInventory', false)).toThrow(/not a step of this saga/);
  });

  it('differs from the one with reservations only by those states and where the lines lead', () => {
    const without = statesOf(off);
    const withReservations = statesOf(on);
    expect(Object.keys(without).sort()).toEqual(Object.keys(withReservations).filter((name) => !RESERVATION_STATES.includes(name)).sort());
    const changed = Object.keys(without).filter((name) => JSON.stringify(without[name]) !== JSON.stringify(withReservations[name]));
    expect(changed).toEqual(['CheckpointAddLines']);
    expect(withReservations.CheckpointAddLines.Next).toBe('ReserveInventory');
    expect(withReservations.RollbackInitiatedAtReserveInventory.Parameters.Entries[0].Detail).toMatchObject({
      failedStep: 'reserveInventory',
      steps: ['releaseReservations', 'deleteLines', 'deleteOrder'],
    });
    expect(withReservations.ReleaseReservations.Next).toBe('DeleteLines');
  });
});

describe('the shape reaches the functions that run the compensations', () => {
  it.each([
    ['prod', 'false'],
    ['staging', 'true'],
  ] as const)('%s: the saga steps and the repair sweep get SAGA_RESERVATIONS=%s', (stage, value) => {
    const stack = synthesized.stacks[stage];
    const template = synthesized.templates[stage];
    expect(environmentOf(stack, template, stack.saga.steps.function).SAGA_RESERVATIONS).toBe(value);
    expect(environmentOf(stack, template, stack.saga.repair.handler.function).SAGA_RESERVATIONS).toBe(value);
  });
});
