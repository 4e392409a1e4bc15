/**
 * The shares an open order holds of a position (core held-shares.ts): a notional order is counted
 * at the price it trades at (a sell at the lower of the reference and the bid, a buy at the higher
 * of the reference and the ask), rounded up; a probe's notional sells, counted as holding nothing
 * and valued at the last trade, left an account that may not sell short, short.
 */
import fc from 'fast-check';
import { nanos, notionalSharePrice, notionalShares, sharesStillHeld } from '../../lambdas/core/index.js';

const n = (text: string) => nanos(text);

describe('notionalSharePrice: the price a notional order trades at', () => {
  // biome-ignore format: a table
  test.each([
    // why, side, reference, bid, ask, price
    ['a sell fills at the bid, below the last trade', 'sell', '100', '99.99', '100.01', '99.99'],
    ['a sell: a bid above the last trade (stale last) counts the last', 'sell', '100', '100.5', '101', '100'],
    ['a buy fills at the ask, above the last trade', 'buy', '100', '99.99', '100.01', '100.01'],
    ['a buy: an ask below the last trade counts the last', 'buy', '100', '98', '99', '100'],
    ['no quote: the reference', 'sell', '100', null, null, '100'],
    ['no reference: the bid', 'sell', null, '95', '105', '95'],
    ['nothing known', 'sell', null, null, null, null],
    ['a zero bid is not a price', 'sell', '100', '0', '105', '100'],
  ] as const)('%s', (_why, side, reference, bid, ask, price) => {
    const d = (t: string | null) => (t === null ? null : n(t));
    expect(notionalSharePrice(side, d(reference), d(bid), d(ask))).toBe(d(price));
  });
});

describe('sharesStillHeld', () => {
  // biome-ignore format: a table
  test.each([
    // why, qty, notional, filled qty, avg price, price, held
    ['a qty order: its leaves', '100', null, '30', '10', '9', '70'],
    ['a qty order filled past its qty (never negative)', '10', null, '12', '10', '9', '0'],
    ['a notional sell of $6,000 at a bid of 99.99: 60.006000601 shares (rounded up)', null, '6000', '0', null, '99.99', '60.006000601'],
    ['a notional order partly filled: what is left of its dollars', null, '1000', '5', '100', '100', '5'],
    ['a notional order whose fills spent it all', null, '1000', '10', '100', '100', '0'],
    ['a notional order without a price: unknown', null, '1000', '0', null, null, null],
  ] as const)('%s', (_why, qty, notional, filledQty, avg, price, held) => {
    const d = (t: string | null) => (t === null ? null : n(t));
    expect(
      sharesStillHeld(
        { qty: d(qty), notional: d(notional), filledQty: n(filledQty), filledAvgPrice: d(avg) },
        d(price),
      ),
    ).toBe(d(held));
  });

  test('property: the shares held, at their price, cover what is left of the notional (never less)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 15n }),
        fc.bigInt({ min: 1n, max: 10n ** 13n }),
        (notional, price) => {
          const shares = notionalShares(notional, price);
          // shares x price (scale 18) >= notional (scale 18), and one nano less would not be.
          expect(shares * price).toBeGreaterThanOrEqual(notional * 10n ** 9n);
          expect((shares - 1n) * price).toBeLessThan(notional * 10n ** 9n);
        },
      ),
    );
  });
});
