/**
 * Closing positions, Alpaca's (issue 13):
 * - `DELETE /v2/positions/{symbol_or_asset_id}`: places the closing order (market, day, the other
 *   side, `position_intent` buy_to_close / sell_to_close) for the whole position, or `qty` shares,
 *   or `percentage` (0 < p <= 100, rounded down to the nano) of it; answers the order (200), 404
 *   when the account holds no position in the symbol, 422 naming `qty`/`percentage` when they are
 *   invalid, both given, or above the position; 403 "insufficient qty available for order" when
 *   it is more than the position's qty_available, which earlier closes not yet in the read model
 *   also hold (core position-close.ts; concurrent closes: one is placed). The order goes through
 *   the same path and pre-trade risk as POST /v2/orders.
 * - `DELETE /v2/positions`: one closing order per position, answered with Alpaca's 207 list
 *   `{symbol, status, body}` (body: the order, or `{code, message}`). With `cancel_orders=true` every
 *   open order of the account, and every order a position's closing claims name (a close placed a
 *   moment before, not yet in the open listing), is asked to cancel first (as DELETE
 *   /v2/orders/{id} does); the closes then wait, a few seconds at most, until those orders have
 *   closed (canceled, or filled and in the ledger), and size each close on what is left. An order still open then holds its qty: that close is refused (403), never
 *   oversold; an order that filled before its cancel is in the position the close reads.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  type CloseAvailability,
  closeQtyRefusal,
  type FieldError,
  fieldError,
  formatNanos,
  insufficientQty,
  type Nanos,
  notionalSharePrice,
  ONE,
  parseNanos,
  parseSigned9,
  percentageCloseQty,
  referencePriceOf,
} from '../core/index.js';
import { closingClaimsPut, readClosingClaims } from '../orders/closing-claims.js';
import { viewAttribute } from '../orders/order-views.js';
import { type PlaceOrderResult, placeOrder } from '../orders/orders-service.js';
import { awaitPendingExecutions, ledgerSeqOf, pendingExecutionsDeps } from '../orders/pending-executions.js';
import {
  CLOSING_CLAIMS_ATTEMPTS,
  holdingViewsSettled,
  readPositionAvailability,
} from '../orders/position-availability.js';
import { recentOpenViews } from '../orders/recent-views.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { logger } from '../platform/observability.js';
import { type AccountBook, loadAccountBook, symbolOf } from './account-book.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { apiHandler, notFound, placeOrderResponse, unknownParameters } from './http.js';
import { eventStore } from './orders-access.js';
import type { Principal } from './principal.js';
import { requestCancelOfLiveOrder } from './request-cancel.js';

/**
 * How long a close with `cancel_orders=true` waits for a replace awaiting the venue (ms, in turn),
 * and at most for all of them together: long enough for a slow venue's answer (a probe's venue
 * answering after 5 s outlasted the 3.1 s it waited, and the replacement stayed live), short enough
 * for the cancels' wait and the closes after it within the function's 29 s.
 */
const CLOSE_REPLACE_WAIT_MS: readonly number[] = [100, 200, 400, 800, 1600, 3200, 3200];
const CLOSE_REPLACE_WAIT_TOTAL_MS = 9_500;

/** The waits of `waits` that fit in `budgetMs` (a prefix: each wait whole). */
function waitsWithin(waits: readonly number[], budgetMs: number): number[] {
  const out: number[] = [];
  let left = budgetMs;
  for (const w of waits) {
    if (w > left) break;
    out.push(w);
    left -= w;
  }
  return out;
}
/**
 * Until when (ms after close-all began) a refused close may still wait for the views of the orders
 * holding its shares (`holdingViewsSettled`, up to 1.55 s each): the cancels' waits above take up
 * to 17.5 s of the function's 29, and the closes follow one symbol after another.
 */
const CLOSE_ALL_VIEW_WAITS_UNTIL_MS = 22_000;
/** How long close-all waits for the orders it asked to cancel to close (ms, in turn). */
const CANCELS_SETTLE_WAIT_MS: readonly number[] = [50, 100, 200, 400, 800, 1200, 1600, 1800, 1850];

