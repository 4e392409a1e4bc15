/**
 * Trading-session time: how long the order workflow waits for an order's closing milestone
 * (filled, canceled, expired, ...) before it expires the order itself. Pure: the clock comes in.
 *
 * Sessions are US equities hours in America/New_York on the exchange calendar (calendar.ts):
 * by default NYSE trading days, so a DAY order placed on a holiday, a weekend or after the close
 * waits for the next trading day's close, and on an early-close day (the day after
 * Thanksgiving, Christmas Eve, July 3) it expires at 13:00. The zone offset follows the US
 * daylight-saving rule (checked against the tz database by the tests). The venue's own
 * done-for-day/expiry report may still close an order earlier; this is the workflow's bound.
 *
 * What a deployment may change (the caller reads its settings and passes them in):
 * - the close (`HH:MM` or `HH:MM:SS`, default 16:00). On an early-close day the earlier of the
 *   configured close and 13:00 applies: 16:00 becomes 13:00, a custom 15:45 also becomes 13:00
 *   (an order never outlives the shortened session), a custom 12:30 stays 12:30;
 * - the open (`sessionOpen`, default 09:30): the opening auction opg orders wait for;
 * - the grace a DAY order gets after its deadline (default 60 s);
 * - the days with a session (`sessionDays`, Monday to Friday by default; local mode and tests
 *   use every day so DAY expiry can be exercised on a weekend too);
 * - the holiday calendar (`calendar`): `nyse` or `none`. It defaults to `nyse` when the session
 *   days are the default and to `none` when they are set: a custom week is a test or local-mode
 *   setting, and an end-to-end DAY-expiry run must not wait a day because it happens to run on
 *   a holiday. An explicit `nyse` with custom days skips the holidays among those days, and a
 *   weekend day among them trades regular hours (the NYSE has no weekend holidays);
 * - the longest a GTC order lives (`gtcMaxAgeDays`, default 90, Alpaca's; at most 364).
 * Per order: `extendedHours` (Alpaca `extended_hours`) lets a DAY order live until the end of
 * the post-market session, 20:00 (17:00 on an early-close day), or the close if that is later.
 */
import { holidayName, REGULAR_SESSION, sessionOf, type TradingSession } from './calendar.js';
import { type FieldError, fieldError } from './field-error.js';
import type { TimeInForce } from './order-request.js';

export const SESSION_ZONE = 'America/New_York';
export const SESSION_OPEN = '09:30';
export const DEFAULT_SESSION_CLOSE = '16:00';

/** After the deadline a day order gets this long for the venue's expiry report to arrive (default). */
export const DAY_GRACE_SECONDS = 60;
/** Longest grace a deployment may set (a day). */
export const MAX_DAY_GRACE_SECONDS = 24 * 60 * 60;
/** Days with a session by default: Monday to Friday (0 = Sunday .. 6 = Saturday, as `getUTCDay`). */
export const WEEKDAYS: readonly number[] = [1, 2, 3, 4, 5];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/**
 * The holiday calendar the sessions follow: `nyse` (NYSE holidays and early closes, calendar.ts)
 * or `none` (every session day has regular hours).
 */
export type SessionCalendar = 'nyse' | 'none';
export const SESSION_CALENDARS: readonly SessionCalendar[] = ['nyse', 'none'];

/** A deployment's session settings besides the close (all optional: the defaults above). */
export interface SessionOptions {
  /**
   * The open, `HH:MM` or `HH:MM:SS` New York (default 09:30): the opening auction, which opg orders
   * wait for. Local mode and tests move it to exercise the auction within seconds.
   */
  readonly sessionOpen?: string;
  /** Seconds a DAY order waits after the close for the venue's report (default 60). */
  readonly dayGraceSeconds?: number;
  /** Weekdays with a session, 0 = Sunday .. 6 = Saturday (default Monday to Friday). */
  readonly sessionDays?: readonly number[];
  /** Holidays and early closes; default `nyse` without `sessionDays`, `none` with them. */
  readonly calendar?: SessionCalendar;
  /** Days a GTC order lives at most (default 90, 1..MAX_GTC_MAX_AGE_DAYS). */
  readonly gtcMaxAgeDays?: number;
}

