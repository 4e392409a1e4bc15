/**
 * What the end-to-end tests share: an HTTP client for the Alpaca v2 API and local mode's control
 * endpoints (real HTTP against `startLocalOms`), `eventually` (poll with a deadline, never a
 * fixed sleep), the audit-trail and workflow-path checks, and a readable account of an order
 * (its events, its bus deliveries, its workflow path) for a timeout's message.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { apiKeyItem } from '../../lambdas/orders/accounts.js';
import { type LocalOms, type LocalOmsOptions, startLocalOms } from '../../local/oms-local.js';
import { LOCAL_REGION } from '../../local/types.js';
import { awaitOutcomeFile } from '../outcome-file.js';

/** The Alpaca order fields the tests read. */
export interface Order {
  readonly id: string;
  readonly client_order_id: string;
  readonly created_at: string;
  readonly symbol: string;
  readonly status: string;
  readonly qty: string | null;
  readonly filled_qty: string;
  readonly canceled_qty: string;
  readonly leaves_qty: string;
  readonly filled_avg_price: string | null;
  readonly limit_price: string | null;
  readonly stop_price?: string | null;
  /** A trailing stop's high-water mark. */
  readonly hwm?: string | null;
  readonly time_in_force: string;
  readonly replaces: string | null;
  readonly replaced_by: string | null;
  readonly expired_at: string | null;
  readonly canceled_at: string | null;
  readonly filled_at: string | null;
}

/** One event of `GET /v2/orders/{id}/events`. */
export interface AuditEvent {
  readonly event_id: string;
  readonly seq: number;
  readonly type: string;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
  /** What caused it: an execution report's execId, a request's id. */
  readonly causation_id?: string;
}

/** One event as a catch-all rule target receives it (`GET /local/events`). */
export interface BusEvent {
  readonly id: string;
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: {
    readonly metadata?: {
      readonly eventId: string;
      readonly orderId: string;
      readonly seq: number;
      readonly accountId?: string;
    };
    readonly data?: Record<string, unknown>;
  };
}

/** `GET /local/executions/{id}`: the console's view of the order's workflow. */
export interface Execution {
  readonly status: string;
  readonly path: readonly { readonly state: string; readonly status: string }[];
}

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly body: T;
}

/** Statuses after which nothing more happens to an order. */
export const SETTLED = new Set(['filled', 'canceled', 'expired', 'rejected', 'replaced']);

/** The states a filled simple order passes (statemachines/README.md: 2 states). */
export const FILLED_PATH = ['Accept order', 'Submit and await outcome'] as const;
/** A replacement goes the same way, but is not sent again (its venue order is live already). */
export const REPLACEMENT_PATH = ['Accept order', 'Submit and await outcome'] as const;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `check` until it stops throwing, then returns its value; after `timeoutMs` fails with the
 * last failure and `explain()` (e.g. the order's events and workflow path).
 */
export async function eventually<T>(
  check: () => Promise<T>,
  timeoutMs: number,
  explain?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) break;
    await delay(100);
  }
  const why = last instanceof Error ? last.message : String(last);
  const detail = explain === undefined ? '' : await explain().catch((err: unknown) => `(no account: ${err})`);
  throw new Error(`not within ${timeoutMs} ms: ${why}\n${detail}`);
}

const newYorkClock = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The New York wall-clock time of `ms` as `HH:MM:SS` (a session close local mode accepts). */
export function newYorkTime(ms: number): string {
  return newYorkClock.format(new Date(ms));
}

/** Every day of the week, so a session close is exercisable on a weekend too. */
export const EVERY_DAY = 'sun,mon,tue,wed,thu,fri,sat';

/** Plain decimal text as a number (the test quantities and prices are small and exact in binary cents). */
export const num = (text: string | null | undefined): number => (text == null ? Number.NaN : Number(text));

export class OmsHttp {
  /** Every order id this client created or saw created (for the final sweep over all orders). */
  readonly orders = new Set<string>();

  constructor(
    readonly baseUrl: string,
    private readonly keyId: string,
    private readonly secret: string,
  ) {}

