/**
 * Reconciliation with the venues (issue 16; EventBridge schedule, every 5 minutes; local mode runs
 * it every few seconds from start-up, so a local mode restarted on its data directory reconciles
 * at once). Each pass asks every venue, through the venue port's status queries, what it works
 * (`openOrders`) and what it executed since the last pass (`executionsSince`), sets that against
 * the OMS's own orders, and does what the core decides (core reconciliation.ts `reconcileOrder`):
 * - every break is recorded on its order (`OrderBreakFound`, once per break: a later pass finds it
 *   recorded), logged and counted (`ReconciliationBreaks`);
 * - a repair is carried out through the paths the venue's own answers take: a missed fill is
 *   applied as its execution report would have been, under the venue's exec id (the real report
 *   arriving later is a duplicate); a close the OMS missed is applied as the venue's report
 *   (`<orderId>:reconciliation:<execType>`); an order the OMS has closed but the venue still works
 *   is canceled at the venue;
 * - a break without a safe repair stays open for an operator (`ReconciliationOpenBreaks`, alarmed);
 *   an order the venue works under an id the OMS has no record of (`UNKNOWN_AT_OMS`) has no order
 *   to be recorded on: it is kept in the orders table as `break#UNKNOWN_AT_OMS#<venue>#<id>`.
 *
 * Which orders are compared: every order a venue works, every order with an execution since the
 * last pass, and every order the OMS has open (the accounts' open-order index); for an order the
 * OMS works that its venue does not list, the venue is asked about that one order before anything
 * is decided. The pass's cursor (`reconciliation#cursor` in the orders table) is where the next
 * pass's executions start, with an overlap: an execution seen twice is recognised by its exec id.
 * Per order: nothing on any order's path; a pass reads each compared order's events once, and a
 * replacement's chain (the orders it replaces) when the venue lists under it executions it does not
 * know itself: the fills it carries, applied on the order replaced (core `carriedExecutions`).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import {
  type BreakType,
  carriedExecutionsNeeded,
  carriedExecutionsOf,
  type Execution,
  formatNanos,
  isSettled,
  type OrderState,
  type PositionBreak,
  type PositionFact,
  type ReconciliationBreak,
  reconcilable,
  reconcileOrder,
  reconcilePositions,
  unacknowledgedLong,
  type VenueFill,
  type VenueOrderFacts,
} from '../core/index.js';
import { type EventStore, runCommand } from '../event-store/event-store.js';
import { LEDGER_PK_PREFIX, ledgerOf } from '../orders/account-ledger.js';
import { OPEN_EXCEPTION_PARTITION, ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { inFlightThresholdFromEnv } from '../platform/in-flight-settings.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { applyReport } from './apply-report.js';
import type { ExecutionReport } from './execution-report.js';
import type { Venue, VenueExecution, VenueOrderStatusReport, VenuePosition } from './venue.js';
import { deployedVenues, eventStore, venueFor } from './wiring.js';

/** The orders-table item that holds where the next pass starts. */
export const RECONCILIATION_CURSOR_KEY = 'reconciliation#cursor';
/** How far back the first pass (no cursor yet) looks for executions. */
export const FIRST_PASS_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** Prefix of the items that keep breaks with no order to be recorded on (`UNKNOWN_AT_OMS`). */
export const UNKNOWN_BREAK_PREFIX = 'break#UNKNOWN_AT_OMS#';

export interface ReconcileDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly ordersTable: string;
  readonly accountsTable: string;
  readonly store: EventStore;
  readonly venues: readonly string[];
  readonly venueFor: (
    name: string,
  ) => Pick<Venue, 'name' | 'cancel' | 'orderStatus' | 'openOrders' | 'executionsSince' | 'positions'>;
  readonly now: () => number;
  readonly thresholdMs: number;
}

export interface ReconciliationResult {
  /** Orders compared. */
  readonly compared: number;
  /** Breaks found this pass (recorded before or not), by type. */
  readonly breaks: Readonly<Partial<Record<BreakType, number>>>;
  /** Repairs carried out. */
  readonly repaired: number;
  /** Breaks left for an operator. */
  readonly open: number;
  /** Orders whose reconciliation failed (retried next pass). */
  readonly failed: number;
}