/** The session settings plus what of the order itself bears on its deadline. */
export interface OutcomeOptions extends SessionOptions {
  /** The order's `extended_hours`: a DAY order lives until the end of the post-market session. */
  readonly extendedHours?: boolean;
}

/** opg / cls: the auction's result is due shortly after the auction (open or close) itself. */
export const AUCTION_GRACE_SECONDS = 600;
/** ioc / fok: the venue answers at once (fill, partial fill + cancel, or cancel); 5 min bound. */
export const IMMEDIATE_SECONDS = 300;
const DAY_SECONDS = 24 * 60 * 60;
/** gtc: Alpaca expires GTC orders 90 days after submission (the default maximum age). */
export const DEFAULT_GTC_MAX_AGE_DAYS = 90;
/**
 * Longest GTC maximum age a deployment may set. The order's workflow is one Step Functions
 * Standard execution, which lives at most a year (the stack's timeout is 365 days): the GTC
 * wait plus the steps around it must end inside it, so 364 days leaves a day for them.
 */
export const MAX_GTC_MAX_AGE_DAYS = 364;
/** gtc with the default maximum age, in seconds. */
export const GTC_SECONDS = DEFAULT_GTC_MAX_AGE_DAYS * DAY_SECONDS;

interface WallTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const HOUR_MS = 60 * 60 * 1000;
/** New York standard time (EST) and daylight time (EDT), from UTC. */
const EST_OFFSET_MS = -5 * HOUR_MS;
const EDT_OFFSET_MS = -4 * HOUR_MS;

/** The `n`th Sunday (1-based) of `month` (0-based) of `year`, at `hourUtc` UTC. */
function nthSundayUtc(year: number, month: number, n: number, hourUtc: number): number {
  const firstWeekday = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return Date.UTC(year, month, 1 + ((7 - firstWeekday) % 7) + (n - 1) * 7, hourUtc);
}

/** The last Sunday of `month` (0-based) of `year`, at `hourUtc` UTC. */
function lastSundayUtc(year: number, month: number, hourUtc: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, last.getUTCDate() - last.getUTCDay(), hourUtc);
}

/**
 * Daylight time in New York, [start, end) in UTC. The change is at 02:00 local: 07:00 UTC in spring
 * (02:00 EST), 06:00 UTC in autumn (02:00 EDT). Since 2007 (Energy Policy Act of 2005, 15 U.S.C.
 * 260a): the second Sunday of March to the first Sunday of November. 1987-2006: the first Sunday of
 * April to the last Sunday of October; earlier years are given that rule too (no order, fill or
 * session of this system is older; tzdata differs there in some years).
 */
function daylightTimeUtc(year: number): readonly [number, number] {
  if (year >= 2007) return [nthSundayUtc(year, 2, 2, 7), nthSundayUtc(year, 10, 1, 6)];
  return [nthSundayUtc(year, 3, 1, 7), lastSundayUtc(year, 9, 6)];
}

/**
 * Arithmetic, not `Intl`: the first `Intl` formatter of a process loads ICU's data, about 20 ms of
 * every function's cold start (issue 12's import time), for a rule this short. test/core/session
 * checks it against `Intl` (the tz database) instant by instant from 1987 to 2199, so a change of
 * the rule in a later Node's tz data fails a test.
 */
function offsetAt(utcMs: number): number {
  const year = new Date(utcMs).getUTCFullYear();
  if (Number.isNaN(year)) throw new RangeError('Invalid time value');
  const [start, end] = daylightTimeUtc(year);
  return utcMs >= start && utcMs < end ? EDT_OFFSET_MS : EST_OFFSET_MS;
}

