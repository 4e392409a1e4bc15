/**
 * What of a position a new order on its closing side may take (core position-close.ts), read in
 * the order that keeps every lag on the safe side, shared by everything that sells what a position
 * holds under its closing claims (closing-claims.ts): DELETE /v2/positions, and every sell of an
 * account that may not sell short (POST /v2/orders and the bus through `placeOrder`, a PATCH raising
 * a sell). Reads, one after the other:
 * 1. the position's closing claims (GetItem, consistent) and the account's open listing (Query of
 *    `byAccountOpen`), together;
 * 2. the claimed orders' views (BatchGetItem, consistent; none without claims) and the account's
 *    placements of the last minute the listing lacks (recent-placements.ts: a BatchGetItem of the
 *    rate windows, then of those orders' views when there are any), together: a sell placed a
 *    moment ago, not yet listed, holds its qty (a probe's close right after a market sell was placed
 *    for the whole position and left the account short);
 * 3. the ledger last (GetItem, consistent): the position keeper applies a fill before the order's
 *    view shows it, so a fill no view read above holds any more is in the ledger read now.
 * A notional order is counted at the price it trades at (`price`, asked for only when one shows
 * up: a close reads a quote only then).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  type CloseAvailability,
  closeAvailability,
  formatNanos,
  formatSigned9,
  type HoldingOrder,
  holdingRelationOf,
  type Nanos,
  noShortSaleRefusal,
  type OrderSpec,
  parseSigned9,
  type RiskContext,
  type RiskRefusal,
  sellSharesOf,
  shortCoverRefusal,
  type TradingStates,
  tradingStateRefusal,
} from '../core/index.js';
import type { EventStore } from '../event-store/event-store.js';
import { batchGetItems } from '../platform/batch-get.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { ledgerOf, ledgerPk } from './account-ledger.js';
import {
  type ClosingClaims,
  type HoldingOrderText,
  holdingOrderOf,
  isNotionalHolding,
  readClaimedViews,
  readClosingClaims,
} from './closing-claims.js';
import { ORDERS_INDEX } from './order-view-indexes.js';
import { viewsBehind } from './recent-placements.js';
import { recentOpenViews } from './recent-views.js';
import { queryViews, VIEW_ITEM_ATTRIBUTES, type View, viewOfItem } from './risk-context.js';

/** Attempts of one order against concurrent sells of the same position (each reads again). */
export const CLOSING_CLAIMS_ATTEMPTS = 5;

export interface PositionAvailability {
  /** The position, signed; null: the ledger has none in the symbol. */
  readonly position: Nanos | null;
  /** The claims item as read (its version guards the write). */
  readonly claims: ClosingClaims;
  readonly availability: CloseAvailability;
  /** The seq of the ledger read (orders/pending-executions.ts: did it have every recent fill?). */
  readonly ledgerSeq: number;
  /** The open orders of the symbol counted (listed or placed in the last minute): `awaitHoldingViews`. */
  readonly holdingOrderIds: readonly string[];
}

export interface PositionAvailabilityOptions {
  readonly store: EventStore;
  /** The price a notional order's shares are counted at (core `notionalSharePrice`); asked once, lazily. */
  readonly price: () => Promise<Nanos | null>;
  /** Orders not counted (a replace's own order): core `closeAvailability`'s `exclude`. */
  readonly exclude?: ReadonlySet<string>;
  /**
   * The symbol's listed orders read again from the table, consistently (the open index follows the
   * table): the read after a refusal's wait for the holding views (`holdingViewsSettled`).
   */
  readonly consistentHoldings?: boolean;
}

