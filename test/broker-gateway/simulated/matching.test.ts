import fc from 'fast-check';
import { advanceQuote, type Quote, seedQuote } from '../../../lambdas/broker-gateway/simulated/market.js';
import { type BookOrder, type Execution, match } from '../../../lambdas/broker-gateway/simulated/matching.js';
import { formatNanos, multiply, type Nanos, nanos, ONE, toValue18 } from '../../../lambdas/core/index.js';

const n = nanos;
const quote = (bid: string, ask: string, last: string, bidSize = '100', askSize = '100'): Quote => ({
  symbol: 'ACME',
  bid: n(bid),
  ask: n(ask),
  last: n(last),
  bidSize: n(bidSize),
  askSize: n(askSize),
  updatedAt: '2026-11-23T14:30:00.000Z',
});

const order = (o: Partial<BookOrder> = {}): BookOrder => ({
  orderId: 'o-1',
  symbol: 'ACME',
  side: 'buy',
  type: 'market',
  timeInForce: 'day',
  qty: n('10'),
  notional: null,
  limitPrice: null,
  stopPrice: null,
  trailPrice: null,
  trailPercent: null,
  filledQty: 0n,
  filledValue: 0n,
  triggered: false,
  watermark: null,
  status: 'open',
  ...o,
});

const show = (e: Execution): string => {
  if (e.kind === 'fill') return `fill ${formatNanos(e.qty)}@${formatNanos(e.px)}`;
  if (e.kind === 'triggered') return `triggered@${formatNanos(e.triggerPrice)}`;
  return `canceled ${e.reason}`;
};

