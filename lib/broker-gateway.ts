/**
 * Broker Gateway with the simulated venue: the market (quotes) and the venue's book, the workflow
 * task that submits orders, the bus rules that forward cancels/replaces/expiries to the venue and
 * apply its execution reports, and the market tick that moves prices and fills resting orders.
 *
 * Bus rule -> SQS queue -> function (`busTargetQueue`), never bus rule -> function: EventBridge
 * invokes a Lambda asynchronously, so the rule's retry policy and dead-letter queue cover only the
 * delivery, and an event whose handler throws is dropped after Lambda's two async retries. A queue
 * keeps the event until the function has processed it (partial batch failures: a failed record is
 * retried alone after the visibility timeout) and moves it to the dead-letter queue after
 * `BUS_QUEUE_MAX_RECEIVE_COUNT` receives. The same dead-letter queue takes events the rule could not
 * deliver to the queue.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import {
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
} from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CANCEL_AT_VENUE_REQUESTED, GATEWAY_SOURCE } from '../lambdas/broker-gateway/cancel-at-venue.js';
import { SECRETS_EXTENSION_TIMEOUT_MS } from '../lambdas/platform/alpaca-credentials.js';
import type { AlpacaVenueOnAws } from '../lambdas/platform/alpaca-venues.js';
import { ENV } from '../lambdas/platform/config.js';
import { PRICE_MARKS_TABLE_ENV } from '../lambdas/platform/price-marks.js';
import { alpacaVenueSecret } from './alpaca-secrets.js';
import { OMS_SOURCE, VENUE_SOURCE } from './event-bus.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { acknowledgeDeadLetterQueue, omsFunction, useTable } from './lambda-defaults.js';

export interface BrokerGatewayProps {
  readonly stores: EventStore;
  readonly bus: EventBus;
  readonly venueName: string;
  /** The order types the simulated venue holds (OMS_VENUE_ORDER_TYPES); it rejects the others. */
  readonly venueOrderTypes: string;
  /**
   * Session close `HH:MM[:SS]` New York (the stack's `oms:sessionClose`): the simulated venue's
   * closing auction, at the same instant the workflow expires DAY orders.
   */
  readonly sessionClose: string;
  /**
   * The Alpaca venues of `oms:alpacaVenues` (unset or empty: none). The functions that reach a venue
   * then get the Parameters and Secrets extension and may read exactly these venues' secrets.
   */
  readonly alpacaVenues?: readonly AlpacaVenueOnAws[];
}

/**
 * The AWS Parameters and Secrets Lambda Extension of the functions that read the Alpaca venues' key
 * pairs (lambdas/platform/alpaca-credentials.ts reads through its localhost endpoint, port 2773):
 * the newest version this CDK knows, for the functions' architecture (arm64), its ARN per region
 * from CDK's region facts (a mapping: the stack is environment-agnostic). Its settings:
 * - no cache of its own: the function keeps the key pair for the container's life, and a read after
 *   a failure (e.g. a malformed secret the operator fixed) must reach Secrets Manager, not a copy
 *   kept for SECRETS_MANAGER_TTL;
 * - its call to Secrets Manager gives up after 3 s, before the function's own wait
 *   (SECRETS_EXTENSION_TIMEOUT_MS, 5 s), so the function gets the extension's error status;
 * - warnings and errors only in the function's log group (a refused GetSecretValue is logged there
 *   with Secrets Manager's reason, which the function's error does not repeat).
 */
export function alpacaSecretsExtension(): ParamsAndSecretsLayerVersion {
  return ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
    cacheEnabled: false,
    secretsManagerTimeout: Duration.millis(SECRETS_EXTENSION_TIMEOUT_MS - 2_000),
    logLevel: ParamsAndSecretsLogLevel.WARN,
  });
}

/** The construct ids of the functions that call `venueFor` (lambdas/broker-gateway/wiring.ts). */
export const VENUE_REACHING_FUNCTIONS = [
  'SubmitToVenue',
  'ForwardToVenue',
  'CheckInFlightRequests',
  'ReconcileVenues',
] as const;

/** Retry policy of the bus rules' deliveries (to our queues; the market tick's schedule). */
export const RULE_TARGET_RETRY = { retryAttempts: 8, maxEventAge: Duration.hours(2) } as const;

