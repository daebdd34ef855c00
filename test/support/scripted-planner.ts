// A planner with a fixed repertoire, so the orchestrator's tests do not move when the command language does.
// Its plans still go through the real validatePlan in the orchestrator.
import type { PlanInput } from '../../functions/core/plan/index.js';
import type { Planner, PlanOutcome } from '../../functions/core/planner/types.js';

const query = (id: string, entity: string, dependsOn: string[] = []) => ({
  id,
  type: 'query' as const,
  description: `read ${entity}`,
  tool: 'bc_query_entity',
  arguments: { entity, top: 5 },
  dependsOn,
});

const SCRIPTS: Record<string, PlanInput> = {
  'count customers': { summary: 'count customers', tasks: [query('t1', 'customers')] },
  'count vendors': { summary: 'count vendors', tasks: [query('t1', 'vendors')] },
  'validate a customer': {
    summary: 'a customer checked against the catalogue (no BC call)',
    tasks: [{ id: 't1', type: 'validation', description: 'validate a customer', tool: 'validate_entity', arguments: { entity: 'customers', data: { displayName: 'X' } }, dependsOn: [] }],
  },
  'list customers top 5; list vendors top 5': { summary: 'two lists', tasks: [query('t1', 'customers'), query('t2', 'vendors')] },
  'get vendor 20000 then analyze vendors by balance': {
    summary: 'a vendor, then an analysis',
    tasks: [
      query('t1', 'vendors'),
      {
        id: 't2',
        type: 'analysis',
        description: 'analyse vendors by balance',
        tool: 'analyze',
        arguments: { source: { $ref: 't1.result' }, entity: 'vendors', by: 'balance' },
        dependsOn: ['t1'],
      },
    ],
  },
};

export const SCRIPTED_REPLY = `I understand: ${Object.keys(SCRIPTS).join(' | ')}`;

export const scriptedPlanner: Planner = {
  name: 'offline',
  async plan(text): Promise<PlanOutcome> {
    const plan = SCRIPTS[text.trim()];
    // The orchestrator validates and computes levels itself; these are what a planner would hand over.
    if (!plan) return { kind: 'reply', text: SCRIPTED_REPLY };
    return { kind: 'plan', plan: plan as never, levels: [] };
  },
};
