/**
 * The account and its positions as Alpaca v2 shows them (`GET /v2/account`, `/v2/positions`,
 * `/v2/account/activities`), valued from the ledger (core `positions.ts`), the account's
 * configuration and the market's prices. Pure: the caller passes the prices and `now`.
 *
 * Money (docs/domain.md "Positions and the account"):
 * - cash = opening cash + the executions' cash flow;
 * - long/short market value = sum of qty x current price of long/short positions (short negative);
 *   a position without a price is valued at its average entry price;
 * - equity = cash + long market value + short market value;
 * - initial margin = 50% of the gross position value (Reg T), maintenance margin = 25% of long and
 *   30% of short value (FINRA Rule 4210(c) minimums);
 * - buying power (before open orders): multiplier 1 (a cash account): cash; multiplier 2 (Reg T
 *   margin): 2 x max(equity - initial margin, 0); multiplier 4 (pattern day trader): 4 x
 *   max(equity - maintenance margin, 0). Open buy orders reserve their notional out of it
 *   (`reserved`), never below zero; a closed order reserves nothing.
 */
import { isUuid, nameBasedUuid } from './asset.js';
import { divideHalfEven, formatNanos, type Nanos, ONE, type Value18 } from './decimal.js';
import {
  averageEntryPrice,
  type LedgerState,
  type PositionChanged,
  type PositionRecord,
  parseSigned9,
  parseSigned18,
  round18to9,
} from './positions.js';

export type Multiplier = '1' | '2' | '4';

/** An account's configuration (ACCOUNTS_TABLE `account#<id>`), as read. */
export interface AccountSettings {
  readonly accountId: string;
  /** Opening cash; null = an account without a cash balance (no buying-power control). */
  readonly openingCash: string | null;
  readonly multiplier: Multiplier;
  readonly shortingEnabled: boolean;
  readonly patternDayTrader: boolean;
  readonly tradingBlocked: boolean;
  readonly accountBlocked: boolean;
  readonly createdAt: string;
  /** The holder suspended its own trading (`suspend_trade`): Alpaca's `trade_suspended_by_user`. */
  readonly tradeSuspendedByUser?: boolean;
}

/** The prices a position is valued at. */
export interface PositionPrices {
  /** Current price (last sale, else the mid); null when the market has none. */
  readonly current: string | null;
  /** The previous session's closing price (Alpaca `lastday_price`); null when unknown. */
  readonly previousClose: string | null;
}

/** What a position shows of its asset. */
export interface PositionAsset {
  readonly id: string;
  readonly exchange: string;
  readonly marginable: boolean;
}

const abs = (v: bigint): bigint => (v < 0n ? -v : v);

/** Scale-18 money as Alpaca text, half-even at 9 dp ("600", "-12.5"). */
export function money(v: Value18): string {
  return formatNanos(round18to9(v));
}

/** `numerator / denominator` (same scale, denominator != 0) as ratio text, exact then half-even at 9 dp. */
function ratio(numerator: Value18, denominator: Value18): string {
  if (denominator === 0n) return '0';
  const q = divideHalfEven(abs(numerator) * ONE, abs(denominator));
  return formatNanos(numerator < 0n !== denominator < 0n ? -q : q);
}

export interface PositionValuation {
  readonly qty: Nanos;
  readonly costBasis: Value18;
  readonly marketValue: Value18;
  readonly price: Nanos;
  readonly previousClose: Nanos;
  /** Intraday P&L: the carried qty from the previous close, the session's executions from their prices. */
  readonly intradayPl: Value18;
  readonly intradayBase: Value18;
}