describe('match: what executes now', () => {
  const q = quote('9.99', '10.01', '10', '300', '200');
  test.each<[string, Partial<BookOrder>, Quote, string[], string]>([
    ['market buy takes the ask', {}, q, ['fill 10@10.01'], 'filled'],
    ['market sell takes the bid', { side: 'sell' }, q, ['fill 10@9.99'], 'filled'],
    ['large market buy fills the displayed size only', { qty: n('500') }, q, ['fill 200@10.01'], 'open'],
    ['large market sell: bid size', { side: 'sell', qty: n('500') }, q, ['fill 300@9.99'], 'open'],
    [
      'rest of a partially filled order',
      { qty: n('500'), filledQty: n('450') },
      q,
      ['fill 50@10.01'],
      'filled',
    ],
    [
      'marketable buy limit fills at the ask (better)',
      { type: 'limit', limitPrice: n('10.05') },
      q,
      ['fill 10@10.01'],
      'filled',
    ],
    ['buy limit at the ask fills', { type: 'limit', limitPrice: n('10.01') }, q, ['fill 10@10.01'], 'filled'],
    ['buy limit below the ask rests', { type: 'limit', limitPrice: n('10') }, q, [], 'open'],
    ['sell limit above the bid rests', { side: 'sell', type: 'limit', limitPrice: n('10') }, q, [], 'open'],
    [
      'sell limit at or below the bid fills',
      { side: 'sell', type: 'limit', limitPrice: n('9.9') },
      q,
      ['fill 10@9.99'],
      'filled',
    ],
    [
      'buy stop below last triggers, then market',
      { type: 'stop', stopPrice: n('10') },
      q,
      ['triggered@10', 'fill 10@10.01'],
      'filled',
    ],
    ['buy stop above last waits', { type: 'stop', stopPrice: n('10.5') }, q, [], 'open'],
    [
      'sell stop triggers when last falls to it',
      { side: 'sell', type: 'stop', stopPrice: n('10') },
      q,
      ['triggered@10', 'fill 10@9.99'],
      'filled',
    ],
    [
      'sell stop above... waits while last is above',
      { side: 'sell', type: 'stop', stopPrice: n('9.5') },
      q,
      [],
      'open',
    ],
    [
      'stop-limit triggers and rests when not marketable',
      { type: 'stop_limit', stopPrice: n('10'), limitPrice: n('10') },
      q,
      ['triggered@10'],
      'open',
    ],
    [
      'triggered stop-limit fills when marketable',
      { type: 'stop_limit', stopPrice: n('10'), limitPrice: n('10.01'), triggered: true },
      q,
      ['fill 10@10.01'],
      'filled',
    ],
    [
      'IOC fills the displayed size and cancels the rest',
      { qty: n('500'), timeInForce: 'ioc' },
      q,
      ['fill 200@10.01', 'canceled ioc_remainder'],
      'canceled',
    ],
    [
      'IOC limit not marketable is canceled',
      { type: 'limit', limitPrice: n('9'), timeInForce: 'ioc' },
      q,
      ['canceled ioc_remainder'],
      'canceled',
    ],
    [
      'FOK larger than displayed is canceled unfilled',
      { qty: n('500'), timeInForce: 'fok' },
      q,
      ['canceled fok_unfillable'],
      'canceled',
    ],
    ['OPG market order rests until its auction', { timeInForce: 'opg' }, q, [], 'open'],
    [
      'CLS marketable limit rests until its auction',
      { type: 'limit', limitPrice: n('10.05'), timeInForce: 'cls' },
      q,
      [],
      'open',
    ],
    [
      'FOK within displayed fills whole',
      { qty: n('200'), timeInForce: 'fok' },
      q,
      ['fill 200@10.01'],
      'filled',
    ],
    [
      'notional buy: qty = notional / ask at 9 dp',
      { qty: null, notional: n('100') },
      q,
      ['fill 9.990009990@10.01'],
      'filled',
    ],
    [
      'notional sell at the bid',
      { side: 'sell', qty: null, notional: n('50') },
      q,
      ['fill 5.005005005@9.99'],
      'filled',
    ],
    ['closed orders do nothing', { status: 'canceled' }, q, [], 'canceled'],
  ])('%s', (_name, o, qq, executions, status) => {
    const r = match(order(o), qq);
    expect(r.executions.map(show)).toEqual(executions.map((e) => e.replace('9.990009990', '9.99000999')));
    expect(r.order.status).toBe(status);
  });

  test('trailing stop: trails the high, triggers on the pullback', () => {
    let o = order({ side: 'sell', type: 'trailing_stop', trailPrice: n('0.5') });
    for (const last of ['10', '10.4', '10.8', '10.5']) {
      const r = match(o, quote('9.98', '10.02', last));
      expect(r.executions).toEqual([]);
      o = r.order;
    }
    expect(o.watermark).toBe(n('10.8'));
    const r = match(o, quote('10.28', '10.32', '10.3'));
    expect(r.executions.map(show)).toEqual(['triggered@10.3', 'fill 10@10.28']);
  });

  test('trailing stop by percent (buy trails the low)', () => {
    const o = order({ type: 'trailing_stop', trailPercent: n('10'), watermark: n('10') });
    expect(match(o, quote('10.9', '10.99', '10.99')).executions).toEqual([]);
    expect(match(o, quote('10.99', '11.01', '11')).executions.map(show)).toEqual([
      'triggered@11',
      'fill 10@11.01',
    ]);
  });

  test('a fill consumes displayed size for the next order', () => {
    const r = match(order({ qty: n('150') }), quote('9.99', '10.01', '10', '300', '200'));
    expect(r.quote.askSize).toBe(n('50'));
    expect(match(order({ qty: n('150') }), r.quote).executions.map(show)).toEqual(['fill 50@10.01']);
  });
});