export async function readPositionAvailability(
  doc: DynamoDBDocumentClient,
  accountId: string,
  symbol: string,
  now: number,
  options: PositionAvailabilityOptions,
): Promise<PositionAvailability> {
  const key = symbol.toUpperCase();
  const idempotency = requiredEnv(ENV.idempotencyTable);
  const ordersTable = requiredEnv(ENV.ordersTable);
  const [claims, indexed] = await Promise.all([
    readClosingClaims(doc, idempotency, accountId, key),
    queryViews(doc, {
      IndexName: ORDERS_INDEX.byAccountOpen,
      KeyConditionExpression: 'openInAccount = :k',
      ExpressionAttributeValues: { ':k': accountId },
    }),
  ]);
  const listed = options.consistentHoldings
    ? await withSymbolViewsNow(doc, ordersTable, indexed, key)
    : indexed;
  const [claimed, unlisted] = await Promise.all([
    claims.claims.length === 0
      ? new Map<string, null>()
      : readClaimedViews(
          doc,
          ordersTable,
          claims.claims.map((c) => c.orderId),
        ),
    // With their group keys: a bracket's exit just opened holds the same shares as its sibling.
    recentOpenViews(doc, { idempotency, orders: ordersTable, store: options.store }, accountId, indexed, now),
  ]);
  // The ledger last (see above).
  const ledgerItem = await doc.send(
    new GetCommand({
      TableName: requiredEnv(ENV.accountsTable),
      Key: { pk: ledgerPk(accountId) },
      ConsistentRead: true,
    }),
  );
  const ledger = ledgerOf(ledgerItem.Item);
  const held = ledger.positions[key];

  const open: HoldingOrderText[] = [...listed, ...unlisted]
    .filter((v) => v.symbol.toUpperCase() === key)
    .map((v) => ({
      orderId: v.id,
      side: v.side,
      relation: holdingRelationOf(v),
      qty: v.qty ?? null,
      notional: v.notional ?? null,
      filledQty: v.filled_qty ?? null,
      filledAvgPrice: v.filled_avg_price ?? null,
    }));
  const views = [...claimed.values()].filter((v) => v !== null);
  const needsPrice = [...open, ...views].some(isNotionalHolding);
  const price = needsPrice ? await options.price() : null;
  const claimedViews = new Map<string, HoldingOrder | null>(
    [...claimed.entries()].map(([id, v]) => [id, v === null ? null : holdingOrderOf(v, v.open, price)]),
  );
  const position = held === undefined ? null : parseSigned9(held.qty);
  const availability = closeAvailability({
    position: position ?? 0n,
    claims: claims.claims,
    claimedViews,
    openOrders: open.map((o) => holdingOrderOf(o, true, price)),
    now,
    ...(options.exclude === undefined ? {} : { exclude: options.exclude }),
  });
  return {
    position,
    claims,
    availability,
    ledgerSeq: ledger.seq,
    holdingOrderIds: open.map((o) => o.orderId),
  };
}

/**
 * `listed` with the views of `symbol` read again from the table by id, consistently: one that has
 * closed meanwhile (its fills in the ledger, read after) is left out, one still open is taken as it
 * is now. The other symbols' are kept as listed.
 */
async function withSymbolViewsNow(
  doc: DynamoDBDocumentClient,
  ordersTable: string,
  listed: readonly View[],
  symbol: string,
): Promise<View[]> {
  const ids = listed.filter((v) => v.symbol.toUpperCase() === symbol).map((v) => v.id);
  if (ids.length === 0) return [...listed];
  const attributes = [...VIEW_ITEM_ATTRIBUTES, 'openInAccount'];
  const names = Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a]));
  const items = await batchGetItems(
    doc,
    ordersTable,
    ids.map((orderId) => ({ orderId })),
    { consistent: true, projection: Object.keys(names).join(', '), names },
  );
  const now = items.flatMap((item) => {
    if (item.openInAccount === undefined) return [];
    const view = viewOfItem(item);
    return view === null ? [] : [view];
  });
  return [...listed.filter((v) => v.symbol.toUpperCase() !== symbol), ...now];
}

/**
 * How long a refused sell or close waits for the views of the orders holding shares (ms, in turn;
 * 3.15 s in all, within an API function's 10 s). The view is a stream hop behind the fill: Lambda
 * polls a stream about four times a second, then the projector's batch runs. 1.55 s ran out once
 * under CI load (stop 42: a close of the 40 left by a sell of 60 refused "available: 0", once local
 * mode polled an idle stream at Lambda's rate).
 */
export const HOLDING_VIEWS_WAIT_MS: readonly number[] = [50, 100, 200, 400, 800, 1600];

/**
 * After a refusal: whether reading again may change it (`awaitHoldingViews` then a read with
 * `consistentHoldings`): some order held shares, and their views are not still behind their
 * events after the waits (`current` too: the projector may have written a view between the index
 * read and this look, which the consistent read sees).
 */
export async function holdingViewsSettled(
  doc: DynamoDBDocumentClient,
  store: EventStore,
  read: PositionAvailability,
): Promise<boolean> {
  if (read.holdingOrderIds.length === 0 || read.availability.held === 0n) return false;
  return (await awaitHoldingViews(doc, store, read.holdingOrderIds)) !== 'behind';
}

/**
 * A refusal may count a fill twice, on the safe side: the ledger (read last) has it, and the view
 * of the order it filled, a moment behind (the projector writes a view right after the position
 * keeper applied its fills), still holds the shares. A close of the 40 shares left by a sell of 60
 * that had just filled was refused "available: 0" (the no-short-sells e2e, two CI runs in ten). Before refusing, the views of the
 * orders that held shares are awaited until no event follows any of them (one consistent
 * BatchGetItem of the views and one of their next events a look, only on a refusal): `caught_up`
 * when one was behind and none is now, `current` when none was, `behind` when the waits ran out.
 */
