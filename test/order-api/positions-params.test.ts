/**
 * The account endpoints' parameters (issue 13): closing quantities (README: `qty` or `percentage`,
 * rounded down, to whole shares for a position in whole shares, never above the position), the day-trade window, and the operator's
 * account settings of local mode.
 */

import { parseActivityQuery } from '../../lambdas/order-api/account.js';
import { lastBusinessDays } from '../../lambdas/order-api/account-book.js';
import { closeAllParams, closingQty } from '../../lambdas/order-api/close-positions.js';
import { unknownParameters } from '../../lambdas/order-api/http.js';
import { accountSettingsUpdate } from '../../local/control.js';

const N = 1_000_000_000n;

describe('closingQty', () => {
  test.each([
    // position, query, qty or the field of the error
    [10n * N, {}, 10n * N],
    [-10n * N, {}, 10n * N],
    [10n * N, { qty: '4' }, 4n * N],
    [10n * N, { qty: '10.5' }, 'qty'],
    [10n * N, { qty: '0' }, 'qty'],
    [10n * N, { qty: 'abc' }, 'qty'],
    [10n * N, { percentage: '50' }, 5n * N],
    [10n * N, { percentage: '100' }, 10n * N],
    [3n * N, { percentage: '33.3333333333' }, 'percentage'], // too precise
    // Alpaca: a percentage "would only sell fractional if position is originally fractional".
    [3n * N, { percentage: '33.333333333' }, 'percentage'], // 0.999999999 of 3 whole shares: less than one
    [3n * N, { percentage: '50' }, 1n * N], // a probe sold 1.5 and left 1.5
    [-5n * N, { percentage: '50' }, 2n * N], // a probe bought 2.5 and left a fractional short of 2.5
    [90n * N, { percentage: '33.3' }, 29n * N], // 29.97 rounded down
    [3n * N + N / 2n, { percentage: '33.333333333' }, 1_166_666_666n], // fractional: to the nano
    [3n * N + N / 2n, { percentage: '50' }, 1_750_000_000n],
    [-5n * N, { qty: '2.5' }, 'qty'], // a short is closed in whole shares
    [-5n * N, { qty: '2' }, 2n * N],
    [5n * N, { qty: '2.5' }, 2_500_000_000n], // a long one may be sold fractionally
    [10n * N, { percentage: '101' }, 'percentage'],
    [1n, { percentage: '50' }, 'percentage'], // less than a nano
    [10n * N, { qty: '1', percentage: '50' }, 'qty'],
  ] as const)('position %s, %j', (held, query, expected) => {
    const r = closingQty(held, query);
    if (typeof expected === 'string') {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]?.field).toBe(expected);
    } else expect(r).toEqual({ ok: true, qty: expected });
  });
});

test.each([
  [
    'percentage',
    '33.3333333333',
    'too_precise',
    'percentage: has more than 9 decimal places, got "33.3333333333"',
  ],
  ['percentage', 'half', 'invalid_value', 'percentage: must be a positive decimal, got "half"'],
  ['qty', '0.0000000001', 'too_precise', 'qty: has more than 9 decimal places, got "0.0000000001"'],
])(
  '%s=%s is refused %s, its message says why (a probe read "must be a positive decimal" for 10 decimals)',
  (field, text, code, message) => {
    const r = closingQty(10n * N, { [field]: text });
    expect(r.ok ? null : { code: r.errors[0]?.code, message: r.errors[0]?.message }).toEqual({
      code,
      message,
    });
  },
);

describe('closeAllParams (DELETE /v2/positions)', () => {
  test.each([
    [{}, { ok: true, cancelOrders: false }],
    [{ cancel_orders: 'true' }, { ok: true, cancelOrders: true }],
    [{ cancel_orders: 'false' }, { ok: true, cancelOrders: false }],
    // alpaca-py's close_all_positions(cancel_orders=True): requests writes Python's `True`.
    [{ cancel_orders: 'True' }, { ok: true, cancelOrders: true }],
    [{ cancel_orders: 'FALSE' }, { ok: true, cancelOrders: false }],
  ])('%j', (query, expected) => expect(closeAllParams(query)).toEqual(expected));

  // A probe's percentage=101 (and 0) closed every position whole: a part is one position's close.
  test.each([
    [{ cancel_orders: 'maybe' }, ['cancel_orders']],
    [{ percentage: '101' }, ['percentage']],
    [{ percentage: '50', cancel_orders: 'true' }, ['percentage']],
    [{ qty: '1' }, ['qty']],
    [{ qty: '1', percentage: '0', cancel_orders: 'yes' }, ['qty', 'percentage', 'cancel_orders']],
    [{ Cancel_Orders: 'true' }, ['Cancel_Orders']],
  ])('%j is refused naming %j', (query, fields) => {
    const r = closeAllParams(query);
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(fields);
    // A probe: the refusal of `Cancel_orders` said the route takes "cancel_orders, qty, percentage".
    for (const e of r.ok ? [] : r.errors) expect(e.message).not.toMatch(/takes .*(qty|percentage)/);
  });
});

