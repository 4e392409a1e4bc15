/**
 * The bus envelope (DESIGN.md): source `stockbot.oms`, detail-type = the event type,
 * detail = {metadata, data}. Built from the stored event, so the stream, the bus and the audit
 * trail carry the same facts.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { StoredEvent, StoredPositionEvent } from './event-store.js';

export const OMS_SOURCE = 'stockbot.oms';

export interface EventMetadata {
  readonly eventId: string;
  readonly orderId: string;
  readonly accountId: string;
  readonly seq: number;
  readonly schemaVersion: number;
  readonly occurredAt: string;
  readonly correlationId: string;
  readonly causationId: string;
}

export interface EventDetail {
  readonly metadata: EventMetadata;
  readonly data: unknown;
}

/**
 * A PositionChanged's metadata names the order whose execution changed the position (`orderId`)
 * and the account's position sequence (`seq`): subscribers order position events by
 * (accountId, seq) and dedupe on eventId (`positions#<accountId>:<seq>`), as they order an
 * order's events by (orderId, seq).
 */
export function detailOf(e: StoredEvent | StoredPositionEvent): EventDetail {
  return {
    metadata: {
      eventId: e.eventId,
      orderId: e.type === 'PositionChanged' ? e.data.orderId : e.orderId,
      accountId: e.accountId,
      seq: e.seq,
      schemaVersion: e.schemaVersion,
      occurredAt: e.occurredAt,
      correlationId: e.correlationId,
      causationId: e.causationId,
    },
    data: e.data,
  };
}

export function busEntryOf(
  e: StoredEvent | StoredPositionEvent,
  eventBusName: string,
): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: OMS_SOURCE,
    DetailType: e.type,
    Time: new Date(e.occurredAt),
    Resources: [],
    Detail: JSON.stringify(detailOf(e)),
  };
}

/**
 * A bus entry the OMS derives from an order's event without storing it (issue 15: the TCA of a
 * closed order, a slippage breach): the envelope of `cause`, its own `type`, `eventId` and data,
 * caused by `cause` (subscribers order it at `cause`'s seq and dedupe on its own id).
 */
export function derivedBusEntryOf(
  cause: StoredEvent,
  type: string,
  eventId: string,
  data: unknown,
  eventBusName: string,
): PutEventsRequestEntry {
  const detail = detailOf(cause);
  return {
    ...busEntryOf(cause, eventBusName),
    DetailType: type,
    Detail: JSON.stringify({ metadata: { ...detail.metadata, eventId, causationId: cause.eventId }, data }),
  };
}
