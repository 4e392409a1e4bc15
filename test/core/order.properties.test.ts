/**
 * Properties of the order aggregate over random command sequences (fast-check). A sequence runs
 * against one order chain: when a replace is confirmed, the replacement is opened and the rest
 * of the sequence acts on it, as the wiring does.
 */
import fc from 'fast-check';
import {
  avgPriceOf,
  canceledQtyOf,
  decide,
  evolve,
  execute,
  formatNanos,
  isTerminal,
  leavesNotionalOf,
  leavesQtyOf,
  nanos,
  type OrderCommand,
  type OrderEvent,
  type OrderSpec,
  type OrderState,
  openReplacement,
  type ReplaceChanges,
  replay,
  statusOf,
  toValue18,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');

const requests: Record<string, unknown>[] = [
  { symbol: 'ACME', qty: '100', side: 'buy', type: 'limit', time_in_force: 'day', limit_price: '10' },
  { symbol: 'ACME', qty: '100', side: 'sell', type: 'limit', time_in_force: 'gtc', limit_price: '10.5' },
  { symbol: 'ACME', qty: '2.5', side: 'buy', type: 'market', time_in_force: 'day' },
  { symbol: 'ACME', qty: '50', side: 'sell', type: 'stop', time_in_force: 'gtc', stop_price: '9' },
  {
    symbol: 'ACME',
    qty: '50',
    side: 'buy',
    type: 'stop_limit',
    time_in_force: 'day',
    stop_price: '11',
    limit_price: '11.1',
  },
  {
    symbol: 'ACME',
    qty: '80',
    side: 'sell',
    type: 'trailing_stop',
    time_in_force: 'gtc',
    trail_percent: '2.5',
  },
  { symbol: 'ACME', notional: '1000', side: 'buy', type: 'market', time_in_force: 'day' },
];
const specs: OrderSpec[] = requests.map((r) => {
  const v = validateOrderRequest(r, { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
});

const qtyArb = fc.constantFrom('0.5', '1', '10', '25', '33.333333333', '50', '100', '150', '0');
const pxArb = fc.constantFrom('9.99', '10', '10.01', '10.000000001', '0.5');
const reasonArb = fc.constantFrom('r1', 'r2');

/** Commands on the current order; replacement ids are drawn from a small pool so some repeat. */
const commandArb: fc.Arbitrary<OrderCommand> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<OrderCommand>({ type: 'accept', venueOrderId: 'v' }) },
  { weight: 1, arbitrary: reasonArb.map<OrderCommand>((reason) => ({ type: 'reject', reason })) },
  { weight: 1, arbitrary: pxArb.map<OrderCommand>((triggerPrice) => ({ type: 'trigger', triggerPrice })) },
  {
    weight: 8,
    arbitrary: fc
      .record({
        execId: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8'),
        lastQty: qtyArb,
        lastPx: pxArb,
      })
      .map<OrderCommand>((f) => ({ type: 'fill', ...f })),
  },
  { weight: 2, arbitrary: fc.constant<OrderCommand>({ type: 'requestCancel', requestedBy: 'client' }) },
  { weight: 2, arbitrary: fc.constant<OrderCommand>({ type: 'acknowledgeCancel' }) },
  { weight: 2, arbitrary: reasonArb.map<OrderCommand>((reason) => ({ type: 'confirmCancel', reason })) },
  { weight: 2, arbitrary: reasonArb.map<OrderCommand>((reason) => ({ type: 'rejectCancel', reason })) },
  {
    weight: 3,
    arbitrary: fc
      .record(
        {
          qty: qtyArb,
          limitPrice: fc.constantFrom('9.5', '10.25', '10.001'),
          timeInForce: fc.constantFrom('day', 'gtc'),
        },
        { requiredKeys: [] },
      )
      .map<OrderCommand>((changes) => ({
        type: 'requestReplace',
        replacementOrderId: 'pending',
        requestedBy: 'client',
        changes: changes as ReplaceChanges,
      })),
  },
  { weight: 2, arbitrary: fc.constant<OrderCommand>({ type: 'acknowledgeReplace' }) },
  { weight: 2, arbitrary: fc.constant<OrderCommand>({ type: 'confirmReplace' }) },
  { weight: 2, arbitrary: reasonArb.map<OrderCommand>((reason) => ({ type: 'rejectReplace', reason })) },
  { weight: 1, arbitrary: fc.constant<OrderCommand>({ type: 'expire' }) },
  { weight: 1, arbitrary: fc.constant<OrderCommand>({ type: 'doneForDay' }) },
  {
    weight: 1,
    arbitrary: fc.boolean().map<OrderCommand>((reachedVenue) => ({
      type: 'recordException',
      stage: 's',
      error: 'E',
      cause: 'c',
      reachedVenue,
    })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ qty: fc.option(qtyArb, { nil: undefined }), reopen: fc.boolean() })
      .map<OrderCommand>((r) => ({ type: 'restate', reason: 'venue', ...r })),
  },
);

