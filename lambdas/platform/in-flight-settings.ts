/**
 * How long a cancel or replace (and, for reconciliation, an order's last change) may be in flight
 * before the OMS looks at it (core in-flight.ts): `OMS_IN_FLIGHT_THRESHOLD_MS` when set (tests, an
 * operator), else the core's. Read by the in-flight check, the reconciler and the exceptions view.
 */
import { IN_FLIGHT_THRESHOLD_MS } from '../core/index.js';
import { ENV, optionalEnv } from './config.js';

export function inFlightThresholdFromEnv(): number {
  const text = optionalEnv(ENV.inFlightThresholdMs);
  const ms = text === undefined ? Number.NaN : Number(text);
  return Number.isInteger(ms) && ms >= 0 ? ms : IN_FLIGHT_THRESHOLD_MS;
}
