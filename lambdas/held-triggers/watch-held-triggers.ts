/**
 * Held-trigger watcher (EventBridge schedule, every minute): the stops the OMS holds for venues
 * without them (phase `armed`, see lambdas/core/trigger.ts) trigger here. Each run scans the sparse
 * GSI `byArmedSymbol` of the orders read model, reads each symbol's quote from MARKET_TABLE once
 * (BatchGetItem), and checks every armed order against it (core `heldTriggerCommands`): a trailing
 * stop's better mark is recorded (`OrderTrailMoved`), a triggered stop gets `OrderTriggered` (its
 * workflow then sends it to the venue), an IOC/FOK stop that does not trigger is canceled.
 *
 * The view only says where to look: it can lag the event store. An order whose check on the view
 * records something is decided again on its events (consistent read): an order no longer armed is
 * skipped (logged at info), and its events are appended in ONE conditional write, so a concurrent
 * watcher or writer makes this one decide again on the fresh state and nothing is recorded twice.
 * A symbol without a readable quote is skipped (logged). One order's failure does not stop the
 * others; the run throws at the end if any failed, so it shows as an error (the next run re-checks).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  decideHeldTrigger,
  formatNanos,
  fullQuote,
  type HeldTrigger,
  heldTriggerCommands,
  ORDER_TYPES,
  type OrderEvent,
  SIDES,
  TIMES_IN_FORCE,
  type TriggerQuote,
} from '../core/index.js';
import '../core/zod-messages.js';
import { type EventStore, eventStore, runDecision } from '../event-store/event-store.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { type MarketData, marketData } from '../platform/market-data.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';

export const ARMED_INDEX = ORDERS_INDEX.byArmedSymbol;
/** Orders checked at once. */
const CONCURRENCY = 10;
/** Decide-and-append attempts per order when other writers keep appending first. */
const APPEND_ATTEMPTS = 8;

export interface WatchDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly store: EventStore;
  readonly ordersTable: string;
  /** Quotes (the market data port). */
  readonly market: MarketData;
  readonly now: () => number;
  /** What caused the events this run appends (the invocation). */
  readonly causationId: string;
}

export interface WatchSummary {
  /** Armed orders the index listed. */
  readonly armed: number;
  readonly triggered: number;
  readonly trailMoved: number;
  readonly canceled: number;
  /** No quote for the symbol, or the event store says the order is no longer armed. */
  readonly skipped: number;
  readonly failed: number;
}

export interface WatchResult {
  readonly summary: WatchSummary;
  readonly failures: readonly { readonly orderId: string; readonly error: string }[];
}

const decimalText = z.pipe(z.union([z.string(), z.number()]), z.transform(String));
const optionalDecimal = z.pipe(
  z.nullish(decimalText),
  z.transform((v: string | null | undefined) => v ?? null),
);

/** The parts of a `byArmedSymbol` item (an orders view item) the watcher reads. */
const armedItem = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  armedSymbol: z.string().check(z.minLength(1)),
  order: z.looseObject({
    side: z.enum(SIDES),
    type: z.enum(ORDER_TYPES),
    time_in_force: z.enum(TIMES_IN_FORCE),
    stop_price: optionalDecimal,
    trail_price: optionalDecimal,
    trail_percent: optionalDecimal,
    hwm: optionalDecimal,
  }),
});
type ArmedItem = z.output<typeof armedItem>;

function triggerOfView(o: ArmedItem['order']): HeldTrigger {
  return {
    side: o.side,
    type: o.type,
    stopPrice: o.stop_price,
    trailPrice: o.trail_price,
    trailPercent: o.trail_percent,
    hwm: o.hwm,
  };
}

