/**
 * Alpaca's account portfolio history (`GET /v2/account/portfolio/history`): the account's equity at
 * the end of each window of a timeframe, and its profit and loss against a base value. Pure.
 *
 * Equity at an instant T is what `GET /v2/account` would have shown then: the opening cash, plus the
 * cash flow of the account's executions up to T (each `PositionChanged` carries the cumulative
 * `cashFlow`), plus each position's qty at T at the symbol's price at T. That price is the latest
 * of: the market's recorded price marks in force at T (an intraday mark from the end of its slot, a
 * daily mark, the close, from the end of its New York day: a mark is never used before it was
 * observed), the account's own executions of the symbol up to T, and, at the request's instant, the
 * current quote (so the last point is today's equity). The
 * account records no deposit or withdrawal: the opening cash is the cash of the whole history, and
 * `cashflow` lists zeros for the types asked.
 *
 * Windows are left-labeled (a timestamp is the window's start, Unix seconds) and valued at their end,
 * or at the request's end for the window it falls in. Intraday windows are aligned to the timeframe
 * (New York's UTC offsets are whole hours) and kept by `intraday_reporting`: `market_hours` (default)
 * the deployment's regular sessions, `extended_hours` from the pre-market to the late session's end,
 * `continuous` every window. A `1D` window is a New York date (its session days only, unless
 * `continuous`), labeled at its midnight.
 *
 * Profit and loss (`pnl_reset`, Alpaca's simple P&L: `equity / base - 1`): `per_day` (default,
 * intraday only) against each day's opening equity, the equity at the previous session's close
 * (`base_value_asof`); `no_reset`, and every `1D` series, against the first point's equity.
 */
import { isCalendarDate } from './calendar.js';
import { ONE, type Value18 } from './decimal.js';
import { type FieldError, fieldError } from './field-error.js';
import {
  MARKET_CALENDAR_FIRST_DATE,
  MARKET_CALENDAR_LAST_DATE,
  parseRfc3339,
  type SessionBounds,
  sessionBoundsOn,
} from './market-calendar.js';
import { type PositionChanged, parseSigned9, parseSigned18 } from './positions.js';
import { newYorkDate, newYorkToUtc, type SessionOptions } from './session.js';

export const PORTFOLIO_TIMEFRAMES = ['1Min', '5Min', '15Min', '1H', '1D'] as const;
export type PortfolioTimeframe = (typeof PORTFOLIO_TIMEFRAMES)[number];
export const INTRADAY_REPORTING = ['market_hours', 'extended_hours', 'continuous'] as const;
export type IntradayReporting = (typeof INTRADAY_REPORTING)[number];
export const PNL_RESETS = ['per_day', 'no_reset'] as const;
export type PnlReset = (typeof PNL_RESETS)[number];

/** The parameters `GET /v2/account/portfolio/history` takes (Alpaca's; SDK 4 and alpaca-py send them). */
export const PORTFOLIO_HISTORY_PARAMETERS = [
  'period',
  'timeframe',
  'intraday_reporting',
  'start',
  'end',
  'date_end',
  'extended_hours',
  'pnl_reset',
  'cashflow_types',
] as const;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** An intraday timeframe's window (and the price marks' slot of that resolution, platform/price-marks.ts). */
export const TIMEFRAME_MS: Readonly<Record<Exclude<PortfolioTimeframe, '1D'>, number>> = {
  '1Min': MINUTE_MS,
  '5Min': 5 * MINUTE_MS,
  '15Min': 15 * MINUTE_MS,
  '1H': 60 * MINUTE_MS,
};
/**
 * Alpaca's rule: intraday windows only over 30 days or less; ours one day more, so that `period=1M`
 * (a calendar month) takes an intraday timeframe in every month, not only in 30-day ones.
 */
export const INTRADAY_MAX_DAYS = 31;
/** Ours: a daily series over at most ten years (the account's executions and daily marks are read whole). */
export const DAILY_MAX_DAYS = 3660;

export interface PortfolioHistoryQuery {
  /** The first window starts at or after it. */
  readonly startMs: number;
  /** The last instant valued (never after the request). */
  readonly endMs: number;
  readonly timeframe: PortfolioTimeframe;
  readonly reporting: IntradayReporting;
  readonly pnlReset: PnlReset;
  /** Activity types whose cash flows are listed (none recorded: zeros). */
  readonly cashflowTypes: readonly string[];
}