/**
 * Functions fed by a bus queue. Their work is a few DynamoDB calls (and a PutEvents), so 10 s is
 * ample, and a short timeout keeps the visibility timeout, hence the retry delay of a held record
 * (an execution report that overtook what it depends on), at a minute.
 */
export const BUS_TARGET_FUNCTION_TIMEOUT = Duration.seconds(10);
/** AWS guidance for a Lambda-consumed queue: visibility timeout at least 6x the function timeout. */
export const BUS_QUEUE_VISIBILITY_FACTOR = 6;
/** Receives before a record goes to the dead-letter queue (10 x 60 s: about ten minutes of retries). */
export const BUS_QUEUE_MAX_RECEIVE_COUNT = 10;
/** An event older than this on a bus queue means its consumer is stuck or keeps failing. */
export const BUS_QUEUE_MAX_MESSAGE_AGE = Duration.minutes(5);

/**
 * Event source settings per bus queue. No queue waits to fill a batch: every one is on an order's
 * latency path (a 1 s window on execution reports made up most of the time from the venue's
 * acknowledgement to `OrderAccepted`). The applier sorts each batch and, when a report overtook
 * what it depends on (in another batch, applied concurrently), holds it and tries again after
 * short pauses before falling back on the visibility timeout.
 */
export const BUS_QUEUE_SETTINGS = {
  ApplyExecutionReport: { batchSize: 10, maxBatchingWindow: Duration.seconds(0) },
  ForwardToVenue: { batchSize: 5, maxBatchingWindow: Duration.seconds(0) },
  OrderRequested: { batchSize: 10, maxBatchingWindow: Duration.seconds(0) },
  // DELETE /v2/orders: one request per open order; a batch's records run in parallel.
  CancelAll: { batchSize: 10, maxBatchingWindow: Duration.seconds(0) },
  // trade_updates: accounts whose listeners are behind; each record runs on its own.
  TradeUpdatesBacklog: { batchSize: 10, maxBatchingWindow: Duration.seconds(0) },
} as const satisfies Record<string, { batchSize: number; maxBatchingWindow: Duration }>;

export type BusQueueName = keyof typeof BUS_QUEUE_SETTINGS;

/** A bus queue, for Operations: alarm when its oldest message is older than `maxAge`. */
export interface WatchedQueue {
  readonly queue: Queue;
  readonly maxAge: Duration;
}

export interface BusTargetQueueProps {
  readonly bus: EventBus;
  readonly fn: NodejsFunction;
  readonly name: BusQueueName;
  readonly description: string;
  readonly eventPattern: { source: string[]; detailType: string[] };
}

export interface BusTargetQueue {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly rule: Rule;
}

/**
 * Rule `<ruleId>` -> queue `<ruleId>Queue` (encrypted, TLS only, only the rule may send) -> `fn`
 * (SQS event source, partial batch failures). `<ruleId>Dlq` takes what the queue gave up on and
 * what the rule could not deliver.
 */
export function busTargetQueue(scope: Construct, ruleId: string, props: BusTargetQueueProps): BusTargetQueue {
  const { fn } = props;
  const timeout = fn.timeout ?? Duration.seconds(3);
  const deadLetterQueue = new Queue(scope, `${ruleId}Dlq`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeDeadLetterQueue(deadLetterQueue, `${ruleId} queue and rule target`);
  const queue = new Queue(scope, `${ruleId}Queue`, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(4),
    visibilityTimeout: Duration.seconds(timeout.toSeconds() * BUS_QUEUE_VISIBILITY_FACTOR),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: BUS_QUEUE_MAX_RECEIVE_COUNT },
  });
  const rule = new Rule(scope, ruleId, {
    eventBus: props.bus,
    description: props.description,
    eventPattern: props.eventPattern,
    targets: [new SqsQueue(queue, { ...RULE_TARGET_RETRY, deadLetterQueue })],
  });
  fn.addEventSource(
    new SqsEventSource(queue, { ...BUS_QUEUE_SETTINGS[props.name], reportBatchItemFailures: true }),
  );
  return { queue, deadLetterQueue, rule };
}