async function scanArmed(deps: WatchDeps): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.doc.send(
      new ScanCommand({ TableName: deps.ordersTable, IndexName: ARMED_INDEX, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The readable quotes of `symbols` through the market data port (a symbol without one is absent). */
async function readQuotes(deps: WatchDeps, symbols: readonly string[]): Promise<Map<string, TriggerQuote>> {
  const quotes = new Map<string, TriggerQuote>();
  for (const [symbol, q] of await deps.market.quotes(symbols)) {
    const full = fullQuote(q);
    if (full === null) logger.warn('unreadable quote: its armed orders are not checked', { symbol });
    else
      quotes.set(symbol, {
        bid: formatNanos(full.bid),
        ask: formatNanos(full.ask),
        last: formatNanos(full.last),
      });
  }
  return quotes;
}

type Outcome =
  | { readonly kind: 'recorded'; readonly events: readonly OrderEvent[] }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'skipped' };

/**
 * Decides the check again on the order's events (core `decideHeldTrigger`: refused once the order
 * is no longer armed) and appends its events in one conditional write; a concurrent writer makes
 * it decide again on the fresh state (`runDecision`), so nothing is recorded twice.
 */
async function recordOnStore(deps: WatchDeps, orderId: string, quote: TriggerQuote): Promise<Outcome> {
  const result = await runDecision(
    deps.store,
    orderId,
    (state, at) => {
      if (state === undefined) throw new Error(`order ${orderId} is not in the event store`);
      return { decision: decideHeldTrigger(state, quote, at) };
    },
    (state) => ({ accountId: state.accountId, correlationId: orderId, causationId: deps.causationId }),
    deps.now,
    { maxAttempts: APPEND_ATTEMPTS },
  );
  if (!result.decision.ok) {
    // The view lagged: triggered, canceled or replaced meanwhile.
    logger.info('stale view: the order is no longer armed', { orderId, ...result.decision.refusal });
    return { kind: 'skipped' };
  }
  return result.appended.length === 0 ? { kind: 'unchanged' } : { kind: 'recorded', events: result.appended };
}

async function watchOrder(deps: WatchDeps, item: ArmedItem, quote: TriggerQuote): Promise<Outcome> {
  // The view first: most checks record nothing, and then nothing more is read.
  const onView = heldTriggerCommands(triggerOfView(item.order), item.order.time_in_force, quote);
  if (onView.length === 0) return { kind: 'unchanged' };
  return recordOnStore(deps, item.orderId, quote);
}

export async function watchHeldTriggers(deps: WatchDeps): Promise<WatchResult> {
  const raw = await scanArmed(deps);
  const failures: { orderId: string; error: string }[] = [];
  const items: ArmedItem[] = [];
  for (const r of raw) {
    const parsed = armedItem.safeParse(r);
    if (parsed.success) items.push(parsed.data);
    else failures.push({ orderId: String(r.orderId), error: `malformed view item: ${parsed.error.message}` });
  }
  const symbols = [...new Set(items.map((i) => i.armedSymbol))];
  const quotes = symbols.length === 0 ? new Map<string, TriggerQuote>() : await readQuotes(deps, symbols);
  for (const symbol of symbols)
    if (!quotes.has(symbol)) logger.warn('no quote: armed orders of the symbol not checked', { symbol });

  const counts = { triggered: 0, trailMoved: 0, canceled: 0, skipped: 0 };
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as ArmedItem;
      const quote = quotes.get(item.armedSymbol);
      if (quote === undefined) {
        counts.skipped++;
        continue;
      }
      try {
        const outcome = await watchOrder(deps, item, quote);
        if (outcome.kind === 'skipped') counts.skipped++;
        if (outcome.kind !== 'recorded') continue;
        for (const e of outcome.events) {
          if (e.type === 'OrderTrailMoved') counts.trailMoved++;
          else if (e.type === 'OrderTriggered') {
            counts.triggered++;
            logger.info('held stop triggered', { orderId: item.orderId, ...e.data });
          } else if (e.type === 'OrderCanceled') {
            counts.canceled++;
            logger.info('held stop canceled untriggered', { orderId: item.orderId, ...e.data });
          }
        }
      } catch (err) {
        failures.push({ orderId: item.orderId, error: String(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return { summary: { armed: raw.length, ...counts, failed: failures.length }, failures };
}

const METRIC: Record<keyof WatchSummary, string> = {
  armed: 'HeldTriggersArmed',
  triggered: 'HeldTriggersTriggered',
  trailMoved: 'HeldTrailsMoved',
  canceled: 'HeldTriggersCanceled',
  skipped: 'HeldTriggersSkipped',
  failed: 'HeldTriggersFailed',
};

export class HeldTriggerFailures extends Error {
  constructor(readonly failures: WatchResult['failures']) {
    super(`${failures.length} held trigger check(s) failed: ${failures.map((f) => f.orderId).join(', ')}`);
    this.name = 'HeldTriggerFailures';
  }
}

export async function handler(_event: unknown, context?: Context): Promise<WatchSummary> {
  if (context !== undefined) logger.addContext(context);
  try {
    const { summary, failures } = await watchHeldTriggers({
      doc: dynamo,
      store: eventStore(),
      ordersTable: requiredEnv(ENV.ordersTable),
      market: marketData(),
      now: Date.now,
      causationId: `watch-held-triggers:${context?.awsRequestId ?? 'local'}`,
    });
    for (const [key, n] of Object.entries(summary))
      metrics.addMetric(METRIC[key as keyof WatchSummary], MetricUnit.Count, n);
    for (const f of failures) logger.error('held trigger check failed', { ...f });
    if (summary.armed > 0) logger.info('held-trigger watch', { ...summary });
    if (failures.length > 0) throw new HeldTriggerFailures(failures);
    return summary;
  } finally {
    metrics.publishStoredMetrics();
  }
}
