/**
 * The account ledger's storage (issue 13; core positions.ts decides, this writes):
 * - EVENT_STORE_TABLE partition `positions#<accountId>`: the account's PositionChanged events,
 *   seq 1, 2, ... (the audit trail, the FILL activities, what the bus publishes);
 * - ACCOUNTS_TABLE `positions#<accountId>`: the ledger after the last of them (core
 *   `LedgerState`), what the API and risk read in one GetItem;
 * - IDEMPOTENCY_TABLE `fill#<orderId>#<execId>`: the execution was applied (expires after 8 days;
 *   the event store's stream, the only source of redeliveries, keeps records 24 hours).
 * One execution = one TransactWriteItems of those three puts: the marker only if absent (else the
 * execution was applied: a redelivery, nothing written), the event only if its seq is free, the
 * ledger only if it is still the one decided from. Two writers of the same account (fills of two
 * orders at once) cannot both take seq N+1: the loser reads the ledger again and decides again, so
 * no execution is lost or doubled and the position is always the fold of the events in seq order.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  applyExecution,
  EMPTY_LEDGER,
  type LedgerExecution,
  type LedgerState,
  type PositionChanged,
} from '../core/index.js';
import {
  cancellationCodes,
  positionStreamKey,
  SCHEMA_VERSION,
  type StoredEvent,
  type StoredPositionEvent,
} from '../event-store/event-store.js';
import { executionReleaseItem } from './buying-power-reservations.js';

export const LEDGER_PK_PREFIX = 'positions#';
/** How long an execution's applied marker is kept (seconds). */
export const APPLIED_MARKER_TTL_SECONDS = 8 * 24 * 3600;

export interface LedgerTables {
  readonly events: string;
  readonly accounts: string;
  readonly idempotency: string;
}

export type ApplyOutcome =
  | { readonly kind: 'applied'; readonly event: PositionChanged; readonly ledger: LedgerState }
  | { readonly kind: 'duplicate' };

export function ledgerPk(accountId: string): string {
  return `${LEDGER_PK_PREFIX}${accountId}`;
}

export function appliedMarkerId(orderId: string, execId: string): string {
  return `fill#${orderId}#${execId}`;
}

/**
 * An execution of its order, what the ledger applies: a fill, never an algorithmic parent's mirror
 * of its child's fill (`childOrderId`: the child's own fill is the execution).
 */
