/**
 * The whole OMS in one environment-agnostic stack (synthesizes offline, no credentials).
 * Settings come from CDK context (cdk.json defaults, override with `-c key=value`):
 * - `oms:strategies`: the strategies that may send OrderRequested, `{"<id>": "<principal ARN>" | [ARNs]}`
 *   (each puts only `stockbot.strategy.<id>`; which accounts it trades is its entitlement record).
 * - `oms:jwtIssuer`, `oms:jwtAudience`, `oms:jwksUrl`: Bearer JWT verification (unset: refused).
 * - `oms:sessionClose` (HH:MM America/New_York), `oms:venueName`, `oms:riskGuardianUrl`.
 * - `oms:auditRetentionDays` (default 2555), `oms:catReporterImid` (default STKB): the CAT-shaped
 *   export's WORM bucket (lib/regulatory-export.ts).
 * - `oms:pdtMode`: pattern day trader mode, `finra_4210_legacy` (default) or `none`.
 * - `oms:fixVenues`: FIX 4.4 venues, a JSON array `[{name, host, port, senderCompId, targetCompId}]`
 *   (docs/venues.md); `oms:venueSessions`: sessions of other kinds for the venue session host. Either
 *   one adds the VenueSessions nested stack (lib/venue-sessions.ts) and the venue table's
 *   `byFixQueue` index; with neither the template is as before.
 * - `oms:alpacaVenues`: Alpaca broker venues, a JSON array `[{name, baseUrl, streamUrl?, secretArn |
 *   secretName, takerFeePerShare?, makerFeePerShare?, latencyMs?}]`, each secret holding
 *   `{"keyId","secret"}` (docs/venues.md): every function is told the venues, the venue functions may
 *   read the secrets (through the Parameters and Secrets extension, lib/broker-gateway.ts), and the
 *   VenueSessions host runs their trade_updates listeners. Unset: as before.
 */
