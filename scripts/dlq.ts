// `npm run dlq -- list | show <queue> [--max n] | redrive <queue> [--no-wait]` [--json] [--aws]
// Inspects and redrives the dead-letter queues. By default it talks to the local cloud's AWS endpoint
// (AWS_ENDPOINT_URL, default http://127.0.0.1:4566); with --aws it uses the SDK's usual configuration
// (region, credentials, endpoint) so the same commands work against a deployed stack.
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { findDeadLetterQueue, listDeadLetterQueues, peekMessages, redrive } from '../functions/core/queue/index.js';
import { DEFAULT_PORTS, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/cloud/index.js';

export const DLQ_USAGE = `usage: npm run dlq -- <command> [options]
  list                    the dead-letter queues with their depth and source queues
  show <queue>            up to --max messages (default 10) without consuming them
  redrive <queue>         moves the messages back to their source queue(s) (waits unless --no-wait)
<queue> is a URL, an ARN, a name, or a unique part of a name (e.g. QueryWorkerNormal).
options: --json (machine-readable output), --aws (use the SDK's own configuration instead of the local endpoint)`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function sqsClientFor(aws: boolean, env: NodeJS.ProcessEnv = process.env): SQSClient {
  if (aws) return new SQSClient({});
  const endpoint = env.AWS_ENDPOINT_URL_SQS || env.AWS_ENDPOINT_URL || `http://127.0.0.1:${DEFAULT_PORTS.aws}`;
  const hasCredentials = Boolean(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY);
  return new SQSClient({
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || LOCAL_REGION,
    ...(hasCredentials ? {} : { credentials: LOCAL_CREDENTIALS }),
  });
}

export interface DlqCommandIo {
  sqs: SQSClient;
  out: (line: string) => void;
}

/** Runs one command; returns what it printed as data too (for tests and --json). */
export async function runDlqCommand(argv: string[], io: DlqCommandIo): Promise<unknown> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, aws: { type: 'boolean' }, max: { type: 'string' }, 'no-wait': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${DLQ_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [command, queue, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}\n${DLQ_USAGE}`);
  const print = (data: unknown, text: () => string) => {
    io.out(values.json ? JSON.stringify(data, null, 2) : text());
    return data;
  };

  switch (command) {
    case 'list': {
      if (queue) throw new UsageError(`list takes no queue\n${DLQ_USAGE}`);
      const queues = await listDeadLetterQueues(io.sqs);
      return print(queues, () =>
        queues.length === 0
          ? 'no dead-letter queues'
          : queues.map((q) => `${q.name}  messages=${q.visible} in-flight=${q.inFlight}  sources=${q.sources.join(',')}`).join('\n'),
      );
    }
    case 'show': {
      if (!queue) throw new UsageError(`show needs a queue\n${DLQ_USAGE}`);
      const max = values.max === undefined ? 10 : Number(values.max);
      if (!Number.isInteger(max) || max < 1 || max > 1000) throw new UsageError('--max must be a whole number from 1 to 1000');
      const dlq = await findDeadLetterQueue(io.sqs, queue);
      const messages = await peekMessages(io.sqs, dlq.url, max);
      return print({ queue: dlq.name, messages }, () =>
        [
          `${dlq.name}: ${messages.length} message(s) shown of ~${dlq.visible}`,
          ...messages.map((m) => {
            const what = m.event
              ? `${m.event.detailType}${m.event.type ? ` ${m.event.type}` : ''}${m.event.tool ? ` ${m.event.tool}` : ''} plan=${m.event.planId ?? '?'} task=${m.event.taskId ?? '?'}`
              : m.body.slice(0, 200);
            return `- ${m.messageId} sent=${m.sentAt ?? '?'} receives=${m.receiveCount} ${what}`;
          }),
        ].join('\n'),
      );
    }
    case 'redrive': {
      if (!queue) throw new UsageError(`redrive needs a queue\n${DLQ_USAGE}`);
      const dlq = await findDeadLetterQueue(io.sqs, queue);
      const result = await redrive(io.sqs, dlq, values['no-wait'] ? { waitMs: 0 } : {});
      return print({ queue: dlq.name, sources: dlq.sources, ...result }, () =>
        `${dlq.name} → ${dlq.sources.join(', ')}: ${result.status}, moved ${result.moved}${result.toMove !== undefined ? ` of ${result.toMove}` : ''}${result.failureReason ? ` (${result.failureReason})` : ''}`,
      );
    }
    default:
      throw new UsageError(`${command ? `unknown command '${command}'` : 'a command is required'}\n${DLQ_USAGE}`);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sqs = sqsClientFor(argv.includes('--aws'));
  try {
    await runDlqCommand(argv, { sqs, out: (line) => process.stdout.write(`${line}\n`) });
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  } finally {
    sqs.destroy();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
