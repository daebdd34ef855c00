// Scheduled EventBridge rules: the expressions AWS documents (rate and cron, UTC), refused ones, and rules that
// fire on time through unmodified SDK clients, stop when disabled or deleted, and fire again after a restart.
import {
  DeleteRuleCommand, DisableRuleCommand, EnableRuleCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand, RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../local/aws/clock.js';
import { InvalidScheduleError, nextFireTime, parseSchedule } from '../../../../local/aws/eventbridge/schedule.js';
import { startLocalAws } from '../../../support/local-aws.js';

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, after: string) => {
  const time = nextFireTime(parseSchedule(expression), at(after));
  return time === undefined ? undefined : new Date(time).toISOString();
};

describe('schedule expressions', () => {
  it('counts rates from when the rule was put', () => {
    const since = at('2026-06-01T12:00:30Z');
    expect(nextFireTime(parseSchedule('rate(1 minute)'), since, since)).toBe(at('2026-06-01T12:01:30Z'));
    expect(nextFireTime(parseSchedule('rate(5 minutes)'), at('2026-06-01T12:07:00Z'), since)).toBe(at('2026-06-01T12:10:30Z'));
    expect(nextFireTime(parseSchedule('rate(2 hours)'), since, since)).toBe(at('2026-06-01T14:00:30Z'));
    expect(nextFireTime(parseSchedule('rate(1 day)'), since, since)).toBe(at('2026-06-02T12:00:30Z'));
  });

  it('finds the next time of cron expressions in UTC', () => {
    expect(next('cron(0 12 * * ? *)', '2026-06-01T12:00:00Z')).toBe('2026-06-02T12:00:00.000Z');
    expect(next('cron(0/15 * * * ? *)', '2026-06-01T12:07:59Z')).toBe('2026-06-01T12:15:00.000Z');
    // 2026-06-06 is a Saturday: weekdays only resume on Monday.
    expect(next('cron(0/15 * ? * MON-FRI *)', '2026-06-06T10:00:00Z')).toBe('2026-06-08T00:00:00.000Z');
    expect(next('cron(30 8 ? * 2,6 *)', '2026-06-02T09:00:00Z')).toBe('2026-06-05T08:30:00.000Z');
    expect(next('cron(0 0 L * ? *)', '2028-02-10T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
    expect(next('cron(0 18 1,15 JAN-MAR ? 2027)', '2026-06-01T00:00:00Z')).toBe('2027-01-01T18:00:00.000Z');
    expect(next('cron(0 0 1 1 ? 2020)', '2026-06-01T00:00:00Z')).toBeUndefined();
  });

  // Each special day form of EventBridge's cron reference against a calendar worked out by hand (2026-08-01 is a
  // Saturday, 2026-11-15 a Sunday, 2026-05-31 a Sunday, 2026-01-31 a Saturday, 2026-06-01 a Monday).
  it('runs W: the weekday nearest the day, never leaving the month', () => {
    expect(next('cron(0 12 15W * ? *)', '2026-08-01T00:00:00Z')).toBe('2026-08-14T12:00:00.000Z'); // Sat 15th → Fri 14th
    expect(next('cron(0 12 15W * ? *)', '2026-11-01T00:00:00Z')).toBe('2026-11-16T12:00:00.000Z'); // Sun 15th → Mon 16th
    expect(next('cron(0 12 15W * ? *)', '2026-06-01T00:00:00Z')).toBe('2026-06-15T12:00:00.000Z'); // Mon 15th itself
    expect(next('cron(0 9 1W * ? *)', '2026-07-31T12:00:00Z')).toBe('2026-08-03T09:00:00.000Z'); // Sat 1st → Mon 3rd, not July
    expect(next('cron(0 9 31W * ? *)', '2026-05-01T00:00:00Z')).toBe('2026-05-29T09:00:00.000Z'); // Sun 31st → Fri 29th
    expect(next('cron(0 9 31W * ? *)', '2026-06-01T00:00:00Z')).toBe('2026-07-31T09:00:00.000Z'); // June has no 31st
    expect(next('cron(0 9 LW * ? *)', '2026-01-01T00:00:00Z')).toBe('2026-01-30T09:00:00.000Z'); // Sat 31st → Fri 30th
    expect(next('cron(0 9 LW * ? *)', '2026-06-01T00:00:00Z')).toBe('2026-06-30T09:00:00.000Z');
  });

  it('runs # (the n-th weekday of the month) and weekday L (the last one; L alone is every Saturday)', () => {
    expect(next('cron(0 9 ? * 3#2 *)', '2026-06-01T00:00:00Z')).toBe('2026-06-09T09:00:00.000Z'); // second Tuesday
    expect(next('cron(0 9 ? * TUE#2 *)', '2026-06-09T09:00:00Z')).toBe('2026-07-14T09:00:00.000Z');
    expect(next('cron(0 9 ? * 2#5 *)', '2026-06-01T00:00:00Z')).toBe('2026-06-29T09:00:00.000Z'); // fifth Monday
    expect(next('cron(0 9 ? * 2#5 *)', '2026-06-29T09:00:00Z')).toBe('2026-08-31T09:00:00.000Z'); // July has none
    expect(next('cron(0 9 ? * 6L *)', '2026-01-01T00:00:00Z')).toBe('2026-01-30T09:00:00.000Z'); // last Friday
    expect(next('cron(0 9 ? * 6L *)', '2026-05-01T00:00:00Z')).toBe('2026-05-29T09:00:00.000Z');
    expect(next('cron(0 9 ? * 1L *)', '2026-05-01T00:00:00Z')).toBe('2026-05-31T09:00:00.000Z'); // last Sunday is the 31st
    expect(next('cron(0 9 ? * L *)', '2026-06-01T00:00:00Z')).toBe('2026-06-06T09:00:00.000Z');
    expect(next('cron(0 9 ? * L *)', '2026-06-06T09:00:00Z')).toBe('2026-06-13T09:00:00.000Z');
  });

  it.each([
    ['rate(1 minutes)', /rate\(1 minute\)/],
    ['rate(5 minute)', /rate\(5 minutes\)/],
    ['rate(0 minutes)', /positive/],
    ['rate(1 week)', /expected rate/],
    ['every minute', /expected rate/],
    ['cron(0 12 * * ?)', /6 fields/],
    ['cron(0 12 * * * *)', /exactly one of day-of-month and day-of-week/],
    ['cron(60 12 * * ? *)', /minutes "60" must be within 0-59/],
    ['cron(0 12 ? * FOO *)', /day-of-week "FOO"/],
    ['cron(0 12 5-1 * ? *)', /backwards/],
    ['cron(0 12 15W,20 * ? *)', /L, W and # must be the field's only expression/],
    ['cron(0 12 ? * 3#1,6#3 *)', /L, W and # must be the field's only expression/],
    ['cron(0 12 L-2 * ? *)', /L, W and # must be the field's only expression/],
    ['cron(0 12 32W * ? *)', /must be L, LW or nW with n within 1-31/],
    ['cron(0 12 W * ? *)', /must be L, LW or nW/],
    ['cron(0 12 ? * 6#6 *)', /d#n with n within 1-5/],
    ['cron(0 12 ? * 8L *)', /the weekday must be within 1-7/],
    ['cron(0 12 ? * 2#0 *)', /d#n with n within 1-5/],
  ])('refuses %s', (expression, message) => {
    expect(() => parseSchedule(expression)).toThrow(InvalidScheduleError);
    expect(() => parseSchedule(expression)).toThrow(message);
  });
});

describe('scheduled rules through the SDK', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  let local: Awaited<ReturnType<typeof startLocalAws>>;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueArn: string;

  beforeAll(async () => {
    local = await startLocalAws({ clock });
    events = new EventBridgeClient(local.clientConfig);
    sqs = new SQSClient(local.clientConfig);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sweeps' }))).QueueUrl!;
    queueArn = local.aws.sqs.queueArn('sweeps');
  });
  afterAll(async () => {
    events.destroy();
    sqs.destroy();
    await local?.cleanup();
  });

  /** Every scheduled event delivered so far (and removes them from the queue). */
  async function delivered(): Promise<Array<Record<string, unknown>>> {
    const out: Array<Record<string, unknown>> = [];
    for (;;) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if (Messages.length === 0) return out;
      out.push(...Messages.map((m) => JSON.parse(m.Body!) as Record<string, unknown>));
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }

  it('fires a rate rule every period with the Scheduled Event AWS sends, not when disabled or deleted', async () => {
    const { RuleArn } = await events.send(new PutRuleCommand({ Name: 'sweep', ScheduleExpression: 'rate(1 minute)' }));
    await events.send(new PutTargetsCommand({ Rule: 'sweep', Targets: [{ Id: 'q', Arn: queueArn }] }));

    clock.advance(59_000);
    expect(await delivered()).toEqual([]);
    clock.advance(1_000);
    const [first, ...others] = await delivered();
    expect(others).toEqual([]);
    expect(first).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      time: '2026-06-01T12:01:00Z',
      resources: [RuleArn],
      detail: {},
    });
    clock.advance(120_000);
    expect((await delivered()).map((e) => e.time)).toEqual(['2026-06-01T12:02:00Z', '2026-06-01T12:03:00Z']);

    await events.send(new DisableRuleCommand({ Name: 'sweep' }));
    clock.advance(300_000);
    expect(await delivered()).toEqual([]);
    // Re-enabled at 12:08: the rate counts from then.
    await events.send(new EnableRuleCommand({ Name: 'sweep' }));
    clock.advance(60_000);
    expect((await delivered()).map((e) => e.time)).toEqual(['2026-06-01T12:09:00Z']);

    await events.send(new RemoveTargetsCommand({ Rule: 'sweep', Ids: ['q'] }));
    await events.send(new DeleteRuleCommand({ Name: 'sweep' }));
    clock.advance(600_000);
    expect(await delivered()).toEqual([]);
  });

  it('fires a cron rule at its minute', async () => {
    // Now 12:19 (the clock moved on above).
    await events.send(new PutRuleCommand({ Name: 'half-hourly', ScheduleExpression: 'cron(0/30 * * * ? *)' }));
    await events.send(new PutTargetsCommand({ Rule: 'half-hourly', Targets: [{ Id: 'q', Arn: queueArn, Input: '{"sweep":true}' }] }));
    clock.advance(30 * 60_000);
    expect(await delivered()).toEqual([{ sweep: true }]);
    await events.send(new RemoveTargetsCommand({ Rule: 'half-hourly', Ids: ['q'] }));
    await events.send(new DeleteRuleCommand({ Name: 'half-hourly' }));
  });

  it('refuses an invalid expression with ValidationException', async () => {
    await expect(events.send(new PutRuleCommand({ Name: 'bad', ScheduleExpression: 'rate(1 minutes)' }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('ScheduleExpression is not valid'),
    });
  });
});

describe('scheduled rules after a restart', () => {
  it('fire again from the saved state', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
    const first = await startLocalAws({ clock });
    const stateDir = first.stateDir;
    try {
      first.aws.sqs.createQueue('kept', {});
      first.aws.events.putRule({ busName: 'default', name: 'kept-sweep', scheduleExpression: 'rate(1 minute)' });
      first.aws.events.putTargets('default', 'kept-sweep', [{ id: 'q', arn: first.aws.sqs.queueArn('kept') }]);
      await first.aws.stop();

      const second = await startLocalAws({ clock, stateDir });
      try {
        clock.advance(60_000);
        const sqs = new SQSClient(second.clientConfig);
        const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: second.aws.sqs.queueUrl('kept') }));
        sqs.destroy();
        expect(Messages.map((m) => JSON.parse(m.Body!)['detail-type'])).toEqual(['Scheduled Event']);
      } finally {
        await second.cleanup();
      }
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
