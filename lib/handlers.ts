/**
 * Every Lambda entry point of the OMS, in one place: the stack's constructs and the bundle report
 * (`scripts/bundle-report.mjs`) both read this list, so they cannot drift. Paths are relative to the
 * repository root; every file exports `handler`.
 */
export const HANDLERS = {
  // HTTP API (Alpaca v2 order surface)
  authorizer: 'lambdas/auth/authorizer.ts',
  createOrder: 'lambdas/api/create-order.ts',
  queryOrders: 'lambdas/api/query-orders.ts',
  replaceOrder: 'lambdas/api/replace-order.ts',
  cancelOrder: 'lambdas/api/cancel-order.ts',
  // Event store stream consumers
  publisher: 'lambdas/stream/publisher.ts',
  projector: 'lambdas/stream/projector.ts',
  signaller: 'lambdas/stream/signaller.ts',
  contingency: 'lambdas/stream/contingency.ts',
  startAlgorithm: 'lambdas/workflow/start-algorithm.ts',
  releaseSlice: 'lambdas/workflow/release-slice.ts',
  finishAlgorithm: 'lambdas/workflow/finish-algorithm.ts',
  // Order lifecycle workflow tasks
  checkPreTradeRisk: 'lambdas/workflow/check-pre-trade-risk.ts',
  askRiskGuardian: 'lambdas/workflow/ask-risk-guardian.ts',
  routeOrder: 'lambdas/workflow/route-order.ts',
  holdUntilTriggered: 'lambdas/workflow/hold-until-triggered.ts',
  awaitOutcome: 'lambdas/workflow/await-outcome.ts',
  expireOrder: 'lambdas/workflow/expire-order.ts',
  recordException: 'lambdas/workflow/record-exception.ts',
  // Restarts the workflow of an order whose start was lost (scheduled)
  startStalledWorkflows: 'lambdas/workflow/start-stalled-workflows.ts',
  // Stops the OMS holds for venues without them: watches the market for their triggers (scheduled)
  watchHeldTriggers: 'lambdas/triggers/watch-held-triggers.ts',
  // Broker Gateway (simulated venue)
  submitToVenue: 'lambdas/venue/submit-to-venue.ts',
  forwardToVenue: 'lambdas/venue/forward-to-venue.ts',
  applyExecutionReport: 'lambdas/venue/apply-execution-report.ts',
  marketTick: 'lambdas/venue/market-tick.ts',
  // Inbound orders from the bus
  orderRequested: 'lambdas/inbound/order-requested.ts',
} as const;

export type HandlerName = keyof typeof HANDLERS;
