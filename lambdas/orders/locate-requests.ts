/**
 * A locate request's write (`POST /v1/locates`; core locates.ts decides): the account's locate book
 * over the version read, with the borrow desk's item taking what it lends, in one transaction
 * (locate-book.ts `putLocateBook`). Concurrent requests of one account (the same symbol or not) race
 * on the book: the loser reads the book and the desk again and decides again (a locate granted or
 * rejected by what the desk has left), after a jittered pause (platform/write-retry.ts), so each is
 * served rather than refused busy. An `Idempotency-Key`'s locate has an id of the account and the
 * key (`locateIdOf`): a concurrent retry finds the locate recorded and answers it.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  formatNanos,
  grantLocate,
  type LocateBook,
  type LocateRecord,
  type LocateRequest,
  nameBasedUuid,
  nanos,
} from '../core/index.js';
import { LOST_RACE, untilWritten } from '../platform/write-retry.js';
import { deskAvailable, deskTakeItem } from './borrow-desk.js';
import { loadLocateBook, putLocateBook } from './locate-book.js';

export type LocateOutcome =
  | { readonly kind: 'located' | 'replayed'; readonly book: LocateBook; readonly locate: LocateRecord }
  | { readonly kind: 'key_reused' };

/**
 * A locate's id: a UUID, as without a key; with an `Idempotency-Key`, the name-based UUID (v5) of
 * the account and the key, so a retry finds its locate and two accounts' keys never name one id (a
 * probe: two accounts sending one key got two locates both `idem-<key>`).
 */
export function locateIdOf(accountId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey === undefined
    ? randomUUID()
    : nameBasedUuid(`stockbot.oms/locate/${accountId}/${idempotencyKey}`);
}

export async function requestLocate(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  request: LocateRequest,
  idempotencyKey: string | undefined,
  now: number,
): Promise<LocateOutcome> {
  return untilWritten('locate book', async () => {
    const book = await loadLocateBook(doc, table, accountId);
    const id = locateIdOf(accountId, idempotencyKey);
    // A locate recorded under the key before ids were UUIDs (`idem-<key>`) is the same request.
    const legacy = idempotencyKey === undefined ? null : `idem-${idempotencyKey}`;
    const seen = book.locates.find((l) => l.id === id || l.id === legacy);
    if (seen !== undefined) {
      const same =
        seen.symbol === request.symbol &&
        seen.requestedQty === formatNanos(request.qty) &&
        seen.allOrNone === request.allOrNone &&
        seen.limitPrice === request.limitPrice;
      return same ? ({ kind: 'replayed', book, locate: seen } as const) : ({ kind: 'key_reused' } as const);
    }
    const available = await deskAvailable(doc, table, request.symbol);
    const { book: after, locate } = grantLocate(book, request, available, id, now);
    const taken =
      locate.status === 'active' ? [deskTakeItem(table, request.symbol, nanos(locate.locatedQty))] : [];
    if (!(await putLocateBook(doc, table, accountId, book, after, taken))) return LOST_RACE;
    return { kind: 'located', book: after, locate } as const;
  });
}
