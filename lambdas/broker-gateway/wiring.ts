/**
 * The venue handlers' collaborators, built once per execution environment from the environment
 * variables the stack sets (docs/aws.md). Tests build their own with mocked clients.
 *
 * `venueFor(name)` is the ONE place a handler gets a venue: the `Venue` port, by name. It is also
 * the one file outside `simulated/` that names the simulated venue (test/layout.test.ts checks).
 * The stack deploys the simulated venues of core VENUE_PROFILES (SIMX, SIMY, SIMZ; VENUE_NAME names
 * the primary); the FIX venues of OMS_FIX_VENUES are `FixVenue`s (requests to the venue session
 * host, status from its mirror: docs/venues.md); another adapter is another entry here.
 */

import { VENUE_NAMES } from '../core/index.js';
import { eventStore } from '../event-store/event-store.js';
import { secretsManagerAlpacaCredentials } from '../platform/alpaca-credentials.js';
import { type AlpacaVenueConfig, alpacaVenuesFromEnv } from '../platform/alpaca-venues.js';
import { DEFAULT_VENUE_NAME, ENV, optionalEnv, requiredEnv, venueNameFromEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { fixVenueNames } from '../platform/fix-venues.js';
import { recordVenueFailure as recordFailure } from '../platform/market-data.js';
import { PRICE_MARKS_TABLE_ENV } from '../platform/price-marks.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { venueOrderTypesFromEnv } from '../platform/venue-capabilities.js';
import { AlpacaBrokerVenue } from './alpaca/alpaca-venue.js';
import { eventBridgePublisher } from './alpaca/publish.js';
import { DynamoFixBook } from './fix/fix-book.js';
import { FixVenue } from './fix/fix-venue.js';
import type { AuctionSchedule } from './simulated/auction.js';
import { SimulatedMarket, SimulatedVenue, type SimulatedVenueOptions } from './simulated/simulated-venue.js';
import { simulatedVenueDynamo } from './simulated/venue-client.js';
import type { Venue } from './venue.js';

export { DEFAULT_VENUE_NAME };

/** The venue this deployment sends orders to (VENUE_NAME, default SIMX). */
export const venueName = venueNameFromEnv;

const venues = new Map<string, SimulatedVenue>();

/**
 * When the venue holds its auctions: OMS_SESSION_OPEN / OMS_SESSION_CLOSE, OMS_SESSION_DAYS and
 * OMS_SESSION_CALENDAR, as the workflow reads them (a malformed one fails the cold start).
 */
export function auctionScheduleFromEnv(): AuctionSchedule {
  const sessionClose = sessionCloseFromEnv();
  return { ...sessionOptionsFromEnv(), ...(sessionClose === undefined ? {} : { sessionClose }) };
}

let alpacaConfigs: AlpacaVenueConfig[] | undefined;
/**
 * The Alpaca broker venues of OMS_ALPACA_VENUES (docs/venues.md); a malformed one fails the cold
 * start. A venue naming a Secrets Manager secret (AWS) reads its key pair on its first call in this
 * container, once (platform/alpaca-credentials.ts); an inline key pair (local mode) is used as is.
 */
export function alpacaVenueConfigs(): AlpacaVenueConfig[] {
  alpacaConfigs ??= alpacaVenuesFromEnv(process.env, secretsManagerAlpacaCredentials());
  return alpacaConfigs;
}
const alpacaVenues = new Map<string, AlpacaBrokerVenue>();

/**
 * The venues this deployment has: the simulated venues of core `VENUE_PROFILES`, VENUE_NAME, the
 * FIX venues of OMS_FIX_VENUES and the Alpaca broker venues of OMS_ALPACA_VENUES.
 */
export function deployedVenues(): string[] {
  return [
    ...new Set([
      venueNameFromEnv(),
      ...VENUE_NAMES,
      ...fixVenueNames(),
      ...alpacaVenueConfigs().map((c) => c.name),
    ]),
  ];
}

/** An Alpaca broker venue by name (its trade_updates listener uses the same one); null: not one. */
export function alpacaVenue(name: string): AlpacaBrokerVenue | null {
  const config = alpacaVenueConfigs().find((c) => c.name === name);
  if (config === undefined) return null;
  let venue = alpacaVenues.get(name);
  if (venue === undefined) {
    venue = new AlpacaBrokerVenue({
      config,
      publish: eventBridgePublisher(eventBridge, requiredEnv(ENV.eventBusName)),
    });
    alpacaVenues.set(name, venue);
  }
  return venue;
}

const fixVenues = new Map<string, FixVenue>();

/** No venue of that name is wired here: a routing or configuration error, not transient. */
export class UnknownVenue extends Error {
  constructor(readonly venueName: string) {
    super(`no gateway for venue ${venueName} (this deployment has ${deployedVenues().join(', ')})`);
    this.name = 'UnknownVenue';
  }
}

/** The venue named `name` through its port; `UnknownVenue` for a name this deployment lacks. */
export function venueFor(name: string = venueNameFromEnv()): Venue {
  if (!deployedVenues().includes(name)) throw new UnknownVenue(name);
  if (fixVenueNames().includes(name)) {
    let venue = fixVenues.get(name);
    if (venue === undefined) {
      venue = new FixVenue(name, new DynamoFixBook(dynamo, requiredEnv(ENV.venueOrdersTable)), Date.now);
      fixVenues.set(name, venue);
    }
    return venue;
  }
  return alpacaVenue(name) ?? simulatedVenue(name);
}

/** A simulated venue's collaborators and settings, from the environment. */
function simulatedVenueOptions(name: string): SimulatedVenueOptions {
  return {
    doc: simulatedVenueDynamo(),
    eventBridge,
    venueOrdersTable: requiredEnv(ENV.venueOrdersTable),
    marketTable: requiredEnv(ENV.marketTable),
    eventBusName: requiredEnv(ENV.eventBusName),
    venueName: name,
    now: Date.now,
    schedule: auctionScheduleFromEnv(),
    orderTypes: venueOrderTypesFromEnv(),
  };
}

/** A simulated venue by name, through its port (`venueFor`; a test reaches it directly). */
export function simulatedVenue(name: string = venueName()): SimulatedVenue {
  let venue = venues.get(name);
  if (venue === undefined) {
    venue = new SimulatedVenue(simulatedVenueOptions(name));
    venues.set(name, venue);
  }
  return venue;
}

const markets = new Map<string, SimulatedMarket>();

/**
 * A simulated venue that also steps the market, for the market tick in `simulated/` (the primary's,
 * which steps the market and matches every simulated venue's book). Only that handler bundles it.
 */
export function simulatedMarket(name: string = venueName()): SimulatedMarket {
  let market = markets.get(name);
  if (market === undefined) {
    // Only the tick writes price marks; a function without the table writes none.
    market = new SimulatedMarket({
      ...simulatedVenueOptions(name),
      priceMarksTable: optionalEnv(PRICE_MARKS_TABLE_ENV),
    });
    markets.set(name, market);
  }
  return market;
}

/** Records a failure the gateway saw at `venue` in the venues' health item (the router skips it for a while). */
export function recordVenueFailure(venue: string, at: string): Promise<void> {
  return recordFailure(dynamo, requiredEnv(ENV.marketTable), venue, at);
}

/** The one event-store factory (event-store layer), re-exported for the gateway's handlers. */
export { eventStore };
