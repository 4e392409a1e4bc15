/**
 * An order's transaction cost analysis, from its state once it has closed (core tca.ts computes the
 * measures): the arrival NBBO and decision price recorded when it was accepted, its fills with
 * their venues, fees and liquidity (a split or algorithmic parent's are its children's, mirrored),
 * and what the market-data port says at the close, which only an order that did not fill whole
 * (opportunity cost) or an algorithmic one (VWAP/TWAP benchmarks) needs. Pure.
 *
 * The orders the OMS analyses are the client's: a child of a split or an algorithmic parent is
 * the OMS's own (its parent's TCA covers its fills), so it has none.
 */
import { type Nanos, nanos, ONE, parseNanos, signedNanos } from './decimal.js';
import { executionRecordOf, type OrderExecutionRecord } from './execution-quality.js';
import { tapeMarkOf } from './market-quote.js';
import { isSettled, type OrderState, statusOf } from './order.js';
import {
  type MarketSample,
  midOf,
  type Tca,
  type TcaFill,
  type TcaQuote,
  transactionCostsOf,
} from './tca.js';

/** The market when the order closed (the tape's, through the market-data port). */
export interface MarketAtClose {
  readonly bid: Nanos | null;
  readonly ask: Nanos | null;
  /** The tape's cumulative volume (VWAP's weights); null when the feed has none. */
  readonly volume: Nanos | null;
  /** The tape's cumulative notional and mid x ms as of `updatedAt` (core market-quote.ts `tapeMarkOf`). */
  readonly notional?: Nanos;
  readonly midMs?: Nanos;
  readonly updatedAt?: string | null;
}

/** The `OrderTcaRecorded` event's data: the order's identity, then every measure (core tca.ts). */
export interface OrderTcaRecord extends Tca {
  readonly orderId: string;
  readonly symbol: string;
  readonly type: string;
  readonly timeInForce: string;
  readonly status: string;
  /** The algorithm of an algorithmic parent, else null. */
  readonly algorithm: string | null;
  /** `split`: the router split it over venues (its children traded). */
  readonly routing: 'direct' | 'split' | null;
  readonly acceptedAt: string;
  readonly closedAt: string;
  readonly limitPrice: string | null;
  /** What the router sent each venue (a split order's children); empty when it was not routed. */
  readonly allocations: readonly { readonly venue: string; readonly qty: string | null }[];
}

/** Whether the OMS analyses this order (a client's order that has closed). */
export function isAnalysed(state: OrderState): boolean {
  if (!isSettled(state)) return false;
  return !(state.contingency?.orderClass === 'algo' && state.contingency.role === 'algo_child');
}

/** Whether its TCA needs the market at the close (an unfilled remainder, or an algorithm's benchmarks). */
export function needsMarketAtClose(state: OrderState): boolean {
  if (state.algo !== null && state.routing?.split !== true) return true;
  return state.qty === null ? false : state.filledQty < state.qty;
}

const dec = (text: string | null | undefined): Nanos | null => {
  if (text === null || text === undefined) return null;
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
};

function closedAtOf(state: OrderState): string {
  return (
    state.filledAt ??
    state.canceledAt ??
    state.expiredAt ??
    state.failedAt ??
    state.replacedAt ??
    state.updatedAt
  );
}

function midpoint(bid: Nanos | null, ask: Nanos | null): Nanos | null {
  return bid === null || ask === null ? null : midOf({ bid, ask });
}

/** The TCA of a closed order; null when it is not analysed (see `isAnalysed`). */
export function orderTcaOf(state: OrderState, market: MarketAtClose | null): OrderTcaRecord | null {
  if (!isAnalysed(state)) return null;
  const acceptedAt = Date.parse(state.createdAt);
  const closedAtText = closedAtOf(state);
  const closedAt = Date.parse(closedAtText);
  const bid = dec(state.arrival?.bid);
  const ask = dec(state.arrival?.ask);
  const arrival: TcaQuote | null = bid !== null && ask !== null && ask >= bid ? { bid, ask } : null;
  const fills: TcaFill[] = [];
  for (const [execId, x] of state.executions) {
    if (!x.applied) continue;
    fills.push({
      execId,
      qty: nanos(x.lastQty),
      price: nanos(x.lastPx),
      at: x.at === undefined ? closedAt : Date.parse(x.at),
      venue: x.venue ?? null,
      fee: x.fee === undefined ? 0n : signedNanos(x.fee),
      liquidity: x.liquidity ?? null,
      quote: null,
    });
  }
  const closingMid = market === null ? null : midpoint(market.bid, market.ask);
  const samples: MarketSample[] = [];
  const arrivalMid = arrival === null ? null : midpoint(arrival.bid, arrival.ask);
  if (arrivalMid !== null)
    samples.push({
      at: acceptedAt,
      mid: arrivalMid,
      cumulativeVolume: dec(state.arrival?.volume),
      cumulativeNotional: dec(state.arrival?.notional),
      cumulativeMidMs: dec(state.arrival?.midMs),
    });
  if (closingMid !== null && market !== null) {
    // The tape's accumulators carried to the close (a read after it: see tapeMarkOf).
    const mark = tapeMarkOf({ ...market, updatedAt: market.updatedAt ?? null }, closedAt);
    samples.push({
      at: closedAt,
      mid: closingMid,
      cumulativeVolume: market.volume,
      cumulativeNotional: mark?.notional ?? null,
      cumulativeMidMs: mark?.midMs ?? null,
    });
  }
  const orderQty = state.qty ?? state.filledQty;
  const tca = transactionCostsOf({
    side: state.spec.side,
    orderQty: orderQty > 0n ? orderQty : ONE,
    decisionPrice: dec(state.decisionPrice),
    arrival,
    acceptedAt,
    closedAt,
    closingPrice: closingMid,
    fills,
    samples,
    algorithmic: state.algo !== null && state.routing?.split !== true,
  });
  return {
    orderId: state.orderId,
    symbol: state.spec.symbol,
    type: state.spec.type,
    timeInForce: state.spec.timeInForce,
    status: statusOf(state),
    algorithm: state.spec.advancedInstructions?.algorithm ?? null,
    routing: state.routing === null ? null : state.routing.split ? 'split' : 'direct',
    acceptedAt: state.createdAt,
    closedAt: closedAtText,
    limitPrice: state.spec.limitPrice,
    allocations: state.routing?.allocations ?? [],
    ...tca,
  };
}

/**
 * The order's records for the execution-quality and best-execution reports (core
 * execution-quality.ts): one per venue it was sent to (a split order's children each count as an
 * order at their venue, with their allocation and their fills there), else one.
 */
export function executionRecordsOf(tca: OrderTcaRecord): OrderExecutionRecord[] {
  const order = {
    orderId: tca.orderId,
    symbol: tca.symbol,
    type: tca.type,
    limitPrice: tca.limitPrice,
    acceptedAt: Date.parse(tca.acceptedAt),
  };
  const record = executionRecordOf(tca, order);
  if (tca.allocations.length <= 1) return [{ ...record, venue: tca.allocations[0]?.venue ?? record.venue }];
  return tca.allocations.map((a) => ({
    ...record,
    venue: a.venue,
    qty: a.qty === null ? record.qty : nanos(a.qty),
    fills: record.fills.filter((f) => f.venue === a.venue),
  }));
}