interface Chain {
  current: string;
  states: Map<string, OrderState>;
  events: Map<string, OrderEvent[]>;
  refusals: number;
}

/** Runs a sequence, checking the per-step properties; returns the chain for end-of-run checks. */
function runChain(spec: OrderSpec, commands: readonly OrderCommand[]): Chain {
  const chain: Chain = { current: 'o1', states: new Map(), events: new Map(), refusals: 0 };
  let now = T0;
  let replacements = 1;
  const first = execute(undefined, { type: 'submit', orderId: 'o1', accountId: 'a', order: spec }, now);
  chain.states.set('o1', first.state as OrderState);
  chain.events.set('o1', [...(first.decision.ok ? first.decision.events : [])]);

  for (const raw of commands) {
    now += 1000;
    const id = chain.current;
    const before = chain.states.get(id) as OrderState;
    const command: OrderCommand =
      raw.type === 'requestReplace' ? { ...raw, replacementOrderId: `o${replacements + 1}` } : raw;
    const decision = decide(before, command, now);
    const log = chain.events.get(id) as OrderEvent[];
    if (!decision.ok) {
      chain.refusals++;
      // A refusal changes nothing: execute hands back the very same state.
      expect(execute(before, command, now).state).toBe(before);
      continue;
    }
    // Events number on from the stream without gaps.
    decision.events.forEach((e, i) => {
      expect(e.seq).toBe(before.seq + 1 + i);
      expect(e.orderId).toBe(id);
    });
    const after = decision.events.reduce<OrderState>((s, e) => evolve(s, e), before);
    log.push(...decision.events);
    chain.states.set(id, after);
    checkInvariants(after);
    // Terminal is forever: no transition leaves it, and the quantities freeze.
    if (isTerminal(statusOf(before))) {
      expect(statusOf(after)).toBe(statusOf(before));
      expect(after.filledQty).toBe(before.filledQty);
    }
    if (after.phase === 'replaced' && after.replacedBy !== null) {
      replacements++;
      const opening = openReplacement(after, now);
      const next = opening.reduce<OrderState | undefined>(evolve, undefined) as OrderState;
      expect(next.filledQty).toBe(after.filledQty);
      expect(next.replaces).toBe(id);
      checkInvariants(next);
      chain.states.set(after.replacedBy, next);
      chain.events.set(after.replacedBy, [...opening]);
      chain.current = after.replacedBy;
    }
  }
  return chain;
}

function checkInvariants(s: OrderState): void {
  const status = statusOf(s);
  if (s.qty !== null) {
    const leaves = leavesQtyOf(s) as bigint;
    const canceled = canceledQtyOf(s) as bigint;
    expect(leaves >= 0n && canceled >= 0n).toBe(true);
    expect(s.filledQty + leaves + canceled).toBe(s.qty);
    // Nothing is taken off the market while the order can still trade: not closed, and not a day
    // order done for the day (whatever pending request its status shows, FIX precedence).
    const closed = ['canceled', 'expired', 'rejected', 'replaced'].includes(s.phase);
    const dayOver = s.phase === 'done_for_day' && s.spec.timeInForce === 'day';
    if (!closed && !dayOver) expect(s.filledQty + leaves).toBe(s.qty);
    if (status === 'filled') expect(s.filledQty).toBe(s.qty);
  } else {
    const leaves = leavesNotionalOf(s) as bigint;
    expect(leaves >= 0n).toBe(true);
    expect(s.filledValue <= toValue18(s.notional as bigint)).toBe(true);
  }
}

/** Every applied execution once: the filled qty is the sum of the fill events' lastQty. */
function appliedFills(events: readonly OrderEvent[]): { qty: bigint; ids: string[] } {
  let qty = 0n;
  const ids: string[] = [];
  for (const e of events) {
    if (e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled') {
      qty += nanos(e.data.lastQty);
      ids.push(e.data.execId);
    }
  }
  return { qty, ids };
}

/** The request/ack/confirm runs a venue session produces, so long chains and races are common. */
const replaceFlowArb = fc
  .tuple(
    commandArb.filter((c) => c.type === 'requestReplace'),
    fc.option(commandArb.filter((c) => c.type === 'fill')),
  )
  .map(([request, fill]) => [
    request,
    ...(fill ? [fill] : []),
    { type: 'acknowledgeReplace' },
    { type: 'confirmReplace' },
  ]);
const cancelFlowArb = fc
  .tuple(fc.option(commandArb.filter((c) => c.type === 'fill')), fc.boolean())
  .map(([fill, confirm]) => [
    { type: 'requestCancel', requestedBy: 'client' },
    { type: 'acknowledgeCancel' },
    ...(fill ? [fill] : []),
    confirm ? { type: 'confirmCancel' } : { type: 'rejectCancel', reason: 'too late' },
  ]);
