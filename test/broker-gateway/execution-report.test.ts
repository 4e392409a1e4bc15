import {
  commandOf,
  EXEC_TYPES,
  type ExecType,
  type ExecutionReport,
  executionReportSchema,
  fillsOvertaken,
} from '../../lambdas/broker-gateway/execution-report.js';
import { nanos } from '../../lambdas/core/index.js';

const report = (execType: ExecType, extra: Partial<ExecutionReport> = {}): ExecutionReport => ({
  venue: 'SIMX',
  orderId: 'o-1',
  venueOrderId: 'SIMX-o-1',
  execId: 'o-1:3',
  execType,
  transactTime: '2026-11-23T14:30:00.000Z',
  ...extra,
});

describe('commandOf: every execType onto its core command', () => {
  const cases: [ExecType, Partial<ExecutionReport>, unknown][] = [
    ['new', {}, { type: 'accept', venueOrderId: 'SIMX-o-1' }],
    ['rejected', { reason: 'unknown_symbol' }, { type: 'reject', reason: 'unknown_symbol' }],
    ['rejected', {}, { type: 'reject', reason: 'venue_rejected' }],
    [
      'fill',
      { lastQty: '5', lastPx: '10.25' },
      { type: 'fill', execId: 'o-1:3', lastQty: '5', lastPx: '10.25', venue: 'SIMX' },
    ],
    ['pending_cancel', {}, { type: 'acknowledgeCancel' }],
    ['canceled', {}, { type: 'confirmCancel' }],
    ['canceled', { reason: 'ioc_remainder' }, { type: 'confirmCancel', reason: 'ioc_remainder' }],
    [
      'cancel_rejected',
      { reason: 'too_late_to_cancel' },
      { type: 'rejectCancel', reason: 'too_late_to_cancel' },
    ],
    ['cancel_rejected', { reason: 'unknown_order' }, { type: 'rejectCancel', reason: 'unknown_order' }],
    ['pending_replace', {}, { type: 'acknowledgeReplace' }],
    ['replaced', {}, { type: 'confirmReplace' }],
    [
      'replace_rejected',
      { reason: 'too_late_to_replace' },
      { type: 'rejectReplace', reason: 'too_late_to_replace' },
    ],
    ['expired', {}, { type: 'expire' }],
    ['done_for_day', {}, { type: 'doneForDay' }],
    ['triggered', { triggerPrice: '9.5' }, { type: 'trigger', triggerPrice: '9.5' }],
    ['trail_moved', { hwm: '10.25' }, { type: 'moveTrail', hwm: '10.25' }],
    [
      'triggered',
      { triggerPrice: '9.5', bid: '9.49', ask: '9.51' },
      { type: 'trigger', triggerPrice: '9.5', bid: '9.49', ask: '9.51' },
    ],
  ];
  test.each(cases)('%s %j (order accepted)', (execType, extra, expected) => {
    const r = executionReportSchema.parse(report(execType, extra));
    expect(commandOf(r, { acceptedByVenue: true, cancelRequestedBy: 'client' })).toEqual(expected);
  });

  test('the table covers every execType', () => {
    expect(new Set(cases.map(([t]) => t))).toEqual(new Set(EXEC_TYPES));
  });

  // biome-ignore format: table
  const unacknowledged: [string, string, string | null, unknown][] = [
    ['a client cancel succeeded: canceled',         'unknown_order',      'client-key',      { type: 'confirmCancel' }],
    ['a group cancel succeeded: canceled',          'unknown_order',      'oms:contingency', { type: 'confirmCancel' }],
    ['the OMS canceled a failed submission: rejected', 'unknown_order',   'oms',             { type: 'reject', reason: 'unknown_order' }],
    ['no cancel outstanding: rejected',             'unknown_order',      null,              { type: 'reject', reason: 'unknown_order' }],
    ['too late to cancel: a refused cancel',        'too_late_to_cancel', 'client-key',      { type: 'rejectCancel', reason: 'too_late_to_cancel' }],
  ];
  test.each(unacknowledged)(
    'cancel_rejected before the venue acknowledged: %s',
    (_name, reason, by, expected) => {
      const r = report('cancel_rejected', { reason });
      expect(commandOf(r, { acceptedByVenue: false, cancelRequestedBy: by })).toEqual(expected);
    },
  );
});

describe('executionReportSchema', () => {
  test.each([
    ['fill without lastQty', report('fill', { lastPx: '10' }), 'lastQty'],
    ['fill without lastPx', report('fill', { lastQty: '1' }), 'lastPx'],
    ['triggered without triggerPrice', report('triggered'), 'triggerPrice'],
    ['exponent decimal', report('fill', { lastQty: '1e3', lastPx: '10' }), 'lastQty'],
    ['negative price', report('fill', { lastQty: '1', lastPx: '-10' }), 'lastPx'],
    ['10 dp', report('fill', { lastQty: '0.0000000001', lastPx: '10' }), 'lastQty'],
    ['unknown execType', { ...report('new'), execType: 'trade_correct' }, 'execType'],
    ['empty execId', report('new', { execId: '' }), 'execId'],
    ['bad time', report('new', { transactTime: 'yesterday' }), 'transactTime'],
  ])('refuses %s', (_name, input, field) => {
    const r = executionReportSchema.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path[0])).toContain(field);
  });
});

describe("fillsOvertaken: a report that must wait for fills not applied yet (FIX CumQty, the replace chain's)", () => {
  const fill = (lastQty: string, cumQty?: string) =>
    report('fill', { lastQty, lastPx: '10', ...(cumQty === undefined ? {} : { cumQty }) });
  it.each<[string, ExecutionReport, string, boolean, RegExp | null]>([
    ['the next fill: applied 40, 40 more to 80', fill('40', '80'), '40', false, null],
    ['the first fill', fill('40', '40'), '0', false, null],
    [
      'a fill overtook the one before it: 0 applied, 40 more to 80',
      fill('40', '80'),
      '0',
      false,
      /overtook an earlier fill \(0 applied\)/,
    ],
    ['a fractional gap is a gap', fill('0.5', '1'), '0.4', false, /overtook an earlier fill/],
    ['a fill applied before (a redelivery): nothing missing', fill('40', '40'), '80', false, null],
    ['a venue without CumQty never waits', fill('40'), '0', false, null],
    ["a venue's share of a routed split reports less than the order's", fill('10', '10'), '30', false, null],
    ["after the close a late fill is the core's to quarantine", fill('40', '80'), '0', true, null],
    [
      'a cancel ahead of the fills',
      report('canceled', { cumQty: '100' }),
      '60',
      false,
      /canceled at CumQty 100 overtook its fills/,
    ],
    [
      'a cancel ahead of the fills, even once closed',
      report('canceled', { cumQty: '100' }),
      '60',
      true,
      /overtook its fills/,
    ],
    ['a cancel at the fills applied', report('canceled', { cumQty: '100' }), '100', false, null],
    ['an expiry without CumQty', report('expired'), '0', false, null],
    ['a new: no quantity', report('new', { cumQty: '5' }), '0', false, null],
  ])('%s', (_name, r, applied, closed, why) => {
    const got = fillsOvertaken(r, nanos(applied) as bigint, closed);
    if (why === null) expect(got).toBeNull();
    else expect(got).toMatch(why);
  });
});
