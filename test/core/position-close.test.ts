/**
 * Closing a position (issue 13, core position-close.ts): a close may not exceed the position's
 * qty_available, as Alpaca refuses "insufficient qty available for order (requested: N,
 * available: M)"; what holds the position is the union, by order id, of the position's closing
 * claims (their views read consistently, or the placed qty before the read model has them) and the
 * open listing's orders on the closing side.
 */
import fc from 'fast-check';
import {
  CLOSING_CLAIM_UNSEEN_MS,
  type ClosingClaim,
  checkPreTradeRisk,
  closeAvailability,
  DEFAULT_RISK_LIMITS,
  type HoldingOrder,
  heldTogether,
  holdingRelationOf,
  insufficientQtyMessage,
  max,
  nanos,
  noShortSaleRefusal,
  percentageCloseQty,
  sellSharesOf,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const N = 1_000_000_000n;
const NOW = Date.parse('2026-12-04T15:00:00.000Z');

const claim = (orderId: string, qty: bigint, side: 'buy' | 'sell' = 'sell', placedAt = NOW - 1000) =>
  ({ orderId, side, qty: qty * N, placedAt }) satisfies ClosingClaim;
const order = (orderId: string, leaves: bigint, side: 'buy' | 'sell' = 'sell', open = true) =>
  ({ orderId, side, leaves: leaves * N, open }) satisfies HoldingOrder;

describe('closeAvailability', () => {
  // biome-ignore format: a table
  test.each([
    // what, position, claims, claimed views, open listing, available, claims kept
    ['nothing holds a long: all of it', 10n, [], [], [], 10n, []],
    ['nothing holds a short: all of it, bought', -10n, [], [], [], 10n, []],
    ['a close the read model has not shown yet holds its qty', 10n, [claim('c1', 10n)], [['c1', null]], [], 0n, ['c1']],
    ['a claimed close that is open holds its leaves (6 of 10 filled)', 4n, [claim('c1', 10n)], [['c1', order('c1', 4n)]], [], 0n, ['c1']],
    ['a claimed close that is closed holds nothing and is dropped', 10n, [claim('c1', 10n)], [['c1', order('c1', 0n, 'sell', false)]], [], 10n, []],
    ['a canceled close with leaves holds nothing', 10n, [claim('c1', 10n)], [['c1', order('c1', 6n, 'sell', false)]], [], 10n, []],
    ['a claimed close also in the listing counts once (its consistent view)', 10n, [claim('c1', 10n)], [['c1', order('c1', 3n)]], [order('c1', 10n)], 7n, ['c1']],
    ['an open sell of the listing (a stop-loss) holds its leaves', 10n, [], [], [order('s1', 10n)], 0n, []],
    ['open buys do not hold a long', 10n, [], [], [order('b1', 10n, 'buy')], 10n, []],
    ['open sells do not hold a short', -10n, [], [], [order('s1', 10n)], 10n, []],
    ['open buys hold a short', -10n, [], [], [order('b1', 4n, 'buy')], 6n, []],
    ['a claim of the other side (the position flipped) holds nothing, kept while open', -5n, [claim('c1', 10n)], [['c1', null]], [], 5n, ['c1']],
    ['held past the position: none available', 10n, [claim('c1', 6n)], [['c1', null]], [order('s1', 6n)], 0n, ['c1']],
    ['a claim never seen for a day is dropped', 10n, [claim('c1', 10n, 'sell', NOW - CLOSING_CLAIM_UNSEEN_MS - 1)], [['c1', null]], [], 10n, []],
    ['a claim not seen for less than a day holds', 10n, [claim('c1', 10n, 'sell', NOW - CLOSING_CLAIM_UNSEEN_MS)], [['c1', null]], [], 0n, ['c1']],
  ] as const)('%s', (_what, position, claims, views, open, available, kept) => {
    const r = closeAvailability({
      position: position * N,
      claims,
      claimedViews: new Map(views as readonly (readonly [string, HoldingOrder | null])[]),
      openOrders: open,
      now: NOW,
    });
    expect(r.available).toBe(available * N);
    expect(r.claims.map((c) => c.orderId)).toEqual(kept);
  });

  test('closes placed one after another before the read model shows any never sum past the position', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -1000n, max: 1000n }),
        fc.array(fc.option(fc.bigInt({ min: 1n, max: 1000n }), { nil: undefined }), { maxLength: 12 }),
        (position, requests) => {
          let claims: ClosingClaim[] = [];
          let closed = 0n;
          requests.forEach((q, i) => {
            const r = closeAvailability({
              position: position * N,
              claims,
              claimedViews: new Map(claims.map((c) => [c.orderId, null])),
              openOrders: [],
              now: NOW,
            });
            const requested = q === undefined ? r.size : q * N; // no qty: the whole position
            if (requested === 0n || requested > r.available) return;
            closed += requested;
            claims = [...r.claims, { orderId: `c${i}`, side: r.side, qty: requested, placedAt: NOW }];
          });
          const size = position < 0n ? -position : position;
          expect(closed).toBeLessThanOrEqual(size * N);
        },
      ),
    );
  });

  test("the refusal reads as Alpaca's", () => {
    expect(insufficientQtyMessage(nanos('10'), 0n)).toBe(
      'insufficient qty available for order (requested: 10, available: 0)',
    );
    expect(insufficientQtyMessage(nanos('2.5'), nanos('0.5'))).toBe(
      'insufficient qty available for order (requested: 2.5, available: 0.5)',
    );
  });
});