/** The deployment's sessions (the v2 clock's). */
export interface PortfolioSessions {
  readonly sessionClose?: string;
  readonly options?: SessionOptions;
}

const PERIOD = /^([1-9]\d{0,3})([DWMA])$/i;

/**
 * `ms` moved by a well-formed period (`nD`, `nW`, `nM` calendar months, `nA` years), back
 * (`direction` -1: a window's start from its end) or on (+1: its end from its start).
 */
function movedByPeriod(period: string, ms: number, direction: 1 | -1): number {
  const m = PERIOD.exec(period) as RegExpExecArray;
  const n = direction * Number(m[1]);
  const unit = (m[2] as string).toUpperCase();
  if (unit === 'D' || unit === 'W') return ms + (unit === 'W' ? 7 : 1) * n * DAY_MS;
  const d = new Date(ms);
  if (unit === 'M') d.setUTCMonth(d.getUTCMonth() + n);
  else d.setUTCFullYear(d.getUTCFullYear() + n);
  return d.getTime();
}

/** New York midnight starting `date` (`YYYY-MM-DD`). */
export function newYorkMidnight(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return newYorkToUtc(y, m, d, 0, 0);
}

/** The New York date after `date`. */
function nextDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
}

function previousDate(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) - DAY_MS).toISOString().slice(0, 10);
}

/** The sessions of `date`, or null: none that day, or a date outside the exchange calendar's years. */
function boundsOn(date: string, sessions: PortfolioSessions): SessionBounds | null {
  if (date < MARKET_CALENDAR_FIRST_DATE || date > MARKET_CALENDAR_LAST_DATE) return null;
  return sessionBoundsOn(date, sessions.sessionClose, sessions.options);
}

/**
 * The query's window, timeframe and P&L rule, or the first parameter that is wrong (a 400 naming
 * it). Alpaca's rules: only two of `start`, `end` and `period`; `end` defaults to now (later is now),
 * `start` to `end` minus `period` (default `1M`); `date_end` (a date) ends the window at the end of
 * that New York day, and is not taken with `end`; `timeframe` defaults to `1Min` under 7 days,
 * `15Min` under 30, else `1D`, and an intraday timeframe is only taken for 31 days or less;
 * `extended_hours=true` is `intraday_reporting=extended_hours`.
 */
