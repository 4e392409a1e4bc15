/**
 * The asset master (issue 13): what the OMS knows about each symbol it may trade, field-compatible
 * with Alpaca's Asset object (`GET /v2/assets`), and the facts pre-trade risk reads from it.
 *
 * - An asset is a US equity (`class: us_equity`); its `id` is `assetIdOf(symbol)`, a name-based
 *   UUID of the symbol: the same in every deployment and after every re-listing, and the
 *   `asset_id` every order of the symbol already shows. An asset imported from Alpaca's own list
 *   gets the OMS's id, not Alpaca's (which the orders could not show without a read).
 * - `min_order_size`, `min_trade_increment` and `price_increment` (Alpaca sends them for crypto)
 *   are derived, not stored, from what the OMS enforces: a fractionable asset trades in 1e-9 shares
 *   (the OMS's quantity scale), another in whole shares; prices are on the 0.01 grid (the request
 *   rule's tick at or above $1; 0.0001 below, which one field cannot say).
 * - `maintenance_margin_requirement` is a percentage (Alpaca's deprecated number), also sent as
 *   `margin_requirement_long`/`_short` strings.
 * Where the master is stored and how an operator lists an asset: docs/domain.md "The asset master".
 */
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { type FieldError, fieldError } from './field-error.js';
import { TICKER_SYMBOL } from './ticker.js';
import './zod-messages.js';

export const ASSET_CLASS = 'us_equity';
/** Alpaca's asset classes (the SDK's `AssetClass`): a query may name any; the master holds us_equity. */
export const ALPACA_ASSET_CLASSES = [
  'us_equity',
  'us_option',
  'crypto',
  'crypto_perp',
  'treasury',
  'corporate',
  'global_equity',
  'us_index',
  'us_equity_chain',
  'ipo',
] as const;
/** Alpaca's exchanges of a US equity (its `Exchange` enum without CRYPTO). */
export const ASSET_EXCHANGES = ['AMEX', 'ARCA', 'BATS', 'NYSE', 'NASDAQ', 'NYSEARCA', 'OTC'] as const;
/** Alpaca's `Exchange` enum: what `GET /v2/assets?exchange=` accepts. */
export const ALPACA_EXCHANGES = [...ASSET_EXCHANGES, 'CRYPTO'] as const;
export const ASSET_STATUSES = ['active', 'inactive'] as const;
/** Alpaca's asset attributes (the SDK's `AssetAttribute`). */
export const ASSET_ATTRIBUTES = [
  'ptp_no_exception',
  'ptp_with_exception',
  'ipo',
  'has_options',
  'options_late_close',
  'fractional_eh_enabled',
  'overnight_tradable',
  'overnight_halted',
] as const;

export type AssetExchange = (typeof ASSET_EXCHANGES)[number];
export type AssetStatus = (typeof ASSET_STATUSES)[number];
export type AssetAttribute = (typeof ASSET_ATTRIBUTES)[number];

/** A listed asset's symbol: a ticker (core ticker.ts), upper-cased. */
export const ASSET_SYMBOL = /^[A-Z][A-Z0-9.\-/]{0,20}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** One asset of the master, as the OMS keeps it (the stored item; platform/market-data.ts). */
export interface Asset {
  readonly id: string;
  readonly symbol: string;
  readonly name: string;
  readonly exchange: AssetExchange;
  readonly status: AssetStatus;
  readonly tradable: boolean;
  readonly marginable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
  readonly fractionable: boolean;
  /** Percent of a position's value held as margin (Alpaca: 30 for most marginable equities). */
  readonly maintenanceMarginRequirement: number;
  readonly attributes: readonly AssetAttribute[];
}