/**
 * Every sell of an account that may not sell short is placed under its position's closing claims
 * (lambdas/orders/position-availability.ts): a notional order holds what is left of its notional
 * at the price it trades at (core held-shares.ts), or, unsized for want of a price, its claim's qty
 * (else the whole position); a PATCH's replacement claims its new leaves naming the order it
 * replaces, and the pair holds the larger of the two while the venue works the replace (either may
 * execute, not both: core order.ts `exposureTermsOf`); a replace checks its new leaves against
 * what the other orders leave (`exclude`).
 */
describe("closeAvailability: notional orders, replacements, a replace's own order", () => {
  const unsized = (orderId: string) => ({ orderId, side: 'sell' as const, leaves: null, open: true });
  const replacement = (orderId: string, qty: bigint, supersedes: string) => ({
    ...claim(orderId, qty),
    supersedes,
  });
  // biome-ignore format: a table
  test.each([
    // what, position, claims, claimed views, open listing, exclude, available
    ['an unsized notional order claimed holds its claim\'s qty', 100n, [claim('n1', 61n)], [['n1', unsized('n1')]], [], [], 39n],
    ['an unsized notional order of the listing holds the whole position', 100n, [], [], [unsized('n1')], [], 0n],
    ['a pending replacement and its order: the larger (the replacement)', 100n, [claim('o1', 50n), replacement('r1', 100n, 'o1')], [['o1', order('o1', 50n)], ['r1', null]], [], [], 0n],
    ['a pending replacement and its order: the larger (the order, lowered)', 100n, [claim('o1', 50n), replacement('r1', 20n, 'o1')], [['o1', order('o1', 50n)], ['r1', null]], [], [], 50n],
    ['a replacement of an unclaimed listed order: the larger of the two', 100n, [replacement('r1', 70n, 'o1')], [['r1', null]], [order('o1', 50n)], [], 30n],
    ['the replaced order closed: the replacement alone', 100n, [claim('o1', 50n), replacement('r1', 70n, 'o1')], [['o1', order('o1', 0n, 'sell', false)], ['r1', order('r1', 70n)]], [], [], 30n],
    ['a replace\'s own order is not counted against it (its claim kept)', 100n, [claim('o1', 50n), claim('c1', 30n)], [['o1', order('o1', 50n)], ['c1', null]], [order('o1', 50n)], ['o1'], 70n],
    ['a listed order repeated (listing and recent placements) counts once', 100n, [], [], [order('s1', 30n), order('s1', 30n)], [], 70n],
  ] as const)('%s', (_what, position, claims, views, open, exclude, available) => {
    const r = closeAvailability({
      position: position * N,
      claims,
      claimedViews: new Map(views as readonly (readonly [string, HoldingOrder | null])[]),
      openOrders: open as readonly HoldingOrder[],
      now: NOW,
      exclude: new Set(exclude),
    });
    expect(r.available).toBe(available * N);
  });
});

