/**
 * The OMS bus and what hangs off it that is not a Lambda of ours: the archive (replay), the Schema
 * Registry (one JSON Schema per order event, generated from the zod schemas), the subscriber rules of
 * the other teams (Portfolio Manager, Trading Dashboard, Data Warehouse) and the bus policy.
 *
 * Bus policy decision: `stockbot.strategy` events (inbound OrderRequested) may be put only by the
 * principals named in context `oms:strategyPrincipalArns` (cross-account roles of the Strategy
 * Orchestrator): they get an Allow conditioned on `events:source = stockbot.strategy`, and every other
 * principal gets an explicit Deny for that source (also same-account roles that hold a broad
 * events:PutEvents). With the list empty (default) no policy is attached and only same-account IAM
 * decides. OMS functions put `stockbot.oms` / `stockbot.venue` through their own IAM grants.
 */
import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { CfnRegistry, CfnSchema } from 'aws-cdk-lib/aws-eventschemas';
import { AnyPrincipal, ArnPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { eventDetailJsonSchemas } from '../lambdas/core/event-schemas.js';
import { secureQueue } from './lambda-defaults.js';

export const OMS_SOURCE = 'stockbot.oms';
export const VENUE_SOURCE = 'stockbot.venue';
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
  /** Principals (role/account ARNs) allowed to put `stockbot.strategy` events. */
  readonly strategyPrincipalArns: readonly string[];
}

export class OmsEventBus extends Construct {
  readonly bus: EventBus;
  readonly archive: Archive;
  /** Stand-in queues of the subscriber teams, by consumer name. */
  readonly consumerQueues: Record<'PortfolioManager' | 'TradingDashboard', Queue>;
  /** Dead-letter queues of the rule targets, by name (alarmed by Operations). */
  readonly deadLetterQueues: Record<string, Queue> = {};

  constructor(scope: Construct, id: string, props: OmsEventBusProps) {
    super(scope, id);

    this.bus = new EventBus(this, 'Bus', { eventBusName: 'stockbot-oms' });

    this.archive = this.bus.archive('OmsEvents', {
      description: 'Every stockbot.oms order event, for replay',
      eventPattern: { source: [OMS_SOURCE] },
      retention: Duration.days(365),
    });

    // Schema Registry: one schema per order event (detail of source stockbot.oms, detail-type = type).
    const registry = new CfnRegistry(this, 'SchemaRegistry', {
      registryName: 'stockbot-oms',
      description: 'Order events of the stockbot OMS (detail of source stockbot.oms)',
    });
    for (const [detailType, schema] of Object.entries(eventDetailJsonSchemas())) {
      new CfnSchema(this, `Schema${detailType}`, {
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

    // Only the named Strategy Orchestrator principals may put stockbot.strategy events.
    if (props.strategyPrincipalArns.length > 0) {
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'StrategyOrchestratorMayPutOrderRequests',
          effect: Effect.ALLOW,
          principals: props.strategyPrincipalArns.map((arn) => new ArnPrincipal(arn)),
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: { StringEquals: { 'events:source': STRATEGY_SOURCE } },
        }),
      );
      this.bus.addToResourcePolicy(
        new PolicyStatement({
          sid: 'OnlyStrategyOrchestratorPutsStrategyEvents',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: {
            StringEquals: { 'events:source': STRATEGY_SOURCE },
            ArnNotLike: { 'aws:PrincipalArn': [...props.strategyPrincipalArns] },
          },
        }),
      );
    }
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
