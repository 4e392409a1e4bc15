/**
 * The order request: Alpaca Trading API v2 `POST /v2/orders` body, validated.
 *
 * Two stages, both collecting every error rather than stopping at the first:
 *  1. shape (zod): known fields only, right JSON types, enum values, lengths;
 *  2. meaning (`checkOrderRules`): decimals, positivity, tick sizes and the cross-field rules
 *     Alpaca documents plus those a careful OMS adds. It runs only when the shape is sound.
 * The result is an `OrderSpec` with decimals in canonical text, ready to become an event.
 * Pure: the clock and the optional reference price come in through `ValidationContext`.
 */
import * as z from 'zod/mini';
import {
  compare,
  formatNanos,
  fractionDigits,
  isOnTick,
  MAX_WHOLE_DIGITS,
  type Nanos,
  ONE,
  parseNanos,
  tickSizeFor,
} from './decimal.js';
import { type FieldError, fieldError } from './field-error.js';
import { TICKER_SYMBOL } from './ticker.js';
import './zod-messages.js';

export const SIDES = ['buy', 'sell'] as const;
export const ORDER_TYPES = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'] as const;
export const TIMES_IN_FORCE = ['day', 'gtc', 'opg', 'cls', 'ioc', 'fok'] as const;
export const ORDER_CLASSES = ['simple', 'bracket', 'oco', 'oto'] as const;
export const POSITION_INTENTS = ['buy_to_open', 'buy_to_close', 'sell_to_open', 'sell_to_close'] as const;
export const ALGORITHMS = ['TWAP', 'VWAP', 'DMA'] as const;

export type Side = (typeof SIDES)[number];
export type OrderType = (typeof ORDER_TYPES)[number];
export type TimeInForce = (typeof TIMES_IN_FORCE)[number];
export type OrderClass = (typeof ORDER_CLASSES)[number];
export type PositionIntent = (typeof POSITION_INTENTS)[number];
export type Algorithm = (typeof ALGORITHMS)[number];

/**
 * A client order id is 1 to 128 characters, counted as Unicode code points (an emoji is one),
 * on every route that takes one: POST and PATCH (zod's string length counts code points too) and
 * `GET /v2/orders:by_client_order_id`, so an id accepted once can always be looked up.
 */
export const CLIENT_ORDER_ID_MAX = 128;

/** The length of a client order id as the rule above counts it: code points, not UTF-16 units. */
export function clientOrderIdLength(id: string): number {
  let n = 0;
  for (const _ of id) n++;
  return n;
}

/** Whether `id` has an allowed length (1 to `CLIENT_ORDER_ID_MAX` code points). */
export const isClientOrderIdLength = (id: string): boolean => {
  const n = clientOrderIdLength(id);
  return n >= 1 && n <= CLIENT_ORDER_ID_MAX;
};
/**
 * Printable text: no lone UTF-16 surrogates, no control characters (C0, DEL, C1, the line and
 * paragraph separators), no format characters (Cf: the bidirectional overrides and isolates, the
 * zero-width space and joiners, the byte order mark, soft hyphen) and no noncharacters of the
 * basic plane (U+FDD0-FDEF, U+FFFE, U+FFFF). A client order id, an operator's reason: printed in
 * logs, the audit trail, reports and the stream, where a newline, an escape or a reordering would
 * forge a line, and an invisible character make two ids look the same (a hostile probe's reason
 * with a zero-width space was recorded).
 */
export const PRINTABLE_TEXT = /^[^\p{Cs}\p{Cc}\p{Zl}\p{Zp}\p{Cf}\uFDD0-\uFDEF\uFFFE\uFFFF]*$/u;
/**
 * An `Idempotency-Key` header: 1 to 255 printable ASCII characters, no space at either end and no
 * comma. Header bytes beyond ASCII are read as Latin-1 (a probe's UTF-8 key was refused or stored
 * garbled), so the key is ASCII, as the UUIDs clients send are; a header sent twice arrives as its
 * values joined by a comma (a probe's `K` twice was taken as key `K, K`, and its retry with one `K`
 * placed a second order), so a comma is refused. The orders' and the locates' rule.
 */
export const IDEMPOTENCY_KEY_TEXT =
  /^[\x21-\x2b\x2d-\x7e](?:[\x20-\x2b\x2d-\x7e]{0,253}[\x21-\x2b\x2d-\x7e])?$/;
