/**
 * The market data port: the one way the OMS reads quotes (risk's reference price, an algorithm's
 * slice, the held-trigger watcher), and the ONE schema of the quote item in MARKET_TABLE, which the
 * simulated market writes (broker-gateway/simulated/market.ts). Today one adapter reads that
 * table; a real feed, or several venues' books, is another adapter behind the same port. The rules
 * on quotes are pure, in the core (core/market-quote.ts).
 */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  type BestBidOffer,
  bestBidOfferOf,
  type MarketQuote,
  type Nanos,
  parseNanos,
} from '../core/index.js';
import { ENV, requiredEnv } from './config.js';
import { dynamo } from './dynamo.js';
import '../core/zod-messages.js';

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
  /** The previous session's closing price (Alpaca's `lastday_price` of a position); set by an operator or a feed. */
  readonly prevClose?: string;
}

const decimal = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((v: string | number, ctx): Nanos | null => {
    const n = parseNanos(String(v));
    if (typeof n !== 'bigint') {
      ctx.issues.push({ code: 'custom', message: 'not a decimal', input: v });
      return z.NEVER;
    }
    return n;
  }),
);
/** A price or size that is absent or unreadable reads as null; a non-positive one too. */
const positiveOrNull = z.pipe(
  z.catch(z.optional(decimal), undefined),
  z.transform((n: Nanos | null | undefined) => (n === undefined || n === null || n <= 0n ? null : n)),
);

/** A size or volume: zero is a reading (nothing displayed, nothing traded yet). */
const nonNegativeOrNull = z.pipe(
  z.catch(z.optional(decimal), undefined),
  z.transform((n: Nanos | null | undefined) => (n === undefined || n === null || n < 0n ? null : n)),
);

export const quoteItemSchema = z.object({
  symbol: z.catch(z.optional(z.string().check(z.minLength(1))), undefined),
  bid: positiveOrNull,
  ask: positiveOrNull,
  last: positiveOrNull,
  bidSize: nonNegativeOrNull,
  askSize: nonNegativeOrNull,
  volume: nonNegativeOrNull,
  prevClose: positiveOrNull,
  updatedAt: z.catch(z.optional(z.string()), undefined),
});

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
  const { prevClose, ...quote } = q;
  return {
    ...quote,
    symbol: named,
    updatedAt: q.updatedAt ?? null,
    source,
    ...(prevClose === null ? {} : { previousClose: prevClose }),
  };
}

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
