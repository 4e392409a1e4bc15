/**
 * Running an algorithmic parent's step (core `algoStep`) against the stores: the parent's state
 * (consistent read), the symbol's quote and cumulative volume (MARKET_TABLE), then ONE transaction
 * with the parent's `OrderSliceDecided` (conditional on its next seq) and, for a release, the
 * child's `OrderSubmitted` (conditional on not existing). A concurrent writer on the parent makes
 * the step decide again on the fresh state, so no child is ever placed twice. Used by the
 * workflow's slice step and by the group coordinator when a child closes.
 */
import { randomUUID } from 'node:crypto';
import type { ChildOutcome, QuoteSnapshot } from '../core/algos/plugin.js';
import type { SessionOptions } from '../core/index.js';
import {
  algoStep,
  DEFAULT_SESSION_CLOSE,
  decide,
  fullQuote,
  isSettled,
  type Nanos,
  nextSessionTime,
  type OrderState,
} from '../core/index.js';
import { AppendConflict, type EventStore } from '../event-store/event-store.js';
import { ENV, optionalEnv } from '../platform/config.js';
import type { MarketData } from '../platform/market-data.js';

export interface AlgoStepDeps {
  readonly store: EventStore;
  /** Quotes and cumulative volume (the market data port). */
  readonly market: MarketData;
  readonly now: () => number;
  readonly newOrderId: () => string;
  /** The session settings (close, days, calendar) for a parent's default end of window. */
  readonly sessionClose: string;
  readonly session: SessionOptions;
}

export function algoStepDeps(store: EventStore, market: MarketData, session: SessionOptions): AlgoStepDeps {
  return {
    store,
    market,
    now: Date.now,
    newOrderId: randomUUID,
    sessionClose: optionalEnv(ENV.sessionClose) ?? DEFAULT_SESSION_CLOSE,
    session,
  };
}

export type AlgoStepOutcome =
  | { readonly kind: 'released'; readonly childOrderId: string; readonly qty: string }
  | { readonly kind: 'waited' }
  | { readonly kind: 'done'; readonly reason: string }
  /** Nothing to record (already decided, or a child's close that changes nothing). */
  | { readonly kind: 'nothing' }
  /** The parent is done, canceled or closed: its schedule has nothing more to do. */
  | { readonly kind: 'stopped'; readonly status: string };

async function marketOf(
  deps: AlgoStepDeps,
  symbol: string,
): Promise<{ quote: QuoteSnapshot | null; volume: Nanos | null }> {
  const q = await deps.market.quote(symbol);
  return { quote: fullQuote(q), volume: q?.volume ?? null };
}

/** The window's default end for a parent without end_time: the session close after its creation. */
export function defaultEndTimeOf(parent: OrderState, deps: AlgoStepDeps): number {
  return nextSessionTime(
    Date.parse(parent.createdAt),
    deps.sessionClose,
    deps.session.sessionDays,
    deps.session.calendar,
  );
}

export async function runAlgoStep(
  deps: AlgoStepDeps,
  parentOrderId: string,
  trigger: 'slice' | 'child_closed',
  sliceIndex: number,
  closedChild: ChildOutcome | null = null,
  maxAttempts = 8,
): Promise<AlgoStepOutcome> {
  for (let attempt = 1; ; attempt++) {
    const { state: parent } = await deps.store.loadState(parentOrderId);
    if (parent?.algo === undefined || parent.algo === null)
      throw new Error(`${parentOrderId} is not an algorithmic parent`);
    if (parent.algo.done || isSettled(parent) || parent.cancelRequest !== 'none') {
      return { kind: 'stopped', status: parent.algo.done ? 'done' : parent.phase };
    }
    const market = await marketOf(deps, parent.spec.symbol);
    const now = deps.now();
    const step = algoStep(parent, {
      trigger,
      sliceIndex,
      now,
      quote: market.quote,
      cumulativeVolume: market.volume,
      closedChild,
      childOrderId: deps.newOrderId(),
      defaultEndTime: defaultEndTimeOf(parent, deps),
    });
    if (step.command === null) return { kind: 'nothing' };
    const decision = decide(parent, step.command, now);
    if (!decision.ok) throw new Error(`${parentOrderId}: ${decision.refusal.message}`);
    if (decision.events.length === 0) return { kind: 'nothing' };
    const meta = {
      accountId: parent.accountId,
      correlationId: parentOrderId,
      causationId: `algo:${trigger}:${sliceIndex}`,
      groupId: parentOrderId,
    };
    const extra = [];
    if (step.child !== null) {
      const submitted = decide(
        undefined,
        {
          type: 'submit',
          orderId: step.child.orderId,
          accountId: parent.accountId,
          order: step.child.spec,
          contingency: step.child.contingency,
        },
        now,
      );
      if (!submitted.ok) throw new Error(`child of ${parentOrderId}: ${submitted.refusal.message}`);
      extra.push(...deps.store.putItems(submitted.events, meta));
    }
    try {
      await deps.store.append(decision.events, meta, extra);
    } catch (err) {
      if (err instanceof AppendConflict && attempt < maxAttempts) continue;
      throw err;
    }
    const c = step.command;
    if (c.decision === 'release')
      return { kind: 'released', childOrderId: c.childOrderId as string, qty: c.qty as string };
    if (c.decision === 'done') return { kind: 'done', reason: c.reason ?? 'done' };
    return { kind: 'waited' };
  }
}