export const IDEMPOTENCY_KEY_RULE = 'must be one key of 1 to 255 printable ASCII characters, no comma';
/**
 * A client order id as POST and PATCH take it: no lone UTF-16 surrogates (the id is a storage key,
 * and DynamoDB keeps text as UTF-8) and no control characters (C0, DEL, C1, the line and paragraph
 * separators, the bidirectional overrides and isolates: it is printed in logs, the audit trail,
 * reports and the trade stream, where a newline, an escape or a reordering would forge a line).
 */
export const clientOrderIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(CLIENT_ORDER_ID_MAX),
    z.regex(PRINTABLE_TEXT, { message: 'must be printable Unicode text (no control characters)' }),
  );
/**
 * The largest price any price field takes (limit, stop, trail amount, take-profit and stop-loss
 * prices), in dollars: above every listed US equity (the dearest share trades below $1M), far
 * below what would overflow a notional. The price collar bounds limit prices near the market; this
 * bounds the prices it does not see (a stop is far from the market by design).
 */
export const MAX_PRICE = 10_000_000;
/** The smallest notional order, in dollars as nanos: Alpaca's $1. */
export const MIN_NOTIONAL = ONE;
/** `trail_percent` is a percentage with at most 2 decimals (0.01 % = one basis point), under 100. */
export const TRAIL_PERCENT_DECIMALS = 2;
/** Largest slice randomization (`qty_jitter`, `time_jitter`): half a slice keeps slices in order. */
const MAX_JITTER: Nanos = ONE / 2n;

/** Alpaca accepts decimals as JSON strings or numbers; both are read as plain decimal text. */
export const decimalInput = z.union([z.string(), z.number()]);

export const orderRequestSchema = z.strictObject({
  symbol: z
    .string()
    .check(z.regex(TICKER_SYMBOL, 'must be a ticker symbol (letters, digits, ".", "-", "/")')),
  qty: z.optional(decimalInput),
  notional: z.optional(decimalInput),
  side: z.enum(SIDES),
  type: z.enum(ORDER_TYPES),
  time_in_force: z.enum(TIMES_IN_FORCE),
  limit_price: z.optional(decimalInput),
  stop_price: z.optional(decimalInput),
  trail_price: z.optional(decimalInput),
  trail_percent: z.optional(decimalInput),
  extended_hours: z.optional(z.boolean()),
  client_order_id: z.optional(clientOrderIdSchema),
  order_class: z.optional(z.enum(ORDER_CLASSES)),
  take_profit: z.optional(z.strictObject({ limit_price: decimalInput })),
  stop_loss: z.optional(z.strictObject({ stop_price: decimalInput, limit_price: z.optional(decimalInput) })),
  position_intent: z.optional(z.enum(POSITION_INTENTS)),
  advanced_instructions: z.optional(
    z.strictObject({
      algorithm: z.enum(ALGORITHMS),
      display_qty: z.optional(decimalInput),
      start_time: z.optional(z.iso.datetime({ offset: true })),
      end_time: z.optional(z.iso.datetime({ offset: true })),
      max_percentage: z.optional(decimalInput),
      // Not Alpaca's: TWAP/VWAP slice randomization bounds, fractions of the nominal slice (docs/algos.md).
      qty_jitter: z.optional(decimalInput),
      time_jitter: z.optional(decimalInput),
    }),
  ),
});

export type OrderRequestInput = z.input<typeof orderRequestSchema>;

/** A validated order: enums checked, decimals canonical, absent fields null. */
export interface OrderSpec {
  readonly symbol: string;
  readonly qty: string | null;
  readonly notional: string | null;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly limitPrice: string | null;
  readonly stopPrice: string | null;
  readonly trailPrice: string | null;
  readonly trailPercent: string | null;
  readonly extendedHours: boolean;
  readonly clientOrderId: string | null;
  readonly orderClass: OrderClass;
  readonly takeProfit: { readonly limitPrice: string } | null;
  readonly stopLoss: { readonly stopPrice: string; readonly limitPrice: string | null } | null;
  readonly positionIntent: PositionIntent | null;
  readonly advancedInstructions: {
    readonly algorithm: Algorithm;
    readonly displayQty: string | null;
    readonly startTime: string | null;
    readonly endTime: string | null;
    readonly maxPercentage: string | null;
    /** Present only when requested (TWAP/VWAP): each slice's size may deviate by this fraction. */
    readonly qtyJitter?: string;
    /** Present only when requested (TWAP/VWAP): each slice's time may deviate by this fraction of the interval. */
    readonly timeJitter?: string;
  } | null;
}

