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
    type: fc.constantFrom('market', 'limit'),
    size: fc.constantFrom(
      { qty: '1' },
      { qty: '1.0' },
      { qty: '2' },
      { notional: '100' },
      { notional: '100.00' },
    ),
    limit_price: fc.constantFrom('100', '100.00', '101'),
  })
  .map(({ type, size, limit_price, ...rest }) => {
    // Notional orders are market orders (Alpaca).
    const t = 'notional' in size ? 'market' : type;
    const v = validateOrderRequest(
      { ...rest, ...size, type: t, time_in_force: 'day', ...(t === 'limit' ? { limit_price } : {}) },
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
