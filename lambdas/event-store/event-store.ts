/**
 * The event store: one DynamoDB item per order event, partition key `orderId`, sort key `seq`.
 * Every append is conditional on the item not existing, so two writers deciding from the same
 * state cannot both append `seq` N+1 (one gets `AppendConflict`, reloads and decides again) and
 * a retried write of the same event is refused instead of duplicated.
 */
import type { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type Decision,
  decide,
  EVENT_SCHEMA_VERSION,
  evolve,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type PositionChanged,
} from '../core/index.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';

/** The version stored with each event: the published contract's (core events.ts, event-schemas.ts). */
export const SCHEMA_VERSION = EVENT_SCHEMA_VERSION;

/** What is stored (and what the stream's NEW_IMAGE carries): the event plus its metadata. */
export type StoredEvent = OrderEvent & {
  readonly accountId: string;
  /** `${orderId}:${seq}`: unique, stable across redelivery; the bus event id. */
  readonly eventId: string;
  readonly schemaVersion: number;
  readonly correlationId: string;
  readonly causationId: string;
  /** Set on the events of a contingent order's members (`EventMeta.groupId`). */
  readonly groupId?: string;
};

/**
 * An account's position stream lives in the same table, under partition `positions#<accountId>`
 * (the `orderId` attribute is the stream's key): one PositionChanged per execution, numbered by the
 * account's own sequence, appended under the same condition as order events and published by the
 * same stream consumer (lambdas/orders/account-ledger.ts).
 */
export const POSITION_STREAM_PREFIX = 'positions#';

export function positionStreamKey(accountId: string): string {
  return `${POSITION_STREAM_PREFIX}${accountId}`;
}

/** A stored PositionChanged: the event (core positions.ts) plus the envelope's metadata. */
export type StoredPositionEvent = PositionChanged & {
  /** The stream key, `positions#<accountId>`. */
  readonly orderId: string;
  /** `positions#<accountId>:<seq>`. */
  readonly eventId: string;
  readonly schemaVersion: number;
  /** The order whose execution changed the position. */
  readonly correlationId: string;
  /** The order event that recorded the execution (`orderId:seq`). */
  readonly causationId: string;
};

export interface EventMeta {
  readonly accountId: string;
  /** The request or flow the event belongs to (the order id for the order's own flow). */
  readonly correlationId: string;
  /** What caused it: a request id, an execution id, the event id of a triggering event. */
  readonly causationId: string;
  /**
   * The contingent order (bracket, OCO, OTO) the order belongs to: stored on each of its events,
   * so the group coordinator's stream filter picks out exactly the events of group members.
   */
  readonly groupId?: string;
}

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Another writer appended first (or the same write was retried): reload and decide again. */
export class AppendConflict extends Error {
  constructor(
    readonly orderId: string,
    /** Index in the transaction of the first item whose condition failed, when known. */
    readonly failedIndex: number | null,
  ) {
    super(`append conflict on order ${orderId}`);
    this.name = 'AppendConflict';
  }
}

export function toStored(e: OrderEvent, meta: EventMeta): StoredEvent {
  return { ...e, ...meta, eventId: `${e.orderId}:${e.seq}`, schemaVersion: SCHEMA_VERSION };
}

/** A single write's condition failed (`ConditionalCheckFailedException`). */
export function isConditionalFailure(err: unknown): boolean {
  return (err as { name?: string }).name === 'ConditionalCheckFailedException';
}