interface Candidate {
  /** The venue that reported the order (open, or an execution); undefined: only the OMS lists it. */
  venue?: string;
  facts?: VenueOrderStatusReport;
  readonly fills: VenueFill[];
}

async function cursorOf(deps: ReconcileDeps, now: number): Promise<string> {
  const got = await deps.doc.send(
    new GetCommand({
      TableName: deps.ordersTable,
      Key: { orderId: RECONCILIATION_CURSOR_KEY },
      ConsistentRead: true,
    }),
  );
  const through = typeof got.Item?.through === 'string' ? Date.parse(got.Item.through) : Number.NaN;
  // The overlap: an execution the venue recorded just before the last pass ended, written after it.
  const since = Number.isFinite(through) ? through - 2 * deps.thresholdMs : now - FIRST_PASS_LOOKBACK_MS;
  return new Date(since).toISOString();
}

/**
 * Every order the OMS has open, over every account (the accounts' sparse open-order index), and
 * every account's positions (its ledger): one scan of the accounts table gives both.
 */
async function omsOpenOrdersAndPositions(
  deps: ReconcileDeps,
): Promise<{ ids: string[]; positions: PositionFact[] }> {
  const accounts: string[] = [];
  const positions: PositionFact[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.doc.send(
      new ScanCommand({
        TableName: deps.accountsTable,
        FilterExpression: 'begins_with(pk, :p) OR begins_with(pk, :l)',
        ExpressionAttributeValues: { ':p': 'account#', ':l': LEDGER_PK_PREFIX },
        ProjectionExpression: 'pk, positions',
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const i of page.Items ?? []) {
      const pk = String(i.pk);
      if (pk.startsWith('account#')) accounts.push(pk.slice('account#'.length));
      else {
        const accountId = pk.slice(LEDGER_PK_PREFIX.length);
        for (const [symbol, p] of Object.entries(ledgerOf(i).positions))
          positions.push({ accountId, symbol, qty: p.qty });
      }
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  const ids: string[] = [];
  for (const accountId of accounts) {
    let from: Record<string, unknown> | undefined;
    do {
      const page = await deps.doc.send(
        new QueryCommand({
          TableName: deps.ordersTable,
          IndexName: ORDERS_INDEX.byAccountOpen,
          KeyConditionExpression: 'openInAccount = :a',
          ExpressionAttributeValues: { ':a': accountId },
          ProjectionExpression: 'orderId',
          ExclusiveStartKey: from,
        }),
      );
      for (const i of page.Items ?? []) if (typeof i.orderId === 'string') ids.push(i.orderId);
      from = page.LastEvaluatedKey;
    } while (from !== undefined);
  }
  return { ids, positions };
}

function factsOf(report: VenueOrderStatusReport | null | undefined): VenueOrderFacts | null {
  if (report === null || report === undefined) return null;
  return { venueOrderId: report.venueOrderId, status: report.status, filledQty: report.filledQty };
}

function fillOf(e: VenueExecution): VenueFill {
  return { execId: e.execId, lastQty: e.lastQty, lastPx: e.lastPx, transactTime: e.transactTime };
}

/** The report the venue's lost answer would have been. */
function repairReport(
  b: ReconciliationBreak,
  state: OrderState,
  venue: string,
  venueOrderId: string,
  venueFilledQty: string | null,
  at: string,
): ExecutionReport | null {
  const base = { venue, orderId: state.orderId, venueOrderId };
  switch (b.repair.kind) {
    case 'apply_fill':
      return {
        ...base,
        execId: b.repair.fill.execId,
        execType: 'fill',
        lastQty: b.repair.fill.lastQty,
        lastPx: b.repair.fill.lastPx,
        transactTime: b.repair.fill.transactTime,
      };
    case 'apply_close':
      return {
        ...base,
        execId: `${state.orderId}:reconciliation:${b.repair.execType}`,
        execType: b.repair.execType,
        // The venue's CumQty: its missed fills are applied first, then this close.
        cumQty: venueFilledQty ?? formatNanos(state.filledQty),
        ...(b.repair.execType === 'canceled' ? { reason: b.repair.reason } : {}),
        transactTime: at,
      };
    default:
      return null;
  }
}

/**
 * Keeps a break that has no order to be recorded on as an item of its own (`id`, `break#...`),
 * listed by the exceptions view until an operator resolves it; true when it is new, false when
 * the same break was kept before (whatever became of it).
 */
async function keepBreakItem(
  deps: ReconcileDeps,
  id: string,
  fields: Record<string, unknown>,
  at: string,
): Promise<boolean> {
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.ordersTable,
        Item: {
          orderId: id,
          kind: 'reconciliation_break',
          ...fields,
          foundAt: at,
          exceptionOpen: OPEN_EXCEPTION_PARTITION,
          createdKey: `${at}#${id}`,
        },
        ConditionExpression: 'attribute_not_exists(orderId)',
      }),
    );
    return true;
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    return false;
  }
}

