/**
 * Starting an order's lifecycle execution: ONE definition of its name and input, shared by the
 * signaller (on `OrderSubmitted`) and the stalled-workflow sweeper (an order still pending_new
 * whose start was lost). Both send the very same request for an order, so Step Functions'
 * idempotency applies: the same name and input while the execution runs answers with that
 * execution; once it has ended (or if the input differed) it answers `ExecutionAlreadyExists`.
 */
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  isTriggerHeldForGroup,
  type OrderSpec,
  type OrderSubmitted,
  type RiskSnapshot,
} from '../core/index.js';
import { ENV, requiredEnv } from '../platform/config.js';

/** The lifecycle execution's input (docs/aws.md): a function of the `OrderSubmitted` event alone. */
export interface ExecutionInput {
  readonly orderId: string;
  readonly accountId: string;
  readonly symbol: string;
  /** The order type: routing decides from it whether the OMS holds a stop's trigger. */
  readonly orderType: string;
  readonly timeInForce: string;
  /** A DAY order with extended hours works until the post-market close (route-order's timeout). */
  readonly extendedHours: boolean;
  readonly submittedAt: string;
  readonly replacement: boolean;
  /**
   * Present (true) on a bracket's or OCO's stop-loss (a replacement's too): the OMS holds its
   * trigger whatever the venue holds (core `isTriggerHeldForGroup`); `Accept order` routes on it.
   */
  readonly groupHoldsTrigger?: true;
  /**
   * The order's `OrderSubmitted` (the event alone, without the store's metadata), carried so the
   * workflow's tasks read neither the event store nor the account nor the market for it (issue 12):
   * `Accept order`'s re-check takes the order's terms, its submission time (the check is made as of
   * it), its role in a group and what the API checked it against (`carriedRecheckOf`); `Submit and
   * await outcome` routes a plain new order from it, its routing decision appended conditionally on
   * the order being still at this event (lambdas/broker-gateway/submit-to-venue.ts). Absent on a
   * replacement and on an order placed without a pre-trade snapshot.
   */
  readonly submitted?: OrderSubmitted;
}

/**
 * The input for an order from its `OrderSubmitted`; a held leg of a contingent order starts its
 * workflow when activated, and its time in force runs from then (`activatedAt`, the occurredAt of
 * its `OrderActivated`, always seq 2).
 */
export function executionInputOf(e: OrderSubmitted, activatedAt?: string): ExecutionInput {
  return {
    orderId: e.orderId,
    accountId: e.data.accountId,
    symbol: e.data.order.symbol,
    orderType: e.data.order.type,
    timeInForce: e.data.order.timeInForce,
    extendedHours: e.data.order.extendedHours,
    submittedAt: activatedAt ?? e.occurredAt,
    replacement: e.data.replaces !== null,
    ...(isTriggerHeldForGroup(e.data.contingency ?? null) ? { groupHoldsTrigger: true as const } : {}),
    ...(e.data.acceptedAgainst === undefined || e.data.replaces !== null
      ? {}
      : {
          // The core event's own fields only: the signaller's (stream) and the sweeper's (store)
          // copies carry different metadata, and both must send the same input.
          submitted: { type: e.type, orderId: e.orderId, seq: e.seq, occurredAt: e.occurredAt, data: e.data },
        }),
  };
}

export type StartOutcome =
  /** StartExecution succeeded: a new execution, or the one already running with this input. */
  | { readonly kind: 'started'; readonly startDate: Date | undefined }
  /** An execution of that name exists and has ended (or, impossibly here, has another input). */
  | { readonly kind: 'already_exists' };

/** Starts the order's execution, named by the order id. Other errors are thrown. */
export async function startOrderWorkflow(
  sfn: SFNClient,
  stateMachineArn: string,
  submitted: OrderSubmitted,
  activatedAt?: string,
): Promise<StartOutcome> {
  try {
    const out = await sfn.send(
      new StartExecutionCommand({
        // An algorithmic parent runs its schedule (algo-order), every other order its lifecycle.
        stateMachineArn:
          submitted.data.contingency?.role === 'algo_parent'
            ? requiredEnv(ENV.algoOrderStateMachineArn)
            : stateMachineArn,
        name: submitted.orderId,
        input: JSON.stringify(executionInputOf(submitted, activatedAt)),
      }),
    );
    return { kind: 'started', startDate: out?.startDate };
  } catch (err) {
    if ((err as { name?: unknown }).name === 'ExecutionAlreadyExists') return { kind: 'already_exists' };
    throw err;
  }
}

/** What `Accept order`'s re-check takes from a carried `OrderSubmitted` (no read). */
export interface CarriedRecheck {
  readonly accountId: string;
  readonly order: OrderSpec;
  readonly createdAt: string;
  readonly contingencyRole: string | null;
  /** A bracket's or OTO's exit, a leg of its entry (not an OCO's first order, which has no parent). */
  readonly exitLeg?: boolean;
  readonly acceptedAgainst: RiskSnapshot;
}

/** The re-check's facts from the execution input's `submitted`, or null without a snapshot. */
export function carriedRecheckOf(submitted: OrderSubmitted | undefined): CarriedRecheck | null {
  if (submitted === undefined || submitted.data.acceptedAgainst === undefined) return null;
  return {
    accountId: submitted.data.accountId,
    order: submitted.data.order,
    createdAt: submitted.occurredAt,
    contingencyRole: submitted.data.contingency?.role ?? null,
    exitLeg: isExitLeg(submitted.data.contingency ?? null),
    acceptedAgainst: submitted.data.acceptedAgainst,
  };
}

/** A take-profit or stop-loss leg of an entry (bracket, OTO): it closes what its entry opened. */
export function isExitLeg(
  contingency: { readonly role: string; readonly parentOrderId: string | null } | null,
): boolean {
  return (
    contingency !== null &&
    contingency.parentOrderId !== null &&
    (contingency.role === 'take_profit' || contingency.role === 'stop_loss')
  );
}
