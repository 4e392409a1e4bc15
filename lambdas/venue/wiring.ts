/**
 * The venue handlers' collaborators, built once per execution environment from the environment
 * variables the stack sets (docs/aws.md). Tests build their own with mocked clients.
 */

import { DEFAULT_VENUE_NAME, ENV, optionalEnv, requiredEnv } from '../shared/config.js';
import { dynamo } from '../shared/dynamo.js';
import { eventBridge } from '../shared/event-bridge.js';
import { EventStore } from '../shared/event-store.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../shared/session-settings.js';
import { venueOrderTypesFromEnv } from '../shared/venue-capabilities.js';
import type { AuctionSchedule } from './auction.js';
import { SimulatedVenue } from './simulated-venue.js';

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
