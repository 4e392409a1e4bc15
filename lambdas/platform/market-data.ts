/**
 * The market data port: the one way the OMS reads market reference data: quotes (risk's reference
 * price, an algorithm's slice, the held-trigger watcher) and the asset master (what the OMS may
 * trade: core asset.ts). It holds the ONE schema of the quote item in MARKET_TABLE, which the
 * simulated market writes (broker-gateway/simulated/market.ts), and of the asset item in
 * ASSETS_TABLE, which local mode and operators write (`assetToItem`). Today one adapter reads those
 * tables; a real feed, or several venues' books, is another adapter behind the same port. The rules
 * on quotes and assets are pure, in the core (core/market-quote.ts, core/asset.ts).
 *
 * Pre-trade risk reads a symbol's quote and asset together (`referenceData`): ONE BatchGetItem over
 * both tables, so the asset master adds no request to an order (issue 13).
 */
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  ASSET_ATTRIBUTES,
  ASSET_EXCHANGES,
  ASSET_STATUSES,
  ASSET_SYMBOL,
  type Asset,
  assetIdOf,
  type BestBidOffer,
  defaultAsset,
  type MarketQuote,
  type Nanos,
  nationalBestBidOffer,
  parseNanos,
  restrictionAfterPrint,
  type ShortSaleRestriction,
  type VenueStatus,
  venueQuotesOf,
} from '../core/index.js';
import { catchAs } from '../core/zod-messages.js';
import { ASSET_ID_INDEX, ENV, optionalEnv } from './config.js';
import { dynamo } from './dynamo.js';
import { routableVenueProfiles } from './fix-venues.js';

/** The MARKET_TABLE item: one per symbol, decimals as canonical text. */
export interface QuoteItem {
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly last: string;
  readonly bidSize: string;
  readonly askSize: string;
  readonly updatedAt: string;
  /** Set by an operator: the market tick holds this quote (does not walk it) until it is set again. */
  readonly pinned?: boolean;
  /**
   * Cumulative traded volume of the tape: what algorithms measure participation against
   * (`max_percentage`). Absent until the first step.
   */
  readonly volume?: string;
  /** Cumulative printed notional (size x price) of the tape (TCA's exact VWAP). Absent until the first step. */
  readonly notional?: string;
  /** Cumulative mid x ms of the tape up to `updatedAt` (TCA's exact TWAP). Absent until the first step. */
  readonly midMs?: string;
  /** The previous session's closing price (Alpaca's `lastday_price` of a position); set by an operator or a feed. */
  readonly prevClose?: string;
  /**
   * Reg SHO Rule 201: the New York date a print 10% or more below `prevClose` triggered the short
   * sale restriction, and the last date it applies (core short-sales.ts `restrictionAfterPrint`):
   * written by whoever writes the tape, carried by every later write.
   */
  readonly ssrTriggeredOn?: string;
  readonly ssrUntil?: string;
}

// The schemas below are built once when the module loads, as any constant; the pure IIFE
// around each only lets a bundle that never reads one leave it (and the zod it needs) out:
// esbuild keeps a top-level call otherwise, for side effects it cannot rule out (issue 12).
const decimal = /* @__PURE__ */ (() =>
  z.pipe(
    z.union([z.string(), z.number()]),
    z.transform((v: string | number, ctx): Nanos | null => {
      const n = parseNanos(String(v));
      if (typeof n !== 'bigint') {
        ctx.issues.push({ code: 'custom', message: 'not a decimal', input: v });
        return z.NEVER;
      }
      return n;
    }),
  ))();
/** A price or size that is absent or unreadable reads as null; a non-positive one too. */
const positiveOrNull = /* @__PURE__ */ (() =>
  z.pipe(
    catchAs(z.optional(decimal), undefined),
    z.transform((n: Nanos | null | undefined) => (n === undefined || n === null || n <= 0n ? null : n)),
  ))();

