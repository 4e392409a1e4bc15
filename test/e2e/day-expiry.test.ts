/**
 * End to end against local mode (issue 4): a DAY order expires at the session close. Its own
 * local mode, whose session close is set to the second a little after start-up (`HH:MM:SS`,
 * sessions every day so it also runs on a weekend), so the expiry is exercised within seconds:
 * the venue expires the order at the first market tick at or after the close (its `expired`
 * report), the OMS records `OrderExpired` and the workflow's `Await outcome` is released. The
 * workflow's own expiry (close + grace) is the backstop, set far enough here (30 s) that the
 * venue's comes first.
 *
 * @own-local-mode (starts its own: runs alongside other files, see environment.js)
 */
import type { LocalOms } from '../../local/oms-local.js';
import {
  expectConsistentTrail,
  expectWorkflowPath,
  FILLED_PATH,
  filledByEvents,
  newYorkTime,
  type OmsHttp,
  OWN_OMS_START_BOUND_MS,
  startAhead,
} from './harness.js';

/**
 * Start-up (about 7 s here), a warm-up order through every function on an order's path (their
 * cold starts: about 10-18 s on 2 cores) and the DAY order's first steps must fit before the close.
 */
const CLOSE_AFTER_MS = 40_000;
/** What the DAY order needs before the close: placed, acknowledged, resting through a tick. */
const MIN_LEFT_MS = 25_000;
const GRACE_SECONDS = 30;

let oms: LocalOms;
let http: OmsHttp;
let closeAt: number;

beforeAll(async () => {
  // The close 40 s after start; at least 25 s of it left once warm (else started again, longer).
  ({
    oms,
    http,
    at: closeAt,
  } = await startAhead(CLOSE_AFTER_MS, MIN_LEFT_MS, (at) => ({
    sessionClose: newYorkTime(at),
    expiryGraceSeconds: GRACE_SECONDS,
  })));
}, OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  await oms?.stop();
});

it('a resting DAY order is expired by the venue at the session close, before any later fill', async () => {
  await http.pinQuote('E2EDAY', { bid: '10.00', ask: '10.05', ask_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2EDAY',
    qty: '20',
    side: 'buy',
    type: 'limit',
    limit_price: '9.50',
    time_in_force: 'day',
  });
  const resting = await http.untilStatus(placed.id, 'new', 20_000);
  expect(resting.expired_at).toBeNull();
  if (Date.now() >= closeAt - 1000)
    throw new Error(
      `the order was working only ${closeAt - Date.now()} ms before the close: raise CLOSE_AFTER_MS`,
    );

  const expired = await http.untilStatus(placed.id, 'expired', closeAt - Date.now() + 20_000);
  // Not before the close, and promptly after (a market tick runs every 2 s here), well before the
  // workflow's own deadline (close + grace).
  const expiredAt = Date.parse(expired.expired_at as string);
  expect(expiredAt).toBeGreaterThanOrEqual(closeAt);
  expect(expiredAt).toBeLessThan(closeAt + GRACE_SECONDS * 1000);
  expect(expired).toMatchObject({ filled_qty: '0', canceled_qty: '20', leaves_qty: '0' });

  const trail = await expectConsistentTrail(http, placed.id);
  expect(trail.map((e) => e.type)).toEqual([
    'OrderSubmitted',
    'OrderRouted',
    'OrderAccepted',
    'OrderExpired',
  ]);
  // The venue's report settled the order: the workflow's wait was released, not timed out.
  await expectWorkflowPath(http, placed.id, FILLED_PATH);
  const report = oms.eventBridge.delivered().find((e) => {
    const d = e.detail as { orderId?: string; execType?: string };
    return e['detail-type'] === 'ExecutionReport' && d.orderId === placed.id && d.execType === 'expired';
  });
  const detail = report?.detail as { reason?: string; cumQty?: string; transactTime?: string } | undefined;
  expect(detail).toMatchObject({ reason: 'day_ended', cumQty: '0' });
  expect(Date.parse(detail?.transactTime ?? '')).toBeGreaterThanOrEqual(closeAt);

  // A DAY order placed after the close (it works until tomorrow's) fills when the quote crosses
  // both prices; the expired one does not.
  const later = await http.submit({
    symbol: 'E2EDAY',
    qty: '20',
    side: 'buy',
    type: 'limit',
    limit_price: '9.49',
    time_in_force: 'day',
  });
  await http.untilStatus(later.id, 'new');
  await http.pinQuote('E2EDAY', { bid: '9.30', ask: '9.40', ask_size: '1000' });
  await http.untilStatus(later.id, 'filled');
  const after = await expectConsistentTrail(http, placed.id);
  expect(filledByEvents(after)).toBe(0);
  expect(after.map((e) => e.type)).toEqual([
    'OrderSubmitted',
    'OrderRouted',
    'OrderAccepted',
    'OrderExpired',
  ]);
}, 90_000);
