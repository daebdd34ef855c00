import { afterEach, describe, expect, it, vi } from 'vitest';
import { correlationIdFrom, createLogger, REDACTED, resetCorrelation, setCorrelation } from '../../../../../functions/core/observability/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function capture(run: () => void): Record<string, unknown>[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  run();
  vi.restoreAllMocks();
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('logger', () => {
  it('writes JSON with the correlation keys and never the secrets', () => {
    const logger = createLogger('test-service');
    const [line] = capture(() => {
      setCorrelation(logger, { correlationId: 'corr-1', planId: 'p1', taskId: 't1', tenantId: 'contoso' });
      logger.info('calling BC', {
        headers: { Authorization: 'Bearer eyJhbGciOi', 'content-type': 'application/json' },
        credentials: { clientId: 'local-client', clientSecret: 'local-secret' },
        apiKey: 'sk-ant-123',
        token: 'abc',
        access_token: 'def',
        tokens: 3,
      });
    });
    expect(line).toMatchObject({
      level: 'INFO',
      message: 'calling BC',
      service: 'test-service',
      correlationId: 'corr-1',
      planId: 'p1',
      taskId: 't1',
      tenantId: 'contoso',
      headers: { Authorization: REDACTED, 'content-type': 'application/json' },
      credentials: { clientId: 'local-client', clientSecret: REDACTED },
      apiKey: REDACTED,
      token: REDACTED,
      access_token: REDACTED,
      tokens: 3,
    });
    expect(JSON.stringify(line)).not.toMatch(/eyJhbGciOi|local-secret|sk-ant-123/);
  });

  it('forgets the previous invocation’s keys on reset', () => {
    const logger = createLogger('test-service');
    const [line] = capture(() => {
      setCorrelation(logger, { correlationId: 'corr-1', planId: 'p1' });
      resetCorrelation(logger);
      setCorrelation(logger, { correlationId: 'corr-2' });
      logger.info('next');
    });
    expect(line).toMatchObject({ correlationId: 'corr-2' });
    expect(line).not.toHaveProperty('planId');
  });
});

describe('correlation ids', () => {
  it('keeps a well-formed caller id and replaces anything else', () => {
    expect(correlationIdFrom('corr-abcdef12')).toBe('corr-abcdef12');
    expect(correlationIdFrom('bad id\nwith newline')).toMatch(/^[0-9a-f-]{36}$/);
    expect(correlationIdFrom(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
