/**
 * The whole OMS in one environment-agnostic stack (synthesizes offline, no credentials).
 * Settings come from CDK context (cdk.json defaults, override with `-c key=value`):
 * - `oms:strategyPrincipalArns`: principals allowed to put stockbot.strategy events (list).
 * - `oms:jwtIssuer`, `oms:jwtAudience`, `oms:jwksUrl`: Bearer JWT verification (unset: refused).
 * - `oms:sessionClose` (HH:MM America/New_York), `oms:venueName`, `oms:riskGuardianUrl`.
 * - `oms:pdtMode`: pattern day trader mode, `finra_4210_legacy` (default) or `none`.
 */
import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ORDER_TYPES, parsePdtMode, parseVenueOrderTypes } from '../lambdas/core/index.js';
import { DEFAULT_VENUE_NAME, ENV } from '../lambdas/platform/config.js';
import { AlgoOrders } from './algo-orders.js';
import { BrokerGateway } from './broker-gateway.js';
import { Dashboard } from './dashboard.js';
import { DataWarehouse } from './data-warehouse.js';
import { OmsEventBus } from './event-bus.js';
import { EventStore } from './event-store.js';
import { HeldTriggers } from './held-triggers.js';
import { InboundOrders } from './inbound-orders.js';
import { useTable } from './lambda-defaults.js';
import { Operations } from './operations.js';
import { OrderApi } from './order-api.js';
import { OrderLifecycle } from './order-lifecycle.js';
import { StreamConsumers } from './stream-consumers.js';
import { TradeStream } from './trade-stream.js';

export class OmsStack extends Stack {
  readonly stores: EventStore;
  readonly events: OmsEventBus;
  readonly brokerGateway: BrokerGateway;
  readonly lifecycle: OrderLifecycle;
  readonly streamConsumers: StreamConsumers;
  readonly tradeStream: TradeStream;
  readonly algoOrders: AlgoOrders;
  readonly heldTriggers: HeldTriggers;
  readonly orderApi: OrderApi;
  readonly inbound: InboundOrders;
  readonly operations: Operations;
  readonly dashboard: Dashboard;
  readonly dataWarehouse: DataWarehouse;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const sessionClose = this.stringContext('oms:sessionClose') ?? '16:00';
    const venueName = this.stringContext('oms:venueName') ?? DEFAULT_VENUE_NAME;
    // What the venue holds natively: the OMS holds the trigger of a stop type it lacks.
    const venueOrderTypes = this.stringContext('oms:venueOrderTypes') ?? ORDER_TYPES.join(',');
    const parsedVenueOrderTypes = parseVenueOrderTypes(venueOrderTypes, 'oms:venueOrderTypes');
    if (!parsedVenueOrderTypes.ok) throw new Error(parsedVenueOrderTypes.error.message);

