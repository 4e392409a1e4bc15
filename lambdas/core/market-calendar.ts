/**
 * The market clock and calendar Alpaca's `GET /v2/clock` and `GET /v2/calendar` answer (issue 13),
 * from the sessions the OMS itself trades by (session.ts: the deployment's open, close, session
 * days and holiday calendar), so the clock a bot reads and the deadlines its orders get agree.
 * Pure: the instant and the settings are passed in.
 *
 * Settlement (`settlement_date`): the trade date plus the settlement cycle in settlement days, a
 * settlement day being a session day on which the Federal Reserve's banks are open too. The cycle
 * by trade date, as SEC Rule 15c6-1 set it: T+3 until 2017-09-04, T+2 from 2017-09-05, T+1 from
 * 2024-05-28. The bank holidays on which the NYSE trades are Columbus Day (2nd Monday of October)
 * and Veterans Day (November 11; on a Sunday the Monday after; on a Saturday not moved, as the
 * Federal Reserve observes it); every other Federal holiday closes the NYSE too. With a custom
 * session week (`calendar: none`) there are no holidays: every session day settles.
 */
import { CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, isCalendarDate } from './calendar.js';
import { type FieldError, fieldError } from './field-error.js';
import {
  calendarInForce,
  DEFAULT_SESSION_CLOSE,
  isInRegularSession,
  newYorkDate,
  newYorkIso,
  newYorkToUtc,
  nextSessionClose,
  nextSessionOpen,
  parseSessionTime,
  SESSION_ZONE,
  type SessionOptions,
  sessionHoursOn,
} from './session.js';

/** `GET /v2/clock`, Alpaca's fields. Instants in New York's offset, as Alpaca writes them. */
export interface MarketClock {
  readonly timestamp: string;
  readonly is_open: boolean;
  readonly next_open: string;
  readonly next_close: string;
}

/** One day of `GET /v2/calendar`, Alpaca's fields: `HH:MM` for the regular hours, `HHMM` for the extended session. */
export interface MarketCalendarDay {
  readonly date: string;
  readonly open: string;
  readonly close: string;
  readonly session_open: string;
  readonly session_close: string;
  readonly settlement_date: string;
}

/** The pre-market session starts at 04:00 New York on every trading day. */
export const PRE_MARKET_OPEN = '04:00';

/** The first and last dates the calendar answers for (every settlement date stays inside the NYSE rules' years). */
export const MARKET_CALENDAR_FIRST_DATE = `${CALENDAR_FIRST_YEAR}-01-01`;
export const MARKET_CALENDAR_LAST_DATE = `${CALENDAR_LAST_YEAR - 1}-12-31`;

/** The market clock at `nowMs`: open during a regular session; the next open and close strictly after now. */
export function marketClock(
  nowMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): MarketClock {
  return {
    timestamp: newYorkIso(nowMs),
    is_open: isInRegularSession(nowMs, sessionClose, options),
    next_open: newYorkIso(nextSessionOpen(nowMs, options)),
    next_close: newYorkIso(nextSessionClose(nowMs, sessionClose, options)),
  };
}

const pad2 = (n: number) => String(n).padStart(2, '0');
const isoOf = (t: Date) => `${t.getUTCFullYear()}-${pad2(t.getUTCMonth() + 1)}-${pad2(t.getUTCDate())}`;
const dateOf = (iso: string) => new Date(`${iso}T00:00:00Z`);
const nextDate = (iso: string) => {
  const t = dateOf(iso);
  t.setUTCDate(t.getUTCDate() + 1);
  return isoOf(t);
};
/** `HH:MM[:SS]` -> Alpaca's `HHMM` (seconds dropped: the extended session's bounds are whole minutes). */
const compact = (time: string) => time.slice(0, 5).replace(':', '');
const hhmm = (time: string) => time.slice(0, 5);

/** The settlement cycle of a trade date, in settlement days (SEC Rule 15c6-1). */
export function settlementCycleDays(tradeDate: string): number {
  if (tradeDate >= '2024-05-28') return 1;
  if (tradeDate >= '2017-09-05') return 2;
  return 3;
}

