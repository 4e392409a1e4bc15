/**
 * Reg SHO in the core (issue 16): the locate rule, 17 CFR 242.203(b)(1); the short sale price test,
 * 17 CFR 242.201(b)(1); and the locate book (core locates.ts).
 */
import fc from 'fast-check';
import { catSide } from '../../lambdas/core/cat-records.js';
import {
  type AssetFacts,
  checkPreTradeRisk,
  circuitBreakerTriggered,
  EMPTY_LOCATE_BOOK,
  executionsToAwaitOf,
  exitPositionIntentOf,
  grantLocate,
  locateClaimOf,
  locatedRemaining,
  locateJson,
  locateQtyErrors,
  nanos,
  nextTradingDate,
  type OrderSpec,
  positionIntentOf,
  type RiskContext,
  type RiskLimits,
  restrictionAfterPrint,
  restrictionInEffect,
  rule201Refusal,
  type ShortSaleRestriction,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

// Thursday 2026-12-03, 10:00 New York.
const NOW = Date.parse('2026-12-03T15:00:00.000Z');
const TODAY = '2026-12-03';

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
const HTB: AssetFacts = {
  id: '00000000-0000-5000-8000-000000000000',
  status: 'active',
  tradable: true,
  fractionable: true,
  marginable: true,
  shortable: true,
  easyToBorrow: false,
};
const SHORTER: RiskContext = {
  now: NOW,
  referencePrice: '50',
  asset: HTB,
  buyingPower: null,
  openBuyExposure: '0',
  recentOrders: [],
  accountProblem: null,
  account: { shortingEnabled: true, tradingBlocked: false },
  positionQty: '0',
  heldForSale: '0',
  quote: { bid: '49.90', ask: '50.10' },
};
const sell = (extra: Record<string, unknown>) =>
  spec({ symbol: 'HTBX', side: 'sell', type: 'market', qty: '100', ...extra });
const rules = (order: OrderSpec, ctx: Partial<RiskContext>) =>
  checkPreTradeRisk(order, OPEN, { ...SHORTER, ...ctx }).map((r) => r.message);

describe('17 CFR 242.203(b)(1): "may not accept a short sale order ... unless the broker or dealer has borrowed the security, or entered into a bona-fide arrangement to borrow [it]; or reasonable grounds to believe that the security can be borrowed"', () => {
  it.each<[string, OrderSpec, Partial<RiskContext>, string[]]>([
    [
      'a hard-to-borrow short without a locate is refused, naming what it needs',
      sell({}),
      { locatedQty: '0' },
      [
        'locate_required: a short sale of 100 HTBX needs 100 shares located (17 CFR 242.203(b)(1)); the account holds 0 located for today: request a locate (POST /v1/locates)',
      ],
    ],
    ['located shares that cover the short part: accepted', sell({}), { locatedQty: '100' }, []],
    [
      'a sale adding to a short is short whole: short 30 selling 70 needs 70 (fits in 70)',
      sell({ qty: '70' }),
      { positionQty: '-30', locatedQty: '70' },
      [],
    ],
    [
      'a fractional short part is refused before locates count (Alpaca: long fractional positions only)',
      sell({ qty: '100.5' }),
      { locatedQty: '101' },
      [
        'fractional_short_sale: sell of 100.5 HTBX is a short sale of a fractional qty: short sales are of whole shares (Alpaca: long fractional positions only)',
      ],
    ],
    [
      'a long is not sold through into a short: refused before locates count (Alpaca: insufficient qty)',
      sell({ qty: '100.5' }),
      { positionQty: '30.5', locatedQty: '70' },
      [
        'short_sale: sell of 100.5 HTBX exceeds the 30.5 available to sell (position 30.5, 0 held by open sell orders); a long is not sold into a short',
      ],
    ],
    [
      '... and a short sale refused when it is not all located',
      sell({ qty: '70' }),
      { locatedQty: '69' },
      [
        'locate_required: a short sale of 70 HTBX needs 70 shares located (17 CFR 242.203(b)(1)); the account holds 69 located for today: request a locate (POST /v1/locates)',
      ],
    ],
    [
      'easy to borrow stands as "reasonable grounds": no locate needed',
      sell({}),
      { asset: { ...HTB, easyToBorrow: true }, locatedQty: '0' },
      [],
    ],
    ['a long sale needs no locate', sell({}), { positionQty: '100', locatedQty: '0' }, []],
    [
      'not shortable: refused whatever is located',
      sell({}),
      { asset: { ...HTB, shortable: false }, locatedQty: '1000' },
      ['asset_not_shortable: sell of 100 HTBX is a short sale and HTBX is not shortable'],
    ],
  ])('%s', (_name, order, ctx, expected) => {
    expect(rules(order, ctx)).toEqual(expected);
  });

  it.each<[string, OrderSpec, Partial<RiskContext>, bigint | null]>([
    [
      'a hard-to-borrow short takes its short part, whole shares up',
      sell({ qty: '100.5' }),
      { positionQty: '30' },
      nanos('71'),
    ],
    ['an easy-to-borrow short takes none', sell({}), { asset: { ...HTB, easyToBorrow: true } }, null],
    ['a long sale takes none', sell({}), { positionQty: '100' }, null],
    ['a buy takes none', spec({ symbol: 'HTBX', side: 'buy', type: 'market', qty: '5' }), {}, null],
  ])('the placing transaction claims: %s', (_name, order, ctx, claim) => {
    expect(locateClaimOf(order, { ...SHORTER, ...ctx })).toBe(claim);
  });
});

const R: ShortSaleRestriction = { triggeredOn: TODAY, until: '2026-12-04' };

describe('17 CFR 242.201(b)(1): a decline of 10% or more from the prior close restricts short sales "at a price that is less than or equal to the current national best bid" for "the remainder of the day and the following day"', () => {
  it.each<[string, string, string, boolean]>([
    ['exactly 10% below the close triggers', '100', '90', true],
    ['more than 10% below triggers', '100', '89.99', true],
    ['less than 10% below does not', '100', '90.01', false],
    ['a rise does not', '100', '101', false],
  ])('circuit breaker: %s', (_name, close, price, triggered) => {
    expect(circuitBreakerTriggered(nanos(close), nanos(price))).toBe(triggered);
  });

  it('the trigger is exact: 10 x price <= 9 x close, for any prices', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        (close, price) => {
          expect(circuitBreakerTriggered(close, price)).toBe(price * 10n <= close * 9n);
        },
      ),
    );
  });

  it.each<
    [string, ShortSaleRestriction | null, string | null, string | null, string, ShortSaleRestriction | null]
  >([
    ['a print 10% down triggers through the next trading day', null, '100', '90', TODAY, R],
    [
      'a Friday trigger lasts through Monday',
      null,
      '100',
      '90',
      '2026-12-04',
      { triggeredOn: '2026-12-04', until: '2026-12-07' },
    ],
    [
      'before a holiday: through the next trading day (Christmas 2026 is a Friday)',
      null,
      '100',
      '80',
      '2026-12-24',
      { triggeredOn: '2026-12-24', until: '2026-12-28' },
    ],
    ['a second decline the same day keeps the first trigger', R, '100', '80', TODAY, R],
    [
      'a decline on the restricted next day triggers again, through the day after',
      R,
      '100',
      '85',
      '2026-12-04',
      { triggeredOn: '2026-12-04', until: '2026-12-07' },
    ],
    ['no previous close: nothing triggers', null, null, '1', TODAY, null],
    ['a print within 10% keeps what it had', R, '100', '95', '2026-12-04', R],
  ])('restrictionAfterPrint: %s', (_name, current, close, price, today, expected) => {
    expect(
      restrictionAfterPrint(
        current,
        close === null ? null : nanos(close),
        price === null ? null : nanos(price),
        today,
      ),
    ).toEqual(expected);
  });

  it.each<[string, string, boolean]>([
    ['the trigger day', TODAY, true],
    ['the following day', '2026-12-04', true],
    ['the day after that', '2026-12-07', false],
    ['before the trigger', '2026-12-02', false],
  ])('in effect on %s', (_name, today, effect) => {
    expect(restrictionInEffect(R, today)).toBe(effect);
  });

  it('nextTradingDate skips weekends and holidays', () => {
    expect([
      nextTradingDate('2026-12-03'),
      nextTradingDate('2026-12-04'),
      nextTradingDate('2026-12-31'),
    ]).toEqual(['2026-12-04', '2026-12-07', '2027-01-04']);
  });

  it.each<[string, OrderSpec, string | null, boolean]>([
    ['a market short would execute at the bid: refused', sell({}), '49.90', true],
    ['a stop short becomes a market order: refused', sell({ type: 'stop', stop_price: '45' }), '49.90', true],
    [
      'a limit at the national best bid: refused',
      sell({ type: 'limit', limit_price: '49.90' }),
      '49.90',
      true,
    ],
    ['a limit below it: refused', sell({ type: 'limit', limit_price: '49.80' }), '49.90', true],
    ['a limit above it: allowed', sell({ type: 'limit', limit_price: '49.91' }), '49.90', false],
    [
      'no national best bid to price above: refused (fail closed)',
      sell({ type: 'limit', limit_price: '49.91' }),
      null,
      true,
    ],
  ])('price test: %s', (_name, order, bid, refused) => {
    expect(rule201Refusal(order, bid === null ? null : nanos(bid), R) !== null).toBe(refused);
  });

  it.each<[string, OrderSpec, Partial<RiskContext>, string[]]>([
    [
      'a market short while the restriction is in effect',
      sell({}),
      { asset: { ...HTB, easyToBorrow: true }, shortSaleRestriction: R },
      [
        'short_sale_restriction: a short sale restriction is in effect (a decline of 10% or more from the previous close on 2026-12-03, through 2026-12-04): a market short sale would execute at or below the national best bid; use a limit price above it',
      ],
    ],
    [
      'a limit short above the NBB goes',
      sell({ type: 'limit', limit_price: '50' }),
      { asset: { ...HTB, easyToBorrow: true }, shortSaleRestriction: R },
      [],
    ],
    [
      'a long sale is not a short sale: not restricted',
      sell({}),
      { positionQty: '100', shortSaleRestriction: R },
      [],
    ],
    [
      'an expired restriction restricts nothing',
      sell({}),
      {
        asset: { ...HTB, easyToBorrow: true },
        shortSaleRestriction: { triggeredOn: '2026-12-01', until: '2026-12-02' },
      },
      [],
    ],
  ])('in pre-trade risk: %s', (_name, order, ctx, expected) => {
    expect(rules(order, ctx)).toEqual(expected);
  });
});

