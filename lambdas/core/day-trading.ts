/**
 * Pattern day trading (issue 16). Pure: the ledger, the account's equity and the New York date are
 * passed in.
 *
 * FINRA Rule 4210(f)(8)(B): "(i) The term 'day trading' means the purchasing and selling or the
 * selling and purchasing of the same security on the same day in a margin account [...]
 * (ii) The term 'pattern day trader' means any customer who executes four or more day trades within
 * five business days [...]"; and (iv)(a): a pattern day trader "must maintain minimum equity of
 * $25,000 on any day in which the customer day trades". The legacy rule as brokers apply it (and
 * Alpaca's PDT protection): an account with equity under $25,000 is refused the order that would
 * make its fourth day trade within five business days.
 *
 * The ledger (core positions.ts) records each day trade as it is completed (`dayTrades`: an order
 * that reduces, the same New York day, a position that day's executions opened or added to on the
 * other side); `wouldDayTrade` asks the same of an order before it is placed.
 */
import { isTradingDay } from './calendar.js';
import { type Nanos, ONE } from './decimal.js';
import type { OrderSpec } from './order-request.js';
import { type LedgerState, parseSigned9, parseSigned18 } from './positions.js';

export type PatternDayTraderMode = 'finra_4210_legacy' | 'none';
export const PDT_MODES: readonly PatternDayTraderMode[] = ['finra_4210_legacy', 'none'];
/** The local and stack default: the legacy rule. */
export const DEFAULT_PDT_MODE: PatternDayTraderMode = 'finra_4210_legacy';
/** Rule 4210(f)(8)(B)(iv)(a)'s minimum equity. */
export const PDT_MINIMUM_EQUITY: Nanos = 25_000n * ONE;
/** Four day trades in five business days make a pattern day trader. */
export const PDT_DAY_TRADES = 4;
export const PDT_WINDOW_BUSINESS_DAYS = 5;
/** Alpaca's message for an order its PDT protection refuses (403, 40310000). */
export const PDT_MESSAGE = 'trade denied due to pattern day trading protection';

/** Reads the mode setting (`OMS_PDT_MODE`); anything else is an error naming the setting. */
export function parsePdtMode(text: string | undefined): PatternDayTraderMode {
  if (text === undefined || text === '') return DEFAULT_PDT_MODE;
  if ((PDT_MODES as readonly string[]).includes(text)) return text as PatternDayTraderMode;
  throw new RangeError(`OMS_PDT_MODE: must be one of ${PDT_MODES.join(', ')}, got "${text}"`);
}

/** The `count` business days (NYSE trading days) ending at `date` (or before it when it is not one), newest first. */
export function lastBusinessDays(date: string, count = PDT_WINDOW_BUSINESS_DAYS): string[] {
  const out: string[] = [];
  let t = Date.parse(`${date}T12:00:00Z`);
  for (let guard = 0; out.length < count && guard < 30; guard++, t -= 86_400_000) {
    const d = new Date(t);
    if (isTradingDay(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()))
      out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

/**
 * The account's day trades in the five business days ending `today`: those made from the first of
 * those days through `today` itself. Only trading days have executions at a real venue, so that is
 * the five days; local mode's simulated venue fills on any day, and a day trade made on a weekend
 * or a holiday counts with the days around it (on that day, the next, and in the window of the
 * following trading days) instead of in no window at all.
 */
export function dayTradesInWindow(ledger: LedgerState, today: string): number {
  const from = lastBusinessDays(today).at(-1) ?? today;
  return ledger.dayTrades.filter((k) => {
    const day = k.slice(0, 10);
    return day >= from && day <= today;
  }).length;
}

/**
 * Whether the order, executed today, would complete a day trade: it goes against a position in its
 * symbol that today's executions opened or added to (a sell of a long bought today, a buy of a
 * short sold today).
 */
export function wouldDayTrade(
  order: Pick<OrderSpec, 'symbol' | 'side'>,
  ledger: LedgerState,
  today: string,
): boolean {
  const p = ledger.positions[order.symbol.toUpperCase()];
  if (p === undefined || p.sessionDate !== today) return false;
  const qty = parseSigned9(p.qty);
  if (qty === 0n || qty > 0n === (order.side === 'buy')) return false;
  const sessionCost = parseSigned18(p.sessionCost);
  return sessionCost !== 0n && sessionCost > 0n === qty > 0n;
}

export interface DayTradingInputs {
  readonly mode: PatternDayTraderMode;
  /** The account's equity; null: the account has no cash balance (its money is not controlled). */
  readonly equity: Nanos | null;
  /** Day trades in the last five business days, today included. */
  readonly dayTrades: number;
  /** The order would complete a day trade (`wouldDayTrade`). */
  readonly wouldDayTrade: boolean;
}

/**
 * The legacy FINRA 4210 PDT protection: the reason the order is refused, or null. Refused: an order
 * that would be the account's fourth (or later) day trade within five business days while its
 * equity is under $25,000. Mode `none`, an order that is not a day trade, or an account without a
 * cash balance: never refused.
 */
export function pdtRefusal(i: DayTradingInputs): string | null {
  if (i.mode === 'none' || !i.wouldDayTrade || i.equity === null) return null;
  if (i.dayTrades + 1 < PDT_DAY_TRADES || i.equity >= PDT_MINIMUM_EQUITY) return null;
  return `${PDT_MESSAGE} (FINRA Rule 4210(f)(8)(B): this would be day trade ${i.dayTrades + 1} within ${PDT_WINDOW_BUSINESS_DAYS} business days with equity under $25,000)`;
}

/** Alpaca's `pattern_day_trader`: flagged by an operator, or 4+ day trades in 5 business days under the legacy rule. */
export function isPatternDayTrader(flagged: boolean, mode: PatternDayTraderMode, dayTrades: number): boolean {
  return flagged || (mode === 'finra_4210_legacy' && dayTrades >= PDT_DAY_TRADES);
}
