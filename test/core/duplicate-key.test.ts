/**
 * The duplicate rule's claim key (core `duplicateKeyOf`, claimed when an order is placed) agrees
 * with the rule itself (`checkPreTradeRisk`'s `duplicate_order` over recent orders): for any two
 * orders, their keys are equal exactly when the rule calls the second a twin of the first. And the
 * read model's compact Alpaca order (issue 12) round-trips.
 */
import fc from 'fast-check';
import {
  alpacaOrderFromStored,
  assetFactsOf,
  checkPreTradeRisk,
  DEFAULT_RISK_LIMITS,
  decide,
  defaultAsset,
  duplicateKeyOf,
  type OrderSpec,
  type OrderState,
  replay,
  storedAlpacaOrder,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2026-12-01T15:00:00Z');

const order = fc
  .record({
    symbol: fc.constantFrom('AAPL', 'aapl', 'MSFT'),
    side: fc.constantFrom('buy', 'sell'),
    type: fc.constantFrom('market', 'limit', 'stop', 'trailing_stop'),
    stop_price: fc.constantFrom('95', '95.00', '90'),
    trail: fc.constantFrom({ trail_price: '1' }, { trail_price: '1.00' }, { trail_percent: '1' }),
    exits: fc.constantFrom(
      null,
      { take_profit: { limit_price: '120' }, stop_loss: { stop_price: '80' } },
      { take_profit: { limit_price: '120.00' }, stop_loss: { stop_price: '80' } },
      { take_profit: { limit_price: '121' }, stop_loss: { stop_price: '80', limit_price: '79' } },
    ),
    size: fc.constantFrom(
      { qty: '1' },
      { qty: '1.0' },
      { qty: '2' },
      { notional: '100' },
      { notional: '100.00' },
    ),
    limit_price: fc.constantFrom('100', '100.00', '101'),
  })
  .map(({ type, size, limit_price, stop_price, trail, exits, ...rest }) => {
    // Notional orders are market orders (Alpaca).
    const t = 'notional' in size ? 'market' : type;
    const v = validateOrderRequest(
      {
        ...rest,
        ...size,
        type: t,
        time_in_force: 'day',
        ...(t === 'limit' ? { limit_price } : {}),
        ...(t === 'stop' ? { stop_price } : {}),
        ...(t === 'trailing_stop' ? trail : {}),
        // A bracket of a limit buy (its exits above and below 100).
        ...(t === 'limit' && exits !== null && 'qty' in size && rest.side === 'buy'
          ? { order_class: 'bracket', limit_price: '100', ...exits }
          : {}),
      },
      { now: NOW },
    );
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.order;
  });

const isTwinByRule = (first: OrderSpec, second: OrderSpec): boolean =>
  checkPreTradeRisk(
    second,
    { ...DEFAULT_RISK_LIMITS, maxOrderQty: null, maxOrderNotional: null, priceCollarPercent: null },
    {
      now: NOW,
      referencePrice: '100',
      asset: assetFactsOf(defaultAsset(second.symbol)),
      buyingPower: null,
      openBuyExposure: '0',
      recentOrders: [
        {
          symbol: first.symbol,
          side: first.side,
          qty: first.qty,
          notional: first.notional,
          type: first.type,
          limitPrice: first.limitPrice,
          stopPrice: first.stopPrice,
          trailPrice: first.trailPrice,
          trailPercent: first.trailPercent,
          takeProfitLimitPrice: first.takeProfit?.limitPrice ?? null,
          stopLossStopPrice: first.stopLoss?.stopPrice ?? null,
          stopLossLimitPrice: first.stopLoss?.limitPrice ?? null,
          createdAt: new Date(NOW - 500).toISOString(),
        },
      ],
      accountProblem: null,
    },
  ).some((r) => r.rule === 'duplicate_order');

test('equal claim keys exactly when the duplicate rule finds a twin', () => {
  fc.assert(
    fc.property(order, order, (a, b) => {
      expect(duplicateKeyOf(a) === duplicateKeyOf(b)).toBe(isTwinByRule(a, b));
    }),
    { numRuns: 500 },
  );
});

// An SDK probe's stop ladder was refused as duplicates: orders at other stops or trails are not twins.
// biome-ignore format: a table
test.each<[string, Record<string, string>, Record<string, string>, boolean]>([
  ['sell stops at 95 and 90',             { type: 'stop', stop_price: '95' },           { type: 'stop', stop_price: '90' },             false],
  ['sell stops at 95 and 95.00',          { type: 'stop', stop_price: '95' },           { type: 'stop', stop_price: '95.00' },          true],
  ['a trail by price and one by percent', { type: 'trailing_stop', trail_price: '1' },  { type: 'trailing_stop', trail_percent: '1' }, false],
  ['trails of 1 and 2 dollars',           { type: 'trailing_stop', trail_price: '1' },  { type: 'trailing_stop', trail_price: '2' },   false],
  ['brackets with other take-profits',    { type: 'limit', limit_price: '100', order_class: 'bracket', take_profit: { limit_price: '90' } as never, stop_loss: { stop_price: '110' } as never }, { type: 'limit', limit_price: '100', order_class: 'bracket', take_profit: { limit_price: '89' } as never, stop_loss: { stop_price: '110' } as never }, false],
  ['ocos with other stop-losses (a probe)', { type: 'limit', order_class: 'oco', take_profit: { limit_price: '105' } as never, stop_loss: { stop_price: '95' } as never }, { type: 'limit', order_class: 'oco', take_profit: { limit_price: '105' } as never, stop_loss: { stop_price: '94' } as never }, false],
  ['ocos with other stop-loss limits',    { type: 'limit', order_class: 'oco', take_profit: { limit_price: '105' } as never, stop_loss: { stop_price: '95', limit_price: '94' } as never }, { type: 'limit', order_class: 'oco', take_profit: { limit_price: '105' } as never, stop_loss: { stop_price: '95', limit_price: '93' } as never }, false],
  ['ocos alike',                          { type: 'limit', order_class: 'oco', take_profit: { limit_price: '105' } as never, stop_loss: { stop_price: '95' } as never }, { type: 'limit', order_class: 'oco', take_profit: { limit_price: '105.00' } as never, stop_loss: { stop_price: '95' } as never }, true],
  ['limits at 100 and 100.00',            { type: 'limit', limit_price: '100' },        { type: 'limit', limit_price: '100.00' },       true],
])('%s', (_what, a, b, twins) => {
  const spec = (terms: Record<string, string>) => {
    const v = validateOrderRequest(
      { symbol: 'AAPL', qty: '1', side: 'sell', time_in_force: 'day', ...terms },
      { now: NOW },
    );
    if (!v.ok) throw new Error(JSON.stringify(v.errors));
    return v.order;
  };
  expect(duplicateKeyOf(spec(a)) === duplicateKeyOf(spec(b))).toBe(twins);
  expect(isTwinByRule(spec(a), spec(b))).toBe(twins);
});

test('an Alpaca order stored without its null fields comes back whole', () => {
  fc.assert(
    fc.property(order, fc.boolean(), (spec, filled) => {
      const submitted = decide(
        undefined,
        { type: 'submit', orderId: 'o-1', accountId: 'a-1', order: spec },
        NOW,
      );
      if (!submitted.ok) throw new Error(submitted.refusal.message);
      const state = replay(submitted.events) as OrderState;
      const full = toAlpacaOrder(state, filled ? [] : null);
      const stored = storedAlpacaOrder(full);
      expect(Object.values(stored)).not.toContain(null);
      expect(alpacaOrderFromStored(stored)).toEqual(full);
    }),
    { numRuns: 100 },
  );
});