describe('the locate book (Alpaca /v1/locates shape)', () => {
  const request = (qty: string, allOrNone = false) => ({ symbol: 'htbx', qty: nanos(qty), allOrNone });

  it.each<[string, string, string[]]>([
    ['round lots of 100', '200', []],
    ['not a round lot', '150', ['qty: must be in round lots of 100 shares, got "150"']],
    ['zero', '0', ['qty: must be greater than 0, got "0"']],
    ['not a number', 'ten', ['qty: must be a whole number of shares, got "ten"']],
  ])('qty: %s', (_name, qty, messages) => {
    expect(locateQtyErrors(qty).map((e) => e.message)).toEqual(messages);
  });

  it.each<[string, string, boolean, string, string, string]>([
    ['the desk has all of it', '300', false, '1000', 'active', '300'],
    ['the desk has part of it', '300', false, '120', 'active', '120'],
    ['all or none, the desk has part: rejected', '300', true, '120', 'rejected', '0'],
    ['the desk has none: rejected', '300', false, '0', 'rejected', '0'],
  ])('grant: %s', (_name, qty, allOrNone, desk, status, located) => {
    const { book, locate } = grantLocate(EMPTY_LOCATE_BOOK, request(qty, allOrNone), nanos(desk), 'L1', NOW);
    expect([locate.status, locate.locatedQty, locate.symbol, locate.tradingDay]).toEqual([
      status,
      located,
      'HTBX',
      TODAY,
    ]);
    expect(locatedRemaining(book, 'HTBX', TODAY)).toBe(nanos(located));
    // The end of the New York day (midnight EST = 05:00 UTC).
    expect(locate.expiresAt).toBe('2026-12-04T05:00:00.000Z');
  });

  it('located shares are for their day only; a new day starts from what it locates', () => {
    const { book } = grantLocate(EMPTY_LOCATE_BOOK, request('200'), nanos('200'), 'L1', NOW);
    expect(locatedRemaining(book, 'HTBX', '2026-12-04')).toBe(0n);
    const next = grantLocate(book, request('100'), nanos('100'), 'L2', Date.parse('2026-12-04T15:00:00Z'));
    expect(locatedRemaining(next.book, 'HTBX', '2026-12-04')).toBe(nanos('100'));
    expect(locateJson(next.book, book.locates[0] as never, Date.parse('2026-12-04T15:00:00Z')).status).toBe(
      'expired',
    );
  });

  it('used_qty spreads what short sales took over the day’s locates, oldest first', () => {
    const one = grantLocate(EMPTY_LOCATE_BOOK, request('100'), nanos('100'), 'L1', NOW);
    const two = grantLocate(one.book, request('200'), nanos('200'), 'L2', NOW);
    // Short sales took 150 of the 300 located: 150 remain.
    const taken = { ...two.book, symbols: { HTBX: { tradingDay: TODAY, remaining: 150 } } };
    const json = taken.locates.map((l) => locateJson(taken, l, NOW));
    expect(json.map((j) => [j.id, j.status, j.located_qty, j.used_qty])).toEqual([
      ['L1', 'active', 100, 100],
      ['L2', 'active', 200, 50],
    ]);
  });
});

