/**
 * The Alpaca v2 compatible order API: an HTTP API (payload 2.0) with a Lambda authorizer in front of
 * every route, and one function per command/query family.
 *
 * Authorizer decision: requests carry EITHER the key pair headers (APCA-API-KEY-ID +
 * APCA-API-SECRET-KEY) OR `Authorization: Bearer`. An HTTP API authorizer with identity sources
 * rejects (401, without invoking it) any request missing one of them, and identity sources are
 * AND-ed, so no single set fits both schemes. The authorizer therefore has NO identity source and
 * result caching is off (TTL 0): it runs on every request and decides itself (a missing credential is
 * a deny). Caching a key-pair result would also have to key on the secret, which we do not want in a
 * cache key.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  CANCEL_REQUEST_DETAIL_TYPE,
  CANCEL_REQUEST_SOURCE,
} from '../lambdas/order-api/cancel-all-request.js';
import { ENV } from '../lambdas/platform/config.js';
import { PRICE_MARKS_TABLE_ENV } from '../lambdas/platform/price-marks.js';
import {
  BUS_QUEUE_MAX_MESSAGE_AGE,
  busTargetQueue,
  RULE_TARGET_RETRY,
  type WatchedQueue,
} from './broker-gateway.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { LOG_RETENTION, omsFunction, useTable } from './lambda-defaults.js';

export interface OrderApiProps {
  readonly stores: EventStore;
  readonly market: ITable;
  /** The market's price history (lambdas/platform/price-marks.ts): GET /v2/account/portfolio/history. */
  readonly priceMarks: ITable;
  /** The OMS bus: DELETE /v2/orders puts one cancel request per open order on it. */
  readonly bus: EventBus;
  readonly sessionClose: string;
  /** Bearer JWT verification; JWTs are refused when unset. */
  readonly jwt: { issuer?: string; audience?: string; jwksUrl?: string };
}

