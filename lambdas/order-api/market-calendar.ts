/**
 * The market's clock and calendar, Alpaca's `GET /v2/clock` and `GET /v2/calendar` (issue 13), from
 * the sessions the OMS trades by (core market-calendar.ts; the deployment's OMS_SESSION_* settings,
 * so the clock agrees with the deadlines orders get). No table is read.
 *
 * `GET /v2/calendar` query (Alpaca's): `start`, `end` (`YYYY-MM-DD`, or an RFC 3339 timestamp,
 * whose date as written is taken), `date_type` (`TRADING`, default, or `SETTLEMENT`: the days whose
 * settlement date is in the range). Defaults (a decision: Alpaca lists 1970 to about three years
 * ahead, the OMS's calendar starts in 2000): `start` 2000-01-01, `end` December 31 three years
 * after the current one. Dates outside 2000-01-01..2099-12-31, or `start` after `end`, are a 400
 * naming the parameter.
 *
 * Alpaca's v3 routes, for the US equity markets (`NYSE`/`XNYS`, `NASDAQ`/`XNAS`; core
 * market-calendar.ts has the phases): `GET /v3/clock?markets=&time=` (default `NYSE`, now) and
 * `GET /v3/calendar/{market}?start=&end=&timezone=` (default today to a week later; `timezone=UTC`
 * writes the instants in UTC). Queries parsed with zod; a bad value, or a market the OMS does not
 * serve, is a 400 naming `markets`, `time`, `market`, `start`, `end` or `timezone`, as Alpaca
 * refuses an invalid parameter. Unknown parameters are ignored, an empty one is an absent one (v2's way).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import '../core/zod-messages.js';
import {
  DEFAULT_CLOCK_MARKETS,
  type FieldError,
  fieldError,
  MARKET_CALENDAR_FIRST_DATE,
  MARKET_CALENDAR_LAST_DATE,
  marketCalendar,
  marketCalendarV3,
  marketClock,
  marketClockV3,
  newYorkDate,
  parseMarketCodes,
  parseRfc3339,
  upperAscii,
  usEquityMarket,
  v3CalendarRange,
} from '../core/index.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { fieldErrors, json } from './api-response.js';
import { apiHandler, notFound } from './http.js';

type Query = Record<string, string | undefined> | undefined;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DATE_TYPES = ['TRADING', 'SETTLEMENT'] as const;
/** How many years past the current one the calendar lists by default. */
const DEFAULT_YEARS_AHEAD = 3;

/** A real calendar date `YYYY-MM-DD` (not 2026-02-30). */
function isCalendarDate(text: string): boolean {
  if (!DATE.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === text;
}

/**
 * A query date: `YYYY-MM-DD`, or an RFC 3339 timestamp's date as written (in its own offset: the
 * Alpaca SDK sends a JS Date as `toISOString()`, so a date the caller built as midnight UTC stays
 * that date); null when it is neither.
 */
function dateParam(text: string): string | null {
  if (isCalendarDate(text)) return text;
  if (!TIMESTAMP.test(text) || Number.isNaN(Date.parse(text))) return null;
  const date = text.slice(0, 10);
  return isCalendarDate(date) ? date : null;
}

export type CalendarParams = {
  readonly start: string;
  readonly end: string;
  readonly dateType: (typeof DATE_TYPES)[number];
};

/** The calendar's query, checked: every problem named by its parameter. */
export function parseCalendarParams(
  query: Query,
  nowMs: number,
): { ok: true; params: CalendarParams } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const range = `a date (YYYY-MM-DD) from ${MARKET_CALENDAR_FIRST_DATE} to ${MARKET_CALENDAR_LAST_DATE}`;
  const dateOf = (name: 'start' | 'end', fallback: string): string => {
    const text = query?.[name];
    if (text === undefined || text === '') return fallback;
    const date = dateParam(text);
    if (date === null || date < MARKET_CALENDAR_FIRST_DATE || date > MARKET_CALENDAR_LAST_DATE) {
      errors.push(fieldError('invalid_value', name, `must be ${range}`));
      return fallback;
    }
    return date;
  };
  const thisYear = Number(newYorkDate(nowMs).slice(0, 4));
  const defaultEnd = `${Math.min(thisYear + DEFAULT_YEARS_AHEAD, Number(MARKET_CALENDAR_LAST_DATE.slice(0, 4)))}-12-31`;
  const start = dateOf('start', MARKET_CALENDAR_FIRST_DATE);
  // Without an end, a start past the default end reads to that start's year end: the client named
  // no end to be after (a probe's start=2099-12-31 was refused as after an end it never sent).
  const endAbsent = query?.end === undefined || query.end === '';
  const end = endAbsent && start > defaultEnd ? `${start.slice(0, 4)}-12-31` : dateOf('end', defaultEnd);
  const dateTypeText = query?.date_type;
  const dateType = (
    dateTypeText === undefined || dateTypeText === '' ? 'TRADING' : upperAscii(dateTypeText)
  ) as CalendarParams['dateType'] | string;
  if (!(DATE_TYPES as readonly string[]).includes(dateType))
    errors.push(fieldError('invalid_value', 'date_type', `must be one of ${DATE_TYPES.join(', ')}`));
  if (errors.length === 0 && start > end)
    errors.push(fieldError('invalid_value', 'start', `must not be after end (${end})`));
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, params: { start, end, dateType: dateType as CalendarParams['dateType'] } };
}