/** One position valued at `prices` as of the session day `sessionDate`. */
export function valuePosition(
  p: PositionRecord,
  prices: PositionPrices,
  sessionDate: string,
): PositionValuation {
  const qty = parseSigned9(p.qty);
  const costBasis = parseSigned18(p.costBasis);
  const avg = averageEntryPrice(p);
  const price = parseSigned9(prices.current ?? avg ?? '0');
  const previousClose = parseSigned9(prices.previousClose ?? prices.current ?? avg ?? '0');
  const marketValue = qty * price;
  // Executions of an earlier session are all carried: their session's cost is history now.
  const today = p.sessionDate === sessionDate;
  if (today && p.carriedQty !== undefined && p.sessionOpenCost !== undefined) {
    // Unrealized only: the carried shares still held at the previous close, the session's own
    // still held at their cost (what the session sold is realized, not here).
    const intradayBase = parseSigned9(p.carriedQty) * previousClose + parseSigned18(p.sessionOpenCost);
    return {
      qty,
      costBasis,
      marketValue,
      price,
      previousClose,
      intradayPl: marketValue - intradayBase,
      intradayBase,
    };
  }
  // Not traded this session: all carried. (A record of before issue 12 traded this session: as then.)
  const priorQty = today ? parseSigned9(p.priorQty) : qty;
  const sessionCost = today ? parseSigned18(p.sessionCost) : 0n;
  const intradayPl = priorQty * (price - previousClose) + (qty - priorQty) * price - sessionCost;
  const intradayBase = priorQty * previousClose + sessionCost;
  return { qty, costBasis, marketValue, price, previousClose, intradayPl, intradayBase };
}

/** Alpaca's Position object. `held` = qty that open orders on the other side already hold. */
export function positionJson(
  symbol: string,
  p: PositionRecord,
  prices: PositionPrices,
  sessionDate: string,
  asset: PositionAsset,
  held: Nanos,
): Record<string, unknown> {
  const v = valuePosition(p, prices, sessionDate);
  const unrealized = v.marketValue - v.costBasis;
  const available = v.qty > 0n ? (v.qty > held ? v.qty - held : 0n) : v.qty + held > 0n ? 0n : v.qty + held;
  return {
    asset_id: asset.id,
    symbol,
    exchange: asset.exchange,
    asset_class: 'us_equity',
    asset_marginable: asset.marginable,
    qty: formatNanos(v.qty),
    qty_available: formatNanos(available),
    avg_entry_price: averageEntryPrice(p) ?? '0',
    side: v.qty < 0n ? 'short' : 'long',
    market_value: money(v.marketValue),
    cost_basis: money(v.costBasis),
    unrealized_pl: money(unrealized),
    unrealized_plpc: ratio(unrealized, abs(v.costBasis)),
    unrealized_intraday_pl: money(v.intradayPl),
    unrealized_intraday_plpc: ratio(v.intradayPl, abs(v.intradayBase)),
    current_price: formatNanos(v.price),
    lastday_price: formatNanos(v.previousClose),
    change_today: ratio((v.price - v.previousClose) * ONE, v.previousClose * ONE),
  };
}

export interface AccountValuation {
  readonly cash: Value18;
  readonly longMarketValue: Value18;
  readonly shortMarketValue: Value18;
  readonly equity: Value18;
  readonly lastEquity: Value18;
  readonly initialMargin: Value18;
  readonly maintenanceMargin: Value18;
  /** Before open orders' reservations; null = no cash balance configured (unlimited). */
  readonly buyingPower: Value18 | null;
  readonly regtBuyingPower: Value18 | null;
  readonly daytradingBuyingPower: Value18 | null;
}

/** Percent of a scale-18 value, exact (`pct` whole percent). */
const percent = (v: Value18, pct: bigint): Value18 => (v * pct) / 100n;
const atLeastZero = (v: Value18): Value18 => (v < 0n ? 0n : v);

