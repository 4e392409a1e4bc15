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
import { CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR } from './calendar.js';
import {
  calendarInForce,
  DEFAULT_SESSION_CLOSE,
  isInRegularSession,
  newYorkIso,
  nextSessionClose,
  nextSessionOpen,
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