/** A Federal Reserve holiday on which the NYSE trades (Columbus Day, Veterans Day as observed), else null. */
export function bankOnlyHoliday(date: string): string | null {
  const t = dateOf(date);
  const [m, d, weekday] = [t.getUTCMonth() + 1, t.getUTCDate(), t.getUTCDay()];
  if (m === 10 && weekday === 1 && d >= 8 && d <= 14) return 'Columbus Day';
  if (m === 11 && d === 11 && weekday >= 1 && weekday <= 5) return 'Veterans Day';
  if (m === 11 && d === 12 && weekday === 1) return 'Veterans Day';
  return null;
}

function hoursOf(date: string, sessionClose: string, options: SessionOptions) {
  const t = dateOf(date);
  return sessionHoursOn(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate(), sessionClose, options);
}

/**
 * Whether trades settle on `date` with these session `hours`: a session day on which the banks are
 * open too (bank-only holidays count under the NYSE calendar only).
 */
function settlesOn(date: string, hours: ReturnType<typeof hoursOf>, nyse: boolean): boolean {
  return hours !== null && (!nyse || bankOnlyHoliday(date) === null);
}

function isSettlementDay(date: string, sessionClose: string, options: SessionOptions): boolean {
  return settlesOn(date, hoursOf(date, sessionClose, options), calendarInForce(options) === 'nyse');
}

/** The settlement date of a trade on `tradeDate`. */
export function settlementDateOf(
  tradeDate: string,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): string {
  let date = tradeDate;
  for (let left = settlementCycleDays(tradeDate); left > 0; ) {
    date = nextDate(date);
    if (isSettlementDay(date, sessionClose, options)) left -= 1;
  }
  return date;
}

/**
 * The trading days from `start` to `end` (inclusive, `YYYY-MM-DD`, within the calendar's dates),
 * in date order; with `dateType: 'SETTLEMENT'`, the trading days whose settlement date is in the
 * range instead (Alpaca's `date_type`).
 */