import { CfnOutput, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { AttributeType } from 'aws-cdk-lib/aws-dynamodb';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { FIX_QUEUE_INDEX } from '../lambdas/broker-gateway/fix/fix-book.js';
import { ORDER_TYPES, parsePdtMode, parseVenueOrderTypes } from '../lambdas/core/index.js';
import {
  ALPACA_VENUES_CONTEXT,
  ALPACA_VENUES_ENV,
  parseAlpacaVenuesContext,
} from '../lambdas/platform/alpaca-venues.js';
import { DEFAULT_VENUE_NAME, ENV } from '../lambdas/platform/config.js';
import { FIX_VENUES_ENV, parseFixVenues } from '../lambdas/platform/fix-venues.js';
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
import {
  DEFAULT_AUDIT_RETENTION_DAYS,
  DEFAULT_CAT_REPORTER_IMID,
  RegulatoryExport,
} from './regulatory-export.js';
import { StreamConsumers } from './stream-consumers.js';
import { TradeStream } from './trade-stream.js';
import { VenueSessions } from './venue-sessions.js';

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
  readonly regulatoryExport: RegulatoryExport;
  /** The venue session host (FIX sessions, broker streams); undefined when none is configured. */
  readonly venueSessions: VenueSessions | undefined;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const sessionClose = this.stringContext('oms:sessionClose') ?? '16:00';
    const venueName = this.stringContext('oms:venueName') ?? DEFAULT_VENUE_NAME;
    // What the venue holds natively: the OMS holds the trigger of a stop type it lacks.
    const venueOrderTypes = this.stringContext('oms:venueOrderTypes') ?? ORDER_TYPES.join(',');
    const parsedVenueOrderTypes = parseVenueOrderTypes(venueOrderTypes, 'oms:venueOrderTypes');
    if (!parsedVenueOrderTypes.ok) throw new Error(parsedVenueOrderTypes.error.message);
    // Alpaca broker venues (docs/venues.md "Configure on AWS"): each names the Secrets Manager secret
    // of its key pair; a malformed value (or a key pair in the context) fails the synthesis at once,
    // naming the field.
    const alpacaVenues = parseAlpacaVenuesContext(this.node.tryGetContext(ALPACA_VENUES_CONTEXT));

    this.stores = new EventStore(this, 'EventStore');
    this.events = new OmsEventBus(this, 'Events', {
      strategies: this.strategiesContext('oms:strategies'),
    });
    this.brokerGateway = new BrokerGateway(this, 'BrokerGateway', {
      stores: this.stores,
      bus: this.events.bus,
      venueName,
      venueOrderTypes,
      sessionClose,
      alpacaVenues: alpacaVenues.venues,
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
      priceMarks: this.brokerGateway.priceMarks,
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
    // The CAT-shaped daily export and the event store's archive, on WORM storage (issue 16).
    const retention = this.node.tryGetContext('oms:auditRetentionDays');
    this.regulatoryExport = new RegulatoryExport(this, 'RegulatoryExport', {
      events: this.stores.events,
      retentionDays:
        retention === undefined || retention === '' ? DEFAULT_AUDIT_RETENTION_DAYS : Number(retention),
      reporterImid: this.stringContext('oms:catReporterImid') ?? DEFAULT_CAT_REPORTER_IMID,
    });
    const deadLetterQueues = {
      ...this.streamConsumers.deadLetterQueues,
      ...this.events.deadLetterQueues,
      ...this.brokerGateway.deadLetterQueues,
      ...this.orderApi.deadLetterQueues,
      TradeUpdatesBacklog: this.tradeStream.deadLetterQueue,
      OrderRequested: this.inbound.deadLetterQueue,
      ...this.dataWarehouse.deadLetterQueues,
    };
    // The exceptions view lists and redrives them (issue 16); each alarms when not empty.
    this.orderApi.watchDeadLetterQueues(deadLetterQueues);
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
        ReconcileVenues: this.brokerGateway.reconcileVenues,
      },
      inFlightCheck: this.brokerGateway.checkInFlightRequests,
      streamConsumers: this.streamConsumers.functions,
      deadLetterQueues,
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

    // The bus as a trust boundary (issue 16): the OMS's own sources only from the roles that put them.
    // FIX venues and other venue sessions (issue 17): the host's nested stack, and every function
    // told the FIX venues' names (venueFor knows them; docs/venues.md).
    const fixVenues = this.stringContext('oms:fixVenues') ?? '';
    parseFixVenues(fixVenues); // a malformed list fails the synthesis, naming the field
    const otherSessions = this.stringContext('oms:venueSessions');
    this.venueSessions = undefined;
    if (fixVenues !== '' || otherSessions !== undefined) {
      this.brokerGateway.venueOrders.addGlobalSecondaryIndex({
        indexName: FIX_QUEUE_INDEX,
        partitionKey: { name: 'fixQueue', type: AttributeType.STRING },
        sortKey: { name: 'requestedAt', type: AttributeType.STRING },
      });
      for (const c of this.node.findAll())
        if (c instanceof LambdaFunction) c.addEnvironment(FIX_VENUES_ENV, fixVenues);
    }
    if (alpacaVenues.venues.length > 0) {
      // Every function knows the venues (the router's profiles, venueFor's names; no key pair in
      // there); those that reach a venue read exactly its secret, through the Parameters and
      // Secrets extension the Broker Gateway gave them with the grants.
      for (const c of this.node.findAll())
        if (c instanceof LambdaFunction) c.addEnvironment(ALPACA_VENUES_ENV, alpacaVenues.env);
    }
    // The host runs the FIX sessions, the other sessions and every Alpaca venue's trade_updates
    // listener (a venue without it would get no reports): Alpaca venues alone bring it too.
    if (fixVenues !== '' || otherSessions !== undefined || alpacaVenues.venues.length > 0) {
      this.venueSessions = new VenueSessions(this, 'VenueSessions', {
        venueOrders: this.brokerGateway.venueOrders,
        market: this.brokerGateway.market,
        bus: this.events.bus,
        fixVenues,
        ...(otherSessions === undefined ? {} : { otherSessions }),
        ...(alpacaVenues.venues.length === 0 ? {} : { alpacaVenues }),
      });
    }

    const roleOf = (fn: { role?: IRole }) => fn.role as IRole;
    const gateway = this.brokerGateway;
    this.events.restrictPublishers({
      venue: [
        gateway.submitToVenue,
        gateway.forwardToVenue,
        gateway.marketTick,
        gateway.checkInFlightRequests,
        // Reconciliation cancels at the venue an order the OMS closed (issue 16): the venue reports it.
        gateway.reconcileVenues,
      ]
        .map(roleOf)
        .concat(this.venueSessions === undefined ? [] : [this.venueSessions.taskDefinition.taskRole]),
      oms: [
        // Order and position events, and the intake's answers (stockbot.oms.intake) stored with them.
        this.streamConsumers.functions.OrderStream,
        this.orderApi.functions.cancelOrder,
        // The kill switch's TradingStateChanged / LimitsPolicyChanged (stockbot.oms.controls).
        this.orderApi.functions.tradingState,
        // A HALT in force: cancel requests for what is still open (the cancel-all source).
        this.orderApi.enforceHalts,
        this.tradeStream.session,
        this.tradeStream.backlogWorker,
        // ExecutionReportRefused, and CancelAtVenueRequested for forward-to-venue (stockbot.oms.gateway).
        gateway.applyExecutionReport,
      ].map(roleOf),
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
    // Where an operator sets a strategy's accounts (issue 16: scripts/put-strategy.ts).
    new CfnOutput(this, 'AccountsTableName', { value: this.stores.accounts.tableName });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.dashboard.distribution.distributionDomainName}/`,
    });
    new CfnOutput(this, 'AuditBucketName', { value: this.regulatoryExport.bucket.bucketName });
    new CfnOutput(this, 'StateMachineArn', { value: this.lifecycle.stateMachine.stateMachineArn });
  }

  private stringContext(key: string): string | undefined {
    const v: unknown = this.node.tryGetContext(key);
    return typeof v === 'string' && v !== '' ? v : undefined;
  }

  /** `{"<id>": "<ARN>" | ["<ARN>", ...]}`, as an object or its JSON text (`-c oms:strategies='{...}'`). */
  private strategiesContext(key: string): Record<string, string[]> {
    let v: unknown = this.node.tryGetContext(key);
    if (typeof v === 'string') v = v === '' ? {} : JSON.parse(v);
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v))
      throw new Error(`${key}: must be {"<strategy id>": "<ARN>" | [ARNs]}`);
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([id, arns]) => {
        const list = typeof arns === 'string' ? [arns] : Array.isArray(arns) ? arns : null;
        if (list === null || !list.every((a): a is string => typeof a === 'string' && a.startsWith('arn:')))
          throw new Error(`${key}.${id}: must be a principal ARN or a list of them`);
        return [id, list];
      }),
    );
  }
}
