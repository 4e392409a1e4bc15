/**
 * The OMS's own state (docs/aws.md "Tables"): the event store (source of truth, streamed to the
 * consumers), the orders read model, idempotency claims, workflow task tokens, accounts, and the
 * asset master (what the OMS may trade: reference data, written by operators, read through the
 * market data port).
 *
 * All tables are on-demand, encrypted with the AWS owned/managed key, have point-in-time recovery,
 * and are RETAINed on stack deletion; the event store (the audit trail) also has deletion protection.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  LIST_INDEX_ATTRIBUTES,
  OPEN_INDEX_ATTRIBUTES,
  ORDERS_INDEX,
} from '../lambdas/orders/order-view-indexes.js';
import { ASSET_ID_INDEX } from '../lambdas/platform/config.js';

const common = {
  billingMode: BillingMode.PAY_PER_REQUEST,
  encryption: TableEncryption.AWS_MANAGED,
  pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  removalPolicy: RemovalPolicy.RETAIN,
} as const;

export class EventStore extends Construct {
  /** pk orderId (S), sk seq (N); stream NEW_IMAGE feeds publisher, projector, signaller. */
  readonly events: Table;
  /**
   * Orders read model with the list-filter GSIs, the sparse `byPendingNew` (sweeper) and the sparse
   * `byArmedSymbol` (held-trigger watcher).
   */
  readonly orders: Table;
  /** Client-order-id / Idempotency-Key claims and rate-limit windows (TTL expiresAt). */
  readonly idempotency: Table;
  /** Task tokens of orders waiting in the workflow (TTL expiresAt). */
  readonly taskTokens: Table;
  /** API keys (hashed secrets) and account risk limits. */
  readonly accounts: Table;
  /** The asset master: pk symbol; GSI `byAssetId` (pk id, projection ALL) for lookups by asset id. */
  readonly assets: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.events = new Table(this, 'Events', {
      ...common,
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
      sortKey: { name: 'seq', type: AttributeType.NUMBER },
      stream: StreamViewType.NEW_IMAGE,
      deletionProtection: true,
    });

    this.orders = new Table(this, 'Orders', {
      ...common,
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
    });
    // The listing indexes project only what a listing filters and folds on, the open one also what
    // risk values (`exposure`): never the ~1 KB `order` document (issue 12). The open one is sparse:
    // a closing order leaves it (one delete) and enters no other partition.
    for (const [indexName, partitionKey, attributes] of [
      [ORDERS_INDEX.byAccount, 'accountId', LIST_INDEX_ATTRIBUTES],
      [ORDERS_INDEX.byAccountOpen, 'openInAccount', OPEN_INDEX_ATTRIBUTES],
      [ORDERS_INDEX.byAccountSymbol, 'accountSymbol', LIST_INDEX_ATTRIBUTES],
    ] as const) {
      this.orders.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: AttributeType.STRING },
        sortKey: { name: 'createdKey', type: AttributeType.STRING },
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: [...attributes],
      });
    }
    // Sparse: only orders still pending_new carry `awaitingWorkflow` (`pending_new#<shard>`), so the
    // stalled-workflow sweeper reads just those, oldest first. Keys only: it needs the order id.
    this.orders.addGlobalSecondaryIndex({
      indexName: ORDERS_INDEX.byPendingNew,
      partitionKey: { name: 'awaitingWorkflow', type: AttributeType.STRING },
      sortKey: { name: 'createdKey', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    // Sparse: only orders with a cancel or replace outstanding carry `requestInFlight`
    // (`request#<shard>`), sorted by when it was asked, so the in-flight check reads just those,
    // oldest first. Keys only: it needs the order id. A filled market order never enters it.
    this.orders.addGlobalSecondaryIndex({
      indexName: ORDERS_INDEX.byRequestInFlight,
      partitionKey: { name: 'requestInFlight', type: AttributeType.STRING },
      sortKey: { name: 'requestedAt', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    // Sparse: only stops the OMS holds (phase armed) carry `armedSymbol` (the upper-cased symbol), so
    // the held-trigger watcher scans just those. Projection ALL: it needs each order's stop terms.
    this.orders.addGlobalSecondaryIndex({
      indexName: ORDERS_INDEX.byArmedSymbol,
      partitionKey: { name: 'armedSymbol', type: AttributeType.STRING },
      sortKey: { name: 'createdKey', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    // Sparse: only orders with an exception an operator has not resolved (and reconciliation's
    // `UNKNOWN_AT_OMS` records) carry `exceptionOpen`, so the exceptions view reads just those
    // (issue 16). Keys only; an order without an exception never enters it.
    this.orders.addGlobalSecondaryIndex({
      indexName: ORDERS_INDEX.byOpenException,
      partitionKey: { name: 'exceptionOpen', type: AttributeType.STRING },
      sortKey: { name: 'createdKey', type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });

    this.idempotency = new Table(this, 'Idempotency', {
      ...common,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });

    this.taskTokens = new Table(this, 'TaskTokens', {
      ...common,
      partitionKey: { name: 'orderId', type: AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
    });

    this.accounts = new Table(this, 'Accounts', {
      ...common,
      partitionKey: { name: 'pk', type: AttributeType.STRING },
    });

    // Read with the quote in one BatchGetItem by symbol (pre-trade risk), listed by a Scan
    // (`GET /v2/assets`: a small table), found by id through the index (`GET /v2/assets/{id}`).
    this.assets = new Table(this, 'Assets', {
      ...common,
      partitionKey: { name: 'symbol', type: AttributeType.STRING },
    });
    this.assets.addGlobalSecondaryIndex({
      indexName: ASSET_ID_INDEX,
      partitionKey: { name: 'id', type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
