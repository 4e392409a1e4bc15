/**
 * The group coordinator against an in-memory event store (the DynamoDB document client's Query,
 * Put and TransactWrite as the event store uses them): the group's members are placed and driven
 * through their own commands, their stored events are the stream records, and the coordinator's
 * writes are read back.
 */
import './env.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  contingentMembersOf,
  execute,
  formatNanos,
  type OrderCommand,
  type OrderSpec,
  type OrderState,
  type ReplaceChanges,
  statusOf,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { EventStore, runCommand, type StoredEvent } from '../../lambdas/event-store/event-store.js';
import { cancelRestOfExitGroup } from '../../lambdas/orders/contingent-groups.js';
import { replacementOpening } from '../../lambdas/orders/replacements.js';
import { coordinateBatch } from '../../lambdas/stream-consumers/order-group-coordinator.js';
import { T0 } from '../core/order-book.js';
import { insertRecord, streamEvent } from './records.js';

/** The event table in memory: conditional puts, consistent queries in seq order. */
class MemoryTable {
  readonly items = new Map<string, StoredEvent[]>();
  writes = 0;
  async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
    const input = command.input as {
      ExpressionAttributeValues?: Record<string, string>;
      Item?: StoredEvent;
      TableName?: string;
      TransactItems?: { Put?: { Item: StoredEvent; TableName: string } }[];
    };
    switch (command.constructor.name) {
      case 'QueryCommand':
        return { Items: [...(this.items.get(input.ExpressionAttributeValues?.[':id'] ?? '') ?? [])] };
      case 'PutCommand':
        this.put([input as { Item: StoredEvent; TableName: string }]);
        return {};
      case 'TransactWriteCommand':
        this.put((input.TransactItems ?? []).flatMap((t) => (t.Put === undefined ? [] : [t.Put])));
        return {};
      default:
        throw new Error(`unexpected ${command.constructor.name}`);
    }
  }
  private put(puts: { Item: StoredEvent; TableName: string }[]) {
    const events = puts.filter((p) => p.TableName === 'events').map((p) => p.Item);
    for (const e of events) {
      if ((this.items.get(e.orderId) ?? []).some((x) => x.seq === e.seq)) {
        throw Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
      }
    }
    this.writes++;
    for (const e of events) this.items.set(e.orderId, [...(this.items.get(e.orderId) ?? []), e]);
  }
}

