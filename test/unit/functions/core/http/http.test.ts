// functions/core/http: body parsing, claims, validation, error bodies.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorResponse, HttpError, parseJsonBody, parseRoles, pathId, readCaller, validate } from '../../../../../functions/core/http/index.js';
import { httpEvent } from '../../../../support/http-event.js';

function thrown(run: () => unknown): HttpError {
  try {
    run();
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected an HttpError');
}

describe('parseRoles', () => {
  it.each([
    [['approver', 'other'], ['approver', 'other']],
    ['[approver other]', ['approver', 'other']],
    ['["approver","other"]', ['approver', 'other']],
    ['approver,other', ['approver', 'other']],
    ['[]', []],
    ['', []],
    [undefined, []],
    [42, []],
  ])('%j → %j', (input, expected) => {
    expect(parseRoles(input)).toEqual(expected);
  });
});

describe('readCaller', () => {
  it('reads sub, tenant and roles from the JWT claims', () => {
    expect(readCaller(httpEvent('GET', '/', { claims: { sub: 'alice', tenant: 'contoso', roles: '[approver]' } }))).toEqual({
      sub: 'alice',
      tenantId: 'contoso',
      roles: ['approver'],
    });
  });
  it('is 401 without claims, subject or a usable tenant', () => {
    expect(thrown(() => readCaller(httpEvent('GET', '/', { claims: null }))).status).toBe(401);
    expect(thrown(() => readCaller(httpEvent('GET', '/', { claims: { tenant: 'x' } }))).status).toBe(401);
    expect(thrown(() => readCaller(httpEvent('GET', '/', { claims: { sub: 'a', tenant: 'a#b' } }))).status).toBe(401);
  });
});

describe('parseJsonBody', () => {
  const event = (body: string, options: Parameters<typeof httpEvent>[2] = {}) => httpEvent('POST', '/', { body, ...options });
  it('parses JSON, JSON with charset, +json types and base64 bodies', () => {
    expect(parseJsonBody(event('{"a":1}'))).toEqual({ a: 1 });
    expect(parseJsonBody(event('{"a":1}', { contentType: 'Application/JSON; charset=UTF-8' }))).toEqual({ a: 1 });
    expect(parseJsonBody(event('{"a":1}', { contentType: 'application/merge-patch+json' }))).toEqual({ a: 1 });
    expect(parseJsonBody(event('{"text":"héllo"}', { base64: true }))).toEqual({ text: 'héllo' });
  });
  it('maps each failure to its status', () => {
    expect(thrown(() => parseJsonBody(event('{"a":1}', { contentType: 'text/json' }))).status).toBe(415);
    expect(thrown(() => parseJsonBody(event('{"a":1}', { contentType: 'application/jsonx' }))).status).toBe(415);
    expect(thrown(() => parseJsonBody(event('{', {}))).status).toBe(400);
    expect(thrown(() => parseJsonBody(event('x'.repeat(101)), 100)).status).toBe(413);
    expect(thrown(() => parseJsonBody(event('x'.repeat(101), { base64: true }), 100)).status).toBe(413);
    // Exactly at the limit is fine.
    expect(parseJsonBody(event(`"${'x'.repeat(98)}"`), 100)).toHaveLength(98);
    expect(thrown(() => parseJsonBody({ headers: { 'content-type': 'application/json' }, body: Buffer.from([0xff, 0xfe]).toString('base64'), isBase64Encoded: true })).message).toMatch(/UTF-8/);
  });
});

describe('validate and pathId', () => {
  it('names each problem in a 400 (or 422 when asked)', () => {
    const schema = z.object({ text: z.string().min(1, 'text must not be empty'), n: z.number() });
    const error = thrown(() => validate(schema, { text: '', n: 'x' }, { what: 'the message' }));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^the message is not valid: text: text must not be empty; n: /);
    expect(thrown(() => validate(schema, {}, { status: 422 })).status).toBe(422);
  });
  it('accepts ids and rejects separators', () => {
    expect(pathId({ id: 'chat-1' }, 'id')).toBe('chat-1');
    expect(thrown(() => pathId({ id: 'a#b' }, 'id')).status).toBe(400);
    expect(thrown(() => pathId({}, 'id')).status).toBe(400);
  });
});

describe('errorResponse', () => {
  it('renders the error body of the API contract', () => {
    const response = errorResponse(new HttpError(409, 'Conflict', 'already decided'));
    expect(response.statusCode).toBe(409);
    expect(response.headers['content-type']).toMatch(/application\/json/);
    expect(JSON.parse(response.body!)).toEqual({ error: { code: 'Conflict', message: 'already decided' } });
  });
});
