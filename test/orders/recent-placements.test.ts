/**
 * The account's recent placements against DynamoDB Local (lambdas/orders/recent-placements.ts): a
 * cancel-all sent a moment after an order was placed read only the read model's listing, which did
 * not show the order yet, and left it live. The placing transaction now names the order in its
 * rate window; whoever must see every open order reads the last minute's windows consistently.
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Contingency,
  execute,
  type OrderCommand,
  type OrderState,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { cancellationCodes, EventStore } from '../../lambdas/event-store/event-store.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';
import {
  ordersAsTheyAreNow,
  RECENT_PLACEMENTS_SECONDS,
  rateWindowUpdate,
  recentlyPlacedIds,
  recentPlacementUpdate,
} from '../../lambdas/orders/recent-placements.js';
import { recentOpenViews, recentSellViews } from '../../lambdas/orders/recent-views.js';
import type { View } from '../../lambdas/orders/risk-context.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([
  table('idempotency', 'id'),
  table('orders', 'orderId'),
  table('events', 'orderId', 'seq'),
]);
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = local.doc;
});

const NOW = Date.parse('2026-12-05T15:00:00.500Z');
const account = () => `acct-${randomUUID().slice(0, 8)}`;

/** One placing transaction's window item, alone: 'placed' or 'rate_limited' (a conflict: again). */
async function place(accountId: string, ids: readonly string[], at: number, limit: number | null) {
  for (;;) {
    try {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [{ Update: rateWindowUpdate('idempotency', accountId, ids, at, limit) }],
        }),
      );
      return 'placed';
    } catch (err) {
      const codes = cancellationCodes(err);
      if (codes?.[0] === 'ConditionalCheckFailed') return 'rate_limited';
      if (codes === null || codes[0] !== 'TransactionConflict') throw err;
    }
  }
}

describe('the rate window names the orders placed in it', () => {
  it('of 8 concurrent placements against a limit of 5, the 5 placed are named, and only they', async () => {
    const a = account();
    const ids = Array.from({ length: 8 }, (_, i) => `o${i}`);
    const outcomes = await Promise.all(ids.map((id) => place(a, [id], NOW, 5)));
    const placed = ids.filter((_, i) => outcomes[i] === 'placed');
    expect(placed).toHaveLength(5);
    expect((await recentlyPlacedIds(doc, 'idempotency', a, NOW)).sort()).toEqual(placed.sort());
  });

  it('an account without a rate limit: every order named, with its group members', async () => {
    const a = account();
    await Promise.all([place(a, ['b1', 'b1-tp', 'b1-sl'], NOW, null), place(a, ['o2'], NOW, null)]);
    expect((await recentlyPlacedIds(doc, 'idempotency', a, NOW)).sort()).toEqual([
      'b1',
      'b1-sl',
      'b1-tp',
      'o2',
    ]);
  });

  // biome-ignore format: a table
  const windows: [string, number, boolean][] = [
    ['placed this second',                                   0,                               true],
    [`placed ${RECENT_PLACEMENTS_SECONDS} s before: read`,   -RECENT_PLACEMENTS_SECONDS,      true],
    [`placed ${RECENT_PLACEMENTS_SECONDS + 1} s before: not`, -RECENT_PLACEMENTS_SECONDS - 1, false],
    ['placed by a clock 1 s ahead: read',                    1,                               true],
  ];
  it.each(windows)('%s', async (_, offsetSeconds, read) => {
    const a = account();
    await place(a, ['o1'], NOW + offsetSeconds * 1000, null);
    await place(account(), ['other-account'], NOW, null);
    expect(await recentlyPlacedIds(doc, 'idempotency', a, NOW)).toEqual(read ? ['o1'] : []);
  });
});

describe("a PATCH's replacement is named in the window, without counting as a placement", () => {
  const name = (accountId: string, ids: readonly string[], at: number) =>
    doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Update: recentPlacementUpdate('idempotency', accountId, ids, at) }],
      }),
    );

  it('named first in its second: read with the placements, and the rate limit still counts them all', async () => {
    const a = account();
    await name(a, ['replacement-1'], NOW);
    const outcomes = [];
    for (const id of ['o1', 'o2', 'o3']) outcomes.push(await place(a, [id], NOW, 2));
    expect(outcomes).toEqual(['placed', 'placed', 'rate_limited']);
    expect((await recentlyPlacedIds(doc, 'idempotency', a, NOW)).sort()).toEqual([
      'o1',
      'o2',
      'replacement-1',
    ]);
  });

  it('named after placements: they keep their count', async () => {
    const a = account();
    await place(a, ['o1'], NOW, 2);
    await name(a, ['replacement-1'], NOW);
    expect(await place(a, ['o2'], NOW, 2)).toBe('placed');
    expect(await place(a, ['o3'], NOW, 2)).toBe('rate_limited');
  });
});

