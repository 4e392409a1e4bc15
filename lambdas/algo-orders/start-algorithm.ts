/**
 * Workflow task `Start algorithm` (statemachines/algo-order.asl.json): accepts the algorithmic
 * parent (it never goes to the venue itself; `OrderAccepted` without a venue order id) and returns
 * its plan as the Map's items (`sliceItems`: index, time, qty) and the window's end (after the last
 * slice the workflow waits for it: children may still be working, an iceberg replenishing). The plan is a pure function of the
 * parent (seeded by its id, window anchored at its creation), so a retried start plans the same
 * slices. A parent whose window has already ended records `done` and gets no slices.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  algoParamsFromSpec,
  builtInAlgorithms,
  planFor,
  type SliceItem,
  sliceItems,
} from '../core/algos/index.js';
import { statusOf } from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { algoStepDeps, defaultEndTimeOf } from '../orders/algo-orders.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { marketData } from '../platform/market-data.js';
import { sessionOptionsFromEnv } from '../platform/session-settings.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({ orderId: z.string().check(z.minLength(1)) });

export interface StartAlgorithmResult {
  readonly orderId: string;
  readonly status: string;
  readonly slices: readonly SliceItem[];
  /** ISO 8601: when the window ends (the workflow then finishes the parent). */
  readonly windowEnd: string;
}

const runTask = async (event: unknown, context?: Context): Promise<StartAlgorithmResult> => {
  const { orderId } = parsePayload(payload, event, 'start-algorithm');
  const store = eventStore();
  const accepted = await runCommand(
    store,
    orderId,
    { type: 'accept' },
    workflowMeta('start-algorithm', context),
    Date.now,
  );
  const parent = accepted.state;
  if (parent === undefined) throw new OrderNotFound(orderId);
  if (parent.algo === null) throw new Error(`start-algorithm: ${orderId} is not an algorithmic parent`);
  const status = statusOf(parent);
  const ended = { orderId, status, slices: [], windowEnd: new Date().toISOString() };
  if (parent.phase !== 'working' || parent.algo.done) return ended;
  const deps = algoStepDeps(store, marketData(), sessionOptionsFromEnv());
  const params = algoParamsFromSpec(parent.spec, {
    orderId,
    now: Date.parse(parent.createdAt),
    defaultEndTime: defaultEndTimeOf(parent, deps),
  });
  if (!params.ok) {
    await runCommand(
      store,
      orderId,
      { type: 'decideSlice', trigger: 'slice', sliceIndex: -1, decision: 'done', reason: 'window_closed' },
      workflowMeta('start-algorithm', context),
      Date.now,
    );
    return ended;
  }
  return {
    orderId,
    status,
    slices: sliceItems(planFor(builtInAlgorithms, params.params)),
    windowEnd: new Date(params.params.endTime).toISOString(),
  };
};

export const handler = withTransientErrors(runTask);
