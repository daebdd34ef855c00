import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, planToolCall, scripted, type FakeAnthropic } from '../../../../support/fake-anthropic.js';

let server: FakeAnthropic;
beforeAll(async () => {
  server = await startFakeAnthropic({ apiKey: 'k1', respond: scripted(planToolCall({ summary: 's', tasks: [] }, { cache_read_input_tokens: 7 })) });
});
afterAll(async () => {
  await server.stop();
});

const post = (headers: Record<string, string>, body: unknown = { model: 'm', max_tokens: 1, messages: [] }, path = '/v1/messages') =>
  fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('the fake Messages API', () => {
  it('checks the key, the version header, the body and the path like the real API', async () => {
    expect((await post({ 'anthropic-version': '2023-06-01' })).status).toBe(401);
    expect((await post({ 'x-api-key': 'wrong', 'anthropic-version': '2023-06-01' })).status).toBe(401);
    const noVersion = await post({ 'x-api-key': 'k1' });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
    expect((await post({ 'x-api-key': 'k1', 'anthropic-version': '2023-06-01' }, '{nope')).status).toBe(400);
    expect((await post({ 'x-api-key': 'k1', 'anthropic-version': '2023-06-01' }, { model: 'm' })).status).toBe(400);
    expect((await post({ 'x-api-key': 'k1', 'anthropic-version': '2023-06-01' }, undefined, '/v1/complete')).status).toBe(404);
    expect(server.requests).toHaveLength(0);
  });

  it('answers in the Messages shape, records the request, and 500s past its script', async () => {
    const ok = await post({ authorization: 'Bearer k1', 'anthropic-version': '2023-06-01' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'm',
      stop_reason: 'tool_use',
      content: [{ type: 'tool_use', name: 'create_plan', input: { summary: 's', tasks: [] } }],
      usage: { cache_read_input_tokens: 7, cache_creation_input_tokens: 0 },
    });
    expect(server.requests).toEqual([expect.objectContaining({ index: 0, path: '/v1/messages', body: { model: 'm', max_tokens: 1, messages: [] } })]);
    const overrun = await post({ 'x-api-key': 'k1', 'anthropic-version': '2023-06-01' });
    expect(overrun.status).toBe(500);
  });
});
