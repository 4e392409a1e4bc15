/**
 * The bus intake's answers (`OrderRequestRejected`, issue 16), stored in the event store so that
 * its stream's publisher puts them on the bus, as it puts order events.
 *
 * One item per answered request event: partition `intake#<EventBridge event id>`, `seq` 1, written
 * on the condition that it does not exist. So:
 * - durable: an answer that cannot be stored fails the request's record, which the queue delivers
 *   again (until issue 12 the intake put the answer on the bus itself, best effort: a failed
 *   PutEvents lost it, and a producer waiting for an answer never got one);
 * - once: a redelivered request event finds its answer stored and stores nothing more (a
 *   producer's retry is a new event and gets its own answer, as before);
 * - auditable: refused requests stay in the store beside the orders (no TTL; about 0.5 KB each).
 * The intake needs no EventBridge client (its bundle, issue 12) and the publisher, which holds the
 * bus permission anyway, is the one writer of OMS sources on the bus but the gateway and the API.
 * The bus detail is the answer as stored: the contract (docs/aws.md) did not change.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/** Where the intake's answers come from (a producer's rule matches it). */
export const INTAKE_SOURCE = 'stockbot.oms.intake';
export const ORDER_REQUEST_REJECTED = 'OrderRequestRejected';
/** The partition prefix of the intake's answers in the event store. */
export const INTAKE_STREAM_PREFIX = 'intake#';

/** What `OrderRequestRejected` says; `code` is stable, `message` names the field or the rule. */
export interface OrderRequestRejection {
  readonly requestId: string | null;
  /** The EventBridge id of the `OrderRequested` event answered. */
  readonly eventId: string;
  readonly accountId: string | null;
  /** The request's source (`stockbot.strategy.<id>`): a producer's rule matches its own answers. */
  readonly source: string;
  readonly code: 'invalid_request' | 'risk_refused' | 'conflict' | 'sender_not_entitled';
  readonly message: string;
  readonly errors?: readonly unknown[];
  readonly refusals?: readonly unknown[];
}

/** The stored item (and what the stream's NEW_IMAGE carries). */
export interface StoredIntakeAnswer {
  /** `intake#<event id>`: the store's partition key. */
  readonly orderId: string;
  readonly seq: 1;
  readonly type: typeof ORDER_REQUEST_REJECTED;
  /** `intake#<event id>:1`: the publisher's key within a batch. */
  readonly eventId: string;
  readonly occurredAt: string;
  readonly answer: OrderRequestRejection;
}

export function intakeAnswerOf(rejection: OrderRequestRejection, now: number): StoredIntakeAnswer {
  const key = `${INTAKE_STREAM_PREFIX}${rejection.eventId}`;
  return {
    orderId: key,
    seq: 1,
    type: ORDER_REQUEST_REJECTED,
    eventId: `${key}:1`,
    occurredAt: new Date(now).toISOString(),
    answer: rejection,
  };
}

/**
 * Stores the answer to a request event: `stored`, or `already_stored` when a delivery of the same
 * event stored it first. Anything else throws (the request's record is retried).
 */
export async function storeIntakeAnswer(
  doc: DynamoDBDocumentClient,
  tableName: string,
  answer: StoredIntakeAnswer,
): Promise<'stored' | 'already_stored'> {
  try {
    await doc.send(
      new PutCommand({
        TableName: tableName,
        Item: answer,
        ConditionExpression: 'attribute_not_exists(orderId)',
      }),
    );
    return 'stored';
  } catch (err) {
    // event-store.ts's isConditionalFailure, not imported: the CAT export reads the prefix from
    // here without the order core (its bundle, issue 12).
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return 'already_stored';
    throw err;
  }
}

/** The answer's bus entry: source `stockbot.oms.intake`, the answer itself as the detail. */
export function intakeBusEntryOf(answer: StoredIntakeAnswer, eventBusName: string): PutEventsRequestEntry {
  return {
    EventBusName: eventBusName,
    Source: INTAKE_SOURCE,
    DetailType: answer.type,
    Time: new Date(answer.occurredAt),
    Resources: [],
    Detail: JSON.stringify(answer.answer),
  };
}
