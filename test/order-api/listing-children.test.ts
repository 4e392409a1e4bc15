/**
 * The Alpaca listing leaves out the orders the OMS places itself (a split's and an algorithm's
 * child orders), against DynamoDB Local with the read model's listing indexes as the stack defines
 * them (INCLUDE projections, lib/event-store.ts). A probe with the unmodified Alpaca SDK saw a
 * routed market order listed next to its children, the listed quantities adding up to twice the
 * order, and `nested=true` fold the children into the parent as `legs` of a `simple` order.
 * A bracket's legs are the client's orders and stay listed (and folded when nested).
 */
import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Contingency,
  execute,
  type OrderCommand,
  type OrderState,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import {
  assembleList,
  type ListParams,
  listedPage,
  withCurrentLegs,
} from '../../lambdas/order-api/query-orders.js';
import type { GroupReader } from '../../lambdas/orders/contingent-groups.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';
import { dynamoDbLocalWith, ordersWithListings } from '../local/fixtures/dynamodb-tables.js';
import { listParams } from './fixtures.js';

const orders = ordersWithListings();
const local = dynamoDbLocalWith([orders]);

const NOW = Date.parse('2026-12-07T15:00:00.000Z');

/** An order's state after `commands`, placed `atMs` after NOW, as `contingency` says. */
function order(
  orderId: string,
  accountId: string,
  qty: string,
  contingency: Contingency | undefined,
  atMs: number,
): OrderState {
  const v = validateOrderRequest(
    { symbol: 'ACME', qty, side: 'buy', type: 'limit', time_in_force: 'day', limit_price: '10' },
    { now: NOW },
  );
  if (!v.ok) throw new Error('bad order');
  const steps: OrderCommand[] = [
    { type: 'submit', orderId, accountId, order: v.order, ...(contingency ? { contingency } : {}) },
    { type: 'accept', venueOrderId: `v-${orderId}` },
  ];
  let state: OrderState | undefined;
  for (const c of steps) {
    const r = execute(state, c, NOW + atMs);
    if (!r.decision.ok) throw new Error(`refused: ${c.type}`);
    state = r.state;
  }
  return state as OrderState;
}

/** A group member; the root (no parent) names its legs. */
const member = (
  groupId: string,
  orderClass: Contingency['orderClass'],
  role: Contingency['role'],
  legOrderIds: readonly string[] = [],
): Contingency => ({
  groupId,
  orderClass,
  role,
  parentOrderId: role === 'entry' || role === 'algo_parent' ? null : groupId,
  legOrderIds,
  held: false,
});

const params = listParams;

/** A split parent with two children, a TWAP-like parent with one, a bracket with its two legs. */
async function seedWithStates(accountId: string) {
  const id = (name: string) => `${accountId}-${name}`;
  const states = [
    order(id('split'), accountId, '300', undefined, 0),
    order(id('split-c1'), accountId, '100', member(id('split'), 'algo', 'algo_child'), 1),
    order(id('split-c2'), accountId, '200', member(id('split'), 'algo', 'algo_child'), 2),
    order(id('twap'), accountId, '50', member(id('twap'), 'algo', 'algo_parent'), 3),
    order(id('twap-c1'), accountId, '10', member(id('twap'), 'algo', 'algo_child'), 4),
    order(id('entry'), accountId, '5', member(id('entry'), 'bracket', 'entry', [id('tp'), id('sl')]), 5),
    order(id('tp'), accountId, '5', member(id('entry'), 'bracket', 'take_profit'), 6),
    order(id('sl'), accountId, '5', member(id('entry'), 'bracket', 'stop_loss'), 7),
  ];
  for (const s of states)
    await local.doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(s) }));
  return { id, states };
}

async function seed(accountId: string) {
  return (await seedWithStates(accountId)).id;
}

// biome-ignore format: a table
const listings: [string, Partial<ListParams>][] = [
  ['open (byAccountOpen)',              { status: 'open' }],
  ['all (byAccount)',                   { status: 'all' }],
  ['all of a symbol (byAccountSymbol)', { status: 'all', symbols: ['ACME'] }],
  ['open of a symbol (a filter too)',   { status: 'open', symbols: ['ACME'] }],
  ['all, newest first',                 { status: 'all', direction: 'desc' }],
];

