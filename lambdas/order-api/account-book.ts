/**
 * What the account endpoints read (issue 13): the account's settings and ledger (one BatchGetItem
 * of ACCOUNTS_TABLE), its open orders (the read model's `byAccountOpen` index: what they reserve
 * and hold), and the prices of its positions through the market data port. The numbers are the
 * core's (account-view.ts).
 */
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type AccountSettings,
  type Asset,
  assetIdOf,
  centsAsDollars,
  formatNanos,
  isAssetId,
  type LedgerState,
  type Nanos,
  newYorkDate,
  notionalSharePrice,
  type PositionPrices,
  parseNanos,
  parseSigned9,
  referencePriceOf,
  TICKER_SYMBOL,
} from '../core/index.js';
import { LEDGER_PK_PREFIX, ledgerOf, ledgerPk } from '../orders/account-ledger.js';
import { openBuysOf, openBuysPk } from '../orders/buying-power-reservations.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { accountSettingsOf, exposureOf, queryViews, readAccount, type View } from '../orders/risk-context.js';
import { ENV, requiredEnv } from '../platform/config.js';
import type { MarketData } from '../platform/market-data.js';

export interface AccountBook {
  readonly settings: AccountSettings;
  readonly ledger: LedgerState;
  readonly open: readonly View[];
  readonly prices: ReadonlyMap<string, PositionPrices>;
  /** Per symbol, the price its open notional orders are sized at, by side (core `notionalSharePrice`). */
  readonly sharePrices: ReadonlyMap<string, { readonly buy: Nanos | null; readonly sell: Nanos | null }>;
  /** The asset master's listing of each held symbol (null: not listed). */
  readonly assets: ReadonlyMap<string, Asset | null>;
  /** Notional the open buy orders reserve, rounded up to the nano (text). */
  readonly reserved: string;
  /** New York date of `now`: the session day intraday numbers are of. */
  readonly sessionDate: string;
}

// The day-trade window (core day-trading.ts), kept here under its old name for its callers.
export { lastBusinessDays } from '../core/index.js';

export async function loadAccountBook(
  doc: DynamoDBDocumentClient,
  market: MarketData,
  accountId: string,
  now: number,
): Promise<{ ok: true; book: AccountBook } | { ok: false; problem: string }> {
  const accounts = requiredEnv(ENV.accountsTable);
  const [got, open] = await Promise.all([
    doc.send(
      new BatchGetCommand({
        RequestItems: {
          [accounts]: {
            Keys: [
              { pk: `account#${accountId}` },
              { pk: ledgerPk(accountId) },
              // What claimed open buys reserve, as the placing transaction counts it.
              { pk: openBuysPk(accountId) },
            ],
            ConsistentRead: true,
          },
        },
      }),
    ),
    queryViews(doc, {
      IndexName: ORDERS_INDEX.byAccountOpen,
      KeyConditionExpression: 'openInAccount = :k',
      ExpressionAttributeValues: { ':k': accountId },
    }),
  ]);
  const items = got.Responses?.[accounts] ?? [];
  const record = items.find((i) => i.pk === `account#${accountId}`);
  const ledgerItem = items.find((i) => typeof i.pk === 'string' && i.pk.startsWith(LEDGER_PK_PREFIX));
  const read = readAccount(accountId, record);
  if (!read.ok) return { ok: false, problem: read.problem };
  const ledger = ledgerOf(ledgerItem);
  // A position carried into the session and closed in it: last_equity values it at the previous close.
  const closedCarried = Object.entries(ledger.flat ?? {})
    .filter(([, f]) => parseSigned9(f.priorQty) !== 0n)
    .map(([symbol]) => symbol);
  const symbols = [
    ...new Set([...Object.keys(ledger.positions), ...open.map((v) => v.symbol), ...closedCarried]),
  ];
  const quotes = symbols.length === 0 ? new Map() : await market.quotes(symbols);
  const prices = new Map<string, PositionPrices>();
  const sharePrices = new Map<string, { buy: Nanos | null; sell: Nanos | null }>();
  for (const symbol of symbols) {
    const q = quotes.get(symbol) ?? null;
    const current = referencePriceOf(q);
    prices.set(symbol, {
      current,
      previousClose: q?.previousClose === undefined ? null : formatNanos(q.previousClose),
    });
    const reference = current === null ? null : (parseNanos(current) as Nanos);
    sharePrices.set(symbol, {
      buy: notionalSharePrice('buy', reference, q?.bid ?? null, q?.ask ?? null),
      sell: notionalSharePrice('sell', reference, q?.bid ?? null, q?.ask ?? null),
    });
  }
  const held = Object.keys(ledger.positions);
  // Claimed buys reserve what their claims hold (a stop valued at its stop, a trailing buy at its
  // trail: what the next buy's check counts); the read model values the others.
  const openBuys = openBuysOf(items.find((i) => i.pk === openBuysPk(accountId)));
  const claimedCents = Math.max(0, openBuys.cents - openBuys.released);
  const [unclaimed, listed] = await Promise.all([
    exposureOf(
      market,
      open.filter((v) => v.buying_power_claim === undefined),
      '',
      null,
    ),
    Promise.all(held.map(async (s) => [s, await market.asset(s)] as const)),
  ]);
  const reserved = formatNanos(
    (parseNanos(unclaimed) as bigint) + (parseNanos(centsAsDollars(claimedCents)) as bigint),
  );
  const sessionDate = newYorkDate(now);
  return {
    ok: true,
    book: {
      settings: accountSettingsOf(accountId, read.account),
      ledger,
      open,
      prices,
      sharePrices,
      assets: new Map(listed),
      reserved,
      sessionDate,
    },
  };
}

/**
 * The symbol a path names: a ticker (any case), or the asset id of a position held; null when it
 * names neither. Checked before upper-casing: `ß` is no ticker, though its upper case `SS` is one
 * (`DELETE /v2/positions/ß` closed the SS position).
 */
export function symbolOf(book: AccountBook, symbolOrAssetId: string): string | null {
  if (isAssetId(symbolOrAssetId)) {
    const held = Object.keys(book.ledger.positions).find(
      (s) => assetIdOf(s) === symbolOrAssetId.toLowerCase(),
    );
    if (held !== undefined) return held;
  }
  return TICKER_SYMBOL.test(symbolOrAssetId) ? symbolOrAssetId.toUpperCase() : null;
}