  static forDemo(oms: LocalOms): OmsHttp {
    return new OmsHttp(oms.apiUrl, oms.apiKeyId, oms.apiSecretKey);
  }

  /** The same server, another key pair. */
  withKey(keyId: string, secret: string): OmsHttp {
    return new OmsHttp(this.baseUrl, keyId, secret);
  }

  /** A client with a new key pair of `scope` for the account, issued through `/local/keys`. */
  async withNewKey(accountId: string, scope: 'trade' | 'read_only' | 'operator'): Promise<OmsHttp> {
    const keyId = `${scope === 'operator' ? 'OP' : 'K'}${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
    const secret = randomUUID();
    await this.expect(200, 'PUT', `/local/keys/${keyId}`, { secret, account_id: accountId, scope });
    return this.withKey(keyId, secret);
  }

  async request<T = unknown>(method: string, path: string, body?: unknown): Promise<HttpResult<T>> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        'APCA-API-KEY-ID': this.keyId,
        'APCA-API-SECRET-KEY': this.secret,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as T };
  }

  /** A request that must answer `status`; its body. */
  async expect<T = unknown>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  async submit(order: Record<string, unknown>): Promise<Order> {
    const placed = await this.expect<Order>(200, 'POST', '/v2/orders', order);
    this.orders.add(placed.id);
    return placed;
  }

  order(id: string): Promise<Order> {
    return this.expect<Order>(200, 'GET', `/v2/orders/${id}`);
  }

  async auditTrail(id: string): Promise<AuditEvent[]> {
    const body = await this.expect<{ events: AuditEvent[] }>(200, 'GET', `/v2/orders/${id}/events`);
    return body.events;
  }

  cancel(id: string): Promise<unknown> {
    return this.expect(204, 'DELETE', `/v2/orders/${id}`);
  }

  async replace(id: string, changes: Record<string, unknown>): Promise<Order> {
    const replacement = await this.expect<Order>(200, 'PATCH', `/v2/orders/${id}`, changes);
    this.orders.add(replacement.id);
    return replacement;
  }

  /** Pins the symbol's quote (`PUT /local/market/{symbol}`): it holds until set again. */
  async pinQuote(
    symbol: string,
    quote: {
      bid: string;
      ask: string;
      last?: string;
      bid_size?: string;
      ask_size?: string;
      prev_close?: string;
    },
  ): Promise<void> {
    await this.expect(200, 'PUT', `/local/market/${symbol}`, { last: quote.ask, ...quote });
  }

  /** Sets a simulated venue's controls (`PUT /local/venues/{venue}`, SIMX unless named); `{}` restores the defaults. */
  async venue(
    settings: { latency_ms?: number; max_fill_qty?: string | null; reject_next?: boolean },
    venue = 'SIMX',
  ) {
    await this.expect(200, 'PUT', `/local/venues/${venue}`, settings);
  }

  /** Every OMS event of the order the bus delivered (`GET /local/events?order_id=`), in delivery order. */
  async busEvents(orderId: string): Promise<BusEvent[]> {
    const all = await this.expect<BusEvent[]>(
      200,
      'GET',
      `/local/events?order_id=${encodeURIComponent(orderId)}`,
    );
    // A PositionChanged names the order whose execution caused it; it is the account's, not the order's.
    return all.filter(
      (e) =>
        e.source === 'stockbot.oms' &&
        e.detail.metadata?.orderId === orderId &&
        e['detail-type'] !== 'PositionChanged' &&
        !DERIVED_EVENTS.has(e['detail-type']),
    );
  }

  /**
   * The events the order stream derives when the order closes (issue 15: `OrderTcaRecorded`,
   * `SlippageThresholdBreached`): on the bus, not in the event store (their seq is the closing one).
   */
  async derivedEvents(orderId: string): Promise<BusEvent[]> {
    const all = await this.expect<BusEvent[]>(
      200,
      'GET',
      `/local/events?order_id=${encodeURIComponent(orderId)}`,
    );
    return all.filter((e) => e.detail.metadata?.orderId === orderId && DERIVED_EVENTS.has(e['detail-type']));
  }

  /** Every PositionChanged of the account the bus delivered, in delivery order (issue 13). */
  async positionEvents(accountId: string): Promise<BusEvent[]> {
    const all = await this.expect<BusEvent[]>(200, 'GET', '/local/events');
    return all.filter(
      (e) => e['detail-type'] === 'PositionChanged' && e.detail.metadata?.accountId === accountId,
    );
  }

  execution(orderId: string): Promise<Execution> {
    return this.expect<Execution>(200, 'GET', `/local/executions/${orderId}`);
  }

  async workflowPath(orderId: string): Promise<string[]> {
    return (await this.execution(orderId)).path.map((p) => p.state);
  }

  /** Waits until the order satisfies `check` (an expect-style function), explaining a timeout. */
  async until(id: string, check: (o: Order) => void, timeoutMs = 15_000): Promise<Order> {
    return eventually(
      async () => {
        const o = await this.order(id);
        check(o);
        return o;
      },
      timeoutMs,
      () => this.explain([id]),
    );
  }

  /** Waits for one of `statuses`. */
  untilStatus(id: string, statuses: string | readonly string[], timeoutMs = 15_000): Promise<Order> {
    const wanted = typeof statuses === 'string' ? [statuses] : statuses;
    return this.until(
      id,
      (o) => {
        if (!wanted.includes(o.status))
          throw new Error(`order ${id} is ${o.status}, waiting for ${wanted.join('|')}`);
      },
      timeoutMs,
    );
  }

  /**
   * Buys `qty` of `symbol` at market and waits until the position shows it (the fill applied by the
   * position keeper): the start of a sell scenario.
   */
  async holdLong(symbol: string, qty: string): Promise<void> {
    const bought = await this.submit({ symbol, qty, side: 'buy', type: 'market', time_in_force: 'day' });
    await this.untilStatus(bought.id, 'filled', 30_000);
    await eventually(async () => {
      const p = await this.request<{ qty?: string }>('GET', `/v2/positions/${symbol}`);
      if (p.status !== 200 || p.body.qty !== qty)
        throw new Error(`position ${p.status} ${JSON.stringify(p.body)}`);
    }, 30_000);
  }

  /** A readable account of orders: status, events, bus deliveries, workflow path. */
  async explain(ids: readonly string[]): Promise<string> {
    const lines: string[] = [];
    for (const id of ids) {
      const order = await this.request<Order>('GET', `/v2/orders/${id}`);
      const o = order.body;
      lines.push(
        order.status === 200
          ? `order ${id} ${o.symbol} ${o.status} qty=${o.qty} filled=${o.filled_qty} canceled=${o.canceled_qty} replaced_by=${o.replaced_by}`
          : `order ${id}: GET answered ${order.status} ${JSON.stringify(o)}`,
      );
      const trail = await this.request<{ events: AuditEvent[] }>('GET', `/v2/orders/${id}/events`);
      for (const e of trail.status === 200 ? trail.body.events : [])
        lines.push(`  #${e.seq} ${e.occurred_at} ${e.type} ${JSON.stringify(e.data).slice(0, 160)}`);
      const bus = await this.busEvents(id).catch(() => []);
      lines.push(
        `  bus: ${bus.map((e) => `${e.detail.metadata?.seq}:${e['detail-type']}`).join(', ') || '(nothing)'}`,
      );
      const run = await this.request<Execution>('GET', `/local/executions/${id}`);
      lines.push(
        run.status === 200
          ? `  workflow ${run.body.status}: ${run.body.path.map((p) => `${p.state}(${p.status})`).join(' -> ')}`
          : `  workflow: ${run.status} ${JSON.stringify(run.body)}`,
      );
    }
    return lines.join('\n');
  }
}

