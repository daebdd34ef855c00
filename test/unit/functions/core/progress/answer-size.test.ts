// The answer travels in agent:completed (EventBridge: 256 KB per event) and is stored in the plan item and a
// session message (DynamoDB: 400 KB per item): however many tasks and however wide their rows, it must fit.
import { describe, expect, it } from 'vitest';
import { composeAnswer, MAX_ANSWER_BYTES, type TaskOutcome } from '../../../../../functions/core/progress/answer.js';
import type { StoredPlan, StoredTask } from '../../../../../functions/core/store/index.js';

const wide = '東京都千代田区丸の内一丁目'.repeat(10);
const rows = Array.from({ length: 20 }, (_, i) => ({ number: `${wide}${i}`, displayName: wide, city: wide, email: wide, phoneNumber: wide, balance: wide }));

function task(i: number): StoredTask {
  return {
    id: `t${i}`, type: 'query', description: `List customers ${i}`, tool: 'bc_query_entity', arguments: { entity: 'customers' },
    dependsOn: [], critical: true, priority: 'normal', delaySeconds: 0, status: 'succeeded', attempt: 1, level: 0, updatedAt: '2026-01-01T00:00:00.000Z',
  } as StoredTask;
}

describe('the answer', () => {
  it('stays within the size an event and an item can carry, and says it was shortened', async () => {
    const outcomes: TaskOutcome[] = Array.from({ length: 50 }, (_, i) => ({ task: task(i), result: { value: rows } }));
    const plan = { summary: 'many lists', tasks: outcomes.map((o) => o.task) } as StoredPlan;
    const answer = await composeAnswer(plan, outcomes);
    expect(Buffer.byteLength(answer, 'utf8')).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    expect(answer).toContain('Found 20 customers');
    expect(answer).toMatch(/shortened/);
    expect(answer).not.toContain('\uFFFD');
  });

  it('leaves an answer that fits as it is', async () => {
    const outcomes: TaskOutcome[] = [{ task: task(1), result: { value: rows.slice(0, 2) } }];
    const answer = await composeAnswer({ summary: 'one list', tasks: [outcomes[0]!.task] } as StoredPlan, outcomes);
    expect(answer).toMatch(/^Found 2 customers:/);
    expect(answer).not.toMatch(/shortened/);
  });
});
