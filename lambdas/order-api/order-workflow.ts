/**
 * GET /v2/orders/{order_id}/workflow (beyond Alpaca, issue 14): the path the order's Step Functions
 * execution went through, for the dashboard's order detail and for operators.
 *
 * The execution is named by the order id (orders/workflow-start.ts) on the lifecycle state machine,
 * or on the algo-order one for an algorithmic parent. Answers `{execution_arn, status, console_url,
 * states: [{name, entered_at, exited_at}]}` from GetExecutionHistory (without execution data: the
 * state names and times are all it needs; the status comes from the history's last event, so no
 * DescribeExecution). Another account's order, an unknown one, and an order with no execution
 * (a held leg not yet activated) are 404 with Alpaca's body. Read only on request: a placed
 * order pays nothing for it.
 */
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { ENV, requiredEnv } from '../platform/config.js';
import { stepFunctions } from '../platform/step-functions.js';
import { json } from './api-response.js';
import { apiHandler, notFound } from './http.js';
import { eventStore, loadOwnedOrder, plausibleOrderId } from './orders-access.js';

export interface WorkflowState {
  readonly name: string;
  readonly entered_at: string;
  readonly exited_at: string | null;
}

/** The most history pages read (1,000 events each): the worst-case order stays under 12,500 events. */
const MAX_PAGES = 13;

/** `arn:aws:states:<region>:<account>:execution:<machine>:<name>` of a state machine's execution. */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The Step Functions console page of an execution (the region is the ARN's fourth field). */
export function consoleUrlOf(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? '';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

const iso = (t: Date | undefined): string => (t ?? new Date(0)).toISOString();

/** The states entered, in order, each with the time it was left (null while it runs). */
export function statesOf(events: readonly HistoryEvent[]): WorkflowState[] {
  const states: { name: string; entered_at: string; exited_at: string | null }[] = [];
  for (const e of events) {
    const entered = e.stateEnteredEventDetails?.name;
    if (e.type?.endsWith('StateEntered') && entered !== undefined) {
      states.push({ name: entered, entered_at: iso(e.timestamp), exited_at: null });
      continue;
    }
    const exited = e.stateExitedEventDetails?.name;
    if (e.type?.endsWith('StateExited') && exited !== undefined) {
      const open = states.findLast((s) => s.name === exited && s.exited_at === null);
      if (open !== undefined) open.exited_at = iso(e.timestamp);
    }
  }
  return states;
}

const ENDED: Readonly<Record<string, string>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** DescribeExecution's status, read off the history: its last event ends the execution or not. */
export function statusOf(events: readonly HistoryEvent[]): string {
  return ENDED[events[events.length - 1]?.type ?? ''] ?? 'RUNNING';
}

/** Every history event of the execution (oldest first), or null when there is no such execution. */
async function historyOf(executionArn: string): Promise<HistoryEvent[] | null> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    try {
      const out = await stepFunctions.send(
        new GetExecutionHistoryCommand({
          executionArn,
          includeExecutionData: false,
          maxResults: 1000,
          ...(nextToken === undefined ? {} : { nextToken }),
        }),
      );
      events.push(...(out.events ?? []));
      nextToken = out.nextToken;
    } catch (err) {
      if ((err as { name?: unknown }).name === 'ExecutionDoesNotExist') return null;
      throw err;
    }
    if (nextToken === undefined) break;
  }
  return events;
}

export const handler = apiHandler('OrderWorkflow', async (event, principal) => {
  const orderId = event.pathParameters?.order_id;
  if (!plausibleOrderId(orderId)) return notFound();
  const owned = await loadOwnedOrder(eventStore(), orderId, principal.accountId);
  if (owned === null) return notFound();
  const machine =
    owned.state.contingency?.role === 'algo_parent'
      ? requiredEnv(ENV.algoOrderStateMachineArn)
      : requiredEnv(ENV.stateMachineArn);
  const executionArn = executionArnOf(machine, orderId);
  const history = await historyOf(executionArn);
  if (history === null) return notFound('workflow');
  return json(200, {
    execution_arn: executionArn,
    status: statusOf(history),
    console_url: consoleUrlOf(executionArn),
    states: statesOf(history),
  });
});