export async function awaitHoldingViews(
  doc: DynamoDBDocumentClient,
  store: EventStore,
  orderIds: readonly string[],
  waits: readonly number[] = HOLDING_VIEWS_WAIT_MS,
): Promise<'current' | 'caught_up' | 'behind'> {
  if (orderIds.length === 0) return 'current';
  const ordersTable = requiredEnv(ENV.ordersTable);
  for (let look = 0; ; look++) {
    const views = await batchGetItems(
      doc,
      ordersTable,
      [...new Set(orderIds)].map((orderId) => ({ orderId })),
      { consistent: true, projection: 'orderId, #v', names: { '#v': 'version' } },
    );
    const behind = await viewsBehind(
      doc,
      store,
      views.map((v) => ({ orderId: String(v.orderId), version: Number(v.version ?? 0) })),
    );
    if (behind.size === 0) return look === 0 ? 'current' : 'caught_up';
    const wait = waits[look];
    if (wait === undefined) return 'behind';
    await sleep(wait);
  }
}

/** What a read under a position's closing claims takes (`readAtPrice` and the reads built on it). */
interface ClosingClaimsReadOptions {
  readonly store: EventStore;
  /** A notional order's share price (the side's trading reference), known before the read. */
  readonly price: Nanos | null;
  /** Orders not counted: a replace's own order (and the one it replaced). */
  readonly exclude?: ReadonlySet<string>;
}

/** `readPositionAvailability` with a notional holding sized at a price known before the read. */
const readAtPrice = (
  doc: DynamoDBDocumentClient,
  accountId: string,
  symbol: string,
  now: number,
  options: ClosingClaimsReadOptions,
  consistentHoldings: boolean,
) =>
  readPositionAvailability(doc, accountId, symbol, now, {
    store: options.store,
    price: async () => options.price,
    ...(options.exclude === undefined ? {} : { exclude: options.exclude }),
    consistentHoldings,
  });

/** A sell of an account that may not sell short, read under its position's closing claims. */
export type NoShortSell =
  | { readonly kind: 'refused'; readonly refusal: RiskRefusal }
  /** It fits: its claim (`shares`) rides the placing transaction over the claims read. */
  | { readonly kind: 'fits'; readonly read: PositionAvailability; readonly shares: Nanos };

/**
 * Whether a sell (`qty` or `notional`) of an account that may not sell short fits in what its
 * position leaves (core position-close.ts), a notional sell sized at `price` (core
 * `notionalSharePrice`: the lower of the reference and the bid). `exclude`: a replace's own order.
 */
export async function noShortSellOf(
  doc: DynamoDBDocumentClient,
  accountId: string,
  order: { readonly symbol: string; readonly qty: Nanos | null; readonly notional: Nanos | null },
  now: number,
  options: ClosingClaimsReadOptions & { readonly mayShort?: boolean },
): Promise<NoShortSell> {
  const symbol = order.symbol.toUpperCase();
  const shares = sellSharesOf(order, options.price);
  if (shares === null)
    return {
      kind: 'refused',
      refusal: {
        rule: 'no_reference_price',
        limit: 'short_sale',
        message: `no_reference_price: no reference price for ${symbol}; needed by short_sale`,
      },
    };
  const readNow = (consistentHoldings: boolean) =>
    readAtPrice(doc, accountId, symbol, now, options, consistentHoldings);
  // A position that is not long (none, or short) has nothing to sell.
  const availableOf = (r: PositionAvailability) =>
    r.availability.side === 'sell' ? r.availability.available : 0n;
  let read = await readNow(false);
  // A fill counted twice (`awaitHoldingViews`): read again once the holding orders' views caught up.
  if (shares > availableOf(read) && (await holdingViewsSettled(doc, options.store, read)))
    read = await readNow(true);
  const { availability } = read;
  const available = availableOf(read);
  if (shares > available)
    return {
      kind: 'refused',
      refusal: noShortSaleRefusal(
        symbol,
        shares,
        read.position ?? 0n,
        {
          held: availability.side === 'sell' ? availability.held : 0n,
          available,
        },
        options.mayShort,
      ),
    };
  return { kind: 'fits', read, shares };
}

/**
 * Whether an order of an account whose trading state is REDUCING (core trading-state.ts) reduces
 * its position, read under the position's closing claims as a sell of an account that may not sell
 * short is (`noShortSellOf`): a sell of a long, a buy of a short, no larger than the position less
 * what the account's other open orders on that side hold, its claim then riding the placing
 * transaction over the claims read. The core rule's own check reads the position and the open
 * orders without that guard: a probe's five concurrent sells of 5 against a long of 10 all passed it
 * and rested, 25 shares to sell, in three rounds of three. The refusal is the core rule's, from
 * this read.
 */
