/**
 * The simulated venue's opening and closing auctions: opg orders trade only in the opening
 * auction, cls orders only in the closing auction, all of a symbol's participants at one price.
 * Pure: exact decimals (nanos), the clock comes in. The venue's design notes (README.md) say why.
 *
 * When: the opening auction is at the session open (`sessionOpen`, default 09:30 New York), the
 * closing auction at the session close (`sessionClose`, default 16:00; 13:00 at the latest on an
 * early-close day), on session days (core `session.ts`: the session days and the holiday calendar).
 *
 * Entry: a cls order joins the next closing auction. An opg order joins the next opening auction,
 * except during a regular session (from an open until the next close), when the day's opening
 * auction is over and the order is refused (`auction_closed`), as Alpaca refuses OPG orders during
 * the trading day. Outside a session (overnight, a weekend, a holiday) it waits for the next open.
 *
 * Price: the price that executes the most volume between the participants and the displayed quote
 * (the bid size stands for the book's buyers at the bid and above, the ask size for its sellers at
 * the ask and below); ties go to the smaller imbalance, then to the price nearest the last sale,
 * then to the lower price. Candidates are the participants' limit prices, the bid, the ask and the
 * last: volume only changes at a limit, the bid or the ask, and the last is the reference. A
 * market order accepts any price; a limit order takes part only where it is marketable (a buy at
 * or below its limit, a sell at or above). No volume at any price: no auction trade.
 *
 * Allocation at that price: each side executes the matched volume in priority order, market
 * orders first, then limits from the most aggressive, then booking time; the displayed quote
 * comes last on its side. A venue fill cap (`maxFillQty`) bounds each order's execution. What an
 * order does not execute is canceled (`auction_unfilled`): an auction order never outlives its
 * auction.
 */
import {
  AUCTION_GRACE_SECONDS,
  isInRegularSession,
  multiply,
  type Nanos,
  newYorkDate,
  nextSessionClose,
  nextSessionOpen,
  type SessionOptions,
  type TimeInForce,
} from '../../core/index.js';
import type { Quote } from './market.js';
import { type BookOrder, type Execution, isComplete, type MatchLimits, remainingQty } from './matching.js';

export type AuctionKind = 'open' | 'close';
export type AuctionTimeInForce = 'opg' | 'cls';
export const AUCTION_KINDS: readonly AuctionKind[] = ['open', 'close'];
/** The time in force of each auction's orders. */
export const AUCTION_TIME_IN_FORCE: Readonly<Record<AuctionKind, AuctionTimeInForce>> = {
  open: 'opg',
  close: 'cls',
};
/** The auction each auction time in force takes part in. */
export const AUCTION_OF: Readonly<Record<AuctionTimeInForce, AuctionKind>> = { opg: 'open', cls: 'close' };

/** The cancel reason of what an auction order did not execute in its auction. */
export const AUCTION_UNFILLED = 'auction_unfilled';
/** The reject reason of an opg order that arrives after the day's opening auction. */
export const AUCTION_CLOSED = 'auction_closed';

/**
 * How long after its time an auction may still be held (the market tick is not exact: every minute
 * on AWS). Half the workflow's wait after an auction (600 s), so the venue's answer reaches the
 * OMS before the OMS gives up on the order and expires it. An auction no tick held by then is
 * missed: its orders are canceled unexecuted.
 */
export const AUCTION_LATE_MS = (AUCTION_GRACE_SECONDS * 1000) / 2;

export function isAuctionOrder(tif: TimeInForce): tif is AuctionTimeInForce {
  return tif === 'opg' || tif === 'cls';
}

/** The session settings the auctions follow: the core's session options plus the close. */
export interface AuctionSchedule extends SessionOptions {
  /** `HH:MM[:SS]` New York, default 16:00. */
  readonly sessionClose?: string;
}

/** The first auction of `kind` strictly after `afterMs`. */
export function nextAuction(kind: AuctionKind, afterMs: number, schedule: AuctionSchedule = {}): number {
  return kind === 'open'
    ? nextSessionOpen(afterMs, schedule)
    : nextSessionClose(afterMs, schedule.sessionClose, schedule);
}

