/**
 * The stalled-workflow sweeper's sparse key (`awaitingWorkflow`) follows the order's phase, not
 * its shown status: a cancel asked while pending_new now shows `pending_cancel` (issue 11, 1.3),
 * and such an order must stay where the sweeper finds it, as before the status change.
 */
import {
  execute,
  type OrderCommand,
  type OrderState,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';

const T0 = Date.parse('2030-01-02T15:00:00.000Z');

function order(commands: readonly OrderCommand[]): OrderState {
  const v = validateOrderRequest(
    { symbol: 'ACME', qty: '10', side: 'buy', type: 'limit', limit_price: '10', time_in_force: 'day' },
    { now: T0 },
  );
  if (!v.ok) throw new Error('bad order');
  let s = execute(undefined, { type: 'submit', orderId: 'o1', accountId: 'a1', order: v.order }, T0).state;
  for (const c of commands) s = execute(s, c, T0).state;
  return s as OrderState;
}

// biome-ignore format: table
const rows: [string, readonly OrderCommand[], string, boolean][] = [
  ['pending_new',                          [],                                                                   'pending_new',    true],
  ['pending_new, cancel requested',        [{ type: 'requestCancel', requestedBy: 'bot' }],                     'pending_cancel', true],
  ['pending_new, cancel acknowledged',     [{ type: 'requestCancel', requestedBy: 'bot' }, { type: 'acknowledgeCancel' }], 'pending_cancel', false],
  ['accepted',                             [{ type: 'accept', venueOrderId: 'v1' }],                             'new',            false],
];

test.each(rows)('%s', (_name, commands, status, awaiting) => {
  const item = orderViewItem(order(commands));
  expect(item.status).toBe(status);
  expect(item.awaitingWorkflow !== undefined).toBe(awaiting);
});

/**
 * The in-flight check's sparse key (`requestInFlight`, with `requestedAt` its sort key, issue 16)
 * is there exactly while a cancel or replace is outstanding, whatever the status shows, and gone
 * once the venue answers either way.
 */
const accepted: OrderCommand = { type: 'accept', venueOrderId: 'v1' };
const cancel: OrderCommand = { type: 'requestCancel', requestedBy: 'bot' };
const replace: OrderCommand = {
  type: 'requestReplace',
  replacementOrderId: 'o2',
  changes: { limitPrice: '9.5' },
  requestedBy: 'bot',
};
// biome-ignore format: table
const inFlight: [string, readonly OrderCommand[], boolean][] = [
  ['working, nothing asked',                [accepted],                                                                false],
  ['cancel asked (status still new)',       [accepted, cancel],                                                        true],
  ['cancel acknowledged (pending_cancel)',  [accepted, cancel, { type: 'acknowledgeCancel' }],                         true],
  ['canceled',                              [accepted, cancel, { type: 'confirmCancel' }],                             false],
  ['cancel refused by the venue',           [accepted, cancel, { type: 'rejectCancel', reason: 'too_late_to_cancel' }], false],
  ['replace asked',                         [accepted, replace],                                                       true],
  ['replace refused by the venue',          [accepted, replace, { type: 'rejectReplace', reason: 'x' }],                false],
  ['replaced',                              [accepted, replace, { type: 'confirmReplace' }],                           false],
];

test.each(inFlight)('requestInFlight: %s', (_name, commands, present) => {
  const item = orderViewItem(order(commands));
  expect(item.requestInFlight !== undefined).toBe(present);
  expect(item.requestedAt !== undefined).toBe(present);
  if (present) expect(item.requestInFlight).toMatch(/^request#[0-7]$/);
});

/**
 * What the order holds for risk and the position close (`exposure`, projected by the open listing):
 * while a replace is outstanding either the order or its replacement may still execute, so the
 * larger of their qty and limit price (a probe's sell placed while a PATCH raising a resting sell
 * awaited the venue counted the old qty, and an account that may not sell short ended short).
 */
const patch = (changes: Record<string, string>): OrderCommand => ({
  type: 'requestReplace',
  replacementOrderId: 'o2',
  changes,
  requestedBy: 'bot',
});
// biome-ignore format: table
const held: [string, readonly OrderCommand[], { qty: string; limit_price: string }][] = [
  ['working: its own terms',                          [accepted],                                                              { qty: '10', limit_price: '10' }],
  ['a replace raising qty and price, pending',         [accepted, patch({ qty: '30', limitPrice: '11' })],                      { qty: '30', limit_price: '11' }],
  ['acknowledged by the venue (pending_replace)',      [accepted, patch({ qty: '30' }), { type: 'acknowledgeReplace' }],        { qty: '30', limit_price: '10' }],
  ['a replace lowering them, pending: still its own',  [accepted, patch({ qty: '4', limitPrice: '9' })],                        { qty: '10', limit_price: '10' }],
  ['the venue refused the replace: its own again',     [accepted, patch({ qty: '30' }), { type: 'rejectReplace', reason: 'x' }], { qty: '10', limit_price: '10' }],
];

test.each(held)('exposure: %s', (_name, commands, expected) => {
  expect(orderViewItem(order(commands)).exposure).toMatchObject(expected);
});
