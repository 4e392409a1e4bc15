/**
 * The published contract of the order events: zod schemas of each event's `data` and of the bus
 * envelope's `detail` (`{metadata, data}`, see `lambdas/event-store/envelope.ts`), and their JSON
 * Schemas for the EventBridge Schema Registry.
 *
 * Schemas are strict (unknown keys are refused) and exact: decimals are canonical decimal text
 * as the core writes them (`"10.5"`, never `"10.50"`, `"1e3"` or a JSON number).
 *
 * JSON Schema dialect: the registry accepts a schema of type `OpenApi3` or `JSONSchemaDraft4`,
 * so `eventDetailJsonSchemas()` targets draft-04 (`z.toJSONSchema(..., {target: 'draft-04'})`),
 * and the stack registers each document with `Type: 'JSONSchemaDraft4'`. Each document describes
 * the `detail` of one detail-type (the registry's code bindings then type `detail`). Refinements
 * that JSON Schema cannot say (eventId = `orderId:seq`) are checked by the zod schemas only.
 * The event types and their schema version are core events.ts's (`ORDER_EVENT_TYPES`,
 * `EVENT_SCHEMA_VERSION`): a module that needs only those does not build these schemas when it
 * loads. Pure: no AWS, no I/O.
 */
import * as z from 'zod/mini';
import { ASSET_STATUSES } from './asset.js';
import { BREAK_REPAIRS, BREAK_TYPES } from './break-types.js';
import { EVENT_SCHEMA_VERSION, ORDER_EVENT_TYPES, type OrderEvent, type OrderEventType } from './events.js';
import {
  ALGORITHMS,
  CLIENT_ORDER_ID_MAX,
  ORDER_CLASSES,
  ORDER_TYPES,
  POSITION_INTENTS,
  SIDES,
  TIMES_IN_FORCE,
} from './order-request.js';
import './zod-messages.js';

/** Canonical decimal text at scale 9: plain notation, no sign, no trailing fractional zeros. */
export const decimalText = z
  .string()
  .check(z.regex(/^(0|[1-9][0-9]*)(\.[0-9]{0,8}[1-9])?$/, 'must be a canonical decimal (at most 9 dp)'));
/** Canonical decimal text at scale 18: an exact sum of qty x price. */
export const value18Text = z
  .string()
  .check(z.regex(/^(0|[1-9][0-9]*)(\.[0-9]{0,17}[1-9])?$/, 'must be a canonical decimal (at most 18 dp)'));

const id = z.string().check(z.minLength(1));
const text = z.string();
const utcTimestamp = z.iso.datetime();
const empty = z.strictObject({});
/** A buying power claim (core buying-power-claims.ts). */
const buyingPowerClaim = z.strictObject({
  id,
  cents: z.number().check(z.int(), z.nonnegative()),
  qty: z.nullable(decimalText),
  carried: z.optional(decimalText),
});

export const orderSpecSchema = z.strictObject({
  symbol: z.string().check(z.regex(/^[A-Z][A-Z0-9.\-/]{0,20}$/)),
  qty: z.nullable(decimalText),
  notional: z.nullable(decimalText),
  side: z.enum(SIDES),
  type: z.enum(ORDER_TYPES),
  timeInForce: z.enum(TIMES_IN_FORCE),
  limitPrice: z.nullable(decimalText),
  stopPrice: z.nullable(decimalText),
  trailPrice: z.nullable(decimalText),
  trailPercent: z.nullable(decimalText),
  extendedHours: z.boolean(),
  clientOrderId: z.nullable(z.string().check(z.minLength(1), z.maxLength(CLIENT_ORDER_ID_MAX))),
  orderClass: z.enum(ORDER_CLASSES),
  takeProfit: z.nullable(z.strictObject({ limitPrice: decimalText })),
  stopLoss: z.nullable(z.strictObject({ stopPrice: decimalText, limitPrice: z.nullable(decimalText) })),
  positionIntent: z.nullable(z.enum(POSITION_INTENTS)),
  advancedInstructions: z.nullable(
    z.strictObject({
      algorithm: z.enum(ALGORITHMS),
      displayQty: z.nullable(decimalText),
      startTime: z.nullable(z.iso.datetime({ offset: true })),
      endTime: z.nullable(z.iso.datetime({ offset: true })),
      maxPercentage: z.nullable(decimalText),
      qtyJitter: z.optional(decimalText),
      timeJitter: z.optional(decimalText),
    }),
  ),
});

/** A fee in canonical decimal text (negative: a rebate). */
const feeText = z
  .string()
  .check(z.regex(/^-?(0|[1-9][0-9]{0,19})(\.[0-9]{0,8}[1-9])?$/, 'must be a canonical decimal (<= 9 dp)'));

