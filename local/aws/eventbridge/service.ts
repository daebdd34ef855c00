import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { InvalidEventPatternError, matchesEventPattern, parseEventPattern, type EventPattern } from '../event-pattern.js';
import type { Collection, Journal } from '../journal.js';
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

/**
 * A matched event on its way to one target (the outbox). It is journaled with the PutEvents (or the schedule
 * fire) that made it, and removed once delivered or dead-lettered, so an accepted event reaches its targets
 * after a restart too: at least once, as EventBridge delivers.
 */
interface Delivery {
  id: string;
  target: RuleTarget;
  ruleArn: string;
  event: Record<string, unknown>;
  payload: string;
  attempt: number;
  firstAttemptAt: number;
  /** When the next attempt is due (epoch ms). */
  dueAt: number;
}

/** When a scheduled rule's rate counts from, and when it last fired (a fire missed while stopped runs at start). */
interface ScheduleBookkeeping {
  since: number;
  lastFiredAt?: number;
}

interface Store {
  buses: Collection<EventBusState>;
  rules: Collection<RuleState>;
  /** Archive settings; their events are kept apart in `archived` under `<archive>/<event id>`. */
  archives: Collection<ArchiveState>;
  archived: Collection<{ time: number; event: Record<string, unknown> }>;
  replays: Collection<ReplayState>;
  deliveries: Collection<Delivery>;
  schedules: Collection<ScheduleBookkeeping>;
}

export interface LocalEventBridgeOptions {
  clock: Clock;
  region: string;
  accountId: string;
  sqs: LocalSqs;
  /** Keeps buses, rules, archives and undelivered events across restarts; omitted = in memory only. */
  journal?: Journal;
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
  /** Restored deliveries to Lambda / Step Functions targets, held until the runtime sets the dispatcher. */
  private readonly awaitingDispatcher: Delivery[] = [];
  /** Scheduled rules: the parsed expression, when the rule was put (rates count from it) and the pending timer. */
  private readonly schedules = new Map<string, { schedule: Schedule; since: number; lastFiredAt?: number; timer?: unknown }>();
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private dispatcher: TargetDispatcher | undefined;
  private readonly store?: Store;
  private closed = false;

  constructor(private readonly options: LocalEventBridgeOptions) {
    const saved = new Map<string, ScheduleBookkeeping>();
    const pending: Delivery[] = [];
    if (options.journal) {
      const journal = options.journal;
      const store: Store = {
        buses: journal.collection('events.buses'),
        rules: journal.collection('events.rules'),
        archives: journal.collection<ArchiveState>('events.archives', ({ events: _events, ...settings }) => settings),
        archived: journal.collection('events.archived'),
        replays: journal.collection('events.replays'),
        deliveries: journal.collection('events.deliveries'),
        schedules: journal.collection('events.schedules'),
      };
      this.store = store;
      for (const [name, bus] of store.buses.loaded) this.buses.set(name, bus as EventBusState);
      for (const [key, rule] of store.rules.loaded) this.rules.set(key, rule as RuleState);
      for (const [name, settings] of store.archives.loaded) {
        const archive: ArchiveState = { ...(settings as Omit<ArchiveState, 'events'>), events: [] };
        this.archives.set(name, archive);
      }
      for (const [key, entry] of store.archived.loaded) {
        const archive = this.archives.get(key.slice(0, key.indexOf('/')));
        if (archive) archive.events.push(entry as ArchiveState['events'][number]);
        else store.archived.delete(key);
      }
      for (const [, replay] of store.replays.loaded) this.replays.push(replay as ReplayState);
      for (const [key, bookkeeping] of store.schedules.loaded) saved.set(key, bookkeeping as ScheduleBookkeeping);
      for (const [, delivery] of store.deliveries.loaded) pending.push(delivery as Delivery);
    }
    if (!this.buses.has('default')) this.buses.set('default', { name: 'default', createdTimestamp: options.clock.now() });
    for (const [key, rule] of this.rules) {
      if (!rule.scheduleExpression) continue;
      let schedule: Schedule;
      try {
        schedule = parseSchedule(rule.scheduleExpression);
      } catch (error) {
        if (!(error instanceof InvalidScheduleError)) throw error;
        // Saved before this expression was checked: keep the rule, never fire it.
        continue;
      }
      const bookkeeping = saved.get(key);
      this.armSchedule(rule, schedule, bookkeeping?.since, bookkeeping?.lastFiredAt);
    }
    // Events accepted before a stop whose delivery had not finished: delivered now (at least once).
    for (const delivery of pending) this.resume(delivery);
  }