async function recordUnknown(
  deps: ReconcileDeps,
  venue: string,
  b: ReconciliationBreak,
  at: string,
): Promise<void> {
  await keepBreakItem(
    deps,
    `${UNKNOWN_BREAK_PREFIX}${venue}#${b.orderId}`,
    { breakType: b.type, venue, venueClOrdId: b.orderId, detail: b.detail },
    at,
  );
}

/**
 * The venues' positions against the OMS's ledgers (core `reconcilePositions`); each difference is
 * kept as `break#POSITION_MISMATCH#<account>#<symbol>#<venue qty>#<OMS qty>` in the orders table
 * (no order to record it on), listed by the exceptions view until an operator resolves it. Only
 * when every venue reports positions: the OMS's position sums every venue's executions. Returns the
 * breaks still open (found now, or found before and not resolved).
 */
async function reconcileVenuePositions(
  deps: ReconcileDeps,
  omsPositions: readonly PositionFact[],
  unsettled: ReadonlySet<string>,
): Promise<PositionBreak[]> {
  const venues = deps.venues.map((name) => deps.venueFor(name));
  if (venues.some((v) => v.positions === undefined)) return [];
  const reported = await Promise.all(
    venues.map((v): Promise<VenuePosition[]> => (v.positions ? v.positions() : Promise.resolve([]))),
  );
  const now = deps.now();
  const found = reconcilePositions({
    venues: reported,
    oms: omsPositions,
    unsettled,
    now,
    thresholdMs: deps.thresholdMs,
  });
  const at = new Date(now).toISOString();
  const open: PositionBreak[] = [];
  for (const b of found) {
    const id = `break#${b.key}`;
    const fields = {
      breakType: b.type,
      venue: deps.venues.join(','),
      accountId: b.accountId,
      symbol: b.symbol,
      venueQty: b.venueQty,
      omsQty: b.omsQty,
      detail: b.detail,
    };
    if (await keepBreakItem(deps, id, fields, at)) {
      logger.error('reconciliation break left for an operator', { breakType: b.type, detail: b.detail });
      open.push(b);
      continue;
    }
    // Found before: still open unless an operator resolved it (a resolved difference that
    // persists is not raised again; a new difference is a new break).
    const got = await deps.doc.send(
      new GetCommand({
        TableName: deps.ordersTable,
        Key: { orderId: id },
        ProjectionExpression: 'exceptionOpen',
        ConsistentRead: true,
      }),
    );
    if (got.Item?.exceptionOpen !== undefined) open.push(b);
  }
  return open;
}

/**
 * What a replacement carries: the executions the OMS applied on the orders it replaces, back to the
 * first (one read of each; a replace chain is short, and read only when the venue lists an
 * execution the replacement does not know itself: core `carriedExecutionsNeeded`).
 */
async function carriedExecutionsFor(
  store: EventStore,
  state: OrderState,
): Promise<ReadonlyMap<string, Execution>> {
  const chain: OrderState[] = [];
  const seen = new Set([state.orderId]);
  for (let id = state.replaces; id !== null && !seen.has(id); ) {
    seen.add(id);
    const { state: replaced } = await store.loadState(id);
    if (replaced === undefined) break;
    chain.push(replaced);
    id = replaced.replaces;
  }
  return carriedExecutionsOf(chain);
}

