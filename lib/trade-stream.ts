/**
 * The trade_updates stream (issue 14): an API Gateway WebSocket API speaking Alpaca's protocol
 * (routes selected by `$request.body.action`: `authenticate`, `listen`, `$default`, plus
 * `$connect`/`$disconnect`), all to one session function (lambdas/trade-stream/stream-session.ts),
 * and the stream's table (TRADE_STREAM_TABLE: the accounts' update logs, their heads and
 * listeners, the connections; lambdas/orders/trade-update-stream.ts). The order stream consumer
 * appends the updates with the order views and posts them to the listeners: it gets the table and
 * `execute-api:ManageConnections` on this stage. Authentication is in-band (the `authenticate`
 * message, like Alpaca's), so `$connect` has no authorizer.
 */
import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type CfnApi, type CfnStage, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BACKLOG_DETAIL_TYPE, BACKLOG_SOURCE } from '../lambdas/orders/trade-update-stream.js';
import { ENV } from '../lambdas/platform/config.js';
import { BUS_QUEUE_MAX_MESSAGE_AGE, busTargetQueue, type WatchedQueue } from './broker-gateway.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { omsFunction, useTable } from './lambda-defaults.js';

export interface TradeStreamProps {
  readonly stores: EventStore;
  readonly bus: EventBus;
  /** The order stream consumer: appends the updates and sends them to the listeners. */
  readonly orderStream: NodejsFunction;
}

export const TRADE_STREAM_STAGE = 'live';
export const TRADE_STREAM_ROUTES = ['$connect', '$disconnect', 'authenticate', 'listen', '$default'] as const;

export class TradeStream extends Construct {
  readonly table: Table;
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly session: NodejsFunction;
  readonly backlogWorker: NodejsFunction;
  readonly deadLetterQueue: Queue;
  readonly watchedQueue: WatchedQueue;

  constructor(scope: Construct, id: string, props: TradeStreamProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.NUMBER },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Connection items expire (expiresAt); update logs are kept (a client may resume any time).
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.session = omsFunction(this, 'StreamSession', {
      entry: HANDLERS.streamSession,
      description: 'trade_updates WebSocket (Alpaca protocol): authenticate, listen, replay after a cursor',
      timeout: Duration.seconds(29),
    });
    useTable(this.session, this.table, ENV.tradeStreamTable, 'readWrite');
    // The key pairs, as the HTTP API's authorizer reads them.
    useTable(this.session, props.stores.accounts, ENV.accountsTable, 'read');
    // A replay that outlasts its budget goes on in the backlog worker.
    this.session.addEnvironment(ENV.eventBusName, props.bus.eventBusName);
    props.bus.grantPutEventsTo(this.session);

    this.api = new WebSocketApi(this, 'Api', {
      apiName: 'stockbot-oms-trade-stream',
      description: "Alpaca-compatible trade_updates stream (the OMS's order updates, resumable)",
      routeSelectionExpression: '$request.body.action',
    });
    const integration = () => new WebSocketLambdaIntegration('Session', this.session);
    this.api.addRoute('$connect', { integration: integration() });
    this.api.addRoute('$disconnect', { integration: integration() });
    this.api.addRoute('$default', { integration: integration() });
    this.api.addRoute('authenticate', { integration: integration() });
    this.api.addRoute('listen', { integration: integration() });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: TRADE_STREAM_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: 500, burstLimit: 1000 },
    });
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        connectionId: '$context.connectionId',
        routeKey: '$context.routeKey',
        eventType: '$context.eventType',
        status: '$context.status',
        integrationError: '$context.integrationErrorMessage',
      }),
    };

    const apiLogicalId = Stack.of(this).getLogicalId(this.api.node.defaultChild as CfnApi);
    // The backlog worker: accounts the order stream could not catch up within its budget.
    this.backlogWorker = omsFunction(this, 'DeliverTradeUpdates', {
      entry: HANDLERS.deliverTradeUpdates,
      description:
        'Bus queue: sends trade updates to the listeners of an account the order stream handed over',
      timeout: Duration.seconds(60),
    });
    useTable(this.backlogWorker, this.table, ENV.tradeStreamTable, 'readWrite');
    this.backlogWorker.addEnvironment(ENV.eventBusName, props.bus.eventBusName);
    props.bus.grantPutEventsTo(this.backlogWorker);
    const backlog = busTargetQueue(this, 'TradeUpdatesBacklogRule', {
      bus: props.bus,
      fn: this.backlogWorker,
      name: 'TradeUpdatesBacklog',
      description:
        'TradeUpdatesBacklogged: an account whose stream listeners are behind, to the backlog worker',
      eventPattern: { source: [BACKLOG_SOURCE], detailType: [BACKLOG_DETAIL_TYPE] },
    });
    this.deadLetterQueue = backlog.deadLetterQueue;
    this.watchedQueue = { queue: backlog.queue, maxAge: BUS_QUEUE_MAX_MESSAGE_AGE };

    for (const fn of [this.session, props.orderStream, this.backlogWorker]) {
      fn.addEnvironment(ENV.tradeStreamCallbackUrl, this.stage.callbackUrl);
      this.stage.grantManagementApiAccess(fn);
      Validations.of(fn.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/${TRADE_STREAM_STAGE}/*/@connections/*]`,
        reason:
          "execute-api:ManageConnections on this stage's @connections/* (any connection id): frames are posted to whichever client is listening.",
      });
    }
    useTable(props.orderStream, this.table, ENV.tradeStreamTable, 'readWrite');

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        "Authentication is in-band like Alpaca's stream: the `authenticate` message carries the key pair or JWT and is verified by the session function before anything is sent.",
    });
    new CfnOutput(Stack.of(this), 'TradeStreamUrl', { value: this.stage.url });
  }
}
