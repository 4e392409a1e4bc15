/**
 * Positions and the account's money, event-sourced from executions (issue 13; docs/domain.md
 * "Positions and the account"). Pure: exact decimals, no clock (the execution's own time and the
 * caller's `now` are passed in).
 *
 * The ledger of an account is the fold of its `PositionChanged` events, one per execution, in the
 * account's own sequence. A position is kept by the AVERAGE-COST method (Alpaca's):
 * - an execution that opens or adds to a position adds qty x price to its cost basis;
 * - one that reduces it removes the reduced share of the cost basis (cost basis x reduced / qty,
 *   rounded half-even at scale 18; all of it when the position closes) and realizes
 *   proceeds - removed cost for a long (removed cost - cost to cover for a short);
 * - one that crosses zero closes the position, then opens the other side with the rest at its price.
 * Cash moves by - signed qty x price. Whatever the order of executions:
 *   cash flow + cost basis - realized P&L = 0 (exactly; fees would be a fourth term),
 * which the property tests hold.
 */
import { divideHalfEven, formatNanos, min, type Nanos, nanos, ONE, type Value18 } from './decimal.js';

export type ExecutionSide = 'buy' | 'sell';

/** What the ledger learns of one execution (from the order's fill event and its state). */
export interface LedgerExecution {
  readonly orderId: string;
  /**
   * The client's order, when `orderId` is a child order the OMS placed for it (a split over venues,
   * an algorithm's slice): the client knows that order, not the child (its FILL activities name it).
   */
  readonly parentOrderId?: string;
  /** The execution's id at its venue (FIX ExecID): with the order id, unique. */
  readonly execId: string;
  /** The order's event that recorded it (`orderId:seq`). */
  readonly orderEventId: string;
  readonly symbol: string;
  readonly side: ExecutionSide;
  readonly qty: string;
  readonly price: string;
  /** ISO-8601 UTC: when the execution happened (the fill event's time). */
  readonly transactionTime: string;
  /** The order after this execution (Alpaca activities carry them). */
  readonly cumQty: string;
  readonly leavesQty: string;
  readonly orderStatus: 'filled' | 'partially_filled';
  /** New York date of the execution's session day (`YYYY-MM-DD`): intraday P&L is per session. */
  readonly sessionDate: string;
  /**
   * The cents of its order's buying power claim this execution gives back (core
   * buying-power-claims.ts `executionRelease`), in the same transaction as its cost; absent or 0:
   * none.
   */
  readonly buyingPowerRelease?: number;
}

/** One position as the ledger keeps it (decimals as canonical text; cost at scale 18). */
export interface PositionRecord {
  /** Signed: short is negative. */
  readonly qty: string;
  /** Signed (a short's is negative), scale 18 text. */
  readonly costBasis: string;
  /** Realized P&L of the symbol since the account opened, scale 18 text. */
  readonly realizedPl: string;
  /** The session day of the last execution. */
  readonly sessionDate: string;
  /** The qty held when that session began (what the previous close values). */
  readonly priorQty: string;
  /** Signed cost of that session's executions (sum of signed qty x price), scale 18 text. */
  readonly sessionCost: string;
  /**
   * Of the qty carried into that session (`priorQty`), what is still held (signed): reductions take
   * from the carried shares and the session's own in proportion (average cost). Absent on records
   * written before issue 12 (valued as before).
   */
  readonly carriedQty?: string;
  /** The signed cost of the session's own shares still held, scale 18 text (absent: as `carriedQty`). */
  readonly sessionOpenCost?: string;
}

/**
 * A position that went flat in a session, kept for that session's account values: its carried qty
 * (the previous close values it in `last_equity`) and the session's signed cost of its executions
 * (the cash they moved). Not a position: GET /v2/positions does not list it.
 */
export interface FlatPosition {
  readonly sessionDate: string;
  readonly priorQty: string;
  readonly sessionCost: string;
}

/** The fold of an account's PositionChanged events. */
export interface LedgerState {
  /** The account's position sequence: the number of PositionChanged events folded. */
  readonly seq: number;
  /** Cash moved by executions since the account opened (add the opening cash), scale 18 text. */
  readonly cashFlow: string;
  /** Open positions only (a position back at zero is removed). */
  readonly positions: Readonly<Record<string, PositionRecord>>;
  /**
   * Positions that went flat, by symbol, for the session they went flat in (`FlatPosition`):
   * `last_equity` counts them (until issue 12 a round trip of the day moved `last_equity` by its
   * realized P&L); older sessions' are dropped at the next execution. Absent: none.
   */
  readonly flat?: Readonly<Record<string, FlatPosition>>;
  /**
   * The account's day trades, newest last, at most 10: `<session date>:<order id>` (an order that
   * closes a day trade in several fills counts once).
   */
  readonly dayTrades: readonly string[];
  /**
   * The `transactionTime` of the last execution booked (`bookedTransactionTime`): the next one's is
   * later. Absent: none booked since it was kept.
   */
  readonly lastTransactionTime?: string;
}

