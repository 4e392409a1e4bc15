/**
 * An acknowledged cancel or replace is never lost (issue 16, first item): core in-flight.ts
 * `inFlightResolutionOf`, table-driven over the order's request and the venue's answer to a status
 * query (FIX OrderStatusRequest: the venue is the authority on what it holds), and the rule that
 * every outcome either settles the request or hands it to an operator.
 */
import fc from 'fast-check';
import {
  hasRequestInFlight,
  IN_FLIGHT_THRESHOLD_MS,
  type InFlightResolution,
  inFlightResolutionOf,
  type OrderCommand,
  type OrderState,
  type VenueStatusAnswer,
} from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

/** An order accepted at the venue, partly filled (`filled`), then asked to cancel or replace. */
function orderWith(
  request: 'cancel' | 'replace' | 'none',
  filled = '0',
  phase: 'working' | 'pending_new' = 'working',
) {
  const book = new OrderBook();
  book.submit('o1', limitOrder({ qty: '10' }));
  if (phase === 'working') book.run('o1', { type: 'accept', venueOrderId: 'v1' });
  if (filled !== '0') book.run('o1', { type: 'fill', execId: 'x1', lastQty: filled, lastPx: '10' });
  const commands: Record<typeof request, OrderCommand | null> = {
    cancel: { type: 'requestCancel', requestedBy: 'client' },
    replace: {
      type: 'requestReplace',
      replacementOrderId: 'o2',
      changes: { limitPrice: '9.5' },
      requestedBy: 'client',
    },
    none: null,
  };
  const command = commands[request];
  if (command !== null) {
    const d = book.run('o1', command);
    if (!d.ok) throw new Error(d.refusal.message);
  }
  return book.state('o1');
}

const askedAt = (s: OrderState) => Date.parse(s.requestedAt ?? s.updatedAt);
const venue = (status: VenueStatusAnswer['status'], filledQty = '0'): VenueStatusAnswer => ({
  status,
  filledQty,
});

describe('inFlightResolutionOf: the venue is the authority on what it holds', () => {
  // biome-ignore format: a table
  const cases: [string, 'cancel' | 'replace' | 'none', string, VenueStatusAnswer | null, InFlightResolution['kind'], string][] = [
    ['no request outstanding: nothing to do',                            'none',    '0', venue('open'),          'none', ''],
    ['the venue still has it open: the cancel never arrived, send it again', 'cancel', '0', venue('open'),      'resend', 'cancel'],
    ['the venue still has it open: the replace goes again',               'replace', '0', venue('open'),          'resend', 'replace'],
    ['partly filled, the fills all applied: still resent',                'cancel',  '4', venue('open', '4'),     'resend', 'cancel'],
    ['the venue canceled it: its answer was lost, apply it',              'cancel',  '0', venue('canceled'),      'apply', 'canceled'],
    ['the venue replaced it: apply it (the replacement opens with it)',   'replace', '0', venue('replaced'),      'apply', 'replaced'],
    ['the venue expired it meanwhile: apply the expiry',                  'cancel',  '0', venue('expired'),       'apply', 'expired'],
    ['a replace asked, the venue canceled it on its own: apply the cancel', 'replace', '0', venue('canceled'),    'apply', 'canceled'],
    ['the venue filled more than the OMS applied: fills first, an operator', 'cancel', '0', venue('canceled', '3'), 'break', 'MISSED_FILL'],
    ['the OMS applied more than the venue filled',                        'cancel',  '4', venue('canceled', '2'), 'break', 'FILLED_QTY_MISMATCH'],
    ['the venue never heard of an order the OMS has working',             'cancel',  '0', null,                   'break', 'MISSING_AT_VENUE'],
    ['the venue answers unknown',                                         'replace', '0', venue('unknown'),       'break', 'MISSING_AT_VENUE'],
    ['replaced, though only a cancel was asked',                          'cancel',  '0', venue('replaced'),      'break', 'STATUS_MISMATCH'],
    ['rejected at the venue with a cancel outstanding',                   'cancel',  '0', venue('rejected'),      'break', 'STATUS_MISMATCH'],
  ];
  test.each(cases)('%s', (_name, request, filled, answer, kind, detail) => {
    const state = orderWith(request, filled);
    const r = inFlightResolutionOf(state, answer, askedAt(state) + IN_FLIGHT_THRESHOLD_MS);
    expect(r.kind).toBe(kind);
    if (r.kind === 'resend') expect(r.request).toBe(detail);
    if (r.kind === 'apply') expect(r.execType).toBe(detail);
    if (r.kind === 'break') expect(r.type).toBe(detail);
  });

  test('younger than the threshold: wait (the normal path may still answer), whatever the venue says', () => {
    const state = orderWith('cancel');
    for (const answer of [venue('open'), venue('canceled'), null])
      expect(inFlightResolutionOf(state, answer, askedAt(state) + IN_FLIGHT_THRESHOLD_MS - 1).kind).toBe(
        'wait',
      );
  });

  test('an order still pending_new is the workflow’s (the stalled-workflow sweeper), not this check’s', () => {
    const state = orderWith('cancel', '0', 'pending_new');
    expect(hasRequestInFlight(state)).toBe(true);
    expect(inFlightResolutionOf(state, null, askedAt(state) + 10 * IN_FLIGHT_THRESHOLD_MS).kind).toBe('none');
  });

  test('an algorithmic parent and a stop the OMS holds have no venue order to ask about', () => {
    const state = orderWith('cancel');
    expect(
      hasRequestInFlight({
        ...state,
        algo: { decidedSlices: new Set(), children: new Map(), volumeMark: null, done: false },
      }),
    ).toBe(false);
    expect(hasRequestInFlight({ ...state, armedFor: 'SIMX', triggered: false })).toBe(false);
  });

  test('property: past the threshold, a request is always resent, answered or handed to an operator; never left waiting', () => {
    const statuses: VenueStatusAnswer['status'][] = [
      'open',
      'filled',
      'canceled',
      'replaced',
      'rejected',
      'expired',
      'unknown',
    ];
    fc.assert(
      fc.property(
        fc.constantFrom<'cancel' | 'replace'>('cancel', 'replace'),
        fc.constantFrom('0', '3'),
        fc.option(
          fc.record({ status: fc.constantFrom(...statuses), filledQty: fc.constantFrom('0', '3', '5') }),
        ),
        fc.integer({ min: 0, max: 10 * IN_FLIGHT_THRESHOLD_MS }),
        (request, filled, answer, extra) => {
          const state = orderWith(request, filled);
          const r = inFlightResolutionOf(state, answer, askedAt(state) + IN_FLIGHT_THRESHOLD_MS + extra);
          expect(['resend', 'apply', 'break']).toContain(r.kind);
          // Nothing is applied that would overtake a fill the OMS has not seen, or undo one it has.
          if (r.kind === 'apply' || r.kind === 'resend') expect(answer?.filledQty).toBe(filled);
        },
      ),
    );
  });
});
