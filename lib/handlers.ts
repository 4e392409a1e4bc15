/**
 * Every Lambda entry point of the OMS, in one place: the stack's constructs and the bundle report
 * (`scripts/bundle-report.mjs`) both read this list, so they cannot drift. Paths are relative to the
 * repository root; every file exports `handler`.
 */
export const HANDLERS = {
  // HTTP API (Alpaca v2 order surface)
  authorizer: 'lambdas/order-api/authorizer.ts',
  createOrder: 'lambdas/order-api/create-order.ts',
  queryOrders: 'lambdas/order-api/query-orders.ts',
  replaceOrder: 'lambdas/order-api/replace-order.ts',
  cancelOrder: 'lambdas/order-api/cancel-order.ts',
  // GET /v2/orders/{order_id}/workflow (the execution's path, on request; Step Functions history)
  orderWorkflow: 'lambdas/order-api/order-workflow.ts',
  // GET /v2/orders/{order_id}/tca (the order's TCA, recorded at its close; issue 15)
  orderTca: 'lambdas/order-api/order-tca.ts',
  // The exceptions view (operator routes, issue 16)
  exceptions: 'lambdas/order-api/exceptions.ts',
  // GET /v1/reports/executions and /v1/reports/best-execution (issue 15)
  reports: 'lambdas/order-api/reports.ts',
  // GET /v2/clock and GET /v2/calendar (the sessions the OMS trades by; no table)
  marketCalendar: 'lambdas/order-api/market-calendar.ts',
  account: 'lambdas/order-api/account.ts',
  closePositions: 'lambdas/order-api/close-positions.ts',
  // POST/GET /v1/locates, GET /v1/locates/quotes, GET /v1/locates/{locate_id} (Reg SHO locates, issue 16)
  locates: 'lambdas/order-api/locates.ts',
  // /v2/watchlists[/{watchlist_id}[/{symbol}]] and /v2/watchlists:by_name (an account's symbol lists)
  watchlists: 'lambdas/order-api/watchlists.ts',
  // GET /v2/assets and GET /v2/assets/{symbol_or_asset_id} (the asset master)
  assets: 'lambdas/order-api/assets.ts',
  // The kill switch (issue 16): GET/PUT /v1/trading-state and /v1/accounts/{account_id}/trading-state
  tradingState: 'lambdas/order-api/trading-state.ts',
  // DELETE /v2/orders fans out: one cancel request per open order, bus rule -> queue -> this worker
  cancelAllWorker: 'lambdas/order-api/cancel-all-worker.ts',
  enforceHalts: 'lambdas/order-api/enforce-halts.ts',
  // Event store stream consumers
  // projector + signaller + publisher in one consumer (issue 12: invocations, readers per shard)
  orderStream: 'lambdas/stream-consumers/order-stream.ts',
  orderGroupCoordinator: 'lambdas/stream-consumers/order-group-coordinator.ts',
  startAlgorithm: 'lambdas/algo-orders/start-algorithm.ts',
  releaseSlice: 'lambdas/algo-orders/release-slice.ts',
  finishAlgorithm: 'lambdas/algo-orders/finish-algorithm.ts',
  // Order lifecycle workflow tasks
  // Accept order: the pre-trade re-check, then routing (also after the Risk Guardian and a trigger)
  acceptOrder: 'lambdas/order-lifecycle/accept-order.ts',
  // The pre-trade re-check alone: the algo-order workflow's
  checkPreTradeRisk: 'lambdas/order-lifecycle/check-pre-trade-risk.ts',
  askRiskGuardian: 'lambdas/order-lifecycle/ask-risk-guardian.ts',
  holdUntilTriggered: 'lambdas/held-triggers/hold-until-triggered.ts',
  awaitOutcome: 'lambdas/order-lifecycle/await-outcome.ts',
  expireOrder: 'lambdas/order-lifecycle/expire-order.ts',
  recordException: 'lambdas/order-lifecycle/record-exception.ts',
  // Restarts the workflow of an order whose start was lost (scheduled)
  startStalledWorkflows: 'lambdas/order-lifecycle/start-stalled-workflows.ts',
  // Stops the OMS holds for venues without them: watches the market for their triggers (scheduled)
  watchHeldTriggers: 'lambdas/held-triggers/watch-held-triggers.ts',
  // Broker Gateway (simulated venue)
  submitToVenue: 'lambdas/broker-gateway/submit-to-venue.ts',
  forwardToVenue: 'lambdas/broker-gateway/forward-to-venue.ts',
  // Cancels and replaces outstanding too long: re-sent, or resolved from the venue's status (scheduled; issue 16)
  checkInFlightRequests: 'lambdas/broker-gateway/check-in-flight-requests.ts',
  // Reconciliation with the venues: typed breaks, repairs decided in the core (scheduled; issue 16)
  reconcileVenues: 'lambdas/broker-gateway/reconcile-venues.ts',
  applyExecutionReport: 'lambdas/broker-gateway/apply-execution-report.ts',
  marketTick: 'lambdas/broker-gateway/simulated/market-tick.ts',
  // trade_updates WebSocket (Alpaca protocol): $connect, authenticate, listen, $default, $disconnect
  streamSession: 'lambdas/trade-stream/stream-session.ts',
  // Accounts whose listeners the order stream could not catch up within its budget (bus -> queue)
  deliverTradeUpdates: 'lambdas/trade-stream/deliver-backlog.ts',
  // Inbound orders from the bus
  orderRequested: 'lambdas/inbound-orders/order-requested.ts',
  // Data Warehouse (issue 15): Firehose transformation, bus event -> warehouse row + date partition
  transformWarehouseRecords: 'lambdas/data-warehouse/transform-records.ts',
  // CAT-shaped daily export and the event store's archive on WORM storage (issue 16; scheduled)
  exportCatDay: 'lambdas/regulatory-export/export-cat-day.ts',
} as const;

export type HandlerName = keyof typeof HANDLERS;
