/**
 * A sell replace's risk read of the sells placed a moment before, which the open listing does not
 * show yet (lambdas/orders/recent-views.ts), against DynamoDB Local. Probe C of December 2026
 * repriced both exits of a bracket at once: the stop-loss's PATCH was refused 403 `insufficient
 * qty`, its take-profit's replacement (placed a moment before, not listed) counted as another sell
 * holding the shares, because these views carried no group: a group's members hold the same
 * shares, one or the other executes (risk-context.ts `others`).
 */
import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import {
  type Contingency,
  execute,
  type OrderCommand,
  type OrderState,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { EventStore } from '../../lambdas/event-store/event-store.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';
import { rateWindowUpdate } from '../../lambdas/orders/recent-placements.js';
import { recentSellViews } from '../../lambdas/orders/recent-views.js';
import type { View } from '../../lambdas/orders/risk-context.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([
  table('idempotency', 'id'),
  table('orders', 'orderId'),
  table('events', 'orderId', 'seq'),
]);
const NOW = Date.parse('2026-12-07T15:00:00.500Z');
const store = () => new EventStore(local.doc, 'events');
const tables = () => ({ idempotency: 'idempotency', orders: 'orders', store: store() });
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = local.doc;
});

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

async function place(accountId: string, orderId: string, p: Placed): Promise<OrderState> {
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

it.each(cases)('%s', async (_, placed, keys) => {
  const accountId = `acct-${randomUUID().slice(0, 8)}`;
  const orderId = `${accountId}-o`;
  const state = await place(accountId, orderId, placed);
  const listed = placed.listed === true ? [{ id: orderId } as View] : [];
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
      ...(placed.projected ? {} : { filled_avg_price: null, notional: null }),
      time_in_force: 'day',
      ...keys,
    },
  ]);
});
