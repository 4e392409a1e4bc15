/**
 * Reconciliation with the venues (issue 16: "records every difference as a typed break event ...
 * Repairs are events too, decided in the core: a missed fill is applied (with the venue's execution
 * id ...), an order the venue never received is [closed] after a targeted single-order query
 * confirms it, a partly filled order the venue canceled is canceled keeping its fills. What cannot
 * be repaired safely stays an open break for an operator; in-flight orders ... are not broken").
 * Core reconciliation.ts `reconcileOrder`, table-driven over the OMS's order and the venue's answer.
 */
import fc from 'fast-check';
import {
  type BreakRepair,
  carriedExecutionsNeeded,
  carriedExecutionsOf,
  type OrderCommand,
  type OrderState,
  RECONCILIATION_THRESHOLD_MS,
  reconcileOrder,
  reconcilePositions,
  type VenueFill,
  type VenueOrderFacts,
} from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

type Setup =
  | 'working'
  | 'partly_filled'
  | 'canceled'
  | 'cancel_outstanding'
  | 'pending_new'
  | 'pending_new_cancel_outstanding'
  | 'unknown';

/** The OMS's order: a 10-share limit accepted at the venue (`v1`), in the state named. */
function omsOrder(setup: Setup): OrderState | undefined {
  if (setup === 'unknown') return undefined;
  const book = new OrderBook();
  book.submit('o1', limitOrder({ qty: '10' }));
  const commands: OrderCommand[] = [];
  if (setup !== 'pending_new' && setup !== 'pending_new_cancel_outstanding')
    commands.push({ type: 'accept', venueOrderId: 'v1' });
  if (setup === 'pending_new_cancel_outstanding')
    commands.push({ type: 'requestCancel', requestedBy: 'client' });
  if (setup === 'partly_filled' || setup === 'canceled' || setup === 'cancel_outstanding')
    commands.push({ type: 'fill', execId: 'x1', lastQty: '4', lastPx: '10' });
  if (setup === 'canceled' || setup === 'cancel_outstanding')
    commands.push({ type: 'requestCancel', requestedBy: 'client' });
  if (setup === 'canceled') commands.push({ type: 'confirmCancel' });
  for (const c of commands) {
    const d = book.run('o1', c);
    if (!d.ok) throw new Error(d.refusal.message);
  }
  return book.state('o1');
}

const fill = (execId: string, lastQty: string, lastPx = '10'): VenueFill => ({
  execId,
  lastQty,
  lastPx,
  transactTime: '2026-11-23T14:31:00Z',
});
const at = (status: VenueOrderFacts['status'], filledQty = '0'): VenueOrderFacts => ({
  venueOrderId: 'v1',
  status,
  filledQty,
});
/** Long enough after the order's last change that nothing can still be on its way. */
const later = (s: OrderState | undefined) =>
  (s === undefined ? 0 : Date.parse(s.updatedAt)) + RECONCILIATION_THRESHOLD_MS + 1;
const summary = (r: { type: string; repair: BreakRepair }) =>
  r.repair.kind === 'apply_close'
    ? `${r.type}:apply_close:${r.repair.execType}:${r.repair.reason}`
    : r.repair.kind === 'apply_fill'
      ? `${r.type}:apply_fill:${r.repair.fill.execId}`
      : `${r.type}:${r.repair.kind}`;