export function parsePortfolioHistoryQuery(
  params: Readonly<Record<string, string | undefined>>,
  nowMs: number,
):
  | { readonly ok: true; readonly query: PortfolioHistoryQuery }
  | { readonly ok: false; readonly error: FieldError } {
  const refuse = (field: string, message: string, code: FieldError['code'] = 'invalid_value') =>
    ({ ok: false, error: fieldError(code, field, message) }) as const;
  const given = (name: string): string | undefined => {
    const v = params[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const period = given('period');
  if (period !== undefined && !PERIOD.test(period))
    return refuse('period', 'must be a number (1 to 9999) and a unit D, W, M or A, such as 1D or 3M');
  const timeframe = given('timeframe');
  if (timeframe !== undefined && !(PORTFOLIO_TIMEFRAMES as readonly string[]).includes(timeframe))
    return refuse('timeframe', `must be one of ${PORTFOLIO_TIMEFRAMES.join(', ')}`);
  // alpaca-py sends Python's `True` / `False`.
  const extended = given('extended_hours')?.toLowerCase();
  if (extended !== undefined && extended !== 'true' && extended !== 'false')
    return refuse('extended_hours', 'must be true or false');
  const reporting = given('intraday_reporting') ?? (extended === 'true' ? 'extended_hours' : 'market_hours');
  if (!(INTRADAY_REPORTING as readonly string[]).includes(reporting))
    return refuse('intraday_reporting', `must be one of ${INTRADAY_REPORTING.join(', ')}`);
  const pnlReset = given('pnl_reset') ?? 'per_day';
  if (!(PNL_RESETS as readonly string[]).includes(pnlReset))
    return refuse('pnl_reset', `must be one of ${PNL_RESETS.join(', ')}`);
  const instant = (name: 'start' | 'end') => {
    const text = given(name);
    return text === undefined ? undefined : parseRfc3339(text);
  };
  const start = instant('start');
  if (start === null)
    return refuse('start', 'must be an RFC 3339 timestamp, such as 2026-12-01T09:30:00-05:00');
  const end = instant('end');
  if (end === null) return refuse('end', 'must be an RFC 3339 timestamp, such as 2026-12-01T16:00:00-05:00');
  const dateEnd = given('date_end');
  if (dateEnd !== undefined && !(/^\d{4}-\d{2}-\d{2}$/.test(dateEnd) && isCalendarDate(dateEnd)))
    return refuse('date_end', 'must be a date (YYYY-MM-DD)');
  if (dateEnd !== undefined && end !== undefined)
    return refuse('date_end', 'is not taken with end', 'not_allowed');
  if (dateEnd !== undefined && start !== undefined && period !== undefined)
    return refuse('date_end', 'is not taken with both start and period', 'not_allowed');
  if (start !== undefined && end !== undefined && period !== undefined)
    return refuse(
      'period',
      'is not taken with both start and end: give at most two of start, end and period',
      'not_allowed',
    );
  const askedEnd =
    end ??
    (dateEnd !== undefined
      ? newYorkMidnight(nextDate(dateEnd))
      : start !== undefined && period !== undefined
        ? movedByPeriod(period, start, 1)
        : nowMs);
  const endMs = Math.min(askedEnd, nowMs);
  const startMs = start ?? movedByPeriod(period ?? '1M', endMs, -1);
  if (!(startMs < endMs))
    return refuse(
      start !== undefined ? 'start' : 'end',
      start !== undefined ? 'must be before the window ends (end, or now)' : 'must be after start',
      'out_of_range',
    );
  if (startMs < newYorkMidnight(MARKET_CALENDAR_FIRST_DATE))
    return refuse(
      start !== undefined
        ? 'start'
        : end !== undefined
          ? 'end'
          : dateEnd !== undefined
            ? 'date_end'
            : 'period',
      `makes a window starting before ${MARKET_CALENDAR_FIRST_DATE} (the exchange calendar's first day)`,
      'out_of_range',
    );
  const days = (endMs - startMs) / DAY_MS;
  const chosen: PortfolioTimeframe =
    (timeframe as PortfolioTimeframe | undefined) ?? (days < 7 ? '1Min' : days < 30 ? '15Min' : '1D');
  if (chosen !== '1D' && days > INTRADAY_MAX_DAYS)
    return refuse('timeframe', `must be 1D for a window longer than ${INTRADAY_MAX_DAYS} days`);
  if (days > DAILY_MAX_DAYS)
    return refuse(
      start !== undefined ? 'start' : 'period',
      `makes a window longer than ${DAILY_MAX_DAYS} days`,
      'out_of_range',
    );
  const cashflow = given('cashflow_types');
  const cashflowTypes =
    cashflow === undefined || cashflow === 'NONE' || cashflow === 'ALL'
      ? []
      : [
          ...new Set(
            cashflow
              .split(',')
              .map((t) => t.trim().toUpperCase())
              .filter((t) => t !== ''),
          ),
        ];
  return {
    ok: true,
    query: {
      startMs,
      endMs,
      timeframe: chosen,
      reporting: reporting as IntradayReporting,
      pnlReset: pnlReset as PnlReset,
      cashflowTypes,
    },
  };
}

/** A window of the series: its label (start) and the instant its equity is taken at. */
export interface PortfolioWindow {
  readonly startMs: number;
  readonly valuedAtMs: number;
  /** The New York date of the session (or day) the window is in: its P&L base's day. */
  readonly date: string;
}

/** The reporting intervals of New York `date` under `reporting` (ms, start inclusive, end exclusive). */
function intervalsOn(
  date: string,
  q: PortfolioHistoryQuery,
  sessions: PortfolioSessions,
): [number, number][] {
  if (q.reporting === 'continuous') return [[newYorkMidnight(date), newYorkMidnight(nextDate(date))]];
  const bounds = boundsOn(date, sessions);
  if (bounds === null) return [];
  return q.reporting === 'market_hours'
    ? [[bounds.coreStart, bounds.coreEnd]]
    : [[bounds.preStart, bounds.postEnd]];
}

/** The series' windows, oldest first. */
export function portfolioWindows(
  q: PortfolioHistoryQuery,
  sessions: PortfolioSessions = {},
): PortfolioWindow[] {
  const out: PortfolioWindow[] = [];
  const lastDate = newYorkDate(q.endMs);
  if (q.timeframe === '1D') {
    for (let date = newYorkDate(q.startMs); date <= lastDate; date = nextDate(date)) {
      if (intervalsOn(date, q, sessions).length === 0) continue;
      const startMs = newYorkMidnight(date);
      out.push({ startMs, valuedAtMs: Math.min(newYorkMidnight(nextDate(date)), q.endMs), date });
    }
    return out;
  }
  const step = TIMEFRAME_MS[q.timeframe];
  // A deployment whose session runs overnight starts it the day before: one more day looked at.
  let seen = Number.NEGATIVE_INFINITY;
  for (let date = previousDate(newYorkDate(q.startMs)); date <= lastDate; date = nextDate(date)) {
    for (const [from, to] of intervalsOn(date, q, sessions)) {
      const first = Math.ceil(Math.max(from, q.startMs) / step) * step;
      for (let t = Math.max(first, seen + step); t < Math.min(to, q.endMs); t += step) {
        out.push({ startMs: t, valuedAtMs: Math.min(t + step, q.endMs), date });
        seen = t;
      }
    }
  }
  return out;
}

/** A price in force from `fromMs` (a recorded mark, an execution, the current quote). */
export interface PriceInForce {
  readonly fromMs: number;
  /** Canonical decimal text. */
  readonly price: string;
}

/**
 * When a recorded mark of a resolution is in force: an intraday mark (labeled at its slot's start,
 * the last observation of its slot) from its slot's end; a daily mark (labeled at 00:00 UTC of its
 * New York date, the day's close) from the end of that New York day.
 */
export function markInForce(resolution: PortfolioTimeframe, at: number, price: string): PriceInForce {
  return resolution === '1D'
    ? dailyMarkInForce(new Date(at).toISOString().slice(0, 10), price)
    : { fromMs: at + TIMEFRAME_MS[resolution], price };
}

/** When a minute mark (labeled at its minute's start) is in force: from its minute's end. */
export const minuteMarkInForce = (at: number, price: string): PriceInForce => ({
  fromMs: at + MINUTE_MS,
  price,
});

/** When a daily mark of New York `date` is in force: from the end of that day. */
export const dailyMarkInForce = (date: string, price: string): PriceInForce => ({
  fromMs: newYorkMidnight(nextDate(date)),
  price,
});

/** The account's ledger as read: its position sequence and each open position's qty (text). */
export interface LedgerQty {
  readonly seq: number;
  readonly qty: ReadonlyMap<string, string>;
}

export interface PortfolioInputs {
  /** The account's opening cash (the account record's; null: none configured, 0). */
  readonly openingCash: string | null;
  /**
   * The account's PositionChanged events, contiguous by seq, any order: all of them (from seq 1), or,
   * with `ledger`, a tail ending at the ledger's seq whose oldest (the base) is rolled back to from
   * the ledger (`executionsCover`). Events after the ledger's seq are not applied.
   */
  readonly executions: readonly PositionChanged[];
  /** The ledger a tail of executions ends at (absent: the executions are all of them). */
  readonly ledger?: LedgerQty;
  /** Per symbol, the recorded prices (any order). */
  readonly marks: ReadonlyMap<string, readonly PriceInForce[]>;
}

const timeOf = (e: PositionChanged) => Date.parse(e.data.transactionTime || e.occurredAt);
const qtyChangeOf = (e: PositionChanged) => parseSigned9(e.data.qtyAfter) - parseSigned9(e.data.qtyBefore);

/**
 * Whether a newest-first tail of the account's executions, read back from the ledger, is enough to
 * value every instant from `fromMs` on: its oldest was executed at or before `fromMs` (the account's
 * booked times increase with its seq, core positions.ts `bookedTransactionTime`), and each position
 * open at `fromMs` has an execution in it at or before `fromMs` (its price until the market's marks).
 * A tail that reaches seq 1 is all of them.
 */
export function executionsCover(
  newestFirst: readonly PositionChanged[],
  ledger: LedgerQty,
  fromMs: number,
): boolean {
  const oldest = newestFirst.at(-1);
  if (ledger.seq === 0 || oldest?.seq === 1) return true;
  if (oldest === undefined || timeOf(oldest) > fromMs) return false;
  const qty = new Map<string, bigint>([...ledger.qty].map(([s, q]) => [s, parseSigned9(q)]));
  const tradedBy = new Set<string>();
  for (const e of newestFirst) {
    if (e.seq > ledger.seq) continue;
    if (timeOf(e) > fromMs) qty.set(e.data.symbol, (qty.get(e.data.symbol) ?? 0n) - qtyChangeOf(e));
    else tradedBy.add(e.data.symbol);
  }
  return [...qty].every(([symbol, q]) => q === 0n || tradedBy.has(symbol));
}

/**
 * Equity (scale 18) at each instant of `instants` (ascending). Each execution is applied as what it
 * changed (its cash flow less the one before it by seq, `qtyAfter - qtyBefore`) from its time. With
 * a tail (`ledger`), the state after its oldest execution is the ledger's rolled back over the
 * others, and the instants are not before that execution.
 */
export function equityAt(instants: readonly number[], inputs: PortfolioInputs): Value18[] {
  const opening = inputs.openingCash === null ? 0n : parseSigned9(inputs.openingCash) * ONE;
  const ledger = inputs.ledger;
  const bySeq = [...inputs.executions]
    .filter((e) => ledger === undefined || e.seq <= ledger.seq)
    .sort((a, b) => a.seq - b.seq);
  const qty = new Map<string, bigint>();
  const lastTrade = new Map<string, PriceInForce>();
  let cash = opening;
  // A tail: its oldest is the base, applied before any instant; the ledger, less the rest, is the
  // qty after it.
  const base = ledger !== undefined && bySeq[0] !== undefined && bySeq[0].seq > 1 ? bySeq[0] : null;
  if (base !== null && ledger !== undefined) {
    for (const [symbol, q] of ledger.qty) qty.set(symbol, parseSigned9(q));
    for (const e of bySeq.slice(1)) qty.set(e.data.symbol, (qty.get(e.data.symbol) ?? 0n) - qtyChangeOf(e));
    cash += parseSigned18(base.data.cashFlow);
    lastTrade.set(base.data.symbol, { fromMs: timeOf(base), price: base.data.price });
  }
  const changes = bySeq
    .map((e, i) => ({
      at: timeOf(e),
      seq: e.seq,
      symbol: e.data.symbol,
      price: e.data.price,
      cash:
        parseSigned18(e.data.cashFlow) -
        (i === 0 ? 0n : parseSigned18((bySeq[i - 1] as PositionChanged).data.cashFlow)),
      qty: qtyChangeOf(e),
    }))
    .slice(base === null ? 0 : 1)
    .sort((a, b) => a.at - b.at || a.seq - b.seq);
  const marks = new Map<string, PriceInForce[]>();
  for (const [symbol, list] of inputs.marks)
    marks.set(
      symbol,
      [...list].sort((a, b) => a.fromMs - b.fromMs),
    );
  const markIndex = new Map<string, number>();
  let next = 0;
  const out: Value18[] = [];
  for (const t of instants) {
    for (; next < changes.length && (changes[next] as (typeof changes)[number]).at <= t; next++) {
      const c = changes[next] as (typeof changes)[number];
      cash += c.cash;
      qty.set(c.symbol, (qty.get(c.symbol) ?? 0n) + c.qty);
      lastTrade.set(c.symbol, { fromMs: c.at, price: c.price });
    }
    let equity = cash;
    for (const [symbol, q] of qty) {
      if (q === 0n) continue;
      const list = marks.get(symbol) ?? [];
      let i = markIndex.get(symbol) ?? -1;
      while (i + 1 < list.length && (list[i + 1] as PriceInForce).fromMs <= t) i++;
      markIndex.set(symbol, i);
      const mark = i >= 0 ? (list[i] as PriceInForce) : null;
      const trade = lastTrade.get(symbol) as PriceInForce;
      const price = mark !== null && mark.fromMs > trade.fromMs ? mark.price : trade.price;
      equity += q * parseSigned9(price);
    }
    out.push(equity);
  }
  return out;
}

const CENT = 10n ** 16n;

/** Dollars as Alpaca's numbers: to the cent, half to even (signed). */
export function dollars(v: Value18): number {
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const q = abs / CENT;
  const twice = (abs % CENT) * 2n;
  const cents = twice > CENT || (twice === CENT && q % 2n === 1n) ? q + 1n : q;
  return Number(negative ? -cents : cents) / 100;
}

/** `equity / base - 1`, to 6 decimals (0 against a base of 0). */
function pnlRatio(equity: Value18, base: Value18): number {
  if (base === 0n) return 0;
  const scaled = ((equity - base) * 10n ** 7n) / base;
  // Half away from zero on the 7th digit, then 6 decimals.
  return Number(scaled >= 0n ? (scaled + 5n) / 10n : (scaled - 5n) / 10n) / 1e6;
}

export interface PortfolioHistoryJson {
  readonly timestamp: number[];
  readonly equity: number[];
  readonly profit_loss: number[];
  readonly profit_loss_pct: number[];
  readonly base_value: number;
  readonly base_value_asof?: string;
  readonly timeframe: PortfolioTimeframe;
  readonly cashflow: Record<string, number[]>;
}

/**
 * A `per_day` series' base of each day of its windows: the instant of the previous session's close
 * (the day's opening equity is the previous trading day's closing equity; at the latest the day's
 * New York midnight, for deployments whose sessions close after midnight). Empty for a series
 * against its first point (`no_reset`, `1D`).
 */
export function portfolioBaseInstants(
  q: PortfolioHistoryQuery,
  windows: readonly PortfolioWindow[],
  sessions: PortfolioSessions = {},
): Map<string, number> {
  if (q.pnlReset !== 'per_day' || q.timeframe === '1D') return new Map();
  return new Map(
    [...new Set(windows.map((w) => w.date))].map((date) => {
      const midnight = newYorkMidnight(date);
      const close = boundsOn(previousSessionDate(date, sessions), sessions)?.coreEnd ?? midnight;
      return [date, Math.min(close, midnight)];
    }),
  );
}

/** The earliest instant a series values: its start, or a day's base before it. */
export function portfolioValuationStart(
  q: PortfolioHistoryQuery,
  windows: readonly PortfolioWindow[],
  sessions: PortfolioSessions = {},
): number {
  return Math.min(q.startMs, ...portfolioBaseInstants(q, windows, sessions).values());
}

/**
 * The response: each window's equity, P&L against its base (`portfolioBaseInstants`).
 */
export function portfolioHistoryJson(
  q: PortfolioHistoryQuery,
  windows: readonly PortfolioWindow[],
  inputs: PortfolioInputs,
  sessions: PortfolioSessions = {},
): PortfolioHistoryJson {
  const perDay = q.pnlReset === 'per_day' && q.timeframe !== '1D';
  const dayStart = portfolioBaseInstants(q, windows, sessions);
  // equityAt takes instants in order: the windows' and the days' starts, merged, then mapped back.
  const instants = [...new Set([...dayStart.values(), ...windows.map((w) => w.valuedAtMs)])].sort(
    (a, b) => a - b,
  );
  const values = equityAt(instants, inputs);
  const valueAt = new Map<number, Value18>(instants.map((t, i) => [t, values[i] as Value18]));
  const equity = windows.map((w) => valueAt.get(w.valuedAtMs) as Value18);
  const firstBase = equity[0] ?? 0n;
  const baseOf = (i: number): Value18 =>
    perDay
      ? (valueAt.get(dayStart.get((windows[i] as PortfolioWindow).date) as number) as Value18)
      : firstBase;
  const base = windows.length === 0 ? 0n : baseOf(0);
  const firstDate = windows[0]?.date;
  return {
    timestamp: windows.map((w) => Math.floor(w.startMs / 1000)),
    equity: equity.map(dollars),
    profit_loss: equity.map((e, i) => dollars(e - baseOf(i))),
    profit_loss_pct: equity.map((e, i) => pnlRatio(e, baseOf(i))),
    base_value: dollars(base),
    ...(perDay && firstDate !== undefined
      ? { base_value_asof: previousSessionDate(firstDate, sessions) }
      : {}),
    timeframe: q.timeframe,
    cashflow: Object.fromEntries(q.cashflowTypes.map((t) => [t, windows.map(() => 0)])),
  };
}

/** The session day before `date` (looked for over 10 days), else the calendar day before. */
export function previousSessionDate(date: string, sessions: PortfolioSessions = {}): string {
  let d = previousDate(date);
  for (let i = 0; i < 10; i++, d = previousDate(d)) if (boundsOn(d, sessions) !== null) return d;
  return previousDate(date);
}

/** How many marks of the series' resolution a symbol has at most from `fromMs` to its end (one a slot, or a day). */
export function marksPerSymbol(q: PortfolioHistoryQuery, fromMs: number): number {
  const slot = q.timeframe === '1D' ? DAY_MS : TIMEFRAME_MS[q.timeframe];
  return Math.ceil((q.endMs - fromMs) / slot) + 1;
}

/** The price-mark resolution the series reads: its timeframe's (platform/price-marks.ts). */
export const markResolutionOf = (q: PortfolioHistoryQuery): PortfolioTimeframe => q.timeframe;
