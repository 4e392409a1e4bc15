/**
 * The venue handlers' collaborators, built once per execution environment from the environment
 * variables the stack sets (docs/aws.md). Tests build their own with mocked clients.
 */

import { DEFAULT_VENUE_NAME, ENV, optionalEnv, requiredEnv } from '../shared/config.js';
import { dynamo } from '../shared/dynamo.js';
import { eventBridge } from '../shared/event-bridge.js';
import { EventStore } from '../shared/event-store.js';
import { SimulatedVenue } from './simulated-venue.js';

export { DEFAULT_VENUE_NAME };

export function venueName(): string {
  return optionalEnv(ENV.venueName) ?? DEFAULT_VENUE_NAME;
}

let venue: SimulatedVenue | undefined;
let store: EventStore | undefined;

export function simulatedVenue(): SimulatedVenue {
  venue ??= new SimulatedVenue({
    doc: dynamo,
    eventBridge,
    venueOrdersTable: requiredEnv(ENV.venueOrdersTable),
    marketTable: requiredEnv(ENV.marketTable),
    eventBusName: requiredEnv(ENV.eventBusName),
    venueName: venueName(),
    now: Date.now,
  });
  return venue;
}

export function eventStore(): EventStore {
  store ??= new EventStore(dynamo, requiredEnv(ENV.eventStoreTable));
  return store;
}