/**
 * An execution's time in the account's activities: its own, unless an execution booked before it
 * is as late or later (executions of several venues or orders reach the ledger out of time order),
 * then 1 ms after that one. The account's FILL activities are listed in booking order (their ids
 * `<time>::<seq>`), and a bot polling `after=<the newest transaction_time it saw>` (exclusive, as
 * Alpaca's) must not skip one booked later with an earlier time: a probe found 40 of 300 fills so.
 */
export function bookedTransactionTime(executedAt: string, lastBooked: string | undefined): string {
  if (lastBooked === undefined) return executedAt;
  const last = Date.parse(lastBooked);
  const own = Date.parse(executedAt);
  if (Number.isNaN(last) || own > last) return executedAt;
  return new Date(last + 1).toISOString();
}

export const EMPTY_LEDGER: LedgerState = { seq: 0, cashFlow: '0', positions: {}, dayTrades: [] };

/**
 * The data of a `PositionChanged` event: the execution (qty and price in canonical text) and what
 * it did to the position.
 */
export interface PositionChangedData extends LedgerExecution {
  readonly qtyBefore: string;
  readonly qtyAfter: string;
  /** After the execution; null when the position is flat. */
  readonly avgEntryPrice: string | null;
  readonly costBasis: string;
  /** Realized by this execution (0 when it only opened or added), scale 18 text. */
  readonly realizedPl: string;
  /** The account's cash flow after it (add the opening cash for cash), scale 18 text. */
  readonly cashFlow: string;
  /** The execution completed a day trade (FINRA Rule 4210(f)(8)(B)). */
  readonly dayTrade: boolean;
}

export interface PositionChanged {
  readonly type: 'PositionChanged';
  readonly accountId: string;
  /** The account's position sequence, from 1 without gaps. */
  readonly seq: number;
  readonly occurredAt: string;
  readonly data: PositionChangedData;
}

const E18 = ONE * ONE;

/** Signed scale-18 text, exact ("-12.5"). */
export function formatSigned18(v: Value18): string {
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const whole = abs / E18;
  const fraction = abs % E18;
  const text =
    fraction === 0n ? `${whole}` : `${whole}.${fraction.toString().padStart(18, '0').replace(/0+$/, '')}`;
  return negative && text !== '0' ? `-${text}` : text;
}

/** Parses signed scale-18 text (ours: canonical, at most 18 fractional digits). */
export function parseSigned18(text: string): Value18 {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const v = BigInt(whole + fraction.padEnd(18, '0'));
  return negative ? -v : v;
}

/** Signed scale-9 text. */
export function formatSigned9(v: Nanos): string {
  return formatNanos(v);
}

/** Parses signed scale-9 text. */
export function parseSigned9(text: string): Nanos {
  return text.startsWith('-') ? -nanos(text.slice(1)) : nanos(text);
}