describe('match properties', () => {
  const cents = (lo: number, hi: number) =>
    fc.integer({ min: lo, max: hi }).map((c) => BigInt(c) * 10_000_000n);
  const arbQuote = fc
    .tuple(
      cents(100, 50_000),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 2 }),
      fc.integer({ min: 1, max: 1000 }),
      fc.integer({ min: 1, max: 1000 }),
    )
    .map(([bid, spread, lastPick, bs, as]): Quote => {
      const ask = bid + BigInt(spread) * 10_000_000n;
      return {
        symbol: 'ACME',
        bid,
        ask,
        last: lastPick === 0 ? bid : lastPick === 1 ? ask : (bid + ask) / 2n,
        bidSize: BigInt(bs) * ONE,
        askSize: BigInt(as) * ONE,
        updatedAt: 't',
      };
    });
  const arbOrder = fc
    .record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      type: fc.constantFrom('market' as const, 'limit' as const, 'stop' as const, 'stop_limit' as const),
      timeInForce: fc.constantFrom('day' as const, 'gtc' as const, 'ioc' as const, 'fok' as const),
      qty: fc.bigInt({ min: 1n, max: 2000n * ONE }),
      limitPrice: cents(100, 50_000),
      stopPrice: cents(100, 50_000),
      notional: fc.option(cents(100, 10_000_000), { nil: null }),
    })
    .map(({ side, type, timeInForce, qty, limitPrice, stopPrice, notional }) => {
      const t = notional === null ? type : 'market';
      return order({
        side,
        type: t,
        timeInForce: notional === null ? timeInForce : 'day',
        qty: notional === null ? qty : null,
        notional,
        limitPrice: t === 'limit' || t === 'stop_limit' ? limitPrice : null,
        stopPrice: t === 'stop' || t === 'stop_limit' ? stopPrice : null,
      });
    });

  /** Runs the order over a sequence of quotes, collecting every execution. */
  function run(o: BookOrder, quotes: readonly Quote[]): { order: BookOrder; executions: Execution[] } {
    const executions: Execution[] = [];
    let cur = o;
    for (const q of quotes) {
      const r = match(cur, q);
      executions.push(...r.executions);
      cur = r.order;
    }
    return { order: cur, executions };
  }
  const fills = (es: readonly Execution[]) => es.flatMap((e) => (e.kind === 'fill' ? [e] : []));

  test('never overfills, never fills a limit at a worse price, books exactly what it reports', () => {
    fc.assert(
      fc.property(arbOrder, fc.array(arbQuote, { minLength: 1, maxLength: 8 }), (o, quotes) => {
        const r = run(o, quotes);
        const fs = fills(r.executions);
        const qty = fs.reduce((a, f) => a + f.qty, 0n);
        const value = fs.reduce((a, f) => a + multiply(f.qty, f.px), 0n);
        expect(qty).toBe(r.order.filledQty);
        expect(value).toBe(r.order.filledValue);
        for (const f of fs) expect(f.qty > 0n).toBe(true);
        if (o.qty !== null) expect(qty <= o.qty).toBe(true);
        else expect(value <= toValue18(o.notional as Nanos)).toBe(true);
        if (o.limitPrice !== null) {
          for (const f of fs)
            expect(o.side === 'buy' ? f.px <= o.limitPrice : f.px >= o.limitPrice).toBe(true);
        }
        // Nothing executes after the order left the book.
        const closedAt = r.executions.findIndex((e) => e.kind === 'canceled');
        if (closedAt >= 0) expect(closedAt).toBe(r.executions.length - 1);
      }),
      { numRuns: 300 },
    );
  });

  test('IOC leaves nothing resting; FOK is all or nothing', () => {
    fc.assert(
      fc.property(arbOrder, arbQuote, (o, q) => {
        fc.pre(o.timeInForce === 'ioc' || o.timeInForce === 'fok');
        const r = match(o, q);
        expect(r.order.status).not.toBe('open');
        if (o.timeInForce === 'fok') {
          const filled = fills(r.executions).reduce((a, f) => a + f.qty, 0n);
          expect(filled === 0n || filled === o.qty).toBe(true);
          expect(r.order.status).toBe(filled === 0n ? 'canceled' : 'filled');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a stop executes only after it has triggered', () => {
    fc.assert(
      fc.property(arbOrder, fc.array(arbQuote, { minLength: 1, maxLength: 5 }), (o, quotes) => {
        fc.pre(o.type === 'stop' || o.type === 'stop_limit');
        const es = run(o, quotes).executions;
        const firstFill = es.findIndex((e) => e.kind === 'fill');
        if (firstFill >= 0) expect(es.slice(0, firstFill).some((e) => e.kind === 'triggered')).toBe(true);
        expect(es.filter((e) => e.kind === 'triggered').length).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('market', () => {
  test('seeded and deterministic: same inputs, same quotes; prices on tick, bid < ask', () => {
    const a = seedQuote('ACME', 0);
    expect(seedQuote('ACME', 0)).toEqual(a);
    let q = a;
    for (let t = 1; t <= 200; t++) {
      const next = advanceQuote(q, t * 60_000);
      expect(advanceQuote(q, t * 60_000)).toEqual(next);
      expect(next.bid < next.ask).toBe(true);
      expect(next.bid > 0n).toBe(true);
      expect([next.bid, next.ask]).toContain(next.last);
      for (const p of [next.bid, next.ask]) expect(p % (p >= ONE ? 10_000_000n : 100_000n)).toBe(0n);
      q = next;
    }
    expect(q.bid).not.toBe(a.bid);
  });
});
