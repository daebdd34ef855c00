// The agent end to end on the local cloud with the offline planner, through the HTTP API as a chat front-end
// would: answers are compared with the BC sandbox's own data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestCloud } from '../support/local-cloud.js';
import { Chat, sandboxGet, startAgentCloud } from './chat.js';

let cloud: TestCloud;
let chat: Chat;

beforeAll(async () => {
  cloud = await startAgentCloud();
  chat = await Chat.open(cloud);
});
afterAll(async () => {
  await cloud?.stop();
});

describe('the agent, offline planner', () => {
  it('count customers answers the sandbox true count', async () => {
    const truth = await sandboxGet(cloud, 'customers/$count');
    const plan = await chat.ask('count customers');
    expect(plan.status, JSON.stringify(plan)).toBe('succeeded');
    expect(plan.response).toBe(`There are ${truth} customers.`);
    expect(plan.tasks[0]!.result.count).toBe(truth);
  });
});
