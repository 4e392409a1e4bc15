/**
 * The inputs of pre-trade risk (core `risk.ts`), read from the tables:
 * - ACCOUNTS_TABLE `account#<accountId>`: `riskLimits` (merged over DEFAULT_RISK_LIMITS) and
 *   `buyingPower` (absent = unlimited);
 * - MARKET_TABLE quote of the symbol: reference price = last, else the bid/ask mid;
 * - ORDERS_TABLE GSI `byAccountStatus` (`<accountId>#open`): open buy orders' reserved notional
 *   (leaves x limit price, else the symbol's reference price; notional orders: notional left);
 * - ORDERS_TABLE GSI `byAccount` (createdKey from the start of the duplicate window): the recent
 *   orders, open or closed (rejected ones never worked and are left out).
 * The read model is eventually consistent; the workflow's re-check runs after the API's, so an
 * order that raced past the first check meets the second.
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  DEFAULT_RISK_LIMITS,
  divideHalfEven,
  formatNanos,
  multiply,
  type Nanos,
  ONE,
  type OrderSpec,
  parseNanos,
  plainDecimalText,
  type RecentOrder,
  type RiskContext,
  type RiskLimits,
  toValue18,
  type Value18,
} from '../core/index.js';
import { ENV, requiredEnv } from './config.js';
import { dynamo } from './dynamo.js';

export interface RiskInputs {
  readonly limits: RiskLimits;
  readonly context: RiskContext;
}

export interface LoadRiskOptions {
  readonly doc?: DynamoDBDocumentClient;
  /**
   * The order being checked when it is already stored (the workflow's re-check): it is not its
   * own open exposure nor its own duplicate, and only orders created before it count as twins.
   */
  readonly self?: { readonly orderId: string; readonly createdAt: string };
}

const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => (typeof v === 'number' ? plainDecimalText(v) : v));

const accountSchema = z.object({
  riskLimits: z
    .object({
      maxOrderQty: decimalText.nullable(),
      maxOrderNotional: decimalText.nullable(),
      priceCollarPercent: decimalText.nullable(),
      restrictedSymbols: z.array(z.string()),
      duplicateWindowSeconds: z.number().nullable(),
      maxOrdersPerSecond: z.number().nullable(),
    })
    .partial()
    .optional(),
  buyingPower: decimalText.nullable().optional(),
});

const quoteSchema = z.object({
  bid: decimalText.optional(),
  ask: decimalText.optional(),
  last: decimalText.optional(),
});

/** The Alpaca order JSON the read model keeps under `order` (the fields risk reads). */
const viewSchema = z.object({
  id: z.string(),
  symbol: z.string(),
  side: z.string(),
  type: z.string(),
  status: z.string(),
  created_at: z.string(),
  qty: z.string().nullable().optional(),
  notional: z.string().nullable().optional(),
  limit_price: z.string().nullable().optional(),
  filled_qty: z.string().nullable().optional(),
  filled_avg_price: z.string().nullable().optional(),
});
type View = z.infer<typeof viewSchema>;

function dec(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined) return null;
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
}

/** Reference price of a quote: last trade, else the mid (half-even at 9 dp), else null. */
export function referencePriceOf(item: Record<string, unknown> | undefined): string | null {
  const q = quoteSchema.safeParse(item ?? {});
  if (!q.success) return null;
  const last = dec(q.data.last);
  if (last !== null && last > 0n) return formatNanos(last);
  const bid = dec(q.data.bid);
  const ask = dec(q.data.ask);
  if (bid === null || ask === null || bid <= 0n || ask <= 0n) return null;
  return formatNanos(divideHalfEven(toValue18(bid + ask), 2n * ONE));
}