const fillData = z.strictObject({
  execId: id,
  lastQty: decimalText,
  lastPx: decimalText,
  // The venue's fee for this execution (FIX Commission; negative: a rebate) and whether it added
  // or removed liquidity (FIX LastLiquidityInd); absent when the venue does not say.
  fee: z.optional(feeText),
  liquidity: z.optional(z.enum(['added', 'removed'])),
  venue: z.nullable(id),
  filledQty: decimalText,
  leavesQty: z.nullable(decimalText),
  filledAvgPrice: decimalText,
  childOrderId: z.optional(id),
});

type DataOf<T extends OrderEventType> = Extract<OrderEvent, { type: T }>['data'];

/**
 * One schema per event type. `satisfies` ties each schema's output to the event's TypeScript
 * type, so a field added to an event without its schema does not compile.
 */
export const eventDataSchemas = {
  OrderSubmitted: z.strictObject({
    accountId: id,
    clientOrderId: z.string().check(z.minLength(1), z.maxLength(CLIENT_ORDER_ID_MAX)),
    order: orderSpecSchema,
    replaces: z.nullable(id),
    carriedFilledQty: decimalText,
    carriedFilledValue: value18Text,
    contingency: z.optional(
      z.strictObject({
        groupId: id,
        orderClass: z.enum(['bracket', 'oco', 'oto', 'algo']),
        role: z.enum(['entry', 'take_profit', 'stop_loss', 'algo_parent', 'algo_child']),
        parentOrderId: z.nullable(id),
        legOrderIds: z.array(id),
        held: z.boolean(),
      }),
    ),
    exposureClaim: z.optional(z.strictObject({ id, cents: z.number().check(z.int(), z.nonnegative()) })),
    buyingPowerClaim: z.optional(buyingPowerClaim),
    acceptedAgainst: z.optional(
      z.strictObject({
        limits: z.strictObject({
          maxOrderQty: z.nullable(decimalText),
          maxOrderNotional: z.nullable(decimalText),
          priceCollarPercent: z.nullable(decimalText),
          restrictedSymbols: z.array(z.string()),
          duplicateWindowSeconds: z.nullable(z.number().check(z.int(), z.nonnegative())),
          maxOrdersPerSecond: z.nullable(z.number().check(z.int(), z.nonnegative())),
        }),
        referencePrice: z.nullable(decimalText),
        buyingPower: z.nullable(decimalText),
        positionQty: z.optional(z.string().check(z.regex(/^-?\d+(\.\d+)?$/))),
        shortingEnabled: z.optional(z.boolean()),
        shortSale: z.optional(z.boolean()),
        // The located shares a short sale of a hard-to-borrow asset took (issue 16).
        locatedQty: z.optional(decimalText),
        // Absent on orders placed before the asset master; null: the symbol was not listed.
        asset: z.optional(
          z.nullable(
            z.strictObject({
              id,
              status: z.enum(ASSET_STATUSES),
              tradable: z.boolean(),
              fractionable: z.boolean(),
              marginable: z.boolean(),
              shortable: z.boolean(),
              easyToBorrow: z.boolean(),
            }),
          ),
        ),
        // The arrival quote (issue 14's blotter: arrival price and slippage); absent before it.
        // `volume`, `notional`, `midMs`: the tape's accumulators then (TCA's VWAP and TWAP benchmarks
        // over the order's life, exact from these to the close: core tca.ts).
        quote: z.optional(
          z.strictObject({
            bid: z.nullable(decimalText),
            ask: z.nullable(decimalText),
            volume: z.optional(decimalText),
            notional: z.optional(decimalText),
            midMs: z.optional(decimalText),
          }),
        ),
        // The account's routing policy (issue 15); absent: the default.
        routingPolicy: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
        // The client's decision price (the OMS extension `decision_price`, issue 15's TCA).
        decisionPrice: z.optional(decimalText),
        // The slippage thresholds that apply (issue 15's monitoring; core slippage.ts).
        slippageThresholds: z.optional(
          z.strictObject({
            arrivalBps: z.optional(z.number()),
            shortfallBps: z.optional(z.number()),
            scope: z.string().check(z.minLength(1)),
            window: z.optional(
              z.strictObject({
                orders: z.number().check(z.int(), z.minimum(1)),
                arrivalBps: z.optional(z.number()),
                shortfallBps: z.optional(z.number()),
              }),
            ),
          }),
        ),
      }),
    ),
    routedTo: z.optional(id),
  }),
  OrderActivated: z.strictObject({ qty: decimalText, afterTrigger: z.optional(z.literal(true)) }),
  OrderTrailMoved: z.strictObject({ hwm: decimalText }),
  OrderSliceDecided: z.strictObject({
    trigger: z.enum(['slice', 'child_closed']),
    sliceIndex: z.int().check(z.minimum(-1)),
    decision: z.enum(['release', 'wait', 'done']),
    reason: z.nullable(text),
    childOrderId: z.nullable(id),
    qty: z.nullable(decimalText),
    volumeMark: z.nullable(decimalText),
  }),
  OrderChildClosed: z.strictObject({
    childOrderId: id,
    outcome: z.enum(['filled', 'canceled', 'expired', 'rejected']),
    filledQty: decimalText,
  }),
  OrderArmed: z.strictObject({ venue: id }),
  OrderRouted: z.strictObject({
    policy: z.string().check(z.minLength(1)),
    marketable: z.boolean(),
    nbbo: z.strictObject({ bid: z.nullable(decimalText), ask: z.nullable(decimalText) }),
    venues: z.array(
      z.strictObject({
        venue: id,
        primary: z.boolean(),
        bid: z.nullable(decimalText),
        ask: z.nullable(decimalText),
        bidSize: z.nullable(decimalText),
        askSize: z.nullable(decimalText),
        takerFee: feeText,
        makerFee: feeText,
        latencyMs: z.number().check(z.int(), z.nonnegative()),
        fillRate: z.number().check(z.minimum(0), z.maximum(1)),
        down: z.boolean(),
        failedAt: z.nullable(z.iso.datetime({ offset: true })),
      }),
    ),
    excluded: z.array(
      z.strictObject({
        venue: id,
        reason: z.enum([
          'venue_down',
          'failed_recently',
          'rejected_this_order',
          'auction_at_primary_only',
          'no_quote',
          'beyond_limit',
        ]),
      }),
    ),
    allocations: z.array(
      z.strictObject({
        venue: id,
        qty: z.nullable(decimalText),
        notional: z.nullable(decimalText),
        limitPrice: z.nullable(decimalText),
        expectedPrice: z.nullable(decimalText),
        liquidity: z.enum(['take', 'post']),
        childOrderId: z.nullable(id),
      }),
    ),
    reason: z.string().check(z.minLength(1)),
    // A re-route of a split order's remainder (2, 3, ...); absent: its first routing.
    round: z.optional(z.number().check(z.int(), z.minimum(2))),
  }),
  OrderAccepted: z.strictObject({ venueOrderId: z.nullable(id) }),
  OrderRejected: z.strictObject({ reason: text }),
  OrderTriggered: z.strictObject({
    triggerPrice: decimalText,
    bid: z.nullable(decimalText),
    ask: z.nullable(decimalText),
    heldForGroup: z.optional(z.literal(true)),
  }),
  OrderPartiallyFilled: fillData,
  OrderFilled: fillData,
  OrderExecutionQuarantined: z.strictObject({
    execId: id,
    lastQty: decimalText,
    lastPx: decimalText,
    venue: z.nullable(id),
    reason: z.enum(['overfill', 'order_closed', 'conflicting_duplicate']),
  }),
  OrderCancelRequested: z.strictObject({ requestedBy: text }),
  OrderCancelAcknowledged: empty,
  OrderCanceled: z.strictObject({ reason: text, solicited: z.boolean() }),
  OrderCancelRejected: z.strictObject({ reason: text }),
  OrderReplaceRequested: z.strictObject({
    replacementOrderId: id,
    changes: z.strictObject({
      qty: z.optional(decimalText),
      limitPrice: z.optional(decimalText),
      stopPrice: z.optional(decimalText),
      trailPrice: z.optional(decimalText),
      trailPercent: z.optional(decimalText),
      timeInForce: z.optional(z.enum(TIMES_IN_FORCE)),
      clientOrderId: z.optional(z.string().check(z.minLength(1), z.maxLength(CLIENT_ORDER_ID_MAX))),
      positionIntent: z.optional(z.literal('sell_to_open')),
    }),
    requestedBy: text,
    buyingPowerClaim: z.optional(buyingPowerClaim),
  }),
  OrderReplaceAcknowledged: empty,
  OrderReplaced: z.strictObject({ replacementOrderId: id }),
  OrderReplaceRejected: z.strictObject({ reason: text }),
  OrderExpired: empty,
  OrderDoneForDay: empty,
  OrderRestated: z.strictObject({
    reason: text,
    qty: z.nullable(decimalText),
    limitPrice: z.nullable(decimalText),
    stopPrice: z.nullable(decimalText),
    reopened: z.boolean(),
  }),
  OrderExceptionRecorded: z.strictObject({
    stage: text,
    error: text,
    cause: text,
    reachedVenue: z.boolean(),
  }),
  OrderBreakFound: z.strictObject({
    breakType: z.enum(BREAK_TYPES),
    key: text,
    detail: text,
    repair: z.enum(BREAK_REPAIRS),
  }),
  OrderExceptionResolved: z.strictObject({
    exceptionId: text,
    reason: text,
    resolvedBy: text,
  }),
} as const satisfies { readonly [T in OrderEventType]: z.ZodMiniType<DataOf<T>> };

