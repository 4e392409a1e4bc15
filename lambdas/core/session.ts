/**
 * Trading-session time: how long the order workflow waits for an order's closing milestone
 * (filled, canceled, expired, ...) before it expires the order itself. Pure: the clock comes in.
 *
 * Sessions are US equities regular hours in America/New_York, Monday to Friday. Exchange
 * holidays and half days are not modelled (a day order submitted on a holiday waits for the
 * next weekday's close; the venue's own done-for-day/expiry report closes it earlier).
 * The zone offset comes from Intl, so daylight-saving changes are handled.
 */
import type { TimeInForce } from './order-request.js';

export const SESSION_ZONE = 'America/New_York';
export const SESSION_OPEN = '09:30';
export const DEFAULT_SESSION_CLOSE = '16:00';

/** After the deadline a day order gets this long for the venue's expiry report to arrive. */
export const DAY_GRACE_SECONDS = 60;
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
export function newYorkToUtc(year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  // Two passes: the offset at the guess can differ from the offset at the answer near a DST change.
  const first = wall - zoneOffsetMs(wall);
  return wall - zoneOffsetMs(first);
}

function parseHhMm(text: string): { hour: number; minute: number } {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m === null) throw new RangeError(`session time must be HH:MM, got ${text}`);
  return { hour: Number(m[1]), minute: Number(m[2]) };
}

/** The first weekday session time `hhmm` (New York) strictly after `afterMs`. */
export function nextSessionTime(afterMs: number, hhmm: string): number {
  const { hour, minute } = parseHhMm(hhmm);
  const today = wallTimeAt(afterMs);
  for (let add = 0; add < 8; add++) {
    const at = newYorkToUtc(today.year, today.month, today.day + add, hour, minute);
    const weekday = new Date(Date.UTC(today.year, today.month - 1, today.day + add)).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && at > afterMs) return at;
  }
  throw new Error('unreachable: a weekday comes within 8 days');
}

/**
 * Seconds from `submittedAtMs` the workflow waits for the order's closing milestone:
 * - day: until the next session close (`sessionClose`, New York time) + 60 s grace;
 * - opg: until the next opening auction (09:30) + 600 s; cls: until the next close + 600 s;
 * - ioc / fok: 300 s;
 * - gtc: 90 days.
 * At least 1 (Step Functions' minimum).
 */
export function outcomeTimeoutSeconds(
  timeInForce: TimeInForce,
  submittedAtMs: number,
  sessionClose: string = DEFAULT_SESSION_CLOSE,
): number {
  const until = (deadlineMs: number, graceSeconds: number) =>
    Math.ceil((deadlineMs - submittedAtMs) / 1000) + graceSeconds;
  let seconds: number;
  switch (timeInForce) {
    case 'day':
      seconds = until(nextSessionTime(submittedAtMs, sessionClose), DAY_GRACE_SECONDS);
      break;
    case 'opg':
      seconds = until(nextSessionTime(submittedAtMs, SESSION_OPEN), AUCTION_GRACE_SECONDS);
      break;
    case 'cls':
      seconds = until(nextSessionTime(submittedAtMs, sessionClose), AUCTION_GRACE_SECONDS);
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
): number {
  const total = outcomeTimeoutSeconds(timeInForce, submittedAtMs, sessionClose);
  const elapsed = Math.max(0, Math.floor((nowMs - submittedAtMs) / 1000));
  return Math.max(1, total - elapsed);
}