describe('the OMS’s child orders are not listed; the client’s orders, legs included, are', () => {
  it.each(listings)('%s', async (_, p) => {
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    const id = await seed(accountId);
    const page = await listedPage(local.doc, 'orders', params(p), accountId);
    const listed = page.map((i) => i.orderId);
    const expected = ['split', 'twap', 'entry', 'tp', 'sl'].map(id);
    expect(listed).toEqual(p.direction === 'desc' ? [...expected].reverse() : expected);
  });

  it('a limit counts listed orders only: the children the index skips do not shorten the page', async () => {
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    const id = await seed(accountId);
    const page = await listedPage(local.doc, 'orders', params({ status: 'all', limit: 2 }), accountId);
    expect(page.map((i) => i.orderId)).toEqual([id('split'), id('twap')]);
  });

  it("children ahead of the client's order: later pages read more, so limit=1 is a few Queries, not one per child", async () => {
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    const parent = order(
      `${accountId}-iceberg`,
      accountId,
      '40',
      member(`${accountId}-iceberg`, 'algo', 'algo_parent'),
      0,
    );
    await local.doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(parent) }));
    for (let i = 1; i <= 40; i++) {
      const child = order(
        `${accountId}-c${i}`,
        accountId,
        '1',
        member(parent.orderId, 'algo', 'algo_child'),
        i,
      );
      await local.doc.send(new PutCommand({ TableName: 'orders', Item: orderViewItem(child) }));
    }
    const send = jest.spyOn(local.doc, 'send');
    try {
      const page = await listedPage(
        local.doc,
        'orders',
        params({ status: 'all', direction: 'desc', limit: 1 }),
        accountId,
      );
      expect(page.map((i) => i.orderId)).toEqual([parent.orderId]);
      const queries = send.mock.calls.filter(([command]) => command instanceof QueryCommand);
      // Pages of 1, 4, 16, 64 items: the parent, behind 40 children, is on the fourth.
      expect(queries.length).toBeLessThanOrEqual(4);
    } finally {
      send.mockRestore();
    }
  });

  /** The seeded orders as the event store would answer a nested listing (every one is open). */
  const readerOf = (states: readonly OrderState[]): GroupReader => {
    const byId = new Map(states.map((s) => [s.orderId, s]));
    return {
      rootIsOpen: async (groupId) => byId.has(groupId),
      legsOf: async (rootId) =>
        (byId.get(rootId)?.contingency?.legOrderIds ?? []).map((id) =>
          toAlpacaOrder(byId.get(id) as OrderState),
        ),
    };
  };

  it('nested: the bracket keeps its legs; a split parent has none (its children are not legs)', async () => {
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    const { id, states } = await seedWithStates(accountId);
    const groups = readerOf(states);
    const p = params({ status: 'all', nested: true });
    const top = assembleList([await listedPage(local.doc, 'orders', p, accountId, groups)], p);
    const list = await withCurrentLegs(top, groups);
    expect(list.map((o) => [o.id, (o.legs ?? []).map((l) => l.id)])).toEqual([
      [id('split'), []],
      [id('twap'), []],
      [id('entry'), [id('tp'), id('sl')]],
    ]);
  });

  // SDK probe (stop 41): newest first with limit=2, the page was the two legs, listed top-level
  // without their root. The query leaves legs out (all, closed) or reads whether their root is open
  // (open): the limit counts the top level only.
  it.each([['all' as const], ['open' as const]])(
    'nested, %s, newest first, limit=2: the bracket and the next root, never its legs on their own',
    async (status) => {
      const accountId = `acct-${randomUUID().slice(0, 8)}`;
      const { id, states } = await seedWithStates(accountId);
      const groups = readerOf(states);
      const p = params({ status, nested: true, direction: 'desc', limit: 2 });
      const page = await listedPage(local.doc, 'orders', p, accountId, groups);
      expect(page.map((i) => i.orderId)).toEqual([id('entry'), id('twap')]);
    },
  );
});