describe('reconcileOrder: every difference is a typed break, repaired only where safe', () => {
  // biome-ignore format: a table
  const cases: [string, Setup, VenueOrderFacts | null, VenueFill[], string[]][] = [
    ['both sides agree: open, nothing filled',                                  'working',            at('open'),           [],                              []],
    ['both sides agree: partly filled, the fill known by its exec id',          'partly_filled',      at('open', '4'),      [fill('x1', '4')],               []],
    ['MISSED_FILL: the venue executed what the OMS never applied -> applied',   'working',            at('open', '3'),      [fill('x9', '3')],               ['MISSED_FILL:apply_fill:x9']],
    ['MISSED_FILL: the last fill lost; the venue filled it -> applied, no status break', 'partly_filled', at('filled', '10'), [fill('x1', '4'), fill('x2', '6')], ['MISSED_FILL:apply_fill:x2']],
    ['MISSED_FILL in the cum qty only (no exec id to apply) -> operator',       'working',            at('open', '5'),      [],                              ['MISSED_FILL:none']],
    ['MISSED_FILL on an order the OMS closed -> operator',                      'canceled',           at('canceled', '6'),  [fill('x1', '4'), fill('x7', '2')], ['MISSED_FILL:none']],
    ['FILL_ATTR_MISMATCH: same exec id, another price -> operator',             'partly_filled',      at('open', '4'),      [fill('x1', '4', '10.5')],       ['FILL_ATTR_MISMATCH:none']],
    ['FILL_ATTR_MISMATCH: same exec id, another qty -> operator',               'partly_filled',      at('open', '4'),      [fill('x1', '3')],               ['FILL_ATTR_MISMATCH:none']],
    ['FILLED_QTY_MISMATCH: the OMS applied more than the venue executed',       'partly_filled',      at('open', '2'),      [],                              ['FILLED_QTY_MISMATCH:none']],
    ['MISSING_AT_VENUE, nothing executed -> canceled (missing_at_venue)',       'working',            null,                 [],                              ['MISSING_AT_VENUE:apply_close:canceled:missing_at_venue']],
    ['MISSING_AT_VENUE, partly filled at the OMS -> operator',                  'partly_filled',      null,                 [],                              ['MISSING_AT_VENUE:none']],
    ['MISSING_AT_VENUE: the venue answers unknown -> canceled',                 'working',            at('unknown'),        [],                              ['MISSING_AT_VENUE:apply_close:canceled:missing_at_venue']],
    ['STATUS_MISMATCH: the venue canceled a partly filled order -> canceled keeping its fills', 'partly_filled', at('canceled', '4'), [],                   ['STATUS_MISMATCH:apply_close:canceled:venue_canceled']],
    ['STATUS_MISMATCH: the venue expired it -> expired',                        'working',            at('expired'),        [],                              ['STATUS_MISMATCH:apply_close:expired:venue_expired']],
    ['STATUS_MISMATCH: the venue rejected an order it had acknowledged -> canceled', 'working',       at('rejected'),       [],                              ['STATUS_MISMATCH:apply_close:canceled:venue_rejected']],
    ['STATUS_MISMATCH: the venue replaced it unasked -> operator',              'working',            at('replaced'),       [],                              ['STATUS_MISMATCH:none']],
    ['STATUS_MISMATCH: the venue says filled, short of the quantity -> operator', 'partly_filled',    at('filled', '4'),    [],                              ['STATUS_MISMATCH:none']],
    ['STATUS_MISMATCH: live at the venue after the OMS canceled it -> canceled at the venue', 'canceled', at('open', '4'), [],                                ['STATUS_MISMATCH:cancel_at_venue']],
    ['both closed: canceled on both sides',                                     'canceled',           at('canceled', '4'),  [],                              []],
    ['UNKNOWN_AT_OMS: the venue works an order the OMS has no record of -> operator', 'unknown',      at('open'),           [],                              ['UNKNOWN_AT_OMS:none']],
    ['an unknown order the venue has closed: nothing to do',                    'unknown',            at('canceled'),       [],                              []],
    ['in flight: a cancel outstanding belongs to the in-flight check',          'cancel_outstanding', at('canceled', '4'),  [],                              []],
    ['in flight: still pending_new belongs to the workflow',                    'pending_new',        null,                 [],                              []],
    ['pending_new the venue lists (its acknowledgement on the way): nothing',   'pending_new',        at('open'),           [],                              []],
    ['pending_new the venue has executed: nothing (its reports on the way)',    'pending_new',        at('unknown'),        [fill('x1', '4')],               []],
    ['MISSING_AT_VENUE: pending_new long, the single-order query answers unknown (its NewOrderSingle lost) -> canceled', 'pending_new', at('unknown'), [], ['MISSING_AT_VENUE:apply_close:canceled:missing_at_venue']],
    ['pending_new with a cancel outstanding belongs to the in-flight check',    'pending_new_cancel_outstanding', at('unknown'), [],                         []],
  ];

  it.each(cases)('%s', (_name, setup, venue, executions, expected) => {
    const state = omsOrder(setup);
    const breaks = reconcileOrder({ orderId: 'o1', state, venue, executions, now: later(state) });
    expect(breaks.map(summary)).toEqual(expected);
    // One record per break: keys are distinct on the order.
    expect(new Set(breaks.map((b) => b.key)).size).toBe(breaks.length);
  });

  it('a pending_new order the venue disowns is broken only once the threshold has passed since it changed', () => {
    const state = omsOrder('pending_new');
    const now = Date.parse(state?.updatedAt ?? '') + RECONCILIATION_THRESHOLD_MS - 1;
    const venue = at('unknown');
    expect(reconcileOrder({ orderId: 'o1', state, venue, executions: [], now })).toEqual([]);
    expect(reconcileOrder({ orderId: 'o1', state, venue, executions: [], now: now + 1 })).toHaveLength(1);
  });

  it('an order the OMS changed less than the threshold ago is not broken (a report may be on its way)', () => {
    const state = omsOrder('working');
    const now = Date.parse(state?.updatedAt ?? '') + RECONCILIATION_THRESHOLD_MS - 1;
    expect(reconcileOrder({ orderId: 'o1', state, venue: null, executions: [], now })).toEqual([]);
    expect(reconcileOrder({ orderId: 'o1', state, venue: null, executions: [], now: now + 1 })).toHaveLength(
      1,
    );
  });

  it('property: a working order is repaired by exactly the executions the OMS has not applied, under their own exec ids', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ qty: fc.integer({ min: 1, max: 3 }), known: fc.boolean() }), { maxLength: 3 }),
        (fills) => {
          const book = new OrderBook();
          book.submit('o1', limitOrder({ qty: '10' }));
          book.run('o1', { type: 'accept', venueOrderId: 'v1' });
          fills.forEach((f, i) => {
            if (f.known)
              book.run('o1', { type: 'fill', execId: `x${i}`, lastQty: String(f.qty), lastPx: '10' });
          });
          const state = book.state('o1');
          const cum = fills.reduce((a, f) => a + f.qty, 0);
          const breaks = reconcileOrder({
            orderId: 'o1',
            state,
            venue: at('open', String(cum)),
            executions: fills.map((f, i) => fill(`x${i}`, String(f.qty))),
            now: later(state),
          });
          const applied = breaks.flatMap((b) =>
            b.repair.kind === 'apply_fill' ? [b.repair.fill.execId] : [],
          );
          expect(applied).toEqual(fills.flatMap((f, i) => (f.known ? [] : [`x${i}`])));
          expect(breaks.every((b) => b.type === 'MISSED_FILL')).toBe(true);
        },
      ),
    );
  });
});

