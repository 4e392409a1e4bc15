/**
 * Alpaca's order `symbol` is a ticker or an asset ID (the `id` GET /v2/assets shows): an ID names
 * the listed asset's symbol. POST /v2/orders and the bus's `OrderRequested` read it alike.
 */
import { type FieldError, fieldError, isAssetId } from '../core/index.js';
import type { MarketData } from '../platform/market-data.js';

/** The order request with an asset ID as `symbol` replaced by that asset's symbol. */
export async function withAssetSymbol(
  request: unknown,
  market: Pick<MarketData, 'assetById'>,
): Promise<
  { readonly ok: true; readonly request: unknown } | { readonly ok: false; readonly error: FieldError }
> {
  const named = (request as { symbol?: unknown } | null)?.symbol;
  if (typeof named !== 'string' || !isAssetId(named)) return { ok: true, request };
  const asset = await market.assetById(named);
  if (asset === null)
    return { ok: false, error: fieldError('invalid_value', 'symbol', `asset ${named} not found`) };
  return { ok: true, request: { ...(request as object), symbol: asset.symbol } };
}