export async function reducingOrderOf(
  doc: DynamoDBDocumentClient,
  accountId: string,
  order: Pick<OrderSpec, 'symbol' | 'side' | 'qty' | 'notional' | 'orderClass'>,
  now: number,
  options: ClosingClaimsReadOptions & {
    readonly referencePrice: string | null;
    readonly states: TradingStates;
  },
): Promise<NoShortSell> {
  const symbol = order.symbol.toUpperCase();
  const readNow = (consistentHoldings: boolean) =>
    readAtPrice(doc, accountId, symbol, now, options, consistentHoldings);
  // The core rule on this read, a notional order sized at the price its claim is (the side's).
  const refusalOf = (r: PositionAvailability) => {
    return tradingStateRefusal(order, accountId, options.states, {
      positionQty: formatSigned9(r.position ?? 0n),
      heldSameSide: formatNanos(r.availability.side === order.side ? r.availability.held : 0n),
      referencePrice: options.price === null ? options.referencePrice : formatNanos(options.price),
    });
  };
  let read = await readNow(false);
  let refusal = refusalOf(read);
  // A fill counted twice (in the ledger and in its order's view a moment behind): read again once
  // the holding orders' views caught up, as a no-short sell does (`noShortSellOf`).
  if (refusal !== null && (await holdingViewsSettled(doc, options.store, read))) {
    read = await readNow(true);
    refusal = refusalOf(read);
  }
  if (refusal !== null) return { kind: 'refused', refusal };
  const shares = sellSharesOf(
    {
      qty: order.qty === null ? null : parseSigned9(order.qty),
      notional: order.notional === null ? null : parseSigned9(order.notional),
    },
    options.price,
  );
  if (shares === null)
    return {
      kind: 'refused',
      refusal: {
        rule: 'reducing_only',
        limit: 'REDUCING',
        message: `reducing_only: the notional order cannot be sized: no reference price for ${symbol}`,
      },
    };
  return { kind: 'fits', read, shares };
}

/**
 * Risk's context with the position, and what the order's side holds of it, as a read under the
 * position's closing claims found them (serialized with every other close of the position): what
 * an order's buying power claim and position intent are decided on once the claims guard it.
 */
export function contextAtClosingRead(
  context: RiskContext,
  side: string,
  read: Extract<NoShortSell, { kind: 'fits' }>,
): RiskContext {
  return {
    ...context,
    positionQty: formatSigned9(read.read.position ?? 0n),
    [side === 'sell' ? 'heldForSale' : 'heldForBuy']: formatNanos(read.read.availability.held),
  };
}

/**
 * The part of an order that closes its position (a sell of a long, a buy to cover a short), read
 * under the position's closing claims, which the order's claim of that part then rides: concurrent
 * orders cannot each count the same shares as closing and so free of buying power (a probe's five
 * covers of a short of 100 were all placed at buying power 0 and left the account long 400). A buy
 * of a short past that part is refused (core `shortCoverRefusal`: a short is not bought into a
 * long); a sell's other part opens a position and claims buying power (core risk
 * `buyingPowerNotionalOf`).
 */
export async function closingPartOf(
  doc: DynamoDBDocumentClient,
  accountId: string,
  order: {
    readonly symbol: string;
    readonly side: string;
    readonly qty: Nanos | null;
    readonly notional: Nanos | null;
  },
  now: number,
  options: ClosingClaimsReadOptions,
): Promise<NoShortSell> {
  const symbol = order.symbol.toUpperCase();
  const shares = sellSharesOf(order, options.price) ?? 0n;
  const closingOf = (r: PositionAvailability) =>
    r.availability.side === order.side ? r.availability.available : 0n;
  let read = await readAtPrice(doc, accountId, symbol, now, options, false);
  // A buy of a short past what it may cover is refused (core `shortCoverRefusal`), once a fill
  // counted twice (`awaitHoldingViews`) is ruled out.
  const through = (r: PositionAvailability) =>
    order.side === 'buy' && (r.position ?? 0n) < 0n && shares > closingOf(r);
  if (through(read) && (await holdingViewsSettled(doc, options.store, read)))
    read = await readAtPrice(doc, accountId, symbol, now, options, true);
  const closing = closingOf(read);
  if (through(read))
    return {
      kind: 'refused',
      refusal: shortCoverRefusal(symbol, shares, read.position ?? 0n, {
        held: read.availability.held,
        available: closing,
      }),
    };
  return { kind: 'fits', read, shares: shares < closing ? shares : closing };
}