/**
 * The order's audit trail is its events in sequence order 1..n, each delivered to the bus exactly
 * once and in that order, and both views agree. Waits for the bus to catch up; returns the trail.
 */
export async function expectConsistentTrail(http: OmsHttp, orderId: string, timeoutMs = 10_000) {
  return eventually(
    async () => {
      const trail = await http.auditTrail(orderId);
      const seqs = trail.map((e) => e.seq);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      expect(trail[0]?.type).toBe('OrderSubmitted');
      const bus = await http.busEvents(orderId);
      const ids = bus.map((e) => e.detail.metadata?.eventId);
      expect(new Set(ids).size).toBe(ids.length); // each event delivered once
      expect(bus.map((e) => e.detail.metadata?.seq)).toEqual(seqs); // every event, in sequence order
      expect(bus.map((e) => [e.detail.metadata?.eventId, e['detail-type']])).toEqual(
        trail.map((e) => [e.event_id, e.type]),
      );
      return trail;
    },
    timeoutMs,
    () => http.explain([orderId]),
  );
}

/** The workflow finished and went exactly through `states`. */
export async function expectWorkflowPath(http: OmsHttp, orderId: string, states: readonly string[]) {
  await eventually(
    async () => {
      const run = await http.execution(orderId);
      expect(run.status).toBe('SUCCEEDED');
      expect(run.path.map((p) => p.state)).toEqual(states);
    },
    10_000,
    () => http.explain([orderId]),
  );
}

