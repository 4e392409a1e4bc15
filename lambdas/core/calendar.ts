/**
 * The NYSE trading calendar (US cash equities): which days the exchange is open and when a day's
 * session ends. Pure: dates in, answers out; New York civil dates (`month` 1..12), no clock, no
 * time zone (session.ts turns a session into instants).
 *
 * Computed by rule for 2000..2100 (outside that range every function throws a RangeError), plus
 * a short explicit list of the unscheduled closures since 2000. The rules, as NYSE Rule 7.2 and
 * NYSE Group's yearly holiday announcements state them:
 * - Full holidays: New Year's Day, Martin Luther King, Jr. Day (3rd Monday of January; observed
 *   since 1998, so in every year covered), Washington's Birthday (3rd Monday of February), Good
 *   Friday (two days before Easter), Memorial Day (last Monday of May), Juneteenth National
 *   Independence Day (from 2022), Independence Day, Labor Day (1st Monday of September),
 *   Thanksgiving Day (4th Thursday of November), Christmas Day.
 * - A fixed-date holiday on a Sunday is observed the Monday after; on a Saturday, the Friday
 *   before, unless that Friday ends a month (Rule 7.2: the accounting period) - which only
 *   happens to New Year's Day, so a Saturday January 1 gives no holiday at all (2022, 2028).
 * - Early closes at 13:00: the day before Independence Day (July 3), the day after Thanksgiving
 *   and Christmas Eve (December 24), each only when it is a trading day. For July 3 that means
 *   July 4 falls Tuesday to Friday, as NYSE's published early closes for 2019..2028 show.
 *   On those days the late (post-market) session ends at 17:00 instead of 20:00.
 * Not modelled: before 2013 the NYSE occasionally placed an early close elsewhere (third-party
 * historical calendars list 2002-07-05 instead of 2002-07-03, and 2003-12-26); the calendar
 * serves order expiry, which only asks about today and the days ahead.
 */

export const CALENDAR_FIRST_YEAR = 2000;
export const CALENDAR_LAST_YEAR = 2100;

/** Regular hours of a trading day, New York time. */
export const REGULAR_OPEN = '09:30';
export const REGULAR_CLOSE = '16:00';
/** The close on an early-close day (the "1:00 p.m." of NYSE's announcements). */
export const EARLY_CLOSE = '13:00';
/** End of the late trading (post-market) session: 20:00, 17:00 on early-close days. */
export const POST_MARKET_CLOSE = '20:00';
export const EARLY_POST_MARKET_CLOSE = '17:00';

/** One trading day's hours (`HH:MM`, New York). */
export interface TradingSession {
  readonly open: string;
  /** 16:00, or 13:00 on an early-close day. */
  readonly close: string;
  /** 20:00, or 17:00 on an early-close day. */
  readonly postMarketClose: string;
  /** Why the session ends at 13:00 (e.g. `Day after Thanksgiving`); null on a full day. */
  readonly earlyClose: string | null;
}

export const REGULAR_SESSION: TradingSession = {
  open: REGULAR_OPEN,
  close: REGULAR_CLOSE,
  postMarketClose: POST_MARKET_CLOSE,
  earlyClose: null,
};

/** A weekday the exchange is closed on, `YYYY-MM-DD`. */
export interface MarketClosure {
  readonly date: string;
  readonly name: string;
  /** `holiday`: one of the yearly rules; `special`: an unscheduled closure from the explicit list. */
  readonly kind: 'holiday' | 'special';
}

/** A trading day that ends at 13:00, `YYYY-MM-DD`. */
export interface EarlyClose {
  readonly date: string;
  readonly name: string;
}

/**
 * Unscheduled full-day closures since 2000 (none of them moved a holiday). The NYSE closes for a
 * national day of mourning and for emergencies; a new one is added here when it is announced.
 */
const SPECIAL_CLOSURES: readonly (readonly [string, string])[] = [
  ['2001-09-11', 'September 11 attacks'],
  ['2001-09-12', 'September 11 attacks'],
  ['2001-09-13', 'September 11 attacks'],
  ['2001-09-14', 'September 11 attacks'],
  ['2004-06-11', 'National Day of Mourning for President Ronald Reagan'],
  ['2007-01-02', 'National Day of Mourning for President Gerald R. Ford'],
  ['2012-10-29', 'Hurricane Sandy'],
  ['2012-10-30', 'Hurricane Sandy'],
  ['2018-12-05', 'National Day of Mourning for President George H. W. Bush'],
  ['2025-01-09', 'National Day of Mourning for President Jimmy Carter'],
];

const pad2 = (n: number) => String(n).padStart(2, '0');
const isoDate = (y: number, m: number, d: number) => `${y}-${pad2(m)}-${pad2(d)}`;
/** 0 = Sunday .. 6 = Saturday. */
const weekdayOf = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay();
const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

function checkYear(year: number): void {
  if (!Number.isInteger(year) || year < CALENDAR_FIRST_YEAR || year > CALENDAR_LAST_YEAR)
    throw new RangeError(
      `the NYSE calendar covers ${CALENDAR_FIRST_YEAR}..${CALENDAR_LAST_YEAR}, got the year ${year}`,
    );
}

function checkDate(y: number, m: number, d: number): void {
  checkYear(y);
  if (!Number.isInteger(m) || m < 1 || m > 12 || !Number.isInteger(d) || d < 1 || d > daysInMonth(y, m))
    throw new RangeError(`not a calendar date: ${y}-${m}-${d}`);
}

/** Day of the month of the `n`th (1-based) given weekday in a month; `n = -1` for the last one. */
function nthWeekday(y: number, m: number, weekday: number, n: number): number {
  if (n > 0) return 1 + ((weekday - weekdayOf(y, m, 1) + 7) % 7) + 7 * (n - 1);
  const last = daysInMonth(y, m);
  return last - ((weekdayOf(y, m, last) - weekday + 7) % 7);
}