/**
 * What a decision on the ledger's position waits for (core `executionsToAwaitOf`): Reg SHO's
 * marking (a sell is short only beyond the position, 17 CFR 242.200(g)) and a no-short account's
 * refusal are only as right as the position read; a buy's fill the client has seen but the ledger
 * has not applied yet makes a long sale look short.
 */
describe('executionsToAwaitOf: which pending executions a decision on the position waits for', () => {
  const buy = spec({ symbol: 'HTBX', side: 'buy', type: 'limit', limit_price: '50', qty: '100' });
  const NO_SHORT = { account: { shortingEnabled: false, tradingBlocked: false } };
  // biome-ignore format: a table
  it.each<[string, OrderSpec, Partial<RiskContext>, ReturnType<typeof executionsToAwaitOf>]>([
    ['a sell beyond the position (a short sale as read): the symbol\'s buys', sell({}),            { locatedQty: '100' },            { symbol: 'HTBX', side: 'buy' }],
    ['a no-short account\'s sell beyond the position (refused as read)',   sell({}),            NO_SHORT,                          { symbol: 'HTBX', side: 'buy' }],
    ['a sell within the position: nothing',                               sell({}),            { positionQty: '100' },            null],
    ['a sell within the position less what open sells hold: the buys',    sell({}),            { positionQty: '100', heldForSale: '1', locatedQty: '100' }, { symbol: 'HTBX', side: 'buy' }],
    ['a buy refused buying_power: the account\'s sells (their cash)',     buy,                 { buyingPower: '100' },            { side: 'sell' }],
    ['a buy within the buying power: nothing',                            buy,                 { buyingPower: '1000000' },        null],
  ])('%s', (_, order, ctx, expected) => {
    const context = { ...SHORTER, ...ctx };
    expect(executionsToAwaitOf(order, checkPreTradeRisk(order, OPEN, context), context)).toEqual(expected);
  });
});

