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
 * Pure: no AWS, no I/O.
 */
import * as z from 'zod';
import type { OrderEvent, OrderEventType } from './events.js';
import {
  ALGORITHMS,
  CLIENT_ORDER_ID_MAX,
  ORDER_CLASSES,
  ORDER_TYPES,
  POSITION_INTENTS,
  SIDES,
  TIMES_IN_FORCE,
} from './order-request.js';

/** `metadata.schemaVersion` of the events these schemas describe (the event store writes it). */
export const EVENT_SCHEMA_VERSION = 1;

/** Canonical decimal text at scale 9: plain notation, no sign, no trailing fractional zeros. */
export const decimalText = z
  .string()
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]{0,8}[1-9])?$/, 'must be a canonical decimal (at most 9 dp)');
/** Canonical decimal text at scale 18: an exact sum of qty x price. */
export const value18Text = z
  .string()
  .regex(/^(0|[1-9][0-9]*)(\.[0-9]{0,17}[1-9])?$/, 'must be a canonical decimal (at most 18 dp)');

const id = z.string().min(1);
const text = z.string();
const utcTimestamp = z.iso.datetime();
const empty = z.strictObject({});

export const orderSpecSchema = z.strictObject({
  symbol: z.string().regex(/^[A-Z][A-Z0-9.\-/]{0,20}$/),
  qty: decimalText.nullable(),
  notional: decimalText.nullable(),
  side: z.enum(SIDES),
  type: z.enum(ORDER_TYPES),
  timeInForce: z.enum(TIMES_IN_FORCE),
  limitPrice: decimalText.nullable(),
  stopPrice: decimalText.nullable(),
  trailPrice: decimalText.nullable(),
  trailPercent: decimalText.nullable(),
  extendedHours: z.boolean(),
  clientOrderId: z.string().min(1).max(CLIENT_ORDER_ID_MAX).nullable(),
  orderClass: z.enum(ORDER_CLASSES),
  takeProfit: z.strictObject({ limitPrice: decimalText }).nullable(),
  stopLoss: z.strictObject({ stopPrice: decimalText, limitPrice: decimalText.nullable() }).nullable(),
  positionIntent: z.enum(POSITION_INTENTS).nullable(),
  advancedInstructions: z
    .strictObject({
      algorithm: z.enum(ALGORITHMS),
      displayQty: decimalText.nullable(),
      startTime: z.iso.datetime({ offset: true }).nullable(),
      endTime: z.iso.datetime({ offset: true }).nullable(),
      maxPercentage: decimalText.nullable(),
      qtyJitter: decimalText.optional(),
      timeJitter: decimalText.optional(),
    })
    .nullable(),
});

const fillData = z.strictObject({
  execId: id,
  lastQty: decimalText,
  lastPx: decimalText,
  venue: id.nullable(),
  filledQty: decimalText,
  leavesQty: decimalText.nullable(),
  filledAvgPrice: decimalText,
  childOrderId: id.optional(),
});

type DataOf<T extends OrderEventType> = Extract<OrderEvent, { type: T }>['data'];

/**
 * One schema per event type. `satisfies` ties each schema's output to the event's TypeScript
 * type, so a field added to an event without its schema does not compile.
 */
