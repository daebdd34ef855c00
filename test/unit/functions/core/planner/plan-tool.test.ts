import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { planToolInputSchema, planFromToolInput, toolInputFromPlan } from '../../../../../functions/core/planner/plan-tool.js';
import { planCommands } from '../../../../../functions/core/planner/offline.js';
import { validatePlan } from '../../../../../functions/core/plan/index.js';

const schema = planToolInputSchema();

describe('the create_plan tool schema', () => {
  it('fits strict tool use: no recursion, every object closed, no unsupported constraints', () => {
    const text = JSON.stringify(schema);
    expect(text).not.toContain('"$defs"');
    expect(text).not.toMatch(/"\$ref":"#/);
    (function walk(node: unknown): void {
      if (Array.isArray(node)) return node.forEach(walk);
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      if (o.type === 'object') expect(o.additionalProperties).toBe(false);
      for (const key of ['minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'maxItems']) expect(o, key).not.toHaveProperty(key);
      Object.entries(o).forEach(([key, value]) => key !== 'properties' ? walk(value) : Object.values(value as object).forEach(walk));
    })(schema);
  });

  it("accepts every plan the offline planner makes, written as Claude would, and reads it back unchanged", () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(schema);
    const commands = [
      'count customers',
      "list customers where (city eq 'A' or city eq 'B') and balanceDue gt 10 orderby displayName desc top 5 select displayName",
      'get vendor 20000 then analyze vendors by balance',
      "create customer displayName='Fabrikam' city='Oslo' creditLimit=5"
        + "; update customer 10000 set phoneNumber='555'; delete item 1896-S",
      'create purchase order for vendor 20000: 5 x 1896-S, 2 x 1900-S at EAST',
      "validate customer displayName='X' email='bad'",
      "list items where number in ('1896-S', '1900-S')",
    ];
    for (const command of commands) {
      const outcome = planCommands(command, 20);
      if (outcome.kind !== 'plan') throw new Error(command);
      const input = toolInputFromPlan(outcome.plan);
      expect(validate(input), `${command}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
      const back = validatePlan(planFromToolInput(JSON.parse(JSON.stringify(input))));
      expect(back).toEqual({ ok: true, plan: outcome.plan, levels: outcome.levels });
    }
  });

  it('rejects, at the schema, a tool that is not in it', () => {
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const task = { id: 't1', type: 'query', description: 'x', tool: 'shell_exec', arguments: { command: 'ls' }, dependsOn: [], critical: true, priority: 'normal', delaySeconds: 0 };
    expect(validate({ summary: 's', tasks: [task] })).toBe(false);
    expect(validate({ summary: 's', tasks: [{ ...task, tool: 'bc_delete_entity', arguments: { entity: 'customers', id: 'x' } }] })).toBe(false);
  });

  it('leaves malformed pairs for validation to report', () => {
    const input = { summary: 's', tasks: [{ id: 't1', type: 'write', description: 'x', tool: 'bc_create_entity', arguments: { entity: 'customers', data: [{ value: 1 }] } }] };
    const result = validatePlan(planFromToolInput(input));
    expect(result).toMatchObject({ ok: false, problems: [expect.objectContaining({ code: 'invalid', taskId: 't1' })] });
  });
});