export interface ValidationContext {
  /** Epoch milliseconds: algorithm windows must end in the future. */
  readonly now: number;
  /**
   * When a day / gtc order placed `now` has expired (the caller's session settings: the session's
   * close, the post-market close with extended hours, the GTC maximum age). An algorithm's
   * start_time or end_time after it is refused: the order would be gone before its window ends
   * (and a Standard workflow's Wait lasts a year at most). Absent: not checked.
   */
  readonly expiresAt?: (timeInForce: 'day' | 'gtc', extendedHours: boolean) => number;
  /**
   * The current price of the symbol, when the caller has one: lets a bracket/oto on a market
   * entry check its exit prices against where the entry will fill (as Alpaca's base price).
   */
  readonly referencePrice?: string;
}

export type OrderValidation =
  | { readonly ok: true; readonly order: OrderSpec }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/**
 * A request body with its JSON nulls left out, in it and in the objects it holds: a null in an
 * optional field reads as the field absent, as Alpaca's server reads it (alpaca-py leaves unset
 * fields out; a hand-written bot or the JS SDK may send `"stop_price": null`). A required field
 * that is null is then `is required`.
 */
export function withoutNulls(input: unknown): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  // fromEntries defines own properties: a `__proto__` key stays a key (an unknown field), never a prototype.
  return Object.fromEntries(
    Object.entries(input)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}

/** Validates an untrusted JSON value as an order request (its nulls read as absent: `withoutNulls`). */
export function validateOrderRequest(body: unknown, ctx: ValidationContext): OrderValidation {
  const input = withoutNulls(body);
  // reportInput: an issue then says whether the value was absent (required) or of the wrong type.
  const shaped = orderRequestSchema.safeParse(input, { reportInput: true });
  if (shaped.success) return checkOrderRules(shaped.data, ctx, []);
  const shapeErrors = shaped.error.issues.flatMap(shapeIssueToFieldErrors);
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return { ok: false, errors: shapeErrors };
  // Keep going with the fields whose shape is sound, so one response names every bad field.
  const failed = new Set(shaped.error.issues.map((i) => String(i.path[0] ?? '')));
  const sound: Record<string, unknown> = {};
  for (const key of Object.keys(orderRequestSchema.shape)) {
    const value = (input as Record<string, unknown>)[key];
    if (value !== undefined && !failed.has(key)) sound[key] = value;
  }
  return checkOrderRules(sound as Partial<Shaped>, ctx, shapeErrors);
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.map(String).join('.') || 'body';
}

/**
 * A zod issue of a request's shape as field errors, each message naming its field once (parse with
 * `reportInput: true`, so an absent field reads `is required`).
 */
export function shapeIssueToFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  const field = pathOf(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => {
      const key = k === '' ? '""' : k;
      return fieldError('unknown_field', field === 'body' ? key : `${field}.${key}`, 'is not a known field');
    });
  }
  if (issue.input === undefined) return [fieldError('required', field, 'is required')];
  switch (issue.code) {
    case 'invalid_type':
      return [fieldError('invalid_type', field, `must be ${describeExpected(issue.expected)}`)];
    case 'invalid_union':
      return [fieldError('invalid_type', field, 'must be a decimal string or number')];
    case 'invalid_value':
      return [fieldError('invalid_value', field, `must be one of ${issue.values.map(String).join(', ')}`)];
    case 'too_big':
      return [fieldError('too_long', field, `must be at most ${String(issue.maximum)} characters`)];
    case 'too_small':
      return [fieldError('invalid_value', field, 'must not be empty')];
    default:
      return [fieldError('invalid_value', field, issue.message)];
  }
}

/**
 * A JSON number as plain decimal text: its shortest round-trip spelling, with any exponent
 * ("1e-7", "1.5e+21") written out, so 0.0000001 reads as "0.0000001" like the string would.
 * Non-finite and negative numbers come out in a form the decimal parser refuses.
 */
