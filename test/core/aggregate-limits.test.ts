/**
 * Aggregate limits in versioned policies (core aggregate-limits.ts), each rule against the text of
 * SEC Rule 15c3-5 it implements:
 * - (c)(1)(i) "Prevent the entry of orders that exceed appropriate pre-set credit or capital
 *   thresholds in the aggregate for each customer and the broker or dealer": daily notional,
 *   open exposure;
 * - (c)(1)(ii) "Prevent the entry of erroneous orders, by rejecting orders that exceed appropriate
 *   price or size parameters, on an order-by-order basis": per-symbol max size and price collar,
 *   and the modify rate.
 * Every refusal cites its rule, the limit and the policy version.
 */
import {
  centsText,
  dailyNotionalClaim,
  dailyNotionalRefusal,
  exposureClaimToRelease,
  firmOpenExposureClaim,
  firmOpenExposureRefusal,
  isSettled,
  type LimitsPolicy,
  modifyRateRefusal,
  NO_POLICY,
  type OrderSpec,
  openExposureRefusal,
  orderNotionalOf,
  policyRefusals,
  statusOf,
  symbolLimitRefusals,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { OrderBook } from './order-book.js';

const NOW = Date.parse('2025-03-04T15:00:00.000Z');
function spec(request: Record<string, unknown>): OrderSpec {
  const v = validateOrderRequest(
    { time_in_force: 'day', type: 'market', symbol: 'AAPL', ...request },
    { now: NOW },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}
const policy = (over: Partial<LimitsPolicy>): LimitsPolicy => ({
  ...NO_POLICY,
  version: 3,
  changedBy: 'ops-1',
  changedAt: '2025-03-04T14:00:00.000Z',
  ...over,
});

describe('15c3-5(c)(1)(ii) per symbol: "rejecting orders that exceed appropriate price or size parameters"', () => {
  const p = policy({ symbols: { AAPL: { maxOrderQty: '100', priceCollarPercent: '5' } } });
  test.each([
    ['qty within the symbol limit', { qty: '100' }, '200', []],
    ['qty over the symbol limit', { qty: '101' }, '200', ['symbol_max_qty']],
    [
      'buy limit 5% above the reference: at the collar',
      { qty: '1', type: 'limit', limit_price: '210' },
      '200',
      [],
    ],
    [
      'buy limit just through the collar',
      { qty: '1', type: 'limit', limit_price: '210.01' },
      '200',
      ['symbol_price_collar'],
    ],
    [
      'sell limit just through the collar',
      { side: 'sell', qty: '1', type: 'limit', limit_price: '189.99' },
      '200',
      ['symbol_price_collar'],
    ],
    [
      'a limit with no reference price: fail closed',
      { qty: '1', type: 'limit', limit_price: '200' },
      null,
      ['symbol_price_collar'],
    ],
    ['another symbol: no limits', { symbol: 'MSFT', qty: '1000' }, '200', []],
    ['a market order is not collared', { qty: '5' }, null, []],
  ] as const)('%s -> %j', (_case, order, reference, rules) => {
    const refusals = symbolLimitRefusals(spec({ side: 'buy', ...order }), reference, p, 'account');
    expect(refusals.map((r) => r.rule)).toEqual(rules);
    for (const r of refusals) expect(r).toMatchObject({ policy_version: 3, policy_scope: 'account' });
  });

  test('the message cites the limit, the symbol and the policy version', () => {
    expect(symbolLimitRefusals(spec({ side: 'buy', qty: '101' }), '200', p, 'account')).toEqual([
      {
        rule: 'symbol_max_qty',
        limit: '100',
        message:
          "symbol_max_qty: qty 101 AAPL exceeds the account's limit 100 for AAPL (account policy version 3)",
        policy_version: 3,
        policy_scope: 'account',
      },
    ]);
  });
});

describe('15c3-5(c)(1)(i) open exposure: "credit ... thresholds in the aggregate for each customer"', () => {
  test.each([
    ['no limit', null, '0', '1000', null],
    ['open 4,000 + order 1,000 <= 5,000', '5000', '4000', '1000', null],
    ['open 4,000 + order 1,000.01 > 5,000', '5000', '4000', '1000.01', 'open_exposure'],
    ['an order with no price to value it at', '5000', '0', null, 'open_exposure'],
  ] as const)('%s', (_case, limit, open, notional, rule) => {
    const n = notional === null ? null : orderNotionalOf({ qty: null, notional, limitPrice: null }, null);
    const r = openExposureRefusal(n, open, policy({ openExposure: limit }), 'account');
    expect(r?.rule ?? null).toBe(rule);
    if (r !== null) expect(r.policy_version).toBe(3);
  });

  test("checked through policyRefusals for the account (the firm's is a claimed running total, below)", () => {
    const order = spec({ side: 'sell', qty: '10', type: 'limit', limit_price: '100' });
    const refusals = policyRefusals(
      order,
      '100',
      { account: policy({ openExposure: '1500' }), firm: policy({ openExposure: '1' }) },
      '600',
    );
    expect(refusals.map((r) => [r.rule, r.policy_scope])).toEqual([['open_exposure', 'account']]);
  });
});

describe('15c3-5(c)(1)(i) open exposure for the firm: "in the aggregate for ... the broker or dealer"', () => {
  test.each([
    ['no firm limit: nothing claimed', null, '100', { kind: 'none' }],
    [
      'order 100.001 within 1,000: claims 100.01, ceiling 899.99',
      '1000',
      '100.001',
      { kind: 'claim', addCents: 10001, ceilingCents: 89999 },
    ],
    [
      'order exactly the limit: ceiling 0',
      '1000',
      '1000',
      { kind: 'claim', addCents: 100000, ceilingCents: 0 },
    ],
    ['order alone over the limit', '1000', '1000.01', { kind: 'refused' }],
    ['an order with no price to value it at', '1000', null, { kind: 'refused' }],
  ] as const)('%s', (_case, limit, notional, expected) => {
    const n = notional === null ? null : orderNotionalOf({ qty: null, notional, limitPrice: null }, null);
    const claim = firmOpenExposureClaim(n, policy({ openExposure: limit }));
    expect(claim).toMatchObject(expected);
    if (claim.kind === 'refused')
      expect(claim.refusal).toMatchObject({ rule: 'open_exposure', policy_scope: 'firm', policy_version: 3 });
  });

  test('the refusal when the open total is over the ceiling names both totals and the version', () => {
    expect(firmOpenExposureRefusal(95_000, 10_001, policy({ openExposure: '1000' }))).toEqual({
      rule: 'open_exposure',
      limit: '1000',
      message:
        "open_exposure: order notional 100.01 plus the firm's open orders 950.00 exceeds the firm's limit 1000 (firm policy version 3)",
      policy_version: 3,
      policy_scope: 'firm',
    });
  });

  const held = { id: 'o-1', cents: 5000 };
  test.each([
    ['filled: given back', held, true, 'filled', held],
    ['canceled: given back', held, true, 'canceled', held],
    ['a day order done for the day: given back', held, true, 'done_for_day', held],
    ['replaced: kept for the replacement', held, true, 'replaced', null],
    ['still working: kept', held, false, 'partially_filled', null],
    ['a gtc order done for the day (not settled): kept', held, false, 'done_for_day', null],
    ['no claim: nothing', null, true, 'filled', null],
  ] as const)('exposureClaimToRelease: %s', (_case, exposureClaim, settled, status, expected) => {
    expect(exposureClaimToRelease({ exposureClaim, settled, status })).toEqual(expected);
  });
});

describe('15c3-5(c)(1)(i) daily notional: "in the aggregate for each customer and the broker or dealer"', () => {
  test.each([
    ['no limit', null, '100', { kind: 'none' }],
    [
      'order 100.001 within 1,000: adds 100.01 (rounded up to the cent), ceiling 899.99',
      '1000',
      '100.001',
      { kind: 'claim', addCents: 10001, ceilingCents: 89999 },
    ],
    [
      'order exactly the limit: ceiling 0',
      '1000',
      '1000',
      { kind: 'claim', addCents: 100000, ceilingCents: 0 },
    ],
    ['order alone over the limit', '1000', '1000.01', { kind: 'refused' }],
    ['limit rounded down to the cent', '1000.009', '1000.01', { kind: 'refused' }],
  ] as const)('%s', (_case, limit, notional, expected) => {
    const n = orderNotionalOf({ qty: null, notional, limitPrice: null }, null);
    expect(dailyNotionalClaim(n, policy({ dailyNotional: limit }), 'firm', '2025-03-04')).toMatchObject(
      expected,
    );
  });

  test('the refusal when the day total is over the ceiling names the totals, the day and the version', () => {
    expect(
      dailyNotionalRefusal(95_000, 10_001, policy({ dailyNotional: '1000' }), 'firm', '2025-03-04'),
    ).toEqual({
      rule: 'daily_notional',
      limit: '1000',
      message:
        "daily_notional: order notional 100.01 plus the firm's accepted notional today 950.00 exceeds the firm's limit 1000 (trading day 2025-03-04, New York; firm policy version 3)",
      policy_version: 3,
      policy_scope: 'firm',
    });
  });

  test('a market order is valued at the reference price, a limit at its limit', () => {
    expect(orderNotionalOf(spec({ side: 'buy', qty: '3' }), '10.5')).toBe(31_500_000_000_000_000_000n);
    expect(orderNotionalOf(spec({ side: 'buy', qty: '3', type: 'limit', limit_price: '10' }), '10.5')).toBe(
      30n * 10n ** 18n,
    );
    expect(orderNotionalOf(spec({ side: 'buy', qty: '3' }), null)).toBeNull();
  });

  test.each([
    [0, '0.00'],
    [5, '0.05'],
    [123456, '1234.56'],
  ])('centsText(%p) = %p', (cents, text) => expect(centsText(cents)).toBe(text));
});

test('15c3-5(c)(1)(ii) modify rate: the refusal cites the limit and the policy version', () => {
  expect(modifyRateRefusal(policy({ modifiesPerSecond: 2 }), 'account')).toEqual({
    rule: 'modify_rate',
    limit: '2',
    message: 'modify_rate: at most 2 replaces per second for this account (account policy version 3)',
    policy_version: 3,
    policy_scope: 'account',
  });
});

test("15c3-5(c)(1)(i) a replacement holds its original order's firm open-exposure claim (given back when it settles)", () => {
  const book = new OrderBook();
  const claim = { id: 'o1', cents: 100_000 };
  const order = spec({ side: 'buy', qty: '10', type: 'limit', limit_price: '100' });
  expect(
    book.run('o1', { type: 'submit', orderId: 'o1', accountId: 'a', order, exposureClaim: claim }).ok,
  ).toBe(true);
  expect(book.state('o1').exposureClaim).toEqual(claim);
  book.run('o1', { type: 'accept', venueOrderId: 'v1' });
  book.run('o1', {
    type: 'requestReplace',
    replacementOrderId: 'o2',
    changes: { limitPrice: '99' },
    requestedBy: 'bot',
  });
  book.run('o1', { type: 'confirmReplace' });
  const [original, replacement] = [book.state('o1'), book.state('o2')];
  expect([statusOf(original), replacement.exposureClaim]).toEqual(['replaced', claim]);
  const releaseOf = (s: typeof original) =>
    exposureClaimToRelease({ exposureClaim: s.exposureClaim, settled: isSettled(s), status: statusOf(s) });
  expect([releaseOf(original), releaseOf(replacement)]).toEqual([null, null]);
  book.run('o2', { type: 'confirmCancel' });
  expect(releaseOf(book.state('o2'))).toEqual(claim);
});
