/**
 * Order status: Alpaca's values, each mapped to FIX OrdStatus (tag 39), and the precedence
 * FIX uses when an order is in several states at once (FIX 4.4 Vol 4, "Order State Change
 * Matrices": Pending Cancel > Pending Replace > Done for Day > Calculated > Filled > Stopped >
 * Suspended > Canceled = Expired > Partially Filled > New = Rejected = Pending New).
 */
export const ORDER_STATUSES = [
  'new',
  'partially_filled',
  'filled',
  'done_for_day',
  'canceled',
  'expired',
  'replaced',
  'pending_cancel',
  'pending_replace',
  'accepted',
  'pending_new',
  'accepted_for_bidding',
  'stopped',
  'rejected',
  'suspended',
  'calculated',
  'held',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** FIX OrdStatus (39) values. */
export type FixOrdStatus =
  | '0'
  | '1'
  | '2'
  | '3'
  | '4'
  | '5'
  | '6'
  | '7'
  | '8'
  | '9'
  | 'A'
  | 'B'
  | 'C'
  | 'D'
  | 'E';

export const FIX_ORD_STATUS: Readonly<Record<OrderStatus, FixOrdStatus>> = {
  new: '0',
  partially_filled: '1',
  filled: '2',
  done_for_day: '3',
  canceled: '4',
  replaced: '5',
  pending_cancel: '6',
  stopped: '7',
  rejected: '8',
  suspended: '9',
  pending_new: 'A',
  calculated: 'B',
  expired: 'C',
  accepted_for_bidding: 'D',
  pending_replace: 'E',
  // Alpaca's two pre-routing states have no FIX value of their own: FIX sees an order that the
  // sell side has not acknowledged yet, which is Pending New.
  accepted: 'A',
  held: 'A',
};

/** Statuses from which an order never moves again. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set([
  'filled',
  'canceled',
  'expired',
  'rejected',
  'replaced',
]);

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** Alpaca's `status=open|closed` list filter: closed means terminal. */
export function isOpen(status: OrderStatus): boolean {
  return !TERMINAL_STATUSES.has(status);
}
