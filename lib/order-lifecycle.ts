/**
 * The order-lifecycle workflow: a Standard state machine (one execution per order, name = order id)
 * defined by `statemachines/order-lifecycle.asl.json`, whose `${...}` placeholders are the ARNs of the
 * task functions built here (and the Broker Gateway's submit task). Logs ALL to a log group without
 * execution data (no order contents in logs), X-Ray tracing on.
 *
 * Also the stalled-workflow sweeper (every minute): restarts the workflow of an order still pending_new
 * a minute after submission, whose start by the signaller was lost (lambdas/order-lifecycle/start-stalled-workflows.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/platform/config.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { omsFunction, useTable } from './lambda-defaults.js';
import { orderWorkflow } from './workflow-defaults.js';

export const ORDER_LIFECYCLE_ASL = join(__dirname, '..', 'statemachines', 'order-lifecycle.asl.json');

/** `${Name}` placeholders used in an ASL text (JSONPath intrinsics never use `${`). */
export function aslPlaceholders(aslText: string): string[] {
  return [...new Set([...aslText.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))].sort();
}

/**
 * The sweeper's entry. Not (yet) in lib/handlers.ts, which this construct does not own: listed here so
 * the stack and its tests agree on it.
 */

export interface OrderLifecycleProps {
  readonly stores: EventStore;
  readonly market: ITable;
  readonly submitToVenue: NodejsFunction;
  readonly sessionClose: string;
  readonly venueName: string;
  /** The order types the venue holds natively (OMS_VENUE_ORDER_TYPES); the OMS holds the others' triggers. */
  readonly venueOrderTypes: string;
  /** Optional external Risk Guardian; when unset the workflow skips the call. */
  readonly riskGuardianUrl: string | undefined;
}

export class OrderLifecycle extends Construct {
  readonly stateMachine: StateMachine;
  /** The workflow's task functions, keyed by their ASL placeholder. */
  readonly taskFunctions: Record<string, NodejsFunction>;
  /** Restarts lost workflow starts (schedule: every minute). */
  readonly stalledWorkflowSweeper: NodejsFunction;
  /** The exception recorder (shared with the algo-order workflow). */
  readonly recordException: NodejsFunction;
  /** The authoritative pre-trade re-check (shared with the algo-order workflow). */
  readonly checkPreTradeRisk: NodejsFunction;