function wallTimeAt(utcMs: number): WallTime {
  const wall = new Date(utcMs + offsetAt(utcMs));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/** Offset of New York from UTC at `utcMs`, in ms (-5 h in winter, -4 h in summer). */
export function zoneOffsetMs(utcMs: number): number {
  return offsetAt(utcMs);
}

/** The UTC instant of a New York wall-clock time (`month` 1..12; day overflow rolls over). */
export function newYorkToUtc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  // Two passes: the offset at the guess can differ from the offset at the answer near a DST change.
  const first = wall - zoneOffsetMs(wall);
  return wall - zoneOffsetMs(first);
}

export interface SessionTime {
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

/** A session time of day, `HH:MM` or `HH:MM:SS` (24 h). Throws a RangeError on anything else. */
export function parseSessionTime(text: string): SessionTime {
  const m = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(text);
  if (m === null) throw new RangeError(`session time must be HH:MM or HH:MM:SS, got ${text}`);
  return { hour: Number(m[1]), minute: Number(m[2]), second: Number(m[3] ?? 0) };
}

/** A DAY grace in whole seconds, 0..MAX_DAY_GRACE_SECONDS, from its text. Throws a RangeError. */
export function parseDayGraceSeconds(text: string): number {
  const n = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 0 && n <= MAX_DAY_GRACE_SECONDS))
    throw new RangeError(`grace must be whole seconds between 0 and ${MAX_DAY_GRACE_SECONDS}, got ${text}`);
  return n;
}

/**
 * Session days from a comma-separated list of day names (`mon,tue,wed,thu,fri`; case and spaces
 * ignored; at least one day, none twice). Throws a RangeError naming the bad entry.
 */
export function parseSessionDays(text: string): readonly number[] {
  const days: number[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase();
    const day = (DAY_NAMES as readonly string[]).indexOf(name);
    if (day < 0)
      throw new RangeError(`session days must be day names (${DAY_NAMES.join(',')}), got "${raw}"`);
    if (days.includes(day)) throw new RangeError(`session days name ${name} twice`);
    days.push(day);
  }
  return days.sort((a, b) => a - b);
}

/** A holiday calendar by name (`nyse` or `none`, as written). Throws a RangeError on anything else. */
export function parseSessionCalendar(text: string): SessionCalendar {
  const calendar = SESSION_CALENDARS.find((c) => c === text);
  if (calendar === undefined)
    throw new RangeError(`session calendar must be one of ${SESSION_CALENDARS.join(', ')}, got ${text}`);
  return calendar;
}

/** A GTC maximum age in whole days, 1..MAX_GTC_MAX_AGE_DAYS, from its text. Throws a RangeError. */
export function parseGtcMaxAgeDays(text: string): number {
  const n = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN;
  checkGtcMaxAgeDays(n, text);
  return n;
}

function checkGtcMaxAgeDays(days: number, shown: string | number = days): void {
  if (!(Number.isInteger(days) && days >= 1 && days <= MAX_GTC_MAX_AGE_DAYS))
    throw new RangeError(
      `GTC maximum age must be whole days between 1 and ${MAX_GTC_MAX_AGE_DAYS}, got ${shown}`,
    );
}

/** The calendar in force of `options` (`calendarOf`). */
export function calendarInForce(options: SessionOptions): SessionCalendar {
  return calendarOf(options.sessionDays, options.calendar);
}

/** The calendar in force: explicit, else `nyse` for the default week and `none` for a custom one. */
function calendarOf(sessionDays: readonly number[] | undefined, calendar: SessionCalendar | undefined) {
  const c = calendar ?? (sessionDays === undefined ? 'nyse' : 'none');
  if (!SESSION_CALENDARS.includes(c)) throw new RangeError(`unknown session calendar ${String(c)}`);
  return c;
}

