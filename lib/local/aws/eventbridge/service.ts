import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern, type EventPattern } from '../event-pattern.js';
import { JsonSnapshot } from '../persistence.js';
import { AwsError } from '../protocol.js';
import type { LocalSqs } from '../sqs/service.js';
import type { PutEventsEntry, PutEventsResult, PutRuleInput, RuleTarget, TargetDispatcher } from '../types.js';
import { InvalidScheduleError, nextFireTime, parseSchedule, type Schedule } from './schedule.js';
import { targetPayload, validateInputTransformer, validateJsonPath } from './transform.js';

export interface EventBusState {
  name: string;
  description?: string;
  createdTimestamp: number;
}

export interface RuleState {
  name: string;
  busName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: RuleTarget[];
}

export interface ArchiveState {
  name: string;
  busName: string;
  eventPattern?: string;
  description?: string;
  retentionDays: number;
  createdTimestamp: number;
  events: { time: number; event: Record<string, unknown> }[];
}

export interface ReplayState {
  name: string;
  archiveName: string;
  startTime: number;
  endTime: number;
  destinationBus: string;
  filterRuleArns?: string[];
  state: 'COMPLETED' | 'FAILED';
  replayedCount: number;
  replayStartTime: number;
  replayEndTime: number;
  stateReason?: string;
}

interface Snapshot {
  buses: EventBusState[];
  rules: RuleState[];
  archives: ArchiveState[];
  replays: ReplayState[];
}

export interface LocalEventBridgeOptions {
  clock: Clock;
  region: string;
  accountId: string;
  sqs: LocalSqs;
  stateFile?: string;
}

const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_MAX_EVENT_AGE_SECONDS = 86_400;
const MAX_RETRY_DELAY_MS = 60_000;
/** Node's longest timer; a schedule further out wakes early and waits again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const resourceNotFound = (message: string): AwsError => new AwsError('ResourceNotFoundException', message);
const invalidPattern = (error: unknown): AwsError =>
  new AwsError('InvalidEventPatternException', error instanceof Error ? error.message : String(error));
const invalidSchedule = (error: InvalidScheduleError): AwsError =>
  new AwsError('ValidationException', `Parameter ScheduleExpression is not valid: ${error.message}`);

/** EventBridge buses, rules, targets and archives: PutEvents matches every enabled rule and delivers. */
export class LocalEventBridge {
  private readonly buses = new Map<string, EventBusState>();
  private readonly rules = new Map<string, RuleState>();
  private readonly archives = new Map<string, ArchiveState>();
  private readonly replays: ReplayState[] = [];
  private readonly patterns = new Map<string, EventPattern>();
  private readonly retryTimers = new Set<unknown>();
  /** Scheduled rules: the parsed expression, when the rule was put (rates count from it) and the pending timer. */
  private readonly schedules = new Map<string, { schedule: Schedule; since: number; timer?: unknown }>();
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private dispatcher: TargetDispatcher | undefined;
  private readonly snapshot?: JsonSnapshot<Snapshot>;
  private closed = false;

  constructor(private readonly options: LocalEventBridgeOptions) {
    if (options.stateFile) {
      this.snapshot = new JsonSnapshot(options.stateFile, () => ({
        buses: [...this.buses.values()], rules: [...this.rules.values()], archives: [...this.archives.values()], replays: this.replays,
      }));
      const saved = this.snapshot.load();
      for (const bus of saved?.buses ?? []) this.buses.set(bus.name, bus);
      for (const rule of saved?.rules ?? []) this.rules.set(ruleKey(rule.busName, rule.name), rule);
      for (const archive of saved?.archives ?? []) this.archives.set(archive.name, archive);
      this.replays.push(...(saved?.replays ?? []));
    }
    if (!this.buses.has('default')) this.buses.set('default', { name: 'default', createdTimestamp: options.clock.now() });
    for (const rule of this.rules.values()) {
      if (!rule.scheduleExpression) continue;
      try {
        this.armSchedule(rule, parseSchedule(rule.scheduleExpression));
      } catch (error) {
        if (!(error instanceof InvalidScheduleError)) throw error;
        // Saved before this expression was checked: keep the rule, never fire it.
      }
    }
  }

