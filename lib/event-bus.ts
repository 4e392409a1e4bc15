/**
 * The OMS bus and what hangs off it that is not a Lambda of ours: the archive (replay), the Schema
 * Registry (one JSON Schema per order event, generated from the zod schemas), the subscriber rules of
 * the other teams (Portfolio Manager, Trading Dashboard, Data Warehouse) and the bus policy.
 *
 * Bus policy (issue 16, docs/aws.md "The bus as a trust boundary"): an event delivered to a target
 * does not carry the principal that put it, so the policy makes the `source` an identity:
 * - each strategy of context `oms:strategies` (`{"<id>": "<principal ARN>" | [ARNs]}`) may put only
 *   `OrderRequested` with the source `stockbot.strategy.<id>` (Allow, for cross-account roles), and
 *   every other principal is denied that source (also same-account roles with a broad
 *   events:PutEvents); a `stockbot.strategy*` source of no configured strategy is denied to all;
 * - `stockbot.venue` (execution reports) only from the broker gateway's roles;
 * - `stockbot.oms*` only from the OMS functions that publish.
 * The intake maps the strategy to the accounts it may trade (its `strategy#<id>` entitlement) and the
 * execution report applier checks the source again (core bus-trust.ts): the policy is the first
 * line, the consumers the second.
 */