export const eventDataSchemas = {
  OrderSubmitted: z.strictObject({
    accountId: id,
    clientOrderId: z.string().min(1).max(CLIENT_ORDER_ID_MAX),
    order: orderSpecSchema,
    replaces: id.nullable(),
    carriedFilledQty: decimalText,
    carriedFilledValue: value18Text,
    contingency: z
      .strictObject({
        groupId: id,
        orderClass: z.enum(['bracket', 'oco', 'oto', 'algo']),
        role: z.enum(['entry', 'take_profit', 'stop_loss', 'algo_parent', 'algo_child']),
        parentOrderId: id.nullable(),
        legOrderIds: z.array(id),
        held: z.boolean(),
      })
      .optional(),
    acceptedAgainst: z
      .strictObject({
        limits: z.strictObject({
          maxOrderQty: decimalText.nullable(),
          maxOrderNotional: decimalText.nullable(),
          priceCollarPercent: decimalText.nullable(),
          restrictedSymbols: z.array(z.string()),
          duplicateWindowSeconds: z.number().int().nonnegative().nullable(),
          maxOrdersPerSecond: z.number().int().nonnegative().nullable(),
        }),
        referencePrice: decimalText.nullable(),
        buyingPower: decimalText.nullable(),
      })
      .optional(),
  }),
  OrderActivated: z.strictObject({ qty: decimalText }),
  OrderTrailMoved: z.strictObject({ hwm: decimalText }),
  OrderSliceDecided: z.strictObject({
    trigger: z.enum(['slice', 'child_closed']),
    sliceIndex: z.int().min(-1),
    decision: z.enum(['release', 'wait', 'done']),
    reason: text.nullable(),
    childOrderId: id.nullable(),
    qty: decimalText.nullable(),
    volumeMark: decimalText.nullable(),
  }),
  OrderChildClosed: z.strictObject({
    childOrderId: id,
    outcome: z.enum(['filled', 'canceled', 'expired', 'rejected']),
    filledQty: decimalText,
  }),
  OrderArmed: z.strictObject({ venue: id }),
  OrderAccepted: z.strictObject({ venueOrderId: id.nullable() }),
  OrderRejected: z.strictObject({ reason: text }),
  OrderTriggered: z.strictObject({
    triggerPrice: decimalText,
    bid: decimalText.nullable(),
    ask: decimalText.nullable(),
  }),
  OrderPartiallyFilled: fillData,
  OrderFilled: fillData,
  OrderExecutionQuarantined: z.strictObject({
    execId: id,
    lastQty: decimalText,
    lastPx: decimalText,
    venue: id.nullable(),
    reason: z.enum(['overfill', 'order_closed', 'conflicting_duplicate']),
  }),
  OrderCancelRequested: z.strictObject({ requestedBy: text }),
  OrderCancelAcknowledged: empty,
  OrderCanceled: z.strictObject({ reason: text, solicited: z.boolean() }),
  OrderCancelRejected: z.strictObject({ reason: text }),
  OrderReplaceRequested: z.strictObject({
    replacementOrderId: id,
    changes: z.strictObject({
      qty: decimalText.optional(),
      limitPrice: decimalText.optional(),
      stopPrice: decimalText.optional(),
      trailPrice: decimalText.optional(),
      trailPercent: decimalText.optional(),
      timeInForce: z.enum(TIMES_IN_FORCE).optional(),
      clientOrderId: z.string().min(1).max(CLIENT_ORDER_ID_MAX).optional(),
    }),
    requestedBy: text,
  }),
  OrderReplaceAcknowledged: empty,
  OrderReplaced: z.strictObject({ replacementOrderId: id }),
  OrderReplaceRejected: z.strictObject({ reason: text }),
  OrderExpired: empty,
  OrderDoneForDay: empty,
  OrderRestated: z.strictObject({
    reason: text,
    qty: decimalText.nullable(),
    limitPrice: decimalText.nullable(),
    stopPrice: decimalText.nullable(),
    reopened: z.boolean(),
  }),
  OrderExceptionRecorded: z.strictObject({
    stage: text,
    error: text,
    cause: text,
    reachedVenue: z.boolean(),
  }),
} as const satisfies { readonly [T in OrderEventType]: z.ZodType<DataOf<T>> };

export const ORDER_EVENT_TYPES = Object.keys(eventDataSchemas) as readonly OrderEventType[];

export const eventMetadataSchema = z
  .strictObject({
    /** `${orderId}:${seq}`: stable across redelivery; subscribers deduplicate on it. */
    eventId: z.string().regex(/^.+:[1-9][0-9]*$/),
    orderId: id,
    accountId: id,
    seq: z.int().min(1),
    schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
    occurredAt: utcTimestamp,
    correlationId: id,
    causationId: id,
  })
  .refine((m) => m.eventId === `${m.orderId}:${m.seq}`, {
    message: 'eventId must be orderId:seq',
    path: ['eventId'],
  });

export type EventDetailSchema<T extends OrderEventType> = z.ZodObject<{
  metadata: typeof eventMetadataSchema;
  data: (typeof eventDataSchemas)[T];
}>;

const detailSchemas = Object.fromEntries(
  ORDER_EVENT_TYPES.map((type) => [
    type,
    z
      .strictObject({ metadata: eventMetadataSchema, data: eventDataSchemas[type] })
      .meta({ title: type, description: `detail of the ${type} event (source stockbot.oms)` }),
  ]),
) as { readonly [T in OrderEventType]: EventDetailSchema<T> };

/** The bus `detail` schema of one detail-type. */
export function eventDetailSchema<T extends OrderEventType>(type: T): EventDetailSchema<T> {
  return detailSchemas[type];
}

/** Parses `data` of an event of `type`; refuses unknown types. */
export function parseEventData(type: string, data: unknown): z.ZodSafeParseResult<unknown> {
  const schema = (eventDataSchemas as Record<string, z.ZodType | undefined>)[type];
  if (schema === undefined) {
    return z.never({ error: `unknown event type ${type}` }).safeParse(data);
  }
  return schema.safeParse(data);
}

/** JSON Schema (draft-04, for the registry's `JSONSchemaDraft4` type) of each detail-type's detail. */
export function eventDetailJsonSchemas(): Record<OrderEventType, object> {
  return Object.fromEntries(
    ORDER_EVENT_TYPES.map((type) => [type, z.toJSONSchema(detailSchemas[type], { target: 'draft-04' })]),
  ) as Record<OrderEventType, object>;
}