/** The account's money at `prices` (by symbol) as of `sessionDate`. */
export function valueAccount(
  settings: AccountSettings,
  ledger: LedgerState,
  prices: (symbol: string) => PositionPrices,
  sessionDate: string,
): AccountValuation {
  const opening = settings.openingCash === null ? 0n : parseSigned9(settings.openingCash) * ONE;
  const cash = opening + parseSigned18(ledger.cashFlow);
  let longMv = 0n;
  let shortMv = 0n;
  let lastEquityPositions = 0n;
  let sessionCosts = 0n;
  for (const [symbol, p] of Object.entries(ledger.positions)) {
    const v = valuePosition(p, prices(symbol), sessionDate);
    if (v.qty > 0n) longMv += v.marketValue;
    else shortMv += v.marketValue;
    const today = p.sessionDate === sessionDate;
    const priorQty = today ? parseSigned9(p.priorQty) : v.qty;
    lastEquityPositions += priorQty * v.previousClose;
    if (today) sessionCosts += parseSigned18(p.sessionCost);
  }
  // Positions that went flat this session: their carried qty at the previous close, the cash their
  // executions moved (a round trip of the day is not in last_equity).
  for (const [symbol, f] of Object.entries(ledger.flat ?? {})) {
    if (f.sessionDate !== sessionDate || ledger.positions[symbol] !== undefined) continue;
    const priorQty = parseSigned9(f.priorQty);
    if (priorQty !== 0n) {
      const known = prices(symbol);
      lastEquityPositions += priorQty * parseSigned9(known.previousClose ?? known.current ?? '0');
    }
    sessionCosts += parseSigned18(f.sessionCost);
  }
  const equity = cash + longMv + shortMv;
  // Cash before this session's executions, plus the carried positions at the previous close.
  const lastEquity = cash + sessionCosts + lastEquityPositions;
  const gross = longMv - shortMv;
  const initialMargin = percent(gross, 50n);
  const maintenanceMargin = percent(longMv, 25n) + percent(-shortMv, 30n);
  // No cash balance configured: no buying power to control (null).
  const controlled = settings.openingCash !== null;
  const regt = settings.multiplier === '1' ? atLeastZero(cash) : 2n * atLeastZero(equity - initialMargin);
  const daytrading = settings.multiplier === '4' ? 4n * atLeastZero(equity - maintenanceMargin) : 0n;
  const buyingPower =
    settings.multiplier === '1' ? atLeastZero(cash) : settings.multiplier === '2' ? regt : daytrading;
  return {
    cash,
    longMarketValue: longMv,
    shortMarketValue: shortMv,
    equity,
    lastEquity,
    initialMargin,
    maintenanceMargin,
    buyingPower: controlled ? buyingPower : null,
    regtBuyingPower: controlled ? regt : null,
    daytradingBuyingPower: controlled ? daytrading : null,
  };
}

/**
 * The account's `id` as Alpaca shows it: a UUID (Alpaca's account ids are; alpaca-py's
 * `TradeAccount.id` refuses anything else). An OMS account id that is a UUID is shown as it is;
 * another (the local demo account's `demo-account`, an operator's name) as the name-based UUID
 * (v5) of `stockbot.oms/account/<id>`: the same in every deployment. The OMS's own id stays in
 * `account_number` (`OMS` + its letters and digits) and in events, routes and exports.
 */
export function alpacaAccountId(accountId: string): string {
  return isUuid(accountId) ? accountId.toLowerCase() : nameBasedUuid(`stockbot.oms/account/${accountId}`);
}

/** Alpaca's Account object. `reserved`: the notional open buy orders hold. */
export function accountJson(
  settings: AccountSettings,
  ledger: LedgerState,
  valuation: AccountValuation,
  reserved: Nanos,
  dayTrades: number,
  balanceAsOf: string,
): Record<string, unknown> {
  const reserve = (v: Value18 | null): string =>
    v === null
      ? money(valuation.equity > 0n ? valuation.equity : 0n)
      : money(atLeastZero(v - reserved * ONE));
  const accountNumber = `OMS${settings.accountId.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}`.slice(0, 24);
  return {
    id: alpacaAccountId(settings.accountId),
    account_number: accountNumber,
    status: settings.accountBlocked ? 'ACCOUNT_CLOSED' : 'ACTIVE',
    crypto_status: 'INACTIVE',
    currency: 'USD',
    cash: money(valuation.cash),
    portfolio_value: money(valuation.equity),
    non_marginable_buying_power: money(atLeastZero(valuation.cash - reserved * ONE)),
    accrued_fees: '0',
    pending_transfer_in: '0',
    pending_transfer_out: '0',
    pattern_day_trader: settings.patternDayTrader,
    trade_suspended_by_user: settings.tradeSuspendedByUser === true,
    trading_blocked: settings.tradingBlocked,
    transfers_blocked: false,
    account_blocked: settings.accountBlocked,
    created_at: settings.createdAt,
    shorting_enabled: settings.shortingEnabled,
    long_market_value: money(valuation.longMarketValue),
    short_market_value: money(valuation.shortMarketValue),
    equity: money(valuation.equity),
    last_equity: money(valuation.lastEquity),
    multiplier: settings.multiplier,
    buying_power: reserve(valuation.buyingPower),
    regt_buying_power: reserve(valuation.regtBuyingPower),
    daytrading_buying_power:
      valuation.daytradingBuyingPower === null ? '0' : reserve(valuation.daytradingBuyingPower),
    initial_margin: money(valuation.initialMargin),
    maintenance_margin: money(valuation.maintenanceMargin),
    last_maintenance_margin: money(valuation.maintenanceMargin),
    sma: '0',
    daytrade_count: dayTrades,
    balance_asof: balanceAsOf,
    position_seq: ledger.seq,
  };
}

