/**
 * The second half of the workflow task `Accept order` (accept-order.ts): the time the workflow
 * waits for the order's closing milestone, whether the OMS holds a stop's trigger, and the venue a
 * held stop is armed for (VENUE_NAME, default SIMX: the primary). Which venue(s) an order goes to
 * is decided when it is sent, by the smart order router (lambdas/orders/order-routing.ts, in
 * `Submit and await outcome`; docs/routing.md), and recorded as `OrderRouted`.
 * The wait is anchored to the submission (core `session.ts`): a late start does not extend it.
 * Session settings come from the environment (lambdas/platform/session-settings.ts):
 * OMS_SESSION_OPEN (an opg order waits for that open), OMS_SESSION_CLOSE (`HH:MM` or `HH:MM:SS`, New
 * York), OMS_EXPIRY_GRACE_SECONDS (a DAY order's grace after the close, default 60),
 * OMS_SESSION_DAYS (`mon,tue,wed,thu,fri` by default), OMS_SESSION_CALENDAR (`nyse` or `none`;
 * default `nyse`, or `none` when OMS_SESSION_DAYS is set) and OMS_GTC_MAX_AGE_DAYS (default 90).
 * A malformed setting fails the task loudly. The payload's optional `extendedHours` (the order's
 * `extended_hours`) lets a DAY order wait for the post-market close; absent means false.
 *
 * `holdTrigger`: the venue does not hold the order's conditional type (OMS_VENUE_ORDER_TYPES,
 * lambdas/platform/venue-capabilities.ts), so the OMS holds the trigger (`Hold until triggered`)
 * and sends the order once it has triggered. Absent `orderType` (an execution started before the
 * input carried it) means the venue holds it, as before. A bracket's or OCO's stop-loss
 * (`execution.groupHoldsTrigger`) is held by the OMS whatever the venue holds: its sibling exit must
 * be closed before it goes to the venue (docs/domain.md "Contingent orders").
 */
import * as z from 'zod/mini';
import { isTriggerHeldByOms, ORDER_TYPES, remainingOutcomeSeconds, TIMES_IN_FORCE } from '../core/index.js';
import { parsePayload } from '../orders/workflow-task.js';
import { venueNameFromEnv } from '../platform/config.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { venueOrderTypesFromEnv } from '../platform/venue-capabilities.js';
import '../core/zod-messages.js';

const payload = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  orderType: z.optional(z.enum(ORDER_TYPES)),
  timeInForce: z.enum(TIMES_IN_FORCE),
  submittedAt: z.iso.datetime({ offset: true }),
  extendedHours: z.optional(z.boolean()),
  // The execution input (`$$.Execution.Input`, lambdas/orders/workflow-start.ts): a group's
  // stop-loss says so (`groupHoldsTrigger`), and the OMS holds its trigger whatever the venue holds.
  execution: z.optional(z.looseObject({ groupHoldsTrigger: z.optional(z.boolean()) })),
});

export interface RouteResult {
  readonly venue: string;
  readonly outcomeTimeoutSeconds: number;
  /** The OMS holds the order's trigger: the venue does not hold its type. */
  readonly holdTrigger: boolean;
}

export const routeOrder = async (event: unknown): Promise<RouteResult> => {
  const { orderType, timeInForce, submittedAt, extendedHours, execution } = parsePayload(
    payload,
    event,
    'route-order',
  );
  return {
    venue: venueNameFromEnv(),
    outcomeTimeoutSeconds: remainingOutcomeSeconds(
      timeInForce,
      Date.parse(submittedAt),
      Date.now(),
      sessionCloseFromEnv(),
      { ...sessionOptionsFromEnv(), extendedHours: extendedHours ?? false },
    ),
    holdTrigger:
      orderType !== undefined &&
      (isTriggerHeldByOms(orderType, venueOrderTypesFromEnv()) || execution?.groupHoldsTrigger === true),
  };
};

/** Lambda-shaped, for the local runtime's own tests; the workflow routes through `Accept order`. */
export const handler = routeOrder;