/**
 * The auction (its instant) an auction order arriving at `nowMs` takes part in, or null when an
 * opg order arrives during a regular session (its day's opening auction is over: `auction_closed`).
 * A session runs from an open to the next close, so the next open coming after the next close
 * means one is in progress. An order arriving exactly at an auction's instant is too late for it.
 */
export function auctionFor(
  tif: AuctionTimeInForce,
  nowMs: number,
  schedule: AuctionSchedule = {},
): number | null {
  if (tif === 'cls') return nextAuction('close', nowMs, schedule);
  return isInRegularSession(nowMs, schedule.sessionClose, schedule)
    ? null
    : nextAuction('open', nowMs, schedule);
}

/** An auction that is due: its kind, its instant, and its New York date (`YYYY-MM-DD`). */
export interface DueAuction {
  readonly kind: AuctionKind;
  readonly at: number;
  readonly date: string;
}

/** The auctions whose instant is in `(nowMs - lateMs, nowMs]`: held by a tick now (at most one of each kind). */
export function dueAuctions(
  nowMs: number,
  schedule: AuctionSchedule = {},
  lateMs: number = AUCTION_LATE_MS,
): DueAuction[] {
  const due: DueAuction[] = [];
  for (const kind of AUCTION_KINDS) {
    const at = nextAuction(kind, nowMs - lateMs, schedule);
    if (at <= nowMs) due.push({ kind, at, date: newYorkDate(at) });
  }
  return due;
}

/** One participant after the auction: its order and what it did (fill, cancel of the rest). */
export interface AuctionOutcome {
  readonly order: BookOrder;
  readonly executions: readonly Execution[];
}

export interface AuctionResult {
  /** The auction price; null when nothing could execute at any price. */
  readonly price: Nanos | null;
  /** Quantity that crossed at the price (participants and displayed quote together). */
  readonly volume: Nanos;
  /** Buy and sell interest at the price; the larger side's excess is the imbalance left unexecuted. */
  readonly buyQty: Nanos;
  readonly sellQty: Nanos;
  /** One per participant, in the order given. */
  readonly outcomes: readonly AuctionOutcome[];
  /** The quote with the displayed size the auction took removed (for continuous matching after it). */
  readonly quote: Quote;
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);
const min = (a: Nanos, b: Nanos): Nanos => (a < b ? a : b);

/** What `o` would execute at `p` (0 when it does not take part there): its remainder, capped. */
function offeredAt(o: BookOrder, p: Nanos, cap: Nanos | null): Nanos {
  if (o.status !== 'open') return 0n;
  const buy = o.side === 'buy';
  if (o.type === 'limit') {
    const limit = o.limitPrice;
    if (limit === null || (buy ? p > limit : p < limit)) return 0n;
  } else if (o.type !== 'market') {
    return 0n; // opg/cls are market or limit orders (core request rules); anything else stays out
  }
  const wanted = remainingQty(o, p);
  return cap !== null && cap < wanted ? cap : wanted;
}

interface Interest {
  readonly buy: Nanos;
  readonly sell: Nanos;
}

function interestAt(participants: readonly BookOrder[], quote: Quote, p: Nanos, cap: Nanos | null): Interest {
  let buy = quote.bid >= p ? quote.bidSize : 0n;
  let sell = quote.ask <= p ? quote.askSize : 0n;
  for (const o of participants) {
    const q = offeredAt(o, p, cap);
    if (o.side === 'buy') buy += q;
    else sell += q;
  }
  return { buy, sell };
}

