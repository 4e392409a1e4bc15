/**
 * The venue handlers' collaborators, built once per execution environment from the environment
 * variables the stack sets (docs/aws.md). Tests build their own with mocked clients.
 */

import { EventStore } from '../event-store/event-store.js';
import { DEFAULT_VENUE_NAME, ENV, optionalEnv, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { venueOrderTypesFromEnv } from '../platform/venue-capabilities.js';
import type { AuctionSchedule } from './simulated/auction.js';
import { SimulatedVenue } from './simulated/simulated-venue.js';

export { DEFAULT_VENUE_NAME };

export function venueName(): string {
  return optionalEnv(ENV.venueName) ?? DEFAULT_VENUE_NAME;
}

let venue: SimulatedVenue | undefined;
let store: EventStore | undefined;

/**
 * When the venue holds its auctions: OMS_SESSION_OPEN / OMS_SESSION_CLOSE, OMS_SESSION_DAYS and
 * OMS_SESSION_CALENDAR, as the workflow reads them (a malformed one fails the cold start).
 */
export function auctionScheduleFromEnv(): AuctionSchedule {
  const sessionClose = sessionCloseFromEnv();
  return { ...sessionOptionsFromEnv(), ...(sessionClose === undefined ? {} : { sessionClose }) };
}

export function simulatedVenue(): SimulatedVenue {
  venue ??= new SimulatedVenue({
    doc: dynamo,
    eventBridge,
    venueOrdersTable: requiredEnv(ENV.venueOrdersTable),
    marketTable: requiredEnv(ENV.marketTable),
    eventBusName: requiredEnv(ENV.eventBusName),
    venueName: venueName(),
    now: Date.now,
    schedule: auctionScheduleFromEnv(),
    orderTypes: venueOrderTypesFromEnv(),
  });
  return venue;
}

export function eventStore(): EventStore {
  store ??= new EventStore(dynamo, requiredEnv(ENV.eventStoreTable));
  return store;
}