/** A size or volume: zero is a reading (nothing displayed, nothing traded yet). */
const nonNegativeOrNull = /* @__PURE__ */ (() =>
  z.pipe(
    catchAs(z.optional(decimal), undefined),
    z.transform((n: Nanos | null | undefined) => (n === undefined || n === null || n < 0n ? null : n)),
  ))();

export const quoteItemSchema = /* @__PURE__ */ (() =>
  z.object({
    symbol: catchAs(z.optional(z.string().check(z.minLength(1))), undefined),
    bid: positiveOrNull,
    ask: positiveOrNull,
    last: positiveOrNull,
    bidSize: nonNegativeOrNull,
    askSize: nonNegativeOrNull,
    volume: nonNegativeOrNull,
    notional: nonNegativeOrNull,
    midMs: nonNegativeOrNull,
    prevClose: positiveOrNull,
    updatedAt: catchAs(z.optional(z.string()), undefined),
    ssrTriggeredOn: catchAs(z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/))), undefined),
    ssrUntil: catchAs(z.optional(z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/))), undefined),
  }))();

/** The Rule 201 attributes of a quote item (both dates, or none). */
export function restrictionOfItem(item: {
  readonly ssrTriggeredOn?: unknown;
  readonly ssrUntil?: unknown;
}): ShortSaleRestriction | null {
  const on = item.ssrTriggeredOn;
  const until = item.ssrUntil;
  const date = /^\d{4}-\d{2}-\d{2}$/;
  return typeof on === 'string' && typeof until === 'string' && date.test(on) && date.test(until)
    ? { triggeredOn: on, until }
    : null;
}

/**
 * The attributes a write of the tape's item sets for Rule 201: the restriction after `last` printed
 * at `now` against the item's previous close (core `restrictionAfterPrint`); none when there is none.
 */
export function restrictionAttributes(
  stored: { readonly ssrTriggeredOn?: unknown; readonly ssrUntil?: unknown } | undefined,
  prevClose: Nanos | null,
  last: Nanos | null,
  today: string,
): { ssrTriggeredOn?: string; ssrUntil?: string } {
  const r = restrictionAfterPrint(
    stored === undefined ? null : restrictionOfItem(stored),
    prevClose,
    last,
    today,
  );
  return r === null ? {} : { ssrTriggeredOn: r.triggeredOn, ssrUntil: r.until };
}

/**
 * A stored item as a quote (`symbol`: the key it was read by, when the item lacks it); null when
 * there is no item, or no symbol to name it by.
 */
export function quoteFromItem(
  item: unknown,
  source: string | null = null,
  symbol?: string,
): MarketQuote | null {
  if (item === undefined || item === null) return null;
  const parsed = quoteItemSchema.safeParse(item);
  if (!parsed.success) return null;
  const q = parsed.data;
  const named = q.symbol ?? symbol;
  if (named === undefined) return null;
  const { prevClose, notional, midMs, ssrTriggeredOn, ssrUntil, ...quote } = q;
  const restriction = restrictionOfItem({ ssrTriggeredOn, ssrUntil });
  return {
    ...quote,
    ...(notional === null ? {} : { notional }),
    ...(midMs === null ? {} : { midMs }),
    symbol: named,
    updatedAt: q.updatedAt ?? null,
    source,
    ...(prevClose === null ? {} : { previousClose: prevClose }),
    ...((item as { pinned?: unknown }).pinned === true ? { pinned: true } : {}),
    ...(restriction === null ? {} : { shortSaleRestriction: restriction }),
  };
}

/**
 * The MARKET_TABLE item of the venues' health (key `symbol = VENUE_HEALTH_KEY`, which no symbol
 * can be): which venues the market shows down (an operator's outage, local mode's `PUT
 * /local/venues/{venue}` with `down`), when the OMS last saw each fail (the gateway records it),
 * and each venue's recent fill rate of resting orders (the simulated market keeps it). Read with
 * the quote in the same request, so routing costs no request of its own.
 */
export const VENUE_HEALTH_KEY = '@venues';