export function isLedgerExecution(
  e: StoredEvent,
): e is Extract<StoredEvent, { type: 'OrderFilled' | 'OrderPartiallyFilled' }> {
  return (e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled') && e.data.childOrderId === undefined;
}

/** The ledger item as stored: the core state plus its key. */
export function ledgerOf(item: Record<string, unknown> | undefined): LedgerState {
  if (item === undefined) return EMPTY_LEDGER;
  return {
    seq: Number(item.seq),
    cashFlow: String(item.cashFlow),
    positions: (item.positions as LedgerState['positions']) ?? {},
    dayTrades: Array.isArray(item.dayTrades) ? (item.dayTrades as string[]) : [],
    ...(item.flat === undefined ? {} : { flat: item.flat as NonNullable<LedgerState['flat']> }),
    ...(typeof item.lastTransactionTime === 'string'
      ? { lastTransactionTime: item.lastTransactionTime }
      : {}),
  };
}

export function toStoredPositionEvent(e: PositionChanged): StoredPositionEvent {
  const orderId = positionStreamKey(e.accountId);
  return {
    ...e,
    orderId,
    eventId: `${orderId}:${e.seq}`,
    schemaVersion: SCHEMA_VERSION,
    correlationId: e.data.orderId,
    causationId: e.data.orderEventId,
  };
}

export class AccountLedger {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: LedgerTables,
  ) {}

  /** The account's ledger after its last PositionChanged (strongly consistent by default). */
  async load(accountId: string, consistent = true): Promise<LedgerState> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tables.accounts,
        Key: { pk: ledgerPk(accountId) },
        ConsistentRead: consistent,
      }),
    );
    return ledgerOf(out.Item);
  }

  /**
   * Applies one execution: exactly once per (order id, exec id), at the account's next sequence.
   * `known`: the ledger the caller believes is current (its last write); a stale one costs a
   * conflict and a read, never a wrong position.
   */
  async apply(
    accountId: string,
    execution: LedgerExecution,
    nowSeconds: number,
    known?: LedgerState,
    maxAttempts = 12,
  ): Promise<ApplyOutcome> {
    let ledger = known;
    for (let attempt = 1; ; attempt++) {
      const before = ledger ?? (await this.load(accountId));
      const { event, ledger: after } = applyExecution(before, accountId, execution);
      try {
        await this.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.tables.idempotency,
                  Item: {
                    id: appliedMarkerId(execution.orderId, execution.execId),
                    accountId,
                    positionSeq: event.seq,
                    expiresAt: nowSeconds + APPLIED_MARKER_TTL_SECONDS,
                  },
                  ConditionExpression: 'attribute_not_exists(id)',
                },
              },
              {
                Put: {
                  TableName: this.tables.events,
                  Item: toStoredPositionEvent(event),
                  ConditionExpression: 'attribute_not_exists(orderId)',
                },
              },
              // The execution's share of its order's buying power claim, given back with its cost.
              ...((execution.buyingPowerRelease ?? 0) > 0
                ? [
                    executionReleaseItem(
                      this.tables.accounts,
                      accountId,
                      execution.buyingPowerRelease as number,
                      after.seq,
                    ),
                  ]
                : []),
              {
                Put: {
                  TableName: this.tables.accounts,
                  Item: { pk: ledgerPk(accountId), ...after },
                  ...(before.seq === 0
                    ? { ConditionExpression: 'attribute_not_exists(pk)' }
                    : {
                        ConditionExpression: 'seq = :seq',
                        ExpressionAttributeValues: { ':seq': before.seq },
                      }),
                },
              },
            ],
          }),
        );
        return { kind: 'applied', event, ledger: after };
      } catch (err) {
        const codes = cancellationCodes(err);
        if (codes === null) throw err;
        if (codes[0] === 'ConditionalCheckFailed') return { kind: 'duplicate' };
        // Another writer took the sequence (or a concurrent transaction touched an item): decide again.
        if (attempt >= maxAttempts) throw err;
        ledger = undefined;
      }
    }
  }

  /**
   * The signed position after an execution already applied (its marker names the PositionChanged),
   * or null when it was not (yet) applied: two reads, only for a redelivered or mirrored fill.
   */
  async positionAfter(orderId: string, execId: string): Promise<string | null> {
    const marker = await this.doc.send(
      new GetCommand({ TableName: this.tables.idempotency, Key: { id: appliedMarkerId(orderId, execId) } }),
    );
    const accountId = marker.Item?.accountId;
    const seq = marker.Item?.positionSeq;
    if (typeof accountId !== 'string' || typeof seq !== 'number') return null;
    const event = await this.doc.send(
      new GetCommand({ TableName: this.tables.events, Key: { orderId: positionStreamKey(accountId), seq } }),
    );
    const qty = (event.Item as StoredPositionEvent | undefined)?.data.qtyAfter;
    return qty ?? null;
  }

  /** The account's PositionChanged events (`positionEvents`). */
  events(accountId: string, options: PositionEventsQuery): Promise<PositionChanged[]> {
    return positionEvents(this.doc, this.tables.events, accountId, options);
  }
}

export interface PositionEventsQuery {
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  readonly descending?: boolean;
  readonly limit: number;
  /** A strongly consistent read: every event up to a ledger just read (portfolio history rolls the ledger back over them). */
  readonly consistent?: boolean;
}

/**
 * An account's PositionChanged events with seq in (afterSeq, beforeSeq), oldest first (newest first
 * with `descending`), at most `limit`: the FILL activities.
 */
export async function positionEvents(
  doc: DynamoDBDocumentClient,
  eventsTable: string,
  accountId: string,
  options: PositionEventsQuery,
): Promise<PositionChanged[]> {
  const after = options.afterSeq ?? 0;
  const before = options.beforeSeq ?? Number.MAX_SAFE_INTEGER;
  if (before - after <= 1) return [];
  const out: PositionChanged[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: eventsTable,
        KeyConditionExpression: 'orderId = :k AND seq BETWEEN :a AND :b',
        ExpressionAttributeValues: { ':k': positionStreamKey(accountId), ':a': after + 1, ':b': before - 1 },
        ScanIndexForward: options.descending !== true,
        ...(options.consistent === true ? { ConsistentRead: true } : {}),
        Limit: options.limit - out.length,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      const stored = item as StoredPositionEvent;
      out.push({
        type: 'PositionChanged',
        accountId: stored.accountId,
        seq: stored.seq,
        occurredAt: stored.occurredAt,
        data: stored.data,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined && out.length < options.limit);
  return out;
}
