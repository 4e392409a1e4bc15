/**
 * Which order events send a trade update, under which of Alpaca's event names (docs.alpaca.markets
 * "Websocket Streaming", trade_updates events; core trade-updates.ts), and what a fill's update
 * carries (the execution's own price and qty, the position after it).
 */
import {
  abandonedReplacement,
  endedReplacementOf,
  rejectedReplacementOrder,
} from '../../lambdas/core/abandoned-replacement.js';
import {
  executionUuidOf,
  OPENED_FILLED,
  type OrderCommand,
  type OrderEvent,
  openReplacement,
  rejectedReplacementUpdateOf,
  toAlpacaOrder,
  tradeUpdateEventOf,
  tradeUpdateOf,
  type UnsequencedTradeUpdate,
} from '../../lambdas/core/index.js';
import { evolve, type OrderState } from '../../lambdas/core/order.js';
import { limitOrder, OrderBook } from './order-book.js';

const accept: OrderCommand = { type: 'accept', venueOrderId: 'v-1' };
const T = Date.parse('2026-12-07T15:00:00.000Z');
const fill = (execId: string, lastQty: string, lastPx = '100'): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx,
});

/** An algorithmic child's place in its parent's group (the OMS's own order: it sends nothing). */
const ALGO_CHILD = {
  groupId: 'p',
  orderClass: 'algo' as const,
  role: 'algo_child' as const,
  parentOrderId: 'p',
  legOrderIds: [],
  held: false,
};

/** Every update the commands' events send, as `event` names, in order. */
function updatesOf(commands: readonly OrderCommand[]): { event: string; order: OrderState; e: OrderEvent }[] {
  const book = new OrderBook();
  book.submit('o-1', limitOrder({ qty: '100' }));
  for (const c of commands) book.run('o-1', c);
  let state: OrderState | undefined;
  const out: { event: string; order: OrderState; e: OrderEvent }[] = [];
  for (const e of book.events.get('o-1') ?? []) {
    state = evolve(state, e);
    const u = tradeUpdateOf(e, state, 'acct-1', null);
    if (u !== null) out.push({ event: u.event, order: state, e });
  }
  return out;
}

// biome-ignore format: one scenario per row
const SCENARIOS: readonly [string, readonly OrderCommand[], readonly string[]][] = [
  ['submitted only: nothing yet (Alpaca opens with new)', [], []],
  ['accepted: new', [accept], ['new']],
  ['partial then full fill', [accept, fill('a', '40'), fill('b', '60')], ['new', 'partial_fill', 'fill']],
  ['a redelivered execution sends nothing again', [accept, fill('a', '40'), fill('a', '40')], ['new', 'partial_fill']],
  ['an overfill is quarantined: no update', [accept, fill('a', '90'), fill('b', '20')], ['new', 'partial_fill']],
  ['cancel requested, then canceled', [accept, { type: 'requestCancel', requestedBy: 'client' }, { type: 'confirmCancel' }], ['new', 'pending_cancel', 'canceled']],
  ['cancel rejected', [accept, { type: 'requestCancel', requestedBy: 'client' }, { type: 'rejectCancel', reason: 'too late' }], ['new', 'pending_cancel', 'order_cancel_rejected']],
  // Canceled before the venue accepted: the acceptance sends nothing (an SDK probe's frames went
  // pending_cancel, new, canceled: a bot reads `new` as its cancel dropped).
  ['cancel asked before the venue accepts, then canceled', [{ type: 'requestCancel', requestedBy: 'client' }, accept, { type: 'confirmCancel' }], ['pending_cancel', 'canceled']],
  ['... filled part before the cancel', [{ type: 'requestCancel', requestedBy: 'client' }, accept, fill('a', '40'), { type: 'confirmCancel' }], ['pending_cancel', 'partial_fill', 'canceled']],
  ['... the cancel refused by the venue', [{ type: 'requestCancel', requestedBy: 'client' }, accept, { type: 'rejectCancel', reason: 'too late' }, fill('a', '100')], ['pending_cancel', 'order_cancel_rejected', 'fill']],
  ['rejected by the venue', [{ type: 'reject', reason: 'halted' }], ['rejected']],
  ['expired', [accept, { type: 'expire' }], ['new', 'expired']],
  ['done for day', [accept, { type: 'doneForDay' }], ['new', 'done_for_day']],
  ['replace requested, then replaced', [accept, { type: 'requestReplace', replacementOrderId: 'o-2', changes: { qty: '50' }, requestedBy: 'client' }, { type: 'confirmReplace' }], ['new', 'pending_replace', 'replaced']],
  ['replace rejected', [accept, { type: 'requestReplace', replacementOrderId: 'o-2', changes: { qty: '50' }, requestedBy: 'client' }, { type: 'rejectReplace', reason: 'no' }], ['new', 'pending_replace', 'order_replace_rejected']],
];

