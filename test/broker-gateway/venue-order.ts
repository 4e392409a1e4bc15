/**
 * A venue order (the venue port's `VenueOrder`) for the venue adapters' tests: a day market buy of
 * 10 ACME, with what a test cares about given as `over`.
 */
import type { VenueOrder } from '../../lambdas/broker-gateway/venue.js';

export const venueOrder = (over: Partial<VenueOrder> = {}): VenueOrder => ({
  orderId: 'o-1',
  accountId: 'acct-1',
  symbol: 'ACME',
  side: 'buy',
  type: 'market',
  timeInForce: 'day',
  qty: '10',
  notional: null,
  limitPrice: null,
  stopPrice: null,
  trailPrice: null,
  trailPercent: null,
  extendedHours: false,
  ...over,
});
