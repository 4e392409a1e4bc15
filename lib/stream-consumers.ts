/**
 * The two consumers of the event store stream: the order stream (projector, signaller and
 * publisher in one function, lambdas/stream-consumers/order-stream.ts: a filled market order cost
 * 6-9 invocations with three, and DynamoDB Streams serves two readers per shard without
 * throttling) and the group coordinator (only the events of contingent orders' members, which
 * carry a `groupId`). Each: only INSERT records (events are immutable,
 * MODIFY/REMOVE never carry news), partial batch failures, bisect on error, bounded retries and
 * record age, and an SQS dead-letter queue (on-failure destination: the failed batch's stream
 * coordinates, from which operators re-read the records).
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/platform/config.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { acknowledgeDeadLetterQueue, omsFunction, secureQueue, useTable } from './lambda-defaults.js';

export interface StreamConsumersProps {
  readonly stores: EventStore;
  /** MARKET_TABLE: the market at an order's close, for its TCA (issue 15). */
  readonly market?: ITable;
  readonly bus: EventBus;
  readonly stateMachine: StateMachine;
}

interface ConsumerSettings {
  readonly batchSize: number;
  readonly maxBatchingWindow: Duration;
}

/**
 * Lambda's batching window takes whole seconds, and 1 s is too much on an order's path: the
 * publisher (time to OrderAccepted on the bus), the projector (freshness of GET /v2/orders) and the
 * signaller (time to the workflow start) do not wait.
 */
export const CONSUMER_SETTINGS = {
  OrderStream: { batchSize: 100, maxBatchingWindow: Duration.seconds(0) },
  OrderGroupCoordinator: { batchSize: 50, maxBatchingWindow: Duration.seconds(0) },
} as const satisfies Record<string, ConsumerSettings>;

export type ConsumerName = keyof typeof CONSUMER_SETTINGS;

export class StreamConsumers extends Construct {
  readonly functions: Record<ConsumerName, NodejsFunction>;
  readonly deadLetterQueues: Record<ConsumerName, Queue>;

  constructor(scope: Construct, id: string, props: StreamConsumersProps) {
    super(scope, id);
    const { stores, bus, stateMachine } = props;

    const orderStream = omsFunction(this, 'OrderStream', {
      entry: HANDLERS.orderStream,
      description:
        'Event store stream -> orders read model, order workflows (start, milestones), positions, EventBridge (stockbot.oms)',
    });
    // Projector: rebuilds a view from the store when the batch does not continue what it saw.
    // Position keeper: appends PositionChanged to the account's position stream (issue 13).
    useTable(orderStream, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(orderStream, stores.orders, ENV.ordersTable, 'write');
    // Signaller: the waiting task's token; starts and releases the order's workflow.
    useTable(orderStream, stores.taskTokens, ENV.taskTokensTable, 'read');
    orderStream.addEnvironment(ENV.stateMachineArn, stateMachine.stateMachineArn);
    stateMachine.grantStartExecution(orderStream);
    stateMachine.grantTaskResponse(orderStream);
    // Position keeper: the account's ledger item and the execution's applied marker.
    useTable(orderStream, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(orderStream, stores.idempotency, ENV.idempotencyTable, 'write');
    // TCA at the close (issue 15): the tape's quote, read only for an order that did not fill whole.
    if (props.market !== undefined) useTable(orderStream, props.market, ENV.marketTable, 'read');
    // Publisher: no table (at least once on the bus, subscribers dedupe on metadata.eventId).
    orderStream.addEnvironment(ENV.eventBusName, bus.eventBusName);
    bus.grantPutEventsTo(orderStream);

    const orderGroupCoordinator = omsFunction(this, 'OrderGroupCoordinator', {
      entry: HANDLERS.orderGroupCoordinator,
      description: 'Event store stream (group members) -> bracket/OCO/OTO legs: activate, resize, cancel',
    });
    useTable(orderGroupCoordinator, stores.events, ENV.eventStoreTable, 'readWrite');
    // Resizing a stop the OMS holds opens its replacement at once, with its client order id's claim.
    useTable(orderGroupCoordinator, stores.idempotency, ENV.idempotencyTable, 'readWrite');

    this.functions = {
      OrderStream: orderStream,
      OrderGroupCoordinator: orderGroupCoordinator,
    };
    const dlqs: Partial<Record<ConsumerName, Queue>> = {};
    for (const [name, fn] of Object.entries(this.functions) as [ConsumerName, NodejsFunction][]) {
      const dlq = secureQueue(this, `${name}Dlq`);
      acknowledgeDeadLetterQueue(dlq, `${name} stream consumer on-failure destination`);
      dlqs[name] = dlq;
      fn.addEventSource(
        new DynamoEventSource(stores.events, {
          startingPosition: StartingPosition.TRIM_HORIZON,
          ...CONSUMER_SETTINGS[name],
          reportBatchItemFailures: true,
          bisectBatchOnError: true,
          retryAttempts: 10,
          maxRecordAge: Duration.hours(24),
          onFailure: new SqsDlq(dlq),
          filters: [
            FilterCriteria.filter({
              eventName: FilterRule.isEqual('INSERT'),
              ...(name === 'OrderGroupCoordinator'
                ? { dynamodb: { NewImage: { groupId: { S: FilterRule.exists() } } } }
                : {}),
            }),
          ],
        }),
      );
    }
    this.deadLetterQueues = dlqs as Record<ConsumerName, Queue>;
  }
}