type Query = Record<string, string | undefined>;

function positive(name: string, text: string, errors: FieldError[]): Nanos | null {
  const v = parseNanos(text);
  if (v === 'too_precise') {
    // As POST /v2/orders words it for a price or a qty: the number is fine, its precision is not.
    errors.push(fieldError('too_precise', name, `has more than 9 decimal places, got "${text}"`));
    return null;
  }
  if (typeof v !== 'bigint' || v <= 0n) {
    errors.push(fieldError('invalid_value', name, `must be a positive decimal, got "${text}"`));
    return null;
  }
  return v;
}

/** The qty to close of a position of `held` (signed), or the field errors. */
export function closingQty(
  held: Nanos,
  query: Query,
): { ok: true; qty: Nanos } | { ok: false; errors: FieldError[] } {
  const size = held < 0n ? -held : held;
  const errors: FieldError[] = [];
  const qtyText = query.qty;
  const pctText = query.percentage;
  if (qtyText !== undefined && pctText !== undefined) {
    errors.push(fieldError('conflict', 'qty', 'give qty or percentage, not both'));
    return { ok: false, errors };
  }
  if (qtyText !== undefined) {
    const qty = positive('qty', qtyText, errors);
    if (qty !== null && qty > size)
      errors.push(fieldError('invalid_value', 'qty', `must not exceed the position's ${formatNanos(size)}`));
    const refusal = qty === null || errors.length > 0 ? null : closeQtyRefusal(held, qty);
    if (refusal !== null) errors.push(fieldError('invalid_value', 'qty', refusal));
    return errors.length > 0 || qty === null ? { ok: false, errors } : { ok: true, qty };
  }
  if (pctText !== undefined) {
    const pct = positive('percentage', pctText, errors);
    if (pct !== null && pct > 100n * ONE)
      errors.push(fieldError('invalid_value', 'percentage', 'must be at most 100'));
    if (errors.length > 0 || pct === null) return { ok: false, errors };
    // Rounded down, to whole shares for a position in whole shares (core percentageCloseQty).
    const qty = percentageCloseQty(size, pct);
    if (qty === null) {
      errors.push(
        fieldError(
          'invalid_value',
          'percentage',
          size % ONE === 0n
            ? `closes less than one share of the position's ${formatNanos(size)} (a position in whole shares is closed in whole shares)`
            : 'closes less than the smallest quantity',
        ),
      );
      return { ok: false, errors };
    }
    return { ok: true, qty };
  }
  return { ok: true, qty: size };
}

function closingBody(symbol: string, held: Nanos, qty: Nanos): Record<string, unknown> {
  return {
    symbol,
    qty: formatNanos(qty),
    side: held > 0n ? 'sell' : 'buy',
    type: 'market',
    time_in_force: 'day',
    position_intent: held > 0n ? 'sell_to_close' : 'buy_to_close',
  };
}

/**
 * Reads one close attempt decides on (orders/position-availability.ts): the claims, the claimed
 * orders' views, the open listing and the account's placements the listing lacks yet, the ledger
 * last. A quote is read only when a notional order holds the position (its shares at the bid).
 */
function closeAvailabilityOf(accountId: string, symbol: string, now: number, consistentHoldings: boolean) {
  return readPositionAvailability(dynamo, accountId, symbol, now, {
    store: eventStore(),
    consistentHoldings,
    price: async () => {
      const quote = await marketData().quote(symbol);
      const reference = referencePriceOf(quote);
      return notionalSharePrice(
        'sell',
        reference === null ? null : parseSigned9(reference),
        quote?.bid ?? null,
        quote?.ask ?? null,
      );
    },
  });
}

/**
 * Alpaca's refusal of a close beyond the position's qty_available (403, 40310000), with the
 * numbers it answers along.
 */
function insufficientQtyResponse(symbol: string, requested: Nanos, a: CloseAvailability) {
  const answer = insufficientQty(symbol, requested, {
    available: a.available,
    position: a.size,
    held: a.held,
  });
  return apiError(403, API_ERROR.riskRefused, answer.message, answer.fields);
}