const sequenceArb = fc.tuple(
  fc.nat({ max: specs.length - 1 }),
  fc
    .tuple(
      fc.boolean(),
      fc.array(
        fc.oneof(
          { weight: 8, arbitrary: commandArb.map((c) => [c]) },
          { weight: 2, arbitrary: replaceFlowArb },
          { weight: 1, arbitrary: cancelFlowArb },
        ),
        { maxLength: 25 },
      ),
    )
    .map(([acceptFirst, steps]) => [
      ...(acceptFirst ? [{ type: 'accept' } as const] : []),
      ...(steps.flat() as OrderCommand[]),
    ]),
);

describe('order aggregate properties', () => {
  test('invariants hold after every command: filled + leaves + canceled = qty, terminal is final', () => {
    fc.assert(
      fc.property(sequenceArb, ([i, commands]) => {
        runChain(specs[i] as OrderSpec, commands);
      }),
      { numRuns: 1500 },
    );
  });

  test('the state is a fold of the events, also after a JSON round trip (as stored)', () => {
    fc.assert(
      fc.property(sequenceArb, ([i, commands]) => {
        const chain = runChain(specs[i] as OrderSpec, commands);
        for (const [id, events] of chain.events) {
          expect(replay(events)).toEqual(chain.states.get(id));
          expect(replay(JSON.parse(JSON.stringify(events)) as OrderEvent[])).toEqual(chain.states.get(id));
        }
      }),
      { numRuns: 500 },
    );
  });

  test('no execution is applied twice and fills add up, across a replace chain', () => {
    fc.assert(
      fc.property(sequenceArb, ([i, commands]) => {
        const chain = runChain(specs[i] as OrderSpec, commands);
        let carried = 0n;
        for (const [id, events] of chain.events) {
          const { qty, ids } = appliedFills(events);
          expect(new Set(ids).size).toBe(ids.length);
          const s = chain.states.get(id) as OrderState;
          const opening = events[0];
          const carriedIn = opening?.type === 'OrderSubmitted' ? nanos(opening.data.carriedFilledQty) : 0n;
          expect(s.filledQty).toBe(carriedIn + qty);
          carried = s.filledQty;
        }
        expect((chain.states.get(chain.current) as OrderState).filledQty).toBe(carried);
      }),
      { numRuns: 500 },
    );
  });

  test('the average fill price is the exact mean rounded half-even, within the fill prices', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 100_000_000_000 })),
          {
            minLength: 1,
            maxLength: 12,
          },
        ),
        (fills) => {
          const shares = BigInt(fills.reduce((a, [q]) => a + q, 0));
          const spec = { ...(specs[0] as OrderSpec), qty: String(shares) };
          let s = execute(undefined, { type: 'submit', orderId: 'o', accountId: 'a', order: spec }, T0).state;
          fills.forEach(([q, pxNanos], k) => {
            const lastPx = formatNanos(BigInt(pxNanos));
            s = execute(s, { type: 'fill', execId: `e${k}`, lastQty: String(q), lastPx }, T0 + k).state;
          });
          const avg = avgPriceOf(s as OrderState) as bigint;
          // Oracle in whole shares x nano-dollars: |avg * shares - sum(q * px)| <= shares / 2, ties to even.
          const exact = fills.reduce((a, [q, p]) => a + BigInt(q) * BigInt(p), 0n);
          const diff2 = 2n * (avg * shares - exact);
          const absDiff2 = diff2 < 0n ? -diff2 : diff2;
          expect(absDiff2 <= shares).toBe(true);
          if (absDiff2 === shares) expect(avg % 2n).toBe(0n);
          const px = fills.map(([, p]) => BigInt(p));
          expect(px.some((p) => p <= avg) && px.some((p) => p >= avg)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('any sequence of refused commands leaves the events and the state as they were', () => {
    fc.assert(
      fc.property(sequenceArb, fc.array(commandArb, { maxLength: 30 }), ([i, commands], probes) => {
        const chain = runChain(specs[i] as OrderSpec, commands);
        const id = chain.current;
        const state = chain.states.get(id) as OrderState;
        const events = [...(chain.events.get(id) as OrderEvent[])];
        for (const probe of probes) {
          const d = decide(state, probe, T0 + 10_000_000);
          if (d.ok) continue;
          expect(typeof d.refusal.code).toBe('string');
          expect(d.refusal.message.length).toBeGreaterThan(0);
        }
        // Deciding never mutates: the stream and the state are untouched after all the probes.
        expect(chain.events.get(id)).toEqual(events);
        expect(replay(events)).toEqual(state);
      }),
      { numRuns: 300 },
    );
  });
});