function calendar(query: Query, nowMs: number): APIGatewayProxyStructuredResultV2 {
  const parsed = parseCalendarParams(query, nowMs);
  if (!parsed.ok) return fieldErrors(parsed.errors, 400);
  const { start, end, dateType } = parsed.params;
  return json(200, marketCalendar(start, end, dateType, sessionCloseFromEnv(), sessionOptionsFromEnv()));
}

/** A zod step turning text into a value with a core parser, its refusal an issue of the field. */
const parsedBy = <T>(parse: (text: string) => { ok: true; value: T } | { ok: false; message: string }) =>
  z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      const out = parse(text);
      if (out.ok) return out.value;
      ctx.issues.push({ code: 'custom', message: out.message, input: text });
      return z.NEVER;
    }),
  );

const TIME_RANGE = `from ${MARKET_CALENDAR_FIRST_DATE} to ${MARKET_CALENDAR_LAST_DATE} (New York)`;
const clockQuery = z.object({
  markets: z.optional(
    parsedBy((t) => {
      const r = parseMarketCodes(t);
      return r.ok ? { ok: true, value: r.markets } : r;
    }),
  ),
  time: z.optional(
    parsedBy((t) => {
      const ms = parseRfc3339(t);
      const date = ms === null ? '' : newYorkDate(ms);
      return ms !== null && date >= MARKET_CALENDAR_FIRST_DATE && date <= MARKET_CALENDAR_LAST_DATE
        ? { ok: true, value: ms }
        : {
            ok: false,
            message: `must be an RFC 3339 date-time with an offset (2026-12-03T14:30:00Z) ${TIME_RANGE}`,
          };
    }),
  ),
});
const calendarPath = z.object({
  market: parsedBy((t) => {
    const r = usEquityMarket(t);
    return r.ok ? { ok: true, value: r.market } : r;
  }),
});
const calendarQuery = z.object({
  start: z.optional(z.string()),
  end: z.optional(z.string()),
  timezone: z.optional(z.literal('UTC', "must be UTC, or left out for the market's own (America/New_York)")),
});

/** Query or path values as given, empty ones dropped (an empty parameter is an absent one, as on v2). */
const given = (values: Query) =>
  Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined && v !== ''));
/** zod's issues as field errors, each message naming its parameter. */
const issuesOf = (error: z.core.$ZodError | undefined): FieldError[] =>
  (error?.issues ?? []).map((i) => fieldError('invalid_value', i.path.map(String).join('.'), i.message));

function clockV3(query: Query, nowMs: number): APIGatewayProxyStructuredResultV2 {
  const parsed = clockQuery.safeParse(given(query));
  if (!parsed.success) return fieldErrors(issuesOf(parsed.error), 400);
  const markets = parsed.data.markets ?? DEFAULT_CLOCK_MARKETS;
  const at = parsed.data.time ?? nowMs;
  const [close, options] = [sessionCloseFromEnv(), sessionOptionsFromEnv()];
  return json(200, { clocks: markets.map((market) => marketClockV3(market, at, close, options)) });
}

function calendarV3(path: Query, query: Query, nowMs: number): APIGatewayProxyStructuredResultV2 {
  const market = calendarPath.safeParse({ market: path?.market ?? '' });
  const q = calendarQuery.safeParse(given(query));
  const dates = v3CalendarRange(given(query), newYorkDate(nowMs));
  if (!market.success || !q.success || !dates.ok)
    return fieldErrors(
      [...issuesOf(market.error), ...issuesOf(q.error), ...(dates.ok ? [] : dates.errors)],
      400,
    );
  const zone = q.data.timezone === 'UTC' ? 'UTC' : 'market';
  const days = marketCalendarV3(dates.start, dates.end, zone, sessionCloseFromEnv(), sessionOptionsFromEnv());
  return json(200, { market: market.data.market, calendar: days });
}

export const handler = apiHandler('MarketCalendar', async (event) => {
  const now = Date.now();
  switch (event.routeKey) {
    case 'GET /v2/clock':
      return json(200, marketClock(now, sessionCloseFromEnv(), sessionOptionsFromEnv()));
    case 'GET /v2/calendar':
      return calendar(event.queryStringParameters, now);
    case 'GET /v3/clock':
      return clockV3(event.queryStringParameters, now);
    case 'GET /v3/calendar/{market}':
      return calendarV3(event.pathParameters, event.queryStringParameters, now);
    default:
      return notFound('endpoint');
  }
});
