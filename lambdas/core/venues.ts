/**
 * The venues the OMS can route to, and the simulated market's model of their quotes. Configured in
 * ONE place (`VENUE_PROFILES`): each venue's fee schedule (maker/taker, dollars per share; negative
 * is a rebate), latency, the chance that a resting order the market reaches fills on a step, and
 * the shape of its book relative to the tape. The simulated venues, the market-data port (each
 * venue's quote and the NBBO) and the router all read it here, so they agree.
 *
 * Quotes (pure, deterministic): the tape's quote (MARKET_TABLE, the common fair price) is the
 * primary venue's book. Every other venue quotes around it: on each side its price sits up to one
 * tick inside or outside the tape's (drawn from the venue, symbol and quote time, so every reader
 * computes the same book), never crossing itself, and it displays its share of the tape's size in
 * whole shares. A pinned quote (an operator's `PUT /local/market/{symbol}`) is every venue's: the
 * operator set the market, so no venue quotes away from it. A venue that is down quotes nothing.
 */
import {
  divideHalfEven,
  formatNanos,
  type Nanos,
  ONE,
  signedNanos,
  tickSizeFor,
  toValue18,
} from './decimal.js';
import { type BestBidOffer, bestBidOfferOf, type MarketQuote } from './market-quote.js';

export interface VenueProfile {
  /** The venue id (execution reports' `venue`, FIX ExDestination). */
  readonly name: string;
  /** The listing market: it quotes the tape itself and holds the opening and closing auctions. */
  readonly primary: boolean;
  /** Fee per share for taking liquidity (dollars; negative: a rebate). */
  readonly takerFeePerShare: string;
  /** Fee per share for adding liquidity (dollars; negative: a rebate). */
  readonly makerFeePerShare: string;
  /** How long the venue takes to act on a request (the simulated venue sleeps this long). */
  readonly latencyMs: number;
  /** Percent chance that a resting order the market reaches fills on that step (the rest of the time another venue's order trades first). */
  readonly passiveFillPercent: number;
  /** Displayed size as a percent of the tape's (whole shares, at least one). */
  readonly sizePercent: number;
  /** Percent of quotes where a side sits one tick better than the tape (a non-primary venue). */
  readonly improvePercent: number;
  /** Percent of quotes where a side sits one tick worse than the tape. */
  readonly behindPercent: number;
}

/**
 * A venue outside the simulator (a FIX session, a broker) as the router sees it: it sends no
 * market data here, so it is taken to show the tape's quote and size (no improvement, never
 * behind, every resting order it is reached with fills), with its configured fees and latency.
 */
export function tapeVenueProfile(
  name: string,
  configured: {
    readonly takerFeePerShare?: string;
    readonly makerFeePerShare?: string;
    readonly latencyMs?: number;
  },
  defaults: {
    readonly takerFeePerShare: string;
    readonly makerFeePerShare: string;
    readonly latencyMs: number;
  },
): VenueProfile {
  return {
    name,
    primary: false,
    takerFeePerShare: configured.takerFeePerShare ?? defaults.takerFeePerShare,
    makerFeePerShare: configured.makerFeePerShare ?? defaults.makerFeePerShare,
    latencyMs: configured.latencyMs ?? defaults.latencyMs,
    passiveFillPercent: 100,
    sizePercent: 100,
    improvePercent: 0,
    behindPercent: 0,
  };
}

/**
 * The simulated venues local mode starts and the stack deploys (docs/routing.md): a deep primary
 * market with ordinary maker-taker fees, a high-rebate venue whose queues are long (resting
 * orders fill less often), and a cheap, thin, slower venue.
 */
export const VENUE_PROFILES: readonly VenueProfile[] = [
  {
    name: 'SIMX',
    primary: true,
    takerFeePerShare: '0.0030',
    makerFeePerShare: '-0.0020',
    latencyMs: 0,
    passiveFillPercent: 100,
    sizePercent: 100,
    improvePercent: 0,
    behindPercent: 0,
  },
  {
    name: 'SIMY',
    primary: false,
    takerFeePerShare: '0.0030',
    makerFeePerShare: '-0.0025',
    latencyMs: 5,
    passiveFillPercent: 70,
    sizePercent: 60,
    improvePercent: 25,
    behindPercent: 25,
  },
  {
    name: 'SIMZ',
    primary: false,
    takerFeePerShare: '0.0010',
    makerFeePerShare: '0.0005',
    latencyMs: 20,
    passiveFillPercent: 85,
    sizePercent: 40,
    improvePercent: 30,
    behindPercent: 30,
  },
];

