/**
 * A position's closing claims' storage (core position-close.ts decides, this reads and writes):
 * IDEMPOTENCY_TABLE `closing#<accountId>#<SYMBOL>`: `version` and `claims` (the closing orders
 * placed on the position that may still hold it: `{orderId, side, qty, placedAt}`).
 * - DELETE /v2/positions, and every sell of an account that may not sell short (POST, the bus, a
 *   PATCH raising a sell: position-availability.ts), read it consistently, with the views of its
 *   claimed orders (one BatchGetItem of ORDERS_TABLE, consistent), to know what holds the position.
 * - The order's placing transaction (a PATCH's request transaction) writes it back over the version
 *   it read, with the new order's claim added (`closingClaimsPut`): two sells of one position cannot
 *   both pass a read of the same claims; the loser reads again and sees the winner.
 * The item lingers two days after its last write, then TTL removes it: a claimed order still open
 * by then (a GTC sell) is in the open listing long since, which counts it. Each write keeps only
 * the claims of orders still open (core `closeAvailability`), so the item holds the position's open
 * sells at most.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  type ClosingClaim,
  formatNanos,
  type HoldingOrder,
  type HoldingRelation,
  holdingRelationOf,
  type Nanos,
  parseNanos,
  sharesStillHeld,
} from '../core/index.js';
import type { TransactItem } from '../event-store/event-store.js';

export const closingClaimsId = (accountId: string, symbol: string) =>
  `closing#${accountId}#${symbol.toUpperCase()}`;

const CLAIMS_TTL_SECONDS = 2 * 24 * 60 * 60;

const itemSchema = z.object({
  version: z.number(),
  claims: z.array(
    z.object({
      orderId: z.string(),
      side: z.enum(['buy', 'sell']),
      qty: z.string(),
      placedAt: z.number(),
      supersedes: z.optional(z.string()),
    }),
  ),
});

export interface ClosingClaims {
  /** 0: no item yet. */
  readonly version: number;
  readonly claims: readonly ClosingClaim[];
}

function nanosOf(text: string | undefined | null): Nanos {
  const v = text === undefined || text === null ? 0n : parseNanos(text);
  return typeof v === 'bigint' ? v : 0n;
}

/** An order of the read model as its Alpaca text shows what it may still execute. */
export interface HoldingOrderText {
  readonly orderId: string;
  readonly side: string;
  readonly qty?: string | null;
  readonly notional?: string | null;
  readonly filledQty?: string | null;
  readonly filledAvgPrice?: string | null;
  /** What ties its holding to another order's (core `HoldingRelation`: a child, an exit of a group). */
  readonly relation?: HoldingRelation;
}

/** Whether sizing the order needs a price (an order sized in dollars). */
export const isNotionalHolding = (o: HoldingOrderText) =>
  (o.qty === undefined || o.qty === null) && o.notional !== undefined && o.notional !== null;

/**
 * An order of the read model as what it holds: a qty order its leaves, a notional order what is
 * left of its notional at `price` (core held-shares.ts `sharesStillHeld`; null leaves without one).
 */
export function holdingOrderOf(
  order: HoldingOrderText,
  open: boolean,
  price: Nanos | null = null,
): HoldingOrder {
  const notional = isNotionalHolding(order) ? nanosOf(order.notional) : null;
  const leaves = sharesStillHeld(
    {
      qty: notional === null ? nanosOf(order.qty) : null,
      notional,
      filledQty: nanosOf(order.filledQty),
      filledAvgPrice:
        order.filledAvgPrice === undefined || order.filledAvgPrice === null
          ? null
          : nanosOf(order.filledAvgPrice),
    },
    price,
  );
  return {
    orderId: order.orderId,
    side: order.side === 'buy' ? 'buy' : 'sell',
    leaves,
    open,
    ...(order.relation === undefined ? {} : { relation: order.relation }),
  };
}

export async function readClosingClaims(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  symbol: string,
): Promise<ClosingClaims> {
  const got = await doc.send(
    new GetCommand({
      TableName: table,
      Key: { id: closingClaimsId(accountId, symbol) },
      ConsistentRead: true,
    }),
  );
  if (got.Item === undefined) return { version: 0, claims: [] };
  const parsed = itemSchema.safeParse(got.Item);
  // An item this code cannot read: its version still guards the write, and nothing it claimed is
  // known (the open listing still counts those orders once the read model has them).
  if (!parsed.success) return { version: Number(got.Item.version ?? 0) || 0, claims: [] };
  return {
    version: parsed.data.version,
    claims: parsed.data.claims.map((c) => ({ ...c, qty: nanosOf(c.qty) })),
  };
}

/** A claimed order's view: what it may still execute, and whether it is open. */
export interface ClaimedView extends HoldingOrderText {
  readonly open: boolean;
}

/** The claimed orders' views, read consistently (null: the read model has none yet). */
export async function readClaimedViews(
  doc: DynamoDBDocumentClient,
  ordersTable: string,
  orderIds: readonly string[],
): Promise<Map<string, ClaimedView | null>> {
  const out = new Map<string, ClaimedView | null>(orderIds.map((id) => [id, null]));
  let keys = orderIds.map((orderId) => ({ orderId }));
  // At most 100 keys a request; unprocessed keys are asked again.
  while (keys.length > 0) {
    const batch = keys.slice(0, 100);
    keys = keys.slice(100);
    const got = await doc.send(
      new BatchGetCommand({
        RequestItems: {
          [ordersTable]: {
            Keys: batch,
            ConsistentRead: true,
            ProjectionExpression:
              'orderId, side, openClosed, exposure, contingencyRole, groupId, parentOrderId',
          },
        },
      }),
    );
    for (const item of got.Responses?.[ordersTable] ?? []) {
      const exposure = (item.exposure ?? {}) as {
        qty?: string | null;
        notional?: string | null;
        filled_qty?: string | null;
        filled_avg_price?: string | null;
      };
      const orderId = String(item.orderId);
      const relation = holdingRelationOf(item);
      out.set(orderId, {
        orderId,
        ...(relation === undefined ? {} : { relation }),
        side: String(item.side),
        qty: exposure.qty ?? null,
        notional: exposure.notional ?? null,
        filledQty: exposure.filled_qty ?? null,
        filledAvgPrice: exposure.filled_avg_price ?? null,
        open: item.openClosed === 'open',
      });
    }
    const unprocessed = got.UnprocessedKeys?.[ordersTable]?.Keys ?? [];
    keys = [...(unprocessed as { orderId: string }[]), ...keys];
  }
  return out;
}

/**
 * The claims written back in the transaction placing `orderId`: only over the version read (a
 * concurrent close's commit fails it: ConditionalCheckFailed).
 */
export function closingClaimsPut(
  table: string,
  accountId: string,
  symbol: string,
  read: ClosingClaims,
  kept: readonly ClosingClaim[],
  placed: ClosingClaim,
): TransactItem {
  return {
    Put: {
      TableName: table,
      Item: {
        id: closingClaimsId(accountId, symbol),
        version: read.version + 1,
        claims: [...kept.filter((c) => c.orderId !== placed.orderId), placed].map((c) => ({
          ...c,
          qty: formatNanos(c.qty),
        })),
        expiresAt: Math.floor(placed.placedAt / 1000) + CLAIMS_TTL_SECONDS,
      },
      ConditionExpression: read.version === 0 ? 'attribute_not_exists(id)' : 'version = :read',
      ...(read.version === 0 ? {} : { ExpressionAttributeValues: { ':read': read.version } }),
    },
  };
}
