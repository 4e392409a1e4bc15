/**
 * What the OMS and a FIX venue session host share (docs/venues.md, "How the OMS reaches the
 * session"): the requests the OMS's Lambda functions hand to the session (submit, cancel, replace),
 * and the session's mirror of every order it sent (terms, status, executions), which answers the
 * Venue port's status queries. On AWS and in local mode both live in VENUE_ORDERS_TABLE:
 * - request `fix-req#<venue>#<orderId>#<kind>[#<replacementId>]`, written once
 *   (`attribute_not_exists`: a retried call books nothing twice), with the sparse index key
 *   `fixQueue = <venue>` (index `byFixQueue`, sort key `requestedAt`) until the session takes it;
 * - mirror `fix#<venue>#<ClOrdID>`, written by the session only.
 * Neither has the simulator's index keys (`restingSymbol`, `outboxPending`) or `executions`, so the
 * simulated venues never see them.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ReplaceChanges } from '../../core/index.js';
import type { VenueExecution, VenueOrder, VenueOrderStatusReport } from '../venue.js';
import type { SentTerms } from './fix-mapping.js';

export const FIX_QUEUE_INDEX = 'byFixQueue';

export type FixRequest =
  | { readonly kind: 'submit'; readonly venue: string; readonly orderId: string; readonly order: VenueOrder }
  | { readonly kind: 'cancel'; readonly venue: string; readonly orderId: string; readonly reason: string }
  | {
      readonly kind: 'replace';
      readonly venue: string;
      readonly orderId: string;
      readonly replacementOrderId: string;
      readonly changes: ReplaceChanges;
    };

export interface QueuedFixRequest {
  readonly key: string;
  readonly requestedAt: string;
  readonly request: FixRequest;
}

/** The session's mirror of one order (one ClOrdID). */
export interface FixOrderMirror {
  readonly venue: string;
  readonly terms: SentTerms;
  readonly status: VenueOrderStatusReport['status'];
  readonly filledQty: string;
  readonly avgPrice: string | null;
  readonly executions: readonly VenueExecution[];
  /** Terms of a replace sent and not yet answered. */
  readonly pendingReplace: SentTerms | null;
  readonly updatedAt: string;
}

export interface FixBook {
  enqueue(request: FixRequest, at: string): Promise<void>;
  pending(venue: string): Promise<QueuedFixRequest[]>;
  /** Takes a request off the queue; false when another taker had it. */
  claim(key: string): Promise<boolean>;
  /** Puts a claimed request back on the queue (it could not be sent: the session was lost). */
  release(request: QueuedFixRequest): Promise<void>;
  order(venue: string, orderId: string): Promise<FixOrderMirror | undefined>;
  saveOrder(mirror: FixOrderMirror): Promise<void>;
  /** Drops the mirror of an order whose NewOrderSingle never went out (sent later, anew). */
  forgetOrder(venue: string, orderId: string): Promise<void>;
  orders(venue: string): Promise<FixOrderMirror[]>;
}

export function requestKey(r: FixRequest): string {
  const tail = r.kind === 'replace' ? `#${r.replacementOrderId}` : '';
  return `fix-req#${r.venue}#${r.orderId}#${r.kind}${tail}`;
}

const mirrorKey = (venue: string, orderId: string): string => `fix#${venue}#${orderId}`;

export function statusReportOf(m: FixOrderMirror): VenueOrderStatusReport {
  return {
    orderId: m.terms.orderId,
    venueOrderId: m.terms.venueOrderId ?? m.terms.orderId,
    symbol: m.terms.symbol,
    side: m.terms.side,
    status: m.status,
    qty: m.terms.qty,
    filledQty: m.filledQty,
    avgPrice: m.avgPrice,
    updatedAt: m.updatedAt,
  };
}

/** In one process (tests, a host without AWS). */
export class MemoryFixBook implements FixBook {
  readonly requests = new Map<string, QueuedFixRequest & { queued: boolean }>();
  readonly mirrors = new Map<string, FixOrderMirror>();

