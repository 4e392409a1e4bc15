/**
 * The orders read model's item (docs/aws.md, "Orders"): the Alpaca order plus the keys the list
 * filters query (GSIs `byAccount`, `byAccountSymbol` and the sparse `byAccountOpen`, all sorted
 * by `createdKey`), the sparse key of `byPendingNew`, through which the stalled-workflow sweeper
 * finds orders still pending_new, and the sparse key of `byArmedSymbol`, through which the
 * held-trigger watcher finds the stops the OMS holds, and the sparse key of `byRequestInFlight`,
 * through which the in-flight check finds cancels and replaces still outstanding. Pure: derived from the replayed state only.
 */
import { gunzipSync } from 'node:zlib';
import { type AbandonedReplacement, rejectedReplacementOrder } from '../core/abandoned-replacement.js';
import {
  type AlpacaOrder,
  type BuyingPowerClaim,
  exposureTermsOf,
  hasRequestInFlight,
  heldBuyingPowerClaim,
  type OrderState,
  openClosedOf,
  openExceptionsOf,
  statusOf,
  storedAlpacaOrder,
  toAlpacaOrder,
} from '../core/index.js';
import { OPEN_EXCEPTION_PARTITION } from './order-view-indexes.js';

/**
 * `byPendingNew` partitions: every pending_new order in one GSI partition would cap the order rate
 * at that partition's write throughput (each order enters and leaves it), so the key is spread
 * over a few shards by order id; the sweeper queries each.
 */
export const PENDING_NEW_SHARDS = 8;

/** `pending_new#<shard>`: the order's `byPendingNew` partition (stable: a hash of the order id). */
export function awaitingWorkflowKey(orderId: string): string {
  return `pending_new#${shardOf(orderId)}`;
}

/** A stable shard of an order id in [0, PENDING_NEW_SHARDS) (FNV-1a, 32 bit). */
function shardOf(orderId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < orderId.length; i++) {
    h ^= orderId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PENDING_NEW_SHARDS;
}

/** `byRequestInFlight` partitions: as `byPendingNew`'s, spread by order id. */
export const REQUEST_IN_FLIGHT_SHARDS = PENDING_NEW_SHARDS;

/** `request#<shard>`: the order's `byRequestInFlight` partition. */
export function requestInFlightKey(orderId: string): string {
  return `request#${shardOf(orderId)}`;
}

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
  /**
   * Present only while the order is open: the account id, the sparse key of GSI `byAccountOpen`.
   * The projector writes whole items, so the close removes it (one index delete, no insert).
   */
  readonly openInAccount?: string;
  /** `accountId#SYMBOL`. */
  readonly accountSymbol: string;
  /** Sequence number of the last event applied: the projector only ever writes a higher one. */
  readonly version: number;
  /** The Alpaca order without its null fields (core `storedAlpacaOrder`; readers restore them). */
  readonly order: Partial<AlpacaOrder>;
  /**
   * The fields of `order` risk values (open buy exposure) besides the item's own `symbol`, `side`,
   * `status` and `createdAt`, projected by `byAccountOpen` in place of the whole document
   * (lambdas/orders/order-view-indexes.ts `OPEN_INDEX_ATTRIBUTES`). Null fields left out.
   */
  readonly exposure: Partial<
    Pick<
      AlpacaOrder,
      'type' | 'qty' | 'notional' | 'limit_price' | 'filled_qty' | 'filled_avg_price' | 'time_in_force'
    >
  > & {
    /** Its buying power claim (core buying-power-claims.ts): risk counts it in the account's total. */
    readonly buying_power_claim?: BuyingPowerClaim;
  };
  /**
   * Present only while the order is pending_new (`pending_new#<shard>`): the sparse key of GSI
   * `byPendingNew`. The projector writes whole items, so a later status removes it.
   */
  readonly awaitingWorkflow?: string;
  /**
   * Present only while a cancel or replace is outstanding at the venue (`request#<shard>`, core
   * in-flight.ts `hasRequestInFlight`), with `requestedAt` its sort key: the sparse GSI
   * `byRequestInFlight` through which the broker gateway's in-flight check finds requests older
   * than the threshold (lambdas/broker-gateway/check-in-flight-requests.ts).
   */
  readonly requestInFlight?: string;
  readonly requestedAt?: string;
  /**
   * Present only while the order has an exception no operator has resolved (core
   * `openExceptionsOf`): the sparse key of GSI `byOpenException` (the exceptions view).
   */
  readonly exceptionOpen?: string;
  /**
   * Present only while the OMS holds the order's trigger (phase `armed`): the upper-cased symbol,
   * the sparse key of GSI `byArmedSymbol` (lambdas/held-triggers/watch-held-triggers.ts). The projector
   * writes whole items, so a trigger or a cancel removes it.
   */
  readonly armedSymbol?: string;
  /** A contingent order's leg: its root, so `nested=true` listings fold it into the root's `legs`. */
  readonly parentOrderId?: string;
  /**
   * A group member's role (`entry`, `take_profit`, `stop_loss`, `algo_parent`, `algo_child`): risk
   * counts an algorithmic child's quantity once, in its open parent's leaves.
   */
  readonly contingencyRole?: string;
  /** A group member's group (its root as first placed): a replaced root's legs find its replacement. */
  readonly groupId?: string;
}