async function closeOne(
  principal: Principal,
  requestId: string,
  symbol: string,
  query: Query,
  deadline?: number,
): Promise<APIGatewayProxyStructuredResultV2> {
  let result: PlaceOrderResult | undefined;
  // A fill the client has seen may not be in the ledger yet (orders/pending-executions.ts): before
  // answering that the position does not exist, or is smaller than asked, it is waited for once.
  let awaited = false;
  let viewsAwaited = false;
  const readAgain = async (now: number, ledgerSeq: number) => {
    if (awaited) return false;
    awaited = true;
    await awaitPendingExecutions(pendingExecutionsDeps(dynamo, eventStore()), principal.accountId, now, {
      symbol,
    });
    return (await ledgerSeqOf(dynamo, requiredEnv(ENV.accountsTable), principal.accountId)) !== ledgerSeq;
  };
  for (let attempt = 1; attempt <= CLOSING_CLAIMS_ATTEMPTS; attempt++) {
    const now = Date.now();
    const read = await closeAvailabilityOf(principal.accountId, symbol, now, viewsAwaited);
    const held = read.position;
    if (held === null) {
      if (await readAgain(now, read.ledgerSeq)) continue;
      return notFound('position');
    }
    const qty = closingQty(held, query);
    if (!qty.ok) return fieldErrors(qty.errors);
    const { availability } = read;
    if (qty.qty > availability.available) {
      if (await readAgain(now, read.ledgerSeq)) continue;
      // A fill counted twice, in the ledger and in a holding order's view a moment behind it
      // (not when closing every position leaves too little of the function's time for the wait).
      if (!viewsAwaited && (deadline === undefined || Date.now() < deadline)) {
        viewsAwaited = true;
        if (await holdingViewsSettled(dynamo, eventStore(), read)) continue;
      }
      return insufficientQtyResponse(symbol, qty.qty, availability);
    }
    result = await placeOrder({
      accountId: principal.accountId,
      body: closingBody(symbol, held, qty.qty),
      requestId,
      now,
      source: 'api',
      closingClaims: (orderId) =>
        closingClaimsPut(
          requiredEnv(ENV.idempotencyTable),
          principal.accountId,
          symbol,
          read.claims,
          availability.claims,
          { orderId, side: availability.side, qty: qty.qty, placedAt: now },
        ),
    });
    if (result.kind !== 'closing_claims_changed') break;
  }
  return placeOrderResponse(result as PlaceOrderResult);
}

/**
 * `DELETE /v2/positions`'s query: `cancel_orders` (true or false). Any other parameter is refused
 * (400), not ignored; `qty` and `percentage` too: they size one position's close, and a bot that
 * sent them here (a probe: `percentage=101`) had every position closed whole. (The refusal named
 * `qty` and `percentage` among what the route takes: a probe.)
 */
export function closeAllParams(
  query: Query,
): { ok: true; cancelOrders: boolean } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = unknownParameters(query, ['cancel_orders']);
  // In any case: alpaca-py's close_all_positions(cancel_orders=True) sends `True` (no letter
  // outside ASCII lower-cases into true or false).
  const cancelOrders = query.cancel_orders?.toLowerCase();
  if (cancelOrders !== undefined && cancelOrders !== 'true' && cancelOrders !== 'false')
    errors.push(fieldError('invalid_value', 'cancel_orders', 'must be true or false'));
  return errors.length > 0 ? { ok: false, errors } : { ok: true, cancelOrders: cancelOrders === 'true' };
}

