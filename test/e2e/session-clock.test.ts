/**
 * End to end against local mode, on a session clock of its own: a session that opens a little
 * after start-up and closes a few seconds later (`HH:MM:SS` New York, sessions every day so it also
 * runs on a weekend). One local mode for both scenarios, which run side by side (each wait on the
 * clock overlaps the other's):
 * - opg and cls orders trade in the simulated venue's opening and closing auctions. Before the open
 *   the opg orders rest although the quote is marketable; the first market tick after the open
 *   holds the opening auction (one price for the symbol: the ask, as only buyers take part), the
 *   unmarketable opg limit is canceled `auction_unfilled`; an opg order placed during the session
 *   is refused by the API (422, nothing placed); the cls order fills in the closing auction.
 * - (issue 4) a DAY order expires at the session close: the venue expires it at the first market
 *   tick at or after the close (its `expired` report), the OMS records `OrderExpired` and the
 *   workflow's `Await outcome` is released. The workflow's own expiry (close + grace) is the
 *   backstop, set far enough here (30 s) that the venue's comes first.
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
  type Order,
  OWN_OMS_START_BOUND_MS,
  startAhead,
} from './harness.js';

/**
 * From start to the open: local mode's start-up (about 6 s here), a warm-up order along an order's
 * whole path (the cold starts of its functions: about 8 s on 2 cores; `warmUp()` would start every
 * function, which takes longer), then the auction orders and the DAY order accepted with at least
 * one market tick (2 s apart) left before the open to show they rest. Generous: in `npm test` other
 * local modes start and trade on the same 2 cores (a 22 s lead was too short there once).
 */
const OPEN_AFTER_MS = 45_000;
/** What the orders need before the open: placed, acknowledged, resting through a tick. */
const MIN_LEFT_MS = 25_000;
/** From the open to the close: the opening auction's reports applied, an opg order refused. */
const CLOSE_AFTER_OPEN_MS = 12_000;
/** From the close to the closing tick's reports applied (the cls fill, the DAY order's expiry). */
const AFTER_CLOSE_MS = 20_000;
/** The workflow's own expiry of a DAY order: the close + this. */
const GRACE_SECONDS = 30;
const SYMBOL = 'E2EAUC';
/**
 * A bound, not an expectation: from the test's start the open is 25-45 s away and the close 12 s
 * later, then the trails are read. On 2 cores shared with other local modes (CI of stop 28: load
 * 24) the reads after the close took the test past a 100 s bound once.
 */
const SCENARIO_BOUND_MS = 240_000;

let oms: LocalOms;
let http: OmsHttp;
let openAt: number;
let closeAt: number;
/** The DAY-expiry scenario, started with the auctions' (its failure is reported by its own test). */
let dayExpiry: Promise<void>;

