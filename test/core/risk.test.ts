import fc from 'fast-check';
import {
  type AssetFacts,
  alpacaRiskAnswer,
  checkPreTradeRisk,
  DEFAULT_RISK_LIMITS,
  type OrderSpec,
  type RiskContext,
  type RiskLimits,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2025-03-04T15:00:00.000Z');

function spec(request: Record<string, unknown>): OrderSpec {
  const v = validateOrderRequest({ time_in_force: 'day', ...request }, { now: NOW });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}

const OPEN: RiskLimits = {
  maxOrderQty: null,
  maxOrderNotional: null,
  priceCollarPercent: null,
  restrictedSymbols: [],
  duplicateWindowSeconds: null,
  maxOrdersPerSecond: null,
};

/** A listed, active, tradable, fractionable asset: the asset rules pass. */
const LISTED: AssetFacts = {
  id: '00000000-0000-5000-8000-000000000000',
  status: 'active',
  tradable: true,
  fractionable: true,
  marginable: true,
  shortable: true,
  easyToBorrow: true,
};
const WHOLE_SHARES: AssetFacts = { ...LISTED, fractionable: false };

const CTX: RiskContext = {
  now: NOW,
  referencePrice: '100',
  asset: LISTED,
  buyingPower: null,
  openBuyExposure: '0',
  recentOrders: [],
  accountProblem: null,
};

const buy100 = spec({ symbol: 'AAPL', qty: '100', side: 'buy', type: 'market' });

describe('checkPreTradeRisk', () => {
  it.each<[string, OrderSpec, Partial<RiskLimits>, Partial<RiskContext>, string[]]>([
    ['no limits, anything goes', buy100, {}, {}, []],
    // Issue 13: rules that use the account (docs/domain.md "Positions and the account").
    [
      'short_sale: a sell beyond the position less open sells, on an account that may not short',
      spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'market' }),
      {},
      { positionQty: '12', heldForSale: '5', account: { shortingEnabled: false, tradingBlocked: false } },
      [
        'short_sale: sell of 10 AAPL exceeds the 7 available to sell (position 12, 5 held by open sell orders); this account may not sell short',
      ],
    ],
    [
      'short_sale: a sell within what is available is a long sale',
      spec({ symbol: 'AAPL', qty: '7', side: 'sell', type: 'market' }),
      {},
      { positionQty: '12', heldForSale: '5', account: { shortingEnabled: false, tradingBlocked: false } },
      [],
    ],
    [
      'short_sale: a notional sell is sized at the reference price (1001 / 100 = 10.01 > 10)',
      spec({ symbol: 'AAPL', notional: '1001', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      { positionQty: '10', account: { shortingEnabled: false, tradingBlocked: false } },
      [
        'short_sale: sell of 10.01 AAPL exceeds the 10 available to sell (position 10, 0 held by open sell orders); this account may not sell short',
      ],
    ],
    // core held-shares.ts: a notional sell fills at the bid (a probe's $10,000 sell of 100 shares at
    // a last of 100 filled at 99.99: 100.010001 sold, short on an account that may not short).
    [
      'short_sale: a notional sell is sized at the bid when it is below the reference (10000 / 99.99 > 100)',
      spec({ symbol: 'AAPL', notional: '10000', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      {
        positionQty: '100',
        quote: { bid: '99.99', ask: '100.01' },
        account: { shortingEnabled: false, tradingBlocked: false },
      },
      [
        'short_sale: sell of 100.010001001 AAPL exceeds the 100 available to sell (position 100, 0 held by open sell orders); this account may not sell short',
      ],
    ],
    [
      'short_sale: a notional sell that fits at the bid is a long sale (9999 / 99.99 = 100)',
      spec({ symbol: 'AAPL', notional: '9999', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      {
        positionQty: '100',
        quote: { bid: '99.99', ask: '100.01' },
        account: { shortingEnabled: false, tradingBlocked: false },
      },
      [],
    ],
    [
      'short_sale: an account that may short sells short',
      spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'market' }),
      {},
      { positionQty: '-3', account: { shortingEnabled: true, tradingBlocked: false } },
      [],
    ],
    [
      'asset_not_shortable: a short sale of an asset that is not shortable',
      spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'market' }),
      {},
      {
        positionQty: '0',
        account: { shortingEnabled: true, tradingBlocked: false },
        asset: { ...LISTED, shortable: false },
      },
      ['asset_not_shortable: sell of 10 AAPL is a short sale and AAPL is not shortable'],
    ],
    // Alpaca's Fractional Trading page: "short selling fractional shares is not supported".
    [
      'fractional_short_sale: a fractional qty sold short from flat',
      spec({ symbol: 'AAPL', qty: '2.5', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      { positionQty: '0', account: { shortingEnabled: true, tradingBlocked: false } },
      [
        'fractional_short_sale: sell of 2.5 AAPL is a short sale of a fractional qty: short sales are of whole shares (Alpaca: long fractional positions only)',
      ],
    ],
    [
      'fractional_short_sale: a notional sell of a short position adds to it (1000 / 100 = 10)',
      spec({ symbol: 'AAPL', notional: '1000', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      { positionQty: '-10', account: { shortingEnabled: true, tradingBlocked: false } },
      [
        'fractional_short_sale: sell of 10 AAPL is a short sale of a notional qty: short sales are of whole shares (Alpaca: long fractional positions only)',
      ],
    ],
    [
      'fractional_short_sale: a fractional sell of a fractional long position is a long sale',
      spec({ symbol: 'AAPL', qty: '2.5', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      { positionQty: '2.5', account: { shortingEnabled: true, tradingBlocked: false } },
      [],
    ],
    [
      'fractional_short_sale: a notional sell within the position is a long sale',
      spec({ symbol: 'AAPL', notional: '999', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      { positionQty: '10', account: { shortingEnabled: true, tradingBlocked: false } },
      [],
    ],
    [
      'fractional_short_sale: whole shares sold short on a fractional short would leave it fractional: allowed (the short part is whole)',
      spec({ symbol: 'AAPL', qty: '3', side: 'sell', type: 'market' }),
      {},
      { positionQty: '-0.5', account: { shortingEnabled: true, tradingBlocked: false } },
      [],
    ],
    [
      'short_sale: a long is not sold through into a short in one order, on an account that may short (Alpaca: insufficient qty)',
      spec({ symbol: 'AAPL', qty: '3.5', side: 'sell', type: 'market', time_in_force: 'day' }),
      {},
      { positionQty: '0.5', account: { shortingEnabled: true, tradingBlocked: false } },
      [
        'short_sale: sell of 3.5 AAPL exceeds the 0.5 available to sell (position 0.5, 0 held by open sell orders); a long is not sold into a short',
      ],
    ],
    [
      // A probe: long 4, an OTO's stop-loss of 4 holding it, a sell of 2 was accepted marked short,
      // filled first, and the stop (marked long) then sold 4 of the 2 left: 2 sold short unmarked.
      'short_sale: a sell of a long whose shares other sells hold is refused, not marked short (Reg SHO 200(g))',
      spec({ symbol: 'AAPL', qty: '2', side: 'sell', type: 'limit', limit_price: '104' }),
      {},
      { positionQty: '4', heldForSale: '4', account: { shortingEnabled: true, tradingBlocked: false } },
      [
        'short_sale: sell of 2 AAPL exceeds the 0 available to sell (position 4, 4 held by open sell orders); a long is not sold into a short',
      ],
    ],
    [
      'asset_not_shortable: hard to borrow needs a locate (Reg SHO 203(b)(1))',
      spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'market' }),
      {},
      {
        positionQty: '-4',
        account: { shortingEnabled: true, tradingBlocked: false },
        asset: { ...LISTED, easyToBorrow: false },
      },
      [
        'asset_not_shortable: sell of 10 AAPL is a short sale and AAPL is hard to borrow (a locate is needed)',
      ],
    ],
    [
      'asset_not_shortable: a long sale of a hard-to-borrow asset is fine',
      spec({ symbol: 'AAPL', qty: '4', side: 'sell', type: 'market' }),
      {},
      {
        positionQty: '4',
        account: { shortingEnabled: true, tradingBlocked: false },
        asset: { ...LISTED, easyToBorrow: false },
      },
      [],
    ],
    [
      'trading_blocked: every order',
      buy100,
      {},
      { account: { shortingEnabled: true, tradingBlocked: true } },
      ['trading_blocked: trading is blocked for this account'],
    ],
    [
      'qty over the limit',
      spec({ symbol: 'AAPL', qty: '5000', side: 'buy', type: 'market' }),
      { maxOrderQty: '1000' },
      {},
      ['max_order_qty: qty 5000 exceeds the limit 1000'],
    ],
    ['qty at the limit', buy100, { maxOrderQty: '100' }, {}, []],
    [
      'notional at market uses the reference price',
      buy100,
      { maxOrderNotional: '9999.99' },
      {},
      ['max_order_notional: order notional 10000 exceeds the limit 9999.99'],
    ],
    [
      'notional of a limit order uses the limit price',
      spec({ symbol: 'AAPL', qty: '10', side: 'buy', type: 'limit', limit_price: '101.5' }),
      { maxOrderNotional: '1000' },
      {},
      ['max_order_notional: order notional 1015 exceeds the limit 1000'],
    ],
    [
      'a notional order is its notional',
      spec({ symbol: 'AAPL', notional: '2500.5', side: 'buy', type: 'market' }),
      { maxOrderNotional: '2500' },
      { referencePrice: null },
      ['max_order_notional: order notional 2500.5 exceeds the limit 2500'],
    ],
    [
      'buy limit more than N% above reference',
      spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'limit', limit_price: '110.01' }),
      { priceCollarPercent: '10' },
      {},
      ['price_collar: limit price 110.01 is more than 10% above the reference price 100'],
    ],
    [
      'buy limit exactly N% above reference passes',
      spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'limit', limit_price: '110' }),
      { priceCollarPercent: '10' },
      {},
      [],
    ],
    [
      'sell limit more than N% below reference',
      spec({ symbol: 'AAPL', qty: '1', side: 'sell', type: 'limit', limit_price: '94.99' }),
      { priceCollarPercent: '5' },
      {},
      ['price_collar: limit price 94.99 is more than 5% below the reference price 100'],
    ],
    [
      'a sell limit far above reference is passive, not through the collar',
      spec({ symbol: 'AAPL', qty: '1', side: 'sell', type: 'limit', limit_price: '150' }),
      { priceCollarPercent: '5' },
      {},
      [],
    ],
    [
      'buying power counts open buy orders',
      buy100,
      {},
      { buyingPower: '15000', openBuyExposure: '5000.01' },
      ['buying_power: order notional 10000 plus open buy orders 5000.01 exceeds the buying power 15000'],
    ],
    // core held-shares.ts: a market buy fills at the ask (a probe's buy of 99 at a last of 100 and
    // an ask of 105 on $10,000 of cash: cash -395).
    [
      'buying_power: a market buy is valued at the ask when it is above the reference',
      spec({ symbol: 'AAPL', qty: '99', side: 'buy', type: 'market' }),
      {},
      { buyingPower: '10000', quote: { bid: '95', ask: '105' } },
      ['buying_power: order notional 10395 plus open buy orders 0 exceeds the buying power 10000'],
    ],
    [
      'buying_power: a market buy valued at the ask that fits passes',
      spec({ symbol: 'AAPL', qty: '95', side: 'buy', type: 'market' }),
      {},
      { buyingPower: '10000', quote: { bid: '95', ask: '105' } },
      [],
    ],
    [
      'buying_power: a limit buy is valued at its limit, whatever the ask',
      spec({ symbol: 'AAPL', qty: '99', side: 'buy', type: 'limit', limit_price: '100' }),
      {},
      { buyingPower: '10000', quote: { bid: '95', ask: '105' } },
      [],
    ],
    // Alpaca, "Buying Power" (docs.alpaca.markets/docs/orders-at-alpaca): only an order that opens or
    // adds to a position is checked; an opening short sale is valued at MAX(limit, 3% above the ask)
    // x qty (a market short at 3% above the ask); a sell long or a buy to cover takes nothing. A
    // probe's four sells of 900 on $19.8k of buying power with no position were all accepted, and
    // a short account at buying power 0 could not close its short.
    [
      'buying_power: a market short sale at 3% above the ask (100 x 103.0206 > 10000)',
      spec({ symbol: 'AAPL', qty: '100', side: 'sell', type: 'market' }),
      {},
      { buyingPower: '10000', positionQty: '0', quote: { bid: '99.98', ask: '100.02' } },
      ['buying_power: order short sale value 10302.06 plus open buy orders 0 exceeds the buying power 10000'],
    ],
    [
      'buying_power: a limit short sale above the marked ask is valued at its limit',
      spec({ symbol: 'AAPL', qty: '100', side: 'sell', type: 'limit', limit_price: '110' }),
      {},
      { buyingPower: '10500', positionQty: '0', quote: { bid: '99.98', ask: '100.02' } },
      ['buying_power: order short sale value 11000 plus open buy orders 0 exceeds the buying power 10500'],
    ],
    [
      'buying_power: a sell adding to a short counts whole (70 at 103 fits 7210)',
      spec({ symbol: 'AAPL', qty: '70', side: 'sell', type: 'market' }),
      {},
      { buyingPower: '7210', positionQty: '-100', heldForSale: '20', quote: { bid: '99.98', ask: '100' } },
      [],
    ],
    [
      'buying_power: a sell within the long position takes nothing, whatever the buying power',
      spec({ symbol: 'AAPL', qty: '100', side: 'sell', type: 'market' }),
      {},
      { buyingPower: '0', positionQty: '100' },
      [],
    ],
    [
      'buying_power: a sell beyond the position of an account that may not short is refused by short_sale alone (Alpaca: insufficient qty)',
      spec({ symbol: 'AAPL', qty: '1000', side: 'sell', type: 'market' }),
      {},
      { buyingPower: '10000', positionQty: '10', account: { shortingEnabled: false, tradingBlocked: false } },
      [
        'short_sale: sell of 1000 AAPL exceeds the 10 available to sell (position 10, 0 held by open sell orders); this account may not sell short',
      ],
    ],
    [
      'buying_power: a buy to cover takes nothing at buying power 0 (short 100)',
      spec({ symbol: 'AAPL', qty: '100', side: 'buy', type: 'market' }),
      {},
      { buyingPower: '0', positionQty: '-100', heldForBuy: '0' },
      [],
    ],
    [
      'buying_power: a buy beyond the short less what open buys hold of it (100 - 40 = 60 cover) is checked for the other 40',
      spec({ symbol: 'AAPL', qty: '100', side: 'buy', type: 'limit', limit_price: '100' }),
      {},
      { buyingPower: '3999.99', positionQty: '-100', heldForBuy: '40' },
      ['buying_power: order notional 4000 plus open buy orders 0 exceeds the buying power 3999.99'],
    ],
    [
      'buying_power: a notional buy covering part of a short is checked beyond the cover',
      spec({ symbol: 'AAPL', notional: '3000', side: 'buy', type: 'market' }),
      {},
      { buyingPower: '999.99', positionQty: '-20' },
      ['buying_power: order notional 1000 plus open buy orders 0 exceeds the buying power 999.99'],
    ],
    // A replacement carries its order's fills (PATCH of a partly filled order; RiskContext
    // `carriedFilledQty`): they are in the position and the cash already, so what the order may
    // still do is checked on what is left; the per-order size limits on the whole order.
    [
      'buying_power: a replacement counts only what is left (150 carrying 60: 90 x 100 fits 10000)',
      spec({ symbol: 'AAPL', qty: '150', side: 'buy', type: 'limit', limit_price: '100' }),
      {},
      { buyingPower: '10000', carriedFilledQty: '60' },
      [],
    ],
    [
      'buying_power: a replacement whose rest does not fit is refused, the message says what is left',
      spec({ symbol: 'AAPL', qty: '150', side: 'buy', type: 'limit', limit_price: '100' }),
      {},
      { buyingPower: '10000', carriedFilledQty: '40' },
      [
        'buying_power: order notional 11000 (the 110 left of 150: the rest is filled) plus open buy orders 0 exceeds the buying power 10000',
      ],
    ],
    [
      'short_sale: a replacement of a partly filled sell sells only what is left (100 carrying 60, position 40)',
      spec({ symbol: 'AAPL', qty: '100', side: 'sell', type: 'limit', limit_price: '101' }),
      {},
      {
        positionQty: '40',
        heldForSale: '0',
        carriedFilledQty: '60',
        account: { shortingEnabled: false, tradingBlocked: false },
      },
      [],
    ],
    [
      'short_sale: a replacement raised beyond the position is refused on what is left (120 carrying 60, position 40)',
      spec({ symbol: 'AAPL', qty: '120', side: 'sell', type: 'limit', limit_price: '101' }),
      {},
      {
        positionQty: '40',
        heldForSale: '0',
        carriedFilledQty: '60',
        account: { shortingEnabled: false, tradingBlocked: false },
      },
      [
        'short_sale: sell of 60 AAPL exceeds the 40 available to sell (position 40, 0 held by open sell orders); this account may not sell short',
      ],
    ],
    [
      'max_order_qty: a replacement is sized as the whole order, its fills included',
      spec({ symbol: 'AAPL', qty: '150', side: 'buy', type: 'limit', limit_price: '100' }),
      { maxOrderQty: '100' },
      { carriedFilledQty: '60' },
      ['max_order_qty: qty 150 exceeds the limit 100'],
    ],
    [
      'a replacement carrying more than its qty has nothing left: no buying power needed',
      spec({ symbol: 'AAPL', qty: '50', side: 'buy', type: 'limit', limit_price: '100' }),
      {},
      { buyingPower: '0', carriedFilledQty: '60' },
      [],
    ],
    [
      'buying power exactly used up passes',
      buy100,
      {},
      { buyingPower: '15000', openBuyExposure: '5000' },
      [],
    ],
    [
      'sells are not held against buying power',
      spec({ symbol: 'AAPL', qty: '100', side: 'sell', type: 'market' }),
      {},
      { buyingPower: '0' },
      [],
    ],
    [
      'restricted symbol, case-insensitive',
      spec({ symbol: 'gme', qty: '1', side: 'buy', type: 'market' }),
      { restrictedSymbols: ['GME'] },
      {},
      ['restricted_symbol: GME is on the restricted list'],
    ],
    [
      'no reference price fails closed for the checks that need it',
      buy100,
      { maxOrderNotional: '1000000' },
      { referencePrice: null, buyingPower: '50000' },
      ['no_reference_price: no reference price for AAPL; needed by max_order_notional, buying_power'],
    ],
    [
      'a limit order needs no reference for its notional, but does for its collar',
      spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'limit', limit_price: '10' }),
      { maxOrderNotional: '1000', priceCollarPercent: '10' },
      { referencePrice: null },
      ['no_reference_price: no reference price for AAPL; needed by price_collar'],
    ],
    [
      'every broken rule is reported',
      spec({ symbol: 'TSLA', qty: '20000', side: 'buy', type: 'limit', limit_price: '200' }),
      {
        maxOrderQty: '10000',
        maxOrderNotional: '1000000',
        priceCollarPercent: '10',
        restrictedSymbols: ['TSLA'],
      },
      { buyingPower: '100' },
      [
        'restricted_symbol: TSLA is on the restricted list',
        'max_order_qty: qty 20000 exceeds the limit 10000',
        'max_order_notional: order notional 4000000 exceeds the limit 1000000',
        'price_collar: limit price 200 is more than 10% above the reference price 100',
        'buying_power: order notional 4000000 plus open buy orders 0 exceeds the buying power 100',
      ],
    ],
    // The asset master (core asset.ts): rules unknown_asset, asset_not_tradable, asset_not_fractionable.
    [
      'unknown_asset: a symbol the asset master does not list',
      buy100,
      {},
      { asset: null },
      ['unknown_asset: AAPL is not listed in the asset master'],
    ],
    [
      'unknown_asset stands instead of no_reference_price (an unknown symbol has no quote either)',
      buy100,
      { maxOrderNotional: '1000000' },
      { asset: null, referencePrice: null, buyingPower: '50000' },
      ['unknown_asset: AAPL is not listed in the asset master'],
    ],
    [
      'unknown_asset with the other rules that hold still reported',
      spec({ symbol: 'ZZZZ', qty: '5000', side: 'sell', type: 'market' }),
      { maxOrderQty: '1000' },
      { asset: null, referencePrice: null },
      [
        'unknown_asset: ZZZZ is not listed in the asset master',
        'max_order_qty: qty 5000 exceeds the limit 1000',
      ],
    ],
    [
      'asset_not_tradable: an inactive asset',
      buy100,
      {},
      { asset: { ...LISTED, status: 'inactive' } },
      ['asset_not_tradable: AAPL is not tradable: its status is inactive'],
    ],
    [
      'asset_not_tradable: an active asset that is not tradable',
      spec({ symbol: 'AAPL', qty: '1', side: 'sell', type: 'limit', limit_price: '100' }),
      {},
      { asset: { ...LISTED, tradable: false } },
      ['asset_not_tradable: AAPL is not tradable'],
    ],
    [
      'asset_not_fractionable: a fractional qty',
      spec({ symbol: 'AAPL', qty: '1.5', side: 'buy', type: 'market' }),
      {},
      { asset: WHOLE_SHARES },
      ['asset_not_fractionable: AAPL is not fractionable: qty 1.5 is not a whole number of shares'],
    ],
    [
      'asset_not_fractionable: a notional order',
      spec({ symbol: 'AAPL', notional: '250', side: 'buy', type: 'market' }),
      {},
      { asset: WHOLE_SHARES },
      [
        'asset_not_fractionable: AAPL is not fractionable: a notional order (250) is for a fraction of a share',
      ],
    ],
    // The account holder's `fractional_trading: false` (PATCH /v2/account/configurations).
    [
      'fractional_trading_disabled: a fractional qty of a fractionable asset',
      spec({ symbol: 'AAPL', qty: '1.5', side: 'buy', type: 'market' }),
      {},
      { account: { shortingEnabled: false, tradingBlocked: false, fractionalTrading: false } },
      [
        'fractional_trading_disabled: fractional trading is disabled for this account (account configuration fractional_trading: false): qty 1.5 is not a whole number of shares',
      ],
    ],
    [
      'fractional_trading_disabled: a notional order',
      spec({ symbol: 'AAPL', notional: '250', side: 'buy', type: 'market' }),
      {},
      { account: { shortingEnabled: false, tradingBlocked: false, fractionalTrading: false } },
      [
        'fractional_trading_disabled: fractional trading is disabled for this account (account configuration fractional_trading: false): a notional order (250) is for a fraction of a share',
      ],
    ],
    [
      'fractional_trading false: whole shares pass',
      buy100,
      {},
      { account: { shortingEnabled: false, tradingBlocked: false, fractionalTrading: false } },
      [],
    ],
    ['whole shares of a non-fractionable asset pass', buy100, {}, { asset: WHOLE_SHARES }, []],
    [
      'a fractional qty of a fractionable asset passes',
      spec({ symbol: 'AAPL', qty: '0.000000001', side: 'sell', type: 'market' }),
      {},
      {},
      [],
    ],
    [
      'an inactive, non-fractionable asset: both refusals',
      spec({ symbol: 'AAPL', qty: '2.5', side: 'buy', type: 'market' }),
      {},
      { asset: { ...WHOLE_SHARES, status: 'inactive' } },
      [
        'asset_not_tradable: AAPL is not tradable: its status is inactive',
        'asset_not_fractionable: AAPL is not fractionable: qty 2.5 is not a whole number of shares',
      ],
    ],
    [
      'shortable and easy_to_borrow are facts for the short-sale rule, not refusals yet',
      spec({ symbol: 'AAPL', qty: '10', side: 'sell', type: 'market' }),
      {},
      { asset: { ...LISTED, shortable: false, easyToBorrow: false } },
      [],
    ],
    [
      'an account without a readable configuration is refused, whatever else holds',
      spec({ symbol: 'TSLA', qty: '20000', side: 'sell', type: 'market' }),
      { maxOrderQty: '10000', restrictedSymbols: ['TSLA'] },
      { accountProblem: 'account acc-1 has no risk configuration (no account#acc-1 record)' },
      ['account_not_configured: account acc-1 has no risk configuration (no account#acc-1 record)'],
    ],
  ])('%s', (_name, order, limits, ctx, messages) => {
    const refusals = checkPreTradeRisk(order, { ...OPEN, ...limits }, { ...CTX, ...ctx });
    expect(refusals.map((r) => r.message)).toEqual(messages);
    for (const r of refusals) expect(r.message.startsWith(`${r.rule}: `)).toBe(true);
  });

  describe('duplicate orders', () => {
    const limit = spec({ symbol: 'AAPL', qty: '10', side: 'buy', type: 'limit', limit_price: '99.5' });
    const twin = {
      symbol: 'AAPL',
      side: 'buy',
      qty: '10.0',
      notional: null,
      type: 'limit',
      limitPrice: '99.50',
      createdAt: new Date(NOW - 1500).toISOString(),
    };
    it.each<[string, Record<string, unknown>, boolean]>([
      ['same terms within the window (decimals compared by value)', {}, true],
      ['outside the window', { createdAt: new Date(NOW - 2001).toISOString() }, false],
      ['other side', { side: 'sell' }, false],
      ['other qty', { qty: '11' }, false],
      ['other limit price', { limitPrice: '99.51' }, false],
      ['other type', { type: 'market', limitPrice: null }, false],
      ['other symbol', { symbol: 'MSFT' }, false],
    ])('%s', (_name, change, duplicate) => {
      const refusals = checkPreTradeRisk(
        limit,
        { ...OPEN, duplicateWindowSeconds: 2 },
        { ...CTX, recentOrders: [{ ...twin, ...change }] },
      );
      expect(refusals.map((r) => r.rule)).toEqual(duplicate ? ['duplicate_order'] : []);
      if (duplicate) expect(refusals[0]?.limit).toBe('2');
    });
  });

  it('has documented, enabled defaults', () => {
    expect(DEFAULT_RISK_LIMITS.maxOrderQty).not.toBeNull();
    expect(DEFAULT_RISK_LIMITS.maxOrderNotional).not.toBeNull();
    expect(checkPreTradeRisk(buy100, DEFAULT_RISK_LIMITS, CTX)).toEqual([]);
  });

  describe('properties', () => {
    const decimal = fc
      .tuple(fc.integer({ min: 1, max: 50_000 }), fc.integer({ min: 0, max: 99 }))
      .map(([w, f]) => `${w}.${String(f).padStart(2, '0')}`);
    const price = fc
      .tuple(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 99 }))
      .map(([w, f]) => `${w}.${String(f).padStart(2, '0')}`);
    const order = fc
      .record({
        symbol: fc.constantFrom('AAPL', 'MSFT', 'GME'),
        side: fc.constantFrom('buy', 'sell'),
        type: fc.constantFrom('market', 'limit'),
        qty: fc.integer({ min: 1, max: 30_000 }).map(String),
        limit_price: price,
      })
      .map((r) => spec(r.type === 'market' ? { ...r, limit_price: undefined } : r));
    const limits = fc.record<RiskLimits>({
      maxOrderQty: fc.option(decimal),
      maxOrderNotional: fc.option(decimal.map((d) => `${d}00`)),
      priceCollarPercent: fc.option(fc.integer({ min: 1, max: 50 }).map(String)),
      restrictedSymbols: fc.subarray(['AAPL', 'MSFT', 'GME']),
      duplicateWindowSeconds: fc.option(fc.integer({ min: 1, max: 10 })),
      maxOrdersPerSecond: fc.constant(null),
    });
    const ctx = fc.record<RiskContext>({
      now: fc.constant(NOW),
      referencePrice: fc.option(price),
      asset: fc.constantFrom<AssetFacts | null>(
        LISTED,
        LISTED,
        WHOLE_SHARES,
        { ...LISTED, status: 'inactive' },
        { ...LISTED, tradable: false },
        null,
      ),
      buyingPower: fc.option(decimal.map((d) => `${d}0`)),
      openBuyExposure: decimal,
      recentOrders: fc.array(
        fc.record({
          symbol: fc.constantFrom('AAPL', 'MSFT'),
          side: fc.constantFrom('buy', 'sell'),
          qty: fc.integer({ min: 1, max: 30_000 }).map(String),
          notional: fc.constant(null),
          type: fc.constantFrom('market', 'limit'),
          limitPrice: fc.option(price),
          createdAt: fc.integer({ min: 0, max: 10_000 }).map((ago) => new Date(NOW - ago).toISOString()),
        }),
        { maxLength: 3 },
      ),
      accountProblem: fc.constant(null),
    });
    const raise = (d: string | null, by: number) =>
      d === null ? null : String(Number(d.split('.')[0]) + by);

    it('raising a limit never adds a refusal', () => {
      fc.assert(
        fc.property(order, limits, ctx, fc.integer({ min: 1, max: 100_000 }), (o, l, c, by) => {
          const before = new Set(checkPreTradeRisk(o, l, c).map((r) => r.rule));
          const looser: RiskLimits = {
            ...l,
            maxOrderQty: raise(l.maxOrderQty, by),
            maxOrderNotional: raise(l.maxOrderNotional, by),
            priceCollarPercent: raise(l.priceCollarPercent, by),
            restrictedSymbols: l.restrictedSymbols.slice(1),
            duplicateWindowSeconds:
              l.duplicateWindowSeconds === null ? null : Math.max(0, l.duplicateWindowSeconds - 1),
          };
          const richer: RiskContext = { ...c, buyingPower: raise(c.buyingPower, by) };
          for (const r of checkPreTradeRisk(o, looser, richer)) expect(before.has(r.rule)).toBe(true);
        }),
      );
    });

    it("a refusal's limit is the configured one and its message names both", () => {
      fc.assert(
        fc.property(order, limits, ctx, (o, l, c) => {
          for (const r of checkPreTradeRisk(o, l, c)) {
            const configured: Record<string, string | null> = {
              max_order_qty: l.maxOrderQty,
              max_order_notional: l.maxOrderNotional,
              price_collar: l.priceCollarPercent,
              buying_power: c.buyingPower,
              duplicate_order: l.duplicateWindowSeconds === null ? null : String(l.duplicateWindowSeconds),
            };
            if (r.rule in configured) expect(r.limit).toBe(configured[r.rule]);
            expect(r.message.startsWith(`${r.rule}: `)).toBe(true);
            expect(r.message).toContain(r.rule === 'restricted_symbol' ? o.symbol : r.limit);
          }
        }),
      );
    });

    it('an unconfigured account refuses every order, with every rule off too (fail closed)', () => {
      fc.assert(
        fc.property(order, fc.constantFrom(OPEN, DEFAULT_RISK_LIMITS), ctx, (o, l, c) => {
          const refusals = checkPreTradeRisk(o, l, { ...c, accountProblem: 'no record' });
          expect(refusals).toEqual([
            {
              rule: 'account_not_configured',
              limit: 'configured account',
              message: 'account_not_configured: no record',
            },
          ]);
        }),
      );
    });

    it('with every rule off, nothing is refused for a listed, tradable asset', () => {
      fc.assert(
        fc.property(order, ctx, (o, c) =>
          expect(checkPreTradeRisk(o, OPEN, { ...c, buyingPower: null, asset: LISTED })).toEqual([]),
        ),
      );
    });

    it('the asset rules hold whatever the limits: unknown, not tradable, not fractionable', () => {
      fc.assert(
        fc.property(order, limits, ctx, (o, l, c) => {
          const rules = new Set(checkPreTradeRisk(o, l, c).map((r) => r.rule));
          expect(rules.has('unknown_asset')).toBe(c.asset === null);
          expect(rules.has('asset_not_tradable')).toBe(
            c.asset !== null && (c.asset.status !== 'active' || !c.asset.tradable),
          );
          // The generated orders are whole shares.
          expect(rules.has('asset_not_fractionable')).toBe(false);
          if (c.asset === null) expect(rules.has('no_reference_price')).toBe(false);
        }),
      );
    });
  });
});

