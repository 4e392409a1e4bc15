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
} from '../core/index.js';
import {
  type CommandResult,
  type EventMeta,
  type EventStore,
  runDecision,
  type TransactItem,
} from '../event-store/event-store.js';
import { coidClaimId, REPLACEMENT_REQUEST_HASH } from './claims.js';

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
): ReplacementOpening {
  const events = openReplacement(replaced, now);
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
        ConditionExpression: 'attribute_not_exists(id)',
      },
    },
  };
}

/** `runCommand` for a replace request: also a clash on the replacement's client order id. */
export interface ReplaceCommandResult extends CommandResult {
  /** The replacement's client order id was claimed by another order meanwhile: nothing written. */
  readonly clientOrderIdTaken: boolean;
}

/**
 * `runCommand` for `requestReplace`. At the venue the order is only asked to be replaced
 * (`OrderReplaceRequested`; the venue's `replaced` opens the replacement later). A stop the OMS
 * holds is replaced at once (`OrderReplaced`): its replacement's opening and client order id claim
 * are then written in the same transaction. Conflicts on the order reload and decide again; the
 * claim taken meanwhile by another order ends it, nothing written.
 */
export async function runReplaceCommand(
  store: EventStore,
  orderId: string,
  command: Extract<OrderCommand, { type: 'requestReplace' }>,
  meta: (state: OrderState) => EventMeta,
  now: () => number,
  idempotencyTable: string,
): Promise<ReplaceCommandResult> {
  let claimIndex = -1;
  const result = await runDecision(
    store,
    orderId,
    (state, at, m) => {
      claimIndex = -1;
      const decision = decide(state, command, at);
      if (!decision.ok || state === undefined || m === null) return { decision };
      let after: OrderState = state;
      for (const e of decision.events) after = evolve(after, e);
      if (after.phase !== 'replaced') return { decision };
      const opening = replacementOpening(after, m.causationId, at, idempotencyTable);
      const extra = [...store.putItems(opening.events, opening.meta), opening.claim];
      claimIndex = decision.events.length + extra.length - 1;
      return { decision, extra, extraEvents: opening.events };
    },
    meta,
    now,
    { settles: (conflict) => claimIndex >= 0 && conflict.failedIndex === claimIndex },
  );
  return { ...result, clientOrderIdTaken: result.conflict !== undefined };
}
