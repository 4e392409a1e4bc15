/**
 * Sells of an account that may not sell short, serialized through the position's closing claims,
 * against DynamoDB Local (lambdas/orders/position-availability.ts, closing-claims.ts): probes'
 * concurrent sells (two notional sells of $6,000 and $6,001 on 100 shares at $100; market sells of
 * 40 and 41 with a notional $4,000) each read the same position and left the account short. Each
 * sell here reads the availability and writes its claim over the version read, with its rate window
 * (what the placing transaction does in orders-service.ts), and reads again when it lost the race:
 * only the sells that fit are placed, whatever the interleaving.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  execute,
  formatNanos,
  nanos,
  type OrderCommand,
  type OrderState,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { cancellationCodes, EventStore } from '../../lambdas/event-store/event-store.js';
import { ledgerPk } from '../../lambdas/orders/account-ledger.js';
import { closingClaimsPut } from '../../lambdas/orders/closing-claims.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';
import {
  awaitHoldingViews,
  CLOSING_CLAIMS_ATTEMPTS,
  closingPartOf,
  HOLDING_VIEWS_WAIT_MS,
  noShortSellOf,
  readPositionAvailability,
  reducingOrderOf,
} from '../../lambdas/orders/position-availability.js';
import { rateWindowUpdate } from '../../lambdas/orders/recent-placements.js';
import { ENV } from '../../lambdas/platform/config.js';
import { dynamoDbLocalWith, ordersWithOpenListing, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([
  table('idempotency', 'id'),
  ordersWithOpenListing(),
  table('events', 'orderId', 'seq'),
  table('accounts', 'pk'),
]);
let doc: DynamoDBDocumentClient;
let store: EventStore;
beforeAll(() => {
  doc = local.doc;
  store = new EventStore(doc, 'events');
  process.env[ENV.idempotencyTable] = 'idempotency';
  process.env[ENV.ordersTable] = 'orders';
  process.env[ENV.accountsTable] = 'accounts';
  process.env[ENV.eventStoreTable] = 'events';
});

const SYMBOL = 'SELLQ';
/** A sell's notional shares are counted at the lower of the reference ($100) and the bid ($99.99). */
const PRICE = nanos('99.99');

async function longPosition(qty: string): Promise<string> {
  const accountId = `acct-${randomUUID().slice(0, 8)}`;
  await doc.send(
    new PutCommand({
      TableName: 'accounts',
      Item: {
        pk: ledgerPk(accountId),
        seq: 1,
        cashFlow: '0',
        positions: { [SYMBOL]: { qty, avgEntryPrice: '100', costBasis: '0' } },
        dayTrades: [],
      },
    }),
  );
  return accountId;
}

type Sell = { qty: string } | { notional: string };

type Read = Awaited<ReturnType<typeof noShortSellOf>>;

/** One sell as placeOrder places it: read, refuse or write the claim over the version read; again on a lost race. */
async function sell(accountId: string, order: Sell, now: number): Promise<'placed' | 'refused' | 'gave_up'> {
  return place(accountId, 'sell', now, () =>
    noShortSellOf(
      doc,
      accountId,
      {
        symbol: SYMBOL,
        qty: 'qty' in order ? nanos(order.qty) : null,
        notional: 'notional' in order ? nanos(order.notional) : null,
      },
      now,
      { store, price: PRICE },
    ),
  );
}

async function place(
  accountId: string,
  side: 'buy' | 'sell',
  now: number,
  readNow: () => Promise<Read>,
): Promise<'placed' | 'refused' | 'gave_up'> {
  for (let attempt = 1; attempt <= CLOSING_CLAIMS_ATTEMPTS * 4; attempt++) {
    const read = await readNow();
    if (read.kind === 'refused') return 'refused';
    const orderId = randomUUID();
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            closingClaimsPut(
              'idempotency',
              accountId,
              SYMBOL,
              read.read.claims,
              read.read.availability.claims,
              {
                orderId,
                side,
                qty: read.shares,
                placedAt: now,
              },
            ),
            { Update: rateWindowUpdate('idempotency', accountId, [orderId], now, null) },
          ],
        }),
      );
      return 'placed';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes === null) throw err;
      // ConditionalCheckFailed: another sell committed first; TransactionConflict: at the same moment.
    }
  }
  return 'gave_up';
}

const NOW = Date.parse('2026-12-05T15:00:00.000Z');