export interface VenueHealth {
  readonly down: boolean;
  readonly since: string | null;
  /** The last failure the OMS saw at the venue (ISO), if any. */
  readonly failedAt: string | null;
  /** Recent share of resting orders the market reached that filled there (0..1); null: unknown. */
  readonly fillRate: number | null;
}

/** Attributes of the health item: one per venue and fact (`down#SIMY`), so one UpdateItem always writes. */
const FACTS = ['down', 'since', 'failedAt', 'fillRate'] as const;
const attributeOf = (fact: (typeof FACTS)[number], venue: string) => `${fact}#${venue}`;

/** The health item as a map by venue (a venue absent from it is up, never failed, rate unknown). */
export function venueHealthFromItem(item: unknown): Map<string, VenueHealth> {
  const out = new Map<string, VenueHealth>();
  if (typeof item !== 'object' || item === null) return out;
  const attrs = item as Record<string, unknown>;
  const venues = new Set<string>();
  for (const key of Object.keys(attrs)) {
    const i = key.indexOf('#');
    if (i > 0 && (FACTS as readonly string[]).includes(key.slice(0, i))) venues.add(key.slice(i + 1));
  }
  for (const venue of venues) {
    const down = attrs[attributeOf('down', venue)];
    const since = attrs[attributeOf('since', venue)];
    const failedAt = attrs[attributeOf('failedAt', venue)];
    const rate = Number(attrs[attributeOf('fillRate', venue)]);
    out.set(venue, {
      down: down === true,
      since: typeof since === 'string' ? since : null,
      failedAt: typeof failedAt === 'string' ? failedAt : null,
      fillRate:
        Number.isFinite(rate) && rate >= 0 && rate <= 1 && attrs[attributeOf('fillRate', venue)] !== undefined
          ? rate
          : null,
    });
  }
  return out;
}

/** A symbol's market across venues: the tape, each venue's book, the NBBO and the venues' health. */
export interface ConsolidatedQuote {
  /** The common quote the venues' books are drawn around (MARKET_TABLE); null: no quote. */
  readonly tape: MarketQuote | null;
  /** Each venue's quote (a venue that is down shows none), in `VENUE_PROFILES` order, then the FIX venues. */
  readonly venues: readonly MarketQuote[];
  readonly nbbo: BestBidOffer;
  readonly health: ReadonlyMap<string, VenueHealth>;
}

/** The consolidated view of `tape` under `health` (pure). */
export function consolidate(
  symbol: string,
  tape: MarketQuote | null,
  health: ReadonlyMap<string, VenueHealth>,
): ConsolidatedQuote {
  const statuses = new Map<string, VenueStatus>();
  for (const [venue, h] of health) statuses.set(venue, { down: h.down, since: h.since });
  const venues =
    tape === null ? [] : venueQuotesOf(tape, statuses, tape.pinned === true, routableVenueProfiles());
  return { tape, venues, nbbo: nationalBestBidOffer(symbol, venues), health };
}

/** Marks `venue` down or up (an operator's outage): one UpdateItem on the health item. */
export async function setVenueDown(
  doc: DynamoDBDocumentClient,
  table: string,
  venue: string,
  down: boolean,
  at: string,
): Promise<void> {
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { symbol: VENUE_HEALTH_KEY },
      UpdateExpression: 'SET #d = :d, #s = :at',
      ExpressionAttributeNames: { '#d': attributeOf('down', venue), '#s': attributeOf('since', venue) },
      ExpressionAttributeValues: { ':d': down, ':at': at },
    }),
  );
}

/** Records a failure the OMS saw at `venue` (the router skips it for a while): one UpdateItem. */
export async function recordVenueFailure(
  doc: DynamoDBDocumentClient,
  table: string,
  venue: string,
  at: string,
): Promise<void> {
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { symbol: VENUE_HEALTH_KEY },
      UpdateExpression: 'SET #f = :at',
      ExpressionAttributeNames: { '#f': attributeOf('failedAt', venue) },
      ExpressionAttributeValues: { ':at': at },
    }),
  );
}