export const VENUE_NAMES: readonly string[] = VENUE_PROFILES.map((v) => v.name);

/** The primary (listing) venue: auctions, held-stop arming and the default route. */
export const PRIMARY_VENUE: VenueProfile = VENUE_PROFILES.find((v) => v.primary) as VenueProfile;

export function venueProfileOf(name: string): VenueProfile | undefined {
  return VENUE_PROFILES.find((v) => v.name === name);
}

/** The fee of `qty` shares at `perShare` dollars, exact to the nano-dollar (half-even; a rebate is negative). */
export function feeOf(qty: Nanos, perShare: string | Nanos): Nanos {
  const rate = typeof perShare === 'string' ? signedNanos(perShare) : perShare;
  const negative = rate < 0n;
  const value = qty * (negative ? -rate : rate);
  const fee = divideHalfEven(value, ONE);
  return negative ? -fee : fee;
}

/** A venue's availability as the market sees it (the simulated feed's venue status). */
export interface VenueStatus {
  readonly down: boolean;
  /** When it went down or came back (ISO). */
  readonly since: string | null;
}

/** FNV-1a, 32 bit (the same draw everywhere: one venue book per quote). */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function shiftTicks(draw: number, profile: VenueProfile): -1n | 0n | 1n {
  if (draw < profile.improvePercent) return 1n;
  if (draw < profile.improvePercent + profile.behindPercent) return -1n;
  return 0n;
}

function sharedSize(size: Nanos | null, profile: VenueProfile, draw: number): Nanos | null {
  if (size === null) return null;
  if (profile.sizePercent >= 100) return size;
  // Between half and one and a half times the venue's share, in whole shares, at least one.
  const scaled = (size * BigInt(profile.sizePercent) * BigInt(50 + draw)) / 10_000n;
  const shares = scaled / ONE;
  return (shares < 1n ? 1n : shares) * ONE;
}

/**
 * The venue's quote of a symbol, from the tape's (`pinned`: every venue shows the tape's prices).
 * The primary venue's is the tape's itself. Sizes of other venues are their share of the tape's.
 */
export function venueQuoteOf(tape: MarketQuote, profile: VenueProfile, pinned = false): MarketQuote {
  if (profile.primary) return { ...tape, source: profile.name };
  const seed = hash32(`${profile.name}|${tape.symbol}|${tape.updatedAt ?? ''}`);
  const bidDraw = seed % 100;
  const askDraw = Math.floor(seed / 100) % 100;
  const sizeDraw = Math.floor(seed / 10_000) % 100;
  let bid = tape.bid;
  let ask = tape.ask;
  if (!pinned && bid !== null && ask !== null) {
    const b = bid + shiftTicks(bidDraw, profile) * tickSizeFor(bid);
    const a = ask - shiftTicks(askDraw, profile) * tickSizeFor(ask);
    // Never a crossed or locked book; a price at or below zero is no price.
    if (b > 0n && a > b) {
      bid = b;
      ask = a;
    }
  }
  return {
    ...tape,
    bid,
    ask,
    bidSize: sharedSize(tape.bidSize, profile, sizeDraw),
    askSize: sharedSize(tape.askSize, profile, (sizeDraw * 7) % 100),
    source: profile.name,
  };
}

/** Every venue's quote (a venue that is down shows none), in `VENUE_PROFILES` order. */
export function venueQuotesOf(
  tape: MarketQuote,
  statuses: ReadonlyMap<string, VenueStatus> = new Map(),
  pinned = false,
  profiles: readonly VenueProfile[] = VENUE_PROFILES,
): MarketQuote[] {
  return profiles
    .filter((p) => statuses.get(p.name)?.down !== true)
    .map((p) => venueQuoteOf(tape, p, pinned));
}

/** The consolidated best bid and offer (NBBO) over the venues' quotes. */
export function nationalBestBidOffer(symbol: string, quotes: readonly MarketQuote[]): BestBidOffer {
  return bestBidOfferOf(symbol, quotes);
}

/** The NBBO midpoint, exact (half-even at the nano); null without both sides. */
export function midpointOf(bid: Nanos | null, ask: Nanos | null): Nanos | null {
  if (bid === null || ask === null) return null;
  return divideHalfEven(toValue18(bid + ask), 2n * ONE);
}

/** Canonical text of a quote's prices (events carry decimals as text). */
export function quoteText(bid: Nanos | null, ask: Nanos | null): { bid: string | null; ask: string | null } {
  return { bid: bid === null ? null : formatNanos(bid), ask: ask === null ? null : formatNanos(ask) };
}