  /** Lambda and Step Functions targets are delivered by the runtime through this. */
  setTargetDispatcher(dispatcher: TargetDispatcher): void {
    this.dispatcher = dispatcher;
  }

  // ---- naming ----

  busArn(name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:event-bus/${name}`;
  }

  ruleArn(busName: string, ruleName: string): string {
    const prefix = `arn:aws:events:${this.options.region}:${this.options.accountId}:rule/`;
    return busName === 'default' ? `${prefix}${ruleName}` : `${prefix}${busName}/${ruleName}`;
  }

  archiveArn(name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:archive/${name}`;
  }

  replayArn(name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:replay/${name}`;
  }

  /** Accepts a bus name or ARN; absent means the default bus. */
  busName(ref: string | undefined): string {
    const name = !ref ? 'default' : ref.startsWith('arn:') ? ref.split('event-bus/')[1] ?? '' : ref;
    if (!this.buses.has(name)) throw resourceNotFound(`Event bus ${name} does not exist.`);
    return name;
  }

  // ---- buses ----

  /** Creates a bus; an existing one is kept unless `strict` (CreateEventBus on the wire → ResourceAlreadyExistsException). */
  createBus(name: string, options: { description?: string; strict?: boolean } = {}): string {
    if (!/^[A-Za-z0-9._\-/]{1,256}$/.test(name)) throw new AwsError('ValidationException', `Event bus name ${name} is not valid.`);
    if (this.buses.has(name)) {
      if (options.strict) throw new AwsError('ResourceAlreadyExistsException', `Event bus ${name} already exists.`);
      return this.busArn(name);
    }
    const description = options.description;
    const bus: EventBusState = { name, createdTimestamp: this.options.clock.now() };
    if (description) bus.description = description;
    this.buses.set(name, bus);
    this.changed();
    return this.busArn(name);
  }

  deleteBus(name: string): void {
    if (name === 'default') throw new AwsError('ValidationException', 'Cannot delete event bus default.');
    if (!this.buses.delete(name)) return;
    for (const [key, rule] of this.rules) if (rule.busName === name) this.rules.delete(key);
    this.changed();
  }

  listBuses(prefix = ''): EventBusState[] {
    return [...this.buses.values()].filter((bus) => bus.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
  }

  // ---- rules and targets ----

  putRule(input: PutRuleInput): string {
    const busName = this.busName(input.busName);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(input.name)) throw new AwsError('ValidationException', `Rule name ${input.name} is not valid.`);
    if (!input.eventPattern && !input.scheduleExpression) {
      throw new AwsError('ValidationException', 'Parameter(s) EventPattern or ScheduleExpression must be specified.');
    }
    if (input.eventPattern) {
      try {
        this.patterns.set(ruleKey(busName, input.name), parseEventPattern(input.eventPattern));
      } catch (error) {
        if (error instanceof InvalidEventPatternError) throw invalidPattern(error);
        throw error;
      }
    }
    let schedule: Schedule | undefined;
    if (input.scheduleExpression) {
      try {
        schedule = parseSchedule(input.scheduleExpression);
      } catch (error) {
        if (error instanceof InvalidScheduleError) throw invalidSchedule(error);
        throw error;
      }
    }
    const key = ruleKey(busName, input.name);
    const existing = this.rules.get(key);
    const rule: RuleState = { name: input.name, busName, state: input.state ?? 'ENABLED', targets: existing?.targets ?? [] };
    if (input.eventPattern) rule.eventPattern = input.eventPattern;
    if (input.scheduleExpression) rule.scheduleExpression = input.scheduleExpression;
    if (input.description) rule.description = input.description;
    this.rules.set(key, rule);
    if (schedule) this.armSchedule(rule, schedule);
    else this.disarmSchedule(key);
    this.changed();
    return this.ruleArn(busName, input.name);
  }

  describeRule(busRef: string | undefined, name: string): RuleState & { arn: string } {
    const rule = this.rule(busRef, name);
    return { ...rule, arn: this.ruleArn(rule.busName, rule.name) };
  }

  listRules(busRef?: string, prefix = ''): RuleState[] {
    const busName = this.busName(busRef);
    return [...this.rules.values()].filter((rule) => rule.busName === busName && rule.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  setRuleState(busRef: string | undefined, name: string, state: 'ENABLED' | 'DISABLED'): void {
    const rule = this.rule(busRef, name);
    rule.state = state;
    const scheduled = this.schedules.get(ruleKey(rule.busName, rule.name));
    // Re-enabling starts the rate afresh, as a new PutRule would.
    if (scheduled) this.armSchedule(rule, scheduled.schedule, state === 'ENABLED' ? this.options.clock.now() : scheduled.since);
    this.changed();
  }

  deleteRule(busRef: string | undefined, name: string): void {
    const rule = this.rules.get(ruleKey(this.busName(busRef), name));
    if (!rule) return;
    if (rule.targets.length > 0) throw new AwsError('ValidationException', 'Rule can\'t be deleted since it has targets.');
    this.rules.delete(ruleKey(rule.busName, rule.name));
    this.disarmSchedule(ruleKey(rule.busName, rule.name));
    this.changed();
  }

  putTargets(busRef: string | undefined, ruleName: string, targets: RuleTarget[]): void {
    const rule = this.rule(busRef, ruleName);
    for (const target of targets) validateTarget(target);
    for (const target of targets) {
      const index = rule.targets.findIndex((existing) => existing.id === target.id);
      if (index >= 0) rule.targets[index] = target;
      else rule.targets.push(target);
    }
    if (rule.targets.length > 5) throw new AwsError('LimitExceededException', 'The requested resource exceeds the maximum number allowed (5 targets per rule).');
    this.changed();
  }

  removeTargets(busRef: string | undefined, ruleName: string, ids: string[]): void {
    const rule = this.rule(busRef, ruleName);
    rule.targets = rule.targets.filter((target) => !ids.includes(target.id));
    this.changed();
  }

  listTargets(busRef: string | undefined, ruleName: string): RuleTarget[] {
    return this.rule(busRef, ruleName).targets;
  }

  /** TestEventPattern: validates the pattern and matches one event. */
  testEventPattern(pattern: string, event: unknown): boolean {
    try {
      return matchesEventPattern(parseEventPattern(pattern), event);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) throw invalidPattern(error);
      throw error;
    }
  }

  // ---- archives and replays ----

  /** Creates an archive; an existing one takes the new settings and keeps its events unless `strict` (the wire). */
  createArchive(input: { name: string; sourceArn: string; eventPattern?: string; description?: string; retentionDays?: number; strict?: boolean }): string {
    const existing = this.archives.get(input.name);
    if (existing && input.strict) throw new AwsError('ResourceAlreadyExistsException', `Archive ${input.name} already exists.`);
    const busName = this.busName(input.sourceArn);
    if (input.eventPattern) {
      try {
        parseEventPattern(input.eventPattern);
      } catch (error) {
        throw invalidPattern(error);
      }
    }
    const archive: ArchiveState = {
      name: input.name, busName, retentionDays: input.retentionDays ?? 0,
      createdTimestamp: existing?.createdTimestamp ?? this.options.clock.now(), events: existing?.events ?? [],
    };
    if (input.eventPattern) archive.eventPattern = input.eventPattern;
    if (input.description) archive.description = input.description;
    this.archives.set(input.name, archive);
    this.changed();
    return this.archiveArn(input.name);
  }

  listArchives(): ArchiveState[] {
    return [...this.archives.values()];
  }

  describeArchive(name: string): ArchiveState {
    const archive = this.archives.get(name);
    if (!archive) throw resourceNotFound(`Archive ${name} does not exist.`);
    return archive;
  }

  /** Re-sends archived events from [startTime, endTime] to the bus's rules, marked with `replay-name`. */
  startReplay(input: { name: string; archiveArn: string; startTime: number; endTime: number; destinationBusArn: string; filterRuleArns?: string[] }): ReplayState {
    if (this.replays.some((replay) => replay.name === input.name)) throw new AwsError('ResourceAlreadyExistsException', `Replay ${input.name} already exists.`);
    const archive = this.describeArchive(input.archiveArn.split('archive/')[1] ?? input.archiveArn);
    const busName = this.busName(input.destinationBusArn);
    if (busName !== archive.busName) throw new AwsError('ValidationException', 'Destination must be the event bus of the archive.');
    if (input.endTime <= input.startTime) throw new AwsError('ValidationException', 'EventEndTime must be after EventStartTime.');
    const started = this.options.clock.now();
    const selected = archive.events.filter((entry) => entry.time >= input.startTime && entry.time < input.endTime);
    for (const entry of selected) {
      this.route(busName, { ...entry.event, 'replay-name': input.name }, { filterRuleArns: input.filterRuleArns, archive: false });
    }
    const replay: ReplayState = {
      name: input.name, archiveName: archive.name, startTime: input.startTime, endTime: input.endTime, destinationBus: busName,
      state: 'COMPLETED', replayedCount: selected.length, replayStartTime: started, replayEndTime: this.options.clock.now(),
    };
    if (input.filterRuleArns) replay.filterRuleArns = input.filterRuleArns;
    this.replays.push(replay);
    this.changed();
    return replay;
  }

  describeReplay(name: string): ReplayState {
    const replay = this.replays.find((candidate) => candidate.name === name);
    if (!replay) throw resourceNotFound(`Replay ${name} does not exist.`);
    return replay;
  }

  // ---- events ----

  /** PutEvents: builds each event as AWS does, routes it through the bus's enabled rules, reports per entry. */
  putEvents(entries: PutEventsEntry[]): PutEventsResult {
    if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
      throw new AwsError('ValidationException', '1 validation error detected: Value at \'entries\' failed to satisfy constraint: Member must have length between 1 and 10');
    }
    const result: PutEventsResult = { FailedEntryCount: 0, Entries: [] };
    for (const entry of entries) {
      const problem = validateEntry(entry);
      let busName: string | undefined;
      if (!problem) {
        try {
          busName = this.busName(entry.EventBusName);
        } catch {
          busName = undefined;
        }
      }
      if (problem || busName === undefined) {
        result.FailedEntryCount++;
        result.Entries.push(problem ?? { ErrorCode: 'InvalidArgument', ErrorMessage: `Event bus ${entry.EventBusName} does not exist.` });
        continue;
      }
      const event = this.buildEvent(entry);
      this.route(busName, event, { archive: true });
      result.Entries.push({ EventId: event.id as string });
    }
    return result;
  }

  /** Resolves once every delivery started so far (including retries) has finished. */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.retryTimers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  flush(): void {
    this.snapshot?.flush();
  }

  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers) this.options.clock.clearTimeout(timer);
    this.retryTimers.clear();
    for (const key of [...this.schedules.keys()]) this.disarmSchedule(key);
    this.settleIdle();
    this.flush();
  }

  // ---- internals ----

  private rule(busRef: string | undefined, name: string): RuleState {
    const busName = this.busName(busRef);
    const rule = this.rules.get(ruleKey(busName, name));
    if (!rule) throw resourceNotFound(`Rule ${name} does not exist on EventBus ${busName}.`);
    return rule;
  }

  private pattern(rule: RuleState): EventPattern | undefined {
    if (!rule.eventPattern) return undefined;
    const key = ruleKey(rule.busName, rule.name);
    let pattern = this.patterns.get(key);
    if (!pattern) {
      pattern = parseEventPattern(rule.eventPattern);
      this.patterns.set(key, pattern);
    }
    return pattern;
  }

  private buildEvent(entry: PutEventsEntry): Record<string, unknown> {
    const time = entry.Time === undefined ? new Date(this.options.clock.now()) : new Date(entry.Time);
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.options.accountId,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: entry.Resources ?? [],
      detail: JSON.parse(entry.Detail!),
    };
  }

  private route(busName: string, event: Record<string, unknown>, options: { archive: boolean; filterRuleArns?: string[] | undefined }): void {
    if (options.archive) this.archiveEvent(busName, event);
    const ingestionTime = new Date(this.options.clock.now()).toISOString();
    for (const rule of this.rules.values()) {
      if (rule.busName !== busName || rule.state !== 'ENABLED') continue;
      const pattern = this.pattern(rule);
      if (!pattern || !matchesEventPattern(pattern, event)) continue;
      const ruleArn = this.ruleArn(rule.busName, rule.name);
      if (options.filterRuleArns && !options.filterRuleArns.includes(ruleArn)) continue;
      this.deliverToTargets(rule, event, ingestionTime);
    }
  }

  private deliverToTargets(rule: RuleState, event: Record<string, unknown>, ingestionTime: string): void {
    const ruleArn = this.ruleArn(rule.busName, rule.name);
    for (const target of rule.targets) {
      const payload = targetPayload(target, event, { ruleArn, ruleName: rule.name, ingestionTime });
      this.deliver(target, ruleArn, event, payload, 0, this.options.clock.now());
    }
  }

  /** (Re)sets the timer of a scheduled rule for its next time; a disabled rule keeps its schedule, unarmed. */
  private armSchedule(rule: RuleState, schedule: Schedule, since = this.options.clock.now()): void {
    const key = ruleKey(rule.busName, rule.name);
    this.disarmSchedule(key);
    const entry: { schedule: Schedule; since: number; timer?: unknown } = { schedule, since };
    this.schedules.set(key, entry);
    if (this.closed || rule.state !== 'ENABLED') return;
    const due = nextFireTime(schedule, this.options.clock.now(), since);
    if (due === undefined) return;
    const wake = () => {
      entry.timer = undefined;
      if (this.closed || this.schedules.get(key) !== entry) return;
      const now = this.options.clock.now();
      if (now < due) {
        entry.timer = this.options.clock.setTimeout(wake, Math.min(due - now, MAX_TIMER_MS));
        return;
      }
      this.deliverToTargets(rule, this.scheduledEvent(rule, due), new Date(now).toISOString());
      this.armSchedule(rule, schedule, since);
    };
    entry.timer = this.options.clock.setTimeout(wake, Math.min(due - this.options.clock.now(), MAX_TIMER_MS));
  }

  private disarmSchedule(key: string): void {
    const entry = this.schedules.get(key);
    if (entry?.timer !== undefined) this.options.clock.clearTimeout(entry.timer);
    this.schedules.delete(key);
  }

  /** The event AWS sends a scheduled rule's targets. */
  private scheduledEvent(rule: RuleState, at: number): Record<string, unknown> {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.accountId,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [this.ruleArn(rule.busName, rule.name)],
      detail: {},
    };
  }

  private archiveEvent(busName: string, event: Record<string, unknown>): void {
    const now = this.options.clock.now();
    for (const archive of this.archives.values()) {
      if (archive.busName !== busName) continue;
      if (archive.eventPattern && !matchesEventPattern(archive.eventPattern, event)) continue;
      if (archive.retentionDays > 0) {
        const cutoff = now - archive.retentionDays * 86_400_000;
        archive.events = archive.events.filter((entry) => entry.time >= cutoff);
      }
      archive.events.push({ time: now, event });
      this.changed();
    }
  }

  /** One delivery attempt; failures retry with backoff per the target's policy, then go to its DLQ. */
  private deliver(target: RuleTarget, ruleArn: string, event: Record<string, unknown>, payload: string, attempt: number, firstAttemptAt: number): void {
    if (this.closed) return;
    this.inFlight++;
    this.attempt(target, event, payload)
      .then(() => undefined, (error: unknown) => {
        const maxAttempts = target.retryPolicy?.maximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
        const maxAgeMs = (target.retryPolicy?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
        const delay = Math.min(1000 * 2 ** attempt, MAX_RETRY_DELAY_MS);
        const now = this.options.clock.now();
        if (attempt < maxAttempts && now + delay - firstAttemptAt <= maxAgeMs && !this.closed) {
          const timer = this.options.clock.setTimeout(() => {
            this.retryTimers.delete(timer);
            this.deliver(target, ruleArn, event, payload, attempt + 1, firstAttemptAt);
            this.settleIdle();
          }, delay);
          this.retryTimers.add(timer);
        } else {
          this.deadLetter(target, ruleArn, payload, error);
        }
      })
      .finally(() => {
        this.inFlight--;
        this.settleIdle();
      });
  }

  private async attempt(target: RuleTarget, event: Record<string, unknown>, payload: string): Promise<void> {
    const service = target.arn.split(':')[2];
    if (service === 'sqs') {
      const options: Parameters<LocalSqs['sendMessage']>[2] = {};
      if (target.sqsParameters?.messageGroupId) options.messageGroupId = target.sqsParameters.messageGroupId;
      if (target.arn.endsWith('.fifo')) options.messageDeduplicationId = event.id as string;
      this.options.sqs.sendMessage(target.arn, payload, options);
      return;
    }
    if (service === 'events' && target.arn.includes(':event-bus/')) {
      this.route(this.busName(target.arn), event, { archive: true });
      return;
    }
    if (!this.dispatcher) throw new Error(`No dispatcher for target ${target.arn}`);
    await this.dispatcher(target, payload);
  }

  private deadLetter(target: RuleTarget, ruleArn: string, payload: string, error: unknown): void {
    if (!target.deadLetterArn) return;
    const message = error instanceof Error ? error.message : String(error);
    try {
      this.options.sqs.sendMessage(target.deadLetterArn, payload, {
        messageAttributes: {
          ERROR_CODE: { DataType: 'String', StringValue: 'SDK_CLIENT_ERROR' },
          ERROR_MESSAGE: { DataType: 'String', StringValue: message.slice(0, 1000) || 'delivery failed' },
          RULE_ARN: { DataType: 'String', StringValue: ruleArn },
          TARGET_ARN: { DataType: 'String', StringValue: target.arn },
        },
      });
    } catch {
      // The DLQ itself is missing: the event is dropped, as on AWS.
    }
  }

  private settleIdle(): void {
    if ((this.inFlight > 0 || this.retryTimers.size > 0) && !this.closed) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private changed(): void {
    this.snapshot?.changed();
  }
}

const ruleKey = (busName: string, ruleName: string): string => `${busName}\u0000${ruleName}`;

function validateTarget(target: RuleTarget): void {
  if (!target.id || !/^[A-Za-z0-9._-]{1,64}$/.test(target.id)) throw new AwsError('ValidationException', `Target id ${target.id} is not valid.`);
  if (!target.arn?.startsWith('arn:')) throw new AwsError('ValidationException', `Target ${target.id}: Arn must be an ARN.`);
  const inputs = [target.input !== undefined, target.inputPath !== undefined, target.inputTransformer !== undefined].filter(Boolean).length;
  if (inputs > 1) throw new AwsError('ValidationException', `Target ${target.id}: only one of Input, InputPath and InputTransformer may be set.`);
  try {
    if (target.input !== undefined) JSON.parse(target.input);
    if (target.inputPath !== undefined) validateJsonPath(target.inputPath);
    if (target.inputTransformer) validateInputTransformer(target.inputTransformer);
  } catch (error) {
    throw new AwsError('ValidationException', `Target ${target.id}: ${(error as Error).message}`);
  }
}

function validateEntry(entry: PutEventsEntry): { ErrorCode: string; ErrorMessage: string } | undefined {
  if (!entry.Source) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' };
  if (!entry.DetailType) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.' };
  if (!entry.Detail) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.' };
  try {
    const detail: unknown = JSON.parse(entry.Detail);
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) throw new Error('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  if (entry.Time !== undefined && Number.isNaN(new Date(entry.Time).getTime())) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' };
  }
  if (Buffer.byteLength(JSON.stringify(entry)) > 256 * 1024) {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Total size of the entries in the request is over the limit.' };
  }
  return undefined;
}
