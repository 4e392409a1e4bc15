/**
 * Buying power reservations (core buying-power-claims.ts): what a buy order claims, what the
 * placing transaction requires of the account's total, and that a claim is given back whole,
 * exactly once, across its executions and its settlement (Alpaca: "buying power ... reduced by
 * the value of open buy orders"; Reg T cash accounts may not buy beyond their cash).
 */
import fc from 'fast-check';
import {
  abandonedReplaceClaim,
  type BuyingPowerClaim,
  buyingPowerCeilingCents,
  buyingPowerClaimOf,
  centsAsDollars,
  executionRelease,
  formatNanos,
  formatValue18,
  heldBuyingPowerClaim,
  orderNotionalOf,
  placingCeilingCents,
  releasedByExecutions,
  replacementClaimAt,
  reservedBuyingPowerRefusal,
  settlementRelease,
  splitRelease,
  valuationPriceOf,
} from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

const E18 = 10n ** 18n;
const value = (dollars: string) => BigInt(Math.round(Number(dollars) * 100)) * (E18 / 100n);
const claim = (cents: number, qty: string | null): BuyingPowerClaim => ({ id: 'o-1', cents, qty });
/** A replacement's claim on its leaves `qty`, opened with `carried` filled. */
const carrying = (cents: number, qty: string, carried: string): BuyingPowerClaim => ({
  ...claim(cents, qty),
  carried,
});

describe('the claim a placed order makes', () => {
  // biome-ignore format: a table
  const rows: [string, Parameters<typeof buyingPowerClaimOf>[0], ReturnType<typeof buyingPowerClaimOf>][] = [
    ['a buy of 10 at 100.004 claims its notional rounded up to the cent',
      { qty: '10', notional: 10n * 100_004n * 10n ** 15n, buyingPower: '5000', algorithmic: false },
      { cents: 100_004, qty: '10' }],
    ['a notional buy claims its notional, with no qty',
      { qty: null, notional: value('250.50'), buyingPower: '5000', algorithmic: false },
      { cents: 25_050, qty: null }],
    ['an order taking nothing (a sell long, a buy to cover: core risk buyingPowerNotionalOf) claims nothing',
      { qty: '10', notional: 0n, buyingPower: '5000', algorithmic: false }, null],
    ['an account without a cash balance (unlimited) claims nothing',
      { qty: '10', notional: value('1000'), buyingPower: null, algorithmic: false }, null],
    ['an order with no price to value it at claims nothing (risk refused it)',
      { qty: '10', notional: null, buyingPower: '5000', algorithmic: false }, null],
    ['an algorithmic parent claims nothing (the read model counts its leaves)',
      { qty: '10', notional: value('1000'), buyingPower: '5000', algorithmic: true }, null],
  ];
  it.each(rows)('%s', (_, input, expected) => {
    expect(buyingPowerClaimOf(input)).toEqual(expected);
  });
});

describe('the ceiling the placing transaction puts on the total before the order', () => {
  // biome-ignore format: a table
  const rows: [string, string, string, number, number][] = [
    ['buying power less the order',                         '1000',    '0',      60_000,  40_000],
    ['less unclaimed open buys, rounded up',                '1000',    '0.001',  60_000,  39_999],
    ['buying power rounded down',                           '1000.009','0',      60_000,  40_000],
    ['an order larger than the buying power: negative',     '100',     '0',      20_000, -10_000],
    ['a negative buying power (a short below water)',       '-5.005',  '0',      100,    -601],
  ];
  it.each(rows)('%s', (_, buyingPower, unclaimed, add, ceiling) => {
    expect(buyingPowerCeilingCents(buyingPower, unclaimed, add)).toBe(ceiling);
  });

  it("adds what a replace's own order holds (set aside) and what executions gave back with the cash read", () => {
    expect(
      placingCeilingCents({
        buyingPower: '1000',
        unclaimed: '0',
        setAsideCents: 2_500,
        releasedCents: 700,
        addCents: 60_000,
      }),
    ).toBe(40_000 + 2_500 + 700);
  });
});

