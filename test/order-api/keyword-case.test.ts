/**
 * Keyword values are read case-insensitively in ASCII only (core ascii-case.ts): a probe's
 * `fıll` (dotless i), `ﬁll` (a ligature) and `NAſDAQ` (long s) upper-case in Unicode to FILL and
 * NASDAQ, and were read as them; `FILL,ſOMETHING` was refused naming `SOMETHING`, a value never
 * sent. Each row: the parser, the text, whether it is taken.
 */
import { parseActivityQuery } from '../../lambdas/order-api/account.js';
import { parseAssetQuery } from '../../lambdas/order-api/assets.js';
import { parseCalendarParams } from '../../lambdas/order-api/market-calendar.js';

const NOW = Date.parse('2026-12-07T15:00:00Z');
const parsers: Record<string, (text: string) => { ok: boolean; errors?: readonly { message: string }[] }> = {
  'activities path type': (t) => parseActivityQuery({}, t) as { ok: boolean },
  'activity_types=': (t) => parseActivityQuery({ activity_types: t }, undefined) as { ok: boolean },
  'assets exchange=': (t) => parseAssetQuery({ exchange: t }),
  'assets status=': (t) => parseAssetQuery({ status: t }),
  'calendar date_type=': (t) => parseCalendarParams({ date_type: t }, NOW),
};

test.each<[string, string, boolean]>([
  ['activities path type', 'fill', true],
  ['activities path type', 'Fill', true],
  ['activities path type', 'f\u0131ll', false],
  ['activities path type', '\ufb01ll', false],
  ['activity_types=', 'fill,div', true],
  ['activity_types=', 'f\u0131ll', false],
  ['assets exchange=', 'nasdaq', true],
  ['assets exchange=', 'NA\u017fDAQ', false],
  ['assets status=', 'ACTIVE', true],
  ['assets status=', '\u0130NACTIVE', false],
  ['calendar date_type=', 'settlement', true],
  ['calendar date_type=', 'trad\u0131ng', false],
])('%s %j: taken %s', (parser, text, taken) => {
  expect((parsers[parser] as (t: string) => { ok: boolean })(text).ok).toBe(taken);
});

test('a refusal names the value as sent, not a case-mapped one', () => {
  const r = parseActivityQuery({ activity_types: 'FILL,\u017fOMETHING' }, undefined);
  expect(r.ok).toBe(false);
  expect(JSON.stringify(r.ok ? null : JSON.parse(String(r.response.body)))).toContain('\u017fOMETHING');
});