/**
 * Each share held once (core `heldTogether`, `holdingRelationOf`): an algorithmic child works part
 * of its parent's leaves, so under an open parent it adds nothing; the exits of a bracket, OCO or
 * OTO are alternatives (one executes, the others are canceled), so a group holds what its largest
 * exit holds. Until issue 12 both exits of an OCO counted: long 200 with an OCO of 100, none of the
 * other 100 could be sold (a no-short account) and qty_available read 0 (Alpaca: 100).
 */
describe('closeAvailability: each share held once (algorithmic children, exit groups)', () => {
  const leg = (orderId: string, leaves: bigint, group: string) => ({
    ...order(orderId, leaves),
    relation: { exitGroup: group },
  });
  const child = (orderId: string, leaves: bigint, parent: string) => ({
    ...order(orderId, leaves),
    relation: { parentOrderId: parent },
  });
  // biome-ignore format: a table
  test.each([
    // what, position, claims, claimed views, open listing, available
    ['an OCO of 100 on a long of 200: its exits hold 100 once', 200n, [], [], [leg('tp', 100n, 'tp'), leg('sl', 100n, 'tp')], 100n],
    ['an OCO whose take-profit filled 40 (not resized yet): the larger exit, 100', 200n, [], [], [leg('tp', 60n, 'tp'), leg('sl', 100n, 'tp')], 100n],
    ['two brackets: each group once', 300n, [], [], [leg('a-tp', 100n, 'a'), leg('a-sl', 100n, 'a'), leg('b-tp', 50n, 'b'), leg('b-sl', 50n, 'b')], 150n],
    ['an exit group and a plain sell add up', 200n, [], [], [leg('tp', 100n, 'tp'), leg('sl', 100n, 'tp'), order('s1', 30n)], 70n],
    ['claimed exits (no-short account) count once too', 200n, [claim('tp', 100n), claim('sl', 100n)], [['tp', leg('tp', 100n, 'tp')], ['sl', leg('sl', 100n, 'tp')]], [], 100n],
    ['an algorithmic parent and its children: the parent\'s leaves', 200n, [], [], [order('p', 120n), child('c1', 20n, 'p'), child('c2', 20n, 'p')], 80n],
    ['children whose parent is not listed: each counts', 200n, [], [], [child('c1', 20n, 'p'), child('c2', 20n, 'p')], 160n],
  ] as const)('%s', (_what, position, claims, views, open, available) => {
    const r = closeAvailability({
      position: position * N,
      claims,
      claimedViews: new Map(views as readonly (readonly [string, HoldingOrder | null])[]),
      openOrders: open as readonly HoldingOrder[],
      now: NOW,
    });
    expect(r.available).toBe(available * N);
  });

  test('relations only ever lower what is held, never below the largest single holding', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            leaves: fc.bigInt({ min: 0n, max: 1000n }),
            group: fc.option(fc.constantFrom('g1', 'g2'), { nil: undefined }),
            parent: fc.option(fc.constantFrom('o0', 'o1', 'nobody'), { nil: undefined }),
          }),
          { maxLength: 8 },
        ),
        (orders) => {
          const holdings = new Map<string, bigint>(orders.map((o, i) => [`o${i}`, o.leaves]));
          const relations = new Map(
            orders.map(
              (o, i) =>
                [
                  `o${i}`,
                  o.parent !== undefined && o.parent !== `o${i}`
                    ? { parentOrderId: o.parent }
                    : o.group === undefined
                      ? {}
                      : { exitGroup: o.group },
                ] as const,
            ),
          );
          const held = heldTogether(holdings, relations);
          const sum = orders.reduce((a, o) => a + o.leaves, 0n);
          const largest = orders.reduce((a, o) => max(a, o.leaves), 0n);
          expect(held).toBeLessThanOrEqual(sum);
          expect(held).toBeGreaterThanOrEqual(
            orders.every((o, i) => o.parent === undefined || o.parent === `o${i}` || !holdings.has(o.parent))
              ? largest
              : 0n,
          );
        },
      ),
    );
  });

  test.each([
    [{ contingencyRole: 'take_profit', groupId: 'g' }, { exitGroup: 'g' }],
    [{ contingencyRole: 'stop_loss', groupId: 'g' }, { exitGroup: 'g' }],
    [{ contingencyRole: 'algo_child', parentOrderId: 'p' }, { parentOrderId: 'p' }],
    [{ contingencyRole: 'entry', groupId: 'g' }, undefined],
    [{ contingencyRole: 'algo_parent' }, undefined],
    [{}, undefined],
  ])('holdingRelationOf(%j) is %j', (view, relation) => {
    expect(holdingRelationOf(view)).toEqual(relation);
  });
});