describe('reconcileOrder after a replace: the fills a replacement carries are its chain’s, not missed', () => {
  // FIX CumQty spans a cancel/replace chain: the venue's replacement carries its order's fills, and a
  // venue may list those executions under the replacement's ClOrdID too (the simulated venues do).
  // The OMS applied them on the order replaced; the replacement's filled qty carries them
  // (`OrderSubmitted.carriedFilledQty`). Rule (core reconciliation.ts, `carriedExecutions`): an
  // execution the OMS applied on an order of the replacement's chain is known, compared by its
  // attributes, not a MISSED_FILL, and the cum qty comparison counts it once.
  type Chain = 'replaced_partly_filled' | 'replacement_filled_too' | 'replaced_twice';
  /** o1: 10 @ limit, x1 4 filled, replaced by o2 (and o2, after x2 2 filled, by o3). */
  function chain(kind: Chain): { book: OrderBook; replacement: string } {
    const book = new OrderBook();
    book.submit('o1', limitOrder({ qty: '10' }));
    const run = (id: string, c: OrderCommand) => {
      const d = book.run(id, c);
      if (!d.ok) throw new Error(d.refusal.message);
    };
    const replace = (id: string, by: string, limitPrice: string) => {
      run(id, {
        type: 'requestReplace',
        replacementOrderId: by,
        changes: { limitPrice },
        requestedBy: 'bot',
      });
      run(id, { type: 'confirmReplace' });
    };
    run('o1', { type: 'accept', venueOrderId: 'v1' });
    run('o1', { type: 'fill', execId: 'x1', lastQty: '4', lastPx: '10' });
    replace('o1', 'o2', '9.5');
    if (kind === 'replaced_partly_filled') return { book, replacement: 'o2' };
    run('o2', { type: 'fill', execId: 'x2', lastQty: '2', lastPx: '9.5' });
    if (kind === 'replacement_filled_too') return { book, replacement: 'o2' };
    replace('o2', 'o3', '9');
    return { book, replacement: 'o3' };
  }
  /** What the reconciler reads of the replacement's chain: every order it replaces, back to the first. */
  const carriedOf = (book: OrderBook, id: string) => {
    const chainStates: OrderState[] = [];
    for (let s = book.state(id); s.replaces !== null; ) {
      s = book.state(s.replaces);
      chainStates.push(s);
    }
    return carriedExecutionsOf(chainStates);
  };

  // biome-ignore format: a table
  const cases: [string, Chain, VenueOrderFacts, VenueFill[], string[]][] = [
    ['the carried fill listed under the replacement, cum qty carried: no break',       'replaced_partly_filled', at('open', '4'),  [fill('x1', '4')],                    []],
    ['the carried fill and the replacement’s own, both known: no break',               'replacement_filled_too', at('open', '6'),  [fill('x1', '4'), fill('x2', '2', '9.5')], []],
    ['a replacement of a replacement carries the whole chain: no break',               'replaced_twice',         at('open', '6'),  [fill('x1', '4'), fill('x2', '2', '9.5')], []],
    ['MISSED_FILL: the replacement’s own fill lost, the venue filled it -> applied',  'replaced_partly_filled', at('filled', '10'), [fill('x3', '6', '9.5')],           ['MISSED_FILL:apply_fill:x3']],
    ['MISSED_FILL after a replace: only the fill the OMS never applied -> applied',    'replaced_partly_filled', at('open', '7'),  [fill('x1', '4'), fill('x9', '3', '9.5')], ['MISSED_FILL:apply_fill:x9']],
    ['FILLED_QTY_MISMATCH after a replace: the venue has less than the chain filled',  'replaced_partly_filled', at('open', '3'),  [fill('x1', '4')],                    ['FILLED_QTY_MISMATCH:none']],
    ['FILL_ATTR_MISMATCH after a replace: a carried fill at another price -> operator', 'replaced_partly_filled', at('open', '4'), [fill('x1', '4', '10.5')],             ['FILL_ATTR_MISMATCH:none']],
    ['MISSED_FILL in the cum qty only, after a replace -> operator',                   'replacement_filled_too', at('open', '8'),  [fill('x1', '4'), fill('x2', '2', '9.5')], ['MISSED_FILL:none']],
  ];

  it.each(cases)('%s', (_name, kind, venue, executions, expected) => {
    const { book, replacement } = chain(kind);
    const state = book.state(replacement);
    const breaks = reconcileOrder({
      orderId: replacement,
      state,
      venue,
      executions,
      now: later(state),
      carriedExecutions: carriedOf(book, replacement),
    });
    expect(breaks.map(summary)).toEqual(expected);
    expect(new Set(breaks.map((b) => b.key)).size).toBe(breaks.length);
  });

  it('the order replaced agrees with its venue record (replaced, its cum qty, its own fill)', () => {
    const { book } = chain('replaced_partly_filled');
    const state = book.state('o1');
    const executions = [fill('x1', '4')];
    expect(
      reconcileOrder({ orderId: 'o1', state, venue: at('replaced', '4'), executions, now: later(state) }),
    ).toEqual([]);
  });

  it('the reconciler reads the chain only for a replacement with an execution it does not know itself', () => {
    const { book } = chain('replacement_filled_too');
    const [original, replacement] = [book.state('o1'), book.state('o2')];
    expect(carriedExecutionsNeeded(replacement, [fill('x2', '2', '9.5')])).toBe(false);
    expect(carriedExecutionsNeeded(replacement, [fill('x1', '4'), fill('x2', '2', '9.5')])).toBe(true);
    expect(carriedExecutionsNeeded(original, [fill('x9', '1')])).toBe(false);
  });
});