/** Route table: method, path, function. */
export const ORDER_ROUTES = [
  { method: HttpMethod.POST, path: '/v2/orders', fn: 'createOrder' },
  { method: HttpMethod.GET, path: '/v2/orders', fn: 'queryOrders' },
  { method: HttpMethod.GET, path: '/v2/orders/{order_id}', fn: 'queryOrders' },
  { method: HttpMethod.GET, path: '/v2/orders:by_client_order_id', fn: 'queryOrders' },
  { method: HttpMethod.GET, path: '/v2/orders/{order_id}/events', fn: 'queryOrders' },
  { method: HttpMethod.GET, path: '/v2/orders/{order_id}/workflow', fn: 'orderWorkflow' },
  { method: HttpMethod.GET, path: '/v2/orders/{order_id}/tca', fn: 'orderTca' },
  { method: HttpMethod.GET, path: '/v1/reports/executions', fn: 'reports' },
  { method: HttpMethod.GET, path: '/v1/exceptions', fn: 'exceptions' },
  { method: HttpMethod.POST, path: '/v1/exceptions/{exception_id}/resolve', fn: 'exceptions' },
  { method: HttpMethod.POST, path: '/v1/dead-letters/{queue}/redrive', fn: 'exceptions' },
  { method: HttpMethod.GET, path: '/v1/reports/best-execution', fn: 'reports' },
  { method: HttpMethod.POST, path: '/v1/locates', fn: 'locates' },
  { method: HttpMethod.GET, path: '/v1/locates', fn: 'locates' },
  // No path variable: HTTP APIs route it before `{locate_id}` (local mode matches the same way).
  { method: HttpMethod.GET, path: '/v1/locates/quotes', fn: 'locates' },
  { method: HttpMethod.GET, path: '/v1/locates/{locate_id}', fn: 'locates' },
  { method: HttpMethod.PATCH, path: '/v2/orders/{order_id}', fn: 'replaceOrder' },
  { method: HttpMethod.DELETE, path: '/v2/orders/{order_id}', fn: 'cancelOrder' },
  { method: HttpMethod.DELETE, path: '/v2/orders', fn: 'cancelOrder' },
  { method: HttpMethod.GET, path: '/v2/clock', fn: 'marketCalendar' },
  { method: HttpMethod.GET, path: '/v2/calendar', fn: 'marketCalendar' },
  { method: HttpMethod.GET, path: '/v3/clock', fn: 'marketCalendar' },
  { method: HttpMethod.GET, path: '/v3/calendar/{market}', fn: 'marketCalendar' },
  { method: HttpMethod.GET, path: '/v2/account', fn: 'account' },
  { method: HttpMethod.GET, path: '/v2/positions', fn: 'account' },
  { method: HttpMethod.GET, path: '/v2/positions/{symbol_or_asset_id}', fn: 'account' },
  { method: HttpMethod.GET, path: '/v2/account/activities', fn: 'account' },
  { method: HttpMethod.GET, path: '/v2/account/activities/{activity_type}', fn: 'account' },
  { method: HttpMethod.GET, path: '/v2/account/portfolio/history', fn: 'account' },
  { method: HttpMethod.GET, path: '/v2/account/configurations', fn: 'account' },
  { method: HttpMethod.PATCH, path: '/v2/account/configurations', fn: 'account' },
  { method: HttpMethod.DELETE, path: '/v2/positions', fn: 'closePositions' },
  { method: HttpMethod.DELETE, path: '/v2/positions/{symbol_or_asset_id}', fn: 'closePositions' },
  // Watchlists: three routes, the function names the method and the path's parts
  // (lambdas/order-api/watchlists.ts `routed`; the stack is near CloudFormation's 500 resources).
  { method: HttpMethod.ANY, path: '/v2/watchlists', fn: 'watchlists' },
  { method: HttpMethod.ANY, path: '/v2/watchlists/{proxy+}', fn: 'watchlists' },
  { method: HttpMethod.ANY, path: '/v2/watchlists:by_name', fn: 'watchlists' },
  { method: HttpMethod.GET, path: '/v2/assets', fn: 'assets' },
  { method: HttpMethod.GET, path: '/v2/assets/{symbol_or_asset_id}', fn: 'assets' },
  // The kill switch (issue 16): operator keys only.
  { method: HttpMethod.GET, path: '/v1/trading-state', fn: 'tradingState' },
  { method: HttpMethod.PUT, path: '/v1/trading-state', fn: 'tradingState' },
  { method: HttpMethod.GET, path: '/v1/accounts/{account_id}/trading-state', fn: 'tradingState' },
  { method: HttpMethod.PUT, path: '/v1/accounts/{account_id}/trading-state', fn: 'tradingState' },
  // Aggregate limits' versioned policies (issue 16): operator keys only.
  { method: HttpMethod.GET, path: '/v1/limits-policy', fn: 'tradingState' },
  { method: HttpMethod.PUT, path: '/v1/limits-policy', fn: 'tradingState' },
  { method: HttpMethod.GET, path: '/v1/accounts/{account_id}/limits-policy', fn: 'tradingState' },
  { method: HttpMethod.PUT, path: '/v1/accounts/{account_id}/limits-policy', fn: 'tradingState' },
] as const;

type RouteFunction = (typeof ORDER_ROUTES)[number]['fn'];

/** The function that answers the `$default` route (any other method and path) with a 404. */
export const UNKNOWN_ROUTE_FUNCTION: RouteFunction = 'queryOrders';

