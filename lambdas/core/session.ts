/**
 * Trading-session time: how long the order workflow waits for an order's closing milestone
 * (filled, canceled, expired, ...) before it expires the order itself. Pure: the clock comes in.
 *
 * Sessions are US equities regular hours in America/New_York, Monday to Friday. Exchange
 * holidays and half days are not modelled (a day order submitted on a holiday waits for the
 * next weekday's close; the venue's own done-for-day/expiry report closes it earlier).
 * The zone offset comes from Intl, so daylight-saving changes are handled.
 *
 * What a deployment may change (the caller reads its settings and passes them in): the close
 * (`HH:MM` or `HH:MM:SS`), the grace a DAY order gets after it, and the days with a session
 * (Monday to Friday by default; local mode and tests use every day so DAY expiry can be
 * exercised on a weekend too).
 */
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

/** A deployment's session settings besides the close (all optional: the defaults above). */
export interface SessionOptions {
  /** Seconds a DAY order waits after the close for the venue's report (default 60). */
  readonly dayGraceSeconds?: number;
  /** Weekdays with a session, 0 = Sunday .. 6 = Saturday (default Monday to Friday). */
  readonly sessionDays?: readonly number[];
}
/** opg / cls: the auction's result is due shortly after the auction (open or close) itself. */
export const AUCTION_GRACE_SECONDS = 600;
/** ioc / fok: the venue answers at once (fill, partial fill + cancel, or cancel); 5 min bound. */
export const IMMEDIATE_SECONDS = 300;
/** gtc: Alpaca expires GTC orders 90 days after submission. */
export const GTC_SECONDS = 90 * 24 * 60 * 60;

const zoneFormat = new Intl.DateTimeFormat('en-US', {
  timeZone: SESSION_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

interface WallTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

function wallTimeAt(utcMs: number): WallTime {
  const parts: Record<string, number> = {};
  for (const p of zoneFormat.formatToParts(new Date(utcMs))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 1,
    day: parts.day ?? 1,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of New York from UTC at `utcMs`, in ms (-5 h in winter, -4 h in summer). */
export function zoneOffsetMs(utcMs: number): number {
  const w = wallTimeAt(utcMs);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(utcMs / 1000) * 1000;
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

/** The first session time `time` (New York, on a session day) strictly after `afterMs`. */
export function nextSessionTime(
  afterMs: number,
  time: string,
  sessionDays: readonly number[] = WEEKDAYS,
): number {
  const { hour, minute, second } = parseSessionTime(time);
  const today = wallTimeAt(afterMs);
  for (let add = 0; add < 8; add++) {
    const at = newYorkToUtc(today.year, today.month, today.day + add, hour, minute, second);
    const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day + add)).getUTCDay();
    if (sessionDays.includes(weekday) && at > afterMs) return at;
  }
  throw new RangeError(`no session day among ${JSON.stringify(sessionDays)}`);
}

/**
 * Seconds from `submittedAtMs` the workflow waits for the order's closing milestone:
 * - day: until the next session close (`sessionClose`, New York time) + the grace
 *   (`options.dayGraceSeconds`, default 60 s);
 * - opg: until the next opening auction (09:30) + 600 s; cls: until the next close + 600 s;
 * - ioc / fok: 300 s;
 * - gtc: 90 days.
 * Sessions fall on `options.sessionDays` (default Monday to Friday). At least 1 (Step Functions'
 * minimum).
 */
export function outcomeTimeoutSeconds(
  timeInForce: TimeInForce,
  submittedAtMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
  options: SessionOptions = {},
): number {
  const days = options.sessionDays ?? WEEKDAYS;
  const grace = options.dayGraceSeconds ?? DAY_GRACE_SECONDS;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_DAY_GRACE_SECONDS)
    throw new RangeError(`grace must be whole seconds between 0 and ${MAX_DAY_GRACE_SECONDS}, got ${grace}`);
  const until = (deadlineMs: number, graceSeconds: number) =>
    Math.ceil((deadlineMs - submittedAtMs) / 1000) + graceSeconds;
  let seconds: number;
  switch (timeInForce) {
    case 'day':
      seconds = until(nextSessionTime(submittedAtMs, sessionClose, days), grace);
      break;
    case 'opg':
      seconds = until(nextSessionTime(submittedAtMs, SESSION_OPEN, days), AUCTION_GRACE_SECONDS);
      break;
    case 'cls':
      seconds = until(nextSessionTime(submittedAtMs, sessionClose, days), AUCTION_GRACE_SECONDS);
      break;
    case 'ioc':
    case 'fok':
      seconds = IMMEDIATE_SECONDS;
      break;
    case 'gtc':
      seconds = GTC_SECONDS;
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
  options: SessionOptions = {},
): number {
  const total = outcomeTimeoutSeconds(timeInForce, submittedAtMs, sessionClose, options);
  const elapsed = Math.max(0, Math.floor((nowMs - submittedAtMs) / 1000));
  return Math.max(1, total - elapsed);
}