export function orderViewItem(state: OrderState): OrderViewItem {
  const status = statusOf(state);
  const order = toAlpacaOrder(state);
  const openClosed = openClosedOf(status);
  const symbol = state.spec.symbol.toUpperCase();
  const terms = exposureTermsOf(state, { qty: order.qty, limitPrice: order.limit_price });
  const held = heldBuyingPowerClaim({
    buyingPowerClaim: state.buyingPowerClaim,
    split: state.routing?.split === true,
  });
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
    accountSymbol: `${state.accountId}#${symbol}`,
    version: state.seq,
    order: storedAlpacaOrder(order),
    exposure: {
      ...(storedAlpacaOrder({
        type: order.type,
        // With a replace outstanding, the larger of the order's and its replacement's terms.
        qty: terms.qty,
        notional: order.notional,
        limit_price: terms.limitPrice,
        filled_qty: order.filled_qty,
        filled_avg_price: order.filled_avg_price,
        // Wash-trade prevention: an auction order meets only orders of its own auction (issue 16).
        time_in_force: order.time_in_force,
      } as AlpacaOrder) as OrderViewItem['exposure']),
      // Held until the order settles, or until the router splits it (then its leaves count).
      ...(held === null ? {} : { buying_power_claim: held }),
    },
    // By phase, not by the status shown: a cancel asked while pending_new shows pending_cancel, and
    // the order stays where the stalled-workflow sweeper finds it until the venue acknowledges it.
    ...(status === 'pending_new' || (state.phase === 'pending_new' && state.cancelRequest === 'requested')
      ? { awaitingWorkflow: awaitingWorkflowKey(state.orderId) }
      : {}),
    ...(hasRequestInFlight(state)
      ? {
          requestInFlight: requestInFlightKey(state.orderId),
          requestedAt: state.requestedAt ?? state.updatedAt,
        }
      : {}),
    ...(openClosed === 'open' ? { openInAccount: state.accountId } : {}),
    ...(openExceptionsOf(state).size > 0 ? { exceptionOpen: OPEN_EXCEPTION_PARTITION } : {}),
    ...(state.phase === 'armed' ? { armedSymbol: symbol } : {}),
    ...groupKeysOf(state),
  };
}

/**
 * The view's group keys (an algorithmic child's parent, a contingent order's role and group), as
 * the projector writes them and risk reads them (risk-context.ts `viewOfItem`).
 */
export function groupKeysOf(
  state: OrderState,
): Pick<OrderViewItem, 'parentOrderId' | 'contingencyRole' | 'groupId'> {
  return {
    ...(state.contingency?.parentOrderId ? { parentOrderId: state.contingency.parentOrderId } : {}),
    ...(state.contingency
      ? { contingencyRole: state.contingency.role, groupId: state.contingency.groupId }
      : {}),
  };
}

/**
 * The view of a replacement a PATCH answered that never opened (core `abandonedReplacement`): the
 * order it would have been, `rejected` and closed, listed under `closed` and `all` as GET
 * /v2/orders/{id} shows it (a probe: GET read it rejected, no listing had it). Keyed by the
 * replacement's id, in none of the sparse indexes (it is closed); `version` 0: it has no event of
 * its own, so were the replacement ever to open after all, its first projection replaces this.
 */
export function rejectedReplacementViewItem(abandoned: AbandonedReplacement): OrderViewItem {
  const {
    openInAccount: _open,
    awaitingWorkflow: _awaiting,
    requestInFlight: _inFlight,
    requestedAt: _requestedAt,
    exceptionOpen: _exception,
    armedSymbol: _armed,
    ...view
  } = orderViewItem(abandoned.replacement);
  return {
    ...view,
    status: 'rejected',
    openClosed: 'closed',
    version: 0,
    order: storedAlpacaOrder(rejectedReplacementOrder(abandoned)),
  };
}

/**
 * The TCA a closed order's view keeps (`tcaGz`: gzip-compressed JSON of core `OrderTcaRecord`,
 * written by the order stream's projector; issue 15).
 */
export function tcaOfItem(gz: Uint8Array): unknown {
  return JSON.parse(gunzipSync(gz).toString('utf8'));
}