export const eventMetadataSchema = z
  .strictObject({
    /** `${orderId}:${seq}`: stable across redelivery; subscribers deduplicate on it. */
    eventId: z.string().check(z.regex(/^.+:[1-9][0-9]*$/)),
    orderId: id,
    accountId: id,
    seq: z.int().check(z.minimum(1)),
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    occurredAt: utcTimestamp,
    correlationId: id,
    causationId: id,
  })
  .check(
    z.refine((m) => m.eventId === `${m.orderId}:${m.seq}`, {
      message: 'eventId must be orderId:seq',
      path: ['eventId'],
    }),
  );

export type EventDetailSchema<T extends OrderEventType> = z.ZodMiniObject<{
  metadata: typeof eventMetadataSchema;
  data: (typeof eventDataSchemas)[T];
}>;

const detailSchemas = Object.fromEntries(
  ORDER_EVENT_TYPES.map((type) => [
    type,
    z
      .strictObject({ metadata: eventMetadataSchema, data: eventDataSchemas[type] })
      .register(z.globalRegistry, {
        title: type,
        description: `detail of the ${type} event (source stockbot.oms)`,
      }),
  ]),
) as { readonly [T in OrderEventType]: EventDetailSchema<T> };

/** The bus `detail` schema of one detail-type. */
export function eventDetailSchema<T extends OrderEventType>(type: T): EventDetailSchema<T> {
  return detailSchemas[type];
}