/** Easter Sunday in the Gregorian calendar (the anonymous "Meeus/Jones/Butcher" computus). */
function easterSunday(y: number): readonly [number, number] {
  const a = y % 19;
  const b = Math.floor(y / 100);
  const c = y % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return [month, day];
}

/** A civil date shifted by `days` (which may cross a month end), as [year, month, day]. */
function shift(y: number, m: number, d: number, days: number): readonly [number, number, number] {
  const t = new Date(Date.UTC(y, m - 1, d + days));
  return [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
}

/**
 * Where a fixed-date holiday is observed (Rule 7.2): Sunday -> Monday; Saturday -> Friday unless
 * that Friday is the last day of a month (then not observed: null).
 */
function observed(y: number, m: number, d: number): readonly [number, number, number] | null {
  const weekday = weekdayOf(y, m, d);
  if (weekday === 0) return shift(y, m, d, 1);
  if (weekday === 6) return d === 1 ? null : shift(y, m, d, -1);
  return [y, m, d];
}

const rulesCache = new Map<number, readonly MarketClosure[]>();

/** The year's rule holidays, as observed (all on weekdays), in date order. */
function ruleHolidays(y: number): readonly MarketClosure[] {
  const cached = rulesCache.get(y);
  if (cached !== undefined) return cached;
  const out: MarketClosure[] = [];
  const add = (date: readonly [number, number, number] | null, name: string) => {
    if (date !== null) out.push({ date: isoDate(date[0], date[1], date[2]), name, kind: 'holiday' });
  };
  const [easterMonth, easterDay] = easterSunday(y);
  add(observed(y, 1, 1), "New Year's Day");
  add([y, 1, nthWeekday(y, 1, 1, 3)], 'Martin Luther King, Jr. Day');
  add([y, 2, nthWeekday(y, 2, 1, 3)], "Washington's Birthday");
  add(shift(y, easterMonth, easterDay, -2), 'Good Friday');
  add([y, 5, nthWeekday(y, 5, 1, -1)], 'Memorial Day');
  if (y >= 2022) add(observed(y, 6, 19), 'Juneteenth National Independence Day');
  add(observed(y, 7, 4), 'Independence Day');
  add([y, 9, nthWeekday(y, 9, 1, 1)], 'Labor Day');
  add([y, 11, nthWeekday(y, 11, 4, 4)], 'Thanksgiving Day');
  add(observed(y, 12, 25), 'Christmas Day');
  out.sort((a, b) => (a.date < b.date ? -1 : 1));
  rulesCache.set(y, out);
  return out;
}

/** Whether `date` is a real calendar date `YYYY-MM-DD` (2026-02-30 is not: Date.parse rolls it over). */
export function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const d = new Date(`${date}T00:00:00Z`);
  return Number.isFinite(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/** Every weekday of `year` the exchange is closed: rule holidays and special closures, in date order. */
export function closuresOf(year: number): readonly MarketClosure[] {
  checkYear(year);
  const special = SPECIAL_CLOSURES.filter(([date]) => date.startsWith(`${year}-`)).map(
    ([date, name]): MarketClosure => ({ date, name, kind: 'special' }),
  );
  return [...ruleHolidays(year), ...special].sort((a, b) => (a.date < b.date ? -1 : 1));
}

/**
 * Why the exchange is closed on this weekday (`Good Friday`, `Hurricane Sandy`, ...); null on a
 * trading day and on a weekend (weekends are no holiday, just no session).
 */
export function holidayName(year: number, month: number, day: number): string | null {
  checkDate(year, month, day);
  const date = isoDate(year, month, day);
  const rule = ruleHolidays(year).find((h) => h.date === date);
  if (rule !== undefined) return rule.name;
  return SPECIAL_CLOSURES.find(([d]) => d === date)?.[1] ?? null;
}

/** Monday to Friday and not a closure. */
export function isTradingDay(year: number, month: number, day: number): boolean {
  checkDate(year, month, day);
  const weekday = weekdayOf(year, month, day);
  return weekday !== 0 && weekday !== 6 && holidayName(year, month, day) === null;
}

/** Why a trading day ends at 13:00, or null (a full day, or no trading day at all). */
function earlyCloseName(y: number, m: number, d: number): string | null {
  if (!isTradingDay(y, m, d)) return null;
  if (m === 7 && d === 3) return 'Day before Independence Day';
  if (m === 12 && d === 24) return 'Christmas Eve';
  if (m === 11 && d === nthWeekday(y, 11, 4, 4) + 1) return 'Day after Thanksgiving';
  return null;
}

/** The year's early closes, in date order. */
export function earlyClosesOf(year: number): readonly EarlyClose[] {
  checkYear(year);
  const candidates: readonly (readonly [number, number])[] = [
    [7, 3],
    [11, nthWeekday(year, 11, 4, 4) + 1],
    [12, 24],
  ];
  const out: EarlyClose[] = [];
  for (const [m, d] of candidates) {
    const name = earlyCloseName(year, m, d);
    if (name !== null) out.push({ date: isoDate(year, m, d), name });
  }
  return out;
}

/** The day's session, or null when the exchange does not trade (weekend or closure). */
export function sessionOf(year: number, month: number, day: number): TradingSession | null {
  if (!isTradingDay(year, month, day)) return null;
  const earlyClose = earlyCloseName(year, month, day);
  if (earlyClose === null) return REGULAR_SESSION;
  return { open: REGULAR_OPEN, close: EARLY_CLOSE, postMarketClose: EARLY_POST_MARKET_CLOSE, earlyClose };
}