/** Sum of `lastQty` over the order's own fill events. */
export function filledByEvents(trail: readonly AuditEvent[]): number {
  return trail
    .filter((e) => e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled')
    .reduce((sum, e) => sum + num(e.data.lastQty as string), 0);
}

/** Bus events about an order that are not its events in the event store. */
const DERIVED_EVENTS: ReadonlySet<string> = new Set(['OrderTcaRecorded', 'SlippageThresholdBreached']);

/** Runs `use` with a document client of local mode's DynamoDB (destroyed after). */
export async function withLocalDynamo<T>(
  oms: Pick<LocalOms, 'dynamoDbEndpoint'>,
  use: (doc: DynamoDBDocumentClient) => Promise<T>,
): Promise<T> {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: oms.dynamoDbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  try {
    return await use(doc);
  } finally {
    doc.destroy();
  }
}

/**
 * A cash account of $10,000 that may not sell short and may place a burst of identical orders (not
 * a strategy's accidental repeat): the buying power and no-short sells scenarios' account.
 */
export const CASH_10K = {
  cash: '10000',
  multiplier: '1',
  shortingEnabled: false,
  riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: null },
} as const;

/** A fresh symbol per scenario: `<prefix><tag>` and three letters (nothing of another run's in it). */
export const freshSymbol = (prefix: string, tag: string): string =>
  `${prefix}${tag}${randomUUID()
    .slice(0, 3)
    .toUpperCase()
    .replace(/[^A-Z]/g, 'Q')}`;

/** A fresh key pair and account, seeded (`seedAccount`), and a client trading with that key. */
export async function newAccountClient(
  oms: Pick<LocalOms, 'dynamoDbEndpoint' | 'apiUrl'> & { readonly accountsTable: string },
  accountId: string,
  settings?: Record<string, unknown>,
): Promise<OmsHttp> {
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, ...(settings === undefined ? {} : { settings }) });
  return new OmsHttp(oms.apiUrl, keyId, secret);
}

/** Seeds another API key and account into local mode's accounts table (as local mode seeds the demo). */
export async function seedAccount(
  oms: Pick<LocalOms, 'dynamoDbEndpoint'> & { readonly accountsTable: string },
  account: { keyId: string; secret: string; accountId: string; settings?: Record<string, unknown> },
): Promise<void> {
  await withLocalDynamo(oms, async (doc) => {
    const table = oms.accountsTable;
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: apiKeyItem({
          keyId: account.keyId,
          secret: account.secret,
          principalId: `${account.accountId}-bot`,
          accountIds: [account.accountId],
        }),
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: table,
        Item: {
          pk: `account#${account.accountId}`,
          // A margin account that may sell short (most scenarios sell what they never bought).
          cash: '1000000',
          multiplier: '2',
          shortingEnabled: true,
          riskLimits: { maxOrdersPerSecond: 100 },
          ...account.settings,
        },
      }),
    );
  });
}

/**
 * Local mode for a file of trading scenarios: sessions every day and the close 12 hours away, so
 * no DAY order meets a close while the file runs; handler logs to `OMS_E2E_LOG` (or nowhere).
 */
