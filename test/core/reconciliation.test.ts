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
  type OrderCommand,
  type OrderState,
  RECONCILIATION_THRESHOLD_MS,
  reconcileOrder,
  type VenueFill,
  type VenueOrderFacts,
} from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

type Setup = 'working' | 'partly_filled' | 'canceled' | 'cancel_outstanding' | 'pending_new' | 'unknown';

/** The OMS's order: a 10-share limit accepted at the venue (`v1`), in the state named. */
function omsOrder(setup: Setup): OrderState | undefined {
  if (setup === 'unknown') return undefined;
  const book = new OrderBook();
  book.submit('o1', limitOrder({ qty: '10' }));
  const commands: OrderCommand[] = [];
  if (setup !== 'pending_new') commands.push({ type: 'accept', venueOrderId: 'v1' });
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
  ];

  it.each(cases)('%s', (_name, setup, venue, executions, expected) => {
    const state = omsOrder(setup);
    const breaks = reconcileOrder({ orderId: 'o1', state, venue, executions, now: later(state) });
    expect(breaks.map(summary)).toEqual(expected);
    // One record per break: keys are distinct on the order.
    expect(new Set(breaks.map((b) => b.key)).size).toBe(breaks.length);
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