test.each([
  [{ after: '2026-02-30' }, 'after'],
  [{ until: '2026-04-31T10:00:00Z' }, 'until'],
  [{ date: '2026-13-01' }, 'date'],
])('activities %j: a day that does not exist is a 400 naming it, not rolled over', (query, field) => {
  const r = parseActivityQuery(query, undefined);
  expect(r.ok).toBe(false);
  if (!r.ok) {
    expect(r.response.statusCode).toBe(400);
    expect(String(r.response.body)).toContain(`${field}: must be an RFC 3339 timestamp or a date`);
  }
});

test.each([{ after: '2026-02-28' }, { until: '2026-03-01T10:00:00Z' }, { date: '2024-02-29' }])(
  'activities %j: a real day is read',
  (query) => {
    expect(parseActivityQuery(query, undefined).ok).toBe(true);
  },
);

// A probe: SDK 4's getAccountActivities({category: 'non_trade_activity'}) was answered with fills,
// and so were a typo (`activity_type=DIV`), `activity_types[]` and any unknown parameter.
test.each<[Record<string, string>, string | undefined, string[] | string]>([
  [{ category: 'trade_activity' }, undefined, ['FILL']],
  [{}, undefined, ['FILL']],
  [{ activity_types: 'DIV' }, undefined, ['DIV']],
  [{ category: 'bogus' }, undefined, 'category: must be one of trade_activity, non_trade_activity'],
  [
    { category: 'trade_activity', activity_types: 'FILL' },
    undefined,
    'category: is not taken with activity_types',
  ],
  [{ activity_type: 'DIV' }, undefined, 'activity_type: is not a parameter of this route'],
  [{ 'activity_types[]': 'DIV' }, undefined, 'activity_types[]: is not a parameter of this route'],
  [{ category: 'non_trade_activity' }, 'FILL', 'category: is not a parameter of this route'],
  [{ foo: '1' }, 'FILL', 'foo: is not a parameter of this route'],
])('activities %j (path type %s): %j', (query, pathType, expected) => {
  const r = parseActivityQuery(query, pathType);
  if (typeof expected === 'string') {
    expect(r.ok).toBe(false);
    if (!r.ok) expect(String(r.response.body)).toContain(expected);
  } else expect(r.ok ? [...r.q.types] : r).toEqual(expected);
});

test('activities category=non_trade_activity: every type but FILL', () => {
  const r = parseActivityQuery({ category: 'non_trade_activity' }, undefined);
  expect(r.ok && r.q.types.has('FILL')).toBe(false);
  expect(r.ok && r.q.types.has('DIV') && r.q.types.has('FEE')).toBe(true);
});

test('the day-trade window: the five NYSE trading days ending today (weekends and holidays skipped)', () => {
  expect(lastBusinessDays('2026-11-30')).toEqual([
    '2026-11-30',
    '2026-11-27',
    '2026-11-25',
    '2026-11-24',
    '2026-11-23',
  ]);
  expect(lastBusinessDays('2026-11-29')).toEqual([
    '2026-11-27',
    '2026-11-25',
    '2026-11-24',
    '2026-11-23',
    '2026-11-20',
  ]);
});

describe('accountSettingsUpdate (PUT /local/accounts/{id})', () => {
  test.each([
    [{ cash: '5000' }, { cash: '5000' }],
    [
      { cash: 5000, multiplier: 4, shorting_enabled: true },
      { cash: '5000', multiplier: '4', shortingEnabled: true },
    ],
    [
      { trading_blocked: true, account_blocked: false, pattern_day_trader: true },
      { tradingBlocked: true, accountBlocked: false, patternDayTrader: true },
    ],
  ])('%j', (body, fields) => expect(accountSettingsUpdate(body)).toEqual({ ok: true, fields }));

  test.each([
    [{}, /^body: give at least one/],
    [{ cash: '-1' }, /^cash: must be a non-negative decimal/],
    [{ multiplier: 3 }, /^multiplier: must be 1, 2 or 4/],
    [{ shorting_enabled: 'yes' }, /^shorting_enabled: must be true or false/],
    [{ buyingPower: '1' }, /^buyingPower: is not an account setting/],
    // The prototype's names are not settings (before: `constructor` wrote an attribute "undefined").
    [{ constructor: '1' }, /^constructor: is not an account setting/],
    [{ toString: true }, /^toString: is not an account setting/],
    [JSON.parse('{"__proto__": "1"}'), /^__proto__: is not an account setting/],
  ])('%j is refused naming the field', (body, message) => {
    const r = accountSettingsUpdate(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

// A probe's DELETE /v2/positions/NVDA?Qty=1 (and qty[]=1, __proto__=1) closed the whole position:
// a parameter the close does not take is refused, never ignored.
test.each([
  [{ Qty: '1' }, ['Qty']],
  [{ 'qty[]': '1' }, ['qty[]']],
  [JSON.parse('{"__proto__":"1"}'), ['__proto__']],
  [{ qty: '1', percent: '5' }, ['percent']],
  [{ qty: '1' }, []],
  [{ percentage: '50' }, []],
])('a single close with %j: refused naming %j', (query, fields) => {
  expect(unknownParameters(query, ['qty', 'percentage']).map((e) => e.field)).toEqual(fields);
});