describe('giving a claim back', () => {
  // biome-ignore format: a table
  const rows: [string, BuyingPowerClaim, string, string, boolean, number][] = [
    ['a partial fill gives back its share',                    claim(10_000, '10'), '0', '3',  false, 3_000],
    ['shares round down, the last fill takes the rest',        claim(10_001, '3'),  '2', '3',  false, 3_334],
    ['a fill past the claim\'s qty (a replacement grew) gives back at most the rest', claim(10_000, '10'), '8', '12', false, 2_000],
    ['a notional order\'s fills give back nothing (its rest at settlement)', claim(10_000, null), '0', '1.5', false, 0],
    ['a late fill after the order settled gives back nothing', claim(10_000, '10'), '4', '6',  true,  0],
    ['a replacement\'s first fill: its share of its leaves, not of the fills it carries', carrying(6_000, '6', '4'), '4', '7', false, 3_000],
    ['a replacement\'s fills past its leaves give back at most the rest', carrying(6_000, '6', '4'), '9', '12', false, 1_000],
  ];
  it.each(rows)('%s', (_, c, before, after, settledBefore, cents) => {
    expect(
      executionRelease(c, BigInt(Number(before) * 1e9), BigInt(Number(after) * 1e9), settledBefore),
    ).toBe(cents);
  });

  // biome-ignore format: a table
  const settlements: [string, Parameters<typeof settlementRelease>[0], number | null][] = [
    ['canceled unfilled: the whole claim',     { buyingPowerClaim: claim(10_000, '10'), settled: true, filledQty: 0n }, 10_000],
    ['canceled after 3 of 10 filled: the rest', { buyingPowerClaim: claim(10_000, '10'), settled: true, filledQty: 3n * 10n ** 9n }, 7_000],
    ['filled: nothing (its fills gave it all back)', { buyingPowerClaim: claim(10_000, '10'), settled: true, filledQty: 10n * 10n ** 9n }, null],
    ['replaced after 4 of 10 filled: the rest (its replacement, on new terms, claims nothing)', { buyingPowerClaim: claim(10_000, '10'), settled: true, filledQty: 4n * 10n ** 9n }, 6_000],
    ['still working: nothing yet',             { buyingPowerClaim: claim(10_000, '10'), settled: false, filledQty: 0n }, null],
    ['a notional order filled: its whole claim', { buyingPowerClaim: claim(10_000, null), settled: true, filledQty: 10n ** 9n }, 10_000],
    ['no claim: nothing',                      { buyingPowerClaim: null, settled: true, filledQty: 0n }, null],
    ['split by the router: nothing (given back at the split)', { buyingPowerClaim: claim(10_000, '10'), split: true, settled: true, filledQty: 10n * 10n ** 9n }, null],
    ['a replacement canceled unfilled: its whole claim (the fills it carries gave nothing of it)', { buyingPowerClaim: carrying(6_000, '6', '4'), settled: true, filledQty: 4n * 10n ** 9n }, 6_000],
    ['a replacement canceled after 2 of its own: the rest', { buyingPowerClaim: carrying(6_000, '6', '4'), settled: true, filledQty: 6n * 10n ** 9n }, 4_000],
  ];
  it.each(settlements)('%s', (_, order, cents) => {
    expect(settlementRelease(order)).toBe(cents);
  });

  // biome-ignore format: a table
  const splits: [string, Parameters<typeof splitRelease>[0], boolean, number | null][] = [
    ['split now: the whole claim',            { buyingPowerClaim: claim(10_000, '10'), split: true, filledQty: 0n }, false, 10_000],
    ['split before this event: nothing more', { buyingPowerClaim: claim(10_000, '10'), split: true, filledQty: 0n }, true, null],
    ['not split: nothing',                    { buyingPowerClaim: claim(10_000, '10'), split: false, filledQty: 0n }, false, null],
  ];
  it.each(splits)('%s', (_, order, splitBefore, cents) => {
    expect(splitRelease(order, splitBefore)).toBe(cents);
    expect(heldBuyingPowerClaim(order)).toEqual(order.split ? null : order.buyingPowerClaim);
  });

  it('gives back exactly the claim, whatever the fills, whether it fills, settles or is replaced', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 400_000 }), { maxLength: 12 }),
        fc.boolean(),
        // A replacement opens with the fills of the orders it replaces (0: an order placed new).
        fc.integer({ min: 0, max: 1_000_000 }),
        (cents, qtyMilli, fillsMilli, lateFill, carriedMilli) => {
          const carried = BigInt(carriedMilli) * 1_000_000n;
          const c = replacementClaimAt(
            claim(cents, formatNanos(BigInt(qtyMilli) * 1_000_000n)),
            carried,
          ) as BuyingPowerClaim;
          const limit = carried + BigInt(qtyMilli) * 1_000_000n;
          let cum = carried;
          let given = 0;
          for (const f of fillsMilli) {
            const next = cum + BigInt(f) * 1_000_000n;
            if (next > limit) break;
            given += executionRelease(c, cum, next, false);
            cum = next;
          }
          // Filled, or canceled / replaced with what is left.
          given += settlementRelease({ buyingPowerClaim: c, settled: true, filledQty: cum }) ?? 0;
          // A fill after the settlement (a day order done for the day) gives nothing more back.
          if (lateFill) given += executionRelease(c, cum, cum + 1_000_000n, true);
          expect(given).toBe(cents);
          expect(releasedByExecutions(c, cum)).toBeLessThanOrEqual(cents);
        },
      ),
    );
  });
});