/** The Asset object of Alpaca's Trading API v2 (`GET /v2/assets/{symbol_or_asset_id}`). */
export interface AlpacaAsset {
  readonly id: string;
  readonly class: typeof ASSET_CLASS;
  readonly exchange: AssetExchange;
  readonly symbol: string;
  readonly name: string;
  readonly status: AssetStatus;
  readonly tradable: boolean;
  readonly marginable: boolean;
  readonly maintenance_margin_requirement: number;
  readonly margin_requirement_long: string;
  readonly margin_requirement_short: string;
  readonly shortable: boolean;
  readonly easy_to_borrow: boolean;
  readonly borrow_status: 'easy_to_borrow' | 'hard_to_borrow';
  readonly fractionable: boolean;
  readonly min_order_size: string;
  readonly min_trade_increment: string;
  readonly price_increment: string;
  readonly attributes: readonly AssetAttribute[];
}

/**
 * What pre-trade risk reads from the master (core risk.ts), recorded with the order it checked
 * (`acceptedAgainst.asset`) so the workflow's re-check does not read it again.
 */
export interface AssetFacts {
  readonly id: string;
  readonly status: AssetStatus;
  readonly tradable: boolean;
  readonly fractionable: boolean;
  readonly marginable: boolean;
  readonly shortable: boolean;
  readonly easyToBorrow: boolean;
}

/**
 * The asset id of a symbol: a stable name-based UUID (SHA-1 of `stockbot.oms/asset/<SYMBOL>`, in
 * the RFC 9562 version 5 layout). Every order's `asset_id` is this (core order-view.ts), so the
 * master's id and its orders' agree without a read; it must never change.
 */
export function assetIdOf(symbol: string): string {
  return nameBasedUuid(`stockbot.oms/asset/${symbol}`);
}

/**
 * A UUID that is a pure function of `name` (SHA-1 of it in the RFC 9562 version 5 layout): ids the
 * OMS derives instead of storing (an asset's id, a trade update's `execution_id`).
 */
export function nameBasedUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Whether `text` is a UUID (lower- or upper-case). */
export function isUuid(text: string): boolean {
  return UUID.test(text.toLowerCase());
}

/** Whether `text` has the form of an asset id (a UUID, lower- or upper-case). */
export const isAssetId = isUuid;

/** Default maintenance margin of a marginable equity (percent), and of one that is not. */
const MARGINABLE_REQUIREMENT = 30;
const NON_MARGINABLE_REQUIREMENT = 100;

/**
 * A symbol the OMS lists with no more said about it: an active, tradable, marginable, shortable,
 * easy-to-borrow, fractionable NASDAQ equity named by its symbol (what local mode lists for a
 * symbol an operator pins a quote for).
 */
export function defaultAsset(symbol: string): Asset {
  const upper = symbol.toUpperCase();
  return {
    id: assetIdOf(upper),
    symbol: upper,
    name: upper,
    exchange: 'NASDAQ',
    status: 'active',
    tradable: true,
    marginable: true,
    shortable: true,
    easyToBorrow: true,
    fractionable: true,
    maintenanceMarginRequirement: MARGINABLE_REQUIREMENT,
    attributes: [],
  };
}

/** The smallest quantity step the OMS trades the asset in: 1e-9 shares when fractionable, else 1. */
export function minTradeIncrementOf(asset: Pick<Asset, 'fractionable'>): string {
  return asset.fractionable ? '0.000000001' : '1';
}

/** The asset as Alpaca shows it. */
export function toAlpacaAsset(asset: Asset): AlpacaAsset {
  const margin = String(asset.maintenanceMarginRequirement);
  return {
    id: asset.id,
    class: ASSET_CLASS,
    exchange: asset.exchange,
    symbol: asset.symbol,
    name: asset.name,
    status: asset.status,
    tradable: asset.tradable,
    marginable: asset.marginable,
    maintenance_margin_requirement: asset.maintenanceMarginRequirement,
    margin_requirement_long: margin,
    margin_requirement_short: margin,
    shortable: asset.shortable,
    easy_to_borrow: asset.easyToBorrow,
    borrow_status: asset.easyToBorrow ? 'easy_to_borrow' : 'hard_to_borrow',
    fractionable: asset.fractionable,
    min_order_size: minTradeIncrementOf(asset),
    min_trade_increment: minTradeIncrementOf(asset),
    price_increment: '0.01',
    attributes: asset.attributes,
  };
}

