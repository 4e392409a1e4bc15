/**
 * Alpaca's own answers to the refusals it also makes (core alpaca-refusals.ts): a 403's top-level
 * `message` and fields are Alpaca's (`insufficient buying power`, `insufficient qty available for
 * order (requested: N, available: M)`), each refusal keeps the rule's words. A probe's sell with no
 * position read `short_sale: sell of 5 MSFT exceeds ...`, its buy `buying_power: order notional ...`.
 */
import {
  type AssetFacts,
  alpacaRiskAnswer,
  checkPreTradeRisk,
  type OrderSpec,
  type RiskContext,
  type RiskLimits,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const spec = (o: Record<string, unknown>): OrderSpec => {
  const v = validateOrderRequest({ time_in_force: 'day', ...o }, { now: Date.parse('2030-01-02T15:00:00Z') });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
};
const NO_LIMITS: RiskLimits = {
  maxOrderQty: null,
  maxOrderNotional: null,
  priceCollarPercent: null,
  restrictedSymbols: [],
  duplicateWindowSeconds: null,
  maxOrdersPerSecond: null,
};
const LISTED: AssetFacts = {
  id: '00000000-0000-5000-8000-000000000000',
  status: 'active',
  tradable: true,
  fractionable: true,
  marginable: true,
  shortable: true,
  easyToBorrow: true,
};
const context = (c: Partial<RiskContext>): RiskContext => ({
  now: Date.parse('2030-01-02T15:00:00Z'),
  referencePrice: '100',
  asset: LISTED,
  buyingPower: null,
  openBuyExposure: '0',
  recentOrders: [],
  accountProblem: null,
  ...c,
});

// biome-ignore format: a table
const CASES: [string, OrderSpec, Partial<RiskContext>, string, Record<string, unknown>][] = [
  ['a buy beyond the buying power', spec({ symbol: 'AAPL', qty: '10', side: 'buy', type: 'market' }),
    { buyingPower: '500' }, 'insufficient buying power', { buying_power: '500', cost_basis: '1000' }],
  ['a sell with no position, on an account that may not sell short', spec({ symbol: 'msft', qty: '5', side: 'sell', type: 'market' }),
    { positionQty: '0', heldForSale: '0', account: { shortingEnabled: false, tradingBlocked: false } },
    'insufficient qty available for order (requested: 5, available: 0)',
    { symbol: 'MSFT', requested: '5', available: '0', existing_qty: '0', held_for_orders: '0' }],
  ['a sell beyond what open sells leave', spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'market' }),
    { positionQty: '12', heldForSale: '5', account: { shortingEnabled: false, tradingBlocked: false } },
    'insufficient qty available for order (requested: 10, available: 7)',
    { symbol: 'AAPL', requested: '10', available: '7', existing_qty: '12', held_for_orders: '5' }],
];

test.each(CASES)(
  '%s: Alpaca words and fields at the top, the rule words in refusals',
  (_t, order, ctx, message, fields) => {
    const refusals = checkPreTradeRisk(order, NO_LIMITS, context(ctx));
    const answer = alpacaRiskAnswer(refusals);
    expect(answer.message).toBe(message);
    expect(answer.fields).toMatchObject(fields);
    // Each refusal as the rule words it, without the Alpaca copy.
    expect(answer.fields.refusals).toEqual(refusals.map(({ alpaca: _a, ...r }) => r));
    expect((answer.fields.refusals as { message: string }[])[0]?.message).toMatch(
      /^(buying_power|short_sale): /,
    );
  },
);

test('a refusal Alpaca has no words for keeps its own message', () => {
  const answer = alpacaRiskAnswer([
    { rule: 'max_order_qty', limit: '10', message: 'max_order_qty: qty 20 exceeds the limit 10' },
  ]);
  expect(answer).toEqual({
    message: 'max_order_qty: qty 20 exceeds the limit 10',
    fields: {
      refusals: [
        { rule: 'max_order_qty', limit: '10', message: 'max_order_qty: qty 20 exceeds the limit 10' },
      ],
    },
  });
});