export async function loadRiskInputs(
  accountId: string,
  order: OrderSpec,
  now: number,
  options: LoadRiskOptions = {},
): Promise<RiskInputs> {
  const doc = options.doc ?? dynamo;
  const [account, referencePrice, open] = await Promise.all([
    doc.send(
      new GetCommand({ TableName: requiredEnv(ENV.accountsTable), Key: { pk: `account#${accountId}` } }),
    ),
    quoteOf(doc, order.symbol),
    queryViews(doc, {
      IndexName: 'byAccountStatus',
      KeyConditionExpression: 'accountOpenClosed = :k',
      ExpressionAttributeValues: { ':k': `${accountId}#open` },
    }),
  ]);
  const parsed = accountSchema.safeParse(account.Item ?? {});
  const stored = parsed.success ? parsed.data : {};
  const limits: RiskLimits = { ...DEFAULT_RISK_LIMITS, ...stripUndefined(stored.riskLimits ?? {}) };

  const others = (views: View[]) => views.filter((v) => v.id !== options.self?.orderId);
  const openBuyExposure = await exposureOf(doc, others(open), order.symbol, referencePrice);

  const window = limits.duplicateWindowSeconds;
  let recentOrders: RecentOrder[] = [];
  if (window !== null && window > 0) {
    const from = new Date(now - window * 1000).toISOString();
    const recent = await queryViews(doc, {
      IndexName: 'byAccount',
      KeyConditionExpression: 'accountId = :a AND createdKey >= :from',
      ExpressionAttributeValues: { ':a': accountId, ':from': from },
    });
    const before = options.self ? `${options.self.createdAt}#${options.self.orderId}` : null;
    recentOrders = others(recent)
      .filter((v) => v.status !== 'rejected' && (before === null || `${v.created_at}#${v.id}` < before))
      .map((v) => ({
        symbol: v.symbol,
        side: v.side,
        qty: v.qty ?? null,
        notional: v.notional ?? null,
        type: v.type,
        limitPrice: v.limit_price ?? null,
        createdAt: v.created_at,
      }));
  }

  return {
    limits,
    context: {
      now,
      referencePrice,
      buyingPower: stored.buyingPower ?? null,
      openBuyExposure,
      recentOrders,
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

async function quoteOf(doc: DynamoDBDocumentClient, symbol: string): Promise<string | null> {
  const out = await doc.send(new GetCommand({ TableName: requiredEnv(ENV.marketTable), Key: { symbol } }));
  return referencePriceOf(out.Item);
}

async function queryViews(
  doc: DynamoDBDocumentClient,
  q: {
    IndexName: string;
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  },
): Promise<View[]> {
  const views: View[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({ TableName: requiredEnv(ENV.ordersTable), ...q, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const v = viewSchema.safeParse(item.order);
      if (v.success) views.push(v.data);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return views;
}

/**
 * Notional reserved by open buy orders, rounded up to the nano. An order priced at market is
 * valued at its symbol's reference price; one whose symbol has no quote is not counted.
 */
async function exposureOf(
  doc: DynamoDBDocumentClient,
  open: View[],
  symbol: string,
  reference: string | null,
): Promise<string> {
  const buys = open.filter((v) => v.side === 'buy');
  const needQuote = [
    ...new Set(
      buys.filter((v) => dec(v.notional) === null && dec(v.limit_price) === null).map((v) => v.symbol),
    ),
  ].filter((s) => s !== symbol);
  const quotes = new Map<string, string | null>([[symbol, reference]]);
  await Promise.all(needQuote.map(async (s) => quotes.set(s, await quoteOf(doc, s))));

  let total: Value18 = 0n;
  for (const v of buys) {
    const filledQty = dec(v.filled_qty) ?? 0n;
    const notional = dec(v.notional);
    if (notional !== null) {
      const spent = multiply(filledQty, dec(v.filled_avg_price) ?? 0n);
      const left = toValue18(notional) - spent;
      if (left > 0n) total += left;
      continue;
    }
    const qty = dec(v.qty);
    const price = dec(v.limit_price) ?? dec(quotes.get(v.symbol) ?? null);
    if (qty === null || price === null || qty <= filledQty) continue;
    total += multiply(qty - filledQty, price);
  }
  return formatNanos((total + ONE - 1n) / ONE);
}
