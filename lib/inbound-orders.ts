/**
 * Orders that arrive as `OrderRequested` events from the Strategy Orchestrator (source
 * stockbot.strategy): a rule on the OMS bus feeds a queue, from which a function runs the same submit
 * path as POST /v2/orders (partial batch failures, dead-letter queue after the receives; a
 * redelivery is a no-op: the event id is the order's idempotency key). Why a queue and not the rule
 * invoking the function directly: lib/broker-gateway.ts `busTargetQueue`.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/platform/config.js';
import {
  BUS_QUEUE_MAX_MESSAGE_AGE,
  BUS_TARGET_FUNCTION_TIMEOUT,
  busTargetQueue,
  type WatchedQueue,
} from './broker-gateway.js';
import { STRATEGY_SOURCE } from './event-bus.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { omsFunction, useTable } from './lambda-defaults.js';

export interface InboundOrdersProps {
  readonly stores: EventStore;
  readonly market: ITable;
  readonly bus: EventBus;
  readonly sessionClose: string;
}

export class InboundOrders extends Construct {
  readonly orderRequested: NodejsFunction;
  /** The queue between the rule and the function. */
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** The inbound queue, for Operations' message-age alarm. */
  readonly watchedQueues: Record<string, WatchedQueue>;

  constructor(scope: Construct, id: string, props: InboundOrdersProps) {
    super(scope, id);
    const { stores } = props;
    this.orderRequested = omsFunction(this, 'OrderRequested', {
      entry: HANDLERS.orderRequested,
      description: 'Bus queue: submits OrderRequested events as new orders',
      environment: { [ENV.sessionClose]: props.sessionClose },
      timeout: BUS_TARGET_FUNCTION_TIMEOUT,
    });
    useTable(this.orderRequested, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.orderRequested, stores.idempotency, ENV.idempotencyTable, 'readWrite');
    // readWrite: a short sale of a hard-to-borrow symbol takes its located shares (issue 16).
    useTable(this.orderRequested, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(this.orderRequested, stores.orders, ENV.ordersTable, 'read');
    useTable(this.orderRequested, props.market, ENV.marketTable, 'read');
    useTable(this.orderRequested, stores.assets, ENV.assetsTable, 'read');
    // A refused request is answered on the bus (OrderRequestRejected, issue 16).
    this.orderRequested.addEnvironment(ENV.eventBusName, props.bus.eventBusName);
    props.bus.grantPutEventsTo(this.orderRequested);

    const { queue, deadLetterQueue } = busTargetQueue(this, 'OrderRequestedRule', {
      bus: props.bus,
      fn: this.orderRequested,
      name: 'OrderRequested',
      description: 'Inbound orders from the Strategy Orchestrator',
      eventPattern: { source: [STRATEGY_SOURCE], detailType: ['OrderRequested'] },
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.watchedQueues = { OrderRequested: { queue, maxAge: BUS_QUEUE_MAX_MESSAGE_AGE } };
  }
}