beforeAll(async () => {
  // The open 45 s after start; at least 25 s of it left once warm (else started again, longer).
  ({
    oms,
    http,
    at: openAt,
  } = await startAhead(OPEN_AFTER_MS, MIN_LEFT_MS, (at) => ({
    sessionOpen: newYorkTime(at),
    sessionClose: newYorkTime(at + CLOSE_AFTER_OPEN_MS),
    expiryGraceSeconds: GRACE_SECONDS,
  })));
  closeAt = openAt + CLOSE_AFTER_OPEN_MS;
  dayExpiry = dayOrderExpiresAtTheClose();
  dayExpiry.catch(() => undefined); // awaited (and so reported) by its test below
}, OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  await dayExpiry?.catch(() => undefined);
  await oms?.stop();
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const types = async (id: string) => (await expectConsistentTrail(http, id)).map((e) => e.type);

it(
  'opg orders wait for the opening auction, trade at one price, and what does not execute is canceled; cls orders trade at the close',
  async () => {
    // Marketable all along for a buyer: a day market order would fill at once.
    await http.pinQuote(SYMBOL, { bid: '10.00', ask: '10.05', bid_size: '1000', ask_size: '1000' });
    const opgMarket = await http.submit({
      symbol: SYMBOL,
      qty: '10',
      side: 'buy',
      type: 'market',
      time_in_force: 'opg',
    });
    const opgLimit = await http.submit({
      symbol: SYMBOL,
      qty: '5',
      side: 'buy',
      type: 'limit',
      limit_price: '9.00',
      time_in_force: 'opg',
    });
    const clsMarket = await http.submit({
      symbol: SYMBOL,
      qty: '7',
      side: 'sell',
      type: 'market',
      time_in_force: 'cls',
    });
    const ids = [opgMarket.id, opgLimit.id, clsMarket.id];
    for (const id of ids) await http.untilStatus(id, 'new', openAt - Date.now() - 500);
    if (Date.now() > openAt - 3000)
      throw new Error(
        `the auction orders were working only ${openAt - Date.now()} ms before the open: raise OPEN_AFTER_MS`,
      );

    // Resting until the open, through the ticks before it. A read answered after the open (a
    // stalled machine) cannot say whether the order rested before it: only earlier answers count,
    // and at least one must come before the open.
    await delay(openAt - 1500 - Date.now());
    let answeredBeforeOpen = 0;
    for (const id of ids) {
      const order = await http.order(id);
      if (Date.now() >= openAt) continue;
      answeredBeforeOpen++;
      expect(order).toMatchObject({ status: 'new', filled_qty: '0' });
    }
    expect(answeredBeforeOpen).toBeGreaterThan(0);

    // During the session an opg order comes too late for today's auction: bad input, refused by the
    // API with the field named, nothing placed. Sent just after the open, before waiting on the
    // auction's reports: under load those took longer than the whole 12 s session once (CI of stop
    // 41), and an opg order sent after the close is accepted for the next open.
    await delay(openAt + 500 - Date.now());
    const late = await http.expect<{ code: number; message: string }>(422, 'POST', '/v2/orders', {
      symbol: SYMBOL,
      qty: '1',
      side: 'buy',
      type: 'market',
      time_in_force: 'opg',
      client_order_id: 'e2e-late-opg',
    });
    expect(late).toMatchObject({ code: 40010001 });
    expect(late.message).toMatch(/^time_in_force: opg is not accepted during the regular session/);
    // Still in the session: the cls order waits for the closing auction (an answer given after the
    // close says nothing about that).
    const clsDuringSession = await http.order(clsMarket.id);
    if (Date.now() < closeAt) expect(clsDuringSession.status).toBe('new');

    // The opening auction: the market buy at the auction price, the limit below it canceled.
    const filled = await http.untilStatus(opgMarket.id, 'filled', 15_000);
    expect(filled).toMatchObject({ filled_qty: '10', filled_avg_price: '10.05' });
    expect(Date.parse(filled.filled_at as string)).toBeGreaterThanOrEqual(openAt);
    const unfilled: Order = await http.untilStatus(opgLimit.id, 'canceled', 8_000);
    expect(unfilled).toMatchObject({ filled_qty: '0', canceled_qty: '5' });
    expect(Date.parse(unfilled.canceled_at as string)).toBeGreaterThanOrEqual(openAt);

    const listed = await http.expect<Order[]>(200, 'GET', `/v2/orders?status=all&symbols=${SYMBOL}`);
    expect(listed.map((o) => o.client_order_id)).not.toContain('e2e-late-opg');

    // The closing auction: the cls sell at the bid (only a seller takes part). Held by the first
    // market tick at or after the close, the tick the DAY order's expiry waits for too: the same
    // bound after the close (a tick still running makes the next one skip; under CI load the fill
    // was applied 8 s after the close once).
    const closed = await http.untilStatus(clsMarket.id, 'filled', closeAt - Date.now() + AFTER_CLOSE_MS);
    expect(closed).toMatchObject({ filled_qty: '7', filled_avg_price: '10' });
    expect(Date.parse(closed.filled_at as string)).toBeGreaterThanOrEqual(closeAt);

    // Audit trails: each event once, in order, on the bus too; the reasons the venue gave.
    expect(await types(opgMarket.id)).toEqual([
      'OrderSubmitted',
      'OrderRouted',
      'OrderAccepted',
      'OrderFilled',
    ]);
    expect(await types(clsMarket.id)).toEqual([
      'OrderSubmitted',
      'OrderRouted',
      'OrderAccepted',
      'OrderFilled',
    ]);
    const canceledTrail = await expectConsistentTrail(http, opgLimit.id);
    expect(canceledTrail.map((e) => e.type)).toEqual([
      'OrderSubmitted',
      'OrderRouted',
      'OrderAccepted',
      'OrderCanceled',
    ]);
    expect(canceledTrail.at(-1)?.data).toMatchObject({ reason: 'auction_unfilled', solicited: false });
    for (const id of ids) await expectWorkflowPath(http, id, FILLED_PATH);
  },
  SCENARIO_BOUND_MS,
);

it(
  'a resting DAY order is expired by the venue at the session close, before any later fill',
  async () => {
    await dayExpiry;
  },
  SCENARIO_BOUND_MS,
);

/** Placed before the open, rests through the session (below the ask), expired at the close. */
async function dayOrderExpiresAtTheClose(): Promise<void> {
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

  const expired = await http.untilStatus(placed.id, 'expired', closeAt - Date.now() + AFTER_CLOSE_MS);
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
}
