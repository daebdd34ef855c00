// Structured JSON logging (Powertools Logger) with the correlation keys of §12 and secret redaction.
import { Logger } from '@aws-lambda-powertools/logger';

/** Keys whose values are never written to a log line, whatever their nesting depth. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|client[-_]?secret|secret|password|passwd|token|access[-_]?token|refresh[-_]?token|id[-_]?token|bearer|private[-_]?key|anthropic[-_]?api[-_]?key|x-bc-user-token)$/i;

export const REDACTED = '[REDACTED]';

/** JSON replacer used by the logger: hides values stored under secret-looking keys. */
export function redactSecrets(key: string, value: unknown): unknown {
  return key !== '' && SECRET_KEY.test(key) && value !== undefined && value !== null ? REDACTED : value;
}

/** The keys that tie one message's story together across every component. */
export interface CorrelationKeys {
  correlationId?: string;
  planId?: string;
  taskId?: string;
  tenantId?: string;
  sessionId?: string;
}

export function createLogger(serviceName?: string): Logger {
  return new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName || 'bc-agent',
    jsonReplacerFn: redactSecrets,
  });
}

/**
 * Sets the correlation keys for the rest of the invocation (persistent, because Lambda reuses the logger
 * across invocations: the caller resets them at the start of each one with `resetCorrelation`).
 */
export function setCorrelation(logger: Logger, keys: CorrelationKeys): void {
  const defined = Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== undefined && v !== ''));
  logger.appendPersistentKeys(defined);
}

const CORRELATION_KEY_NAMES: (keyof CorrelationKeys)[] = ['correlationId', 'planId', 'taskId', 'tenantId', 'sessionId'];

export function resetCorrelation(logger: Logger): void {
  logger.removePersistentKeys(CORRELATION_KEY_NAMES);
}