describe('sellSharesOf: the shares a sell takes', () => {
  // biome-ignore format: a table
  test.each([
    // what, qty, notional, price, shares
    ['a qty sell: its qty', '40', null, null, '40'],
    ['a notional sell at the price (rounded up to the nano)', null, '4000', '99.99', '40.004000401'],
    ['a notional sell of a round amount', null, '6000', '100', '60'],
    ['a notional sell without a price: unsized', null, '6000', null, null],
  ] as const)('%s', (_what, qty, notional, price, shares) => {
    const out = sellSharesOf(
      { qty: qty === null ? null : nanos(qty), notional: notional === null ? null : nanos(notional) },
      price === null ? null : nanos(price),
    );
    expect(out).toBe(shares === null ? null : nanos(shares));
  });
});

test("noShortSaleRefusal reads as the short_sale rule's refusal (core risk.ts)", () => {
  const v = validateOrderRequest(
    { symbol: 'aapl', qty: '10', side: 'sell', type: 'market', time_in_force: 'day' },
    { now: NOW },
  );
  if (!v.ok) throw new Error('invalid');
  const rule = checkPreTradeRisk(v.order, DEFAULT_RISK_LIMITS, {
    now: NOW,
    referencePrice: '100',
    asset: null,
    buyingPower: null,
    openBuyExposure: '0',
    recentOrders: [],
    accountProblem: null,
    positionQty: '12',
    heldForSale: '5',
    account: { shortingEnabled: false, tradingBlocked: false },
  }).find((r) => r.rule === 'short_sale');
  expect(
    noShortSaleRefusal('aapl', nanos('10'), nanos('12'), { held: nanos('5'), available: nanos('7') }),
  ).toEqual(rule);
});

/**
 * A close by percentage (core `percentageCloseQty`). Alpaca: it "would only sell fractional if
 * position is originally fractional" (a probe's 50% of 3 shares left 1.5; of a short 5, a short 2.5).
 */
describe('percentageCloseQty: never more than the position; whole shares for a position in whole shares', () => {
  const N = 1_000_000_000n;
  it('holds for any position and percentage', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10_000_000n * N }),
        fc.bigInt({ min: 1n, max: 100n * N }),
        (size, pct) => {
          const qty = percentageCloseQty(size, pct);
          const exact = (size * pct) / (100n * N);
          if (qty === null) return exact < (size % N === 0n ? N : 1n);
          return (
            qty > 0n &&
            qty <= size &&
            (pct === 100n * N ? qty === size : qty <= exact) &&
            (size % N !== 0n || qty % N === 0n) &&
            (size % N !== 0n || pct === 100n * N || exact - qty < N)
          );
        },
      ),
    );
  });
});
