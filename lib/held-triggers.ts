/**
 * The held-trigger watcher (every minute): checks the stops the OMS holds for venues that do not
 * hold them natively (lambdas/held-triggers/watch-held-triggers.ts) against the market, and records
 * their trail moves, triggers and IOC/FOK cancels in the event store.
 *
 * Grants: read the orders read model (its sparse `byArmedSymbol` index) and the market; read and
 * append to the event store. Nothing else: the order's workflow sends a triggered order on.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/platform/config.js';
import type { EventStore } from './event-store.js';
import { HANDLERS } from './handlers.js';
import { omsFunction, useTable } from './lambda-defaults.js';

export interface HeldTriggersProps {
  readonly stores: EventStore;
  /** Quotes per symbol (the Broker Gateway's market table). */
  readonly market: ITable;
}

export class HeldTriggers extends Construct {
  /** Watches armed stops for their triggers (schedule: every minute). */
  readonly watcher: NodejsFunction;

  constructor(scope: Construct, id: string, props: HeldTriggersProps) {
    super(scope, id);
    const { stores } = props;
    this.watcher = omsFunction(this, 'WatchHeldTriggers', {
      entry: HANDLERS.watchHeldTriggers,
      description: 'Schedule: checks the stops the OMS holds against the market and triggers them',
      // Under the one-minute period, so runs rarely overlap (conditional appends make overlaps safe).
      timeout: Duration.seconds(50),
    });
    useTable(this.watcher, stores.orders, ENV.ordersTable, 'read');
    useTable(this.watcher, props.market, ENV.marketTable, 'read');
    useTable(this.watcher, stores.events, ENV.eventStoreTable, 'readWrite');
    new Rule(this, 'WatchHeldTriggersSchedule', {
      description: 'Every minute: check the stops the OMS holds for their triggers',
      schedule: Schedule.rate(Duration.minutes(1)),
      // No retries or dead-letter queue: the next run a minute later checks every armed order again.
      targets: [new LambdaFunction(this.watcher, { retryAttempts: 0 })],
    });
  }
}