const spec = (request: Record<string, unknown>): OrderSpec => {
  const v = validateOrderRequest(request, { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
};
const bracketRequest = {
  symbol: 'ACME',
  qty: '100',
  side: 'buy',
  type: 'limit',
  limit_price: '10',
  time_in_force: 'gtc',
  order_class: 'bracket',
  take_profit: { limit_price: '11' },
  stop_loss: { stop_price: '9' },
};
const BRACKET = spec(bracketRequest);
const OCO = spec({
  symbol: 'ACME',
  qty: '100',
  side: 'sell',
  type: 'limit',
  time_in_force: 'gtc',
  order_class: 'oco',
  take_profit: { limit_price: '11' },
  stop_loss: { stop_price: '9' },
});

/** A group placed in the table; `run` drives a member, `deliver` hands the stream to the coordinator. */
function world(s: OrderSpec) {
  const table = new MemoryTable();
  const store = new EventStore(table as unknown as DynamoDBDocumentClient, 'events');
  let execs = 0;
  let delivered = 0;
  const meta = (st: OrderState) => ({ accountId: st.accountId, correlationId: 'c', causationId: 'c' });
  const run = async (orderId: string, command: OrderCommand) => {
    const r = await runCommand(store, orderId, command, meta, () => T0);
    if (!r.decision.ok) throw new Error(r.decision.refusal.message);
  };
  const all = () => [...table.items.values()].flat();
  const w = {
    table,
    store,
    async place() {
      for (const m of contingentMembersOf(s, ['root', 'leg1', 'leg2'])) {
        const r = execute(
          undefined,
          {
            type: 'submit',
            orderId: m.orderId,
            accountId: 'acct-1',
            order: m.spec,
            ...(m.contingency === null ? {} : { contingency: m.contingency }),
          },
          T0,
        );
        if (!r.decision.ok) throw new Error(r.decision.refusal.message);
        await store.append(r.decision.events, { ...meta(r.state as OrderState), groupId: 'root' });
      }
    },
    run,
    fill: (orderId: string, qty: string) =>
      run(orderId, { type: 'fill', execId: `x${++execs}`, lastQty: qty, lastPx: '10' }),
    /** Every stored event not yet delivered, as one stream batch (optionally all of them again). */
    async deliver(again = false) {
      const events = all().sort((a, b) => a.seq - b.seq);
      const batch = again ? events : events.slice(delivered);
      delivered = events.length;
      return coordinateBatch(streamEvent(batch.map((e) => insertRecord(e))), store);
    },
    async status(orderId: string) {
      const { state } = await store.loadState(orderId);
      if (state === undefined) return 'none';
      const qty = state.qty === null ? '-' : formatNanos(state.qty);
      const asked =
        state.cancelRequest === 'requested' ? ' +cancel' : state.replaceRequest !== null ? ' +replace' : '';
      return `${statusOf(state)} ${qty}${asked}`;
    },
    /** A replace the venue confirms, as the report applier writes it: `OrderReplaced`, then apart the replacement's opening. */
    async replace(orderId: string, changes: ReplaceChanges, replacementOrderId: string) {
      await run(orderId, { type: 'requestReplace', replacementOrderId, changes, requestedBy: 'client' });
      await run(orderId, { type: 'confirmReplace' });
      return async () => {
        const { state } = await store.loadState(orderId);
        const { events, meta: m, claim } = replacementOpening(state as OrderState, 'x', T0, 'idempotency');
        await store.append(events, m, [claim]);
      };
    },
    types: (orderId: string) => (table.items.get(orderId) ?? []).map((e) => e.type),
    requestedBy: (orderId: string) =>
      (table.items.get(orderId) ?? [])
        .filter((e) => e.type === 'OrderCancelRequested')
        .map((e) => (e.data as { requestedBy: string }).requestedBy),
  };
  return w;
}

type World = ReturnType<typeof world>;
const ack = async (w: World, ...ids: string[]) => {
  for (const id of ids) await w.run(id, { type: 'accept' });
};

// biome-ignore format: table
const scenarios: { name: string; spec: OrderSpec; steps: (w: World) => Promise<void>; expected: Record<string, string> }[] = [
  { name: 'bracket: the entry fill activates both exits at its size', spec: BRACKET,
    steps: async (w) => { await ack(w, 'root'); await w.fill('root', '100'); },
    expected: { root: 'filled 100', leg1: 'pending_new 100', leg2: 'pending_new 100' } },
  { name: 'bracket: a partial entry fill activates the exits at the filled quantity', spec: BRACKET,
    steps: async (w) => { await ack(w, 'root'); await w.fill('root', '40'); },
    expected: { root: 'partially_filled 100', leg1: 'pending_new 40', leg2: 'pending_new 40' } },
  { name: 'bracket: the take-profit fills, the stop-loss is asked to cancel', spec: BRACKET,
    steps: async (w) => {
      await ack(w, 'root'); await w.fill('root', '100'); await w.deliver();
      await ack(w, 'leg1', 'leg2'); await w.fill('leg1', '100');
    },
    expected: { root: 'filled 100', leg1: 'filled 100', leg2: 'new 100 +cancel' } },
  { name: 'oco: a partial fill of one leg resizes the other', spec: OCO,
    steps: async (w) => { await ack(w, 'root', 'leg1'); await w.fill('root', '30'); },
    expected: { root: 'partially_filled 100', leg1: 'new 100 +replace' } },
  { name: 'oco: the client cancels the take-profit, the stop-loss is asked to cancel', spec: OCO,
    steps: async (w) => { await ack(w, 'root', 'leg1'); await w.run('root', { type: 'requestCancel', requestedBy: 'client' }); },
    expected: { root: 'new 100 +cancel', leg1: 'new 100 +cancel' } },
  { name: 'bracket: the entry canceled unfilled closes the held exits', spec: BRACKET,
    steps: async (w) => { await ack(w, 'root'); await w.run('root', { type: 'requestCancel', requestedBy: 'client' }); await w.run('root', { type: 'confirmCancel' }); },
    expected: { root: 'canceled 100', leg1: 'canceled 100', leg2: 'canceled 100' } },
];

describe('order group coordinator', () => {
  test.each(scenarios)('$name', async ({ spec: s, steps, expected }) => {
    const w = world(s);
    await w.place();
    await steps(w);
    expect(await w.deliver()).toEqual({ batchItemFailures: [] });
    const got: Record<string, string> = {};
    for (const id of Object.keys(expected)) got[id] = await w.status(id);
    expect(got).toEqual(expected);
  });

  test('a redelivered batch does not act twice', async () => {
    const w = world(OCO);
    await w.place();
    await ack(w, 'root', 'leg1');
    await w.run('root', { type: 'requestCancel', requestedBy: 'client' });
    await w.deliver();
    const writes = w.table.writes;
    expect(await w.deliver(true)).toEqual({ batchItemFailures: [] });
    expect(await w.deliver(true)).toEqual({ batchItemFailures: [] });
    expect(w.table.writes).toBe(writes);
    expect(w.requestedBy('leg1')).toEqual(['oms:contingency:group_canceled']);
  });

  test('a redelivered entry fill activates the exits once', async () => {
    const w = world(BRACKET);
    await w.place();
    await ack(w, 'root');
    await w.fill('root', '100');
    await w.deliver();
    await w.deliver(true);
    expect(w.types('leg1')).toEqual(['OrderSubmitted', 'OrderActivated']);
    expect(w.types('leg2')).toEqual(['OrderSubmitted', 'OrderActivated']);
  });

  test('the DELETE path (cancelRestOfExitGroup) asks the sibling at once; the coordinator then adds nothing', async () => {
    const w = world(OCO);
    await w.place();
    await ack(w, 'leg1', 'root');
    await w.run('leg1', { type: 'requestCancel', requestedBy: 'client' });
    const { state } = await w.store.loadState('leg1');
    const meta = (s: OrderState) => ({ accountId: s.accountId, correlationId: 'r', causationId: 'r' });
    expect(await cancelRestOfExitGroup(w.store, state as OrderState, meta, () => T0)).toEqual(['root']);
    expect(await cancelRestOfExitGroup(w.store, state as OrderState, meta, () => T0)).toEqual([]);
    expect(w.requestedBy('root')).toEqual(['oms:contingency:group_canceled']);
    await w.deliver();
    expect(w.requestedBy('root')).toEqual(['oms:contingency:group_canceled']);
  });

  // A probe's PATCH {qty} of a bracket's resting entry: the coordinator ran on the entry's
  // `OrderReplaced` before the replacement opened (the applier's second write), read the entry as
  // closed unfilled, and canceled both exits (`parent_unfilled`); the replacement then filled bare.
  test.each([
    ['bracket', BRACKET],
    ['oto', spec({ ...bracketRequest, order_class: 'oto', take_profit: undefined })],
  ])(
    '%s: an entry replaced, its replacement not opened yet, keeps its exits held for the replacement',
    async (_, s) => {
      const w = world(s);
      await w.place();
      await ack(w, 'root');
      await w.deliver();
      const open = await w.replace('root', { qty: '60' }, 'root-2');
      await w.deliver();
      await w.deliver(true); // a redelivery changes nothing
      const legs = s.orderClass === 'bracket' ? ['leg1', 'leg2'] : ['leg1'];
      for (const leg of legs) expect(w.types(leg)).toEqual(['OrderSubmitted']);
      await open();
      await w.deliver();
      for (const leg of legs) expect(await w.status(leg)).toBe('held 100');
      await w.fill('root-2', '60');
      await w.deliver();
      for (const leg of legs) expect(await w.status(leg)).toBe('pending_new 60');
    },
  );

  test('a replace the venue refuses leaves the entry live and its exits held', async () => {
    const w = world(BRACKET);
    await w.place();
    await ack(w, 'root');
    await w.run('root', {
      type: 'requestReplace',
      replacementOrderId: 'root-2',
      changes: { qty: '60' },
      requestedBy: 'client',
    });
    await w.deliver();
    await w.run('root', { type: 'rejectReplace', reason: 'venue refused' });
    await w.deliver();
    expect([await w.status('leg1'), await w.status('leg2')]).toEqual(['held 100', 'held 100']);
    await w.fill('root', '100');
    await w.deliver();
    expect([await w.status('leg1'), await w.status('leg2')]).toEqual(['pending_new 100', 'pending_new 100']);
  });

  test("an OCO's take-profit replaced, its replacement not opened yet: a triggered stop-loss waits for it", async () => {
    const w = world(OCO);
    await w.place();
    await ack(w, 'root');
    await w.run('leg1', { type: 'arm', venue: 'SIMX' });
    await w.deliver();
    const open = await w.replace('root', { limitPrice: '11.5' }, 'root-2');
    await w.run('leg1', { type: 'trigger', triggerPrice: '9' });
    await w.deliver();
    // Not sent while the take-profit's replacement is about to work at the venue.
    expect(w.types('leg1')).not.toContain('OrderActivated');
    await open();
    await w.deliver();
    expect(w.types('leg1')).not.toContain('OrderActivated');
    expect(w.requestedBy('root-2')).toEqual(['oms:contingency:stop_triggered']);
  });

  test("the DELETE path leaves a partly filled entry's exits protecting the fills", async () => {
    const w = world(BRACKET);
    await w.place();
    await ack(w, 'root');
    await w.fill('root', '30');
    await w.deliver();
    await w.run('root', { type: 'requestCancel', requestedBy: 'client' });
    const { state } = await w.store.loadState('root');
    const meta = (s: OrderState) => ({ accountId: s.accountId, correlationId: 'r', causationId: 'r' });
    expect(await cancelRestOfExitGroup(w.store, state as OrderState, meta, () => T0)).toEqual([]);
    await w.run('root', { type: 'confirmCancel' });
    await w.deliver();
    expect([await w.status('leg1'), await w.status('leg2')]).toEqual(['pending_new 30', 'pending_new 30']);
  });
});
