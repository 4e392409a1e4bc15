/**
 * Orders that arrive as `OrderRequested` events from the Strategy Orchestrator (source
 * stockbot.strategy): a rule on the OMS bus invokes the same submit path as POST /v2/orders, with
 * retries and a dead-letter queue (a redelivery is a no-op: the client order id claim is idempotent).
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/config.js';
import { RULE_TARGET_RETRY } from './broker-gateway.js';
import { STRATEGY_SOURCE } from './event-bus.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { acknowledgeDeadLetterQueue, omsFunction, secureQueue, useTable } from './lambda-defaults.js';

export interface InboundOrdersProps {
  readonly stores: EventStore;
  readonly market: ITable;
  readonly bus: EventBus;
  readonly sessionClose: string;
}

export class InboundOrders extends Construct {
  readonly orderRequested: NodejsFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: InboundOrdersProps) {
    super(scope, id);
    const { stores } = props;
    this.orderRequested = omsFunction(this, 'OrderRequested', {
      entry: HANDLERS.orderRequested,
      description: 'Bus rule: submits an OrderRequested event as a new order',
      environment: { [ENV.sessionClose]: props.sessionClose },
    });
    useTable(this.orderRequested, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.orderRequested, stores.idempotency, ENV.idempotencyTable, 'readWrite');
    useTable(this.orderRequested, stores.accounts, ENV.accountsTable, 'read');
    useTable(this.orderRequested, stores.orders, ENV.ordersTable, 'read');
    useTable(this.orderRequested, props.market, ENV.marketTable, 'read');

    this.deadLetterQueue = secureQueue(this, 'Dlq');
    acknowledgeDeadLetterQueue(this.deadLetterQueue, 'OrderRequested rule target');
    new Rule(this, 'OrderRequestedRule', {
      eventBus: props.bus,
      description: 'Inbound orders from the Strategy Orchestrator',
      eventPattern: { source: [STRATEGY_SOURCE], detailType: ['OrderRequested'] },
      targets: [
        new LambdaFunction(this.orderRequested, {
          ...RULE_TARGET_RETRY,
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
