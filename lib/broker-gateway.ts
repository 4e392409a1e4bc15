/**
 * Broker Gateway with the simulated venue: the market (quotes) and the venue's book, the workflow
 * task that submits orders, the bus rules that forward cancels/replaces/expiries to the venue and
 * apply its execution reports, and the market tick that moves prices and fills resting orders.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/config.js';
import { OMS_SOURCE, VENUE_SOURCE } from './event-bus.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { acknowledgeDeadLetterQueue, omsFunction, secureQueue, useTable } from './lambda-defaults.js';

export interface BrokerGatewayProps {
  readonly stores: EventStore;
  readonly bus: EventBus;
  readonly venueName: string;
}

/** Retry policy of the bus rules that invoke our functions. */
export const RULE_TARGET_RETRY = { retryAttempts: 8, maxEventAge: Duration.hours(2) } as const;

export class BrokerGateway extends Construct {
  /** Quotes per symbol (simulated market; reference prices for risk). */
  readonly market: Table;
  /** The simulated venue's book. */
  readonly venueOrders: Table;
  readonly submitToVenue: NodejsFunction;
  readonly forwardToVenue: NodejsFunction;
  readonly applyExecutionReport: NodejsFunction;
  readonly marketTick: NodejsFunction;
  readonly deadLetterQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: BrokerGatewayProps) {
    super(scope, id);
    const { stores, bus } = props;
    const tableDefaults = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    } as const;

    this.market = new Table(this, 'Market', {
      ...tableDefaults,
      partitionKey: { name: 'symbol', type: AttributeType.STRING },
    });
    this.venueOrders = new Table(this, 'VenueOrders', {
      ...tableDefaults,
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
    });
    this.venueOrders.addGlobalSecondaryIndex({
      indexName: 'byRestingSymbol',
      partitionKey: { name: 'restingSymbol', type: AttributeType.STRING },
      sortKey: { name: 'orderId', type: AttributeType.STRING },
    });

    const venueEnv = { [ENV.venueName]: props.venueName };
    const venueFunction = (fnId: string, entry: string, description: string): NodejsFunction => {
      const fn = omsFunction(this, fnId, { entry, description, environment: venueEnv });
      useTable(fn, this.venueOrders, ENV.venueOrdersTable, 'readWrite');
      useTable(fn, this.market, ENV.marketTable, 'readWrite');
      fn.addEnvironment(ENV.eventBusName, bus.eventBusName);
      bus.grantPutEventsTo(fn);
      return fn;
    };

    this.submitToVenue = venueFunction(
      'SubmitToVenue',
      HANDLERS.submitToVenue,
      'Workflow task: submits the order to the venue',
    );
    useTable(this.submitToVenue, stores.events, ENV.eventStoreTable, 'read');

    this.forwardToVenue = venueFunction(
      'ForwardToVenue',
      HANDLERS.forwardToVenue,
      'Bus rule: forwards cancel/replace requests and expiries to the venue',
    );
    this.onBusEvent('ForwardToVenueRule', bus, this.forwardToVenue, {
      source: [OMS_SOURCE],
      detailType: ['OrderCancelRequested', 'OrderReplaceRequested', 'OrderExpired'],
    });

    this.marketTick = venueFunction(
      'MarketTick',
      HANDLERS.marketTick,
      'Schedule: moves simulated quotes and fills resting venue orders',
    );
    new Rule(this, 'MarketTickSchedule', {
      description: 'Simulated market tick',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.marketTick, { ...RULE_TARGET_RETRY, retryAttempts: 0 })],
    });

    this.applyExecutionReport = omsFunction(this, 'ApplyExecutionReport', {
      entry: HANDLERS.applyExecutionReport,
      description: 'Bus rule: applies a venue execution report to the order (event store append)',
      environment: venueEnv,
    });
    useTable(this.applyExecutionReport, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.applyExecutionReport, stores.idempotency, ENV.idempotencyTable, 'write');
    this.onBusEvent('ApplyExecutionReportRule', bus, this.applyExecutionReport, {
      source: [VENUE_SOURCE],
      detailType: ['ExecutionReport'],
    });
  }

  private onBusEvent(
    ruleId: string,
    bus: EventBus,
    fn: NodejsFunction,
    eventPattern: { source: string[]; detailType: string[] },
  ): void {
    const dlq = secureQueue(this, `${ruleId}Dlq`);
    acknowledgeDeadLetterQueue(dlq, `${ruleId} target`);
    this.deadLetterQueues[ruleId] = dlq;
    new Rule(this, ruleId, {
      eventBus: bus,
      eventPattern,
      targets: [new LambdaFunction(fn, { ...RULE_TARGET_RETRY, deadLetterQueue: dlq })],
    });
  }
}
