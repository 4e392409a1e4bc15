/**
 * The asset master local mode starts with (issue 13): common US equities and ETFs, each as an
 * operator would describe it (Alpaca's field names; core `applyAssetInput`), plus every symbol quoted
 * from the start (`OMS_SYMBOLS`) as a default asset. The flags are a snapshot for a simulation, not
 * a feed: BRK.A trades in whole shares only and GME is hard to borrow, so both kinds of asset are
 * there to try. `PUT /local/assets/{symbol}` changes or adds one; `PUT /local/market/{symbol}` lists
 * an unknown symbol as a default asset (local/control.ts).
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Asset, type AssetInput, applyAssetInput } from '../lambdas/core/index.js';
import { assetToItem } from '../lambdas/platform/market-data.js';

const OPTIONS = ['has_options', 'fractional_eh_enabled'] as const;

/** symbol -> how the master lists it (fields not given: core `defaultAsset`'s). */
export const DEFAULT_ASSETS: Readonly<Record<string, AssetInput>> = {
  // Equities
  AAPL: { name: 'Apple Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  MSFT: { name: 'Microsoft Corporation Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  NVDA: { name: 'NVIDIA Corporation Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  AMZN: { name: 'Amazon.com, Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  GOOGL: { name: 'Alphabet Inc. Class A Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  GOOG: { name: 'Alphabet Inc. Class C Capital Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  META: { name: 'Meta Platforms, Inc. Class A Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  TSLA: { name: 'Tesla, Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  AVGO: { name: 'Broadcom Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  AMD: { name: 'Advanced Micro Devices, Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  INTC: { name: 'Intel Corporation Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  NFLX: { name: 'Netflix, Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  ADBE: { name: 'Adobe Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  CSCO: { name: 'Cisco Systems, Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  COST: { name: 'Costco Wholesale Corporation Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  PEP: { name: 'PepsiCo, Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  QCOM: { name: 'QUALCOMM Incorporated Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  WMT: { name: 'Walmart Inc. Common Stock', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  JPM: { name: 'JPMorgan Chase & Co. Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  BAC: { name: 'Bank of America Corporation Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  V: { name: 'Visa Inc.', exchange: 'NYSE', attributes: [...OPTIONS] },
  MA: { name: 'Mastercard Incorporated Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  XOM: { name: 'Exxon Mobil Corporation Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  JNJ: { name: 'Johnson & Johnson Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  PG: { name: 'Procter & Gamble Company (The) Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  KO: { name: 'Coca-Cola Company (The) Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  DIS: { name: 'Walt Disney Company (The) Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  HD: { name: 'Home Depot, Inc. (The) Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  UNH: { name: 'UnitedHealth Group Incorporated Common Stock', exchange: 'NYSE', attributes: [...OPTIONS] },
  'BRK.B': { name: 'Berkshire Hathaway Inc. Class B', exchange: 'NYSE', attributes: [...OPTIONS] },
  // About $700,000 a share: whole shares only.
  'BRK.A': { name: 'Berkshire Hathaway Inc. Class A', exchange: 'NYSE', fractionable: false },
  // Shortable, but hard to borrow.
  GME: {
    name: 'GameStop Corporation Common Stock',
    exchange: 'NYSE',
    easy_to_borrow: false,
    attributes: [...OPTIONS],
  },
  // ETFs
  SPY: { name: 'SPDR S&P 500 ETF Trust', exchange: 'ARCA', attributes: [...OPTIONS] },
  QQQ: { name: 'Invesco QQQ Trust, Series 1', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  IWM: { name: 'iShares Russell 2000 ETF', exchange: 'ARCA', attributes: [...OPTIONS] },
  DIA: { name: 'SPDR Dow Jones Industrial Average ETF Trust', exchange: 'ARCA', attributes: [...OPTIONS] },
  VOO: { name: 'Vanguard S&P 500 ETF', exchange: 'ARCA', attributes: [...OPTIONS] },
  VTI: { name: 'Vanguard Total Stock Market ETF', exchange: 'ARCA', attributes: [...OPTIONS] },
  EEM: { name: 'iShares MSCI Emerging Markets ETF', exchange: 'ARCA', attributes: [...OPTIONS] },
  GLD: { name: 'SPDR Gold Trust, SPDR Gold Shares', exchange: 'ARCA', attributes: [...OPTIONS] },
  TLT: { name: 'iShares 20+ Year Treasury Bond ETF', exchange: 'NASDAQ', attributes: [...OPTIONS] },
  XLF: { name: 'Financial Select Sector SPDR Fund', exchange: 'ARCA', attributes: [...OPTIONS] },
  XLK: { name: 'Technology Select Sector SPDR Fund', exchange: 'ARCA', attributes: [...OPTIONS] },
};

/** The assets local mode lists at start: DEFAULT_ASSETS, and `symbols` not among them as default assets. */
export function seedAssets(symbols: readonly string[]): Asset[] {
  const inputs: Record<string, AssetInput> = { ...DEFAULT_ASSETS };
  for (const s of symbols) inputs[s.toUpperCase()] ??= {};
  return Object.entries(inputs).map(([symbol, input]) => {
    const built = applyAssetInput(symbol, input, null);
    if (!built.ok) throw new Error(`asset ${symbol}: ${built.errors.map((e) => e.message).join('; ')}`);
    return built.asset;
  });
}

/**
 * Lists each asset unless the master has it already (a persisted `dataDir` keeps an operator's
 * changes across restarts). Returns how many were new.
 */
export async function listAssets(
  doc: DynamoDBDocumentClient,
  table: string,
  assets: readonly Asset[],
): Promise<number> {
  const results = await Promise.all(
    assets.map((asset) =>
      doc
        .send(
          new PutCommand({
            TableName: table,
            Item: assetToItem(asset),
            ConditionExpression: 'attribute_not_exists(symbol)',
          }),
        )
        .then(
          () => 1,
          (err: { name?: string }) => {
            if (err.name !== 'ConditionalCheckFailedException') throw err;
            return 0;
          },
        ),
    ),
  );
  return results.reduce<number>((n, x) => n + x, 0);
}