  async enqueue(request: FixRequest, at: string): Promise<void> {
    const key = requestKey(request);
    if (!this.requests.has(key)) this.requests.set(key, { key, requestedAt: at, request, queued: true });
  }

  async pending(venue: string): Promise<QueuedFixRequest[]> {
    return [...this.requests.values()]
      .filter((r) => r.queued && r.request.venue === venue)
      .sort((a, b) => (a.requestedAt < b.requestedAt ? -1 : a.requestedAt > b.requestedAt ? 1 : 0))
      .map(({ key, requestedAt, request }) => ({ key, requestedAt, request }));
  }

  async claim(key: string): Promise<boolean> {
    const r = this.requests.get(key);
    if (r === undefined || !r.queued) return false;
    r.queued = false;
    return true;
  }

  async release(request: QueuedFixRequest): Promise<void> {
    const r = this.requests.get(request.key);
    if (r !== undefined) r.queued = true;
  }

  async order(venue: string, orderId: string): Promise<FixOrderMirror | undefined> {
    return this.mirrors.get(mirrorKey(venue, orderId));
  }

  async saveOrder(mirror: FixOrderMirror): Promise<void> {
    this.mirrors.set(mirrorKey(mirror.venue, mirror.terms.orderId), structuredClone(mirror));
  }

  async forgetOrder(venue: string, orderId: string): Promise<void> {
    this.mirrors.delete(mirrorKey(venue, orderId));
  }

  async orders(venue: string): Promise<FixOrderMirror[]> {
    return [...this.mirrors.values()].filter((m) => m.venue === venue);
  }
}

function isConditionFailure(e: unknown): boolean {
  return (e as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** In VENUE_ORDERS_TABLE (AWS, local mode). */
export class DynamoFixBook implements FixBook {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async enqueue(request: FixRequest, at: string): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            orderId: requestKey(request),
            kind: 'fix-request',
            fixQueue: request.venue,
            requestedAt: at,
            request,
          },
          ConditionExpression: 'attribute_not_exists(orderId)',
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e; // already asked: a retry
    }
  }

  async pending(venue: string): Promise<QueuedFixRequest[]> {
    const out: QueuedFixRequest[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: FIX_QUEUE_INDEX,
          KeyConditionExpression: 'fixQueue = :v',
          ExpressionAttributeValues: { ':v': venue },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? [])
        out.push({
          key: String(item.orderId),
          requestedAt: String(item.requestedAt),
          request: item.request as FixRequest,
        });
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  async claim(key: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { orderId: key },
          UpdateExpression: 'REMOVE fixQueue',
          ConditionExpression: 'attribute_exists(fixQueue)',
        }),
      );
      return true;
    } catch (e) {
      if (isConditionFailure(e)) return false;
      throw e;
    }
  }

  async release(request: QueuedFixRequest): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { orderId: request.key },
          UpdateExpression: 'SET fixQueue = :v',
          ConditionExpression: 'attribute_exists(orderId) AND attribute_not_exists(fixQueue)',
          ExpressionAttributeValues: { ':v': request.request.venue },
        }),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e; // back on the queue already
    }
  }

  async order(venue: string, orderId: string): Promise<FixOrderMirror | undefined> {
    const got = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: { orderId: mirrorKey(venue, orderId) },
        ConsistentRead: true,
      }),
    );
    return got.Item === undefined ? undefined : (got.Item.mirror as FixOrderMirror);
  }

  async saveOrder(mirror: FixOrderMirror): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          orderId: mirrorKey(mirror.venue, mirror.terms.orderId),
          kind: 'fix-order',
          fixVenue: mirror.venue,
          updatedAt: mirror.updatedAt,
          mirror,
        },
      }),
    );
  }

  async forgetOrder(venue: string, orderId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.table, Key: { orderId: mirrorKey(venue, orderId) } }),
    );
  }

  async orders(venue: string): Promise<FixOrderMirror[]> {
    const out: FixOrderMirror[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: 'fixVenue = :v',
          ExpressionAttributeValues: { ':v': venue },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) out.push(item.mirror as FixOrderMirror);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}
