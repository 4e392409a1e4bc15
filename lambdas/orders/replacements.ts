/**
 * Opening a replacement order (cancel/replace): its opening events (core `openReplacement`) and
 * the claim of its client order id, written in one transaction so the replacement is found by
 * client order id and the id cannot be reused. Two writers open replacements:
 * - the execution-report applier, once the venue confirms the replace (`replaced`);
 * - the replace API, for a stop the OMS holds (`armed`): the core replaces it at once, and the
 *   replaced order's events and the replacement's opening are ONE transaction, so a replaced order
 *   never lacks its replacement.
 */
import {
  decide,
  evolve,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  type OrderSubmitted,
  openReplacement,
  previewPendingReplacement,
} from '../core/index.js';
import {
  type CommandResult,
  type EventMeta,
  type EventStore,
  runDecision,
  type TransactItem,
} from '../event-store/event-store.js';
import {
  coidClaimId,
  PENDING_REPLACEMENT_TTL_SECONDS,
  pendingReplacementId,
  REPLACEMENT_REQUEST_HASH,
} from './claims.js';
import { recentPlacementUpdate } from './recent-placements.js';

export interface ReplacementOpening {
  readonly events: readonly OrderEvent[];
  readonly meta: EventMeta;
  /** The claim of the replacement's client order id (written only if absent). */
  readonly claim: TransactItem;
}

export function replacementOpening(
  replaced: OrderState,
  causationId: string,
  now: number,
  idempotencyTable: string,
  /** The replacement's own venue id, when the venue gave it one (core `openReplacement`). */
  venueOrderId?: string,
): ReplacementOpening {
  const events = openReplacement(replaced, now, venueOrderId);
  const opening = events[0] as OrderSubmitted;
  const replacementId = replaced.replacedBy as string;
  const groupId = replaced.contingency?.groupId;
  return {
    events,
    meta: {
      accountId: replaced.accountId,
      correlationId: replacementId,
      causationId,
      ...(groupId === undefined ? {} : { groupId }),
    },
    claim: {
      Put: {
        TableName: idempotencyTable,
        Item: {
          id: coidClaimId(replaced.accountId, opening.data.clientOrderId),
          orderId: replacementId,
          requestHash: REPLACEMENT_REQUEST_HASH,
          accountId: replaced.accountId,
          createdAt: opening.occurredAt,
        },
        // Claimed already by the replace request for this very replacement (pendingReplacementPointers).
        ConditionExpression: 'attribute_not_exists(id) OR orderId = :replacementId',
        ExpressionAttributeValues: { ':replacementId': replacementId },
      },
    },
  };
}

/**
 * What a replace request awaiting the venue writes in its own transaction (no extra request; on
 * every replace request, the group coordinator's resizes included; nothing on a market order's
 * path): the read-after-write pointer from the replacement's id to the order it replaces (see
 * `pendingReplacementId`), the claim of the replacement's client order id, and the replacement's id
 * in the account's recent placements. `claimAt`: the claim's index in `items`.
 *
 * The client order id is claimed by the request, only if no order holds it, not when the venue
 * confirms the replace: a probe's two PATCHes and a POST naming one client order id, one after the
 * other while the venue worked the first replace, all answered 200, and three live orders shared
 * the id (the PATCH only read it, and the venue's confirmation wrote it later, claimed or not). The
 * claim names the replacement; a replace that never happens leaves the id reading as that
 * replacement, rejected (query-orders.ts), so the id stays used, as Alpaca's are.
 */
