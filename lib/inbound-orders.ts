/**
 * Orders that arrive as `OrderRequested` events from the strategies (source
 * `stockbot.strategy.<id>`): a rule on the OMS bus feeds a queue, from which a function runs the same
 * submit path as POST /v2/orders for the accounts the strategy is entitled to (issue 16; partial
 * batch failures, dead-letter queue after the receives; the producer's requestId is the order's
 * idempotency key, so a redelivery or a producer's retry is a no-op). Why a queue and not the rule
 * invoking the function directly: lib/broker-gateway.ts `busTargetQueue`.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type EventBus, Match } from 'aws-cdk-lib/aws-events';
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
    // readWrite: the orders it places, and its answers to refused requests (OrderRequestRejected,
    // issue 16), which the event store's publisher puts on the bus: it holds no bus permission.
    useTable(this.orderRequested, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.orderRequested, stores.idempotency, ENV.idempotencyTable, 'readWrite');
    // readWrite: a short sale of a hard-to-borrow symbol takes its located shares (issue 16).
    useTable(this.orderRequested, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(this.orderRequested, stores.orders, ENV.ordersTable, 'read');
    useTable(this.orderRequested, props.market, ENV.marketTable, 'read');
    useTable(this.orderRequested, stores.assets, ENV.assetsTable, 'read');

    const { queue, deadLetterQueue } = busTargetQueue(this, 'OrderRequestedRule', {
      bus: props.bus,
      fn: this.orderRequested,
      name: 'OrderRequested',
      description: 'Inbound orders from the Strategy Orchestrator',
      // Every strategy's source (`stockbot.strategy.<id>`); the intake refuses one it cannot map
      // (a bare `stockbot.strategy`, an unknown or unentitled strategy) with OrderRequestRejected.
      eventPattern: { source: Match.prefix(STRATEGY_SOURCE), detailType: ['OrderRequested'] },
    });
    this.queue = queue;
    this.deadLetterQueue = deadLetterQueue;
    this.watchedQueues = { OrderRequested: { queue, maxAge: BUS_QUEUE_MAX_MESSAGE_AGE } };
  }
}