/** What risk reads of an asset (null: the master does not know the symbol). */
export function assetFactsOf(asset: Asset): AssetFacts;
export function assetFactsOf(asset: Asset | null): AssetFacts | null;
export function assetFactsOf(asset: Asset | null): AssetFacts | null {
  if (asset === null) return null;
  return {
    id: asset.id,
    status: asset.status,
    tradable: asset.tradable,
    fractionable: asset.fractionable,
    marginable: asset.marginable,
    shortable: asset.shortable,
    easyToBorrow: asset.easyToBorrow,
  };
}

/** `GET /v2/assets`'s filters, as Alpaca's query parameters mean them. */
export interface AssetFilter {
  /** Absent: every status. */
  readonly status?: AssetStatus;
  /** Alpaca's default is us_equity. */
  readonly assetClass: (typeof ALPACA_ASSET_CLASSES)[number];
  readonly exchange?: (typeof ALPACA_EXCHANGES)[number];
  /** An asset with ANY of these attributes matches (Alpaca's comma-separated `attributes`). */
  readonly attributes?: readonly AssetAttribute[];
}

/** The assets that pass `filter`, sorted by symbol. */
export function assetsMatching(assets: readonly Asset[], filter: AssetFilter): Asset[] {
  if (filter.assetClass !== ASSET_CLASS) return [];
  return assets
    .filter(
      (a) =>
        (filter.status === undefined || a.status === filter.status) &&
        (filter.exchange === undefined || a.exchange === filter.exchange) &&
        (filter.attributes === undefined ||
          filter.attributes.length === 0 ||
          filter.attributes.some((x) => a.attributes.includes(x))),
    )
    .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/**
 * An asset as an operator describes it: Alpaca's field names (a `PUT /local/assets/{symbol}` body,
 * or an object of Alpaca's own `GET /v2/assets` answer). Every field is optional; the derived ones
 * Alpaca sends (`id`, `min_order_size`, `min_trade_increment`, `price_increment`, `cusip`,
 * `margin_requirement_short`) are accepted and not kept. Built when the module loads; the pure IIFE
 * only lets a bundle that never reads it leave it out (esbuild keeps a top-level call otherwise).
 */
const assetInputSchema = /* @__PURE__ */ (() =>
  z.strictObject({
    // Alpaca's id (an import of Alpaca's list): accepted, not kept (the OMS's id is assetIdOf).
    id: z.optional(z.string()),
    class: z.optional(z.literal(ASSET_CLASS)),
    symbol: z.optional(z.string()),
    name: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
    exchange: z.optional(z.enum(ASSET_EXCHANGES)),
    status: z.optional(z.enum(ASSET_STATUSES)),
    tradable: z.optional(z.boolean()),
    marginable: z.optional(z.boolean()),
    shortable: z.optional(z.boolean()),
    easy_to_borrow: z.optional(z.boolean()),
    borrow_status: z.optional(z.enum(['easy_to_borrow', 'hard_to_borrow'])),
    fractionable: z.optional(z.boolean()),
    maintenance_margin_requirement: z.optional(z.number().check(z.minimum(0), z.maximum(100))),
    margin_requirement_long: z.optional(
      z.string().check(z.regex(/^\d{1,3}(\.\d+)?$/, 'must be a percentage (e.g. "30")')),
    ),
    margin_requirement_short: z.optional(z.string()),
    attributes: z.optional(z.array(z.enum(ASSET_ATTRIBUTES))),
    min_order_size: z.optional(z.string()),
    min_trade_increment: z.optional(z.string()),
    price_increment: z.optional(z.string()),
    cusip: z.optional(z.nullable(z.string())),
  }))();

export type AssetInput = z.input<typeof assetInputSchema>;

export type BuiltAsset =
  | { readonly ok: true; readonly asset: Asset }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/**
 * The asset `symbol` becomes when `input` is applied over `current` (the listed asset, or null for
 * a new listing, which starts from `defaultAsset`): the fields given are set, the others kept.
 * `easy_to_borrow` may come as Alpaca's `borrow_status`, the margin as `margin_requirement_long`.
 * Errors name the field; a `symbol` in the body must be the path's.
 */
export function applyAssetInput(symbol: string, input: unknown, current: Asset | null): BuiltAsset {
  const upper = symbol.toUpperCase();
  const errors: FieldError[] = [];
  // The path's text, before upper-casing (`ß` is no ticker, though its upper case `SS` is one).
  if (!TICKER_SYMBOL.test(symbol))
    errors.push(
      fieldError('invalid_value', 'symbol', 'must be a ticker symbol (letters, digits, ".", "-", "/")'),
    );
  const parsed = assetInputSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path.map(String).join('.') || 'body';
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) errors.push(fieldError('unknown_field', key, 'is not an asset field'));
      } else errors.push(fieldError('invalid_value', field, issue.message));
    }
    return { ok: false, errors };
  }
  const v = parsed.data;
  if (v.symbol !== undefined && v.symbol.toUpperCase() !== upper)
    errors.push(fieldError('conflict', 'symbol', `must be the path's symbol ${upper} when given`));
  const margin =
    v.maintenance_margin_requirement ??
    (v.margin_requirement_long === undefined ? undefined : Number(v.margin_requirement_long));
  if (margin !== undefined && margin > 100)
    errors.push(fieldError('out_of_range', 'margin_requirement_long', 'must be at most 100 (percent)'));
  if (errors.length > 0) return { ok: false, errors };
  const base = current ?? defaultAsset(upper);
  const marginable = v.marginable ?? base.marginable;
  return {
    ok: true,
    asset: {
      id: assetIdOf(upper),
      symbol: upper,
      name: v.name ?? base.name,
      exchange: v.exchange ?? base.exchange,
      status: v.status ?? base.status,
      tradable: v.tradable ?? base.tradable,
      marginable,
      shortable: v.shortable ?? base.shortable,
      easyToBorrow:
        v.easy_to_borrow ??
        (v.borrow_status === undefined ? base.easyToBorrow : v.borrow_status === 'easy_to_borrow'),
      fractionable: v.fractionable ?? base.fractionable,
      maintenanceMarginRequirement:
        margin ??
        (current === null && !marginable ? NON_MARGINABLE_REQUIREMENT : base.maintenanceMarginRequirement),
      attributes: v.attributes ?? base.attributes,
    },
  };
}