describe('reconcilePositions: POSITION_MISMATCH, the venues’ positions against the OMS’s ledger (issue 16)', () => {
  const NOW_MS = Date.parse('2026-12-04T15:00:00.000Z');
  const OLD = '2026-12-04T14:00:00.000Z';
  const RECENT = new Date(NOW_MS - 1000).toISOString();
  const v = (accountId: string, symbol: string, qty: string, lastChangeAt: string | null = OLD) => ({
    accountId,
    symbol,
    qty,
    lastChangeAt,
  });
  const o = (accountId: string, symbol: string, qty: string) => ({ accountId, symbol, qty });
  type Case = [
    string,
    Parameters<typeof reconcilePositions>[0]['venues'],
    Parameters<typeof reconcilePositions>[0]['oms'],
    string[],
    [string, string, string, string][],
  ];
  // [name, venues, oms, unsettled pairs, expected breaks [account, symbol, venueQty, omsQty]]
  const cases: Case[] = [
    ['agree at one venue', [[v('a1', 'ACME', '10')]], [o('a1', 'ACME', '10')], [], []],
    [
      'agree across venues (an account trades at several)',
      [[v('a1', 'ACME', '6')], [v('a1', 'ACME', '4')]],
      [o('a1', 'ACME', '10')],
      [],
      [],
    ],
    ['a short agrees', [[v('a1', 'ACME', '-3')]], [o('a1', 'ACME', '-3')], [], []],
    ['both flat: nothing to say', [[]], [], [], []],
    [
      'the venue holds more',
      [[v('a1', 'ACME', '12')]],
      [o('a1', 'ACME', '10')],
      [],
      [['a1', 'ACME', '12', '10']],
    ],
    ['the OMS holds a position no venue has', [[]], [o('a1', 'ACME', '5')], [], [['a1', 'ACME', '0', '5']]],
    ['a venue position the OMS lacks', [[v('a2', 'ZZZ', '-1.5')]], [], [], [['a2', 'ZZZ', '-1.5', '0']]],
    [
      'fractional difference',
      [[v('a1', 'ACME', '10.000000001')]],
      [o('a1', 'ACME', '10')],
      [],
      [['a1', 'ACME', '10.000000001', '10']],
    ],
    [
      'a venue change within 2 x threshold is not compared yet',
      [[v('a1', 'ACME', '12', RECENT)]],
      [o('a1', 'ACME', '10')],
      [],
      [],
    ],
    [
      'an order not compared this pass holds its pair back',
      [[v('a1', 'ACME', '12')]],
      [o('a1', 'ACME', '10')],
      ['a1#ACME'],
      [],
    ],
    [
      'other pairs still compared',
      [[v('a1', 'ACME', '12')], [v('a1', 'BETA', '1')]],
      [o('a1', 'ACME', '10'), o('a1', 'BETA', '1')],
      ['a1#BETA'],
      [['a1', 'ACME', '12', '10']],
    ],
  ];
  it.each(cases)('%s', (_name, venues, oms, unsettled, expected) => {
    const found = reconcilePositions({
      venues,
      oms,
      unsettled: new Set(unsettled),
      now: NOW_MS,
      thresholdMs: 15_000,
    });
    expect(found.map((b) => [b.accountId, b.symbol, b.venueQty, b.omsQty])).toEqual(expected);
    for (const b of found) {
      expect(b.type).toBe('POSITION_MISMATCH');
      expect(b.key).toBe(`POSITION_MISMATCH#${b.accountId}#${b.symbol}#${b.venueQty}#${b.omsQty}`);
      expect(b.detail).toContain(b.symbol);
    }
  });

  it('property: no break exactly when the venues’ sum equals the OMS’s position', () => {
    const qty = fc.integer({ min: -1000, max: 1000 }).map(String);
    fc.assert(
      fc.property(fc.array(qty, { maxLength: 3 }), qty, (venueQtys, omsQty) => {
        const venues = venueQtys.map((q) => [v('a1', 'ACME', q)]);
        const found = reconcilePositions({
          venues,
          oms: [o('a1', 'ACME', omsQty)],
          unsettled: new Set(),
          now: NOW_MS,
        });
        const sum = venueQtys.reduce((s, q) => s + Number(q), 0);
        expect(found.length).toBe(sum === Number(omsQty) ? 0 : 1);
      }),
    );
  });
});
