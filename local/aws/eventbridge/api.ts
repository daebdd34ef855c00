import {
  AwsError, optionalArray, optionalNumber, optionalObject, optionalString, paginate, requireString, type JsonService,
} from '../protocol.js';
import type { PutEventsEntry, RuleTarget } from '../types.js';
import type { LocalEventBridge, RuleState } from './service.js';

const epochSeconds = (ms: number): number => ms / 1000;

function toWireTarget(target: RuleTarget): Record<string, unknown> {
  const wire: Record<string, unknown> = { Id: target.id, Arn: target.arn };
  if (target.input !== undefined) wire.Input = target.input;
  if (target.inputPath !== undefined) wire.InputPath = target.inputPath;
  if (target.inputTransformer) {
    wire.InputTransformer = { InputTemplate: target.inputTransformer.inputTemplate, ...(target.inputTransformer.inputPathsMap ? { InputPathsMap: target.inputTransformer.inputPathsMap } : {}) };
  }
  if (target.deadLetterArn) wire.DeadLetterConfig = { Arn: target.deadLetterArn };
  if (target.retryPolicy) {
    wire.RetryPolicy = {
      ...(target.retryPolicy.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts } : {}),
      ...(target.retryPolicy.maximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds } : {}),
    };
  }
  if (target.roleArn) wire.RoleArn = target.roleArn;
  if (target.sqsParameters?.messageGroupId) wire.SqsParameters = { MessageGroupId: target.sqsParameters.messageGroupId };
  return wire;
}

/** Reads a target in the wire shape of PutTargets. */
export function fromWireTarget(wire: Record<string, unknown>): RuleTarget {
  const target: RuleTarget = { id: requireString(wire, 'Id'), arn: requireString(wire, 'Arn') };
  const input = optionalString(wire, 'Input');
  if (input !== undefined) target.input = input;
  const inputPath = optionalString(wire, 'InputPath');
  if (inputPath !== undefined) target.inputPath = inputPath;
  const transformer = optionalObject(wire, 'InputTransformer');
  if (transformer) {
    target.inputTransformer = { inputTemplate: requireString(transformer, 'InputTemplate') };
    const map = optionalObject(transformer, 'InputPathsMap');
    if (map) target.inputTransformer.inputPathsMap = map as Record<string, string>;
  }
  const deadLetter = optionalObject(wire, 'DeadLetterConfig');
  const deadLetterArn = deadLetter ? optionalString(deadLetter, 'Arn') : undefined;
  if (deadLetterArn) target.deadLetterArn = deadLetterArn;
  const retry = optionalObject(wire, 'RetryPolicy');
  if (retry) {
    target.retryPolicy = {};
    const attempts = optionalNumber(retry, 'MaximumRetryAttempts');
    if (attempts !== undefined) target.retryPolicy.maximumRetryAttempts = attempts;
    const age = optionalNumber(retry, 'MaximumEventAgeInSeconds');
    if (age !== undefined) target.retryPolicy.maximumEventAgeInSeconds = age;
  }
  const roleArn = optionalString(wire, 'RoleArn');
  if (roleArn) target.roleArn = roleArn;
  const sqsParameters = optionalObject(wire, 'SqsParameters');
  const groupId = sqsParameters ? optionalString(sqsParameters, 'MessageGroupId') : undefined;
  if (groupId) target.sqsParameters = { messageGroupId: groupId };
  return target;
}

function toTime(value: unknown, key: string): number {
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  throw new AwsError('ValidationException', `${key} must be a timestamp`);
}

// The envelope fields TestEventPattern insists on. AWS documents `resources` as mandatory too but accepts an
// event without it (LocalStack's AWS-recorded tests show the same), so it is not required here either.
const TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const;

