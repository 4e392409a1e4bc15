/**
 * End to end against local mode: opg and cls orders trade in the simulated venue's opening and
 * closing auctions. Its own local mode, whose session opens a little after start-up and closes a
 * few seconds later (`HH:MM:SS` New York, sessions every day so it also runs on a weekend). Before
 * the open the opg orders rest although the quote is marketable; the first market tick after the
 * open holds the opening auction (one price for the symbol: the ask, as only buyers take part), the
 * unmarketable opg limit is canceled `auction_unfilled`; an opg order placed during the session is
 * refused by the API (422, nothing placed); the cls order fills in the closing auction.
 *
 * @own-local-mode (starts its own: runs alongside other files, see environment.js)
 */
import type { LocalOms } from '../../local/oms-local.js';
import {
  expectConsistentTrail,
  expectWorkflowPath,
  FILLED_PATH,
  newYorkTime,
  type OmsHttp,
  type Order,
  OWN_OMS_START_BOUND_MS,
  startAhead,
} from './harness.js';

/**
 * From start to the open: local mode's start-up (about 6 s here), a warm-up order along an order's
 * whole path (the cold starts of its functions: about 8 s on 2 cores; `warmUp()` would start every
 * function, which takes longer), then the auction orders accepted with at least one market tick
 * (2 s apart) left before the open to show they rest. Generous: in `npm test` other local modes
 * start and trade on the same 2 cores (a 22 s lead was too short there once).
 */
const OPEN_AFTER_MS = 45_000;
/** What the auction orders need before the open: placed, acknowledged, resting through a tick. */
const MIN_LEFT_MS = 25_000;
/** From the open to the close: the opening auction's reports applied, an opg order refused. */
const CLOSE_AFTER_OPEN_MS = 12_000;
const SYMBOL = 'E2EAUC';

let oms: LocalOms;
let http: OmsHttp;
let openAt: number;
let closeAt: number;

beforeAll(async () => {
  // The open 45 s after start; at least 25 s of it left once warm (else started again, longer).
  ({
    oms,
    http,
    at: openAt,
  } = await startAhead(OPEN_AFTER_MS, MIN_LEFT_MS, (at) => ({
    sessionOpen: newYorkTime(at),
    sessionClose: newYorkTime(at + CLOSE_AFTER_OPEN_MS),
  })));
  closeAt = openAt + CLOSE_AFTER_OPEN_MS;
}, OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  await oms?.stop();
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const types = async (id: string) => (await expectConsistentTrail(http, id)).map((e) => e.type);

it('opg orders wait for the opening auction, trade at one price, and what does not execute is canceled; cls orders trade at the close', async () => {
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

  // Resting until the open, through the ticks before it.
  await delay(openAt - 500 - Date.now());
  for (const id of ids) expect(await http.order(id)).toMatchObject({ status: 'new', filled_qty: '0' });

  // The opening auction: the market buy at the auction price, the limit below it canceled.
  const filled = await http.untilStatus(opgMarket.id, 'filled', 15_000);
  expect(filled).toMatchObject({ filled_qty: '10', filled_avg_price: '10.05' });
  expect(Date.parse(filled.filled_at as string)).toBeGreaterThanOrEqual(openAt);
  const unfilled: Order = await http.untilStatus(opgLimit.id, 'canceled', 8_000);
  expect(unfilled).toMatchObject({ filled_qty: '0', canceled_qty: '5' });
  expect(Date.parse(unfilled.canceled_at as string)).toBeGreaterThanOrEqual(openAt);

  // During the session an opg order comes too late for today's auction: bad input, refused by the
  // API with the field named, nothing placed.
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
  expect(Date.now()).toBeLessThan(closeAt); // else it would have been accepted for tomorrow's open
  const listed = await http.expect<Order[]>(200, 'GET', `/v2/orders?status=all&symbols=${SYMBOL}`);
  expect(listed.map((o) => o.client_order_id)).not.toContain('e2e-late-opg');
  expect((await http.order(clsMarket.id)).status).toBe('new');

  // The closing auction: the cls sell at the bid (only a seller takes part).
  const closed = await http.untilStatus(clsMarket.id, 'filled', closeAt - Date.now() + 8_000);
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
}, 100_000);