export function marketCalendar(
  start: string,
  end: string,
  dateType: 'TRADING' | 'SETTLEMENT' = 'TRADING',
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): MarketCalendarDay[] {
  if (start < MARKET_CALENDAR_FIRST_DATE || end > MARKET_CALENDAR_LAST_DATE)
    throw new RangeError(`the calendar covers ${MARKET_CALENDAR_FIRST_DATE}..${MARKET_CALENDAR_LAST_DATE}`);
  // A trade settles at most 22 calendar days later (T+3 in a week of one session day; under the
  // NYSE calendar at most 9, September 2001): the settlement view starts that much earlier, and
  // every listed day's settlement is found by looking that far past the end. Each date's hours are
  // worked out once.
  const lookaround = 22 * 86_400_000;
  const earliest = isoOf(new Date(dateOf(start).getTime() - lookaround));
  const first = dateType === 'SETTLEMENT' && earliest > MARKET_CALENDAR_FIRST_DATE ? earliest : start;
  const last = isoOf(new Date(dateOf(end).getTime() + lookaround));
  const nyse = calendarInForce(options) === 'nyse';
  const days: { date: string; hours: ReturnType<typeof hoursOf>; settles: boolean }[] = [];
  for (let date = first; date <= last; date = nextDate(date)) {
    const hours = hoursOf(date, sessionClose, options);
    days.push({ date, hours, settles: settlesOn(date, hours, nyse) });
  }
  const out: MarketCalendarDay[] = [];
  for (let i = 0; i < days.length; i++) {
    const { date, hours } = days[i] as (typeof days)[number];
    if (date > end) break;
    if (hours === null) continue;
    let j = i;
    for (let left = settlementCycleDays(date); left > 0; ) {
      j += 1;
      if ((days[j] as (typeof days)[number]).settles) left -= 1;
    }
    const settlement = (days[j] as (typeof days)[number]).date;
    const key = dateType === 'SETTLEMENT' ? settlement : date;
    if (key < start || key > end) continue;
    out.push({
      date,
      open: hhmm(hours.open),
      close: hhmm(hours.close),
      session_open: compact(PRE_MARKET_OPEN),
      session_close: compact(hours.postMarketClose),
      settlement_date: settlement,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Alpaca's v3 market clock and calendar (`GET /v3/clock`, `GET /v3/calendar/{market}`): the same
// sessions split into phases. For US equities a session day runs: `pre` from 04:00 New York to the
// open, `core` from the open (09:30) to the close (16:00; 13:00 on an early-close day), `post` from
// the close to the end of the late session (20:00; 17:00 on an early-close day); `closed` the rest
// of the day, and all day on a day without a session. US equities have no `lunch`. The open, the
// close, the session days and the holiday calendar are the deployment's (session.ts), so a v3
// clock's `core` is exactly a v2 clock's `is_open`, and its next open and close are the v2 ones.
// ---------------------------------------------------------------------------------------------

/** Alpaca's market phases (its `phase` enum); the OMS's US equity markets never enter `lunch`. */
export type MarketPhase = 'closed' | 'pre' | 'core' | 'lunch' | 'post';

/** Alpaca's `public_market`: who the clock or calendar is about. */
export interface PublicMarket {
  readonly acronym: string;
  readonly mic: string;
  readonly name: string;
  readonly timezone: string;
}

const NYSE: PublicMarket = {
  acronym: 'NYSE',
  mic: 'XNYS',
  name: 'New York Stock Exchange',
  timezone: SESSION_ZONE,
};
const NASDAQ: PublicMarket = {
  acronym: 'NASDAQ',
  mic: 'XNAS',
  name: 'Nasdaq Stock Market',
  timezone: SESSION_ZONE,
};

/**
 * The market codes the OMS answers for, by acronym and by MIC (ISO 10383), as Alpaca names them:
 * the US equity exchanges whose sessions are the ones the OMS trades (NYSE and Nasdaq keep the same
 * holidays and early closes). Exact spelling, as Alpaca's `market` enum.
 */
export const US_EQUITY_MARKET_CODES: readonly string[] = ['NYSE', 'XNYS', 'NASDAQ', 'XNAS'];
const US_EQUITY_MARKETS: Readonly<Record<string, PublicMarket>> = {
  NYSE,
  XNYS: NYSE,
  NASDAQ,
  XNAS: NASDAQ,
};

/**
 * Every code of Alpaca's `market` enum (its Trading API reference, 2026): a code in this list that
 * the OMS does not serve (London, Hong Kong, options, overnight, bonds...) is named as such in the
 * refusal, anything else is not a market code at all.
 */
const ALPACA_MARKET_CODES: readonly string[] = [
  'BMO',
  'BNYM',
  'BOATS',
  'CEUX',
  'CHIX',
  'HKEX',
  'IEX',
  'IEXG',
  'ISE',
  'JPX',
  'LSE',
  'MTA',
  'MTAA',
  'NASDAQ',
  'NYSE',
  'OCEA',
  'OPRA',
  'OTC',
  'OTCM',
  'SIFMA',
  'TADAWUL',
  'XAMS',
  'XBRU',
  'XDUB',
  'XETR',
  'XETRA',
  'XHKG',
  'XLIS',
  'XLON',
  'XNAS',
  'XNYS',
  'XPAR',
  'XSAU',
  'XTKS',
  // Added to the enum on 2026-12-03 (with an `overnight` phase the OMS does not model).
  'BOSS',
  'BRUCE',
  'FX',
  'KRX',
  'XKRX',
  'XCSE',
  'XHEL',
  'XMIL',
  'XOSL',
  'XSTO',
  'XADS',
  'XDFM',
];

/** The clock's markets when `markets` is not given: the NYSE (a decision: Alpaca documents no default). */
export const DEFAULT_CLOCK_MARKETS: readonly PublicMarket[] = [NYSE];

/** Input echoed in a refusal: quoted, at most 32 characters. */
const shown = (text: string) => JSON.stringify(text.length > 32 ? `${text.slice(0, 32)}...` : text);

/** A market by its code (`NYSE`, `XNYS`, `NASDAQ`, `XNAS`), or a refusal's words (after the field name). */
export function usEquityMarket(
  code: string,
): { ok: true; market: PublicMarket } | { ok: false; message: string } {
  const market = Object.hasOwn(US_EQUITY_MARKETS, code) ? US_EQUITY_MARKETS[code] : undefined;
  if (market !== undefined) return { ok: true, market };
  const served = US_EQUITY_MARKET_CODES.join(', ');
  return {
    ok: false,
    message: ALPACA_MARKET_CODES.includes(code)
      ? `${code} is not a market this OMS serves: it trades US equities (${served})`
      : `${shown(code)} is not a market code: use ${served}`,
  };
}

/**
 * `markets` of the clock: comma-separated codes (blanks around a code ignored), one clock per
 * market in the order first named (`NYSE,XNYS` is one market); at least one.
 */
export function parseMarketCodes(
  text: string,
): { ok: true; markets: PublicMarket[] } | { ok: false; message: string } {
  const markets: PublicMarket[] = [];
  for (const raw of text.split(',')) {
    const code = raw.trim();
    if (code === '') return { ok: false, message: 'must be market codes separated by commas, none empty' };
    const found = usEquityMarket(code);
    if (!found.ok) return found;
    if (!markets.includes(found.market)) markets.push(found.market);
  }
  return { ok: true, markets };
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * An RFC 3339 date-time (`2026-12-03T14:30:00Z`, `2026-12-03T09:30:00.5-05:00`: seconds and an
 * offset required, a fraction to nanoseconds kept to the millisecond) as epoch ms, or null: not
 * that form, or no such date or time (2026-02-30, 24:00, an offset beyond 23:59).
 */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339.exec(text);
  if (m === null || !isCalendarDate(m[1] as string)) return null;
  const [hour, minute, second] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offset = (m[6] as string).toUpperCase();
  if (offset !== 'Z' && (Number(offset.slice(1, 3)) > 23 || Number(offset.slice(4, 6)) > 59)) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}${(m[5] ?? '').slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? null : ms;
}

/** A session day's phase bounds, as instants: pre from `preStart`, core `coreStart`..`coreEnd`, post to `postEnd`. */
export interface SessionBounds {
  readonly date: string;
  /** 04:00 New York, or the open if that is earlier (then there is no pre phase). */
  readonly preStart: number;
  /** The open. */
  readonly coreStart: number;
  /** The first close after the open: the day's own, or a later session day's when the deployment closes before it opens. */
  readonly coreEnd: number;
  /** The end of the late session (20:00, 17:00 on an early close) of the close's day, not before the close (equal: no post phase). */
  readonly postEnd: number;
}

/** A session day's hours and its `HH:MM[:SS]` times as instants, or null: no session that day. */
function sessionDayOf(date: string, sessionClose: string, options: SessionOptions) {
  const hours = hoursOf(date, sessionClose, options);
  if (hours === null) return null;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const at = (time: string) => {
    const t = parseSessionTime(time);
    return newYorkToUtc(y, m, d, t.hour, t.minute, t.second);
  };
  const open = at(hours.open);
  return {
    open,
    preStart: Math.min(at(PRE_MARKET_OPEN), open),
    close: at(hours.close),
    postEnd: at(hours.postMarketClose),
  };
}

/**
 * The phase bounds of a New York date under the deployment's sessions, or null: no session that day.
 * A deployment that closes before it opens (local mode's test setups move the close to any hour)
 * has its core through the night to the next session day's close, as the v2 clock reads it; the
 * post-market after it then ends by that day's pre-market or open.
 */
export function sessionBoundsOn(
  date: string,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): SessionBounds | null {
  const day = sessionDayOf(date, sessionClose, options);
  if (day === null) return null;
  const bounds = { date, preStart: day.preStart, coreStart: day.open };
  if (day.close > day.open)
    return { ...bounds, coreEnd: day.close, postEnd: Math.max(day.close, day.postEnd) };
  const coreEnd = nextSessionClose(day.open, sessionClose, options);
  const closeDay = sessionDayOf(newYorkDate(coreEnd), sessionClose, options);
  let postEnd = Math.min(Math.max(coreEnd, closeDay?.postEnd ?? coreEnd), nextSessionOpen(coreEnd, options));
  if (closeDay !== null && closeDay.preStart > coreEnd) postEnd = Math.min(postEnd, closeDay.preStart);
  return { ...bounds, coreEnd, postEnd };
}

/** Further than any run of days without a session, and than any core lasts (session.ts looks as far). */
const PHASE_LOOKAHEAD_DAYS = 31;

/**
 * The market's phase at `nowMs` and when it ends (the next phase's start, strictly after now):
 * bounds are inclusive at the start (09:30:00 is core, 16:00:00 post). Core is exactly the v2
 * clock's `is_open` (the regular session the OMS enforces, e.g. refusing opg orders), until the
 * next close; otherwise the pre- or post-market of a session day (`sessionBoundsOn`) that holds
 * now, the one begun last where a deployment's odd hours make them overlap, else closed.
 * `isMarketDay`: whether the New York date of `nowMs` has a session.
 */
export function marketPhaseAt(
  nowMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): { phase: MarketPhase; until: number; isMarketDay: boolean } {
  const today = newYorkDate(nowMs);
  const isMarketDay = hoursOf(today, sessionClose, options) !== null;
  if (isInRegularSession(nowMs, sessionClose, options)) {
    // To the close after which the session is over (an open later than an early close makes the
    // v2 reading run on through that day's close: two closes without an open between them).
    let until = nextSessionClose(nowMs, sessionClose, options);
    for (let n = 0; n < PHASE_LOOKAHEAD_DAYS && isInRegularSession(until, sessionClose, options); n++)
      until = nextSessionClose(until, sessionClose, options);
    return { phase: 'core', until, isMarketDay };
  }
  let current: { phase: 'pre' | 'post'; start: number; end: number } | null = null;
  let nextStart = Number.POSITIVE_INFINITY;
  // The session days whose phases can still run now (a core lasts to the next session day's
  // close at most), up to the first one whose phases all lie ahead.
  const last = addDays(today, PHASE_LOOKAHEAD_DAYS);
  const back = addDays(today, -PHASE_LOOKAHEAD_DAYS);
  const first = back < MARKET_CALENDAR_FIRST_DATE ? MARKET_CALENDAR_FIRST_DATE : back;
  for (let date = first; date <= last; date = nextDate(date)) {
    const b = sessionBoundsOn(date, sessionClose, options);
    if (b === null) continue;
    const phases: readonly (readonly ['pre' | 'core' | 'post', number, number])[] = [
      ['pre', b.preStart, b.coreStart],
      ['core', b.coreStart, b.coreEnd],
      ['post', b.coreEnd, b.postEnd],
    ];
    for (const [phase, start, end] of phases) {
      if (start >= end) continue;
      if (start > nowMs) nextStart = Math.min(nextStart, start);
      else if (phase !== 'core' && nowMs < end && (current === null || start >= current.start))
        current = { phase, start, end };
    }
    if (b.preStart > nowMs) break;
  }
  if (current !== null) return { phase: current.phase, until: Math.min(current.end, nextStart), isMarketDay };
  if (nextStart === Number.POSITIVE_INFINITY)
    throw new RangeError(`no session within ${PHASE_LOOKAHEAD_DAYS} days after ${today}`);
  return { phase: 'closed', until: nextStart, isMarketDay };
}

/** How v3 writes instants: in the market's own offset (Alpaca's default), or in UTC (`timezone=UTC`). */
export type V3Zone = 'market' | 'UTC';

/** An instant as RFC 3339 without a fraction when it has none (`2026-12-03T09:30:00-05:00`, `...T14:30:00Z`). */
export function v3Instant(utcMs: number, zone: V3Zone = 'market'): string {
  const text = zone === 'UTC' ? new Date(utcMs).toISOString() : newYorkIso(utcMs);
  return utcMs % 1000 === 0 ? text.replace('.000', '') : text;
}

/** One clock of `GET /v3/clock`, Alpaca's `clock` fields. */
export interface MarketClockV3 {
  readonly market: PublicMarket;
  /** The instant the clock is for, to the millisecond, in the market's offset. */
  readonly timestamp: string;
  readonly is_market_day: boolean;
  readonly next_market_open: string;
  readonly next_market_close: string;
  readonly phase: MarketPhase;
  readonly phase_until: string;
}

/** The v3 clock of `market` at `nowMs` (the same sessions for every US equity market). */
export function marketClockV3(
  market: PublicMarket,
  nowMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): MarketClockV3 {
  const { phase, until, isMarketDay } = marketPhaseAt(nowMs, sessionClose, options);
  return {
    market,
    timestamp: newYorkIso(nowMs),
    is_market_day: isMarketDay,
    next_market_open: v3Instant(nextSessionOpen(nowMs, options)),
    next_market_close: v3Instant(nextSessionClose(nowMs, sessionClose, options)),
    phase,
    phase_until: v3Instant(until),
  };
}

/**
 * One day of `GET /v3/calendar/{market}`, Alpaca's `calendar_day`: RFC 3339 instants. `pre_*` and
 * `post_*` are left out on a day whose phase is empty (an open at or before 04:00, a close at or
 * after the late session's end); `lunch_*` always (US equities have no lunch break).
 */
export interface MarketCalendarDayV3 {
  readonly date: string;
  readonly pre_start?: string;
  readonly pre_end?: string;
  readonly core_start: string;
  readonly core_end: string;
  readonly post_start?: string;
  readonly post_end?: string;
  readonly settlement_date: string;
}

/** The session days from `start` to `end` (inclusive, within the calendar's dates) in v3's shape. */
export function marketCalendarV3(
  start: string,
  end: string,
  zone: V3Zone = 'market',
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): MarketCalendarDayV3[] {
  return marketCalendar(start, end, 'TRADING', sessionClose, options).map((day) => {
    const b = sessionBoundsOn(day.date, sessionClose, options) as SessionBounds;
    // Each bound written once: a phase's end is the next one's start.
    const [coreStart, coreEnd] = [v3Instant(b.coreStart, zone), v3Instant(b.coreEnd, zone)];
    return {
      date: day.date,
      ...(b.preStart < b.coreStart ? { pre_start: v3Instant(b.preStart, zone), pre_end: coreStart } : {}),
      core_start: coreStart,
      core_end: coreEnd,
      ...(b.postEnd > b.coreEnd ? { post_start: coreEnd, post_end: v3Instant(b.postEnd, zone) } : {}),
      settlement_date: day.settlement_date,
    };
  });
}

/** The widest `start`..`end` of one v3 calendar answer: 30 years (about 7,600 days, 2.5 MB). */
export const V3_CALENDAR_MAX_YEARS = 30;

/** `date` plus `days` calendar days (`YYYY-MM-DD`). */
export function addDays(date: string, days: number): string {
  const t = dateOf(date);
  t.setUTCDate(t.getUTCDate() + days);
  return isoOf(t);
}

/** Days the v3 calendar lists past `start` when no `end` is given (Alpaca: one week from the start). */
export const V3_CALENDAR_DEFAULT_DAYS = 7;

/**
 * The dates of a v3 calendar request: `start` (default `today`, the market's date now) and `end`
 * (default a week after `start`, at most the calendar's last date), each `YYYY-MM-DD` within the
 * calendar's dates; `start` not after `end`; `end` less than 30 years after `start`. Every problem
 * names its parameter: the one the client sent (a defaulted `start` after `end` is `end`'s).
 */
export function v3CalendarRange(
  query: { readonly start?: string | undefined; readonly end?: string | undefined },
  today: string,
): { ok: true; start: string; end: string } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const dateOrNull = (name: 'start' | 'end', text: string | undefined): string | null => {
    if (text === undefined) return null;
    if (isCalendarDate(text) && text >= MARKET_CALENDAR_FIRST_DATE && text <= MARKET_CALENDAR_LAST_DATE)
      return text;
    errors.push(
      fieldError(
        'invalid_value',
        name,
        `must be a date (YYYY-MM-DD) from ${MARKET_CALENDAR_FIRST_DATE} to ${MARKET_CALENDAR_LAST_DATE}`,
      ),
    );
    return null;
  };
  const givenStart = dateOrNull('start', query.start);
  const givenEnd = dateOrNull('end', query.end);
  if (errors.length > 0) return { ok: false, errors };
  const start = givenStart ?? today;
  const weekOn = addDays(start, V3_CALENDAR_DEFAULT_DAYS);
  const end = givenEnd ?? (weekOn > MARKET_CALENDAR_LAST_DATE ? MARKET_CALENDAR_LAST_DATE : weekOn);
  if (start > end) {
    errors.push(
      givenStart === null
        ? fieldError('invalid_value', 'end', `must not be before start (not given: today, ${start})`)
        : fieldError('invalid_value', 'start', `must not be after end (${end})`),
    );
  } else {
    const limit = `${Number(start.slice(0, 4)) + V3_CALENDAR_MAX_YEARS}${start.slice(4)}`;
    if (end >= limit)
      errors.push(
        fieldError(
          'out_of_range',
          'end',
          `must be less than ${V3_CALENDAR_MAX_YEARS} years after start (${start})`,
        ),
      );
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, start, end };
}