  /** Lambda and Step Functions targets are delivered by the runtime through this. */
  setTargetDispatcher(dispatcher: TargetDispatcher): void {
    this.dispatcher = dispatcher;
    for (const delivery of this.awaitingDispatcher.splice(0)) this.resume(delivery);
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
    this.store?.buses.put(name, bus);
    return this.busArn(name);
  }

  deleteBus(name: string): void {
    if (name === 'default') throw new AwsError('ValidationException', 'Cannot delete event bus default.');
    if (!this.buses.delete(name)) return;
    this.store?.buses.delete(name);
    for (const [key, rule] of this.rules) {
      if (rule.busName !== name) continue;
      this.rules.delete(key);
      this.disarmSchedule(key);
      this.store?.rules.delete(key);
    }
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
    this.store?.rules.put(key, rule);
    // Re-putting a rule with the same schedule (the runtime re-applies its template at every start) keeps the
    // rate's origin and the last fire, so a restart neither delays nor repeats it.
    const kept = existing?.scheduleExpression === input.scheduleExpression ? this.schedules.get(key) : undefined;
    if (schedule) this.armSchedule(rule, schedule, kept?.since, kept?.lastFiredAt);
    else this.disarmSchedule(key);
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
    if (scheduled) this.armSchedule(rule, scheduled.schedule, state === 'ENABLED' ? this.options.clock.now() : scheduled.since, scheduled.lastFiredAt);
    this.store?.rules.put(ruleKey(rule.busName, rule.name), rule);
  }

  deleteRule(busRef: string | undefined, name: string): void {
    const rule = this.rules.get(ruleKey(this.busName(busRef), name));
    if (!rule) return;
    if (rule.targets.length > 0) throw new AwsError('ValidationException', 'Rule can\'t be deleted since it has targets.');
    this.rules.delete(ruleKey(rule.busName, rule.name));
    this.disarmSchedule(ruleKey(rule.busName, rule.name));
    this.store?.rules.delete(ruleKey(rule.busName, rule.name));
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
    this.store?.rules.put(ruleKey(rule.busName, rule.name), rule);
  }

  removeTargets(busRef: string | undefined, ruleName: string, ids: string[]): void {
    const rule = this.rule(busRef, ruleName);
    rule.targets = rule.targets.filter((target) => !ids.includes(target.id));
    this.store?.rules.put(ruleKey(rule.busName, rule.name), rule);
  }

  listTargets(busRef: string | undefined, ruleName: string): RuleTarget[] {
    return this.rule(busRef, ruleName).targets;
  }

