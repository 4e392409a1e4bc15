/**
 * The kill switch (core trading-state.ts). SEC Rule 15c3-5(c)(1): a broker-dealer's risk controls
 * must "prevent the entry of orders" that exceed its thresholds, and 15c3-5(e) requires that the
 * firm can act on them at once; here an operator sets a trading state per account or firm-wide:
 * ACTIVE, REDUCING ("only orders that reduce a position"), HALTED ("nothing new; open orders
 * canceled at once").
 */
import fc from 'fast-check';
import {
  checkPreTradeRisk,
  DEFAULT_RISK_LIMITS,
  decideTradingStateChange,
  effectiveTradingState,
  haltScopeOf,
  NEVER_SET,
  type OrderSpec,
  ordersToCancelUnderHalt,
  type RiskContext,
  type TradingState,
  type TradingStateRecord,
  tradingStateRefusal,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2025-03-04T15:00:00.000Z');

function spec(request: Record<string, unknown>): OrderSpec {
  const v = validateOrderRequest({ time_in_force: 'day', type: 'market', ...request }, { now: NOW });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}

const set = (state: TradingState, version = 1): TradingStateRecord => ({
  state,
  reason: 'desk review',
  changedBy: 'ops-1',
  changedAt: '2025-03-04T14:59:00.000Z',
  version,
});

const position = (positionQty: string, heldSameSide = '0', referencePrice: string | null = '100') => ({
  positionQty,
  heldSameSide,
  referencePrice,
});

describe('the state in force is the stricter of the firm and the account (firm on a tie)', () => {
  test.each([
    [null, null, 'ACTIVE', 'firm'],
    [set('ACTIVE'), set('HALTED'), 'HALTED', 'account'],
    [set('HALTED'), set('ACTIVE'), 'HALTED', 'firm'],
    [set('REDUCING'), set('HALTED'), 'HALTED', 'account'],
    [set('HALTED'), set('REDUCING'), 'HALTED', 'firm'],
    [set('REDUCING'), null, 'REDUCING', 'firm'],
    [null, set('REDUCING'), 'REDUCING', 'account'],
    [set('HALTED'), set('HALTED'), 'HALTED', 'firm'],
  ] as const)('firm %j, account %j -> %s (%s)', (firm, account, state, scope) => {
    const e = effectiveTradingState({ firm, account });
    expect([e.record.state, e.scope]).toEqual([state, scope]);
  });
});

describe('tradingStateRefusal: "HALTED: nothing new; REDUCING: only orders that reduce a position"', () => {
  test.each([
    // [case, firm, account, order, position, rule or null]
    ['ACTIVE: anything', null, set('ACTIVE'), { side: 'buy', qty: '5' }, position('0'), null],
    [
      'HALTED account: a buy',
      null,
      set('HALTED'),
      { side: 'buy', qty: '1' },
      position('0'),
      'trading_halted',
    ],
    [
      'HALTED account: even a sell that closes a long',
      null,
      set('HALTED'),
      { side: 'sell', qty: '1' },
      position('10'),
      'trading_halted',
    ],
    ['HALTED firm', set('HALTED'), null, { side: 'sell', qty: '1' }, position('10'), 'trading_halted'],
    [
      'REDUCING: sell within the long',
      null,
      set('REDUCING'),
      { side: 'sell', qty: '10' },
      position('10'),
      null,
    ],
    [
      'REDUCING: sell beyond the long (would go short)',
      null,
      set('REDUCING'),
      { side: 'sell', qty: '11' },
      position('10'),
      'reducing_only',
    ],
    [
      'REDUCING: sell within the long less what open sells hold',
      null,
      set('REDUCING'),
      { side: 'sell', qty: '5' },
      position('10', '6'),
      'reducing_only',
    ],
    ['REDUCING: buy against a short', set('REDUCING'), null, { side: 'buy', qty: '3' }, position('-3'), null],
    [
      'REDUCING: buy beyond the short',
      set('REDUCING'),
      null,
      { side: 'buy', qty: '4' },
      position('-3'),
      'reducing_only',
    ],
    [
      'REDUCING: buy while long (adds)',
      null,
      set('REDUCING'),
      { side: 'buy', qty: '1' },
      position('10'),
      'reducing_only',
    ],
    [
      'REDUCING: sell while flat (opens a short)',
      null,
      set('REDUCING'),
      { side: 'sell', qty: '1' },
      position('0'),
      'reducing_only',
    ],
    [
      'REDUCING: notional sell sized at the reference price (500 / 100 = 5 <= 10)',
      null,
      set('REDUCING'),
      { side: 'sell', notional: '500' },
      position('10'),
      null,
    ],
    [
      'REDUCING: notional sell without a price: fail closed',
      null,
      set('REDUCING'),
      { side: 'sell', notional: '500' },
      position('10', '0', null),
      'reducing_only',
    ],
    [
      'REDUCING: position not read: fail closed',
      null,
      set('REDUCING'),
      { side: 'sell', qty: '1' },
      null,
      'reducing_only',
    ],
  ] as const)('%s -> %p', (_case, firm, account, order, pos, rule) => {
    const refusal = tradingStateRefusal(spec({ symbol: 'AAPL', ...order }), 'acct-1', { firm, account }, pos);
    expect(refusal?.rule ?? null).toBe(rule);
  });

  test('a bracket is refused under REDUCING: its exit legs would open a position again', () => {
    const bracket = spec({
      symbol: 'AAPL',
      side: 'sell',
      qty: '1',
      type: 'limit',
      limit_price: '100',
      order_class: 'bracket',
      take_profit: { limit_price: '90' },
      stop_loss: { stop_price: '110' },
    });
    expect(
      tradingStateRefusal(bracket, 'acct-1', { firm: null, account: set('REDUCING') }, position('10')),
    ).toMatchObject({ rule: 'reducing_only', message: expect.stringContaining('bracket') });
  });

  test('the message names the state, the scope, the reason and who set it; the limit the version', () => {
    expect(
      tradingStateRefusal(
        spec({ symbol: 'aapl', side: 'buy', qty: '1' }),
        'acct-1',
        {
          firm: null,
          account: set('HALTED', 3),
        },
        position('0'),
      ),
    ).toEqual({
      rule: 'trading_halted',
      limit: 'HALTED (account acct-1, version 3)',
      message:
        'trading_halted: trading is HALTED for account acct-1 (desk review; set by ops-1 at 2025-03-04T14:59:00.000Z): no new orders are accepted',
    });
    expect(
      tradingStateRefusal(
        spec({ symbol: 'AAPL', side: 'buy', qty: '2' }),
        'acct-1',
        {
          firm: set('REDUCING', 7),
          account: null,
        },
        position('10'),
      )?.message,
    ).toMatch(
      /^reducing_only: trading is REDUCING firm-wide \(desk review; .*\): only orders that reduce a position are accepted; buy of 2 AAPL exceeds the 0 it can reduce/,
    );
  });

  test('property: under REDUCING an accepted order never takes the position past flat', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.constantFrom('buy', 'sell'),
        (pos, held, qty, side) => {
          const refusal = tradingStateRefusal(
            spec({ symbol: 'AAPL', side, qty: String(qty) }),
            'a',
            { firm: set('REDUCING'), account: null },
            position(String(pos), String(held)),
          );
          if (refusal !== null) return;
          const after = side === 'buy' ? pos + qty : pos - qty;
          // Accepted: the order and what the same side holds stay within the position.
          expect(Math.sign(after) === 0 || Math.sign(after) === Math.sign(pos)).toBe(true);
          expect(qty + held).toBeLessThanOrEqual(Math.abs(pos));
        },
      ),
    );
  });
});