/** The price that executes the most; ties: smaller imbalance, nearer the last sale, lower. */
function auctionPrice(
  participants: readonly BookOrder[],
  quote: Quote,
  cap: Nanos | null,
): { price: Nanos; interest: Interest } | null {
  const candidates = new Set<Nanos>([quote.bid, quote.ask, quote.last]);
  for (const o of participants) if (o.type === 'limit' && o.limitPrice !== null) candidates.add(o.limitPrice);
  let best: { price: Nanos; interest: Interest; volume: Nanos; imbalance: bigint; distance: bigint } | null =
    null;
  for (const price of [...candidates].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (price <= 0n) continue;
    const interest = interestAt(participants, quote, price, cap);
    const volume = min(interest.buy, interest.sell);
    const imbalance = abs(interest.buy - interest.sell);
    const distance = abs(price - quote.last);
    // Ascending prices: a later candidate wins only when strictly better, so ties keep the lower.
    const better =
      best === null ||
      volume > best.volume ||
      (volume === best.volume &&
        (imbalance < best.imbalance || (imbalance === best.imbalance && distance < best.distance)));
    if (better) best = { price, interest, volume, imbalance, distance };
  }
  return best === null || best.volume === 0n ? null : { price: best.price, interest: best.interest };
}

/**
 * Executes `volume` on one side at `price`: participants in priority (market, then the most
 * aggressive limit, then booking time, i.e. the order given), the displayed quote last. Returns
 * each participant's quantity by index and what the quote gave.
 */
function allocate(
  participants: readonly BookOrder[],
  side: 'buy' | 'sell',
  price: Nanos,
  volume: Nanos,
  cap: Nanos | null,
): { byIndex: Map<number, Nanos>; displayed: Nanos } {
  const queue = participants
    .map((o, index) => ({ o, index, qty: o.side === side ? offeredAt(o, price, cap) : 0n }))
    .filter((x) => x.qty > 0n)
    .sort((a, b) => {
      const aMarket = a.o.type === 'market';
      const bMarket = b.o.type === 'market';
      if (aMarket !== bMarket) return aMarket ? -1 : 1;
      if (!aMarket) {
        const la = a.o.limitPrice as Nanos;
        const lb = b.o.limitPrice as Nanos;
        if (la !== lb) return (side === 'buy' ? la > lb : la < lb) ? -1 : 1;
      }
      return a.index - b.index;
    });
  const byIndex = new Map<number, Nanos>();
  let left = volume;
  for (const x of queue) {
    if (left === 0n) break;
    const take = min(x.qty, left);
    byIndex.set(x.index, take);
    left -= take;
  }
  return { byIndex, displayed: left };
}

/**
 * Holds the auction for one symbol: `participants` are its auction orders in booking (time)
 * order, `quote` the market at the auction. Every open participant ends filled or canceled.
 */
export function uncross(
  participants: readonly BookOrder[],
  quote: Quote,
  limits: MatchLimits = {},
): AuctionResult {
  const cap = limits.maxFillQty ?? null;
  const priced = auctionPrice(participants, quote, cap);
  const price = priced?.price ?? null;
  const volume = priced === null ? 0n : min(priced.interest.buy, priced.interest.sell);
  const buys = price === null ? null : allocate(participants, 'buy', price, volume, cap);
  const sells = price === null ? null : allocate(participants, 'sell', price, volume, cap);
  const outcomes = participants.map((o, index): AuctionOutcome => {
    if (o.status !== 'open') return { order: o, executions: [] };
    const executions: Execution[] = [];
    let order = o;
    const qty = (o.side === 'buy' ? buys : sells)?.byIndex.get(index) ?? 0n;
    if (price !== null && qty > 0n) {
      executions.push({ kind: 'fill', qty, px: price });
      order = {
        ...order,
        filledQty: order.filledQty + qty,
        filledValue: order.filledValue + multiply(qty, price),
      };
    }
    if (isComplete(order)) return { order: { ...order, status: 'filled' }, executions };
    executions.push({ kind: 'canceled', reason: AUCTION_UNFILLED });
    return { order: { ...order, status: 'canceled' }, executions };
  });
  const after: Quote = {
    ...quote,
    bidSize: quote.bidSize - (buys?.displayed ?? 0n),
    askSize: quote.askSize - (sells?.displayed ?? 0n),
  };
  return {
    price,
    volume,
    buyQty: priced?.interest.buy ?? 0n,
    sellQty: priced?.interest.sell ?? 0n,
    outcomes,
    quote: after,
  };
}