import { Duration, NestedStack } from 'aws-cdk-lib';
import { type Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { AnyPrincipal, ArnPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { STRATEGY_ID, STRATEGY_SOURCE_PREFIX } from '../lambdas/core/bus-trust.js';
import { eventDetailJsonSchemas } from '../lambdas/core/event-schemas.js';
import { secureQueue } from './lambda-defaults.js';

export const OMS_SOURCE = 'stockbot.oms';
export const VENUE_SOURCE = 'stockbot.venue';
/** What every strategy's source starts with (`stockbot.strategy.<id>`; the intake's rule matches it). */
export const STRATEGY_SOURCE = 'stockbot.strategy';

/** Order events the Portfolio Manager books positions and cash from. */
export const PORTFOLIO_EVENTS = [
  'OrderPartiallyFilled',
  'OrderFilled',
  'OrderCanceled',
  'OrderExpired',
  'OrderReplaced',
  'OrderRejected',
  'OrderDoneForDay',
  // Issue 13: each execution's effect on the account's position, in the account's sequence.
  'PositionChanged',
] as const;

export interface OmsEventBusProps {
  /**
   * The strategies that may send `OrderRequested`, by id, with the principals (role or account
   * ARNs) that send as each: only they may put `stockbot.strategy.<id>`.
   */
  readonly strategies: Readonly<Record<string, readonly string[]>>;
}

/** Who may put the OMS's own sources (`restrictPublishers`). */
export interface BusPublishers {
  /** The broker gateway's roles: the only ones that put `stockbot.venue` (execution reports). */
  readonly venue: readonly IRole[];
  /** The OMS roles that put `stockbot.oms*` (order events, the intake's and gateway's answers ...). */
  readonly oms: readonly IRole[];
}

/** A policy statement id from a strategy id (letters and digits only). */
const sidOf = (id: string) =>
  id
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

export class OmsEventBus extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;
  /** Stand-in queues of the subscriber teams, by consumer name. */
  readonly consumerQueues: Record<'PortfolioManager' | 'TradingDashboard', Queue>;
  /** Dead-letter queues of the rule targets, by name (alarmed by Operations). */
  readonly deadLetterQueues: Record<string, Queue> = {};
  /** The nested stack holding the schema registry and one schema per order event. */
  readonly schemaStack: NestedStack;

  constructor(scope: Construct, id: string, props: OmsEventBusProps) {
    super(scope, id);

    this.bus = new EventBus(this, 'Bus', { eventBusName: 'stockbot-oms' });

    this.archive = this.bus.archive('OmsEvents', {
      description: 'Every stockbot.oms order event, for replay',
      eventPattern: { source: [OMS_SOURCE] },
      retention: Duration.days(365),
    });

    // Schema Registry: one schema per order event (detail of source stockbot.oms, detail-type = type).
    // In a nested stack of its own: 29 resources nothing else references, out of the main stack's
    // 500-resource CloudFormation limit (the always-on venue sessions need room there).
    this.schemaStack = new NestedStack(this, 'EventSchemas', {
      description: 'Schema registry of the stockbot OMS order events',
    });
    const registry = new CfnRegistry(this.schemaStack, 'SchemaRegistry', {
      registryName: 'stockbot-oms',
      description: 'Order events of the stockbot OMS (detail of source stockbot.oms)',
    });
    for (const [detailType, schema] of Object.entries(eventDetailJsonSchemas())) {
      new CfnSchema(this.schemaStack, `Schema${detailType}`, {
        registryName: registry.attrRegistryName,
        schemaName: `${OMS_SOURCE}@${detailType}`,
        type: 'JSONSchemaDraft4',
        description: `detail of ${detailType}`,
        content: JSON.stringify(schema),
      });
    }

    // Subscribers. SQS queues stand in for the Portfolio Manager and the Trading Dashboard.
    const portfolio = this.consumerQueue('PortfolioManager');
    new Rule(this, 'PortfolioManagerRule', {
      eventBus: this.bus,
      description: 'Fills, cancels, expiries, replacements and rejections to the Portfolio Manager',
      eventPattern: { source: [OMS_SOURCE], detailType: [...PORTFOLIO_EVENTS] },
      targets: [new SqsQueue(portfolio.queue, { deadLetterQueue: portfolio.dlq, retryAttempts: 185 })],
    });
    const dashboard = this.consumerQueue('TradingDashboard');
    new Rule(this, 'TradingDashboardRule', {
      eventBus: this.bus,
      description: 'All OMS order events to the Trading Dashboard',
      eventPattern: { source: [OMS_SOURCE] },
      targets: [new SqsQueue(dashboard.queue, { deadLetterQueue: dashboard.dlq, retryAttempts: 185 })],
    });
    this.consumerQueues = { PortfolioManager: portfolio.queue, TradingDashboard: dashboard.queue };

    // The Data Warehouse's rules, streams and bucket: lib/data-warehouse.ts (issue 15).

    // Each strategy puts only its own source; no one else puts it; unknown strategy sources: no one.
    const configured: string[] = [];
    for (const [id, principals] of Object.entries(props.strategies)) {
      if (!STRATEGY_ID.test(id))
        throw new Error(`oms:strategies: ${id} is not a strategy id (lowercase letters, digits, "-")`);
      if (principals.length === 0) throw new Error(`oms:strategies: ${id} names no principal`);
      const source = `${STRATEGY_SOURCE_PREFIX}${id}`;
      configured.push(source);
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid: `Strategy${sidOf(id)}PutsItsOrderRequests`,
          effect: Effect.ALLOW,
          principals: principals.map((arn) => new ArnPrincipal(arn)),
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: { StringEquals: { 'events:source': source, 'events:detail-type': 'OrderRequested' } },
        }),
      );
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid: `OnlyStrategy${sidOf(id)}PutsItsSource`,
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            StringEquals: { 'events:source': source },
            ArnNotLike: { 'aws:PrincipalArn': [...principals] },
          },
        }),
      );
    }
    this.bus.addToResourcePolicy(
      new PolicyStatement({
        sid: 'NoUnconfiguredStrategySource',
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          StringLike: { 'events:source': `${STRATEGY_SOURCE}*` },
          ...(configured.length === 0 ? {} : { StringNotEquals: { 'events:source': configured } }),
        },
      }),
    );
  }

  /**
   * The OMS's own sources (issue 16): `stockbot.venue` only from the broker gateway's roles,
   * `stockbot.oms*` only from the OMS roles that publish. Called once every publisher exists.
   */
  restrictPublishers(publishers: BusPublishers): void {
    const deny = (sid: string, source: Record<string, Record<string, string>>, roles: readonly IRole[]) =>
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid,
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            ...source,
            ArnNotEquals: { 'aws:PrincipalArn': [...new Set(roles)].map((r) => r.roleArn) },
          },
        }),
      );
    deny(
      'OnlyBrokerGatewayPutsVenueReports',
      { StringEquals: { 'events:source': VENUE_SOURCE } },
      publishers.venue,
    );
    deny('OnlyOmsPutsOmsSources', { StringLike: { 'events:source': `${OMS_SOURCE}*` } }, publishers.oms);
  }

  /** Registers a rule target's dead-letter queue so Operations alarms on it. */
  addDeadLetterQueue(name: string, queue: Queue): void {
    this.deadLetterQueues[name] = queue;
  }

  private consumerQueue(name: 'PortfolioManager' | 'TradingDashboard'): { queue: Queue; dlq: Queue } {
    // The DLQ is both the queue's redrive target and the rule target's dead-letter queue.
    const dlq = secureQueue(this, `${name}Dlq`);
    const queue = secureQueue(this, `${name}Queue`, { deadLetterQueue: dlq });
    this.deadLetterQueues[name] = dlq;
    return { queue, dlq };
  }
}
