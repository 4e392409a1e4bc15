/**
 * The Alpaca status of an order with a cancel outstanding, by phase (issue 11, section 1.3).
 * Alpaca shows `pending_cancel` as soon as a cancel is asked for an order the venue has not
 * acknowledged yet (`pending_new`): the venue will not send a Pending Cancel for an order it may
 * never have seen (it answers `unknown_order`, core/broker-gateway close it `canceled`). A working
 * order keeps the FIX matrices' rule (D3-D5): the prior status until the venue's Pending Cancel ack.
 * An order shown `pending_cancel` before the venue accepted it stays so once it does: its status
 * never goes back to `new` while that cancel is outstanding.
 */
import { type OrderCommand, statusOf, toAlpacaOrder } from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

const accept: OrderCommand = { type: 'accept', venueOrderId: 'v1' };
const cancel: OrderCommand = { type: 'requestCancel', requestedBy: 'bot' };
const ack: OrderCommand = { type: 'acknowledgeCancel' };
const fill = (execId: string, qty: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty: qty,
  lastPx: '10',
});

// biome-ignore format: table
const rows: [string, readonly OrderCommand[], string][] = [
  ['pending_new, no cancel',                          [],                                   'pending_new'],
  ['pending_new, cancel requested (Alpaca)',          [cancel],                             'pending_cancel'],
  ['pending_new, cancel acknowledged (FIX B.1.d/3)',  [cancel, ack],                        'pending_cancel'],
  // Shown pending_cancel already: it stays (an SDK probe's order went pending_cancel, new, canceled).
  ['pending_new, cancel requested, venue accepts',    [cancel, accept],                     'pending_cancel'],
  ['... then acknowledges the cancel',                [cancel, accept, ack],                'pending_cancel'],
  ['... then fills part: still pending_cancel (FIX: pending requests outrank fills)', [cancel, accept, fill('e1', '4')], 'pending_cancel'],
  // A fill of the whole order is its status (a probe's \`fill\` frame read pending_cancel), as FIX D5 before the ack.
  ['... then fills it all: filled',                  [cancel, accept, fill('e1', '10000')], 'filled'],
  ['... then refuses the cancel: working again',      [cancel, accept, { type: 'rejectCancel', reason: 'too_late_to_cancel' }], 'new'],
  ['... then canceled',                               [cancel, accept, { type: 'confirmCancel' }], 'canceled'],
  ['... refused, then a cancel of the working order: the FIX rule again', [cancel, accept, { type: 'rejectCancel', reason: 'too_late_to_cancel' }, cancel], 'new'],
  ['pending_new, cancel requested, then canceled',    [cancel, { type: 'confirmCancel' }],  'canceled'],
  ['pending_new, cancel refused by the venue',        [cancel, { type: 'rejectCancel', reason: 'too_late_to_cancel' }], 'pending_new'],
  ['working, cancel requested (FIX D3/3)',            [accept, cancel],                     'new'],
  ['working, cancel acknowledged (FIX D3/4)',         [accept, cancel, ack],                'pending_cancel'],
  ['part-filled, cancel requested (FIX D4/4)',        [accept, fill('e1', '10'), cancel],   'partially_filled'],
];

test.each(rows)('%s -> %s', (_name, commands, status) => {
  const b = new OrderBook();
  b.submit('o1', limitOrder());
  for (const c of commands) expect(b.run('o1', c).ok).toBe(true);
  expect(statusOf(b.state('o1'))).toBe(status);
  expect(toAlpacaOrder(b.state('o1')).status).toBe(status);
});