/** Looking further ahead than any run of closed days (the longest since 2000: 6 days in 2001). */
const LOOKAHEAD_DAYS = 31;

/**
 * The session on a New York date, or null when it has none: not a session day, or (NYSE
 * calendar) an exchange holiday. A session day the NYSE does not trade on by rule (a weekend
 * day in a custom week) gets regular hours.
 */
function sessionOn(
  year: number,
  month: number,
  day: number,
  sessionDays: readonly number[],
  calendar: SessionCalendar,
): TradingSession | null {
  if (!sessionDays.includes(new Date(Date.UTC(year, month - 1, day)).getUTCDay())) return null;
  if (calendar === 'none') return REGULAR_SESSION;
  if (holidayName(year, month, day) !== null) return null;
  return sessionOf(year, month, day) ?? REGULAR_SESSION;
}

/** The first instant strictly after `afterMs` that is `timeOf(session)` on a session's day. */
function nextDeadline(
  afterMs: number,
  sessionDays: readonly number[],
  calendar: SessionCalendar,
  timeOf: (session: TradingSession) => SessionTime,
): number {
  const today = wallTimeAt(afterMs);
  for (let add = 0; add <= LOOKAHEAD_DAYS; add++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + add));
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const session = sessionOn(y, m, d, sessionDays, calendar);
    if (session === null) continue;
    const { hour, minute, second } = timeOf(session);
    const at = newYorkToUtc(y, m, d, hour, minute, second);
    if (at > afterMs) return at;
  }
  throw new RangeError(
    `no session within ${LOOKAHEAD_DAYS} days on the days ${JSON.stringify(sessionDays)} (calendar ${calendar})`,
  );
}

const secondsOfDay = (t: SessionTime) => t.hour * 3600 + t.minute * 60 + t.second;
const earlier = (a: SessionTime, b: SessionTime) => (secondsOfDay(a) <= secondsOfDay(b) ? a : b);
const later = (a: SessionTime, b: SessionTime) => (secondsOfDay(a) >= secondsOfDay(b) ? a : b);

/** The configured close on a day: an early close (13:00) cuts a later configured close short. */
function closeOn(session: TradingSession, configuredClose: SessionTime): SessionTime {
  return session.earlyClose === null
    ? configuredClose
    : earlier(configuredClose, parseSessionTime(session.close));
}

/**
 * The first session time `time` (New York) strictly after `afterMs` on a session day: one of
 * `sessionDays` (default Monday to Friday) that is not a holiday of `calendar` (default `nyse`
 * for the default days, `none` for given ones). The time is taken as given: no early close.
 */
export function nextSessionTime(
  afterMs: number,
  time: string,
  sessionDays?: readonly number[],
  calendar?: SessionCalendar,
): number {
  const t = parseSessionTime(time);
  return nextDeadline(afterMs, sessionDays ?? WEEKDAYS, calendarOf(sessionDays, calendar), () => t);
}

/** The opening time in force: the configured one, else the calendar's (09:30). */
function openTimeOf(options: SessionOptions): (session: TradingSession) => SessionTime {
  if (options.sessionOpen === undefined) return (s) => parseSessionTime(s.open);
  const open = parseSessionTime(options.sessionOpen);
  return () => open;
}

/**
 * The first opening auction strictly after `afterMs`: the open (`options.sessionOpen`, default
 * 09:30 New York) on a session day (`options.sessionDays` minus the holidays of `options.calendar`).
 */
export function nextSessionOpen(afterMs: number, options: SessionOptions = {}): number {
  const calendar = calendarOf(options.sessionDays, options.calendar);
  return nextDeadline(afterMs, options.sessionDays ?? WEEKDAYS, calendar, openTimeOf(options));
}

/**
 * The first closing auction strictly after `afterMs`: the close (`sessionClose`, New York) on a
 * session day, 13:00 at the latest on an early-close day; the instant a DAY order's life ends.
 */