export class BrokerGateway extends Construct {
  /** Quotes per symbol (simulated market; reference prices for risk). */
  readonly market: Table;
  /**
   * The market's price history (lambdas/platform/price-marks.ts): a minute mark (TTL 35 days) and
   * a daily mark per symbol observed; the tick writes them, the account API reads them.
   */
  readonly priceMarks: Table;
  /** The simulated venue's book. */
  readonly venueOrders: Table;
  readonly submitToVenue: NodejsFunction;
  readonly forwardToVenue: NodejsFunction;
  readonly applyExecutionReport: NodejsFunction;
  readonly marketTick: NodejsFunction;
  /** The in-flight check (every minute): cancels and replaces outstanding too long (issue 16). */
  readonly checkInFlightRequests: NodejsFunction;
  readonly reconcileVenues: NodejsFunction;
  readonly deadLetterQueues: Record<string, Queue> = {};
  /** The bus queues whose oldest message's age Operations alarms on. */
  readonly watchedQueues: Record<string, WatchedQueue> = {};

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
    this.priceMarks = new Table(this, 'PriceMarks', {
      ...tableDefaults,
      partitionKey: { name: 'symbol', type: AttributeType.STRING },
      sortKey: { name: 'at', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
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
    // Sparse: only orders with reports not yet published (the tick publishes them first).
    this.venueOrders.addGlobalSecondaryIndex({
      indexName: 'byOutboxPending',
      partitionKey: { name: 'outboxPending', type: AttributeType.STRING },
      sortKey: { name: 'orderId', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    const venueEnv = { [ENV.venueName]: props.venueName, [ENV.venueOrderTypes]: props.venueOrderTypes };
    // The functions that book auction orders or hold auctions know when the close is; the open
    // (OMS_SESSION_OPEN) keeps its default, 09:30, which the workflow's opg deadline also assumes.
    const auctionEnv = { ...venueEnv, [ENV.sessionClose]: props.sessionClose };
    // Only with Alpaca venues: without them no function reads a secret (the template is unchanged).
    const alpacaVenues = props.alpacaVenues ?? [];
    const secretsExtension = alpacaVenues.length > 0 ? alpacaSecretsExtension() : undefined;
    const reachesVenues: ReadonlySet<string> = new Set(VENUE_REACHING_FUNCTIONS);
    const venueFunction = (
      fnId: string,
      entry: string,
      description: string,
      timeout?: Duration,
    ): NodejsFunction => {
      const fn = omsFunction(this, fnId, {
        entry,
        description,
        environment: auctionEnv,
        timeout,
        ...(reachesVenues.has(fnId) && secretsExtension !== undefined
          ? { paramsAndSecrets: secretsExtension }
          : {}),
      });
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
      'Bus queue: forwards cancel/replace requests and expiries to the venue',
      BUS_TARGET_FUNCTION_TIMEOUT,
    );
    this.onBusEvent('ForwardToVenueRule', {
      bus,
      fn: this.forwardToVenue,
      name: 'ForwardToVenue',
      description: "Cancel/replace requests, expiries and the applier's cancels to the venue",
      // Both are OMS sources (only the OMS's roles may put them: lib/event-bus.ts); nobody puts the
      // other two pairs of the product (an order event from the gateway, a venue cancel from the OMS).
      eventPattern: {
        source: [OMS_SOURCE, GATEWAY_SOURCE],
        detailType: [
          'OrderCancelRequested',
          'OrderReplaceRequested',
          'OrderExpired',
          CANCEL_AT_VENUE_REQUESTED,
        ],
      },
    });

    this.marketTick = venueFunction(
      'MarketTick',
      HANDLERS.marketTick,
      'Schedule: moves simulated quotes and fills resting venue orders',
    );
    useTable(this.marketTick, this.priceMarks, PRICE_MARKS_TABLE_ENV, 'readWrite');
    new Rule(this, 'MarketTickSchedule', {
      description: 'Simulated market tick',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.marketTick, { ...RULE_TARGET_RETRY, retryAttempts: 0 })],
    });

    this.applyExecutionReport = omsFunction(this, 'ApplyExecutionReport', {
      entry: HANDLERS.applyExecutionReport,
      description: 'Bus queue: applies venue execution reports to their orders (event store append)',
      timeout: BUS_TARGET_FUNCTION_TIMEOUT,
    });
    // No venue's table or permission: an order closed here that a venue reports live is canceled
    // there by forward-to-venue (CancelAtVenueRequested, lambdas/broker-gateway/cancel-at-venue.ts).
    useTable(this.applyExecutionReport, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.applyExecutionReport, stores.idempotency, ENV.idempotencyTable, 'write');
    this.applyExecutionReport.addEnvironment(ENV.eventBusName, bus.eventBusName);
    bus.grantPutEventsTo(this.applyExecutionReport);
    this.onBusEvent('ApplyExecutionReportRule', {
      bus,
      fn: this.applyExecutionReport,
      name: 'ApplyExecutionReport',
      description: 'Venue execution reports to the OMS',
      eventPattern: { source: [VENUE_SOURCE], detailType: ['ExecutionReport'] },
    });

    // An acknowledged cancel or replace is never lost (issue 16): one outstanding longer than the
    // threshold is sent again, or the venue's lost answer applied, from the venue's status query.
    this.checkInFlightRequests = venueFunction(
      'CheckInFlightRequests',
      HANDLERS.checkInFlightRequests,
      'Schedule: re-sends cancels/replaces outstanding too long, or applies the venue answer it missed',
      BUS_TARGET_FUNCTION_TIMEOUT,
    );
    useTable(this.checkInFlightRequests, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.checkInFlightRequests, stores.orders, ENV.ordersTable, 'read');
    useTable(this.checkInFlightRequests, stores.idempotency, ENV.idempotencyTable, 'write');
    new Rule(this, 'CheckInFlightRequestsSchedule', {
      description: 'In-flight check of cancels and replaces',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.checkInFlightRequests, { ...RULE_TARGET_RETRY, retryAttempts: 0 })],
    });

    // Reconciliation with the venues (issue 16): every venue's open orders and executions against
    // the OMS's; typed breaks recorded on the orders, the safe repairs carried out.
    this.reconcileVenues = venueFunction(
      'ReconcileVenues',
      HANDLERS.reconcileVenues,
      "Schedule: compares each venue's open orders and executions with the OMS's; records breaks, repairs the safe ones",
      BUS_TARGET_FUNCTION_TIMEOUT,
    );
    useTable(this.reconcileVenues, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(this.reconcileVenues, stores.orders, ENV.ordersTable, 'readWrite');
    useTable(this.reconcileVenues, stores.accounts, ENV.accountsTable, 'read');
    useTable(this.reconcileVenues, stores.idempotency, ENV.idempotencyTable, 'write');
    new Rule(this, 'ReconcileVenuesSchedule', {
      description: 'Reconciliation of the OMS with every venue',
      // Every 5 minutes: a pass reads every venue's open orders and recent executions (and local
      // mode, 30 times faster, would spend DynamoDB Local's CPU on it every 4 s at 2 minutes).
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [new LambdaFunction(this.reconcileVenues, { ...RULE_TARGET_RETRY, retryAttempts: 0 })],
    });

    if (alpacaVenues.length > 0) this.readAlpacaSecrets(alpacaVenues);
  }

  /**
   * The functions that reach a venue through `venueFor` (submit, forward, the in-flight check, the
   * reconciler) may read the Alpaca venues' secrets (GetSecretValue, scoped to exactly those secrets):
   * each reads its venues' key pairs once per container through the Parameters and Secrets extension
   * (lambdas/platform/alpaca-credentials.ts), which calls Secrets Manager with the function's role.
   */
  private readAlpacaSecrets(venues: readonly AlpacaVenueOnAws[]): void {
    for (const venue of venues) {
      const secret = alpacaVenueSecret(this, venue);
      for (const fn of this.venueReachingFunctions()) secret.grantRead(fn);
    }
  }

  /** The functions that call `venueFor` (lambdas/broker-gateway/wiring.ts): VENUE_REACHING_FUNCTIONS. */
  venueReachingFunctions(): NodejsFunction[] {
    return [this.submitToVenue, this.forwardToVenue, this.checkInFlightRequests, this.reconcileVenues];
  }

  private onBusEvent(ruleId: string, props: BusTargetQueueProps): void {
    const { queue, deadLetterQueue } = busTargetQueue(this, ruleId, props);
    this.deadLetterQueues[ruleId] = deadLetterQueue;
    this.watchedQueues[props.name] = { queue, maxAge: BUS_QUEUE_MAX_MESSAGE_AGE };
  }
}