/** Parses `data` of an event of `type`; refuses unknown types. */
export function parseEventData(type: string, data: unknown): z.core.util.SafeParseResult<unknown> {
  const schema = (eventDataSchemas as Record<string, z.ZodMiniType | undefined>)[type];
  if (schema === undefined) {
    return z.never({ error: `unknown event type ${type}` }).safeParse(data);
  }
  return schema.safeParse(data);
}

/** A signed decimal in canonical text (`-12.5`, `0`): positions and money of the account ledger. */
const signedDecimalText = z.string().check(z.regex(/^-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?$/));

/** `PositionChanged` data (core positions.ts, issue 13): one execution and what it did to the position. */
export const positionChangedDataSchema = z.strictObject({
  symbol: z.string().check(z.minLength(1)),
  orderId: id,
  parentOrderId: z.optional(id),
  execId: z.string().check(z.minLength(1)),
  orderEventId: z.string().check(z.regex(/^.+:[1-9][0-9]*$/)),
  side: z.enum(['buy', 'sell']),
  qty: decimalText,
  price: decimalText,
  transactionTime: utcTimestamp,
  cumQty: decimalText,
  leavesQty: z.string(),
  orderStatus: z.enum(['filled', 'partially_filled']),
  sessionDate: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/)),
  qtyBefore: signedDecimalText,
  qtyAfter: signedDecimalText,
  avgEntryPrice: z.nullable(decimalText),
  costBasis: signedDecimalText,
  realizedPl: signedDecimalText,
  cashFlow: signedDecimalText,
  dayTrade: z.boolean(),
});

/**
 * A PositionChanged's bus metadata: the account's position stream (`positions#<accountId>`), its
 * sequence, and the order whose execution changed the position.
 */
export const positionMetadataSchema = z
  .strictObject({
    eventId: z.string().check(z.regex(/^positions#.+:[1-9][0-9]*$/)),
    orderId: id,
    accountId: id,
    seq: z.int().check(z.minimum(1)),
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    occurredAt: utcTimestamp,
    correlationId: id,
    causationId: id,
  })
  .check(
    z.refine((m) => m.eventId === `positions#${m.accountId}:${m.seq}`, {
      message: 'eventId must be positions#accountId:seq',
      path: ['eventId'],
    }),
  );

export const positionChangedDetailSchema = z
  .strictObject({ metadata: positionMetadataSchema, data: positionChangedDataSchema })
  .register(z.globalRegistry, {
    title: 'PositionChanged',
    description: 'detail of the PositionChanged event (source stockbot.oms): an execution changed a position',
  });

/** JSON Schema (draft-04, for the registry's `JSONSchemaDraft4` type) of each detail-type's detail. */
export function eventDetailJsonSchemas(): Record<OrderEventType | 'PositionChanged', object> {
  return {
    ...(Object.fromEntries(
      ORDER_EVENT_TYPES.map((type) => [type, z.toJSONSchema(detailSchemas[type], { target: 'draft-04' })]),
    ) as Record<OrderEventType, object>),
    PositionChanged: z.toJSONSchema(positionChangedDetailSchema, { target: 'draft-04' }),
  };
}
