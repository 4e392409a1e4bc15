/**
 * Algorithmic orders (issue 5) end to end against local mode: the parent's `algo-order` workflow
 * (plan, Map of Wait + Release per slice, finish), its child orders traded by the simulated venue,
 * their fills mirrored onto the parent by the group coordinator. See local-mode.test.ts for the
 * harness conventions. The VWAP participation scenario (`max_percentage`), a minute of its window's
 * clock, runs beside held-stops.test.ts on that file's own local mode (fixtures/vwap-participation.ts),
 * not here under the shared local mode's lock.
 */
import { eventually, type OmsHttp, type SharedOms, sharedTradingDayOms } from './harness.js';

jest.setTimeout(90_000);

let oms: SharedOms;
let http: OmsHttp;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

const trail = async (id: string) => http.auditTrail(id);

it('iceberg: clips of display_qty, each replenished as it fills, until the parent is filled', async () => {
  await http.pinQuote('E2EICE', { bid: '20.00', ask: '20.01', ask_size: '1000' });
  const parent = await http.submit({
    symbol: 'E2EICE',
    qty: '25',
    side: 'buy',
    type: 'limit',
    limit_price: '20.05',
    time_in_force: 'day',
    advanced_instructions: { algorithm: 'DMA', display_qty: '10' },
  });
  expect(parent.status).toBe('pending_new');
  const filled = await http.untilStatus(parent.id, 'filled', 45_000);
  expect(filled).toMatchObject({ filled_qty: '25', filled_avg_price: '20.01' });

  const events = await trail(parent.id);
  const releases = events.filter((e) => e.type === 'OrderSliceDecided' && e.data.decision === 'release');
  // 10 + 10 + 5: never more than display_qty shown; the last clip is the remainder.
  expect(releases.map((e) => e.data.qty)).toEqual(['10', '10', '5']);
  const children = releases.map((e) => e.data.childOrderId as string);
  for (const id of children) {
    http.orders.add(id);
    const child = await http.order(id);
    expect(child).toMatchObject({ status: 'filled', side: 'buy', type: 'limit', limit_price: '20.05' });
  }
  // A child's close reaches the parent after its fill (the group coordinator mirrors the fill, then
  // records the close from the child's own stream): the parent can show filled a moment before it.
  await eventually(async () => {
    const closed = (await trail(parent.id)).filter((e) => e.type === 'OrderChildClosed');
    expect(closed.map((e) => e.data.childOrderId)).toEqual(children);
  }, 20_000);
  // The parent never went to the venue: its workflow re-checks its risk, then runs the schedule.
  const path = await http.workflowPath(parent.id);
  expect(path.slice(0, 5)).toEqual([
    'Check pre-trade risk',
    'Accepted?',
    'Start algorithm',
    'Run schedule',
    'Wait for slice',
  ]);
});

it('TWAP: the first slice is released at the start; canceling the parent cancels the child and stops', async () => {
  await http.pinQuote('E2ETWP', { bid: '30.00', ask: '30.02', ask_size: '1000' });
  const parent = await http.submit({
    symbol: 'E2ETWP',
    qty: '100',
    side: 'buy',
    type: 'limit',
    limit_price: '29.00', // below the ask: children rest
    time_in_force: 'day',
    advanced_instructions: {
      algorithm: 'TWAP',
      end_time: new Date(Date.now() + 10 * 60_000).toISOString(),
    },
  });
  const child = await eventually(
    async () => {
      const released = (await trail(parent.id)).find((e) => e.type === 'OrderSliceDecided');
      expect(released?.data).toMatchObject({ decision: 'release', sliceIndex: 0, qty: '10' });
      return released?.data.childOrderId as string;
    },
    20_000,
    () => http.explain([parent.id]),
  );
  http.orders.add(child);
  await http.untilStatus(child, 'new');
  await http.cancel(parent.id);
  await http.untilStatus(child, 'canceled');
  const canceled = await http.untilStatus(parent.id, 'canceled');
  expect(canceled.filled_qty).toBe('0');
  const types = (await trail(parent.id)).map((e) => e.type);
  expect(types).toEqual([
    'OrderSubmitted',
    'OrderAccepted',
    'OrderSliceDecided',
    'OrderCancelRequested',
    'OrderChildClosed',
    'OrderCanceled',
  ]);
});