    this.stores = new EventStore(this, 'EventStore');
    this.events = new OmsEventBus(this, 'Events', {
      strategyPrincipalArns: this.listContext('oms:strategyPrincipalArns'),
    });
    this.brokerGateway = new BrokerGateway(this, 'BrokerGateway', {
      stores: this.stores,
      bus: this.events.bus,
      venueName,
      venueOrderTypes,
      sessionClose,
    });
    this.lifecycle = new OrderLifecycle(this, 'OrderLifecycle', {
      stores: this.stores,
      market: this.brokerGateway.market,
      submitToVenue: this.brokerGateway.submitToVenue,
      sessionClose,
      venueName,
      venueOrderTypes,
      riskGuardianUrl: this.stringContext('oms:riskGuardianUrl'),
    });
    this.streamConsumers = new StreamConsumers(this, 'StreamConsumers', {
      stores: this.stores,
      market: this.brokerGateway.market,
      bus: this.events.bus,
      stateMachine: this.lifecycle.stateMachine,
    });
    this.tradeStream = new TradeStream(this, 'TradeStream', {
      stores: this.stores,
      bus: this.events.bus,
      orderStream: this.streamConsumers.functions.OrderStream,
    });
    this.algoOrders = new AlgoOrders(this, 'AlgoOrders', {
      stores: this.stores,
      market: this.brokerGateway.market,
      sessionClose,
      recordException: this.lifecycle.recordException,
      checkPreTradeRisk: this.lifecycle.checkPreTradeRisk,
    });
    this.heldTriggers = new HeldTriggers(this, 'HeldTriggers', {
      stores: this.stores,
      market: this.brokerGateway.market,
    });
    this.algoOrders.grantStart(this.streamConsumers.functions.OrderStream);
    this.algoOrders.grantStart(this.lifecycle.stalledWorkflowSweeper);
    this.algoOrders.grantCoordinator(
      this.streamConsumers.functions.OrderGroupCoordinator,
      this.brokerGateway.market,
    );
    // A cancel of an algorithmic parent is the group coordinator's, not the venue's: the forwarder
    // reads the order's OrderSubmitted to tell.
    useTable(this.brokerGateway.forwardToVenue, this.stores.events, ENV.eventStoreTable, 'read');
    this.orderApi = new OrderApi(this, 'OrderApi', {
      stores: this.stores,
      market: this.brokerGateway.market,
      bus: this.events.bus,
      sessionClose,
      jwt: {
        issuer: this.stringContext('oms:jwtIssuer'),
        audience: this.stringContext('oms:jwtAudience'),
        jwksUrl: this.stringContext('oms:jwksUrl'),
      },
    });
    this.orderApi.readWorkflows({
      lifecycle: this.lifecycle.stateMachine,
      algoOrder: this.algoOrders.stateMachine,
    });
    this.inbound = new InboundOrders(this, 'InboundOrders', {
      stores: this.stores,
      market: this.brokerGateway.market,
      bus: this.events.bus,
      sessionClose,
    });
    // Pattern day trader mode (issue 16, core day-trading.ts): where pre-trade risk runs and the account reads.
    const pdtMode = parsePdtMode(this.stringContext('oms:pdtMode'));
    const api = this.orderApi.functions;
    for (const fn of [
      api.createOrder,
      api.replaceOrder,
      api.closePositions,
      api.account,
      this.inbound.orderRequested,
    ])
      fn.addEnvironment(ENV.pdtMode, pdtMode);
    // The Data Warehouse (issue 15): orders, executions and TCA as Parquet for Athena (lib/data-warehouse.ts).
    this.dataWarehouse = new DataWarehouse(this, 'DataWarehouse', { bus: this.events.bus });
    this.operations = new Operations(this, 'Operations', {
      watchedQueues: {
        ...this.brokerGateway.watchedQueues,
        ...this.inbound.watchedQueues,
        ...this.orderApi.watchedQueues,
        TradeUpdatesBacklog: this.tradeStream.watchedQueue,
      },
      api: this.orderApi.api,
      stateMachine: this.lifecycle.stateMachine,
      algoStateMachine: this.algoOrders.stateMachine,
      scheduledFunctions: {
        WatchHeldTriggers: this.heldTriggers.watcher,
        CheckInFlightRequests: this.brokerGateway.checkInFlightRequests,
      },
      inFlightCheck: this.brokerGateway.checkInFlightRequests,
      streamConsumers: this.streamConsumers.functions,
      deadLetterQueues: {
        ...this.streamConsumers.deadLetterQueues,
        ...this.events.deadLetterQueues,
        ...this.brokerGateway.deadLetterQueues,
        ...this.orderApi.deadLetterQueues,
        TradeUpdatesBacklog: this.tradeStream.deadLetterQueue,
        OrderRequested: this.inbound.deadLetterQueue,
        ...this.dataWarehouse.deadLetterQueues,
      },
    });

    // The trading dashboard (issue 14): S3 + CloudFront, same-origin with the API. The stream
    // construct routes `/stream` with `this.dashboard.routeStream(...)`.
    this.dashboard = new Dashboard(this, 'Dashboard', {
      api: this.orderApi.api,
      streamOrigin: Dashboard.webSocketOrigin(
        this,
        this.tradeStream.api.apiId,
        this.tradeStream.stage.stageName,
      ),
    });

    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason:
        'The Firehose L2 construct adds a CIDR mapping used only for Redshift/HTTP destinations; ours is S3.',
    });

    new CfnOutput(this, 'ApiUrl', { value: this.orderApi.stage.url });
    new CfnOutput(this, 'EventBusName', { value: this.events.bus.eventBusName });
    // Where an operator lists assets (docs/domain.md "The asset master": scripts/put-assets.ts).
    new CfnOutput(this, 'AssetsTableName', { value: this.stores.assets.tableName });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.dashboard.distribution.distributionDomainName}/`,
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.lifecycle.stateMachine.stateMachineArn });
  }

  private stringContext(key: string): string | undefined {
    const v: unknown = this.node.tryGetContext(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  private listContext(key: string): string[] {
    const v: unknown = this.node.tryGetContext(key);
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string' && x !== '');
    if (typeof v === 'string' && v !== '')
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    return [];
  }
}
