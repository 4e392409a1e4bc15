/**
 * Behaviour controls of a simulated venue, set by an operator (local mode's
 * `PUT /local/venues/{venue}` with `{"latency_ms", "max_fill_qty", "reject_next"}`) and read by the
 * venue once per call (one GetItem). No record: the venue behaves as it always has (answers at
 * once, fills up to the displayed size, rejects nothing).
 *
 * The record lives in VENUE_ORDERS_TABLE under `orderId = 'venue-config#<venue>'` (no new table;
 * OMS order ids never take that form). It carries no `restingSymbol` nor `outboxPending`, so the
 * venue's sparse indexes never list it.
 *
 * - `latencyMs` (0..5000; default the venue profile's, core VENUE_PROFILES): the venue sleeps this long before it acts on a submit, cancel or
 *   replace (the market tick does not sleep).
 * - `maxFillQty` (positive decimal or null): no single fill is larger, so an order fills partially
 *   over several ticks; an IOC fills at most this much, a FOK larger than this is canceled.
 * - `rejectNext`: the next submission is rejected (`rejected_by_venue_control`). The flag is
 *   cleared by a conditional update in the same transaction that books the rejected order, so of
 *   two concurrent submissions exactly one takes it.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  describeFieldErrors,
  type FieldError,
  fieldError,
  formatNanos,
  type Nanos,
  nanos,
  venueProfileOf,
} from '../../core/index.js';
import { type Built, positiveDecimal } from './market.js';

export const VENUE_CONFIG_PREFIX = 'venue-config#';
export const VENUE_CONFIG_KIND = 'venue-config';
/** Longest latency an operator can set (a venue call must stay well inside its Lambda timeout). */
export const MAX_LATENCY_MS = 5000;
export const REJECTED_BY_VENUE_CONTROL = 'rejected_by_venue_control';

/** The venue's behaviour, as the simulated venue uses it. */
export interface VenueConfig {
  readonly venue: string;
  readonly latencyMs: number;
  readonly maxFillQty: Nanos | null;
  readonly rejectNext: boolean;
}

/** The VENUE_ORDERS_TABLE item (key `orderId`). */
export interface VenueConfigItem {
  readonly orderId: string;
  readonly kind: typeof VENUE_CONFIG_KIND;
  readonly venue: string;
  readonly latencyMs: number;
  /** Canonical decimal text, or null for no cap. */
  readonly maxFillQty: string | null;
  readonly rejectNext: boolean;
  readonly updatedAt: string;
}

/** What an operator sends (JSON, snake_case like the public API). */
export interface VenueConfigInput {
  readonly latency_ms?: unknown;
  readonly max_fill_qty?: unknown;
  readonly reject_next?: unknown;
}

/** A venue's latency when no operator set one: its profile's (core VENUE_PROFILES), else none. */
export function defaultLatencyOf(venue: string): number {
  return venueProfileOf(venue)?.latencyMs ?? 0;
}

export function defaultVenueConfig(venue: string): VenueConfig {
  return { venue, latencyMs: defaultLatencyOf(venue), maxFillQty: null, rejectNext: false };
}

/** The config record's key in VENUE_ORDERS_TABLE. */
export function venueConfigKey(venue: string): { readonly orderId: string } {
  return { orderId: `${VENUE_CONFIG_PREFIX}${venue}` };
}

const VENUE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
const FIELDS = new Set(['latency_ms', 'max_fill_qty', 'reject_next']);

/**
 * Validates an operator's settings and builds the record. The record is replaced as a whole: a
 * field left out takes its default (`latency_ms` the venue profile's, 0 for SIMX, `max_fill_qty` null = no cap, `reject_next`
 * false). Errors name the field (`latency_ms: must be ...`); unknown fields are refused.
 */
export function venueConfigItem(
  venue: string,
  input: VenueConfigInput,
  now: number = Date.now(),
): Built<VenueConfigItem> {
  const errors: FieldError[] = [];
  if (typeof venue !== 'string' || !VENUE.test(venue))
    errors.push(
      fieldError('invalid_value', 'venue', 'must be a venue id (letters, digits, "_", ".", "-"; 1-32)'),
    );
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    errors.push(fieldError('invalid_type', 'body', 'must be a JSON object'));
    return { ok: false, message: describeFieldErrors(errors), errors };
  }
  for (const key of Object.keys(input))
    if (!FIELDS.has(key))
      errors.push(
        fieldError('unknown_field', key, 'is not a venue setting (latency_ms, max_fill_qty, reject_next)'),
      );
  let latencyMs = defaultLatencyOf(venue);
  const latency = input.latency_ms;
  if (latency !== undefined && latency !== null) {
    if (typeof latency !== 'number' || !Number.isInteger(latency))
      errors.push(fieldError('invalid_type', 'latency_ms', 'must be a whole number of milliseconds'));
    else if (latency < 0 || latency > MAX_LATENCY_MS)
      errors.push(
        fieldError('out_of_range', 'latency_ms', `must be between 0 and ${MAX_LATENCY_MS}, got ${latency}`),
      );
    else latencyMs = latency;
  }
  let maxFillQty: Nanos | null = null;
  if (input.max_fill_qty !== undefined && input.max_fill_qty !== null)
    maxFillQty = positiveDecimal('max_fill_qty', input.max_fill_qty, errors) ?? null;
  let rejectNext = false;
  if (input.reject_next !== undefined && input.reject_next !== null) {
    if (typeof input.reject_next !== 'boolean')
      errors.push(fieldError('invalid_type', 'reject_next', 'must be true or false'));
    else rejectNext = input.reject_next;
  }
  if (errors.length > 0) return { ok: false, message: describeFieldErrors(errors), errors };
  return {
    ok: true,
    item: {
      ...venueConfigKey(venue),
      kind: VENUE_CONFIG_KIND,
      venue,
      latencyMs,
      maxFillQty: maxFillQty === null ? null : formatNanos(maxFillQty),
      rejectNext,
      updatedAt: new Date(now).toISOString(),
    },
  };
}

/**
 * The config from a stored record; defaults for a missing one. Tolerant of a hand-written record:
 * a latency outside 0..MAX_LATENCY_MS is clamped, an unreadable cap means no cap.
 */
export function venueConfigFromItem(venue: string, item: Record<string, unknown> | undefined): VenueConfig {
  if (item === undefined) return defaultVenueConfig(venue);
  const latency = Number(item.latencyMs ?? 0);
  const latencyMs = Number.isFinite(latency) ? Math.min(MAX_LATENCY_MS, Math.max(0, Math.floor(latency))) : 0;
  let maxFillQty: Nanos | null = null;
  if (item.maxFillQty !== undefined && item.maxFillQty !== null) {
    try {
      const cap = nanos(String(item.maxFillQty));
      maxFillQty = cap > 0n ? cap : null;
    } catch {
      maxFillQty = null;
    }
  }
  return { venue, latencyMs, maxFillQty, rejectNext: item.rejectNext === true };
}

/** Reads the venue's config (one strongly consistent GetItem): defaults when there is no record. */
export async function readVenueConfig(
  doc: DynamoDBDocumentClient,
  venueOrdersTable: string,
  venue: string,
): Promise<VenueConfig> {
  const got = await doc.send(
    new GetCommand({ TableName: venueOrdersTable, Key: venueConfigKey(venue), ConsistentRead: true }),
  );
  return venueConfigFromItem(venue, got.Item);
}