export function nextSessionClose(
  afterMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): number {
  const calendar = calendarOf(options.sessionDays, options.calendar);
  const close = parseSessionTime(sessionClose);
  return nextDeadline(afterMs, options.sessionDays ?? WEEKDAYS, calendar, (s) => closeOn(s, close));
}

/** A session day's hours as the deployment trades them (`HH:MM[:SS]`, New York). */
export interface SessionHours {
  /** The configured open, else the calendar's (09:30). */
  readonly open: string;
  /** The configured close, cut to 13:00 on an early-close day. */
  readonly close: string;
  /** The end of the post-market session: 20:00, 17:00 on an early-close day (or the close if later). */
  readonly postMarketClose: string;
  /** Why the day closes early (NYSE calendar), else null. */
  readonly earlyClose: string | null;
}

const timeText = (t: SessionTime) =>
  t.second === 0
    ? `${pad2(t.hour)}:${pad2(t.minute)}`
    : `${pad2(t.hour)}:${pad2(t.minute)}:${pad2(t.second)}`;
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * The hours of a New York date as the deployment's sessions run them (the same rules the
 * deadlines above follow), or null when it has no session: not a session day, or an exchange
 * holiday of the calendar in force.
 */
export function sessionHoursOn(
  year: number,
  month: number,
  day: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): SessionHours | null {
  const calendar = calendarOf(options.sessionDays, options.calendar);
  const session = sessionOn(year, month, day, options.sessionDays ?? WEEKDAYS, calendar);
  if (session === null) return null;
  const close = closeOn(session, parseSessionTime(sessionClose));
  return {
    open: timeText(openTimeOf(options)(session)),
    close: timeText(close),
    postMarketClose: timeText(later(close, parseSessionTime(session.postMarketClose))),
    earlyClose: session.earlyClose,
  };
}

