/**
 * The asset master, Alpaca's `GET /v2/assets` and `GET /v2/assets/{symbol_or_asset_id}` (issue 13),
 * read through the market data port (ASSETS_TABLE; core asset.ts).
 *
 * `GET /v2/assets` query (Alpaca's): `status` (`active`, `inactive`; absent: both), `asset_class`
 * (default `us_equity`; another of Alpaca's classes lists nothing: the master holds US equities),
 * `exchange` (one of Alpaca's), `attributes` (comma-separated: an asset with any of them). A value
 * outside Alpaca's enumerations is a 400 naming the parameter. Sorted by symbol.
 *
 * `GET /v2/assets/{symbol_or_asset_id}`: a UUID is an asset id, anything else a symbol (any case);
 * unknown is Alpaca's 404 `{code: 40410000, message: "asset not found"}`.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ALPACA_ASSET_CLASSES,
  ALPACA_EXCHANGES,
  ASSET_ATTRIBUTES,
  ASSET_STATUSES,
  type AssetFilter,
  assetsMatching,
  type FieldError,
  fieldError,
  isAssetId,
  lowerAscii,
  TICKER_SYMBOL,
  toAlpacaAsset,
  upperAscii,
} from '../core/index.js';
import { marketData } from '../platform/market-data.js';
import { fieldErrors, json } from './api-response.js';
import { apiHandler, notFound, unknownParameters } from './http.js';

type Query = Record<string, string | undefined> | undefined;

function oneOf<T extends string>(
  query: Query,
  name: string,
  values: readonly T[],
  errors: FieldError[],
  normalize: (v: string) => string,
): T | undefined {
  const text = query?.[name];
  if (text === undefined || text === '') return undefined;
  const v = normalize(text);
  if ((values as readonly string[]).includes(v)) return v as T;
  errors.push(fieldError('invalid_value', name, `must be one of ${values.join(', ')}`));
  return undefined;
}

/** The list's query, checked: every problem named by its parameter. */
export function parseAssetQuery(
  query: Query,
): { ok: true; filter: AssetFilter } | { ok: false; errors: FieldError[] } {
  // Alpaca's filters, and no other: a probe's `symbols=AAPL` listed every asset.
  const errors: FieldError[] = unknownParameters(query ?? {}, [
    'status',
    'asset_class',
    'exchange',
    'attributes',
  ]);
  const lower = lowerAscii;
  const status = oneOf(query, 'status', ASSET_STATUSES, errors, lower);
  const assetClass = oneOf(query, 'asset_class', ALPACA_ASSET_CLASSES, errors, lower) ?? 'us_equity';
  const exchange = oneOf(query, 'exchange', ALPACA_EXCHANGES, errors, upperAscii);
  const attributeText = query?.attributes;
  const attributes: (typeof ASSET_ATTRIBUTES)[number][] = [];
  for (const a of (attributeText ?? '').split(',').map((x) => lowerAscii(x.trim()))) {
    if (a === '') continue;
    if ((ASSET_ATTRIBUTES as readonly string[]).includes(a))
      attributes.push(a as (typeof ASSET_ATTRIBUTES)[number]);
    else {
      errors.push(
        fieldError(
          'invalid_value',
          'attributes',
          `${JSON.stringify(a)} is not one of ${ASSET_ATTRIBUTES.join(', ')}`,
        ),
      );
      break;
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    filter: {
      assetClass,
      ...(status === undefined ? {} : { status }),
      ...(exchange === undefined ? {} : { exchange }),
      ...(attributes.length === 0 ? {} : { attributes }),
    },
  };
}

async function list(query: Query): Promise<APIGatewayProxyStructuredResultV2> {
  const parsed = parseAssetQuery(query);
  if (!parsed.ok) return fieldErrors(parsed.errors, 400);
  // Another class than the master's lists nothing: no read.
  const assets = parsed.filter.assetClass === 'us_equity' ? await marketData().assets() : [];
  return json(200, assetsMatching(assets, parsed.filter).map(toAlpacaAsset));
}

async function one(symbolOrId: string | undefined): Promise<APIGatewayProxyStructuredResultV2> {
  const key = symbolOrId ?? '';
  const market = marketData();
  let asset = null;
  if (isAssetId(key)) asset = await market.assetById(key);
  else if (TICKER_SYMBOL.test(key)) asset = await market.asset(key);
  return asset === null ? notFound('asset') : json(200, toAlpacaAsset(asset));
}

export const handler = apiHandler('Assets', async (event) => {
  switch (event.routeKey) {
    case 'GET /v2/assets':
      return list(event.queryStringParameters);
    case 'GET /v2/assets/{symbol_or_asset_id}':
      return one(event.pathParameters?.symbol_or_asset_id);
    default:
      return notFound('endpoint');
  }
});