/** The client's order after one of its child's executions: the numbers of that FILL activity. */
export interface ClientOrderFill {
  readonly cumQty: string;
  readonly leavesQty: string;
  readonly orderStatus: 'filled' | 'partially_filled';
}

/**
 * The client's order (`parent`: a split's or an algorithm's parent, its events and its state now)
 * after its child's execution: the parent's mirror of that execution (the group coordinator's fill
 * naming `childOrderId` and the same `execId`), else, not mirrored yet, the parent as it is now
 * plus this execution. Null without the parent (its events not found): the child's own numbers stand.
 */
export function clientOrderFillOf(
  parent: {
    readonly events: readonly { readonly type: string; readonly data: unknown }[];
    readonly qty: Nanos | null;
    readonly filledQty: Nanos;
  } | null,
  execution: { readonly orderId: string; readonly execId: string; readonly qty: string },
): ClientOrderFill | null {
  if (parent === null) return null;
  for (const e of parent.events) {
    if (e.type !== 'OrderFilled' && e.type !== 'OrderPartiallyFilled') continue;
    const d = e.data as {
      execId: string;
      childOrderId?: string;
      filledQty: string;
      leavesQty: string | null;
    };
    if (d.childOrderId !== execution.orderId || d.execId !== execution.execId) continue;
    return {
      cumQty: d.filledQty,
      leavesQty: d.leavesQty ?? '0',
      orderStatus: e.type === 'OrderFilled' ? 'filled' : 'partially_filled',
    };
  }
  const cum = parent.filledQty + parseSigned9(execution.qty);
  const leaves = parent.qty === null || parent.qty <= cum ? 0n : parent.qty - cum;
  return {
    cumQty: formatNanos(cum),
    leavesQty: formatNanos(leaves),
    orderStatus: leaves === 0n ? 'filled' : 'partially_filled',
  };
}

/**
 * Alpaca's FILL activity of a PositionChanged event (id = `<compact time>::<seq>`). An execution of
 * a child order the OMS placed names the client's order (`parentOrderId`) with that order's
 * numbers after it (`clientOrderFillOf`): a bot matches its fills to the order it placed.
 */
export function fillActivityJson(
  e: PositionChanged,
  clientOrder: ClientOrderFill | null = null,
): Record<string, unknown> {
  const d = e.data;
  const named = d.parentOrderId !== undefined && clientOrder !== null;
  return {
    id: activityId(e),
    activity_type: 'FILL',
    transaction_time: d.transactionTime,
    type: (named ? clientOrder.orderStatus : d.orderStatus) === 'filled' ? 'fill' : 'partial_fill',
    price: d.price,
    qty: d.qty,
    side: d.side,
    symbol: d.symbol,
    leaves_qty: named ? clientOrder.leavesQty : d.leavesQty,
    order_id: named ? d.parentOrderId : d.orderId,
    cum_qty: named ? clientOrder.cumQty : d.cumQty,
    order_status: named ? clientOrder.orderStatus : d.orderStatus,
  };
}

/** `20261204143000123::<seq>`: sorts by time like Alpaca's, and names the account sequence. */
export function activityId(e: PositionChanged): string {
  const compact = e.data.transactionTime
    .replace(/[-:TZ.]/g, '')
    .padEnd(17, '0')
    .slice(0, 17);
  return `${compact}::${String(e.seq).padStart(12, '0')}`;
}

/** The account sequence an activity id names; null when it is not one of ours. */
export function seqOfActivityId(id: string): number | null {
  const m = /^\d{17}::(\d{12})$/.exec(id);
  return m === null ? null : Number(m[1]);
}