test.each(SCENARIOS)('%s', (_name, commands, expected) => {
  expect(updatesOf(commands).map((u) => u.event)).toEqual(expected);
});

// A pending update shows its order pending, as Alpaca's frames do (a probe read pending_cancel
// frames with order.status "new"); an order already closed keeps its status.
test.each(SCENARIOS)("%s: each update's order status", (_name, commands) => {
  for (const u of updatesOf(commands)) {
    const frame = tradeUpdateOf(u.e, u.order, 'acct-1', null);
    const pending = frame?.event === 'pending_cancel' || frame?.event === 'pending_replace';
    expect(frame?.order.status).toBe(pending ? frame?.event : toAlpacaOrder(u.order).status);
  }
});

test("a fill's update carries the execution's own price and qty, its id, and the position after it", () => {
  const [, first, second] = updatesOf([accept, fill('a', '40', '101.5'), fill('b', '60', '102')]);
  const u1 = tradeUpdateOf(first?.e as OrderEvent, first?.order as OrderState, 'acct-1', '40');
  const u2 = tradeUpdateOf(second?.e as OrderEvent, second?.order as OrderState, 'acct-1', '-20');
  expect(u1).toMatchObject({
    event: 'partial_fill',
    oms_execution_id: 'a',
    price: '101.5',
    qty: '40',
    position_qty: '40',
  });
  // A UUID (alpaca-py's TradeUpdate.execution_id is typed UUID), the same for the same execution.
  expect(u1?.execution_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(u1?.execution_id).toBe(executionUuidOf('o-1', 'a'));
  expect(executionUuidOf('o-1', 'b')).not.toBe(u1?.execution_id);
  expect(u1?.order).toMatchObject({ id: 'o-1', status: 'partially_filled', filled_qty: '40', legs: null });
  expect(u2).toMatchObject({
    event: 'fill',
    oms_execution_id: 'b',
    price: '102',
    qty: '60',
    position_qty: '-20',
  });
  expect(u2?.order).toMatchObject({ status: 'filled', filled_qty: '100' });
  expect(u2?.timestamp).toBe(second?.e.occurredAt);
});

test('a replacement that opens already filled (FIX D11/D12) sends `fill` with qty 0, not `new`: its terminal update', () => {
  // 100 ordered, 40 filled, a PATCH to 50, and 10 more fill while the venue works it: the
  // replacement opens with its 50 of 50 filled. A probe's bot waiting for a terminal update on it
  // got `new` (status filled) and waited forever.
  const book = new OrderBook();
  book.submit('o-1', limitOrder({ qty: '100' }));
  for (const c of [
    accept,
    fill('a', '40'),
    { type: 'requestReplace', replacementOrderId: 'o-2', changes: { qty: '50' }, requestedBy: 'client' },
    fill('b', '10', '102'),
    { type: 'confirmReplace' },
  ] as OrderCommand[])
    book.run('o-1', c);
  let original: OrderState | undefined;
  for (const e of book.events.get('o-1') ?? []) original = evolve(original, e);
  let replacement: OrderState | undefined;
  const frames = [];
  for (const e of openReplacement(original as OrderState, T)) {
    replacement = evolve(replacement, e);
    const u = tradeUpdateOf(e, replacement, 'acct-1', '50');
    if (u !== null) frames.push(u);
  }
  expect(frames).toEqual([
    expect.objectContaining({
      event: 'fill',
      qty: '0',
      price: '100.4',
      position_qty: '50',
      execution_id: executionUuidOf('o-2', OPENED_FILLED),
      order: expect.objectContaining({ id: 'o-2', status: 'filled', filled_qty: '50', replaces: 'o-1' }),
    }),
  ]);
  // A replacement that opens with qty left to trade opens `new`, as before.
  expect(updatesOf([accept]).map((u) => u.event)).toEqual(['new']);
});

test('updates other than fills carry no execution fields', () => {
  const [accepted] = updatesOf([accept]);
  const u = tradeUpdateOf(accepted?.e as OrderEvent, accepted?.order as OrderState, 'acct-1', '5');
  expect(u).toEqual({
    event: 'new',
    order: expect.objectContaining({ status: 'new' }),
    timestamp: accepted?.e.occurredAt,
    account_id: 'acct-1',
  });
});

test("an algorithmic parent's children send nothing (the parent is the client's order)", () => {
  const [accepted] = updatesOf([accept]);
  const child = {
    ...(accepted?.order as OrderState),
    contingency: ALGO_CHILD,
  };
  expect(tradeUpdateOf(accepted?.e as OrderEvent, child, 'acct-1', null)).toBeNull();
});

test('every mapped name is one of the stream events; unmapped order events send nothing', () => {
  expect(tradeUpdateEventOf('OrderSubmitted')).toBeNull();
  expect(tradeUpdateEventOf('OrderTrailMoved')).toBeNull();
  expect(tradeUpdateEventOf('OrderExecutionQuarantined')).toBeNull();
  expect(tradeUpdateEventOf('OrderArmed')).toBe('new');
  // A held leg's activation is followed by the venue's acceptance (`new`) or the OMS arming it:
  // sent, it read `new` with status pending_new after a `new` with status accepted (a probe).
  expect(tradeUpdateEventOf('OrderActivated')).toBeNull();
});

describe("a replace that ends without its replacement (refused, or the order filled or closed first): the replacement's `rejected`, after the order's update", () => {
  // A probe's bot waited forever for the terminal update of the id PATCH answered: the stream sent
  // new, pending_replace, fill, order_replace_rejected for the order and nothing under that id.
  const patch = (replacementOrderId = 'o-2', changes: Record<string, string> = { limitPrice: '10.5' }) =>
    ({ type: 'requestReplace', replacementOrderId, changes, requestedBy: 'client' }) as OrderCommand;
  const refuse: OrderCommand = { type: 'rejectReplace', reason: 'too_late_to_replace' };

  /** The stream of the order's events as the projector builds it: each event's update, then the replacement it ended. */
  function streamOf(commands: readonly OrderCommand[]): UnsequencedTradeUpdate[] {
    const book = new OrderBook();
    book.submit('o-1', limitOrder({ qty: '100' }));
    for (const c of commands) expect(book.run('o-1', c).ok).toBe(true);
    const events = book.events.get('o-1') ?? [];
    const out: UnsequencedTradeUpdate[] = [];
    let state: OrderState | undefined;
    for (const e of events) {
      const before = state;
      state = evolve(state, e);
      const update = tradeUpdateOf(e, state, 'acct-1', null);
      if (update !== null) out.push(update);
      const ended = endedReplacementOf(before, state);
      const abandoned = ended === null ? null : abandonedReplacement(events, ended);
      const rejected = abandoned === null ? null : rejectedReplacementUpdateOf(abandoned, 'acct-1');
      if (rejected !== null) out.push(rejected);
    }
    return out;
  }

  // biome-ignore format: a table
  const CASES: readonly [string, readonly OrderCommand[], readonly string[]][] = [
    ['the venue refused the replace',             [accept, patch(), refuse],                             ['o-1:new', 'o-1:pending_replace', 'o-1:order_replace_rejected', 'o-2:rejected']],
    ['the order filled first',                    [accept, patch(), fill('a', '100')],                   ['o-1:new', 'o-1:pending_replace', 'o-1:fill', 'o-2:rejected']],
    ['filled first, then refused: ended at the fill, sent once', [accept, patch(), fill('a', '100'), refuse], ['o-1:new', 'o-1:pending_replace', 'o-1:fill', 'o-2:rejected', 'o-1:order_replace_rejected']],
    ['acknowledged, partly filled, then refused', [accept, patch(), { type: 'acknowledgeReplace' }, fill('a', '40'), refuse], ['o-1:new', 'o-1:pending_replace', 'o-1:partial_fill', 'o-1:order_replace_rejected', 'o-2:rejected']],
    ['the order expired first',                   [accept, patch(), { type: 'expire' }],                 ['o-1:new', 'o-1:pending_replace', 'o-1:expired', 'o-2:rejected']],
    ['two PATCHes, each refused: each replacement once', [accept, patch('o-2'), refuse, patch('o-3', { limitPrice: '10.6' }), refuse], ['o-1:new', 'o-1:pending_replace', 'o-1:order_replace_rejected', 'o-2:rejected', 'o-1:pending_replace', 'o-1:order_replace_rejected', 'o-3:rejected']],
    ['confirmed: the replacement opens, its own updates follow', [accept, patch(), { type: 'confirmReplace' }], ['o-1:new', 'o-1:pending_replace', 'o-1:replaced']],
    ['filled up to the new qty, then confirmed (it opens filled: its own fill)', [accept, fill('a', '40'), patch('o-2', { qty: '50' }), fill('b', '10'), { type: 'confirmReplace' }], ['o-1:new', 'o-1:partial_fill', 'o-1:pending_replace', 'o-1:partial_fill', 'o-1:replaced']],
    ['still outstanding',                         [accept, patch(), fill('a', '40')],                    ['o-1:new', 'o-1:pending_replace', 'o-1:partial_fill']],
  ];

  test("each case: the order's updates, the replacement's `rejected` after the one of the event that ended its replace, once", () => {
    for (const [name, commands, expected] of CASES)
      expect({ name, stream: streamOf(commands).map((u) => `${u.order.id}:${u.event}`) }).toEqual({
        name,
        stream: expected,
      });
  });

  test('its order is the one GET /v2/orders/{id} shows (rejected when the replace ended), its timestamp when it ended', () => {
    let checked = 0;
    for (const [, commands] of CASES) {
      const book = new OrderBook();
      book.submit('o-1', limitOrder({ qty: '100' }));
      for (const c of commands) book.run('o-1', c);
      const events = book.events.get('o-1') ?? [];
      for (const u of streamOf(commands).filter((x) => x.order.id !== 'o-1')) {
        const abandoned = abandonedReplacement(events, u.order.id);
        expect(abandoned).not.toBeNull();
        const shown = rejectedReplacementOrder(abandoned as NonNullable<typeof abandoned>);
        expect(u).toEqual({
          event: 'rejected',
          order: shown,
          timestamp: shown.failed_at,
          account_id: 'acct-1',
        });
        expect(u.order).toMatchObject({ status: 'rejected', replaces: 'o-1', legs: null });
        checked++;
      }
    }
    expect(checked).toBe(7);
  });

  test("an algorithmic parent's child: its replacement sends nothing either", () => {
    const book = new OrderBook();
    book.submit('o-1', limitOrder({ qty: '100' }));
    for (const c of [accept, patch(), refuse]) book.run('o-1', c);
    const abandoned = abandonedReplacement(book.events.get('o-1') ?? [], 'o-2');
    expect(abandoned).not.toBeNull();
    const { replacement } = abandoned as NonNullable<typeof abandoned>;
    const child = {
      ...replacement,
      contingency: ALGO_CHILD,
    };
    expect(
      rejectedReplacementUpdateOf(
        { ...(abandoned as NonNullable<typeof abandoned>), replacement: child },
        'acct-1',
      ),
    ).toBeNull();
    expect(rejectedReplacementUpdateOf(abandoned as NonNullable<typeof abandoned>, 'acct-1')).not.toBeNull();
  });
});