describe('17 CFR 242.200(g): "A broker or dealer must mark all sell orders of any equity security as long, short, or short exempt" (positionIntentOf; the CAT side follows it)', () => {
  const buy = spec({ symbol: 'HTBX', side: 'buy', type: 'market', qty: '100' });
  // biome-ignore format: a table
  it.each<[string, OrderSpec, Partial<RiskContext>, string | null]>([
    ['a sell within the long position: long',                 sell({}),                                    { positionQty: '100' },                     'sell_to_close'],
    ['a sell with no position: short',                        sell({}),                                    { positionQty: '0' },                       'sell_to_open'],
    ['a sell beyond the long: short (its short part; refused by short_sale since December 2026)', sell({}), { positionQty: '30' },             'sell_to_open'],
    ['a sell of shares other sells already hold: short (refused likewise)', sell({}),                      { positionQty: '100', heldForSale: '50' },  'sell_to_open'],
    ['a sell while short: short',                             sell({}),                                    { positionQty: '-10' },                     'sell_to_open'],
    ['a buy while short: to close',                           buy,                                         { positionQty: '-10' },                     'buy_to_close'],
    ['a buy while flat or long: to open',                     buy,                                         { positionQty: '5' },                       'buy_to_open'],
    ['the client’s sell_to_close of a long sale stands',      sell({ position_intent: 'sell_to_close' }), { positionQty: '100' },                     'sell_to_close'],
    // A probe: a short sale sent as sell_to_close was kept so and reported SL to CAT.
    ['the client’s sell_to_close of a short sale: short',     sell({ position_intent: 'sell_to_close' }), { positionQty: '0' },                       'sell_to_open'],
    ['the client’s sell_to_open of a long sale stays short',  sell({ position_intent: 'sell_to_open' }),  { positionQty: '100' },                     'sell_to_open'],
    ['the client’s buy_to_close while flat: to open',         spec({ symbol: 'HTBX', side: 'buy', type: 'market', qty: '100', position_intent: 'buy_to_close' }), { positionQty: '0' }, 'buy_to_open'],
    ['the client’s buy_to_open while short: to close',        spec({ symbol: 'HTBX', side: 'buy', type: 'market', qty: '100', position_intent: 'buy_to_open' }),  { positionQty: '-10' }, 'buy_to_close'],
    ['no controlled position: the client’s intent',           sell({ position_intent: 'sell_to_close' }), { positionQty: undefined },                  'sell_to_close'],
    ['no controlled position: not known, none given',         sell({}),                                    { positionQty: undefined },                  null],
  ])('%s', (_case, order, ctx, intent) => {
    expect(positionIntentOf(order, { ...SHORTER, ...ctx })).toBe(intent);
  });

  // biome-ignore format: a table
  it.each<[string, string, string, string | null]>([
    ['a buy entry while flat: its sell exit sells what it bought',  'buy',  '0',   'sell_to_close'],
    ['a buy entry while short 5 (of 2): its sell exit sells short', 'buy',  '-5',  'sell_to_open'],
    ['a sell entry while long 10 (of 2): its buy exit buys back',   'sell', '10',  'buy_to_open'],
    ['a sell entry while flat: its buy exit covers',                'sell', '0',   'buy_to_close'],
  ])('an exit, on the position its entry leaves: %s', (_case, side, positionQty, intent) => {
    const entry = spec({ symbol: 'HTBX', side, type: 'limit', limit_price: '50', qty: '2' });
    const exit = spec({ symbol: 'HTBX', side: side === 'buy' ? 'sell' : 'buy', type: 'limit', limit_price: '55', qty: '2' });
    expect(exitPositionIntentOf(entry, exit, { ...SHORTER, positionQty })).toBe(intent);
  });

  it('the CAT side of a short sale marked so is SS, of a long sale SL', () => {
    expect(catSide({ side: 'sell', positionIntent: positionIntentOf(sell({}), SHORTER) })).toBe('SS');
    expect(
      catSide({
        side: 'sell',
        positionIntent: positionIntentOf(sell({}), { ...SHORTER, positionQty: '100' }),
      }),
    ).toBe('SL');
  });
});
