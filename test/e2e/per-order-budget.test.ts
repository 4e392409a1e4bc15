/**
 * The per-order budget (issue 12), held by a test: a filled market order through a metered local
 * mode (local/meter.ts: a counting proxy in front of DynamoDB Local, invocations, state
 * transitions), counted the way `npm run cost` counts it (bench/cost/flows.ts). Counts, not times:
 * a change that adds requests, write units, invocations or transitions to the market-order path
 * fails here. The bounds are the issue's targets; the measured values are printed (docs/bench.md).
 *
 * Its own local mode: the meter must see this order's work alone, and the shared one always has
 * other files' orders working.
 *
 * @own-local-mode (starts its own: runs alongside other files, see environment.js)
 */

import { omsShare } from '../../bench/cost/cost.js';
import { flows, measureFlow } from '../../bench/cost/flows.js';
import { dynamoDbTotals, lambdaTotals, type MeterReading, sumCounts } from '../../local/meter.js';
import { type LocalOms, startLocalOms } from '../../local/oms-local.js';
import { EVERY_DAY, newYorkTime, OmsHttp, OWN_OMS_START_BOUND_MS, warmOrder } from './harness.js';

/**
 * Issue 12's targets for a filled market order (the simulated venue's own book not counted), for
 * the fewest batches the order's events can come in: two stream batches (its submission; the
 * venue's acknowledgement and fill) and one queue batch of execution reports. When timing splits
 * a batch, each extra one adds its own invocation (and an extra view write), which the test
 * allows for explicitly rather than by a looser bound. State transitions: the target is 4; the
 * workflow enters 2 (statemachines/README.md), held here so it cannot grow.
 */
/**
 * Issue 12's budget plus what issue 13's position keeper adds per execution: one TransactWriteItems
 * (the applied marker, the PositionChanged, the ledger: 3 puts, 6 write units), one GetItem of the
 * ledger when this environment's last write of the account is not the latest, and one invocation
 * (the PositionChanged's own stream batch, which the publisher puts on the bus).
 */
/**
 * Issue 14's trade_updates log: the `new` and `fill` updates are written in the same transaction as
 * the order's view (0 requests, +6 write units: the transaction doubles the view's and the updates'
 * units), and each batch that appended asks the account's listeners item whether anyone listens
 * (+1 conditional UpdateItem per batch; nobody listens here).
 */
/**
 * Issue 15's routing and TCA: the routing decision (OrderRouted) is one PutItem at submission
 * (1 write unit); the batch it comes back in writes no view (nothing a reader sees changes), and
 * rides with the submission's or comes alone (then its own invocation, allowed as an extra batch);
 * the TCA rides the closing view write, gzip-compressed (+2 write units: the transaction doubles it).
 * The routing read (the market-data port's one BatchGetItem of the quote and the venues' health, in
 * the submit task) is one more request (2 read units); the meter counts it as the OMS's (only the
 * simulated venue's own client's requests are the venue's, local/meter.ts).
 */
/**
 * Issue 16's kill switch and limits policies: the trading states and policies ride the pre-trade
 * BatchGetItem (one more key, now strongly consistent: read units, no request); the account's day
 * notional total is one more item of the placing transaction (+2 write units, no request).
 */
/**
 * Issue 12, again: the submit task routes a plain new order from the OrderSubmitted its execution
 * input carries (no read of the event store; the routing decision's append is conditional on the
 * order being still at that event): one request less. The submit-rate slot rides the placing
 * transaction: one request less (DynamoDB Local reports a transaction's units per table, so the
 * meter counts one write unit less; AWS bills a transactional write double, one unit more).
 */
/**
 * Buying power reservations (core buying-power-claims.ts): a buy's claim is one more item of the
 * placing transaction (the account's total, conditional: +2 write units, no request) and its fill
 * gives it back in the ledger's own transaction (+2 write units, no request). The concurrent-buys
 * race they close cost real money; no read was added (the total rides the pre-trade BatchGetItem).
 */
const BUDGET = { dynamoDbRequests: 16, writeUnits: 33, invocations: 9, stateTransitions: 2 } as const;
/**
 * What one extra stream batch of the order adds: an invocation, a view write (keys and one index;
 * in a transaction with its updates when it has some), and the listeners check.
 */
const PER_EXTRA_STREAM_BATCH = { invocations: 1, writeUnits: 6, dynamoDbRequests: 2 } as const;

let oms: LocalOms;
let market: MeterReading;

beforeAll(async () => {
  oms = await startLocalOms({
    port: 0,
    meter: true,
    warmUp: false,
    sessionClose: newYorkTime(Date.now() + 12 * 3600_000),
    sessionDays: EVERY_DAY,
    logFile: process.env.OMS_E2E_LOG ?? '/dev/null',
  });
  const flow = flows(1).find((f) => f.name === 'market');
  if (flow === undefined) throw new Error('no market flow');
  // The first order of a local mode without its warm-up may time out cold on a loaded machine:
  // the harness's warm order retries it (same client_order_id). Then the flow once more to load
  // every function on its path, then the measured order.
  await warmOrder(OmsHttp.forDemo(oms));
  await measureFlow(oms, flow, 'BUDGETA');
  market = await measureFlow(oms, flow, 'BUDGETB');
}, OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  await oms?.stop();
});

const invocationsOf = (r: MeterReading, fn: string) =>
  Object.entries(r.lambda)
    .filter(([id]) => id.includes(fn))
    .reduce((n, [, u]) => n + u.invocations, 0);

test('a filled market order stays within the per-order budget', () => {
  const oms1 = omsShare(market);
  const measured = {
    dynamoDbRequests: dynamoDbTotals(oms1).requests,
    writeUnits: dynamoDbTotals(oms1).writeUnits,
    invocations: lambdaTotals(market).invocations,
    stateTransitions: sumCounts(market.stateTransitions),
  };
  const extraStream = Math.max(0, invocationsOf(market, 'OrderStream') - 2);
  const extraReports = Math.max(0, invocationsOf(market, 'ApplyExecutionReport') - 1);
  console.log(
    `per-order budget, market order: ${JSON.stringify(measured)} (budget ${JSON.stringify(BUDGET)}; extra batches: stream ${extraStream}, reports ${extraReports})`,
  );
  const extra = PER_EXTRA_STREAM_BATCH;
  expect(measured.stateTransitions).toBeLessThanOrEqual(BUDGET.stateTransitions);
  expect(measured.dynamoDbRequests).toBeLessThanOrEqual(
    BUDGET.dynamoDbRequests + extraStream * extra.dynamoDbRequests + extraReports,
  );
  expect(measured.writeUnits).toBeLessThanOrEqual(BUDGET.writeUnits + extraStream * extra.writeUnits);
  expect(measured.invocations).toBeLessThanOrEqual(
    BUDGET.invocations + extraStream * extra.invocations + extraReports,
  );
  // The order's events are written at five moments (the submission, the routing decision, the
  // venue's acknowledgement, its fill, the position), each of which may come in a batch of its own
  // under load; two batches are the fewest: at most three extra stream batches, one extra report batch.
  expect(extraStream).toBeLessThanOrEqual(3);
  expect(extraReports).toBeLessThanOrEqual(1);
});

test('the meter saw the whole path: one HTTP request, the order events on the bus, one workflow', () => {
  expect(market.httpRequests).toBe(1);
  expect(Object.keys(market.events).sort()).toEqual(
    expect.arrayContaining(['OrderAccepted', 'OrderFilled', 'OrderSubmitted']),
  );
  expect(Object.keys(market.stateTransitions)).toHaveLength(1);
});
