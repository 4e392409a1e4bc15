/**
 * Workflow task `Accept order` (also `Route approved order`, `Route triggered order` and `Route
 * held order`): ONE task for what the order needs before it goes to the venue, so a filled order
 * enters 2 states (statemachines/README.md):
 * - stage `new`: the authoritative pre-trade re-check (check-pre-trade-risk.ts; a refusal appends
 *   OrderRejected -> `rejected`), then the Risk Guardian if one is configured (`guardian`: routing
 *   waits for its approval, stage `approved`);
 * - routing (route-order.ts): the venue, the outcome timeout from the time in force, and whether
 *   the OMS holds a stop's trigger (`hold`) — else `submit`;
 * - stage `triggered` (a held stop triggered): routing only, and the order goes to the venue as the
 *   type it now trades as (`submit`);
 * - a replacement (already accepted at its venue, its terms checked by the replace): routing only,
 *   `hold` (a held stop's replacement is held again) or `await`;
 * - stage `held` (after a `hold` decision): routing only, answered as `hold`.
 * How the workflow learns the decision (issue 12: no Choice state, one transition less per order):
 * `submit` and `await` are the task's result, and both go to `Submit and await outcome` (which
 * does not send an `await` order: it is at its venue already); `rejected`, `guardian` and `hold`
 * are thrown as `AcceptDecision` errors named `Decision.*`, which the state's Catch routes. Those
 * three need nothing from the decision but what the next state works out itself (the Risk Guardian
 * asks by order id; `Route held order` routes again), so no state parses an error's cause.
 * Idempotent like its halves: a retry after a rejection finds the order closed and says `rejected`.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import type { OrderSubmitted } from '../core/index.js';
import { carriedRecheckOf } from '../orders/workflow-start.js';
import { parsePayload } from '../orders/workflow-task.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import { recheckPreTradeRisk } from './check-pre-trade-risk.js';
import { routeOrder } from './route-order.js';
import '../core/zod-messages.js';

const payload = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  replacement: z.optional(z.boolean()),
  stage: z.optional(z.enum(['new', 'approved', 'triggered', 'held'])),
  // The execution input (`$$.Execution.Input`): its `submitted` carries the order's terms and what
  // the API checked it against (lambdas/orders/workflow-start.ts), so the re-check reads only the
  // account's open orders. Parsed loosely: absent or malformed, the re-check loads what it needs.
  execution: z.optional(
    z.looseObject({
      submitted: z.optional(
        z.looseObject({
          occurredAt: z.iso.datetime({ offset: true }),
          data: z.looseObject({
            accountId: z.string().check(z.minLength(1)),
            order: z.looseObject({
              symbol: z.string().check(z.minLength(1)),
              side: z.string(),
              type: z.string(),
            }),
            contingency: z.optional(z.looseObject({ role: z.string() })),
            acceptedAgainst: z.optional(z.looseObject({ limits: z.looseObject({}) })),
          }),
        }),
      ),
    }),
  ),
});

export type AcceptNext = 'submit' | 'hold' | 'guardian' | 'rejected' | 'await';

export interface AcceptResult {
  readonly next: AcceptNext;
  /** The venue a held stop is armed for; null otherwise (an order sent now is routed at submission). */
  readonly venue: string | null;
  readonly outcomeTimeoutSeconds: number | null;
  /** Why the order was rejected (`rejected`), else null. */
  readonly reason: string | null;
}

export type AcceptStage = 'new' | 'approved' | 'triggered' | 'held';

/** The error names of the decisions the workflow's Catch routes (statemachines/order-lifecycle.asl.json). */
export const DECISION_ERROR = {
  rejected: 'Decision.Rejected',
  guardian: 'Decision.AskRiskGuardian',
  hold: 'Decision.HoldTrigger',
} as const satisfies Partial<Record<AcceptNext, string>>;

/**
 * A decision the workflow follows through its Catch rather than a Choice state: the error's name
 * (`Decision.*`) routes it, its message is the decision (JSON) for the execution history.
 */
export class AcceptDecision extends Error {
  constructor(readonly result: AcceptResult & { readonly next: keyof typeof DECISION_ERROR }) {
    super(JSON.stringify(result));
    this.name = DECISION_ERROR[result.next];
  }
}

/** The task's answer: `submit` and `await` are its result; the others are thrown (`AcceptDecision`). */
export function answer(result: AcceptResult): AcceptResult {
  const { next } = result;
  if (next === 'rejected' || next === 'guardian' || next === 'hold')
    throw new AcceptDecision({ ...result, next });
  return result;
}

/**
 * The decision of `Accept order` (statemachines/README.md): `risk` is the re-check's outcome (null:
 * not run — a replacement, or a later stage), `holdTrigger` whether the OMS holds the trigger.
 */
export function nextStep(input: {
  readonly replacement: boolean;
  readonly stage: AcceptStage;
  readonly risk: { readonly decision: 'accepted' | 'rejected'; readonly riskGuardian: boolean } | null;
  readonly holdTrigger: boolean;
}): AcceptNext {
  if (input.risk?.decision === 'rejected') return 'rejected';
  if (input.risk?.riskGuardian === true) return 'guardian';
  // A triggered stop (a replacement's too) goes to the venue as the type it now trades as.
  if (input.stage === 'triggered') return 'submit';
  // Routing a held stop: it is held (whatever the venue's capabilities say meanwhile).
  if (input.stage === 'held') return 'hold';
  if (input.holdTrigger) return 'hold';
  // A replacement is already at its venue: it only awaits its outcome.
  return input.replacement ? 'await' : 'submit';
}

const runTask = async (event: unknown, context?: Context): Promise<AcceptResult> => {
  const {
    orderId,
    replacement = false,
    stage = 'new',
    execution,
  } = parsePayload(payload, event, 'accept-order');
  const carried =
    carriedRecheckOf(execution?.submitted as unknown as OrderSubmitted | undefined) ?? undefined;
  const risk =
    !replacement && stage === 'new'
      ? await recheckPreTradeRisk(orderId, context, 'accept-order', carried)
      : null;
  const beforeRouting = nextStep({ replacement, stage, risk, holdTrigger: false });
  if (beforeRouting === 'rejected' || beforeRouting === 'guardian') {
    return answer({
      next: beforeRouting,
      venue: null,
      outcomeTimeoutSeconds: null,
      reason: risk?.reason ?? null,
    });
  }
  const route = await routeOrder(event);
  const next = nextStep({ replacement, stage, risk, holdTrigger: route.holdTrigger });
  // An order sent now is routed at submission (the smart order router, in `Submit and await
  // outcome`): no venue yet. A held stop names the venue it is armed for.
  const venue: string | null = next === 'hold' ? route.venue : null;
  const result = {
    next,
    venue,
    outcomeTimeoutSeconds: route.outcomeTimeoutSeconds,
    reason: null,
  };
  // Routing a held stop answers its route (the hold's venue and wait); any other stage's `hold` is thrown.
  return stage === 'held' ? result : answer(result);
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