async function closeAll(book: AccountBook, principal: Principal, requestId: string, query: Query) {
  const started = Date.now();
  const params = closeAllParams(query);
  if (!params.ok) return fieldErrors(params.errors, 400);
  if (params.cancelOrders) {
    const idempotency = requiredEnv(ENV.idempotencyTable);
    // A close placed a moment before is not in the open listing yet: its claim names it.
    const claimed = await Promise.all(
      Object.keys(book.ledger.positions).map((symbol) =>
        readClosingClaims(dynamo, idempotency, principal.accountId, symbol),
      ),
    );
    // An order placed a moment before is not in the listing either: the account's recent
    // placements name it (orders/recent-placements.ts).
    const unlisted = await recentOpenViews(
      dynamo,
      { idempotency, orders: requiredEnv(ENV.ordersTable), store: eventStore() },
      principal.accountId,
      book.open,
      Date.now(),
    );
    const toCancel = new Set([
      ...[...book.open, ...unlisted].map((o) => o.id),
      ...claimed.flatMap((c) => c.claims.map((x) => x.orderId)),
    ]);
    const canceled: string[] = [];
    const waitingSince = Date.now();
    for (const id of toCancel) {
      // The order or, when a PATCH replaced it, its replacement (a replace awaiting the venue is
      // waited for, all of them together at most CLOSE_REPLACE_WAIT_TOTAL_MS: left live, it holds
      // its qty, and its symbol's close is refused).
      const outcome = await requestCancelOfLiveOrder(
        eventStore(),
        id,
        principal,
        requestId,
        waitsWithin(CLOSE_REPLACE_WAIT_MS, CLOSE_REPLACE_WAIT_TOTAL_MS - (Date.now() - waitingSince)),
      );
      if (outcome.kind === 'replace_outstanding')
        logger.warn('close all: an order with a replace awaiting the venue is left open', { orderId: id });
      else
        canceled.push(
          id,
          ...(outcome.kind === 'cancel_requested' && outcome.orderId !== id ? [outcome.orderId] : []),
        );
    }
    const stillOpen = await untilClosed(canceled, CANCELS_SETTLE_WAIT_MS);
    if (stillOpen.length > 0)
      logger.warn('close all: orders asked to cancel are still open; they hold their qty', { stillOpen });
  }
  // Each close reads the position again (the ledger has every fill of an order no longer listed).
  const out = [];
  const closesDeadline = started + CLOSE_ALL_VIEW_WAITS_UNTIL_MS;
  for (const symbol of Object.keys(book.ledger.positions).sort()) {
    const r = await closeOne(principal, `${requestId}:${symbol}`, symbol, {}, closesDeadline);
    out.push({ symbol, status: r.statusCode ?? 200, body: JSON.parse(r.body ?? 'null') as unknown });
  }
  return json(207, out);
}

/**
 * Waits, at most the sum of `waits`, until every one of `orderIds` has its closed view (canceled,
 * filled, ...); answers the ones still not closed. The views are read consistently by id, so an
 * order placed a moment before, not yet projected, is waited for too; the projector writes the
 * closed view after the position keeper applied the order's fills, so an order closed here has them
 * in the ledger the close reads.
 */
async function untilClosed(orderIds: readonly string[], waits: readonly number[]): Promise<string[]> {
  const ordersTable = requiredEnv(ENV.ordersTable);
  let left = [...new Set(orderIds)];
  for (let i = 0; left.length > 0; i++) {
    const openClosed = await viewAttribute(dynamo, ordersTable, left, 'openClosed', true);
    left = left.filter((id) => openClosed.get(id) !== 'closed');
    const wait = waits[i];
    if (left.length === 0 || wait === undefined) break;
    await sleep(wait);
  }
  return left;
}

export const handler = apiHandler(
  'ClosePositions',
  async (event, principal) => {
    const query = event.queryStringParameters ?? {};
    const closesAll = event.routeKey === 'DELETE /v2/positions';
    const unknown = closesAll ? [] : unknownParameters(query, ['qty', 'percentage']);
    if (unknown.length > 0) return fieldErrors(unknown, 400);
    const loaded = await loadAccountBook(dynamo, marketData(), principal.accountId, Date.now());
    if (!loaded.ok) return apiError(403, API_ERROR.riskRefused, `account_not_configured: ${loaded.problem}`);
    const requestId = event.requestContext.requestId;
    if (closesAll) return closeAll(loaded.book, principal, requestId, query);
    const symbol = symbolOf(loaded.book, event.pathParameters?.symbol_or_asset_id ?? '');
    // No order names a symbol that is no ticker (core ticker.ts: at most 21 characters), so no
    // position does; nor does such a path value reach a key (a probe's 2,100 characters: DynamoDB's
    // 2,048-byte limit, 500).
    if (symbol === null) return notFound('position');
    return closeOne(principal, requestId, symbol, query);
  },
  { trades: true },
);