/** `utcMs` as RFC 3339 in New York's offset at that instant (`2026-12-03T09:30:00.000-05:00`). */
export function newYorkIso(utcMs: number): string {
  const offsetMin = Math.round(zoneOffsetMs(utcMs) / 60_000);
  const local = new Date(utcMs + offsetMin * 60_000).toISOString().slice(0, -1);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** The New York civil date of `utcMs`, `YYYY-MM-DD`. */
export function newYorkDate(utcMs: number): string {
  const w = wallTimeAt(utcMs);
  return `${w.year}-${pad2(w.month)}-${pad2(w.day)}`;
}

/**
 * Whether `nowMs` is inside a regular session: from an open to the next close. The next open
 * coming after the next close means one is in progress. An opg order is refused then (its day's
 * opening auction is over): the API answers 422, the venue `auction_closed`.
 */
export function isInRegularSession(
  nowMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): boolean {
  return nextSessionOpen(nowMs, options) > nextSessionClose(nowMs, sessionClose, options);
}

/**
 * When a DAY order placed at `placedAtMs` ends: the next session close (`sessionClose`, 13:00 at
 * the latest on an early-close day); with `options.extendedHours`, the next post-market close
 * (20:00, 17:00 on an early-close day, or the close if later). The venue drops the order then; the
 * workflow expires it a grace later if the venue has not.
 */
export function dayOrderEndMs(
  placedAtMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: OutcomeOptions = {},
): number {
  const calendar = calendarOf(options.sessionDays, options.calendar);
  const close = parseSessionTime(sessionClose);
  const closeOf = (s: TradingSession) => closeOn(s, close);
  const dayEndOf = options.extendedHours
    ? (s: TradingSession) => later(closeOf(s), parseSessionTime(s.postMarketClose))
    : closeOf;
  return nextDeadline(placedAtMs, options.sessionDays ?? WEEKDAYS, calendar, dayEndOf);
}

/**
 * Why an order with `timeInForce` cannot be entered at `nowMs`, or null: an opg order during a
 * regular session (the day's opening auction is over). Carrying it to the next day's open would
 * surprise whoever placed it mid-session; it is accepted again from the close, for the next open.
 */
export function auctionEntryError(
  timeInForce: TimeInForce,
  nowMs: number,
  sessionClose?: string,
  options: SessionOptions = {},
): FieldError | null {
  if (timeInForce !== 'opg' || !isInRegularSession(nowMs, sessionClose, options)) return null;
  return fieldError(
    'not_allowed',
    'time_in_force',
    'opg is not accepted during the regular session (the opening auction is over); place it after the close for the next open',
  );
}

/**
 * Seconds from `submittedAtMs` the workflow waits for the order's closing milestone:
 * - day: until the next session close (`sessionClose`, New York time; 13:00 at the latest on an
 *   early-close day) + the grace (`options.dayGraceSeconds`, default 60 s); with
 *   `options.extendedHours`, until the next post-market close (20:00, 17:00 on an early-close
 *   day, or the close if later) + the grace;
 * - opg: until the next opening auction (`options.sessionOpen`, default 09:30) + 600 s; cls: until
 *   the next close + 600 s;
 * - ioc / fok: 300 s;
 * - gtc: `options.gtcMaxAgeDays` (default 90) days.
 * Sessions fall on `options.sessionDays` (default Monday to Friday) minus the holidays of
 * `options.calendar` (see the header). At least 1 (Step Functions' minimum).
 */
export function outcomeTimeoutSeconds(
  timeInForce: TimeInForce,
  submittedAtMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: OutcomeOptions = {},
): number {
  const days = options.sessionDays ?? WEEKDAYS;
  const calendar = calendarOf(options.sessionDays, options.calendar);
  const grace = options.dayGraceSeconds ?? DAY_GRACE_SECONDS;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_DAY_GRACE_SECONDS)
    throw new RangeError(`grace must be whole seconds between 0 and ${MAX_DAY_GRACE_SECONDS}, got ${grace}`);
  const gtcDays = options.gtcMaxAgeDays ?? DEFAULT_GTC_MAX_AGE_DAYS;
  checkGtcMaxAgeDays(gtcDays);
  const close = parseSessionTime(sessionClose);
  const next = (timeOf: (session: TradingSession) => SessionTime) =>
    nextDeadline(submittedAtMs, days, calendar, timeOf);
  const until = (deadlineMs: number, graceSeconds: number) =>
    Math.ceil((deadlineMs - submittedAtMs) / 1000) + graceSeconds;
  const openOf = openTimeOf(options);
  const closeOf = (s: TradingSession) => closeOn(s, close);
  let seconds: number;
  switch (timeInForce) {
    case 'day':
      // Extended hours: the post-market close, unless the deployment's own close is later.
      seconds = until(dayOrderEndMs(submittedAtMs, sessionClose, options), grace);
      break;
    case 'opg':
      seconds = until(next(openOf), AUCTION_GRACE_SECONDS);
      break;
    case 'cls':
      seconds = until(next(closeOf), AUCTION_GRACE_SECONDS);
      break;
    case 'ioc':
    case 'fok':
      seconds = IMMEDIATE_SECONDS;
      break;
    case 'gtc':
      seconds = gtcDays * DAY_SECONDS;
      break;
  }
  return Math.max(1, seconds);
}

/**
 * What is left of the outcome timeout at `nowMs` (the workflow may start after the order was
 * submitted, e.g. after a stream backlog): the deadline stays anchored to the submission.
 */
export function remainingOutcomeSeconds(
  timeInForce: TimeInForce,
  submittedAtMs: number,
  nowMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: OutcomeOptions = {},
): number {
  const total = outcomeTimeoutSeconds(timeInForce, submittedAtMs, sessionClose, options);
  const elapsed = Math.max(0, Math.floor((nowMs - submittedAtMs) / 1000));
  return Math.max(1, total - elapsed);
}
