/**
 * The intraday volume profile of US equities: how much trades at a given minute, relative to the
 * quietest minute of the regular session. Pure function of time, so both the simulated market
 * (displayed sizes, `lambdas/broker-gateway/simulated/market.ts`) and the VWAP algorithm (slice weights,
 * `lambdas/core/algos/vwap.ts`) read the same curve: the algorithm's schedule follows the volume
 * the venue will actually show.
 */
import { DEFAULT_SESSION_CLOSE, SESSION_OPEN, zoneOffsetMs } from './session.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const OPEN_MINUTE = minutesOf(SESSION_OPEN); // 09:30 New York
const CLOSE_MINUTE = minutesOf(DEFAULT_SESSION_CLOSE); // 16:00 New York
const SESSION_MINUTES = CLOSE_MINUTE - OPEN_MINUTE; // 390

/** Volume at the open and at the close, in percent of the base draw. */
export const VOLUME_PROFILE_EDGE_PERCENT = 300;
/** Volume at midday (the bottom of the U). */
export const VOLUME_PROFILE_MIDDAY_PERCENT = 100;
/** Volume outside the regular session (pre-market, after hours, weekends). */
export const VOLUME_PROFILE_OFF_SESSION_PERCENT = 50;

/**
 * The intraday volume profile: the volume at `now`, in percent of the base draw. Pure function of
 * time (whole New York minutes; daylight saving from Intl). Over the regular session (Monday to
 * Friday, 09:30-16:00 New York; holidays not modelled) it is the parabola `100 + 200 * (2x - 1)^2`
 * of the fraction `x` of the session elapsed: 300 at 09:30, 100 at 12:45, back up to 300 at the
 * close, the U shape of US equity volume. Outside the session: 50.
 */
export function volumeProfilePercent(now: number): number {
  const local = now + zoneOffsetMs(now);
  const weekday = new Date(local).getUTCDay();
  const minute = Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  if (weekday === 0 || weekday === 6 || minute < OPEN_MINUTE || minute >= CLOSE_MINUTE)
    return VOLUME_PROFILE_OFF_SESSION_PERCENT;
  const d = 2 * (minute - OPEN_MINUTE) - SESSION_MINUTES; // -390 .. 388
  const span = VOLUME_PROFILE_EDGE_PERCENT - VOLUME_PROFILE_MIDDAY_PERCENT;
  return VOLUME_PROFILE_MIDDAY_PERCENT + Math.round((span * d * d) / (SESSION_MINUTES * SESSION_MINUTES));
}