export function plainDecimalText(n: number): string {
  const text = String(n);
  const m = /^(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (m === null) return text;
  const digits = (m[1] as string) + (m[2] ?? '');
  const point = (m[1] as string).length + Number(m[3]);
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

const SIGNED_PLAIN_DECIMAL = /^(-?)\d+(?:\.\d+)?$/;

/**
 * Why decimal text the parser refused is not a decimal it takes, in the words a client can act on:
 * a negative number is not greater than 0, a number with more whole digits than it holds is too
 * large, anything else (an exponent, a sign, a letter) is not a plain decimal.
 */
function notADecimal(field: string, text: string, tooLarge: string): FieldError {
  const m = SIGNED_PLAIN_DECIMAL.exec(text);
  if (m?.[1] === '-') return fieldError('not_positive', field, 'must be greater than 0');
  if (m !== null) return fieldError('out_of_range', field, tooLarge);
  return fieldError('not_a_decimal', field, 'must be a plain decimal such as "10" or "10.25"');
}

function describeExpected(expected: string): string {
  return expected === 'object' ? 'an object' : `a ${expected}`;
}

/** A decimal greater than 0 (JSON string or number), else why not; null when absent. */
function positiveDecimal(
  field: string,
  raw: string | number | undefined,
  tooLarge = `is too large (at most ${MAX_WHOLE_DIGITS} digits before the decimal point)`,
): Nanos | FieldError | null {
  if (raw === undefined) return null;
  const text = typeof raw === 'number' ? plainDecimalText(raw) : raw;
  const v = parseNanos(text);
  if (v === 'not_a_decimal') return notADecimal(field, text, tooLarge);
  if (v === 'too_precise') return fieldError('too_precise', field, 'has more than 9 decimal places');
  if (v <= 0n) return fieldError('not_positive', field, 'must be greater than 0');
  return v;
}

/** A price: a positive decimal at most MAX_PRICE on its tick, else why not; null when absent. */
function priceDecimal(field: string, raw: string | number | undefined): Nanos | FieldError | null {
  const v = positiveDecimal(field, raw, `must be at most ${MAX_PRICE}`);
  if (v === null || typeof v !== 'bigint') return v;
  if (v > BigInt(MAX_PRICE) * ONE) return fieldError('out_of_range', field, `must be at most ${MAX_PRICE}`);
  if (!isOnTick(v))
    return fieldError(
      'off_tick',
      field,
      `${formatNanos(v)} is not a multiple of the tick size ${formatNanos(tickSizeFor(v))} (0.01 at or above $1, 0.0001 below)`,
    );
  return v;
}

/**
 * What is wrong with a replace's terms as values, whatever the order they would replace: each
 * decimal on its own (a decimal greater than 0, at most 9 places; a price on its tick and at most
 * MAX_PRICE). A PATCH names a bad value before it looks at the order (a probe's `{"qty":"NaN"}` on
 * an order with a replace outstanding read "order is not replaceable", where POST names the field).
 */
export function replaceTermErrors(terms: {
  readonly qty?: string | undefined;
  readonly limitPrice?: string | undefined;
  readonly stopPrice?: string | undefined;
  readonly trailPrice?: string | undefined;
  readonly trailPercent?: string | undefined;
}): FieldError[] {
  return [
    positiveDecimal('qty', terms.qty),
    priceDecimal('limit_price', terms.limitPrice),
    priceDecimal('stop_price', terms.stopPrice),
    priceDecimal('trail_price', terms.trailPrice),
    positiveDecimal('trail_percent', terms.trailPercent),
  ].filter((e): e is FieldError => e !== null && typeof e !== 'bigint');
}

type Shaped = z.output<typeof orderRequestSchema>;

/** Second stage: decimals and the cross-field rules. Collects every error. */
function checkOrderRules(
  r: Partial<Shaped>,
  ctx: ValidationContext,
  shapeErrors: FieldError[],
): OrderValidation {
  const errors: FieldError[] = [...shapeErrors];
  const reported = new Set(shapeErrors.map((e) => e.field.split('.')[0]));
  const fail = (e: FieldError) => {
    // A field whose shape was already wrong is not blamed again by a rule that missed it.
    if (!reported.has(e.field.split('.')[0] as string)) errors.push(e);
  };

  const positive = (field: string, raw: string | number | undefined, tooLarge?: string): Nanos | null => {
    const v = positiveDecimal(field, raw, tooLarge);
    if (v === null || typeof v === 'bigint') return v;
    fail(v);
    return null;
  };
  const price = (field: string, raw: string | number | undefined): Nanos | null => {
    const v = priceDecimal(field, raw);
    if (v === null || typeof v === 'bigint') return v;
    fail(v);
    return null;
  };

  const qty = positive('qty', r.qty);
  const notional = positive('notional', r.notional);
  const limitPrice = price('limit_price', r.limit_price);
  const stopPrice = price('stop_price', r.stop_price);
  const trailPrice = price('trail_price', r.trail_price);
  const trailPercent = positive('trail_percent', r.trail_percent);
  const tpLimit = r.take_profit ? price('take_profit.limit_price', r.take_profit.limit_price) : null;
  const slStop = r.stop_loss ? price('stop_loss.stop_price', r.stop_loss.stop_price) : null;
  const slLimit = r.stop_loss ? price('stop_loss.limit_price', r.stop_loss.limit_price) : null;
  const adv = r.advanced_instructions;
  const displayQty = adv ? positive('advanced_instructions.display_qty', adv.display_qty) : null;
  const maxPercentage = adv ? positive('advanced_instructions.max_percentage', adv.max_percentage) : null;
  const qtyJitter = adv ? positive('advanced_instructions.qty_jitter', adv.qty_jitter) : null;
  const timeJitter = adv ? positive('advanced_instructions.time_jitter', adv.time_jitter) : null;
  const reference = ctx.referencePrice === undefined ? null : parseNanos(ctx.referencePrice);
  const referencePrice = typeof reference === 'bigint' ? reference : null;

  const orderClass: OrderClass = r.order_class ?? 'simple';
  const { type, side, symbol } = r;
  const tif = r.time_in_force;
  const extendedHours = r.extended_hours ?? false;
  // The cross-field rules need the order's kind; without it only the field checks above apply.
  if (type === undefined || side === undefined || tif === undefined) {
    return { ok: false, errors };
  }
  const orderSide: Side = side;

  // Quantity: exactly one of qty and notional.
  if (r.qty === undefined && r.notional === undefined) {
    fail(fieldError('required', 'qty', 'qty or notional is required'));
  }
  if (r.qty !== undefined && r.notional !== undefined) {
    fail(fieldError('conflict', 'notional', 'give qty or notional, not both'));
  }
  if (r.notional !== undefined) {
    if (type !== 'market') fail(fieldError('not_allowed', 'notional', 'is only for market orders'));
    if (tif !== 'day') fail(fieldError('not_allowed', 'notional', 'is only for time_in_force day'));
    if (notional !== null && fractionDigits(notional) > 2) {
      fail(fieldError('too_precise', 'notional', 'is a dollar amount with at most 2 decimal places'));
    }
    // Alpaca: fractional trading starts at $1 ("buy as little as $1 worth of shares").
    if (notional !== null && notional < MIN_NOTIONAL) {
      fail(fieldError('out_of_range', 'notional', `must be at least ${formatNanos(MIN_NOTIONAL)} (dollars)`));
    }
  }
  const fractional = qty !== null && qty % ONE !== 0n;
  if (fractional || r.notional !== undefined) {
    const field = fractional ? 'qty' : 'notional';
    if (type === 'trailing_stop')
      fail(fieldError('not_allowed', field, 'fractional orders cannot be trailing_stop'));
    if (tif !== 'day' && r.notional === undefined) {
      fail(fieldError('not_allowed', 'time_in_force', 'fractional orders must be day orders'));
    }
    if (orderClass !== 'simple')
      fail(fieldError('not_allowed', 'order_class', 'fractional orders must be simple'));
  }

  // Prices required exactly for the types that use them (oco carries its prices in the legs).
  const needsLimit = type === 'limit' || type === 'stop_limit';
  const needsStop = type === 'stop' || type === 'stop_limit';
  if (orderClass !== 'oco') {
    if (needsLimit && r.limit_price === undefined) {
      fail(fieldError('required', 'limit_price', `is required for ${type} orders`));
    }
    if (!needsLimit && r.limit_price !== undefined) {
      fail(fieldError('not_allowed', 'limit_price', `is not allowed for ${type} orders`));
    }
  }
  if (needsStop && r.stop_price === undefined) {
    fail(fieldError('required', 'stop_price', `is required for ${type} orders`));
  }
  if (!needsStop && r.stop_price !== undefined) {
    fail(fieldError('not_allowed', 'stop_price', `is not allowed for ${type} orders`));
  }
  if (type === 'trailing_stop') {
    if (r.trail_price === undefined && r.trail_percent === undefined) {
      fail(fieldError('required', 'trail_price', 'trailing_stop needs trail_price or trail_percent'));
    }
    if (r.trail_price !== undefined && r.trail_percent !== undefined) {
      fail(fieldError('conflict', 'trail_percent', 'give trail_price or trail_percent, not both'));
    }
    if (trailPercent !== null && trailPercent >= 100n * ONE) {
      fail(fieldError('out_of_range', 'trail_percent', 'must be less than 100'));
    } else if (trailPercent !== null && fractionDigits(trailPercent) > TRAIL_PERCENT_DECIMALS) {
      fail(
        fieldError(
          'too_precise',
          'trail_percent',
          `has more than ${TRAIL_PERCENT_DECIMALS} decimal places (0.01 is one basis point)`,
        ),
      );
    }
    if (tif !== 'day' && tif !== 'gtc') {
      fail(fieldError('not_allowed', 'time_in_force', 'trailing_stop orders must be day or gtc'));
    }
  } else {
    if (r.trail_price !== undefined)
      fail(fieldError('not_allowed', 'trail_price', 'is only for trailing_stop orders'));
    if (r.trail_percent !== undefined) {
      fail(fieldError('not_allowed', 'trail_percent', 'is only for trailing_stop orders'));
    }
  }

  // Extended hours: limit orders, day or gtc, simple.
  if (extendedHours) {
    if (type !== 'limit') fail(fieldError('not_allowed', 'extended_hours', 'is only for limit orders'));
    if (tif !== 'day' && tif !== 'gtc') {
      fail(fieldError('not_allowed', 'extended_hours', 'is only for time_in_force day or gtc'));
    }
    if (orderClass !== 'simple')
      fail(fieldError('not_allowed', 'extended_hours', 'is only for simple orders'));
  }

  // Auction orders take part in one auction: market or limit, simple.
  if ((tif === 'opg' || tif === 'cls') && type !== 'market' && type !== 'limit') {
    fail(fieldError('not_allowed', 'time_in_force', `${tif} is only for market or limit orders`));
  }

  // Position intent must agree with the side.
  if (r.position_intent !== undefined && !r.position_intent.startsWith(side)) {
    fail(fieldError('conflict', 'position_intent', `${r.position_intent} does not match side ${side}`));
  }

  checkOrderClass();
  checkAlgorithm();

  function checkOrderClass(): void {
    if (orderClass === 'simple') {
      if (r.take_profit !== undefined)
        fail(fieldError('not_allowed', 'take_profit', 'needs order_class bracket, oco or oto'));
      if (r.stop_loss !== undefined)
        fail(fieldError('not_allowed', 'stop_loss', 'needs order_class bracket, oco or oto'));
      return;
    }
    if (tif !== 'day' && tif !== 'gtc') {
      fail(fieldError('not_allowed', 'time_in_force', `${orderClass} orders must be day or gtc`));
    }
    if (orderClass === 'bracket') {
      if (r.take_profit === undefined)
        fail(fieldError('required', 'take_profit', 'is required for bracket orders'));
      if (r.stop_loss === undefined)
        fail(fieldError('required', 'stop_loss', 'is required for bracket orders'));
    }
    if (orderClass === 'oto' && (r.take_profit === undefined) === (r.stop_loss === undefined)) {
      fail(fieldError('conflict', 'take_profit', 'oto orders take exactly one of take_profit and stop_loss'));
    }
    if (orderClass === 'bracket' || orderClass === 'oto') {
      if (type === 'trailing_stop') {
        fail(
          fieldError('not_allowed', 'type', `${orderClass} entry must be market, limit, stop or stop_limit`),
        );
      }
      // Exits close the entry: for a buy entry they sell above (take profit) and below (stop loss).
      const entry =
        type === 'limit' || type === 'stop_limit' ? limitPrice : type === 'stop' ? stopPrice : referencePrice;
      checkExitSides(
        orderSide,
        entry,
        type === 'market' ? 'reference price' : type === 'stop' ? 'stop_price' : 'limit_price',
      );
    }
    if (orderClass === 'oco') {
      if (type !== 'limit') fail(fieldError('not_allowed', 'type', 'oco orders must be type limit'));
      if (r.take_profit === undefined)
        fail(fieldError('required', 'take_profit', 'is required for oco orders'));
      if (r.stop_loss === undefined) fail(fieldError('required', 'stop_loss', 'is required for oco orders'));
      if (limitPrice !== null && tpLimit !== null && limitPrice !== tpLimit) {
        fail(
          fieldError(
            'conflict',
            'limit_price',
            'must equal take_profit.limit_price for oco orders (or be omitted)',
          ),
        );
      }
      // An oco is an exit: selling out of a long has its take profit above its stop loss.
      checkExitSides(orderSide === 'buy' ? 'sell' : 'buy', null, '');
    }
  }

  /** `entrySide` is the side of the position-opening order; exits take the opposite side. */
  function checkExitSides(entrySide: Side, entry: Nanos | null, entryName: string): void {
    const up = entrySide === 'buy' ? 1 : -1;
    if (tpLimit !== null && slStop !== null && compare(tpLimit, slStop) !== up) {
      fail(
        fieldError(
          'wrong_side',
          'take_profit.limit_price',
          `must be ${up > 0 ? 'above' : 'below'} stop_loss.stop_price for the exits of a ${entrySide === 'buy' ? 'long' : 'short'} position`,
        ),
      );
    }
    if (entry !== null && tpLimit !== null && compare(tpLimit, entry) !== up) {
      fail(
        fieldError(
          'wrong_side',
          'take_profit.limit_price',
          `must be ${up > 0 ? 'above' : 'below'} the entry ${entryName}`,
        ),
      );
    }
    if (entry !== null && slStop !== null && compare(entry, slStop) !== up) {
      fail(
        fieldError(
          'wrong_side',
          'stop_loss.stop_price',
          `must be ${up > 0 ? 'below' : 'above'} the entry ${entryName}`,
        ),
      );
    }
    // A stop-limit exit sells no lower than its limit: the limit sits at or beyond the stop.
    if (slStop !== null && slLimit !== null && compare(slStop, slLimit) === -up) {
      fail(
        fieldError(
          'wrong_side',
          'stop_loss.limit_price',
          `must be at or ${up > 0 ? 'below' : 'above'} stop_loss.stop_price for the exits of a ${entrySide === 'buy' ? 'long' : 'short'} position`,
        ),
      );
    }
  }

  function checkAlgorithm(): void {
    if (adv === undefined) return;
    const field = 'advanced_instructions';
    if (type !== 'market' && type !== 'limit') {
      fail(fieldError('not_allowed', `${field}.algorithm`, 'algorithms take market or limit orders'));
    }
    if (orderClass !== 'simple')
      fail(fieldError('not_allowed', `${field}.algorithm`, 'algorithms take simple orders'));
    if (tif !== 'day' && tif !== 'gtc') {
      fail(fieldError('not_allowed', 'time_in_force', 'algorithmic orders must be day or gtc'));
    }
    if (r.notional !== undefined) fail(fieldError('not_allowed', 'notional', 'algorithmic orders need qty'));
    if (displayQty !== null && qty !== null && displayQty >= qty) {
      fail(fieldError('out_of_range', `${field}.display_qty`, 'must be less than qty'));
    }
    if (maxPercentage !== null) {
      if (maxPercentage >= ONE)
        fail(fieldError('out_of_range', `${field}.max_percentage`, 'must be less than 1'));
      else if (fractionDigits(maxPercentage) > 3) {
        fail(fieldError('too_precise', `${field}.max_percentage`, 'has more than 3 decimal places'));
      }
    }
    const jitters = [
      ['qty_jitter', adv.qty_jitter, qtyJitter],
      ['time_jitter', adv.time_jitter, timeJitter],
    ] as const;
    for (const [name, raw, value] of jitters) {
      if (raw !== undefined && adv.algorithm === 'DMA')
        fail(fieldError('not_allowed', `${field}.${name}`, 'is only for TWAP and VWAP'));
      if (value === null) continue;
      if (value > MAX_JITTER) fail(fieldError('out_of_range', `${field}.${name}`, 'must be at most 0.5'));
      else if (fractionDigits(value) > 3)
        fail(fieldError('too_precise', `${field}.${name}`, 'has more than 3 decimal places'));
    }
    const start = adv.start_time === undefined ? null : Date.parse(adv.start_time);
    const end = adv.end_time === undefined ? null : Date.parse(adv.end_time);
    if (start !== null && end !== null && start >= end) {
      fail(fieldError('out_of_range', `${field}.end_time`, 'must be after start_time'));
    }
    if (end !== null && end <= ctx.now)
      fail(fieldError('out_of_range', `${field}.end_time`, 'must be in the future'));
    const expiry = tif === 'day' || tif === 'gtc' ? ctx.expiresAt?.(tif, extendedHours) : undefined;
    for (const [name, at] of [
      ['start_time', start],
      ['end_time', end],
    ] as const) {
      if (expiry !== undefined && at !== null && at > expiry)
        fail(
          fieldError(
            'out_of_range',
            `${field}.${name}`,
            `must not be after ${new Date(expiry).toISOString()}, when the ${tif} order expires`,
          ),
        );
    }
  }

  if (errors.length > 0) return { ok: false, errors };

  const text = (v: Nanos | null) => (v === null ? null : formatNanos(v));
  return {
    ok: true,
    order: {
      // No errors means the shape stage saw a valid symbol.
      symbol: (symbol as string).toUpperCase(),
      qty: text(qty),
      notional: text(notional),
      side,
      type,
      timeInForce: tif,
      limitPrice: text(orderClass === 'oco' ? (limitPrice ?? tpLimit) : limitPrice),
      stopPrice: text(stopPrice),
      trailPrice: text(trailPrice),
      trailPercent: text(trailPercent),
      extendedHours,
      clientOrderId: r.client_order_id ?? null,
      orderClass,
      takeProfit: tpLimit === null ? null : { limitPrice: formatNanos(tpLimit) },
      stopLoss: slStop === null ? null : { stopPrice: formatNanos(slStop), limitPrice: text(slLimit) },
      positionIntent: r.position_intent ?? null,
      advancedInstructions: adv
        ? {
            algorithm: adv.algorithm,
            displayQty: text(displayQty),
            startTime: adv.start_time ?? null,
            endTime: adv.end_time ?? null,
            maxPercentage: text(maxPercentage),
            ...(qtyJitter === null ? {} : { qtyJitter: formatNanos(qtyJitter) }),
            ...(timeJitter === null ? {} : { timeJitter: formatNanos(timeJitter) }),
          }
        : null,
    },
  };
}

/** The Alpaca request body that validates to `spec` (used to re-check a replaced order's terms). */
export function specToRequest(spec: OrderSpec): OrderRequestInput {
  const body: Record<string, unknown> = {
    symbol: spec.symbol,
    side: spec.side,
    type: spec.type,
    time_in_force: spec.timeInForce,
    qty: spec.qty,
    notional: spec.notional,
    limit_price: spec.limitPrice,
    stop_price: spec.stopPrice,
    trail_price: spec.trailPrice,
    trail_percent: spec.trailPercent,
    extended_hours: spec.extendedHours || undefined,
    client_order_id: spec.clientOrderId,
    order_class: spec.orderClass,
    take_profit: spec.takeProfit ? { limit_price: spec.takeProfit.limitPrice } : undefined,
    stop_loss: spec.stopLoss
      ? { stop_price: spec.stopLoss.stopPrice, limit_price: spec.stopLoss.limitPrice ?? undefined }
      : undefined,
    position_intent: spec.positionIntent,
    advanced_instructions: spec.advancedInstructions
      ? {
          algorithm: spec.advancedInstructions.algorithm,
          display_qty: spec.advancedInstructions.displayQty ?? undefined,
          start_time: spec.advancedInstructions.startTime ?? undefined,
          end_time: spec.advancedInstructions.endTime ?? undefined,
          max_percentage: spec.advancedInstructions.maxPercentage ?? undefined,
          qty_jitter: spec.advancedInstructions.qtyJitter,
          time_jitter: spec.advancedInstructions.timeJitter,
        }
      : undefined,
  };
  for (const k of Object.keys(body)) if (body[k] === null || body[k] === undefined) delete body[k];
  return body as OrderRequestInput;
}
