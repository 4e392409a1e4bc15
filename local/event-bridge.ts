/**
 * EventBridge stand-in for local mode: the buses and rules of the synthesized template.
 *
 * - `handle('PutEvents', {Entries})` validates like the service (at most 10 entries per call, per-entry
 *   `ErrorCode`/`ErrorMessage` and `FailedEntryCount`), turns every accepted entry into the event a
 *   rule target receives and returns before delivery (as AWS does).
 * - Rules of the event's bus whose pattern matches (`matchesPattern`) deliver to their targets:
 *   Lambda with asynchronous-invocation semantics (a failed invocation is retried twice, then dropped
 *   and recorded in `failedDeliveries()`), SQS via `queues.send` (the rule target's dead-letter queue
 *   gets the event when sending keeps failing), a state machine via `StartExecution`, a delivery
 *   stream of the stack via the Firehose stand-in (local/firehose.ts), and anything else (logs ...)
 *   into an in-memory recorder per target id.
 * - `delivered()` is what a catch-all rule on the custom buses would receive, in arrival order and
 *   bounded (oldest dropped first); it backs `GET /local/events?order_id=`.
 * - `startSchedules({speedup})` fires `rate(...)` rules every period / speedup, so local mode can run
 *   the one-minute schedules every few seconds (`speedup: 20` → every 3 s). `cron(...)` rules are
 *   logged and skipped.
 */
import { randomUUID } from 'node:crypto';
import { LocalServiceError } from './errors.js';
import { matchesPattern } from './event-pattern.js';
import {
  type EventBusSpec,
  type Invoker,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type LocalTopology,
  type RuleSpec,
  type RuleTarget,
} from './types.js';

/** The event a rule target receives. */
export interface EventBridgeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: unknown;
}

/** What the stand-in needs of the SQS stand-in (`LocalQueues` satisfies it). */
export interface EventQueueSink {
  send(queueRef: string, body: string): unknown;
}

/** What the stand-in needs of the Firehose stand-in (`LocalFirehose` satisfies it). */
export interface EventFirehoseSink {
  put(streamRef: string, data: string): unknown;
}