describe("a PATCH's claim for the replacement", () => {
  const replacementClaim = claim(6_000, '6');
  const pending = { replaceRequest: { buyingPowerClaim: replacementClaim }, settled: false };
  const working = { phase: 'working', settled: false };
  // biome-ignore format: a table
  const rows: [string, Parameters<typeof abandonedReplaceClaim>[0], Parameters<typeof abandonedReplaceClaim>[1], BuyingPowerClaim | null][] = [
    ['the venue refused the replace: given back whole',           pending, { ...working, replaceRequest: null }, replacementClaim],
    ['the order was canceled with the replace pending: given back whole', pending, { replaceRequest: null, phase: 'canceled', settled: true }, replacementClaim],
    ['the order filled, the replace still pending: given back whole', pending, { replaceRequest: {}, phase: 'working', settled: true }, replacementClaim],
    ['the venue refusing it after that fill: nothing more',       { ...pending, settled: true }, { replaceRequest: null, phase: 'working', settled: true }, null],
    ['the venue confirmed it: the replacement holds it',          pending, { replaceRequest: null, phase: 'replaced', settled: true }, null],
    ['still pending (acknowledged): kept',                        pending, { ...working, replaceRequest: {} }, null],
    ['a replace that claimed nothing (a sell): nothing',          { replaceRequest: {}, settled: false }, { ...working, replaceRequest: null }, null],
    ['no replace at all: nothing',                                { replaceRequest: null, settled: false }, { replaceRequest: null, phase: 'canceled', settled: true }, null],
  ];
  it.each(rows)('%s', (_, before, after, expected) => {
    expect(abandonedReplaceClaim(before, after)).toEqual(expected);
  });

  it('the replacement opens holding it, from the fills it carries (filled more while pending)', () => {
    const book = new OrderBook();
    book.submit('o1', limitOrder({ qty: '10', limit_price: '10' }));
    book.run('o1', { type: 'accept', venueOrderId: 'v1' });
    book.run('o1', { type: 'fill', execId: 'e1', lastQty: '2', lastPx: '10' });
    const made = { id: 'r1', cents: 12_000, qty: '8' };
    const asked = book.run('o1', {
      type: 'requestReplace',
      replacementOrderId: 'r1',
      changes: { limitPrice: '15' },
      requestedBy: 'k',
      buyingPowerClaim: made,
    });
    expect(asked.ok && asked.events[0]?.data).toMatchObject({ buyingPowerClaim: made });
    // A fill of the order while the venue works the replace: the replacement carries 3.
    book.run('o1', { type: 'fill', execId: 'e2', lastQty: '1', lastPx: '10' });
    book.run('o1', { type: 'confirmReplace' });
    expect(book.state('r1').buyingPowerClaim).toEqual({ ...made, carried: '3' });
  });
});