/** Records the venues' recent fill rates of resting orders (the simulated market): one UpdateItem. */
export async function recordFillRates(
  doc: DynamoDBDocumentClient,
  table: string,
  rates: ReadonlyMap<string, number>,
): Promise<void> {
  if (rates.size === 0) return;
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const sets: string[] = [];
  [...rates.entries()].forEach(([venue, rate], i) => {
    names[`#r${i}`] = attributeOf('fillRate', venue);
    values[`:r${i}`] = Math.min(1, Math.max(0, rate));
    sets.push(`#r${i} = :r${i}`);
  });
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { symbol: VENUE_HEALTH_KEY },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

/**
 * The ASSETS_TABLE item (pk `symbol`, the upper-cased symbol), core `Asset` as stored: `id` is
 * written for the `byAssetId` index and is always `assetIdOf(symbol)`.
 */
export interface AssetItem {
  readonly symbol: string;
  readonly id: string;
  readonly name: string;
  readonly exchange: string;
  readonly status: string;
  readonly tradable: boolean;
  readonly marginable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
  readonly fractionable: boolean;
  readonly maintenanceMarginRequirement: number;
  readonly attributes: readonly string[];
}

/** The item of an asset (what local mode and the operator's script write). */
export function assetToItem(asset: Asset): AssetItem {
  return {
    symbol: asset.symbol,
    id: assetIdOf(asset.symbol),
    name: asset.name,
    exchange: asset.exchange,
    status: asset.status,
    tradable: asset.tradable,
    marginable: asset.marginable,
    shortable: asset.shortable,
    easyToBorrow: asset.easyToBorrow,
    fractionable: asset.fractionable,
    maintenanceMarginRequirement: asset.maintenanceMarginRequirement,
    attributes: [...asset.attributes],
  };
}

/**
 * A stored asset item. A field an operator left out takes core `defaultAsset`'s value (a bare
 * `{symbol}` item lists the symbol as a default equity); a field that is there but unreadable
 * makes the whole item unreadable, read as not listed (fail closed: risk refuses `unknown_asset`).
 */
const assetItemSchema = /* @__PURE__ */ (() =>
  z.object({
    symbol: z.string().check(z.regex(ASSET_SYMBOL)),
    name: z.optional(z.string().check(z.minLength(1))),
    exchange: z.optional(z.enum(ASSET_EXCHANGES)),
    status: z.optional(z.enum(ASSET_STATUSES)),
    tradable: z.optional(z.boolean()),
    marginable: z.optional(z.boolean()),
    shortable: z.optional(z.boolean()),
    easyToBorrow: z.optional(z.boolean()),
    fractionable: z.optional(z.boolean()),
    maintenanceMarginRequirement: z.optional(z.number().check(z.minimum(0), z.maximum(100))),
    // A list, or a DynamoDB string set (the document client reads it as a Set).
    attributes: z.optional(
      z.pipe(
        z.union([z.array(z.enum(ASSET_ATTRIBUTES)), z.set(z.enum(ASSET_ATTRIBUTES))]),
        z.transform((a) => [...a]),
      ),
    ),
  }))();

/** A stored item as an asset; null when there is none or it is unreadable. */
export function assetFromItem(item: unknown): Asset | null {
  if (item === undefined || item === null) return null;
  const parsed = assetItemSchema.safeParse(item);
  if (!parsed.success) return null;
  const v = parsed.data;
  const base = defaultAsset(v.symbol);
  return {
    id: base.id,
    symbol: v.symbol,
    name: v.name ?? base.name,
    exchange: v.exchange ?? base.exchange,
    status: v.status ?? base.status,
    tradable: v.tradable ?? base.tradable,
    marginable: v.marginable ?? base.marginable,
    shortable: v.shortable ?? base.shortable,
    easyToBorrow: v.easyToBorrow ?? base.easyToBorrow,
    fractionable: v.fractionable ?? base.fractionable,
    maintenanceMarginRequirement: v.maintenanceMarginRequirement ?? base.maintenanceMarginRequirement,
    attributes: v.attributes ?? base.attributes,
  };
}

/** A symbol's quote and asset, read together. */
export interface ReferenceData {
  readonly quote: MarketQuote | null;
  /** The symbol across venues (the NBBO, each venue's book, the venues' health). */
  readonly consolidated: ConsolidatedQuote;
  /** Null: the asset master does not list the symbol. */
  readonly asset: Asset | null;
}

export interface MarketData {
  /** The symbol's quote; null when there is none. */
  quote(symbol: string): Promise<MarketQuote | null>;
  /** The quotes of several symbols at once (a symbol without a quote is absent). */
  quotes(symbols: readonly string[]): Promise<Map<string, MarketQuote>>;
  /** The national best bid and offer: the best over every venue's quote (null: no quote). */
  bestBidOffer(symbol: string): Promise<BestBidOffer | null>;
  /** The symbol across venues: each venue's quote, the NBBO, the venues' health (one request). */
  consolidatedQuote(symbol: string): Promise<ConsolidatedQuote>;
  /** The symbol's quote and its asset at once (pre-trade risk: one request). */
  referenceData(symbol: string): Promise<ReferenceData>;
  /** The asset master's entry for the symbol (upper-cased); null when it is not listed. */
  asset(symbol: string): Promise<Asset | null>;
  /** The listed asset with this id; null when there is none. */
  assetById(id: string): Promise<Asset | null>;
  /** Every listed asset (readable items), in no particular order. */
  assets(): Promise<Asset[]>;
  /** The listed assets of these symbols (upper case), by symbol; an unlisted one is absent. */
  assetsOf(symbols: readonly string[]): Promise<Map<string, Asset>>;
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
const BATCH_GET_ATTEMPTS = 5;

/**
 * Quotes from a DynamoDB table keyed by `symbol` (MARKET_TABLE), items as `QuoteItem`; assets from
 * one keyed by `symbol` with the `byAssetId` index (ASSETS_TABLE), items as `AssetItem`. A function
 * is given only the tables it reads: a method on a table it was not given throws.
 */
export class TableMarketData implements MarketData {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly marketTable: string | null,
    private readonly source: string | null = null,
    private readonly assetsTable: string | null = null,
  ) {}

  private get table(): string {
    if (this.marketTable === null) throw new Error(`environment variable ${ENV.marketTable} is not set`);
    return this.marketTable;
  }

  private get assetTable(): string {
    if (this.assetsTable === null) throw new Error(`environment variable ${ENV.assetsTable} is not set`);
    return this.assetsTable;
  }

  async quote(symbol: string): Promise<MarketQuote | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { symbol } }));
    return quoteFromItem(out.Item, this.source, symbol);
  }

  async referenceData(symbol: string): Promise<ReferenceData> {
    const market = this.table;
    const assets = this.assetTable;
    const key = symbol.toUpperCase();
    let requests: Record<string, { Keys: Record<string, unknown>[] }> = {
      [market]: { Keys: [{ symbol }, { symbol: VENUE_HEALTH_KEY }] },
      [assets]: { Keys: [{ symbol: key }] },
    };
    let quote: MarketQuote | null = null;
    let asset: Asset | null = null;
    let health = new Map<string, VenueHealth>();
    for (let attempt = 1; Object.keys(requests).length > 0; attempt++) {
      if (attempt > BATCH_GET_ATTEMPTS) throw new Error(`reference data of ${symbol}: keys left unprocessed`);
      if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await this.doc.send(new BatchGetCommand({ RequestItems: requests }));
      for (const item of out.Responses?.[market] ?? []) {
        if (item.symbol === VENUE_HEALTH_KEY) health = venueHealthFromItem(item);
        else quote = quoteFromItem(item, this.source, symbol);
      }
      const assetItem = out.Responses?.[assets]?.[0];
      if (assetItem !== undefined) asset = assetFromItem(assetItem);
      requests = (out.UnprocessedKeys ?? {}) as typeof requests;
    }
    return { quote, asset, consolidated: consolidate(symbol, quote, health) };
  }

  async consolidatedQuote(symbol: string): Promise<ConsolidatedQuote> {
    let keys: Record<string, unknown>[] = [{ symbol }, { symbol: VENUE_HEALTH_KEY }];
    let quote: MarketQuote | null = null;
    let health = new Map<string, VenueHealth>();
    for (let attempt = 1; keys.length > 0; attempt++) {
      if (attempt > BATCH_GET_ATTEMPTS)
        throw new Error(`consolidated quote of ${symbol}: keys left unprocessed`);
      if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      const out = await this.doc.send(
        new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }),
      );
      for (const item of out.Responses?.[this.table] ?? []) {
        if (item.symbol === VENUE_HEALTH_KEY) health = venueHealthFromItem(item);
        else quote = quoteFromItem(item, this.source, symbol);
      }
      keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
    }
    return consolidate(symbol, quote, health);
  }

  async asset(symbol: string): Promise<Asset | null> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.assetTable, Key: { symbol: symbol.toUpperCase() } }),
    );
    return assetFromItem(out.Item);
  }

  async assetById(id: string): Promise<Asset | null> {
    const lower = id.toLowerCase();
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.assetTable,
        IndexName: ASSET_ID_INDEX,
        KeyConditionExpression: 'id = :id',
        ExpressionAttributeValues: { ':id': lower },
      }),
    );
    // The id is the symbol's: an item whose stored id is not (written by hand) is not found by it.
    for (const item of out.Items ?? []) {
      const asset = assetFromItem(item);
      if (asset !== null && asset.id === lower) return asset;
    }
    return null;
  }

  async assets(): Promise<Asset[]> {
    const out: Asset[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({ TableName: this.assetTable, ExclusiveStartKey: start }),
      );
      for (const item of page.Items ?? []) {
        const asset = assetFromItem(item);
        if (asset !== null) out.push(asset);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  // async: a table this function was not given is a rejection, as for every other read.
  async assetsOf(symbols: readonly string[]): Promise<Map<string, Asset>> {
    return this.bySymbol(this.assetTable, symbols, assetFromItem);
  }

  async quotes(symbols: readonly string[]): Promise<Map<string, MarketQuote>> {
    return this.bySymbol(this.table, symbols, (item) => quoteFromItem(item, this.source));
  }

  /**
   * The items of these symbols in `table`, parsed (an unreadable one left out): 100 keys per
   * BatchGetItem, the keys left unprocessed asked again (BATCH_GET_ATTEMPTS in all).
   */
  private async bySymbol<T extends { readonly symbol: string }>(
    table: string,
    symbols: readonly string[],
    parse: (item: Record<string, unknown>) => T | null,
  ): Promise<Map<string, T>> {
    const found = new Map<string, T>();
    const unique = [...new Set(symbols)];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_KEYS).map((symbol) => ({ symbol }));
      for (let attempt = 1; keys.length > 0 && attempt <= BATCH_GET_ATTEMPTS; attempt++) {
        if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }));
        for (const item of out.Responses?.[table] ?? []) {
          const x = parse(item);
          if (x !== null) found.set(x.symbol, x);
        }
        keys = out.UnprocessedKeys?.[table]?.Keys ?? [];
      }
    }
    return found;
  }

  async bestBidOffer(symbol: string): Promise<BestBidOffer | null> {
    const c = await this.consolidatedQuote(symbol);
    return c.tape === null ? null : c.nbbo;
  }
}

let market: MarketData | undefined;

/**
 * The market data port as the stack wires it (MARKET_TABLE, ASSETS_TABLE: each where the function
 * is granted it), one per execution environment.
 */
export function marketData(): MarketData {
  market ??= new TableMarketData(
    dynamo,
    optionalEnv(ENV.marketTable) ?? null,
    null,
    optionalEnv(ENV.assetsTable) ?? null,
  );
  return market;
}