describe('concurrent sells of an account that may not sell short: only those that fit are placed', () => {
  // biome-ignore format: a table
  const rounds: [string, string, Sell[], number][] = [
    // what, position, sells (at once), how many fit
    ['two sells of 60 on 100: one',                                '100', [{ qty: '60' }, { qty: '60' }], 1],
    ['notional $6,000 and $6,001 on 100 at $99.99: one',           '100', [{ notional: '6000' }, { notional: '6001' }], 1],
    ['40, 41 and a notional $4,000 (40.004 shares) on 100: two',   '100', [{ qty: '40' }, { qty: '41' }, { notional: '4000' }], 2],
    ['four sells of 25 on 100: all four',                          '100', [{ qty: '25' }, { qty: '25' }, { qty: '25' }, { qty: '25' }], 4],
  ];
  it.each(rounds)('%s', async (_what, position, sells, fit) => {
    const accountId = await longPosition(position);
    const outcomes = await Promise.all(sells.map((s) => sell(accountId, s, NOW)));
    expect(outcomes.filter((o) => o === 'placed')).toHaveLength(fit);
    expect(outcomes).not.toContain('gave_up');
    // What the placed claims hold never passes the position.
    const after = await readPositionAvailability(doc, accountId, SYMBOL, NOW, {
      store,
      price: async () => PRICE,
    });
    expect(after.availability.held <= nanos(position)).toBe(true);
    expect(formatNanos(after.availability.held + after.availability.available)).toBe(position);
  });

  it('a sell placed a moment before, not yet in the open listing nor claimed, holds its qty (a close after it sees it)', async () => {
    const accountId = await longPosition('100');
    // Only the rate window names it (a sell placed before the claims existed, or by another path)
    // and its view is open: 60 of 100 held.
    const orderId = randomUUID();
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Update: rateWindowUpdate('idempotency', accountId, [orderId], NOW, null) }],
      }),
    );
    await doc.send(
      new PutCommand({
        TableName: 'orders',
        Item: {
          orderId,
          accountId,
          order: {
            id: orderId,
            symbol: SYMBOL,
            side: 'sell',
            type: 'market',
            status: 'new',
            qty: '60',
            notional: null,
            filled_qty: '0',
            filled_avg_price: null,
            created_at: new Date(NOW).toISOString(),
          },
        },
      }),
    );
    const read = await readPositionAvailability(doc, accountId, SYMBOL, NOW, {
      store,
      price: async () => null,
    });
    expect(formatNanos(read.availability.available)).toBe('40');
    expect(await sell(accountId, { qty: '41' }, NOW)).toBe('refused');
    expect(await sell(accountId, { qty: '40' }, NOW)).toBe('placed');
  });

  it("a bracket's two exits placed a moment before, not listed yet: the group holds its 60 once (they were counted twice, 120 of 100)", async () => {
    const accountId = await longPosition('100');
    const exit = (role: 'take_profit' | 'stop_loss') => ({
      orderId: `${accountId}-${role}`,
      accountId,
      groupId: `${accountId}-entry`,
      parentOrderId: `${accountId}-entry`,
      contingencyRole: role,
      order: {
        id: `${accountId}-${role}`,
        symbol: SYMBOL,
        side: 'sell',
        type: role === 'take_profit' ? 'limit' : 'stop',
        status: 'new',
        qty: '60',
        filled_qty: '0',
        created_at: new Date(NOW).toISOString(),
      },
    });
    const exits = [exit('take_profit'), exit('stop_loss')];
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: rateWindowUpdate(
              'idempotency',
              accountId,
              exits.map((e) => e.orderId),
              NOW,
              null,
            ),
          },
        ],
      }),
    );
    for (const Item of exits) await doc.send(new PutCommand({ TableName: 'orders', Item }));
    const read = await readPositionAvailability(doc, accountId, SYMBOL, NOW, {
      store,
      price: async () => null,
    });
    expect(formatNanos(read.availability.available)).toBe('40');
    expect(await sell(accountId, { qty: '40' }, NOW)).toBe('placed');
  });
});