describe('which of them are open now', () => {
  const store = () => new EventStore(doc, 'events');
  function order(orderId: string, accountId: string, commands: readonly OrderCommand[]) {
    const v = validateOrderRequest(
      { symbol: 'ACME', qty: '10', side: 'buy', type: 'limit', time_in_force: 'day', limit_price: '10' },
      { now: NOW },
    );
    if (!v.ok) throw new Error('bad order');
    const steps = [{ type: 'submit', orderId, accountId, order: v.order } as OrderCommand, ...commands];
    let state: OrderState | undefined;
    const events = [];
    for (const c of steps) {
      const r = execute(state, c, NOW);
      if (!r.decision.ok) throw new Error(`refused: ${c.type}`);
      events.push(...r.decision.events);
      state = r.state;
    }
    return { state: state as OrderState, events };
  }
  const accepted: OrderCommand = { type: 'accept', venueOrderId: 'v1' };
  const canceled: OrderCommand[] = [
    accepted,
    { type: 'requestCancel', requestedBy: 'bot' },
    { type: 'confirmCancel' },
  ];

  it('an open view, a closed view, an order with no view yet (the event store), another account', async () => {
    const a = account();
    const stored = async (id: string, owner: string, commands: readonly OrderCommand[], view: boolean) => {
      const o = order(id, owner, commands);
      await store().append(o.events, { accountId: owner, correlationId: 'c', causationId: 'c' });
      if (view) await doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(o.state) }));
    };
    const ids = {
      listedLate: `${a}-open-view`,
      closed: `${a}-closed-view`,
      unprojected: `${a}-no-view`,
      unprojectedClosed: `${a}-no-view-closed`,
      foreign: `${a}-foreign`,
    };
    await stored(ids.listedLate, a, [accepted], true);
    await stored(ids.closed, a, canceled, true);
    await stored(ids.unprojected, a, [accepted], false);
    await stored(ids.unprojectedClosed, a, canceled, false);
    await stored(ids.foreign, account(), [accepted], false);
    // Each named in the account's window, as its placing transaction names it.
    await place(a, Object.values(ids), NOW, null);
    const open = await recentOpenViews(
      doc,
      { idempotency: 'idempotency', orders: 'orders', store: store() },
      a,
      [],
      NOW,
    );
    expect(open.map((o) => [o.id, o.status]).sort()).toEqual(
      [
        [ids.listedLate, 'new'],
        [ids.unprojected, 'new'],
      ].sort(),
    );
  });

  it('as they are now: a view is kept unless an event follows it; no view or a view behind, the event store', async () => {
    const a = account();
    const ids = {
      openCurrent: `${a}-open-current`,
      openBehind: `${a}-open-behind`,
      closed: `${a}-closed`,
      noView: `${a}-no-view`,
      unknown: `${a}-unknown`,
    };
    const write = async (
      id: string,
      events: readonly OrderCommand[],
      viewOf: readonly OrderCommand[] | null,
    ) => {
      await store().append(order(id, a, events).events, {
        accountId: a,
        correlationId: 'c',
        causationId: 'c',
      });
      if (viewOf !== null)
        await doc.send(
          new PutCommand({ TableName: 'orders', Item: orderViewItem(order(id, a, viewOf).state) }),
        );
    };
    await write(ids.openCurrent, [accepted], [accepted]);
    // The cancel is in the event store; the view still shows the order accepted (a stream hop behind).
    await write(ids.openBehind, canceled, [accepted]);
    await write(ids.closed, canceled, canceled);
    await write(ids.noView, [accepted], null);
    const asked = [...Object.values(ids), ids.openCurrent];
    const checked: string[] = [];
    const { settled, loaded } = await ordersAsTheyAreNow(doc, { orders: 'orders', store: store() }, asked, {
      projection: ['status'],
      mayBeBehind: (view) => {
        checked.push(String(view.orderId));
        return view.status !== 'canceled';
      },
    });
    expect([...settled.keys()]).toEqual([ids.openCurrent, ids.closed]);
    expect(settled.get(ids.closed)).toMatchObject({ orderId: ids.closed, status: 'canceled' });
    expect(
      loaded.map((l) => [l.state?.orderId, l.state && toAlpacaOrder(l.state).status, l.events.length]),
    ).toEqual([
      [ids.openBehind, 'canceled', 4],
      [ids.noView, 'new', 2],
      [undefined, undefined, 0],
    ]);
    expect(checked.sort()).toEqual(
      Object.values(ids)
        .filter((id) => id !== ids.noView && id !== ids.unknown)
        .sort(),
    );
  });
});