it('a refusal after concurrent orders took the buying power cites what is reserved now', () => {
  expect(
    reservedBuyingPowerRefusal({
      buyingPower: '102000',
      orderCents: 2_000_000,
      reservedCents: 9_000_000,
      unclaimed: '1500.5',
    }),
  ).toEqual({
    rule: 'buying_power',
    limit: '102000',
    message:
      'buying_power: order notional 20000 plus open buy orders 91500.5 exceeds the buying power 102000',
    // Alpaca's own answer, lifted to the 403's top level (core alpaca-refusals.ts).
    alpaca: { message: 'insufficient buying power', fields: { buying_power: '102000', cost_basis: '20000' } },
  });
  expect(centsAsDollars(12_345)).toBe('123.45');
});

describe('the price an order is valued at before it trades (its claim, its notional limits)', () => {
  const N = 1_000_000_000n;
  // biome-ignore format: a table
  const rows: [string, bigint | null, bigint | null, string, bigint | null, bigint | null][] = [
    ['a limit order: its limit',                                    95n * N, null,     'buy',  100n * N, 95n * N],
    ['a stop-limit buy: its limit',                                 125n * N, 120n * N, 'buy',  100n * N, 125n * N],
    ['a buy stop above the market: its stop (it trades at or above it)', null, 120n * N, 'buy', 100n * N, 120n * N],
    ['a buy stop below the market (already through): the market',  null,     90n * N,  'buy',  100n * N, 100n * N],
    ['a buy stop with no quote: its stop',                         null,     120n * N, 'buy',  null,     120n * N],
    ['a sell stop: the market',                                    null,     90n * N,  'sell', 100n * N, 100n * N],
    ['a market order: the market',                                null,     null,     'buy',  100n * N, 100n * N],
  ];
  it.each(rows)('%s', (_, limit, stop, side, reference, price) => {
    expect(valuationPriceOf(limit, stop, side, reference)).toBe(price);
  });

  // A trailing buy stop triggers at its low plus the trail: at most the reference plus the trail.
  // biome-ignore format: a table
  const trailing: [string, Parameters<typeof orderNotionalOf>[0], string | null, string | null][] = [
    ["a probe's trailing buy of 90, trail $50, market 100: 90 x 150 (it filled at 151 valued at 100)", { side: 'buy', qty: '90', notional: null, limitPrice: null, trailPrice: '50', trailPercent: null }, '100', '13500'],
    ['a trailing buy, trail 5%, market 100: 10 x 105',       { side: 'buy', qty: '10', notional: null, limitPrice: null, trailPrice: null, trailPercent: '5' }, '100', '1050'],
    ['a trailing buy, trail 0.1%, market 33.33: rounded up', { side: 'buy', qty: '1', notional: null, limitPrice: null, trailPrice: null, trailPercent: '0.1' }, '33.33', '33.36333'],
    ['a trailing sell: the market',                          { side: 'sell', qty: '10', notional: null, limitPrice: null, trailPrice: '5', trailPercent: null }, '100', '1000'],
    ['a trailing buy with no quote: no price',               { side: 'buy', qty: '10', notional: null, limitPrice: null, trailPrice: '5', trailPercent: null }, null, null],
  ];
  it.each(trailing)('%s', (_, order, reference, notional) => {
    const v = orderNotionalOf(order, reference);
    expect(v === null ? null : formatValue18(v)).toBe(notional);
  });

  it("a probe's buy stop: 99 shares stopping at 120 with the market at 100 claim 11,880, not 9,900", () => {
    const notional = orderNotionalOf(
      { side: 'buy', qty: '99', notional: null, limitPrice: null, stopPrice: '120' },
      '100',
    );
    expect(
      buyingPowerClaimOf({
        qty: '99',
        notional,
        buyingPower: '10000',
        algorithmic: false,
      })?.cents,
    ).toBe(1_188_000);
  });
});
