/**
 * What the venue holds natively: OMS_VENUE_ORDER_TYPES, a comma-separated list of Alpaca order
 * types (default: all of them). A conditional type the venue lacks (stop, stop_limit,
 * trailing_stop) is held by the OMS until it triggers (core `trigger.ts`); the workflow's routing
 * and the simulated venue read the same setting, so the venue is never sent a type it refuses.
 * A malformed setting throws a RangeError naming the variable (a bad deployment fails loudly).
 */
import { ORDER_TYPES, type OrderType, parseVenueOrderTypes } from '../core/index.js';
import { ENV, optionalEnv } from './config.js';

export function venueOrderTypesFromEnv(): ReadonlySet<OrderType> {
  const text = optionalEnv(ENV.venueOrderTypes);
  if (text === undefined) return new Set(ORDER_TYPES);
  const parsed = parseVenueOrderTypes(text, ENV.venueOrderTypes);
  if (!parsed.ok) throw new RangeError(parsed.error.message);
  return parsed.types;
}