describe('checkPreTradeRisk applies the kill switch where the trading states are read', () => {
  const ctx = (over: Partial<RiskContext>): RiskContext => ({
    now: NOW,
    referencePrice: '100',
    asset: {
      id: 'x',
      status: 'active',
      tradable: true,
      fractionable: true,
      marginable: true,
      shortable: true,
      easyToBorrow: true,
    },
    buyingPower: null,
    openBuyExposure: '0',
    recentOrders: [],
    accountProblem: null,
    positionQty: '10',
    heldForSale: '4',
    heldForBuy: '0',
    accountId: 'acct-1',
    ...over,
  });
  test.each([
    // A sell past what the long leaves available (10 - 4 held) is refused `short_sale` on any
    // account (a long is not sold into a short); the kill switch adds `reducing_only` when it reads.
    ['no states read (the workflow re-check): not controlled', undefined, 'sell', '7', ['short_sale']],
    ['HALTED', { firm: null, account: set('HALTED') }, 'sell', '1', ['trading_halted']],
    ['REDUCING, sell 6 of 10 with 4 held', { firm: set('REDUCING'), account: null }, 'sell', '6', []],
    [
      'REDUCING, sell 7 of 10 with 4 held',
      { firm: set('REDUCING'), account: null },
      'sell',
      '7',
      ['reducing_only', 'short_sale'],
    ],
  ] as const)('%s -> %j', (_case, tradingStates, side, qty, rules) => {
    const refusals = checkPreTradeRisk(
      spec({ symbol: 'AAPL', side, qty }),
      DEFAULT_RISK_LIMITS,
      ctx(tradingStates === undefined ? {} : { tradingStates }),
    );
    expect(refusals.map((r) => r.rule)).toEqual(rules);
  });
});