  constructor(scope: Construct, id: string, props: OrderLifecycleProps) {
    super(scope, id);
    const { stores } = props;
    const env = { [ENV.sessionClose]: props.sessionClose };
    // Both the pre-trade check (decides whether to ask) and the asking task read the URL.
    const riskGuardianEnv: Record<string, string> = props.riskGuardianUrl
      ? { [ENV.riskGuardianUrl]: props.riskGuardianUrl }
      : {};

    const checkPreTradeRisk = omsFunction(this, 'CheckPreTradeRisk', {
      entry: HANDLERS.checkPreTradeRisk,
      description: 'Workflow task: authoritative pre-trade risk and compliance re-check',
      environment: { ...env, ...riskGuardianEnv },
    });
    useTable(checkPreTradeRisk, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(checkPreTradeRisk, stores.accounts, ENV.accountsTable, 'read');
    useTable(checkPreTradeRisk, stores.orders, ENV.ordersTable, 'read');
    useTable(checkPreTradeRisk, props.market, ENV.marketTable, 'read');
    useTable(checkPreTradeRisk, stores.assets, ENV.assetsTable, 'read');

    const askRiskGuardian = omsFunction(this, 'AskRiskGuardian', {
      entry: HANDLERS.askRiskGuardian,
      description: 'Workflow task: asks the external Risk Guardian (fail closed)',
      environment: { ...env, ...riskGuardianEnv },
    });
    useTable(askRiskGuardian, stores.events, ENV.eventStoreTable, 'readWrite');

    // Accept order: the re-check and routing in one task (a filled order enters 3 states).
    const acceptOrder = omsFunction(this, 'AcceptOrder', {
      entry: HANDLERS.acceptOrder,
      description: 'Workflow task: authoritative pre-trade re-check, then venue and outcome timeout',
      environment: {
        ...env,
        ...riskGuardianEnv,
        [ENV.venueName]: props.venueName,
        [ENV.venueOrderTypes]: props.venueOrderTypes,
      },
    });
    useTable(acceptOrder, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(acceptOrder, stores.accounts, ENV.accountsTable, 'read');
    useTable(acceptOrder, stores.orders, ENV.ordersTable, 'read');
    useTable(acceptOrder, props.market, ENV.marketTable, 'read');
    useTable(acceptOrder, stores.assets, ENV.assetsTable, 'read');

    // Submit and await outcome: the Broker Gateway's task stores its token before it submits.
    useTable(props.submitToVenue, stores.taskTokens, ENV.taskTokensTable, 'readWrite');

    const holdUntilTriggered = omsFunction(this, 'HoldUntilTriggered', {
      entry: HANDLERS.holdUntilTriggered,
      description:
        'Workflow task (.waitForTaskToken): arms a stop the venue cannot hold; waits for its trigger',
      environment: env,
    });
    useTable(holdUntilTriggered, stores.taskTokens, ENV.taskTokensTable, 'readWrite');
    useTable(holdUntilTriggered, stores.events, ENV.eventStoreTable, 'readWrite');

    const awaitOutcome = omsFunction(this, 'AwaitOutcome', {
      entry: HANDLERS.awaitOutcome,
      description: 'Workflow task (.waitForTaskToken): registers the task token of the waiting order',
      environment: env,
    });
    useTable(awaitOutcome, stores.taskTokens, ENV.taskTokensTable, 'readWrite');
    useTable(awaitOutcome, stores.events, ENV.eventStoreTable, 'read');

    const expireOrder = omsFunction(this, 'ExpireOrder', {
      entry: HANDLERS.expireOrder,
      description: 'Workflow task: expires the order when its time in force ends',
      environment: env,
    });
    useTable(expireOrder, stores.events, ENV.eventStoreTable, 'readWrite');

    const recordException = omsFunction(this, 'RecordException', {
      entry: HANDLERS.recordException,
      description: 'Workflow task: records the outcome of a failed path (reject or cancel request)',
      environment: env,
    });
    useTable(recordException, stores.events, ENV.eventStoreTable, 'readWrite');

    this.recordException = recordException;
    this.checkPreTradeRisk = checkPreTradeRisk;
    this.taskFunctions = {
      AcceptOrderFunctionArn: acceptOrder,
      AskRiskGuardianFunctionArn: askRiskGuardian,
      HoldUntilTriggeredFunctionArn: holdUntilTriggered,
      SubmitToVenueFunctionArn: props.submitToVenue,
      AwaitOutcomeFunctionArn: awaitOutcome,
      ExpireOrderFunctionArn: expireOrder,
      RecordExceptionFunctionArn: recordException,
    };

    const aslText = readFileSync(ORDER_LIFECYCLE_ASL, 'utf8');
    const extraSubstitutions: Record<string, string> = {};
    if (aslPlaceholders(aslText).includes('RiskGuardianEnabled')) {
      extraSubstitutions.RiskGuardianEnabled = props.riskGuardianUrl ? 'true' : 'false';
    }
    this.stateMachine = orderWorkflow(this, {
      comment: 'Order lifecycle: one execution per order, named by the order id',
      aslText,
      taskFunctions: this.taskFunctions,
      extraSubstitutions,
    });

    // The sweeper finds pending_new orders through byPendingNew, reads their OrderSubmitted and starts
    // the execution exactly as the signaller does. Grants: read both tables, StartExecution on this
    // state machine only.
    this.stalledWorkflowSweeper = omsFunction(this, 'StartStalledWorkflows', {
      entry: HANDLERS.startStalledWorkflows,
      description: 'Schedule: restarts the workflow of orders still pending_new a minute after submission',
    });
    useTable(this.stalledWorkflowSweeper, stores.orders, ENV.ordersTable, 'read');
    useTable(this.stalledWorkflowSweeper, stores.events, ENV.eventStoreTable, 'read');
    this.stalledWorkflowSweeper.addEnvironment(ENV.stateMachineArn, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(this.stalledWorkflowSweeper);
    new Rule(this, 'StalledWorkflowSweepSchedule', {
      description: 'Every minute: restart lost order workflow starts',
      schedule: Schedule.rate(Duration.minutes(1)),
      // No retries or dead-letter queue: the next run a minute later sweeps again.
      targets: [new LambdaFunction(this.stalledWorkflowSweeper, { retryAttempts: 0 })],
    });

    // await-outcome (hold-until-triggered, submit-and-await) may release a token itself when the
    // order closed (or triggered) before the token was stored (or before it was submitted). A separate Policy: the function must not depend on the
    // state machine that references it.
    new Policy(this, 'AwaitOutcomeTaskResponse', {
      roles: [awaitOutcome.role, holdUntilTriggered.role, props.submitToVenue.role].flatMap((r) =>
        r ? [r] : [],
      ),
      statements: [
        new PolicyStatement({
          actions: ['states:SendTaskSuccess'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      ],
    });
  }
}
