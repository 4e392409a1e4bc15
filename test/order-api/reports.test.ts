/**
 * The best-execution report's range (lambdas/order-api/reports.ts): a calendar quarter fits, since
 * FINRA Rule 5310 Supplementary Material .09 has the regular and rigorous review of execution
 * quality made at least quarterly (https://www.finra.org/rules-guidance/rulebooks/finra-rules/5310).
 */
import './env.js';
import {
  bestExecutionRangeOf,
  handler,
  MAX_REPORT_DAYS,
  prefersCsv,
} from '../../lambdas/order-api/reports.js';
import { apiEvent, parse } from './fixtures.js';

// RFC 9110 12.5.1: the executions report answers CSV only when the Accept header prefers it (a
// hostile probe's `text/csv;q=0`, "anything but CSV", got CSV).
describe('prefersCsv (Accept of GET /v1/reports/executions)', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/json', false],
    ['text/csv', true],
    ['TEXT/CSV; charset=utf-8', true],
    ['text/csv;q=0', false],
    ['text/csv; q=0.0, */*', false],
    ['text/csv;q=0.5, application/json', false],
    ['application/json;q=0.5, text/csv', true],
    ['text/csv, application/json', true],
    ['application/*;q=0.9, text/csv', true],
    ['text/csv;q=0.8, application/*', false],
    ['text/csv;q=abc', false],
    // A probe: `text/*` admits only CSV of the two; a weight above 1 is no weight.
    ['text/*', true],
    ['text/*, application/json;q=0.5', true],
    ['text/csv;q=1.5', false],
    ['text/csv;q=1.5, application/json', false],
  ])('%j -> %s', (accept, csv) => expect(prefersCsv(accept)).toBe(csv));
});

describe('bestExecutionRangeOf', () => {
  it.each<[string, string | undefined, string | undefined, number | { field: string; message: RegExp }]>([
    // [name, from, to, the New York days covered or the 400]
    ['one day (to defaults to from)', '2026-03-02', undefined, 1],
    ['Q1 2026: January to March, 90 days', '2026-01-01', '2026-03-31', 90],
    ['Q3 2026: July to September, 92 days (the longest quarter)', '2026-07-01', '2026-09-30', 92],
    ['Q4 2026 across the clock change, 92 days', '2026-10-01', '2026-12-31', 92],
    ['93 days', '2026-07-01', '2026-10-01', { field: 'to', message: /at most 92 days \(a calendar quarter/ }],
    ['to before from', '2026-03-02', '2026-03-01', { field: 'to', message: /before from/ }],
    ['a bad from', '2026-02-30', '2026-03-01', { field: 'from', message: /calendar date/ }],
    ['a bad to', '2026-03-01', 'March', { field: 'to', message: /calendar date/ }],
    ['no from', undefined, '2026-03-01', { field: 'from', message: /calendar date/ }],
    // A probe's year 9999 ended in year 10000, whose ISO text sorts below its start: a 500.
    ['a from past 2099', '9999-12-01', '9999-12-31', { field: 'from', message: /2000-01-01 to 2099-12-31/ }],
    ['a to past 2099', '2099-12-31', '2100-01-01', { field: 'to', message: /2000-01-01 to 2099-12-31/ }],
    [
      'a from before 2000',
      '0001-01-01',
      '0001-01-02',
      { field: 'from', message: /2000-01-01 to 2099-12-31/ },
    ],
    ['the last day there is', '2099-12-31', undefined, 1],
  ])('%s', (_name, from, to, expected) => {
    const range = bestExecutionRangeOf(from, to);
    if (typeof expected === 'number') {
      if ('field' in range) throw new Error(`refused: ${range.message}`);
      // New York days are 23 to 25 hours long: count the days, not the hours.
      expect(Math.round((range.end - range.start) / 86_400_000)).toBe(expected);
      expect(expected).toBeLessThanOrEqual(MAX_REPORT_DAYS);
    } else {
      expect(range).toEqual({ field: expected.field, message: expect.stringMatching(expected.message) });
    }
  });
});

describe('GET /v1/reports/executions', () => {
  it.each(['9999-12-31', '1000-01-01', '2100-01-01'])(
    'date %s: 400 naming `date`, before any read',
    async (date) => {
      const res = await handler({
        ...apiEvent({ routeKey: 'GET /v1/reports/executions', query: { date } }),
        rawPath: '/v1/reports/executions',
      });
      expect(res.statusCode).toBe(400);
      expect(parse(res.body)).toMatchObject({
        code: 40010001,
        message: 'date: must be a calendar date, YYYY-MM-DD (New York), 2000-01-01 to 2099-12-31',
      });
    },
  );
});

describe('GET /v1/reports/best-execution', () => {
  it('a range longer than a quarter is 400 naming `to`, before any read', async () => {
    const res = await handler({
      ...apiEvent({
        routeKey: 'GET /v1/reports/best-execution',
        query: { from: '2026-01-01', to: '2026-06-01' },
      }),
      rawPath: '/v1/reports/best-execution',
    });
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toMatchObject({
      code: 40010001,
      message: 'to: the range must be at most 92 days (a calendar quarter: FINRA Rule 5310 .09)',
    });
  });
});
