import { describe, expect, it } from 'vitest';
import { validatePlan, validateToolArguments, resolveRefs, TOOLS_BY_TYPE, type PlanInput, type PlanProblem } from '../../../../../functions/core/plan/index.js';

const query = (id: string, dependsOn: string[] = [], args: Record<string, unknown> = { entity: 'customers' }) => ({
  id,
  type: 'query' as const,
  description: `query ${id}`,
  tool: 'bc_query_entity',
  arguments: args,
  dependsOn,
});

function problems(plan: unknown, maxTasks?: number): PlanProblem[] {
  const result = validatePlan(plan, { maxTasks });
  if (result.ok) throw new Error(`expected problems, got a valid plan with levels ${JSON.stringify(result.levels)}`);
  return result.problems;
}

describe('validatePlan', () => {
  it('applies defaults and groups tasks into topological levels', () => {
    const plan: PlanInput = {
      summary: 'two lists, then an analysis',
      tasks: [
        query('t1'),
        query('t2', [], { entity: 'vendors', top: 5 }),
        {
          id: 't3',
          type: 'analysis',
          description: 'analyse',
          tool: 'analyze',
          arguments: { source: { $ref: 't2.result' }, entity: 'vendors', by: 'balance' },
          dependsOn: ['t2', 't1'],
        },
      ],
    };
    const result = validatePlan(plan);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.levels).toEqual([['t1', 't2'], ['t3']]);
    expect(result.plan.tasks[0]).toMatchObject({ critical: true, priority: 'normal', delaySeconds: 0, dependsOn: [] });
  });

  it('names the ids on a cycle', () => {
    const found = problems({ summary: 's', tasks: [query('a', ['c']), query('b', ['a']), query('c', ['b']), query('d')] });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'cycle' });
    expect(found[0]!.message).toContain('a → c → b → a');
  });

  it('reports a task depending on itself as a cycle', () => {
    expect(problems({ summary: 's', tasks: [query('t1', ['t1'])] })[0]).toMatchObject({ code: 'cycle', taskId: 't1' });
  });

  it('reports unknown dependencies with a suggestion', () => {
    const [problem] = problems({ summary: 's', tasks: [query('fetch1'), query('t2', ['fetch2'])] });
    expect(problem).toMatchObject({ code: 'unknown_dependency', taskId: 't2' });
    expect(problem!.message).toContain("Did you mean 'fetch1'");
  });

  it('reports duplicate ids', () => {
    expect(problems({ summary: 's', tasks: [query('t1'), query('t1')] }).map((p) => p.code)).toContain('duplicate_id');
  });

  it('refuses unknown tools and tools of another task type', () => {
    const found = problems({
      summary: 's',
      tasks: [
        { ...query('t1'), tool: 'shell_exec' },
        { ...query('t2'), tool: 'bc_delete_entity', arguments: { entity: 'customers', id: '00000000-0000-0000-0000-000000000001' } },
      ],
    });
    expect(found.map((p) => [p.code, p.taskId])).toEqual([
      ['unknown_tool', 't1'],
      ['tool_not_allowed_for_type', 't2'],
    ]);
    expect(found[1]!.message).toContain('bc_query_entity');
  });

  it('documents the tools allowed per task type', () => {
    expect(TOOLS_BY_TYPE).toEqual({
      query: ['bc_query_entity'],
      write: ['bc_create_entity', 'bc_update_entity', 'bc_delete_entity', 'bc_batch_operation', 'bc_post_document', 'saga_purchase_order'],
      analysis: ['analyze'],
      validation: ['validate_entity'],
    });
  });

  it('allows a $ref only to a task depended on, directly or transitively', () => {
    const update = (dependsOn: string[], ref: string) => ({
      id: 't3',
      type: 'write',
      description: 'update',
      tool: 'bc_update_entity',
      arguments: { entity: 'customers', id: { $ref: ref }, data: { phoneNumber: '555' } },
      dependsOn,
    });
    expect(validatePlan({ summary: 's', tasks: [query('t1'), query('t2', ['t1']), update(['t2'], 't1.result.value[0].id')] }).ok).toBe(true);

    const notDependedOn = problems({ summary: 's', tasks: [query('t1'), query('t2'), update(['t2'], 't1.result.value[0].id')] });
    expect(notDependedOn).toEqual([expect.objectContaining({ code: 'illegal_ref', taskId: 't3' })]);
    expect(notDependedOn[0]!.message).toContain('does not depend on');

    expect(problems({ summary: 's', tasks: [query('t1'), update(['t1'], 'nope.result.value')] })[0]!.message).toContain("unknown task 'nope'");
    expect(problems({ summary: 's', tasks: [query('t1'), update(['t1'], 't1.value[0]')] })[0]).toMatchObject({ code: 'illegal_ref' });
    expect(problems({ summary: 's', tasks: [query('t1'), update(['t1'], 't1.result.value[x]')] })[0]).toMatchObject({ code: 'illegal_ref' });
  });

  it('refuses a $ref where a name must be literal', () => {
    const found = problems({ summary: 's', tasks: [query('t1'), query('t2', ['t1'], { entity: { $ref: 't1.result.value[0].name' } })] });
    expect(found[0]).toMatchObject({ code: 'illegal_ref', taskId: 't2' });
    expect(found[0]!.message).toContain('arguments.entity');
  });

  it('checks entity sets and field names against the catalogue', () => {
    expect(problems({ summary: 's', tasks: [query('t1', [], { entity: 'custommers' })] })[0]).toMatchObject({ code: 'unknown_entity' });
    expect(problems({ summary: 's', tasks: [query('t1', [], { entity: 'custommers' })] })[0]!.message).toContain("Did you mean 'customers'");

    const field = problems({
      summary: 's',
      tasks: [query('t1', [], { entity: 'customers', filter: { and: [{ field: 'balanceDue', op: 'gt', value: 0 }, { not: { field: 'cty', op: 'eq', value: 'Oslo' } }] }, select: ['displayName'] })],
    });
    expect(field).toEqual([expect.objectContaining({ code: 'unknown_field', taskId: 't1' })]);
    expect(field[0]!.message).toContain("Did you mean 'city'");

    const create = problems({
      summary: 's',
      tasks: [{ id: 'w1', type: 'write', description: 'create', tool: 'bc_create_entity', arguments: { entity: 'vendors', data: { displayName: 'X', balanceDue: 3 } } }],
    });
    expect(create[0]).toMatchObject({ code: 'unknown_field' });
    expect(create[0]!.message).toContain("'balanceDue'");
  });

  it("enforces Business Central's rules on or and on read-only fields", () => {
    const or = problems({
      summary: 's',
      tasks: [query('t1', [], { entity: 'customers', filter: { or: [{ field: 'city', op: 'eq', value: 'A' }, { field: 'state', op: 'eq', value: 'B' }] } })],
    });
    expect(or[0]!.message).toContain('only between conditions on one field');
    const andInsideOr = problems({
      summary: 's',
      tasks: [query('t1', [], { entity: 'customers', filter: { or: [{ field: 'city', op: 'eq', value: 'A' }, { and: [{ field: 'city', op: 'eq', value: 'B' }] }] } })],
    });
    expect(andInsideOr[0]!.message).toContain("an 'and' or 'not' inside an 'or'");
    expect(
      validatePlan({ summary: 's', tasks: [query('t1', [], { entity: 'customers', filter: { or: [{ field: 'city', op: 'eq', value: 'A' }, { field: 'city', op: 'in', values: ['B', 'C'] }] } })] }).ok,
    ).toBe(true);
    const readOnly = problems({
      summary: 's',
      tasks: [{ id: 'w1', type: 'write', description: 'create', tool: 'bc_create_entity', arguments: { entity: 'customers', data: { id: 'x' } } }],
    });
    expect(readOnly[0]!.message).toContain('read-only');
  });

  it('limits the number of tasks and the shape of every field', () => {
    const many = Array.from({ length: 6 }, (_, i) => query(`t${i}`));
    expect(problems({ summary: 's', tasks: many }, 5)[0]).toMatchObject({ code: 'too_many_tasks' });
    expect(problems({ summary: 's', tasks: [{ ...query('T-1') }] })[0]).toMatchObject({ code: 'invalid' });
    expect(problems({ summary: 's', tasks: [{ ...query('t1'), delaySeconds: 90_000 }] })[0]).toMatchObject({ code: 'invalid', taskId: 't1' });
    expect(problems({ summary: 's', tasks: [{ ...query('t1'), extra: 1 }] })[0]).toMatchObject({ code: 'invalid' });
    expect(problems({ summary: 's', tasks: [query('t1', [], { entity: 'customers', top: 0 })] })[0]).toMatchObject({ code: 'invalid' });
    expect(problems('not a plan')[0]).toMatchObject({ code: 'invalid' });
    expect(problems({ summary: 's', tasks: [] })[0]).toMatchObject({ code: 'invalid' });
  });

  it('survives hostile nesting in arguments without looking into them', () => {
    let deep: unknown = { $ref: 't1.result' };
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const found = problems({ summary: 's', tasks: [query('t1'), query('t2', ['t1'], { entity: 'customers', select: deep })] });
    expect(found).toEqual([expect.objectContaining({ code: 'invalid', taskId: 't2' })]);

    let filter: unknown = { field: 'city', op: 'eq', value: 'x' };
    for (let i = 0; i < 20_000; i++) filter = { not: filter };
    const nested = problems({ summary: 's', tasks: [query('t1', [], { entity: 'customers', filter })] });
    expect(nested).toEqual([expect.objectContaining({ code: 'invalid', message: expect.stringContaining('nested more than') })]);
  });
});

describe('validateToolArguments', () => {
  it('checks arguments again once references are resolved', () => {
    const args = { entity: 'customers', id: { $ref: 't1.result.value[0].id' }, data: { phoneNumber: '555' } };
    expect(validateToolArguments('bc_update_entity', args)).toMatchObject({ ok: true });
    const good = resolveRefs(args, { t1: { value: [{ id: '5f1b7a3c-0000-4c3e-8d5f-0123456789ab' }] } });
    expect(validateToolArguments('bc_update_entity', good)).toEqual({ ok: true, arguments: good });
    const bad = resolveRefs(args, { t1: { value: [{ id: 42 }] } });
    expect(validateToolArguments('bc_update_entity', bad)).toMatchObject({ ok: false, problems: [{ code: 'invalid' }] });
    expect(validateToolArguments('nope', {})).toMatchObject({ ok: false, problems: [{ code: 'unknown_tool' }] });
  });
});