  /**
   * TestEventPattern: validates the pattern, then reads the event (a function, so a bad pattern is reported
   * before a bad event, as AWS does) and matches it.
   */
  testEventPattern(pattern: string, readEvent: () => unknown): boolean {
    try {
      const parsed = parseEventPattern(pattern);
      return matchesEventPattern(parsed, readEvent());
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
    this.store?.archives.put(input.name, archive);
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
    this.store?.replays.put(replay.name, replay);
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

  /** Stops delivering; undelivered events stay in the journal and are delivered after the next start. */
  close(): void {
    this.closed = true;
    for (const timer of this.retryTimers) this.options.clock.clearTimeout(timer);
    this.retryTimers.clear();
    for (const key of [...this.schedules.keys()]) this.disarmSchedule(key);
    this.settleIdle();
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
      const now = this.options.clock.now();
      const delivery: Delivery = { id: randomUUID(), target: { ...target }, ruleArn, event, payload, attempt: 0, firstAttemptAt: now, dueAt: now };
      this.store?.deliveries.put(delivery.id, delivery);
      this.deliver(delivery);
    }
  }

  /** Picks up a delivery restored from the journal: due ones now, retries at their time. */
  private resume(delivery: Delivery): void {
    const service = delivery.target.arn.split(':')[2];
    const local = service === 'sqs' || (service === 'events' && delivery.target.arn.includes(':event-bus/'));
    if (!local && !this.dispatcher) {
      this.awaitingDispatcher.push(delivery);
      return;
    }
    const wait = delivery.dueAt - this.options.clock.now();
    if (wait > 0) this.retryLater(delivery, wait);
    else this.deliver(delivery);
  }

  /**
   * (Re)sets the timer of a scheduled rule for its next time; a disabled rule keeps its schedule, unarmed.
   * With `lastFiredAt` (a restart), a time that fell due while the endpoint was stopped fires once, now.
   */
  private armSchedule(rule: RuleState, schedule: Schedule, since = this.options.clock.now(), lastFiredAt?: number): void {
    const key = ruleKey(rule.busName, rule.name);
    this.disarmSchedule(key, { keepBookkeeping: true });
    const entry: { schedule: Schedule; since: number; lastFiredAt?: number; timer?: unknown } = { schedule, since };
    if (lastFiredAt !== undefined) entry.lastFiredAt = lastFiredAt;
    this.schedules.set(key, entry);
    this.store?.schedules.put(key, lastFiredAt === undefined ? { since } : { since, lastFiredAt });
    if (this.closed || rule.state !== 'ENABLED') return;
    const now = this.options.clock.now();
    const missed = lastFiredAt === undefined ? undefined : nextFireTime(schedule, lastFiredAt, since);
    const due = missed !== undefined && missed <= now ? now : nextFireTime(schedule, now, since);
    if (due === undefined) return;
    const wake = () => {
      entry.timer = undefined;
      if (this.closed || this.schedules.get(key) !== entry) return;
      const current = this.options.clock.now();
      if (current < due) {
        entry.timer = this.options.clock.setTimeout(wake, Math.min(due - current, MAX_TIMER_MS));
        return;
      }
      // The fire and its deliveries are journaled together: after a restart it is neither lost nor repeated.
      this.deliverToTargets(rule, this.scheduledEvent(rule, due), new Date(current).toISOString());
      this.armSchedule(rule, schedule, since, current);
    };
    entry.timer = this.options.clock.setTimeout(wake, Math.min(due - now, MAX_TIMER_MS));
  }

  private disarmSchedule(key: string, options: { keepBookkeeping?: boolean } = {}): void {
    const entry = this.schedules.get(key);
    if (entry?.timer !== undefined) this.options.clock.clearTimeout(entry.timer);
    this.schedules.delete(key);
    if (!options.keepBookkeeping && !this.closed) this.store?.schedules.delete(key);
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
        for (const entry of archive.events) if (entry.time < cutoff) this.store?.archived.delete(`${archive.name}/${String(entry.event.id)}`);
        archive.events = archive.events.filter((entry) => entry.time >= cutoff);
      }
      const entry = { time: now, event };
      archive.events.push(entry);
      this.store?.archived.put(`${archive.name}/${String(event.id)}`, entry);
    }
  }

  /**
   * One delivery attempt; failures retry with backoff per the target's policy, then go to its DLQ. The
   * delivery leaves the journal only when it succeeded or was dead-lettered.
   */
  private deliver(delivery: Delivery): void {
    if (this.closed) return;
    const { target, ruleArn, event, payload } = delivery;
    this.inFlight++;
    this.attempt(target, event, payload)
      .then(() => {
        this.store?.deliveries.delete(delivery.id);
      }, (error: unknown) => {
        if (this.closed) return; // stays in the journal; delivered after the next start
        const maxAttempts = target.retryPolicy?.maximumRetryAttempts ?? DEFAULT_RETRY_ATTEMPTS;
        const maxAgeMs = (target.retryPolicy?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000;
        const delay = Math.min(1000 * 2 ** delivery.attempt, MAX_RETRY_DELAY_MS);
        const now = this.options.clock.now();
        if (delivery.attempt < maxAttempts && now + delay - delivery.firstAttemptAt <= maxAgeMs) {
          delivery.attempt += 1;
          delivery.dueAt = now + delay;
          this.store?.deliveries.put(delivery.id, delivery);
          this.retryLater(delivery, delay);
        } else {
          this.deadLetter(target, ruleArn, payload, error);
          this.store?.deliveries.delete(delivery.id);
        }
      })
      .finally(() => {
        this.inFlight--;
        this.settleIdle();
      });
  }

  private retryLater(delivery: Delivery, delay: number): void {
    const timer = this.options.clock.setTimeout(() => {
      this.retryTimers.delete(timer);
      this.deliver(delivery);
      this.settleIdle();
    }, delay);
    this.retryTimers.add(timer);
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