/** Each item's cancellation code when a transaction was canceled (`ConditionalCheckFailed`, ...), else null. */
export function cancellationCodes(err: unknown): readonly (string | undefined)[] | null {
  if ((err as { name?: string }).name !== 'TransactionCanceledException') return null;
  return ((err as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code);
}

function cancellationIndex(err: unknown): number | null | undefined {
  if ((err as { name?: string }).name !== 'TransactionCanceledException') return undefined;
  const reasons = (err as TransactionCanceledException).CancellationReasons ?? [];
  const i = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
  return i >= 0 ? i : null;
}

export class EventStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
  ) {}

  /** The order's events in sequence order (strongly consistent: sees every acknowledged append). */
  async load(orderId: string): Promise<StoredEvent[]> {
    const out: StoredEvent[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'orderId = :id',
          ExpressionAttributeValues: { ':id': orderId },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(item as StoredEvent);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  async loadState(orderId: string): Promise<{ state: OrderState | undefined; events: StoredEvent[] }> {
    const events = await this.load(orderId);
    let state: OrderState | undefined;
    for (const e of events) state = evolve(state, e);
    return { state, events };
  }

  /**
   * The put items for `events` (each conditional on not existing), to append alone or inside a
   * larger transaction (an order's first events together with its client-order-id claim).
   */
  putItems(events: readonly OrderEvent[], meta: EventMeta): TransactItem[] {
    return events.map((e) => ({
      Put: {
        TableName: this.tableName,
        Item: toStored(e, meta),
        ConditionExpression: 'attribute_not_exists(orderId)',
      },
    }));
  }

  /** Appends atomically: all of `events` and `extra` are written, or none. */
  async append(
    events: readonly OrderEvent[],
    meta: EventMeta,
    extra: readonly TransactItem[] = [],
  ): Promise<void> {
    if (events.length === 0 && extra.length === 0) return;
    const orderId = events[0]?.orderId ?? '';
    const items = [...this.putItems(events, meta), ...extra];
    try {
      if (items.length === 1 && events.length === 1) {
        const put = items[0]?.Put as NonNullable<TransactItem['Put']>;
        await this.doc.send(new PutCommand(put));
      } else {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
      }
    } catch (err) {
      if (isConditionalFailure(err)) throw new AppendConflict(orderId, 0);
      const index = cancellationIndex(err);
      if (index !== undefined) {
        if (index === null) throw err; // cancelled for another reason (e.g. a concurrent transaction): retryable by the caller's SDK policy
        throw new AppendConflict(orderId, index);
      }
      throw err;
    }
  }
}

export interface CommandResult {
  readonly decision: Decision;
  /** The state after the command (unchanged on a refusal). */
  readonly state: OrderState | undefined;
  /** Events appended by this call (empty for a refusal or an idempotent no-op). */
  readonly appended: readonly OrderEvent[];
}

/** What to append to an order in its current state: a decision, and other items of the same write. */
export interface Appending {
  readonly decision: Decision;
  /** Other items of the same transaction (another order's opening events, a claim). */
  readonly extra?: readonly TransactItem[];
  /** The events among `extra` (reported as appended too). */
  readonly extraEvents?: readonly OrderEvent[];
}

/**
 * Load, decide, append; on a conflict (another writer appended first) reload and decide again,
 * so concurrent writers on one order are serialised by the store and none is lost. `decideOn` is
 * asked again on each fresh state (with the event metadata, the group id included). `settles`: a
 * conflict that deciding again cannot resolve (an `extra` item's condition): it ends the run,
 * returned as `conflict` with nothing appended.
 */
export async function runDecision(
  store: EventStore,
  orderId: string,
  decideOn: (state: OrderState | undefined, at: number, meta: EventMeta | null) => Appending,
  meta: (state: OrderState) => EventMeta,
  now: () => number,
  options: {
    readonly maxAttempts?: number;
    readonly settles?: (conflict: AppendConflict) => boolean;
    /**
     * The order's state the caller has just loaded (strongly consistent): the first attempt
     * decides on it instead of loading it again; a conflict reloads as always (issue 12).
     */
    readonly loaded?: { readonly state: OrderState };
  } = {},
): Promise<CommandResult & { readonly conflict?: AppendConflict }> {
  const maxAttempts = options.maxAttempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    const state =
      attempt === 1 && options.loaded !== undefined
        ? options.loaded.state
        : (await store.loadState(orderId)).state;
    const groupId = state?.contingency?.groupId;
    const m = state === undefined ? null : groupId === undefined ? meta(state) : { ...meta(state), groupId };
    const { decision, extra = [], extraEvents = [] } = decideOn(state, now(), m);
    if (!decision.ok || (decision.events.length === 0 && extra.length === 0))
      return { decision, state, appended: [] };
    if (state === undefined || m === null)
      throw new Error(`cannot create order ${orderId} here; use the create path`);
    try {
      await store.append(decision.events, m, extra);
    } catch (err) {
      if (!(err instanceof AppendConflict)) throw err;
      if (options.settles?.(err)) return { decision, state, appended: [], conflict: err };
      if (attempt < maxAttempts) continue;
      throw err;
    }
    let after: OrderState = state;
    for (const e of decision.events) after = evolve(after, e);
    return { decision, state: after, appended: [...decision.events, ...extraEvents] };
  }
}

/** `runDecision` of one core command. */
export function runCommand(
  store: EventStore,
  orderId: string,
  command: OrderCommand,
  meta: (state: OrderState) => EventMeta,
  now: () => number,
  maxAttempts = 8,
  loaded?: { readonly state: OrderState },
): Promise<CommandResult> {
  return runDecision(store, orderId, (state, at) => ({ decision: decide(state, command, at) }), meta, now, {
    maxAttempts,
    ...(loaded === undefined ? {} : { loaded }),
  });
}

let defaultStore: EventStore | undefined;

/**
 * The event store as the stack wires it (EVENT_STORE_TABLE, the shared DynamoDB client), one per
 * execution environment: the ONE factory every handler uses. Tests build their own `EventStore`.
 */
export function eventStore(): EventStore {
  defaultStore ??= new EventStore(dynamo, requiredEnv(ENV.eventStoreTable));
  return defaultStore;
}