export async function startTradingDayOms(
  options: Partial<LocalOmsOptions> = {},
): Promise<{ oms: LocalOms; http: OmsHttp }> {
  const oms = await startLocalOms({
    // Only the warm-up order's path, on its own account: warming every function costs about 45 s
    // of CPU on 2 cores against 12 s, and three files start such a local mode during `npm test`,
    // which is CPU-bound (stop 42: 729 s on a quiet machine). A function off that path starts on
    // its first call, cold, well within its init timeout; the tests wait on conditions.
    warmUp: 'order',
    ...options,
    port: 0,
    sessionClose: newYorkTime(Date.now() + 12 * 3600_000),
    sessionDays: EVERY_DAY,
    logFile: process.env.OMS_E2E_LOG ?? '/dev/null',
  });
  return { oms, http: OmsHttp.forDemo(oms) };
}

/** How many times warmOrder sends its order when the answer is a 5xx. */
export const WARM_ORDER_ATTEMPTS = 3;

/**
 * One marketable IOC order through the whole filled path: every step's code runs once. This is the
 * first request of a local mode started without its warm-up: cold processes and a cold DynamoDB
 * Local JVM on 2 loaded cores can take the POST past its function's 10 s timeout (CI of stop 40,
 * a 500). A 5xx is retried as a client would, with the same `client_order_id`, which gets the same
 * order back if the timed-out attempt placed it (README, POST /v2/orders): never a second order.
 */
export async function warmOrder(http: OmsHttp, attempts = WARM_ORDER_ATTEMPTS): Promise<void> {
  await http.pinQuote('E2EWARM', { bid: '10.00', ask: '10.01', ask_size: '1000' });
  const order = {
    symbol: 'E2EWARM',
    qty: '1',
    side: 'buy',
    type: 'market',
    time_in_force: 'ioc',
    client_order_id: `e2e-warm-${randomUUID()}`,
  };
  for (let attempt = 1; ; attempt++) {
    const res = await http.request<Order>('POST', '/v2/orders', order);
    if (res.status >= 500 && attempt < attempts) continue;
    if (res.status !== 200)
      throw new Error(
        `POST /v2/orders (warm order, attempt ${attempt}): expected 200, got ${res.status} ${JSON.stringify(res.body)}`,
      );
    http.orders.add(res.body.id);
    await http.untilStatus(res.body.id, 'filled', 120_000);
    return;
  }
}

/** An upper bound for a beforeAll that starts its own local mode (startAhead's attempts included). */
export const OWN_OMS_START_BOUND_MS = 300_000;

/**
 * A local mode whose session time (`at`, whole seconds) lies `leadMs` after its start, warmed by
 * one order, with at least `minLeftMs` still ahead once it is ready. When start-up ate the lead (a
 * loaded machine), it stops and starts again with a lead of 1.5 x the start-up it measured plus
 * `minLeftMs`: it waits on the condition (enough time left), not on a fixed budget.
 */
export async function startAhead(
  leadMs: number,
  minLeftMs: number,
  options: (at: number) => Partial<LocalOmsOptions>,
  attempts = 3,
): Promise<{ oms: LocalOms; http: OmsHttp; at: number }> {
  let lead = leadMs;
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const at = Math.ceil((started + lead) / 1000) * 1000;
    // Its own warm-up order below instead of local mode's (which also loads every function): a
    // shorter start, so the lead is rarely eaten.
    const oms = await startLocalOms({
      port: 0,
      sessionDays: EVERY_DAY,
      logFile: process.env.OMS_E2E_LOG ?? '/dev/null',
      warmUp: false,
      ...options(at),
    });
    const http = OmsHttp.forDemo(oms);
    await warmOrder(http);
    if (at - Date.now() >= minLeftMs || attempt >= attempts) return { oms, http, at };
    await oms.stop();
    lead = Math.ceil((Date.now() - started) * 1.5) + minLeftMs;
  }
}

/**
 * A file with its own local mode (`@own-local-mode`) that also drives the shared one takes the
 * shared local mode's lock here, once its own is up (environment.js); the lock goes back at the
 * file's end, or with `unlockSharedOms()`.
 */
