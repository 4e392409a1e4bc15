/**
 * Execution-quality reports (beyond Alpaca, issue 15), over the principal's account's orders that
 * closed with a TCA (core order-tca.ts), read from the orders read model:
 * - GET /v1/reports/executions?date=YYYY-MM-DD[&format=csv]: a Rule 605-style summary for the New
 *   York trading day the orders were placed on, one row per venue x order type x notional size
 *   bucket (core execution-quality.ts): orders, shares, fill rate, average signed effective and
 *   quoted spread, E/Q as a percentage, % of shares price-improved and their average improvement,
 *   % at the quote or better, the average amount outside the quote, average time to execution.
 *   `format=csv` (or `Accept: text/csv`) answers CSV (RFC 4180).
 * - GET /v1/reports/best-execution?from=YYYY-MM-DD&to=YYYY-MM-DD: per symbol and order type, each
 *   venue's outcomes side by side (the evidence a FINRA Rule 5310 regular and rigorous review
 *   compares), at most 92 days: a calendar quarter, since Supplementary Material .09 has the
 *   review made at least quarterly.
 * A split order counts once per venue it was sent to (each child at its venue). Orders are read by
 * the `byAccount` index (created in the range) and then their views in batches of 100, on request
 * only: an order pays nothing for them. Bad dates are 400 naming the parameter.
 */
import {
  bestExecutionReport,
  EXECUTION_QUALITY_COLUMNS,
  executionQualityReport,
  executionRecordsOf,
  newYorkToUtc,
  type OrderExecutionRecord,
  type OrderTcaRecord,
  toCsv,
} from '../core/index.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { tcaOfItem } from '../orders/order-view-item.js';
import { orderIdsByIndex, viewAttribute } from '../orders/order-views.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { API_ERROR, apiError, json } from './api-response.js';
import { apiHandler, notFound } from './http.js';

/**
 * The longest range (in New York days, both ends included) a best-execution report covers: the
 * longest calendar quarter (July to September), as FINRA Rule 5310 .09 has the regular and
 * rigorous review made at least quarterly.
 */
export const MAX_REPORT_DAYS = 92;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;
/**
 * The years a report date may name (the market calendar's: GET /v2/calendar). A probe's
 * `9999-12-31` ended in year 10000, whose ISO text sorts below its start: DynamoDB refused the
 * BETWEEN and the report answered 500.
 */
const FIRST_YEAR = 2000;
const LAST_YEAR = 2099;
const BAD_DATE = `must be a calendar date, YYYY-MM-DD (New York), ${FIRST_YEAR}-01-01 to ${LAST_YEAR}-12-31`;

/**
 * The UTC instants a New York calendar day (`days` long) starts and ends, or null for a malformed
 * or impossible date (a New York day is 23 to 25 hours around a clock change).
 */
export function newYorkDays(text: string | undefined, days = 1): { start: number; end: number } | null {
  const m = text === undefined ? null : DATE.exec(text);
  if (m === null) return null;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (year < FIRST_YEAR || year > LAST_YEAR) return null;
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCFullYear() !== year || probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day)
    return null;
  return { start: newYorkToUtc(year, month, day, 0, 0), end: newYorkToUtc(year, month, day + days, 0, 0) };
}

/**
 * The best-execution report's range from its `from` and `to` (default: `from`), or the parameter
 * to name in a 400 and why: a bad date, `to` before `from`, or more than `MAX_REPORT_DAYS` days.
 */
export function bestExecutionRangeOf(
  fromText: string | undefined,
  toText: string | undefined,
): { start: number; end: number } | { field: 'from' | 'to'; message: string } {
  const from = newYorkDays(fromText);
  if (from === null) return { field: 'from', message: BAD_DATE };
  const to = newYorkDays(toText ?? fromText);
  if (to === null) return { field: 'to', message: BAD_DATE };
  if (to.start < from.start) return { field: 'to', message: 'must not be before from' };
  if (Math.round((to.start - from.start) / DAY_MS) >= MAX_REPORT_DAYS)
    return {
      field: 'to',
      message: `the range must be at most ${MAX_REPORT_DAYS} days (a calendar quarter: FINRA Rule 5310 .09)`,
    };
  return { start: from.start, end: to.end };
}

/** Every record of the account's orders placed in [fromMs, toMs) that have a TCA. */
async function recordsOf(accountId: string, fromMs: number, toMs: number): Promise<OrderExecutionRecord[]> {
  const table = requiredEnv(ENV.ordersTable);
  const ids = await orderIdsByIndex(dynamo, table, {
    indexName: ORDERS_INDEX.byAccount,
    keyCondition: 'accountId = :a AND createdKey BETWEEN :from AND :to',
    values: {
      ':a': accountId,
      ':from': new Date(fromMs).toISOString(),
      // `createdAt#orderId`: the last instant's keys sort below `~`.
      ':to': `${new Date(toMs - 1).toISOString()}~`,
    },
  });
  const tcas = await viewAttribute(dynamo, table, ids, 'tcaGz');
  return ids.flatMap((id) => {
    const gz = tcas.get(id);
    return gz === undefined ? [] : executionRecordsOf(tcaOfItem(gz as Uint8Array) as OrderTcaRecord);
  });
}

const badParameter = (name: string, message: string) =>
  apiError(400, API_ERROR.badRequest, `${name}: ${message}`, {
    errors: [{ code: 'invalid_value', field: name, message: `${name}: ${message}` }],
  });

/**
 * Whether an Accept header asks for CSV over JSON (RFC 9110 12.5.1): `text/csv` listed with a
 * weight above 0 (or `text/*`) and at least the weight it gives JSON (`application/json`, else
 * `application/*`; a bare wildcard is no preference: JSON, the default). `text/csv;q=0` says "not CSV".
 */
export function prefersCsv(accept: string | undefined): boolean {
  const weights = new Map<string, number>();
  for (const range of (accept ?? '').split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    // A weight is 0 to 1 (RFC 9110 12.4.2): a range with another is ignored.
    if (type !== '' && weight >= 0 && weight <= 1)
      weights.set(type, Math.max(weights.get(type) ?? 0, weight));
  }
  const csv = weights.get('text/csv') ?? weights.get('text/*') ?? 0;
  return csv > 0 && csv >= (weights.get('application/json') ?? weights.get('application/*') ?? 0);
}

export const handler = apiHandler('Reports', async (event, principal) => {
  const path = event.rawPath ?? '';
  const q = event.queryStringParameters ?? {};
  if (path.endsWith('/v1/reports/executions')) {
    const day = newYorkDays(q.date);
    if (day === null) return badParameter('date', BAD_DATE);
    const format = q.format ?? (prefersCsv(event.headers?.accept) ? 'csv' : 'json');
    if (format !== 'csv' && format !== 'json') return badParameter('format', 'must be json or csv');
    const rows = executionQualityReport(await recordsOf(principal.accountId, day.start, day.end));
    if (format === 'csv')
      return {
        statusCode: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="executions-${q.date}.csv"`,
        },
        body: toCsv(rows),
      };
    return json(200, {
      date: q.date,
      account_id: principal.accountId,
      columns: EXECUTION_QUALITY_COLUMNS,
      rows,
    });
  }
  if (path.endsWith('/v1/reports/best-execution')) {
    const range = bestExecutionRangeOf(q.from, q.to);
    if ('field' in range) return badParameter(range.field, range.message);
    const groups = bestExecutionReport(await recordsOf(principal.accountId, range.start, range.end));
    return json(200, { from: q.from, to: q.to ?? q.from, account_id: principal.accountId, groups });
  }
  return notFound('report');
});
