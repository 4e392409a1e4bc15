/**
 * The orders read model's item (docs/aws.md, "Orders"): the Alpaca order plus the keys the list
 * filters query (GSIs `byAccount`, `byAccountStatus`, `byAccountSymbol`, all sorted by
 * `createdKey`). Pure: derived from the replayed state only.
 */
import { type AlpacaOrder, type OrderState, openClosedOf, statusOf, toAlpacaOrder } from '../core/index.js';

export interface OrderViewItem {
  readonly orderId: string;
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly symbol: string;
  readonly side: string;
  readonly status: string;
  readonly openClosed: 'open' | 'closed';
  readonly createdAt: string;
  /** `createdAt#orderId`: newest-first listing with a unique tie-break. */
  readonly createdKey: string;
  /** `accountId#open|closed`. */
  readonly accountOpenClosed: string;
  /** `accountId#SYMBOL`. */
  readonly accountSymbol: string;
  /** Sequence number of the last event applied: the projector only ever writes a higher one. */
  readonly version: number;
  readonly order: AlpacaOrder;
}

export function orderViewItem(state: OrderState): OrderViewItem {
  const status = statusOf(state);
  const openClosed = openClosedOf(status);
  const symbol = state.spec.symbol.toUpperCase();
  return {
    orderId: state.orderId,
    accountId: state.accountId,
    clientOrderId: state.clientOrderId,
    symbol,
    side: state.spec.side,
    status,
    openClosed,
    createdAt: state.createdAt,
    createdKey: `${state.createdAt}#${state.orderId}`,
    accountOpenClosed: `${state.accountId}#${openClosed}`,
    accountSymbol: `${state.accountId}#${symbol}`,
    version: state.seq,
    order: toAlpacaOrder(state),
  };
}