/** What the stand-in needs of the Step Functions stand-in (`LocalStepFunctions` satisfies it). */
export interface EventStateMachineStarter {
  handle(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface LocalEventBridgeOptions {
  readonly invoker: Invoker;
  readonly queues: EventQueueSink;
  readonly stepFunctions: EventStateMachineStarter;
  /** Delivery streams (rule targets of kind `firehose`); absent: such a delivery fails. */
  readonly firehose?: EventFirehoseSink;
  /**
   * Delays before the retries of a failed delivery (Lambda async invocation retries twice; AWS waits
   * about 1 and 2 minutes, local mode a moment). Its length is the number of retries.
   */
  readonly retryDelaysMs?: readonly number[];
  /** How many events `delivered()` keeps (oldest dropped first). Default 100 000. */
  readonly maxDelivered?: number;
  /** How many failed deliveries and recorder events are kept (oldest dropped first). Default 10 000. */
  readonly maxRecorded?: number;
  /** Where warnings go (unparseable schedules, dropped deliveries). Default: stderr. */
  readonly log?: (message: string) => void;
}

export interface DeliveredFilter {
  /** `detail.metadata.orderId` (the OMS envelope). */
  readonly orderId?: string;
  readonly source?: string;
  readonly detailType?: string;
}

export interface FailedDelivery {
  readonly ruleName: string;
  readonly targetId: string;
  readonly targetKind: RuleTarget['kind'];
  readonly event: EventBridgeEvent;
  readonly attempts: number;
  readonly errorType: string;
  readonly errorMessage: string;
  /** ISO time of the last attempt. */
  readonly at: string;
}

export interface ScheduledRule {
  readonly ruleName: string;
  readonly expression: string;
  /** Period after the speedup. */
  readonly periodMs: number;
}

export interface StartSchedulesOptions {
  /** Divides every period (default 1: real time). `speedup: 20` fires `rate(1 minute)` every 3 s. */
  readonly speedup?: number;
}

interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

const MAX_ENTRIES = 10;
/** The service limit on one PutEvents request (entries' sizes summed). */
const MAX_REQUEST_BYTES = 256 * 1024;
/**
 * PutEvents processes nested JSON up to 1000 levels deep (its API reference). Deeper, the stand-in
 * refuses the entry (`MalformedDetail`): a hostile probe's 5,000-deep Detail overflowed the stack
 * where the stand-in serializes the event, was dropped without a trace, and then failed every read
 * of `GET /local/events`.
 */
const MAX_DETAIL_DEPTH = 1000;
const DEFAULT_BUS = 'default';
const MIN_SCHEDULE_PERIOD_MS = 10;

const RATE_UNITS_MS: Record<string, number> = {
  second: 1000,
  seconds: 1000,
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** `rate(N unit)` → milliseconds; null for anything else (cron, malformed). */
export function parseRateExpression(expression: string): number | null {
  const m = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/i.exec(expression.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = RATE_UNITS_MS[(m[2] ?? '').toLowerCase()];
  if (unit === undefined || !Number.isSafeInteger(n) || n <= 0) return null;
  return n * unit;
}

/** AWS event time: ISO 8601 at second precision (`2024-01-02T03:04:05Z`). */
function eventTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** `Time` of an entry: epoch seconds (what the SDK's JSON protocol sends), an ISO string or a Date. */
function entryTimeMs(value: unknown): number | null {
  if (value === undefined || value === null) return Date.now();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  if (typeof value === 'number') return Number.isFinite(value) ? Math.round(value * 1000) : null;
  if (typeof value === 'string') {
    if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function errorText(e: unknown): { errorType: string; errorMessage: string } {
  if (e instanceof Error) return { errorType: e.name, errorMessage: e.message };
  return { errorType: 'Error', errorMessage: String(e) };
}

function orderIdOf(event: EventBridgeEvent): string | undefined {
  const detail = event.detail as { metadata?: { orderId?: unknown } } | null;
  const id = detail && typeof detail === 'object' ? detail.metadata?.orderId : undefined;
  return typeof id === 'string' ? id : undefined;
}

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });
}

/** A bounded FIFO with an index by order id (eviction drops the oldest event everywhere). */
class DeliveredLog {
  private readonly events: EventBridgeEvent[] = [];
  private head = 0;
  private readonly byOrder = new Map<string, EventBridgeEvent[]>();

  constructor(private readonly max: number) {}

  push(event: EventBridgeEvent): void {
    this.events.push(event);
    const orderId = orderIdOf(event);
    if (orderId !== undefined) {
      const list = this.byOrder.get(orderId);
      if (list) list.push(event);
      else this.byOrder.set(orderId, [event]);
    }
    while (this.events.length - this.head > this.max) this.evictOldest();
    // Compact the array once the dropped prefix is large.
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events.splice(0, this.head);
      this.head = 0;
    }
  }

  private evictOldest(): void {
    const old = this.events[this.head];
    this.head += 1;
    if (!old) return;
    const orderId = orderIdOf(old);
    if (orderId === undefined) return;
    const list = this.byOrder.get(orderId);
    if (!list) return;
    list.shift();
    if (list.length === 0) this.byOrder.delete(orderId);
  }

  list(filter: DeliveredFilter): EventBridgeEvent[] {
    const base =
      filter.orderId !== undefined ? (this.byOrder.get(filter.orderId) ?? []) : this.events.slice(this.head);
    return base.filter(
      (e) =>
        (filter.source === undefined || e.source === filter.source) &&
        (filter.detailType === undefined || e['detail-type'] === filter.detailType),
    );
  }
}

export class LocalEventBridge {
  private readonly buses: readonly EventBusSpec[];
  private readonly rules: readonly RuleSpec[];
  private readonly stateMachineArns: ReadonlyMap<string, string>;
  private readonly retryDelaysMs: readonly number[];
  private readonly maxRecorded: number;
  private readonly log: (message: string) => void;
  private readonly deliveredLog: DeliveredLog;
  private readonly failures: FailedDelivery[] = [];
  private readonly records: Array<{
    rule: RuleSpec;
    target: RuleTarget & { kind: 'recorder' };
    event: EventBridgeEvent;
  }> = [];
  private readonly listeners = new Set<(event: EventBridgeEvent, busName: string) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly invalidPatternRules = new Set<string>();
  private scheduleIntervals: NodeJS.Timeout[] = [];
  private closed = false;

  constructor(
    topology: Pick<LocalTopology, 'eventBuses' | 'rules' | 'stateMachines'>,
    private readonly deps: LocalEventBridgeOptions,
  ) {
    this.buses = topology.eventBuses;
    this.rules = topology.rules;
    this.stateMachineArns = new Map(topology.stateMachines.map((s) => [s.logicalId, s.arn]));
    this.retryDelaysMs = deps.retryDelaysMs ?? [500, 1000];
    this.maxRecorded = deps.maxRecorded ?? 10_000;
    this.deliveredLog = new DeliveredLog(deps.maxDelivered ?? 100_000);
    this.log = deps.log ?? ((m) => process.stderr.write(`[local eventbridge] ${m}\n`));
  }

  /** The EventBridge JSON protocol actions local mode serves (only `PutEvents`). */
  async handle(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    if (action === 'PutEvents') return this.putEvents(input);
    throw new LocalServiceError('UnknownOperationException', `Operation ${action} is not supported locally`);
  }

  /** Every event put on a custom bus, in arrival order, as a catch-all rule target receives it. */
  delivered(filter: DeliveredFilter = {}): EventBridgeEvent[] {
    return this.deliveredLog.list(filter);
  }

  /** Called for every event accepted on any bus (the bus name is `default` for the default bus). */
  subscribe(listener: (event: EventBridgeEvent, busName: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Deliveries dropped after their retries (oldest first, bounded). */
  failedDeliveries(): FailedDelivery[] {
    return [...this.failures];
  }

  /**
   * What recorder targets (Firehose, logs ...) received, in arrival order (bounded). `ref` is the
   * target's ARN, `<rule name or logical id>/<target id>`, or a bare target id (CDK names them
   * `Target0`, ... per rule, so a bare id may cover several rules).
   */
  recorded(ref: string): EventBridgeEvent[] {
    return this.records
      .filter(
        ({ rule, target }) =>
          target.arn === ref ||
          target.id === ref ||
          `${rule.name}/${target.id}` === ref ||
          `${rule.logicalId}/${target.id}` === ref,
      )
      .map((r) => r.event);
  }

  /** Resolves once no delivery (including retries) is in flight. */
  idle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Fires every enabled `rate(...)` rule every period / speedup; replaces schedules started before. */
  startSchedules(options: StartSchedulesOptions = {}): ScheduledRule[] {
    this.stopSchedules();
    const speedup = options.speedup ?? 1;
    if (!(speedup > 0) || !Number.isFinite(speedup)) {
      throw new RangeError(`speedup must be a positive number, got ${speedup}`);
    }
    const started: ScheduledRule[] = [];
    for (const rule of this.rules) {
      if (!rule.enabled || rule.scheduleExpression === null) continue;
      const period = parseRateExpression(rule.scheduleExpression);
      if (period === null) {
        this.log(
          `rule ${rule.name}: schedule ${rule.scheduleExpression} is not a rate(...) expression; skipped`,
        );
        continue;
      }
      const periodMs = Math.max(MIN_SCHEDULE_PERIOD_MS, Math.round(period / speedup));
      let busy = false;
      const fire = () => {
        if (this.closed) return;
        // A run still in flight makes the next tick skip, so a sped-up schedule cannot pile up.
        if (busy) return;
        busy = true;
        const event = this.scheduledEvent(rule);
        void this.track(this.dispatch(rule, event)).finally(() => {
          busy = false;
        });
      };
      const interval = setInterval(fire, periodMs);
      interval.unref();
      this.scheduleIntervals.push(interval);
      started.push({ ruleName: rule.name, expression: rule.scheduleExpression, periodMs });
    }
    return started;
  }

  /**
   * Fires now, once, every enabled schedule rule with a Lambda target among `functionLogicalIds`
   * (something happened that calls for an early run, e.g. a venue back from an outage calls for a
   * reconciliation pass); the rule names fired.
   */
  fireSchedulesOf(functionLogicalIds: readonly string[]): string[] {
    const fired: string[] = [];
    if (this.closed) return fired;
    for (const rule of this.rules) {
      if (!rule.enabled || rule.scheduleExpression === null) continue;
      if (!rule.targets.some((t) => t.kind === 'lambda' && functionLogicalIds.includes(t.functionLogicalId)))
        continue;
      void this.track(this.dispatch(rule, this.scheduledEvent(rule)));
      fired.push(rule.name);
    }
    return fired;
  }

  stopSchedules(): void {
    for (const i of this.scheduleIntervals) clearInterval(i);
    this.scheduleIntervals = [];
  }

  /** Stops schedules and pending retries; deliveries already running finish on their own. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSchedules();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.listeners.clear();
    const waiters = this.idleWaiters.splice(0);
    for (const w of waiters) w();
  }

  private putEvents(input: Record<string, unknown>): Record<string, unknown> {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new LocalServiceError(
        'ValidationException',
        "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    }
    if (entries.length > MAX_ENTRIES) {
      throw new LocalServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      );
    }
    const size = entries.reduce<number>((sum, e) => sum + entrySize(e), 0);
    if (size > MAX_REQUEST_BYTES) {
      throw new LocalServiceError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const accepted: Array<{ event: EventBridgeEvent; bus: string }> = [];
    const results: PutEventsResultEntry[] = entries.map((entry) => {
      const r = this.acceptEntry(entry);
      if ('error' in r) return r.error;
      accepted.push(r);
      return { EventId: r.event.id };
    });
    for (const { event, bus } of accepted) {
      if (bus !== DEFAULT_BUS) this.deliveredLog.push(event);
      for (const l of this.listeners) {
        try {
          l(event, bus);
        } catch (e) {
          this.log(`event listener failed: ${errorText(e).errorMessage}`);
        }
      }
    }
    if (accepted.length > 0 && !this.closed) {
      // Delivery happens after PutEvents has answered, in arrival order.
      void this.track(
        new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
          Promise.all(accepted.map(({ event, bus }) => this.route(event, bus))).then(() => undefined),
        ),
      );
    }
    return {
      FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length,
      Entries: results,
    };
  }

  private acceptEntry(
    entry: unknown,
  ): { event: EventBridgeEvent; bus: string } | { error: { ErrorCode: string; ErrorMessage: string } } {
    const invalid = (param: string, reason: string) => ({
      error: {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${param} is not valid. Reason: ${reason}`,
      },
    });
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      return invalid('Entry', 'Entry must be an object.');
    }
    const e = entry as Record<string, unknown>;
    if (!isNonEmptyString(e.Source)) return invalid('Source', 'Source is a required argument.');
    if (!isNonEmptyString(e.DetailType)) return invalid('DetailType', 'DetailType is a required argument.');
    if (e.Detail === undefined || e.Detail === null || e.Detail === '') {
      return invalid('Detail', 'Detail is a required argument.');
    }
    if (e.Source.toLowerCase().startsWith('aws.')) {
      return {
        error: {
          ErrorCode: 'NotAuthorizedForSourceException',
          ErrorMessage: 'Not authorized for the source.',
        },
      };
    }
    let detail: unknown;
    try {
      detail = typeof e.Detail === 'string' ? JSON.parse(e.Detail) : undefined;
    } catch {
      detail = undefined;
    }
    if (
      detail === null ||
      typeof detail !== 'object' ||
      Array.isArray(detail) ||
      jsonDepth(detail) > MAX_DETAIL_DEPTH
    ) {
      return { error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
    }
    const resources = e.Resources ?? [];
    if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
      return invalid('Resources', 'Resources must be a list of strings.');
    }
    const timeMs = entryTimeMs(e.Time);
    if (timeMs === null) return invalid('Time', 'Time is not a valid timestamp.');
    const bus = this.resolveBus(e.EventBusName);
    if (bus === null) {
      return {
        error: {
          ErrorCode: 'ResourceNotFoundException',
          ErrorMessage: `Event bus ${String(e.EventBusName)} does not exist.`,
        },
      };
    }
    return {
      bus,
      event: {
        version: '0',
        id: randomUUID(),
        'detail-type': e.DetailType,
        source: e.Source,
        account: LOCAL_ACCOUNT_ID,
        time: eventTime(timeMs),
        region: LOCAL_REGION,
        resources: resources as string[],
        detail,
      },
    };
  }

  /** Bus name for an `EventBusName` (name or ARN; absent → default); null when there is no such bus. */
  private resolveBus(ref: unknown): string | null {
    if (ref === undefined || ref === null || ref === '' || ref === DEFAULT_BUS) return DEFAULT_BUS;
    if (typeof ref !== 'string') return null;
    const bus = this.buses.find((b) => b.name === ref || b.arn === ref);
    if (bus) return bus.name;
    if (ref === `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:event-bus/${DEFAULT_BUS}`)
      return DEFAULT_BUS;
    return null;
  }

  private ruleBus(rule: RuleSpec): string {
    return rule.eventBusName === null || rule.eventBusName === ''
      ? DEFAULT_BUS
      : (this.resolveBus(rule.eventBusName) ?? rule.eventBusName);
  }

  private async route(event: EventBridgeEvent, bus: string): Promise<void> {
    const deliveries: Promise<void>[] = [];
    for (const rule of this.rules) {
      if (!rule.enabled || rule.eventPattern === null || this.ruleBus(rule) !== bus) continue;
      let matched = false;
      try {
        matched = matchesPattern(rule.eventPattern, event);
      } catch (e) {
        // An invalid pattern never matches (AWS would have refused the rule); say so once.
        if (!this.invalidPatternRules.has(rule.logicalId)) {
          this.invalidPatternRules.add(rule.logicalId);
          this.log(`rule ${rule.name}: pattern not usable: ${errorText(e).errorMessage}`);
        }
      }
      if (matched) deliveries.push(this.dispatch(rule, event));
    }
    await Promise.all(deliveries);
  }

  private async dispatch(rule: RuleSpec, event: EventBridgeEvent): Promise<void> {
    await Promise.all(rule.targets.map((target) => this.deliver(rule, target, event)));
  }

  private async deliver(rule: RuleSpec, target: RuleTarget, event: EventBridgeEvent): Promise<void> {
    if (target.kind === 'recorder') {
      this.records.push({ rule, target, event });
      if (this.records.length > this.maxRecorded * 1.1)
        this.records.splice(0, this.records.length - this.maxRecorded);
      return;
    }
    let lastError: { errorType: string; errorMessage: string } = { errorType: 'Error', errorMessage: '' };
    const attempts = this.retryDelaysMs.length + 1;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (this.closed) return;
      try {
        await this.attempt(target, event);
        return;
      } catch (e) {
        lastError = errorText(e);
      }
      const delay = this.retryDelaysMs[attempt - 1];
      if (delay !== undefined) await sleep(delay, this.timers);
    }
    if (this.closed) return;
    if (target.kind === 'sqs' && target.deadLetterQueueLogicalId !== null) {
      try {
        await this.deps.queues.send(target.deadLetterQueueLogicalId, JSON.stringify(event));
        return;
      } catch (e) {
        lastError = errorText(e);
      }
    }
    this.log(
      `rule ${rule.name} target ${target.id}: dropped event ${event.id} after ${attempts} attempts: ${lastError.errorType}: ${lastError.errorMessage}`,
    );
    this.failures.push({
      ruleName: rule.name,
      targetId: target.id,
      targetKind: target.kind,
      event,
      attempts,
      ...lastError,
      at: new Date().toISOString(),
    });
    if (this.failures.length > this.maxRecorded)
      this.failures.splice(0, this.failures.length - this.maxRecorded);
  }

  /** One delivery attempt; throws on failure. */
  private async attempt(
    target: Exclude<RuleTarget, { kind: 'recorder' }>,
    event: EventBridgeEvent,
  ): Promise<void> {
    switch (target.kind) {
      case 'lambda': {
        const result = await this.deps.invoker.invoke(target.functionLogicalId, event);
        if (!result.ok) throw Object.assign(new Error(result.errorMessage), { name: result.errorType });
        return;
      }
      case 'sqs':
        await this.deps.queues.send(target.queueLogicalId, JSON.stringify(event));
        return;
      case 'firehose':
        if (this.deps.firehose === undefined)
          throw Object.assign(new Error(`No Firehose stand-in for ${target.deliveryStreamLogicalId}`), {
            name: 'ResourceNotFoundException',
          });
        // EventBridge puts the event's JSON as the record.
        await this.deps.firehose.put(target.deliveryStreamLogicalId, JSON.stringify(event));
        return;
      case 'state-machine': {
        const arn = this.stateMachineArns.get(target.stateMachineLogicalId);
        if (arn === undefined) {
          throw Object.assign(new Error(`State machine ${target.stateMachineLogicalId} does not exist`), {
            name: 'StateMachineDoesNotExist',
          });
        }
        await this.deps.stepFunctions.handle('StartExecution', {
          stateMachineArn: arn,
          input: JSON.stringify(event),
        });
        return;
      }
    }
  }

  private scheduledEvent(rule: RuleSpec): EventBridgeEvent {
    const bus = this.ruleBus(rule);
    const ruleArn =
      bus === DEFAULT_BUS
        ? `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${rule.name}`
        : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${bus}/${rule.name}`;
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: LOCAL_ACCOUNT_ID,
      time: eventTime(Date.now()),
      region: LOCAL_REGION,
      resources: [ruleArn],
      detail: {},
    };
  }

  private track(p: Promise<void>): Promise<void> {
    const tracked = p
      .catch((e) => this.log(`delivery failed: ${errorText(e).errorMessage}`))
      .finally(() => {
        this.inFlight.delete(tracked);
        if (this.inFlight.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    this.inFlight.add(tracked);
    return tracked;
  }
}

/** How many levels of objects and arrays `value` nests (1 for `{}`); without recursion. */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, depth] = next;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** An entry's size as the service counts it (UTF-8 bytes of its text fields). */
function entrySize(entry: unknown): number {
  if (entry === null || typeof entry !== 'object') return 0;
  const e = entry as Record<string, unknown>;
  let size = 0;
  for (const key of ['Source', 'DetailType', 'Detail'] as const) {
    const v = e[key];
    if (typeof v === 'string') size += Buffer.byteLength(v, 'utf8');
  }
  if (Array.isArray(e.Resources)) {
    for (const r of e.Resources) if (typeof r === 'string') size += Buffer.byteLength(r, 'utf8');
  }
  if (e.Time !== undefined) size += 14;
  return size;
}
