/**
 * The deployment's trading-session settings, read from the environment (docs/aws.md): the open
 * (OMS_SESSION_OPEN), the close (OMS_SESSION_CLOSE), the session days (OMS_SESSION_DAYS), the
 * holiday calendar (OMS_SESSION_CALENDAR), the DAY grace (OMS_EXPIRY_GRACE_SECONDS) and the GTC
 * maximum age (OMS_GTC_MAX_AGE_DAYS). An absent setting takes the core default; a malformed one
 * throws a RangeError naming the variable, so a bad deployment fails loudly instead of trading on
 * the wrong hours. Every function that reasons about sessions (the workflow's outcome deadline,
 * the venue's auctions) reads them here, so they cannot disagree on what a setting means.
 */
import {
  parseDayGraceSeconds,
  parseGtcMaxAgeDays,
  parseSessionCalendar,
  parseSessionDays,
  parseSessionTime,
  type SessionOptions,
} from '../core/index.js';
import { ENV, optionalEnv } from './config.js';

/** A setting parsed by `parse`, or a RangeError naming the variable. */
function setting<T>(name: string, parse: (text: string) => T): T | undefined {
  const text = optionalEnv(name);
  if (text === undefined) return undefined;
  try {
    return parse(text);
  } catch (err) {
    throw new RangeError(`${name}: ${(err as Error).message}`);
  }
}

/** A session time checked and kept as written (`HH:MM[:SS]`: what the core functions take). */
const sessionTimeText = (text: string): string => {
  parseSessionTime(text);
  return text;
};

/** The session settings besides the close (absent ones are left out: the core defaults apply). */
export function sessionOptionsFromEnv(): SessionOptions {
  const sessionOpen = setting(ENV.sessionOpen, sessionTimeText);
  const dayGraceSeconds = setting(ENV.expiryGraceSeconds, parseDayGraceSeconds);
  const sessionDays = setting(ENV.sessionDays, parseSessionDays);
  const calendar = setting(ENV.sessionCalendar, parseSessionCalendar);
  const gtcMaxAgeDays = setting(ENV.gtcMaxAgeDays, parseGtcMaxAgeDays);
  return {
    ...(sessionOpen === undefined ? {} : { sessionOpen }),
    ...(dayGraceSeconds === undefined ? {} : { dayGraceSeconds }),
    ...(sessionDays === undefined ? {} : { sessionDays }),
    ...(calendar === undefined ? {} : { calendar }),
    ...(gtcMaxAgeDays === undefined ? {} : { gtcMaxAgeDays }),
  };
}

/** The session close (`HH:MM[:SS]` New York), or undefined for the core default (16:00). */
export function sessionCloseFromEnv(): string | undefined {
  return setting(ENV.sessionClose, sessionTimeText);
}