describe('buys of a short: a short is not bought into a long (short_cover, Alpaca: close the short first)', () => {
  const buy = (accountId: string, qty: string) =>
    place(accountId, 'buy', NOW, () =>
      closingPartOf(doc, accountId, { symbol: SYMBOL, side: 'buy', qty: nanos(qty), notional: null }, NOW, {
        store,
        price: PRICE,
      }),
    );

  // biome-ignore format: a table
  const rounds: [string, string, string[], number][] = [
    // what, position, buys (at once), how many are placed
    ['the whole short: placed',                          '-10', ['10'],            1],
    ['one share past the short: refused',                '-10', ['11'],            0],
    ['two buys of 6 on a short of 10: one',              '-10', ['6', '6'],        1],
    ['three buys of 3 on a short of 10: all three',      '-10', ['3', '3', '3'],   3],
    ['a buy while flat opens a long: not this rule',     '0',   ['5'],             1],
  ];
  it.each(rounds)('%s', async (_what, position, buys, placed) => {
    const accountId = await longPosition(position);
    const outcomes = await Promise.all(buys.map((q) => buy(accountId, q)));
    expect(outcomes.filter((o) => o === 'placed')).toHaveLength(placed);
    expect(outcomes).not.toContain('gave_up');
  });

  it("the refusal: Alpaca's words and numbers, what other buys hold counted", async () => {
    const accountId = await longPosition('-10');
    expect(await buy(accountId, '4')).toBe('placed');
    const read = await closingPartOf(
      doc,
      accountId,
      { symbol: SYMBOL, side: 'buy', qty: nanos('7'), notional: null },
      NOW,
      { store, price: PRICE },
    );
    expect(read).toEqual({
      kind: 'refused',
      refusal: {
        rule: 'short_cover',
        limit: 'no buy through a short',
        message: `short_cover: buy of 7 ${SYMBOL} exceeds the 6 available to cover (position -10, 4 held by open buy orders); a short is not bought into a long`,
        alpaca: {
          message: 'insufficient qty available for order (requested: 7, available: 6)',
          fields: {
            symbol: SYMBOL,
            requested: '7',
            available: '6',
            existing_qty: '-10',
            held_for_orders: '4',
          },
        },
      },
    });
  });
});

const REDUCING = {
  firm: null,
  account: {
    state: 'REDUCING',
    reason: 'drill',
    changedBy: 'op',
    changedAt: '2026-12-05T14:00:00Z',
    version: 1,
  },
} as const;