export function pendingReplacementPointers(
  requested: OrderState,
  now: number,
  idempotencyTable: string,
): { items: TransactItem[]; claimAt: number } {
  const replacement = previewPendingReplacement(requested, now);
  const pending = requested.replaceRequest;
  if (replacement === null || pending === null) return { items: [], claimAt: -1 };
  const common = {
    orderId: requested.orderId,
    replacementOrderId: pending.replacementOrderId,
    accountId: requested.accountId,
    expiresAt: Math.floor(now / 1000) + PENDING_REPLACEMENT_TTL_SECONDS,
  };
  return {
    items: [
      {
        Put: {
          TableName: idempotencyTable,
          Item: { id: pendingReplacementId(pending.replacementOrderId), ...common },
        },
      },
      {
        Put: {
          TableName: idempotencyTable,
          Item: {
            id: coidClaimId(requested.accountId, replacement.clientOrderId),
            orderId: pending.replacementOrderId,
            requestHash: REPLACEMENT_REQUEST_HASH,
            accountId: requested.accountId,
            createdAt: new Date(now).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(id)',
        },
      },
      // Named among the account's recent placements: the listing shows it at once, as PATCH answered
      // it (a probe: missing from status=open for about 1.5 s, its original listed `new`).
      {
        Update: recentPlacementUpdate(
          idempotencyTable,
          requested.accountId,
          [pending.replacementOrderId],
          now,
        ),
      },
    ],
    claimAt: 1,
  };
}

/** `runCommand` for a replace request: also a clash on the replacement's client order id. */
export interface ReplaceCommandResult extends CommandResult {
  /** The replacement's client order id was claimed by another order meanwhile: nothing written. */
  readonly clientOrderIdTaken: boolean;
  /**
   * The replacement's buying power claim (`reserve`) no longer fits: concurrent buys reserved
   * what risk read. Nothing written.
   */
  readonly buyingPowerTaken: boolean;
  /**
   * The position's closing claims (`closingClaims`) changed since they were read: a concurrent
   * sell or close of the position committed first. Nothing written; read again and retry.
   */
  readonly closingClaimsChanged: boolean;
}

/**
 * `runCommand` for `requestReplace`. At the venue the order is only asked to be replaced
 * (`OrderReplaceRequested`; the venue's `replaced` opens the replacement later). A stop the OMS
 * holds is replaced at once (`OrderReplaced`): its replacement's opening and client order id claim
 * are then written in the same transaction. `reserve`: the replacement's buying power claim (the
 * command's `buyingPowerClaim`), added to the account's reservations in the same transaction,
 * conditional on fitting (buying-power-reservations.ts `reserveItem`). `closingClaims`: a sell's
 * replacement raising what it holds of the position of an account that may not sell short, its
 * claim in the position's closing claims over the version read (closing-claims.ts). Conflicts on
 * the order reload and decide again; the client order id taken meanwhile by another order, the
 * buying power by concurrent buys, or the claims by a concurrent sell, ends it, nothing written.
 */
export async function runReplaceCommand(
  store: EventStore,
  orderId: string,
  command: Extract<OrderCommand, { type: 'requestReplace' }>,
  meta: (state: OrderState) => EventMeta,
  now: () => number,
  idempotencyTable: string,
  reserve?: TransactItem,
  closingClaims?: TransactItem,
): Promise<ReplaceCommandResult> {
  let claimIndex = -1;
  let reserveIndex = -1;
  let closingIndex = -1;
  const result = await runDecision(
    store,
    orderId,
    (state, at, m) => {
      claimIndex = -1;
      reserveIndex = -1;
      closingIndex = -1;
      const decision = decide(state, command, at);
      if (!decision.ok || state === undefined || m === null) return { decision };
      let after: OrderState = state;
      for (const e of decision.events) after = evolve(after, e);
      const reserving = [
        ...(reserve === undefined ? [] : [reserve]),
        ...(closingClaims === undefined ? [] : [closingClaims]),
      ];
      if (reserve !== undefined) reserveIndex = decision.events.length;
      if (closingClaims !== undefined)
        closingIndex = decision.events.length + (reserve === undefined ? 0 : 1);
      if (after.phase !== 'replaced') {
        // At the venue: only requested. The replacement is found by id and client order id at once.
        const pointers = pendingReplacementPointers(after, at, idempotencyTable);
        if (pointers.claimAt >= 0) claimIndex = decision.events.length + reserving.length + pointers.claimAt;
        const extra = [...reserving, ...pointers.items];
        return extra.length === 0 ? { decision } : { decision, extra };
      }
      const opening = replacementOpening(after, m.causationId, at, idempotencyTable);
      const extra = [...reserving, ...store.putItems(opening.events, opening.meta), opening.claim];
      claimIndex = decision.events.length + extra.length - 1;
      return { decision, extra, extraEvents: opening.events };
    },
    meta,
    now,
    {
      settles: (conflict) =>
        (claimIndex >= 0 && conflict.failedIndex === claimIndex) ||
        (reserveIndex >= 0 && conflict.failedIndex === reserveIndex) ||
        (closingIndex >= 0 && conflict.failedIndex === closingIndex),
    },
  );
  const failed = result.conflict?.failedIndex;
  return {
    ...result,
    clientOrderIdTaken: failed !== undefined && failed === claimIndex,
    buyingPowerTaken: failed !== undefined && failed === reserveIndex,
    closingClaimsChanged: failed !== undefined && failed === closingIndex,
  };
}