export class OrderApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly authorizer: NodejsFunction;
  readonly functions: Record<RouteFunction, NodejsFunction>;
  /** Cancels each order DELETE /v2/orders asked for (bus rule -> queue -> function). */
  readonly cancelAllWorker: NodejsFunction;
  /** Scheduled: a HALT in force cancels what is still open (lambdas/order-api/enforce-halts.ts). */
  readonly enforceHalts: NodejsFunction;
  readonly deadLetterQueues: Record<string, Queue>;
  readonly watchedQueues: Record<string, WatchedQueue>;

  /**
   * GET /v2/orders/{order_id}/workflow reads the history of the order's execution: the lifecycle's,
   * or the algo-order machine's for an algorithmic parent. Only GetExecutionHistory, only on the
   * executions of those machines.
   */
  readWorkflows(machines: { lifecycle: StateMachine; algoOrder: StateMachine }): void {
    const fn = this.functions.orderWorkflow;
    fn.addEnvironment(ENV.stateMachineArn, machines.lifecycle.stateMachineArn);
    fn.addEnvironment(ENV.algoOrderStateMachineArn, machines.algoOrder.stateMachineArn);
    for (const machine of [machines.lifecycle, machines.algoOrder]) {
      machine.grantExecution(fn, 'states:GetExecutionHistory');
      const logicalId = Stack.of(this).getLogicalId(machine.node.defaultChild as never);
      Validations.of(fn.role ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId}"}]}]}:*]`,
        reason:
          "An execution's ARN is the state machine's plus its name (the order id): reading any order's " +
          'workflow needs the executions of that one state machine, and only GetExecutionHistory on them.',
      });
    }
  }

  /**
   * The exceptions view lists the messages of every dead-letter queue and redrives them (issue 16):
   * their names (`{<name>: <queue name>}`, the `<name>DlqNotEmpty` alarms' names) in
   * OMS_DEAD_LETTER_QUEUES; peek, delete and move-task rights on them, and SendMessage on the
   * queues they are the dead-letter queue of (where a move task puts the messages back). Call it
   * when every queue of the stack exists.
   */
  watchDeadLetterQueues(queues: Record<string, Queue>): void {
    const fn = this.functions.exceptions;
    const stack = Stack.of(this);
    const dlqs = new Set(Object.values(queues));
    fn.addEnvironment(
      ENV.deadLetterQueues,
      stack.toJsonString(Object.fromEntries(Object.entries(queues).map(([name, q]) => [name, q.queueName]))),
    );
    // Two statements listing the queues (a grant per queue made the role's policy overflow into a
    // managed policy: one more resource). The queues are SQS-managed encrypted: no key to grant.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: [
          'sqs:GetQueueUrl',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:StartMessageMoveTask',
          'sqs:ListMessageMoveTasks',
        ],
        resources: [...dlqs].map((q) => q.queueArn),
      }),
    );
    const sources = stack.node
      .findAll()
      .filter(
        (c): c is Queue =>
          c instanceof Queue && c.deadLetterQueue !== undefined && dlqs.has(c.deadLetterQueue.queue as Queue),
      );
    if (sources.length > 0)
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['sqs:SendMessage'], resources: sources.map((q) => q.queueArn) }),
      );
  }

  constructor(scope: Construct, id: string, props: OrderApiProps) {
    super(scope, id);
    const { stores, market } = props;
    const env = { [ENV.sessionClose]: props.sessionClose };

    const jwtEnv: Record<string, string> = {};
    if (props.jwt.issuer) jwtEnv[ENV.jwtIssuer] = props.jwt.issuer;
    if (props.jwt.audience) jwtEnv[ENV.jwtAudience] = props.jwt.audience;
    if (props.jwt.jwksUrl) jwtEnv[ENV.jwksUrl] = props.jwt.jwksUrl;
    this.authorizer = omsFunction(this, 'Authorizer', {
      entry: HANDLERS.authorizer,
      description: 'HTTP API authorizer: Alpaca key pairs and Bearer JWTs',
      timeout: Duration.seconds(10),
      environment: jwtEnv,
    });
    useTable(this.authorizer, stores.accounts, ENV.accountsTable, 'read');

    const apiFunction = (fnId: string, entry: string, description: string): NodejsFunction =>
      omsFunction(this, fnId, { entry, description, timeout: Duration.seconds(10), environment: env });

    const createOrder = apiFunction('CreateOrder', HANDLERS.createOrder, 'POST /v2/orders');
    useTable(createOrder, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(createOrder, stores.idempotency, ENV.idempotencyTable, 'readWrite');
    // Writes the account's locate book: a short sale of a hard-to-borrow symbol takes its located
    // shares in the placing transaction (issue 16, lambdas/orders/locate-book.ts).
    useTable(createOrder, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(createOrder, stores.orders, ENV.ordersTable, 'read');
    useTable(createOrder, market, ENV.marketTable, 'read');
    useTable(createOrder, stores.assets, ENV.assetsTable, 'read');

    const queryOrders = apiFunction('QueryOrders', HANDLERS.queryOrders, 'GET /v2/orders[/...]');
    useTable(queryOrders, stores.events, ENV.eventStoreTable, 'read');
    useTable(queryOrders, stores.orders, ENV.ordersTable, 'read');
    useTable(queryOrders, stores.idempotency, ENV.idempotencyTable, 'read');

    const replaceOrder = apiFunction('ReplaceOrder', HANDLERS.replaceOrder, 'PATCH /v2/orders/{order_id}');
    useTable(replaceOrder, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(replaceOrder, stores.orders, ENV.ordersTable, 'read');
    useTable(replaceOrder, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(replaceOrder, market, ENV.marketTable, 'read');
    useTable(replaceOrder, stores.assets, ENV.assetsTable, 'read');
    useTable(replaceOrder, stores.idempotency, ENV.idempotencyTable, 'readWrite');

    const cancelOrder = apiFunction('CancelOrder', HANDLERS.cancelOrder, 'DELETE /v2/orders[/{order_id}]');
    useTable(cancelOrder, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(cancelOrder, stores.orders, ENV.ordersTable, 'read');
    // A DELETE of a PATCH's replacement not opened yet finds it by its pointer (422, not 404).
    useTable(cancelOrder, stores.idempotency, ENV.idempotencyTable, 'read');
    cancelOrder.addEnvironment(ENV.eventBusName, props.bus.eventBusName);
    props.bus.grantPutEventsTo(cancelOrder);

    // The market's clock and calendar: the deployment's sessions, no table.
    const marketCalendar = apiFunction(
      'MarketCalendar',
      HANDLERS.marketCalendar,
      'GET /v2/clock, GET /v2/calendar, GET /v3/clock, GET /v3/calendar/{market}',
    );

    // The account, its positions and activities (issue 13): the ledger, the open orders, the quotes.
    const account = apiFunction(
      'Account',
      HANDLERS.account,
      'GET /v2/account, /v2/positions[/{symbol}], /v2/account/activities[/{type}], /v2/account/portfolio/history, GET/PATCH /v2/account/configurations',
    );
    // Read and write: PATCH /v2/account/configurations updates the account's record.
    useTable(account, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(account, stores.orders, ENV.ordersTable, 'read');
    useTable(account, stores.events, ENV.eventStoreTable, 'read');
    // A position asked for right after a fill waits for it (the recent placements, the fills' markers).
    useTable(account, stores.idempotency, ENV.idempotencyTable, 'read');
    useTable(account, market, ENV.marketTable, 'read');
    useTable(account, stores.assets, ENV.assetsTable, 'read');
    // Equity marked to market at past times (GET /v2/account/portfolio/history).
    useTable(account, props.priceMarks, PRICE_MARKS_TABLE_ENV, 'read');

    // Closing positions places orders (POST /v2/orders' path) and may cancel open ones first, then
    // waits (8 s at most) for them to close: the API's 30 s, not the 10 s of the other routes.
    const closePositions = omsFunction(this, 'ClosePositions', {
      entry: HANDLERS.closePositions,
      description: 'DELETE /v2/positions[/{symbol}]',
      timeout: Duration.seconds(29),
      environment: env,
    });
    useTable(closePositions, stores.events, ENV.eventStoreTable, 'readWrite');
    useTable(closePositions, stores.idempotency, ENV.idempotencyTable, 'readWrite');
    // Writes: a closing buy (a short covered) claims buying power on the account's total, as
    // POST /v2/orders does (lambdas/orders/buying-power-reservations.ts).
    useTable(closePositions, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(closePositions, stores.orders, ENV.ordersTable, 'read');
    useTable(closePositions, market, ENV.marketTable, 'read');
    useTable(closePositions, stores.assets, ENV.assetsTable, 'read');
    // The asset master: read only (operators write it; docs/domain.md "The asset master").
    const assets = apiFunction('Assets', HANDLERS.assets, 'GET /v2/assets[/{symbol_or_asset_id}]');
    useTable(assets, stores.assets, ENV.assetsTable, 'read');

    // The order's workflow path (issue 14, the dashboard's order detail): the event store for the
    // owner check, Step Functions history on request (`readWorkflows` grants it).
    const orderWorkflow = apiFunction(
      'OrderWorkflow',
      HANDLERS.orderWorkflow,
      'GET /v2/orders/{order_id}/workflow',
    );
    useTable(orderWorkflow, stores.events, ENV.eventStoreTable, 'read');
    // The order's TCA (issue 15): kept on its view at the close.
    const orderTca = apiFunction('OrderTca', HANDLERS.orderTca, 'GET /v2/orders/{order_id}/tca');
    useTable(orderTca, stores.orders, ENV.ordersTable, 'read');
    // Execution-quality reports (issue 15): the account's orders by day, their TCA from their views.
    const reports = apiFunction(
      'Reports',
      HANDLERS.reports,
      'GET /v1/reports/executions, /v1/reports/best-execution',
    );
    useTable(reports, stores.orders, ENV.ordersTable, 'read');
    // The exceptions view (operator routes, issue 16): open exceptions, stuck orders; resolutions.
    const exceptions = apiFunction(
      'Exceptions',
      HANDLERS.exceptions,
      'GET /v1/exceptions, POST /v1/exceptions/{exception_id}/resolve, POST /v1/dead-letters/{queue}/redrive',
    );
    useTable(exceptions, stores.orders, ENV.ordersTable, 'readWrite');
    useTable(exceptions, stores.events, ENV.eventStoreTable, 'readWrite');

    // The kill switch (issue 16): the states on the accounts table, the change on the bus, and a
    // HALT's sweep through the cancel-all machinery (open orders listed, cancel requests on the bus).
    const tradingState = apiFunction(
      'TradingState',
      HANDLERS.tradingState,
      'GET/PUT /v1/[accounts/{account_id}/]trading-state and limits-policy (operators)',
    );
    useTable(tradingState, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(tradingState, stores.orders, ENV.ordersTable, 'read');
    // A halt's sweep also cancels orders placed a moment before, not listed yet (their rate
    // windows name them; an unprojected one is read from the event store).
    useTable(tradingState, stores.idempotency, ENV.idempotencyTable, 'read');
    useTable(tradingState, stores.events, ENV.eventStoreTable, 'read');
    tradingState.addEnvironment(ENV.eventBusName, props.bus.eventBusName);
    props.bus.grantPutEventsTo(tradingState);

    // Reg SHO locates (issue 16): the account's locate book and the borrow desk (ACCOUNTS_TABLE
    // items), the asset master (easy to borrow needs none).
    const locates = apiFunction(
      'Locates',
      HANDLERS.locates,
      'POST/GET /v1/locates, GET /v1/locates/quotes, GET /v1/locates/{locate_id}',
    );
    useTable(locates, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(locates, stores.assets, ENV.assetsTable, 'read');
    // Watchlists: the account's item `watchlists#<id>` (ACCOUNTS_TABLE), the asset master.
    const watchlists = apiFunction(
      'Watchlists',
      HANDLERS.watchlists,
      '/v2/watchlists[/{watchlist_id}[/{symbol}]], /v2/watchlists:by_name',
    );
    useTable(watchlists, stores.accounts, ENV.accountsTable, 'readWrite');
    useTable(watchlists, stores.assets, ENV.assetsTable, 'read');

    // DELETE /v2/orders answers at once; the cancels are this worker's, one queued request per order.
    this.cancelAllWorker = omsFunction(this, 'CancelAllWorker', {
      entry: HANDLERS.cancelAllWorker,
      description: 'Bus queue: cancels each order DELETE /v2/orders asked for',
      timeout: Duration.seconds(10),
      environment: env,
    });
    useTable(this.cancelAllWorker, stores.events, ENV.eventStoreTable, 'readWrite');
    const cancelAll = busTargetQueue(this, 'CancelAllRule', {
      bus: props.bus,
      fn: this.cancelAllWorker,
      name: 'CancelAll',
      description: 'DELETE /v2/orders: one cancel request per open order, to the cancel-all worker',
      eventPattern: { source: [CANCEL_REQUEST_SOURCE], detailType: [CANCEL_REQUEST_DETAIL_TYPE] },
    });
    this.deadLetterQueues = { CancelAll: cancelAll.deadLetterQueue };

    // A HALT stays in force (issue 16): every minute, what is still open in a halted account is
    // asked to cancel through the same machinery (one GetItem a run while nothing is halted).
    this.enforceHalts = omsFunction(this, 'EnforceHalts', {
      entry: HANDLERS.enforceHalts,
      description: 'Schedule: cancels what is still open in a HALTED account (or firm)',
      timeout: Duration.seconds(30),
      environment: { [ENV.eventBusName]: props.bus.eventBusName },
    });
    useTable(this.enforceHalts, stores.accounts, ENV.accountsTable, 'read');
    useTable(this.enforceHalts, stores.orders, ENV.ordersTable, 'read');
    useTable(this.enforceHalts, stores.idempotency, ENV.idempotencyTable, 'read');
    useTable(this.enforceHalts, stores.events, ENV.eventStoreTable, 'read');
    props.bus.grantPutEventsTo(this.enforceHalts);
    new Rule(this, 'EnforceHaltsSchedule', {
      description: 'Halt enforcement: open orders of HALTED accounts asked to cancel',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(this.enforceHalts, { ...RULE_TARGET_RETRY, retryAttempts: 0 })],
    });
    this.watchedQueues = { CancelAll: { queue: cancelAll.queue, maxAge: BUS_QUEUE_MAX_MESSAGE_AGE } };

    this.functions = {
      createOrder,
      queryOrders,
      replaceOrder,
      cancelOrder,
      marketCalendar,
      account,
      closePositions,
      assets,
      orderWorkflow,
      orderTca,
      reports,
      exceptions,
      tradingState,
      locates,
      watchlists,
    };

    const authorizer = new HttpLambdaAuthorizer('KeyPairOrJwt', this.authorizer, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: [],
      resultsCacheTtl: Duration.seconds(0),
    });

    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Stockbot OMS: Alpaca Trading API v2 compatible orders',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
    });
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: LOG_RETENTION,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 200, burstLimit: 400 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            principalId: '$context.authorizer.principalId',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const integrations = new Map<RouteFunction, HttpLambdaIntegration>();
    for (const route of ORDER_ROUTES) {
      let integration = integrations.get(route.fn);
      if (!integration) {
        // One invoke permission per function, for this API (`*/*/*`), not one per route: a route
        // can only invoke its own integration's function anyway, and 40-odd permissions were
        // resources the stack, near CloudFormation's 500, could not spare.
        integration = new HttpLambdaIntegration(`${route.fn}Integration`, this.functions[route.fn], {
          scopePermissionToRoute: false,
        });
        integrations.set(route.fn, integration);
      }
      this.api.addRoutes({ path: route.path, methods: [route.method], integration });
    }
    // Every other method and path: Alpaca's 404 body `{code, message}` from the query function
    // (behind the authorizer like every route), not API Gateway's bare `{"message":"Not Found"}`.
    new HttpRoute(this, 'UnknownRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: integrations.get(UNKNOWN_ROUTE_FUNCTION) as HttpLambdaIntegration,
      authorizer,
    });
  }
}
