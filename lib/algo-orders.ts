/**
 * Algorithmic parent orders (TWAP, VWAP, Iceberg, plugins): the `algo-order` state machine
 * (statemachines/algo-order.asl.json: re-check risk, plan, a Map of Wait + Release per slice,
 * finish) and its three task functions (the risk re-check and the exception recorder are the
 * lifecycle's). The parent's children are ordinary orders with their own lifecycle
 * executions; their fills reach the parent through the group coordinator (stream consumer
 * `Contingency`), which also needs the market table and the session settings to ask the
 * algorithm again when a child closes (`grantCoordinator`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/platform/config.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { omsFunction, useTable } from './lambda-defaults.js';
import { orderWorkflow } from './workflow-defaults.js';

export const ALGO_ORDER_ASL = join(__dirname, '..', 'statemachines', 'algo-order.asl.json');

export interface AlgoOrdersProps {
  readonly stores: EventStore;
  readonly market: ITable;
  readonly sessionClose: string;
  /** The lifecycle's exception recorder, shared: a failed step records on the parent the same way. */
  readonly recordException: NodejsFunction;
  /** The lifecycle's pre-trade re-check, shared: the parent is re-checked like any order. */
  readonly checkPreTradeRisk: NodejsFunction;
}

export class AlgoOrders extends Construct {
  readonly stateMachine: StateMachine;
  readonly taskFunctions: Record<string, NodejsFunction>;
  private readonly env: Record<string, string>;

  constructor(scope: Construct, id: string, props: AlgoOrdersProps) {
    super(scope, id);
    const { stores } = props;
    this.env = { [ENV.sessionClose]: props.sessionClose };
    const task = (name: string, entry: string, description: string) => {
      const fn = omsFunction(this, name, { entry, description, environment: this.env });
      useTable(fn, stores.events, ENV.eventStoreTable, 'readWrite');
      useTable(fn, props.market, ENV.marketTable, 'read');
      return fn;
    };
    this.taskFunctions = {
      StartAlgorithmFunctionArn: task(
        'StartAlgorithm',
        HANDLERS.startAlgorithm,
        'Algo workflow task: accepts the parent and plans its slices',
      ),
      ReleaseSliceFunctionArn: task(
        'ReleaseSlice',
        HANDLERS.releaseSlice,
        'Algo workflow task: the algorithm decides a slice; a release places the child order',
      ),
      FinishAlgorithmFunctionArn: task(
        'FinishAlgorithm',
        HANDLERS.finishAlgorithm,
        'Algo workflow task: cancels a parent left with a remainder when its schedule ends',
      ),
      RecordExceptionFunctionArn: props.recordException,
      CheckPreTradeRiskFunctionArn: props.checkPreTradeRisk,
    };
    this.stateMachine = orderWorkflow(this, {
      comment: 'Algorithmic parent order: one execution per parent, named by its order id',
      aslText: readFileSync(ALGO_ORDER_ASL, 'utf8'),
      taskFunctions: this.taskFunctions,
    });
  }

  /** Lets `fn` start parent executions (the signaller, the stalled-workflow sweeper). */
  grantStart(fn: NodejsFunction): void {
    fn.addEnvironment(ENV.algoOrderStateMachineArn, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
  }

  /** What the group coordinator needs to run a parent's step when a child closes. */
  grantCoordinator(fn: NodejsFunction, market: ITable): void {
    for (const [k, v] of Object.entries(this.env)) fn.addEnvironment(k, v);
    useTable(fn, market, ENV.marketTable, 'read');
  }
}
