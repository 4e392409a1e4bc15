/**
 * The account's executions recorded but not yet in its ledger, against DynamoDB Local
 * (lambdas/orders/pending-executions.ts). CI saw a no-short account's sell of 4, sent as soon as
 * GET /v2/orders showed its buy of 10 filled, refused `short_sale` ("0 available"): the position
 * keeper had not applied the fill yet. Whoever is about to decide on the ledger's position first
 * waits until every fill the event store has recorded (for the orders in scope) has its applied
 * marker, the marker the keeper writes with the ledger in one transaction.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  execute,
  type OrderCommand,
  type OrderState,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { EventStore } from '../../lambdas/event-store/event-store.js';
import { appliedMarkerId } from '../../lambdas/orders/account-ledger.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';
import {
  awaitPendingExecutions,
  IN_FLIGHT_MS,
  type PendingExecutionsDeps,
  type PendingExecutionsScope,
} from '../../lambdas/orders/pending-executions.js';
import { rateWindowUpdate } from '../../lambdas/orders/recent-placements.js';
import { dynamoDbLocalWith, ordersWithOpenListing, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([
  table('idempotency', 'id'),
  ordersWithOpenListing(),
  table('events', 'orderId', 'seq'),
]);
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = local.doc;
});

const NOW = Date.parse('2026-12-07T15:00:00.500Z');
const MINUTE_AGO = NOW - 120_000;

/** Real time for the waits: the keeper stand-in below writes its marker on a real timer. */
function deps(): PendingExecutionsDeps {
  return {
    doc,
    store: new EventStore(doc, 'events'),
    tables: { idempotency: 'idempotency', orders: 'orders' },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    clock: Date.now,
  };
}

type Side = 'buy' | 'sell';
interface Placed {
  readonly orderId: string;
  readonly execIds: readonly string[];
}

/**
 * An order of the account, filled 10 (one execution), appended to the event store; named in its rate window when `placedAt` is within
 * the minute; its view written (as of `view`: `none`, `open`, or `filled`).
 */
async function order(
  accountId: string,
  o: {
    symbol?: string;
    side?: Side;
    placedAt?: number;
    view?: 'none' | 'open' | 'filled';
  } = {},
): Promise<Placed> {
  const orderId = randomUUID();
  const v = validateOrderRequest(
    { symbol: o.symbol ?? 'ACME', qty: '10', side: o.side ?? 'buy', type: 'market', time_in_force: 'day' },
    { now: NOW },
  );
  if (!v.ok) throw new Error('bad order');
  const execId = `${orderId}:e1`;
  const accept: OrderCommand = { type: 'accept', venueOrderId: `v-${orderId}` };
  const fill: OrderCommand = {
    type: 'fill',
    execId,
    lastQty: '10',
    lastPx: '10',
  };
  let state: OrderState | undefined;
  let open: OrderState | undefined;
  const events = [];
  for (const c of [{ type: 'submit', orderId, accountId, order: v.order } as OrderCommand, accept, fill]) {
    const r = execute(state, c, NOW);
    if (!r.decision.ok) throw new Error(`refused: ${c.type}`);
    events.push(...r.decision.events);
    open = state;
    state = r.state;
  }
  await new EventStore(doc, 'events').append(events, { accountId, correlationId: 'c', causationId: 'c' });
  const placedAt = o.placedAt ?? NOW;
  if (placedAt > NOW - 60_000)
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Update: rateWindowUpdate('idempotency', accountId, [orderId], placedAt, null) }],
      }),
    );
  const view = o.view ?? 'none';
  if (view !== 'none') {
    const as = view === 'open' ? open : state;
    await doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(as as OrderState) }));
  }
  return { orderId, execIds: [execId] };
}

/** What the position keeper writes with the ledger: the execution's applied marker, at the ledger's seq. */
async function applied(p: Placed, positionSeq = 1): Promise<void> {
  for (const execId of p.execIds)
    await doc.send(
      new PutCommand({
        TableName: 'idempotency',
        Item: { id: appliedMarkerId(p.orderId, execId), positionSeq },
      }),
    );
}

const account = () => `acct-${randomUUID().slice(0, 8)}`;
const SELLS_OF_ACME: PendingExecutionsScope = { symbol: 'acme', side: 'buy' };

describe('awaitPendingExecutions', () => {
  type Setup = (a: string) => Promise<void>;
  type Outcome = 'none' | 'applied' | 'timed_out';
  // biome-ignore format: a table
  const rows: [string, PendingExecutionsScope, Setup, Outcome][] = [
    ['no orders at all',                                                 SELLS_OF_ACME, async () => {}, 'none'],
    ['a buy filled and applied',                                         SELLS_OF_ACME, async (a) => applied(await order(a)), 'none'],
    ['a buy filled, not applied, placed a moment ago (no view)',         SELLS_OF_ACME, async (a) => { await order(a); }, 'timed_out'],
    ['a resting buy placed 2 min ago, listed open, filled now',          SELLS_OF_ACME, async (a) => { await order(a, { placedAt: MINUTE_AGO, view: 'open' }); }, 'timed_out'],
    ['its view shows it filled: the keeper ran before the view',         SELLS_OF_ACME, async (a) => { await order(a, { view: 'filled' }); }, 'none'],
    ['another symbol pending',                                           SELLS_OF_ACME, async (a) => { await order(a, { symbol: 'OTHER' }); }, 'none'],
    ['a sell pending: a long position does not grow by it',              SELLS_OF_ACME, async (a) => { await order(a, { side: 'sell' }); }, 'none'],
    ['a sell pending, asked for sells of any symbol (cash)',             { side: 'sell' }, async (a) => { await order(a, { side: 'sell', symbol: 'OTHER' }); }, 'timed_out'],
    ['another account\'s order pending',                                SELLS_OF_ACME, async () => { await order(account()); }, 'none'],
  ];

  it.each(rows)('%s', async (_, scope, setup, expected) => {
    const a = account();
    await setup(a);
    expect(await awaitPendingExecutions(deps(), a, NOW, scope, 300)).toBe(expected);
  });

  it(`an execution recorded over ${IN_FLIGHT_MS / 1000} s ago and still not applied is stuck (an operator exception), not waited for`, async () => {
    const a = account();
    await order(a);
    expect(await awaitPendingExecutions(deps(), a, NOW + IN_FLIGHT_MS - 1, SELLS_OF_ACME, 300)).toBe(
      'timed_out',
    );
    expect(await awaitPendingExecutions(deps(), a, NOW + IN_FLIGHT_MS + 1, SELLS_OF_ACME, 300)).toBe('none');
  });

  it('waits while the keeper has not applied the fill, and answers `applied` once it has', async () => {
    const a = account();
    const pending = [await order(a), await order(a, { placedAt: MINUTE_AGO, view: 'open' })];
    let keeperRan = false;
    const keeper = new Promise<void>((resolve) =>
      setTimeout(() => {
        keeperRan = true;
        void Promise.all(pending.map(applied)).then(() => resolve());
      }, 400),
    );
    const outcome = await awaitPendingExecutions(deps(), a, NOW, SELLS_OF_ACME, 20_000);
    await keeper;
    expect({ outcome, keeperRan }).toEqual({ outcome: 'applied', keeperRan: true });
  });
});
