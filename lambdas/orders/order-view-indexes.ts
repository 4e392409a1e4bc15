/**
 * The orders read model's GSI names, defined once: the stack (lib/event-store.ts) creates them and
 * the handlers query them. No imports, so the CDK app can read it without the domain.
 */
export const ORDERS_INDEX = {
  /** `accountId`, sorted by `createdKey`: every order of an account. */
  byAccount: 'byAccount',
  /** `accountOpenClosed` (`<accountId>#open|closed`), sorted by `createdKey`. */
  byAccountStatus: 'byAccountStatus',
  /** `accountSymbol`, sorted by `createdKey`. */
  byAccountSymbol: 'byAccountSymbol',
  /** Sparse `awaitingWorkflow` (orders still pending_new), keys only: the stalled-workflow sweeper. */
  byPendingNew: 'byPendingNew',
  /** Sparse `armedSymbol` (stops the OMS holds), projection ALL: the held-trigger watcher. */
  byArmedSymbol: 'byArmedSymbol',
} as const;