/** Rounds a scale-18 value to scale 9, half to even. */
export function round18to9(v: Value18): Nanos {
  return v < 0n ? -divideHalfEven(-v, ONE) : divideHalfEven(v, ONE);
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/**
 * `a * b / c` for scale-9 `b`, `c` (c > 0), rounded half to even: `a` keeps its scale (a scale-18
 * cost, or a scale-9 qty).
 */
function scaleCost(cost: Value18, part: Nanos, whole: Nanos): Value18 {
  const n = cost * part;
  const negative = n < 0n;
  const m = abs(n);
  const q = m / whole;
  const r = m % whole;
  const twice = r * 2n;
  const rounded = twice > whole || (twice === whole && q % 2n === 1n) ? q + 1n : q;
  return negative ? -rounded : rounded;
}

/** A position's average entry price (|cost basis| / |qty|, half-even at 9 dp); null when flat. */
export function averageEntryPrice(p: Pick<PositionRecord, 'qty' | 'costBasis'>): string | null {
  const qty = parseSigned9(p.qty);
  if (qty === 0n) return null;
  return formatNanos(divideHalfEven(abs(parseSigned18(p.costBasis)), abs(qty)));
}

/**
 * What a position of the session still holds of its carried shares and of the session's own (their
 * cost). A record written before issue 12 lacks them: the carried shares are the prior qty, as far
 * as the position still holds that side, and the session's own the rest at the average cost.
 */
function heldOfSession(
  before: PositionRecord | undefined,
  qtyBefore: Nanos,
  costBefore: Value18,
  priorQty: Nanos,
): { readonly carried: Nanos; readonly openCost: Value18 } {
  if (before === undefined || qtyBefore === 0n) return { carried: 0n, openCost: 0n };
  if (before.carriedQty !== undefined && before.sessionOpenCost !== undefined)
    return { carried: parseSigned9(before.carriedQty), openCost: parseSigned18(before.sessionOpenCost) };
  const sameSide = priorQty !== 0n && priorQty > 0n === qtyBefore > 0n;
  const carried = !sameSide ? 0n : abs(priorQty) < abs(qtyBefore) ? priorQty : qtyBefore;
  const own = qtyBefore - carried;
  return { carried, openCost: own === 0n ? 0n : scaleCost(costBefore, abs(own), abs(qtyBefore)) };
}

/** Keeps the last ten day-trade dates (the five-business-day window needs at most what fits there). */
const DAY_TRADES_KEPT = 10;

/**
 * What one execution does to the ledger: the PositionChanged to append (sequence `seq + 1`) and
 * the ledger after it. Throws on a malformed execution (the caller's data, not a market fact).
 */
export function applyExecution(
  ledger: LedgerState,
  accountId: string,
  e: LedgerExecution,
): { readonly event: PositionChanged; readonly ledger: LedgerState } {
  const qty = nanos(e.qty);
  const price = nanos(e.price);
  if (qty <= 0n) throw new RangeError(`execution ${e.execId} has a non-positive qty ${e.qty}`);
  const transactionTime = bookedTransactionTime(e.transactionTime, ledger.lastTransactionTime);
  const signed = e.side === 'buy' ? qty : -qty;
  const before = ledger.positions[e.symbol];
  const qtyBefore = before === undefined ? 0n : parseSigned9(before.qty);
  const costBefore = before === undefined ? 0n : parseSigned18(before.costBasis);
  const realizedBefore = before === undefined ? 0n : parseSigned18(before.realizedPl);

  // Opens or adds (`closing` 0), or reduces `closing` of the position at its average cost, and opens
  // the rest of the execution on the other side (a flip).
  const adds = qtyBefore === 0n || qtyBefore > 0n === signed > 0n;
  const closing = adds ? 0n : min(abs(signed), abs(qtyBefore));
  const opening = abs(signed) - closing;
  const openingCost = (signed > 0n ? 1n : -1n) * opening * price;
  /** The part of `pool` (a qty or a cost of the position) the execution takes away: in proportion. */
  const taken = (pool: bigint): bigint =>
    closing === 0n ? 0n : closing === abs(qtyBefore) ? pool : scaleCost(pool, closing, abs(qtyBefore));
  const removed = taken(costBefore);
  // A long sells: proceeds - removed cost; a short buys back: -removed cost (what it sold for) - paid.
  const tradeValue = closing * price;
  const realized: Value18 = adds ? 0n : qtyBefore > 0n ? tradeValue - removed : -removed - tradeValue;
  const qtyAfter: Nanos = qtyBefore + signed;
  const costAfter: Value18 = costBefore - removed + openingCost;
  const cashFlow = parseSigned18(ledger.cashFlow) - signed * price;

  // Intraday: the qty carried into the execution's session and that session's signed cost; a
  // position that went flat earlier in the session goes on from what it had then.
  const flatBefore = before === undefined ? ledger.flat?.[e.symbol] : undefined;
  const session: Pick<PositionRecord, 'sessionDate' | 'priorQty' | 'sessionCost'> | undefined =
    before ?? flatBefore;
  const sameSession = session !== undefined && session.sessionDate === e.sessionDate;
  const priorQty = sameSession ? parseSigned9(session.priorQty) : qtyBefore;
  const sessionCost = (sameSession ? parseSigned18(session.sessionCost) : 0n) + signed * price;
  // What is left of the carried shares and of the session's own: unrealized intraday P&L values
  // the first at the previous close and the second at their cost (realized P&L is not in it).
  const held = sameSession
    ? heldOfSession(before, qtyBefore, costBefore, priorQty)
    : { carried: qtyBefore, openCost: 0n };
  const carriedAfter = held.carried - taken(held.carried);
  const openCostAfter = held.openCost - taken(held.openCost) + openingCost;

  // A day trade: reducing, the same session, a position the session opened or added to on the
  // other side (a buy then a sell of the same security on the same day, or a short sale then its cover).
  const dayTrade =
    sameSession && qtyBefore !== 0n && qtyBefore > 0n !== signed > 0n && sessionOpenedSide(before, qtyBefore);
  const dayTradeKey = `${e.sessionDate}:${e.orderId}`;
  const dayTrades =
    dayTrade && !ledger.dayTrades.includes(dayTradeKey)
      ? [...ledger.dayTrades, dayTradeKey].slice(-DAY_TRADES_KEPT)
      : ledger.dayTrades;

  const positions = { ...ledger.positions };
  // Flat positions of this session only (dates are YYYY-MM-DD: they compare as text).
  const flat = Object.fromEntries(
    Object.entries(ledger.flat ?? {}).filter(([s, f]) => s !== e.symbol && f.sessionDate >= e.sessionDate),
  ) as Record<string, FlatPosition>;
  if (qtyAfter === 0n) {
    delete positions[e.symbol];
    flat[e.symbol] = {
      sessionDate: e.sessionDate,
      priorQty: formatSigned9(priorQty),
      sessionCost: formatSigned18(sessionCost),
    };
  } else {
    positions[e.symbol] = {
      qty: formatSigned9(qtyAfter),
      costBasis: formatSigned18(costAfter),
      realizedPl: formatSigned18(realizedBefore + realized),
      sessionDate: e.sessionDate,
      priorQty: formatSigned9(priorQty),
      sessionCost: formatSigned18(sessionCost),
      carriedQty: formatSigned9(carriedAfter),
      sessionOpenCost: formatSigned18(openCostAfter),
    };
  }
  const seq = ledger.seq + 1;
  const after: LedgerState = {
    seq,
    cashFlow: formatSigned18(cashFlow),
    positions,
    dayTrades,
    ...(Object.keys(flat).length === 0 ? {} : { flat }),
    lastTransactionTime: transactionTime,
  };
  const avg =
    qtyAfter === 0n
      ? null
      : averageEntryPrice({ qty: formatSigned9(qtyAfter), costBasis: formatSigned18(costAfter) });
  return {
    ledger: after,
    event: {
      type: 'PositionChanged',
      accountId,
      seq,
      occurredAt: transactionTime,
      data: {
        symbol: e.symbol,
        orderId: e.orderId,
        ...(e.parentOrderId === undefined ? {} : { parentOrderId: e.parentOrderId }),
        execId: e.execId,
        orderEventId: e.orderEventId,
        side: e.side,
        qty: formatNanos(qty),
        price: formatNanos(price),
        transactionTime,
        cumQty: e.cumQty,
        leavesQty: e.leavesQty,
        orderStatus: e.orderStatus,
        sessionDate: e.sessionDate,
        qtyBefore: formatSigned9(qtyBefore),
        qtyAfter: formatSigned9(qtyAfter),
        avgEntryPrice: avg,
        costBasis: formatSigned18(costAfter),
        realizedPl: formatSigned18(realized),
        cashFlow: formatSigned18(cashFlow),
        dayTrade,
      },
    },
  };
}

/**
 * Whether the session's own executions built (part of) the position now being reduced: the
 * session's signed cost has the position's sign, i.e. the session bought into a long (or sold into
 * a short) before this execution goes the other way.
 */
function sessionOpenedSide(before: PositionRecord | undefined, qtyBefore: Nanos): boolean {
  if (before === undefined) return false;
  const cost = parseSigned18(before.sessionCost);
  return cost !== 0n && cost > 0n === qtyBefore > 0n;
}

/** The ledger after a PositionChanged event (what the stored state item holds). */
export function evolveLedger(ledger: LedgerState, e: PositionChanged, accountId: string): LedgerState {
  if (e.seq !== ledger.seq + 1) throw new Error(`position event ${e.seq} does not follow ${ledger.seq}`);
  const replayed = applyExecution(ledger, accountId, executionOf(e.data));
  return replayed.ledger;
}

/** The execution a PositionChanged event records. */
export function executionOf(d: PositionChangedData): LedgerExecution {
  const { qtyBefore, qtyAfter, avgEntryPrice, costBasis, realizedPl, cashFlow, dayTrade, ...execution } = d;
  return execution;
}