describe('decideTradingStateChange: each change is a new version; a retry records nothing', () => {
  const change = (state: TradingState, reason = 'desk review') => ({
    state,
    reason,
    changedBy: 'ops-2',
    at: '2025-03-04T15:00:00.000Z',
  });
  test.each([
    ['never set -> HALTED', null, change('HALTED'), 'changed', 1],
    ['never set -> ACTIVE (recorded: an operator acted)', null, change('ACTIVE'), 'changed', 1],
    ['HALTED v1 -> HALTED, same reason (a retry)', set('HALTED', 1), change('HALTED'), 'unchanged', 1],
    ['HALTED v1 -> HALTED, another reason', set('HALTED', 1), change('HALTED', 'other'), 'changed', 2],
    ['HALTED v4 -> ACTIVE', set('HALTED', 4), change('ACTIVE'), 'changed', 5],
  ] as const)('%s', (_case, current, req, kind, version) => {
    const d = decideTradingStateChange(current, req);
    expect([d.kind, d.record.version]).toEqual([kind, version]);
    if (d.kind === 'changed') {
      expect(d.previous).toEqual(current ?? NEVER_SET);
      expect(d.record).toMatchObject({ state: req.state, changedBy: 'ops-2', changedAt: req.at });
    }
  });
});

describe('a HALT stays in force: whom the halt enforcement sweeps (15c3-5(c)(1): orders stopped, not a sweep sent once)', () => {
  test.each([
    ['nothing halted', null, [], null],
    ['firm ACTIVE, nothing halted', set('ACTIVE'), [], null],
    ['firm REDUCING does not cancel', set('REDUCING'), [], null],
    ['firm HALTED: every account', set('HALTED'), [], { scope: 'firm' }],
    ['firm HALTED covers halted accounts too', set('HALTED'), ['acct-2'], { scope: 'firm' }],
    [
      'accounts HALTED, deduplicated and sorted',
      null,
      ['acct-2', 'acct-1', 'acct-2'],
      { scope: 'accounts', accountIds: ['acct-1', 'acct-2'] },
    ],
    [
      'firm ACTIVE, one account HALTED',
      set('ACTIVE', 2),
      ['acct-1'],
      { scope: 'accounts', accountIds: ['acct-1'] },
    ],
  ] as const)('%s', (_, firm, halted, expected) => {
    expect(haltScopeOf(firm, halted)).toEqual(expected);
  });

  test.each([
    ['new', true],
    ['partially_filled', true],
    ['accepted', true],
    ['pending_new', true],
    ['held', true],
    ['pending_cancel', false], // its cancel is requested; the in-flight check sees it arrive
    ['pending_replace', false], // a cancel is refused until the venue answers; the next run takes it
  ])('an open order %s is asked to cancel: %s', (status, canceled) => {
    expect(ordersToCancelUnderHalt([{ id: 'o-1', status }])).toEqual(canceled ? ['o-1'] : []);
  });
});