/** The Event of TestEventPattern, checked as AWS checks it: a JSON object with the envelope fields and a valid time. */
function parseTestEvent(text: string): Record<string, unknown> {
  const invalid = (reason?: string) => new AwsError('ValidationException', `Parameter Event is not valid.${reason ? ` Reason: ${reason}` : ''}`);
  let event: unknown;
  try {
    event = JSON.parse(text);
  } catch {
    throw invalid('Event is not valid JSON.');
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalid('Event must be a JSON object.');
  const missing = TEST_EVENT_FIELDS.filter((field) => !Object.hasOwn(event, field));
  if (missing.length > 0) throw invalid(`Provided Event is missing required field${missing.length > 1 ? 's' : ''} ${missing.join(', ')}.`);
  const time = (event as Record<string, unknown>).time;
  if (typeof time !== 'string' || Number.isNaN(Date.parse(time))) throw invalid('Invalid time.');
  const resources = (event as Record<string, unknown>).resources;
  if (resources !== undefined && !Array.isArray(resources)) throw invalid('resources must be a list.');
  return event as Record<string, unknown>;
}

/** The EventBridge JSON protocol (`AWSEvents.*`, application/x-amz-json-1.1) over a LocalEventBridge. */
export function eventBridgeApi(events: LocalEventBridge): JsonService {
  const ruleToWire = (rule: RuleState) => ({
    Name: rule.name,
    Arn: events.ruleArn(rule.busName, rule.name),
    EventBusName: rule.busName,
    State: rule.state,
    ...(rule.eventPattern ? { EventPattern: rule.eventPattern } : {}),
    ...(rule.scheduleExpression ? { ScheduleExpression: rule.scheduleExpression } : {}),
    ...(rule.description ? { Description: rule.description } : {}),
  });
  return {
    targetPrefix: 'AWSEvents',
    contentType: 'application/x-amz-json-1.1',
    operations: {
      PutEvents: (input) => {
        const entries = (optionalArray(input, 'Entries') ?? []).map((raw) => {
          const entry = { ...(raw as Record<string, unknown>) } as PutEventsEntry & Record<string, unknown>;
          if (typeof entry.Time === 'number') entry.Time = entry.Time * 1000;
          return entry;
        });
        return events.putEvents(entries);
      },
      CreateEventBus: (input) => {
        const description = optionalString(input, 'Description');
        return { EventBusArn: events.createBus(requireString(input, 'Name'), { strict: true, ...(description ? { description } : {}) }) };
      },
      DeleteEventBus: (input) => {
        events.deleteBus(requireString(input, 'Name'));
        return {};
      },
      DescribeEventBus: (input) => {
        const name = events.busName(optionalString(input, 'Name'));
        const bus = events.listBuses().find((candidate) => candidate.name === name)!;
        return { Name: bus.name, Arn: events.busArn(bus.name), CreationTime: epochSeconds(bus.createdTimestamp), ...(bus.description ? { Description: bus.description } : {}) };
      },
      ListEventBuses: (input) => {
        const buses = events.listBuses(optionalString(input, 'NamePrefix') ?? '');
        const { page, nextToken } = paginate(buses, optionalString(input, 'NextToken'), optionalNumber(input, 'Limit'));
        return {
          EventBuses: page.map((bus) => ({ Name: bus.name, Arn: events.busArn(bus.name), CreationTime: epochSeconds(bus.createdTimestamp), ...(bus.description ? { Description: bus.description } : {}) })),
          ...(nextToken ? { NextToken: nextToken } : {}),
        };
      },
      PutRule: (input) => {
        const request: Parameters<LocalEventBridge['putRule']>[0] = { busName: optionalString(input, 'EventBusName') ?? 'default', name: requireString(input, 'Name') };
        const pattern = optionalString(input, 'EventPattern');
        if (pattern !== undefined) request.eventPattern = pattern;
        const schedule = optionalString(input, 'ScheduleExpression');
        if (schedule !== undefined) request.scheduleExpression = schedule;
        const state = optionalString(input, 'State');
        if (state !== undefined) {
          if (state !== 'ENABLED' && state !== 'DISABLED') throw new AwsError('ValidationException', `State ${state} is not valid.`);
          request.state = state;
        }
        const description = optionalString(input, 'Description');
        if (description !== undefined) request.description = description;
        return { RuleArn: events.putRule(request) };
      },
      DescribeRule: (input) => ruleToWire(events.describeRule(optionalString(input, 'EventBusName'), requireString(input, 'Name'))),
      ListRules: (input) => {
        const rules = events.listRules(optionalString(input, 'EventBusName'), optionalString(input, 'NamePrefix') ?? '');
        const { page, nextToken } = paginate(rules, optionalString(input, 'NextToken'), optionalNumber(input, 'Limit'));
        return { Rules: page.map(ruleToWire), ...(nextToken ? { NextToken: nextToken } : {}) };
      },
      EnableRule: (input) => {
        events.setRuleState(optionalString(input, 'EventBusName'), requireString(input, 'Name'), 'ENABLED');
        return {};
      },
      DisableRule: (input) => {
        events.setRuleState(optionalString(input, 'EventBusName'), requireString(input, 'Name'), 'DISABLED');
        return {};
      },
      DeleteRule: (input) => {
        events.deleteRule(optionalString(input, 'EventBusName'), requireString(input, 'Name'));
        return {};
      },
      PutTargets: (input) => {
        const targets = (optionalArray(input, 'Targets') ?? []).map((raw) => fromWireTarget(raw as Record<string, unknown>));
        if (targets.length === 0) throw new AwsError('ValidationException', 'Targets must not be empty.');
        events.putTargets(optionalString(input, 'EventBusName'), requireString(input, 'Rule'), targets);
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      RemoveTargets: (input) => {
        const ids = (optionalArray(input, 'Ids') ?? []).map(String);
        events.removeTargets(optionalString(input, 'EventBusName'), requireString(input, 'Rule'), ids);
        return { FailedEntryCount: 0, FailedEntries: [] };
      },
      ListTargetsByRule: (input) => {
        const targets = events.listTargets(optionalString(input, 'EventBusName'), requireString(input, 'Rule'));
        const { page, nextToken } = paginate(targets, optionalString(input, 'NextToken'), optionalNumber(input, 'Limit'));
        return { Targets: page.map(toWireTarget), ...(nextToken ? { NextToken: nextToken } : {}) };
      },
      TestEventPattern: (input) => {
        const pattern = requireString(input, 'EventPattern');
        const eventText = requireString(input, 'Event');
        return { Result: events.testEventPattern(pattern, () => parseTestEvent(eventText)) };
      },
      CreateArchive: (input) => {
        const request: Parameters<LocalEventBridge['createArchive']>[0] = { name: requireString(input, 'ArchiveName'), sourceArn: requireString(input, 'EventSourceArn'), strict: true };
        const pattern = optionalString(input, 'EventPattern');
        if (pattern) request.eventPattern = pattern;
        const description = optionalString(input, 'Description');
        if (description) request.description = description;
        const retention = optionalNumber(input, 'RetentionDays');
        if (retention !== undefined) request.retentionDays = retention;
        const arn = events.createArchive(request);
        return { ArchiveArn: arn, State: 'ENABLED', CreationTime: epochSeconds(events.describeArchive(request.name).createdTimestamp) };
      },
      DescribeArchive: (input) => {
        const archive = events.describeArchive(requireString(input, 'ArchiveName'));
        return {
          ArchiveName: archive.name, ArchiveArn: events.archiveArn(archive.name), EventSourceArn: events.busArn(archive.busName),
          State: 'ENABLED', RetentionDays: archive.retentionDays, EventCount: archive.events.length,
          SizeBytes: archive.events.reduce((sum, entry) => sum + JSON.stringify(entry.event).length, 0),
          CreationTime: epochSeconds(archive.createdTimestamp),
          ...(archive.eventPattern ? { EventPattern: archive.eventPattern } : {}),
          ...(archive.description ? { Description: archive.description } : {}),
        };
      },
      ListArchives: () => ({
        Archives: events.listArchives().map((archive) => ({
          ArchiveName: archive.name, EventSourceArn: events.busArn(archive.busName), State: 'ENABLED',
          RetentionDays: archive.retentionDays, EventCount: archive.events.length, CreationTime: epochSeconds(archive.createdTimestamp),
        })),
      }),
      StartReplay: (input) => {
        const destination = optionalObject(input, 'Destination') ?? {};
        const filterArns = optionalArray(destination, 'FilterArns')?.map(String);
        const replay = events.startReplay({
          name: requireString(input, 'ReplayName'),
          archiveArn: requireString(input, 'EventSourceArn'),
          startTime: toTime(input.EventStartTime, 'EventStartTime'),
          endTime: toTime(input.EventEndTime, 'EventEndTime'),
          destinationBusArn: requireString(destination, 'Arn'),
          ...(filterArns ? { filterRuleArns: filterArns } : {}),
        });
        return { ReplayArn: events.replayArn(replay.name), State: replay.state, ReplayStartTime: epochSeconds(replay.replayStartTime) };
      },
      DescribeReplay: (input) => {
        const replay = events.describeReplay(requireString(input, 'ReplayName'));
        return {
          ReplayName: replay.name, ReplayArn: events.replayArn(replay.name), State: replay.state,
          EventSourceArn: events.archiveArn(replay.archiveName),
          Destination: { Arn: events.busArn(replay.destinationBus), ...(replay.filterRuleArns ? { FilterArns: replay.filterRuleArns } : {}) },
          EventStartTime: epochSeconds(replay.startTime), EventEndTime: epochSeconds(replay.endTime),
          ReplayStartTime: epochSeconds(replay.replayStartTime), ReplayEndTime: epochSeconds(replay.replayEndTime),
        };
      },
    },
  };
}
