/**
 * The orders read model's GSI names, defined once: the stack (lib/event-store.ts) creates them and
 * the handlers query them. No imports, so the CDK app can read it without the domain.
 */
export const ORDERS_INDEX = {
  /** `accountId`, sorted by `createdKey`: every order of an account (projection: LIST_INDEX_ATTRIBUTES). */
  byAccount: 'byAccount',
  /**
   * Sparse `openInAccount` (the account id, present only while the order is open), sorted by
   * `createdKey`: the account's open orders (risk's open exposure, cancel-all, open listings).
   * Projection: OPEN_INDEX_ATTRIBUTES.
   */
  byAccountOpen: 'byAccountOpen',
  /** `accountSymbol`, sorted by `createdKey` (projection: LIST_INDEX_ATTRIBUTES). */
  byAccountSymbol: 'byAccountSymbol',
  /** Sparse `awaitingWorkflow` (orders still pending_new), keys only: the stalled-workflow sweeper. */
  byPendingNew: 'byPendingNew',
  /** Sparse `armedSymbol` (stops the OMS holds), projection ALL: the held-trigger watcher. */
  byArmedSymbol: 'byArmedSymbol',
  /**
   * Sparse `requestInFlight` (a cancel or replace outstanding), sorted by `requestedAt`, keys only:
   * the broker gateway's in-flight check (issue 16).
   */
  byRequestInFlight: 'byRequestInFlight',
  /**
   * Sparse `exceptionOpen` (`exception`: one partition, few items), sorted by `createdKey`, keys
   * only: orders with an exception no operator has resolved, and reconciliation's UNKNOWN_AT_OMS
   * records (the exceptions view, issue 16).
   */
  byOpenException: 'byOpenException',
} as const;

/** The one `byOpenException` partition. */
export const OPEN_EXCEPTION_PARTITION = 'exception';

/**
 * What `byAccount` and `byAccountSymbol` project besides the keys: what a listing filters and
 * folds on, none of which changes after the order is placed (`contingencyRole`: a group member's
 * role, the open index's risk valuation reads it too). A status update of an order, its
 * close included, therefore writes neither index (issue 12: ALL projections were 42% of a market
 * order's write units, and projecting `openClosed` cost 2 more at every close); the listing reads
 * the page's `order` documents from the table (BatchGetItem) and keeps a closed listing's orders by
 * their status there.
 */
export const LIST_INDEX_ATTRIBUTES = ['side', 'parentOrderId', 'groupId', 'contingencyRole'] as const;

/**
 * The role of the orders the OMS places itself for an order a client placed: the child orders of a
 * split (routing) and of an algorithm. They are not the client's orders: the Alpaca listing leaves
 * them out (a filter on the projected `contingencyRole`, absent on every other order), as the trade
 * updates stream does; `GET /v2/orders/{id}` and the order's events still show them.
 */
export const OMS_CHILD_ROLE = 'algo_child';

/**
 * What `byAccountOpen` (the account's open orders: risk's open exposure, cancel-all, open
 * listings) projects besides the keys: the listing's attributes, and `exposure`, the few
 * fields of the order risk values (lambdas/orders/risk-context.ts). Not the `order` document
 * (about 1 KB): with projection ALL every view write wrote it twice (issue 12).
 */
export const OPEN_INDEX_ATTRIBUTES = [
  'side',
  'parentOrderId',
  'groupId',
  'symbol',
  'status',
  'createdAt',
  'exposure',
  'contingencyRole',
] as const;