// A sell replace's risk read of the sells placed a moment before, which the open listing does not
// show yet (lambdas/orders/recent-views.ts). Probe C of December 2026 repriced both exits of a
// bracket at once: the stop-loss's PATCH was refused 403 `insufficient qty`, its take-profit's
// replacement (opened a moment before, not listed) counted as another sell holding the shares,
// because these views carried no group: a group's members hold the same shares, one or the other
// executes (risk-context.ts `others`).
describe('the sells of the last minute the listing lacks, with their group keys', () => {
  const store = () => new EventStore(doc, 'events');
  const tables = () => ({ idempotency: 'idempotency', orders: 'orders', store: store() });
  const accepted: OrderCommand = { type: 'accept', venueOrderId: 'v1' };
  const canceled: OrderCommand[] = [
    accepted,
    { type: 'requestCancel', requestedBy: 'bot' },
    { type: 'confirmCancel' },
  ];
  const exitOf = (groupId: string, role: 'take_profit' | 'stop_loss'): Contingency => ({
    groupId,
    orderClass: 'bracket',
    role,
    parentOrderId: groupId,
    legOrderIds: [],
    held: false,
  });

  interface Placed {
    readonly side: 'buy' | 'sell';
    readonly commands: readonly OrderCommand[];
    readonly contingency?: Contingency;
    /** The projector has written its view (else only its events are stored). */
    readonly projected: boolean;
    /** Another account's order named in this account's window (never so; a guard). */
    readonly foreign?: boolean;
    /** Shown by the open listing already (so not read again). */
    readonly listed?: boolean;
  }

  async function placed(accountId: string, orderId: string, p: Placed): Promise<OrderState> {
    const v = validateOrderRequest(
      { symbol: 'ACME', qty: '10', side: p.side, type: 'limit', time_in_force: 'day', limit_price: '10' },
      { now: NOW },
    );
    if (!v.ok) throw new Error('bad order');
    const owner = p.foreign === true ? `other-${accountId}` : accountId;
    let state: OrderState | undefined;
    const events = [];
    for (const c of [
      {
        type: 'submit',
        orderId,
        accountId: owner,
        order: v.order,
        ...(p.contingency === undefined ? {} : { contingency: p.contingency }),
      } as OrderCommand,
      ...p.commands,
    ]) {
      const r = execute(state, c, NOW);
      if (!r.decision.ok) throw new Error(`refused: ${c.type}`);
      events.push(...r.decision.events);
      state = r.state;
    }
    await store().append(events, { accountId: owner, correlationId: 'c', causationId: 'c' });
    if (p.projected)
      await doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(state as OrderState) }));
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [{ Update: rateWindowUpdate('idempotency', accountId, [orderId], NOW, null) }],
      }),
    );
    return state as OrderState;
  }

  // biome-ignore format: a table
  const cases: [string, Placed, Pick<View, 'groupId' | 'contingencyRole' | 'parentOrderId'> | null][] = [
    ["a take-profit's replacement, its view written: with its group",      { side: 'sell', commands: [accepted], contingency: exitOf('g1', 'take_profit'), projected: true },  { groupId: 'g1', contingencyRole: 'take_profit', parentOrderId: 'g1' }],
    ['the same, no view yet (the event store): with its group',             { side: 'sell', commands: [accepted], contingency: exitOf('g1', 'take_profit'), projected: false }, { groupId: 'g1', contingencyRole: 'take_profit', parentOrderId: 'g1' }],
    ['a sell of no group, no view yet',                                     { side: 'sell', commands: [accepted], projected: false },                                            {}],
    ['a sell of no group, its view written',                                { side: 'sell', commands: [accepted], projected: true },                                             {}],
    ['a buy: not a sell',                                                   { side: 'buy', commands: [accepted], projected: false },                                             null],
    ['a canceled sell, its view written: not open',                         { side: 'sell', commands: canceled, projected: true },                                               null],
    ['a canceled sell, no view yet: not open',                              { side: 'sell', commands: canceled, projected: false },                                              null],
    ['a sell the listing shows: not read again',                            { side: 'sell', commands: [accepted], projected: true, listed: true },                               null],
    ["another account's sell: not this account's",                          { side: 'sell', commands: [accepted], projected: false, foreign: true },                             null],
  ];

  it.each(cases)('%s', async (_, given, keys) => {
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    const orderId = `${accountId}-o`;
    const state = await placed(accountId, orderId, given);
    const listed = given.listed === true ? [{ id: orderId } as View] : [];
    const views = await recentSellViews(doc, tables(), accountId, listed, NOW);
    if (keys === null) {
      expect(views).toEqual([]);
      return;
    }
    expect(views).toEqual([
      {
        id: orderId,
        symbol: 'ACME',
        side: 'sell',
        status: 'new',
        created_at: new Date(state.createdAt).toISOString(),
        qty: '10',
        type: 'limit',
        limit_price: '10',
        filled_qty: '0',
        // A view's stored document leaves out what is null; the event store's order has every key.
        ...(given.projected ? {} : { filled_avg_price: null, notional: null }),
        time_in_force: 'day',
        ...keys,
      },
    ]);
  });
});