/** Reconciles one order; the breaks found, and how many were repaired. Throws on a failure. */
async function reconcileOne(
  deps: ReconcileDeps,
  orderId: string,
  c: Candidate,
): Promise<{ breaks: ReconciliationBreak[]; repaired: number; skipped?: boolean; pair?: string }> {
  const { state } = await deps.store.loadState(orderId);
  const pair = state === undefined ? undefined : `${state.accountId}#${state.spec.symbol.toUpperCase()}`;
  const now = deps.now();
  const at = new Date(now).toISOString();
  const venueName = c.venue ?? state?.venue ?? undefined;
  if (venueName === undefined) return { breaks: [], repaired: 0 };
  // In flight (or not the venue's): nothing to ask the venue about yet; its executions are kept in
  // the next pass's window (`skipped`). Except an order sent long ago and never acknowledged: the
  // venue is asked about it on its own (core `unacknowledgedLong`), and it stays `skipped` unless
  // that closes it.
  const unacknowledged = state !== undefined && unacknowledgedLong(state, now, deps.thresholdMs);
  if (state !== undefined && !unacknowledged && !reconcilable(state, now, deps.thresholdMs))
    return { breaks: [], repaired: 0, skipped: true, ...(pair === undefined ? {} : { pair }) };
  const stillInFlight = (done: { repaired: number }) =>
    unacknowledged && done.repaired === 0 ? { skipped: true } : {};
  const venue = deps.venueFor(venueName);
  // A replacement's executions the venue lists that are its chain's (FIX CumQty spans the chain).
  const carried =
    state !== undefined && carriedExecutionsNeeded(state, c.fills)
      ? { carriedExecutions: await carriedExecutionsFor(deps.store, state) }
      : {};
  let facts = c.facts;
  // An order the venue did not list as open: ask the venue about it, unless both agree it is closed.
  if (facts === undefined && state !== undefined && (!isSettled(state) || c.fills.length > 0)) {
    if (state.venueOrderId === null && !unacknowledged) return { breaks: [], repaired: 0 };
    facts = (await venue.orderStatus(orderId)) ?? undefined;
    if (facts === undefined) {
      const breaks = reconcileOrder({
        orderId,
        state,
        venue: null,
        executions: c.fills,
        now,
        thresholdMs: deps.thresholdMs,
        ...carried,
      });
      const done = await act(deps, state, venue, breaks, state.venueOrderId ?? orderId, null, at);
      return { ...done, ...stillInFlight(done), pair };
    }
  }
  const breaks = reconcileOrder({
    orderId,
    state,
    venue: factsOf(facts),
    executions: c.fills,
    now,
    thresholdMs: deps.thresholdMs,
    ...carried,
  });
  if (state === undefined) {
    for (const b of breaks) await recordUnknown(deps, venueName, b, at);
    return { breaks, repaired: 0 };
  }
  const done = await act(
    deps,
    state,
    venue,
    breaks,
    facts?.venueOrderId ?? state.venueOrderId ?? orderId,
    facts?.filledQty ?? null,
    at,
  );
  return { ...done, ...stillInFlight(done), pair };
}

async function act(
  deps: ReconcileDeps,
  state: OrderState,
  venue: Pick<Venue, 'name' | 'cancel'>,
  breaks: ReconciliationBreak[],
  venueOrderId: string,
  venueFilledQty: string | null,
  at: string,
): Promise<{ breaks: ReconciliationBreak[]; repaired: number }> {
  let repaired = 0;
  for (const b of breaks) {
    await runCommand(
      deps.store,
      state.orderId,
      { type: 'recordBreak', breakType: b.type, key: b.key, detail: b.detail, repair: b.repair.kind },
      (s) => ({ accountId: s.accountId, correlationId: s.orderId, causationId: `reconciliation:${b.key}` }),
      deps.now,
    );
    const log = {
      orderId: state.orderId,
      venue: venue.name,
      breakType: b.type,
      repair: b.repair.kind,
      detail: b.detail,
    };
    if (b.repair.kind === 'none') {
      logger.error('reconciliation break left for an operator', log);
      continue;
    }
    logger.warn('reconciliation break repaired', log);
    if (b.repair.kind === 'cancel_at_venue') await venue.cancel(state.orderId, 'reconciliation');
    else {
      const report = repairReport(b, state, venue.name, venueOrderId, venueFilledQty, at);
      if (report !== null) await applyReport(deps.store, report, deps.now);
    }
    repaired++;
  }
  return { breaks, repaired };
}