export async function lockSharedOms(): Promise<void> {
  const lock = (globalThis as { omsE2ELockShared?: () => Promise<void> }).omsE2ELockShared;
  if (lock === undefined)
    throw new Error('lockSharedOms: only a file with @own-local-mode takes the lock itself (environment.js)');
  await lock();
}

export function unlockSharedOms(): void {
  (globalThis as { omsE2EUnlockShared?: () => void }).omsE2EUnlockShared?.();
}

/** The shared local mode's address (test/e2e/global-setup.js, OMS_E2E_SHARED_FILE). */
export interface SharedOms {
  readonly apiUrl: string;
  readonly apiKeyId: string;
  readonly apiSecretKey: string;
  readonly dynamoDbEndpoint: string;
  /** Local mode's AWS endpoint (EventBridge PutEvents, Step Functions) and the OMS bus's name. */
  readonly awsEndpointUrl?: string;
  readonly eventBusName?: string;
  readonly marketTable: string;
  readonly accountsTable: string;
  /** The simulated venues' book (their orders: what a venue works, whatever the OMS believes). */
  readonly venueOrdersTable: string;
  /** Where local mode writes the warehouse's Parquet (`npm run analytics` reads it). */
  readonly warehouseDir?: string;
  /** Where local mode writes the CAT-shaped export (`POST /local/regulatory-export`). */
  readonly auditDir?: string;
  /** Nothing to stop: the global teardown stops the shared local mode. */
  stop(): Promise<void>;
}

/**
 * The trading-day local mode the e2e files share (started once, warmed, by the e2e project's
 * globalSetup). A file that needs other settings (a venue without stops, a close minutes away)
 * starts its own with `startTradingDayOms(options)` or `startLocalOms`. Each file trades its own
 * symbols and keeps its own `OmsHttp.orders`; files run one at a time (a file that changes the
 * venue's controls restores them before it ends).
 */
export async function sharedTradingDayOms(): Promise<{ oms: SharedOms; http: OmsHttp }> {
  const shared = await sharedOmsAddress();
  const oms: SharedOms = { ...shared, stop: async () => undefined };
  return { oms, http: new OmsHttp(oms.apiUrl, oms.apiKeyId, oms.apiSecretKey) };
}

/** How long a file waits for the shared local mode to be ready (global-setup.js's own bound). */
const SHARED_READY_TIMEOUT_MS = 300_000;

/**
 * The shared local mode's address, once it is ready: the e2e project's globalSetup starts it
 * without waiting (its warm-up overlaps unit files) and writes the file OMS_E2E_SHARED_FILE names
 * when it is ready, or why it did not start.
 */
async function sharedOmsAddress(): Promise<Omit<SharedOms, 'stop'>> {
  const file = process.env.OMS_E2E_SHARED_FILE;
  if (file === undefined || file === '') {
    throw new Error('OMS_E2E_SHARED_FILE is not set: run e2e files through jest (the e2e project starts it)');
  }
  const outcome = await awaitOutcomeFile<{ shared?: Omit<SharedOms, 'stop'>; error?: string }>(
    file,
    SHARED_READY_TIMEOUT_MS,
    'the shared local mode',
  );
  if (outcome.shared !== undefined) return outcome.shared;
  throw new Error(outcome.error ?? `the shared local mode did not start (${file})`);
}

/** One event for `putOnOmsBus`: its source, detail-type and detail (JSON-encoded on the way). */
export interface BusEntry {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

/**
 * Puts events on a local mode's OMS bus as a producer would (local mode has no IAM to stop a test
 * putting any source); the bus must accept every one.
 */
export async function putOnOmsBus(
  oms: Pick<SharedOms, 'awsEndpointUrl' | 'eventBusName'>,
  entries: readonly BusEntry[],
): Promise<void> {
  const bus = new EventBridgeClient({
    endpoint: oms.awsEndpointUrl,
    region: LOCAL_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const out = await bus.send(
      new PutEventsCommand({
        Entries: entries.map((e) => ({
          EventBusName: oms.eventBusName,
          Source: e.source,
          DetailType: e.detailType,
          Detail: JSON.stringify(e.detail),
        })),
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`the bus refused: ${JSON.stringify(out.Entries)}`);
  } finally {
    bus.destroy();
  }
}