/**
 * Wash-trade prevention (FINRA Rule 5210 Supplementary Material .02: procedures to prevent
 * self-trades; Alpaca refuses "potential wash trade detected. use complex orders"): an order that
 * could execute against the account's own open order on the other side of the symbol.
 */
describe('wash_trade', () => {
  const sellLimit = (price: string, complexLeg = false) => ({
    orderId: 's1',
    timeInForce: 'day',
    type: 'limit',
    limitPrice: price,
    complexLeg,
  });
  const buyLimit = (price: string) => ({
    orderId: 'b1',
    timeInForce: 'day',
    type: 'limit',
    limitPrice: price,
    complexLeg: false,
  });
  // biome-ignore format: a table
  const cases: [string, Record<string, unknown>, RiskContext['opposingOrders'], boolean][] = [
    ['a market buy against an own resting sell limit (Alpaca refuses it)', { side: 'buy', type: 'market' },                       [sellLimit('101')],          true],
    ['a buy limit at the own sell limit: they would cross',                { side: 'buy', type: 'limit', limit_price: '101' },   [sellLimit('101')],          true],
    ['a buy limit through the own sell limit',                             { side: 'buy', type: 'limit', limit_price: '102' },   [sellLimit('101')],          true],
    ['a buy limit below the own sell limit: they cannot trade',            { side: 'buy', type: 'limit', limit_price: '100.99' }, [sellLimit('101')],         false],
    ['a sell limit at or below the own buy limit',                         { side: 'sell', type: 'limit', limit_price: '99' },   [buyLimit('99.5')],          true],
    ['a sell limit above the own buy limit',                               { side: 'sell', type: 'limit', limit_price: '100' },  [buyLimit('99.5')],          false],
    ['a limit against an own resting market order',                        { side: 'buy', type: 'limit', limit_price: '1' },     [{ orderId: 's2', timeInForce: 'day', type: 'market', limitPrice: null, complexLeg: false }], true],
    ['an own opposite stop is not in the book until it triggers',          { side: 'buy', type: 'market' },                      [{ orderId: 's3', timeInForce: 'day', type: 'stop', limitPrice: null, complexLeg: false }],   false],
    ['a new stop order is not checked (it rests off the book)',            { side: 'buy', type: 'stop', stop_price: '105' },     [sellLimit('101')],          false],
    ['the opposite order is a bracket exit (a complex order): allowed',    { side: 'buy', type: 'market' },                      [sellLimit('101', true)],    false],
    ['the new order is a bracket (Alpaca: "use complex orders")',          { side: 'buy', type: 'market', order_class: 'bracket', take_profit: { limit_price: '120' }, stop_loss: { stop_price: '80' } }, [sellLimit('101')], false],
    ['an opening-auction buy and an own closing-auction sell never meet',  { side: 'buy', type: 'market', time_in_force: 'opg' }, [{ orderId: 's4', timeInForce: 'cls', type: 'market', limitPrice: null, complexLeg: false }], false],
    ['two opening-auction orders cross in the same auction',              { side: 'buy', type: 'market', time_in_force: 'opg' }, [{ orderId: 's5', timeInForce: 'opg', type: 'limit', limitPrice: '100', complexLeg: false }], true],
    ['a continuous order does not meet an own auction order',             { side: 'buy', type: 'market' },                      [{ orderId: 's6', timeInForce: 'cls', type: 'limit', limitPrice: '100', complexLeg: false }], false],
    ['no opposite order',                                                  { side: 'buy', type: 'market' },                      [],                          false],
    ['not controlled (a context without the open orders)',                 { side: 'buy', type: 'market' },                      undefined,                   false],
  ];
  it.each(cases)('%s', (_name, request, opposingOrders, refused) => {
    const order = spec({ symbol: 'AAPL', qty: '10', ...request });
    const refusals = checkPreTradeRisk(order, OPEN, {
      ...CTX,
      ...(opposingOrders === undefined ? {} : { opposingOrders }),
    });
    expect(refusals.map((r) => r.rule)).toEqual(refused ? ['wash_trade'] : []);
    if (refused)
      expect(refusals[0]?.message).toMatch(
        /^wash_trade: potential wash trade detected\. use complex orders \(/,
      );
  });
});

// Alpaca's own answers to the refusals it also makes (core alpaca-refusals.ts): a 403's top-level
// `message` and fields are Alpaca's (`insufficient buying power`, `insufficient qty available for
// order (requested: N, available: M)`), each refusal keeps the rule's words. A probe's sell with no
// position read `short_sale: sell of 5 MSFT exceeds ...`, its buy `buying_power: order notional ...`.
describe('alpacaRiskAnswer', () => {
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
      const refusals = checkPreTradeRisk(order, OPEN, { ...CTX, ...ctx });
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
});
