/** The order domain: pure TypeScript, no AWS, no I/O, no clock. */

export * from './account-view.js';
export * from './algo-parent.js';
export * from './asset.js';
export * from './calendar.js';
export * from './contingency.js';
export * from './decimal.js';
export * from './event-schemas.js';
export * from './events.js';
export * from './execution-quality.js';
export * from './field-error.js';
export * from './market-calendar.js';
export * from './market-quote.js';
export * from './order.js';
export * from './order-request.js';
export * from './order-tca.js';
export * from './order-view.js';
export * from './positions.js';
export * from './risk.js';
export * from './routing/index.js';
export * from './session.js';
export * from './slippage.js';
export * from './status.js';
export * from './tca.js';
export * from './trade-updates.js';
export * from './trigger.js';
export * from './venues.js';