export async function reconcileVenues(deps: ReconcileDeps): Promise<ReconciliationResult> {
  const startedAt = deps.now();
  const since = await cursorOf(deps, startedAt);
  const candidates = new Map<string, Candidate>();
  const candidate = (id: string): Candidate => {
    let c = candidates.get(id);
    if (c === undefined) {
      c = { fills: [] };
      candidates.set(id, c);
    }
    return c;
  };
  for (const name of deps.venues) {
    const venue = deps.venueFor(name);
    const [open, executions] = await Promise.all([venue.openOrders(), venue.executionsSince(since)]);
    for (const r of open) Object.assign(candidate(r.orderId), { venue: name, facts: r });
    for (const e of executions) {
      const c = candidate(e.orderId);
      c.venue ??= name;
      c.fills.push(fillOf(e));
    }
  }
  const oms = await omsOpenOrdersAndPositions(deps);
  for (const id of oms.ids) candidate(id);

  const breaks: Partial<Record<BreakType, number>> = {};
  let repaired = 0;
  let open = 0;
  let failed = 0;
  // The earliest execution of an order not compared this pass (in flight, or failed): the next
  // pass's window must still hold it, or a difference in it would never be seen.
  let keepFrom = startedAt;
  const keep = (c: Candidate) => {
    for (const f of c.fills) keepFrom = Math.min(keepFrom, Date.parse(f.transactTime) || keepFrom);
  };
  // Account and symbol pairs whose position may still move: an order not compared (in flight), or
  // repaired this pass (its fill reaches the ledger after the pass).
  const unsettled = new Set<string>();
  for (const [orderId, c] of candidates) {
    try {
      const done = await reconcileOne(deps, orderId, c);
      if (done.skipped === true) keep(c);
      if (done.pair !== undefined && (done.skipped === true || done.repaired > 0)) unsettled.add(done.pair);
      for (const b of done.breaks) {
        breaks[b.type] = (breaks[b.type] ?? 0) + 1;
        if (b.repair.kind === 'none') open++;
      }
      repaired += done.repaired;
    } catch (err) {
      failed++;
      keep(c);
      logger.error('reconciliation failed for an order', { orderId, error: err as Error });
    }
  }
  // Positions (POSITION_MISMATCH), when every venue reports them and every order was compared.
  const positionBreaks = failed === 0 ? await reconcileVenuePositions(deps, oms.positions, unsettled) : [];
  for (const b of positionBreaks) {
    breaks[b.type] = (breaks[b.type] ?? 0) + 1;
    open++;
  }
  // The next pass starts where this one did (less the overlap), or at the earliest execution of an
  // order it could not compare: every execution is compared at least once.
  await deps.doc.send(
    new PutCommand({
      TableName: deps.ordersTable,
      Item: {
        orderId: RECONCILIATION_CURSOR_KEY,
        through: new Date(Math.min(startedAt, keepFrom + 2 * deps.thresholdMs)).toISOString(),
      },
    }),
  );
  return { compared: candidates.size, breaks, repaired, open, failed };
}

export async function handler(_event: unknown, context?: Context): Promise<ReconciliationResult> {
  if (context !== undefined) logger.addContext(context);
  try {
    const result = await reconcileVenues({
      doc: dynamo,
      ordersTable: requiredEnv(ENV.ordersTable),
      accountsTable: requiredEnv(ENV.accountsTable),
      store: eventStore(),
      venues: deployedVenues(),
      venueFor,
      now: Date.now,
      thresholdMs: inFlightThresholdFromEnv(),
    });
    const found = Object.values(result.breaks).reduce((a, b) => a + (b ?? 0), 0);
    metrics.addMetric('ReconciliationOrdersCompared', MetricUnit.Count, result.compared);
    metrics.addMetric('ReconciliationBreaks', MetricUnit.Count, found);
    metrics.addMetric('ReconciliationRepairs', MetricUnit.Count, result.repaired);
    metrics.addMetric('ReconciliationOpenBreaks', MetricUnit.Count, result.open);
    metrics.addMetric('ReconciliationFailures', MetricUnit.Count, result.failed);
    if (found > 0 || result.failed > 0) logger.info('reconciliation pass', { ...result });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
}
