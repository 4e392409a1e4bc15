/**
 * The market data port: the one way the OMS reads quotes (risk's reference price, an algorithm's
 * slice, the held-trigger watcher). Today one adapter reads the quotes the simulated market keeps
 * in MARKET_TABLE; a real feed, or several venues' books, is another adapter behind the same port.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { type BestBidOffer, bestBidOfferOf, type MarketQuote, quoteFromItem } from './quotes.js';

export interface MarketData {
  /** The symbol's quote; null when there is none. */
  quote(symbol: string): Promise<MarketQuote | null>;
  /** The quotes of several symbols at once (a symbol without a quote is absent). */
  quotes(symbols: readonly string[]): Promise<Map<string, MarketQuote>>;
  /** The best bid and offer over every source this port reads (one source: its quote). */
  bestBidOffer(symbol: string): Promise<BestBidOffer | null>;
}

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
const BATCH_GET_ATTEMPTS = 5;

/** Quotes from a DynamoDB table keyed by `symbol` (MARKET_TABLE), items as `QuoteItem`. */
export class TableMarketData implements MarketData {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly source: string | null = null,
  ) {}

  async quote(symbol: string): Promise<MarketQuote | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { symbol } }));
    return quoteFromItem(out.Item, this.source, symbol);
  }

  async quotes(symbols: readonly string[]): Promise<Map<string, MarketQuote>> {
    const quotes = new Map<string, MarketQuote>();
    const unique = [...new Set(symbols)];
    for (let i = 0; i < unique.length; i += BATCH_GET_KEYS) {
      let keys: Record<string, unknown>[] = unique.slice(i, i + BATCH_GET_KEYS).map((symbol) => ({ symbol }));
      for (let attempt = 1; keys.length > 0 && attempt <= BATCH_GET_ATTEMPTS; attempt++) {
        if (attempt > 1) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const out = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }),
        );
        for (const item of out.Responses?.[this.table] ?? []) {
          const q = quoteFromItem(item, this.source);
          if (q !== null) quotes.set(q.symbol, q);
        }
        keys = out.UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return quotes;
  }

  async bestBidOffer(symbol: string): Promise<BestBidOffer | null> {
    const q = await this.quote(symbol);
    return q === null ? null : bestBidOfferOf(symbol, [q]);
  }
}

let market: MarketData | undefined;

/** The market data port as the stack wires it (MARKET_TABLE), one per execution environment. */
export function marketData(): MarketData {
  market ??= new TableMarketData(dynamo, requiredEnv(ENV.marketTable));
  return market;
}