/** What an import of a list of assets (Alpaca's `GET /v2/assets` answer, or the same shape) yields. */
export interface AssetImport {
  readonly assets: readonly Asset[];
  /** Entries of another class than us_equity (Alpaca lists crypto too): not the master's. */
  readonly skipped: readonly string[];
  /** Entries that could not be read, each named by its index and symbol. */
  readonly errors: readonly string[];
}

/**
 * The assets of a JSON list of Alpaca Asset objects (or one object), each over the defaults
 * (`applyAssetInput(symbol, entry, null)`): what an operator's import writes (scripts/put-assets.ts).
 */
export function assetsFromAlpacaList(value: unknown): AssetImport {
  const entries = Array.isArray(value) ? value : [value];
  const assets: Asset[] = [];
  const skipped: string[] = [];
  const errors: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const where = `[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      errors.push(`${where}: must be an asset object`);
      continue;
    }
    const { symbol, class: assetClass } = entry as { symbol?: unknown; class?: unknown };
    if (typeof symbol !== 'string') {
      errors.push(`${where}: symbol: is required`);
      continue;
    }
    if (assetClass !== undefined && assetClass !== ASSET_CLASS) {
      skipped.push(symbol);
      continue;
    }
    const built = applyAssetInput(symbol, entry, null);
    if (built.ok) assets.push(built.asset);
    else errors.push(`${where} ${symbol}: ${built.errors.map((e) => e.message).join('; ')}`);
  }
  return { assets, skipped, errors };
}