// A probe: five concurrent sells of 5 on a long of 10, the account REDUCING, all passed the core
// rule's unserialized read and rested (three rounds of three). Under the position's closing claims,
// only what reduces the position is placed, on either side.
describe('concurrent orders of an account whose trading state is REDUCING: only those that reduce it are placed', () => {
  const states = REDUCING;
  // biome-ignore format: a table
  const rounds: [string, string, 'buy' | 'sell', string[], number][] = [
    // what, position, side, quantities (at once), how many are placed
    ['five sells of 5 on a long of 10: two',   '10',  'sell', ['5', '5', '5', '5', '5'], 2],
    ['five buys of 5 on a short of 10: two',   '-10', 'buy',  ['5', '5', '5', '5', '5'], 2],
    ['3, 4 and 5 sold on a long of 10: two',   '10',  'sell', ['3', '4', '5'], 2],
    ['buys on a long of 10 add to it: none',   '10',  'buy',  ['1', '1'], 0],
    ['sells on a short of 10 add to it: none', '-10', 'sell', ['1', '1'], 0],
  ];
  it.each(rounds)('%s', async (_what, position, side, quantities, placed) => {
    const accountId = await longPosition(position);
    const outcomes = await Promise.all(
      quantities.map((qty) =>
        place(accountId, side, NOW, () =>
          reducingOrderOf(
            doc,
            accountId,
            { symbol: SYMBOL, side, qty, notional: null, orderClass: 'simple' },
            NOW,
            { store, price: PRICE, referencePrice: '100', states },
          ),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === 'placed')).toHaveLength(placed);
    expect(outcomes).not.toContain('gave_up');
    const after = await readPositionAvailability(doc, accountId, SYMBOL, NOW, {
      store,
      price: async () => PRICE,
    });
    expect(after.availability.held <= nanos(position.replace('-', ''))).toBe(true);
  });

  test("the refusal is the core rule's, from the serialized read", async () => {
    const accountId = await longPosition('10');
    expect(
      await place(accountId, 'sell', NOW, () =>
        reducingOrderOf(
          doc,
          accountId,
          { symbol: SYMBOL, side: 'sell', qty: '8', notional: null, orderClass: 'simple' },
          NOW,
          { store, price: PRICE, referencePrice: '100', states },
        ),
      ),
    ).toBe('placed');
    const second = await reducingOrderOf(
      doc,
      accountId,
      { symbol: SYMBOL, side: 'sell', qty: '3', notional: null, orderClass: 'simple' },
      NOW,
      { store, price: PRICE, referencePrice: '100', states },
    );
    expect(second).toMatchObject({
      kind: 'refused',
      refusal: {
        rule: 'reducing_only',
        message: expect.stringContaining(
          'sell of 3 SELLQ exceeds the 2 it can reduce (position 10, 8 held by open sell orders',
        ),
      },
    });
  });
});

describe('a fill counted twice, in the ledger and in the view of the order it filled (a moment behind), is awaited, not refused', () => {
  /** A sell of 60's events (accepted, then `fill` of it if given) and its view as of `viewAt` events. */
  async function sellOrder(accountId: string, fill: string | null, viewAt: number) {
    const v = validateOrderRequest(
      { symbol: SYMBOL, qty: '60', side: 'sell', type: 'market', time_in_force: 'day' },
      { now: NOW },
    );
    if (!v.ok) throw new Error('bad order');
    const orderId = randomUUID();
    const commands: OrderCommand[] = [
      { type: 'submit', orderId, accountId, order: v.order },
      { type: 'accept', venueOrderId: `v-${orderId}` },
      ...(fill === null
        ? []
        : [{ type: 'fill', execId: 'e1', lastQty: fill, lastPx: '100' } as OrderCommand]),
    ];
    let state: OrderState | undefined;
    const states: OrderState[] = [];
    const events = [];
    for (const c of commands) {
      const r = execute(state, c, NOW);
      if (!r.decision.ok) throw new Error(`refused: ${c.type}`);
      events.push(...r.decision.events);
      state = r.state;
      states.push(r.state as OrderState);
    }
    await store.append(events, { accountId, correlationId: 'c', causationId: 'c' });
    const viewOf = (s: OrderState) =>
      doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(s) }));
    await viewOf(states[viewAt - 1] as OrderState);
    return { orderId, projectLast: () => viewOf(states[states.length - 1] as OrderState) };
  }

  // biome-ignore format: a table
  const cases: [string, string, string | null, number, boolean, 'placed' | 'refused'][] = [
    // what, ledger position, the sell's fill, its view at event #, the projector catches up, a sell of 40
    ['filled 60 of 100, in the ledger (40 left), the view at its acceptance; the projector writes it: placed', '40', '60', 2, true, 'placed'],
    ['the same, the projector never catches up within the waits: refused (the safe side)',                     '40', '60', 2, false, 'refused'],
    ['resting, its view current (no event after it), 100 held 60: 40 fit',                                     '100', null, 2, false, 'placed'],
    ['resting, its view current, the ledger holds 90: 40 of 30 left refused at once',                          '90', null, 2, false, 'refused'],
  ];
  it.each(cases)('%s', async (_what, position, fill, viewAt, catchesUp, outcome) => {
    const accountId = await longPosition(position);
    const { orderId, projectLast } = await sellOrder(accountId, fill, viewAt);
    const projector = catchesUp ? sleep(120).then(projectLast) : Promise.resolve();
    expect(await sell(accountId, { qty: '40' }, NOW)).toBe(outcome);
    await projector;
    if (!catchesUp && fill !== null)
      expect(await awaitHoldingViews(doc, store, [orderId], [])).toBe('behind');
  });

  // The same under REDUCING, on an account that may sell short (a review: reducingOrderOf refused
  // the rest of a position at once while the filled sell's view still held it).
  it.each(cases)('REDUCING: %s', async (_what, position, fill, viewAt, catchesUp, outcome) => {
    const accountId = await longPosition(position);
    const { projectLast } = await sellOrder(accountId, fill, viewAt);
    const projector = catchesUp ? sleep(120).then(projectLast) : Promise.resolve();
    const reducing = () =>
      reducingOrderOf(
        doc,
        accountId,
        { symbol: SYMBOL, side: 'sell', qty: '40', notional: null, orderClass: 'simple' },
        NOW,
        { store, price: PRICE, referencePrice: '100', states: REDUCING },
      );
    expect(await place(accountId, 'sell', NOW, reducing)).toBe(outcome);
    await projector;
  });

  // A view is a stream hop behind its fill: Lambda polls about four times a second, then the
  // projector's batch runs; 1.55 s of waits ran out once under CI load (stop 42).
  it('a refusal waits at least 3 s in all for the holding views, within an API function 10 s', () => {
    const total = HOLDING_VIEWS_WAIT_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThanOrEqual(3000);
    expect(total).toBeLessThanOrEqual(5000);
  });

  it('awaitHoldingViews: current when no event follows a view, caught_up once the view moved, behind when the waits ran out', async () => {
    const accountId = await longPosition('40');
    const resting = await sellOrder(accountId, null, 2);
    expect(await awaitHoldingViews(doc, store, [resting.orderId], [])).toBe('current');
    const filled = await sellOrder(accountId, '60', 2);
    expect(await awaitHoldingViews(doc, store, [filled.orderId, resting.orderId], [])).toBe('behind');
    const projector = sleep(100).then(filled.projectLast);
    expect(await awaitHoldingViews(doc, store, [filled.orderId, resting.orderId], [50, 100, 200, 400])).toBe(
      'caught_up',
    );
    await projector;
    expect(await awaitHoldingViews(doc, store, [], [])).toBe('current');
  });
});
