/**
 * Operations: alarms on everything that means "an order may be stuck or an event lost" (any message
 * in a dead-letter queue, failed/timed-out workflows, stream consumers falling behind, bus queues
 * whose oldest message is too old, API 5xx), published to an encrypted SNS topic, and one dashboard
 * for the on-call.
 */

import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from './lambda-defaults.js';

export interface OperationsProps {
  readonly api: HttpApi;
  readonly stateMachine: StateMachine;
  /** Algorithmic parents' schedules (algo-order): failures alarm like the lifecycle's. */
  readonly algoStateMachine?: StateMachine;
  readonly streamConsumers: Record<string, NodejsFunction>;
  readonly deadLetterQueues: Record<string, Queue>;
  /**
   * Queues between a bus rule and a function of ours (lib/broker-gateway.ts `busTargetQueue`): an
   * alarm when the oldest message is older than `maxAge` (records held or failing, consumer stuck).
   */
  readonly watchedQueues?: Record<string, { readonly queue: Queue; readonly maxAge: Duration }>;
  /**
   * Scheduled functions whose failed run leaves orders waiting (the held-trigger watcher: a stop
   * that should have triggered): an alarm on any error.
   */
  readonly scheduledFunctions?: Record<string, NodejsFunction>;
  /** The broker gateway's in-flight check (issue 16): its breaks and failed checks alarm. */
  readonly inFlightCheck?: NodejsFunction;
}

export class Operations extends Construct {
  readonly alarmTopic: Topic;
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { api, stateMachine, streamConsumers, deadLetterQueues } = props;

    // CloudWatch must be able to use the key to publish to an encrypted topic: a customer managed key.
    const key = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the OMS alarm topic',
      enableKeyRotation: true,
    });
    key.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Stockbot OMS alarms',
      masterKey: key,
      enforceSSL: true,
    });
    const action = new SnsAction(this.alarmTopic);

    const alarm = (alarmId: string, metric: IMetric, threshold: number, description: string): Alarm => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
      return a;
    };

    const dlqDepth: IMetric[] = [];
    for (const [name, queue] of Object.entries(deadLetterQueues)) {
      // Alarms take the plain metric (a label would turn it into a metric-math alarm); graphs get labels.
      const metric = queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
      dlqDepth.push(metric.with({ label: name }));
      alarm(`${name}DlqNotEmpty`, metric, 0, `${name}: messages in the dead-letter queue need an operator`);
    }

    const oldestMessage: IMetric[] = [];
    for (const [name, { queue, maxAge }] of Object.entries(props.watchedQueues ?? {})) {
      const metric = queue.metricApproximateAgeOfOldestMessage({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
      oldestMessage.push(metric.with({ label: name }));
      alarm(
        `${name}QueueOldestMessage`,
        metric,
        maxAge.toSeconds(),
        `${name}: a message has waited more than ${maxAge.toSeconds()} s in the queue (failing or held records)`,
      );
    }

    const sfnMetric = { period: Duration.minutes(1), statistic: 'Sum' } as const;
    alarm(
      'ExecutionsFailed',
      stateMachine.metricFailed(sfnMetric),
      0,
      'Order lifecycle executions failed: check the recorded exception of each order',
    );
    alarm(
      'ExecutionsTimedOut',
      stateMachine.metricTimedOut(sfnMetric),
      0,
      'Order lifecycle executions timed out: orders may be stuck',
    );
    if (props.algoStateMachine !== undefined) {
      alarm(
        'AlgoExecutionsFailed',
        props.algoStateMachine.metricFailed(sfnMetric),
        0,
        'Algorithmic parent executions failed: check the recorded exception of each parent',
      );
    }

    for (const [name, fn] of Object.entries(props.scheduledFunctions ?? {})) {
      alarm(
        `${name}Errors`,
        fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
        0,
        `${name} failed a run: orders it should act on may be waiting (see its log)`,
      );
    }

    // An acknowledged cancel or replace is never lost (issue 16): what the in-flight check could
    // not settle on its own is an operator's, at once.
    if (props.inFlightCheck !== undefined) {
      const inFlight = (metricName: string) =>
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { service: 'oms-check-in-flight-requests' },
          period: Duration.minutes(5),
          statistic: 'Sum',
        });
      alarm(
        'InFlightRequestBreak',
        inFlight('InFlightRequestBreaks'),
        0,
        'A cancel or replace outstanding too long could not be settled from the venue status (the order records the break)',
      );
      // The exceptions view's stuck_request kind: a cancel or replace outstanding past the threshold.
      alarm(
        'StuckRequestOrders',
        inFlight('InFlightRequestsFound'),
        0,
        'Orders have a cancel or replace outstanding past the in-flight threshold (GET /v1/exceptions: stuck_request)',
      );
      alarm(
        'InFlightCheckFailed',
        inFlight('InFlightChecksFailed'),
        0,
        'The in-flight check failed for an order: its cancel or replace may still be outstanding (see its log)',
      );
    }

    // Reconciliation (issue 16): a break without a safe repair is an operator's; so is a pass that
    // could not reconcile an order.
    const reconciliation = (metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: 'oms-reconcile-venues' },
        period: Duration.minutes(5),
        statistic: 'Sum',
      });
    alarm(
      'ReconciliationOpenBreak',
      reconciliation('ReconciliationOpenBreaks'),
      0,
      'Reconciliation found a break it cannot repair safely (the order records OrderBreakFound; UNKNOWN_AT_OMS: a break# item in the orders table)',
    );
    alarm(
      'ReconciliationFailed',
      reconciliation('ReconciliationFailures'),
      0,
      'Reconciliation failed for an order: it is retried next pass (see its log)',
    );

    // The bus as a trust boundary (issue 16): a refused sender or a refused execution report is
    // an operator's at once (the refusal is on the bus and in the function's log).
    for (const [alarmId, service, metricName, description] of [
      [
        'ExecutionReportRefused',
        'oms-apply-execution-report',
        'ExecutionReportsRefused',
        'An execution report was refused (not from the gateway, or not about what the OMS sent): ExecutionReportRefused on the bus names it',
      ],
      [
        'OrderRequestSenderRefused',
        'oms-order-requested',
        'InboundOrderSenderRefused',
        'An OrderRequested came from a strategy not entitled to the account: OrderRequestRejected (sender_not_entitled) names it',
      ],
    ] as const) {
      alarm(
        alarmId,
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName,
          dimensionsMap: { service },
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        0,
        description,
      );
    }

    // The exceptions view's stuck_pending_new kind: orders pending_new a minute after submission
    // (the stalled-workflow sweep finds them every minute and restarts their workflow).
    alarm(
      'StuckPendingNewOrders',
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'StalledOrdersFound',
        dimensionsMap: { service: 'oms-start-stalled-workflows' },
        period: Duration.minutes(5),
        statistic: 'Sum',
      }),
      0,
      'Orders are still pending_new a minute after submission (GET /v1/exceptions: stuck_pending_new)',
    );

    const iteratorAge: IMetric[] = [];
    for (const [name, fn] of Object.entries(streamConsumers)) {
      const metric = new Metric({
        namespace: 'AWS/Lambda',
        metricName: 'IteratorAge',
        dimensionsMap: { FunctionName: fn.functionName },
        period: Duration.minutes(1),
        statistic: 'Maximum',
      });
      iteratorAge.push(metric.with({ label: name }));
      alarm(`${name}IteratorAge`, metric, 60_000, `${name} is more than 60 s behind the event store stream`);
    }

    // Slippage monitoring (issue 15): an order's TCA beyond its account's (or strategy's) threshold.
    const orderStream = streamConsumers.OrderStream;
    if (orderStream !== undefined) {
      alarm(
        'SlippageThresholdBreached',
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'SlippageThresholdBreaches',
          dimensionsMap: { service: 'oms-order-stream' },
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        0,
        'An order closed beyond its slippage threshold (SlippageThresholdBreached on the bus names it)',
      );
      // The exceptions view (issue 16): an exception an operator must act on was raised on an order.
      alarm(
        'OperatorExceptionRaised',
        new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'OperatorExceptionsRaised',
          dimensionsMap: { service: 'oms-order-stream' },
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
        0,
        'An order has a new exception for an operator (quarantined execution, workflow exception, open reconciliation break): GET /v1/exceptions',
      );
    }

    const apiMetric = { period: Duration.minutes(1), statistic: 'Sum' } as const;
    const api5xx = api.metricServerError(apiMetric);
    alarm('Api5xx', api5xx, 0, 'The order API answered 5xx: bad input must never be a 5xx');

    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'API latency (ms)',
        left: [
          api.metricLatency({ period: Duration.minutes(1), statistic: 'p50', label: 'p50' }),
          api.metricLatency({ period: Duration.minutes(1), statistic: 'p99', label: 'p99' }),
        ],
      }),
      new GraphWidget({
        title: 'API errors',
        left: [api.metricClientError({ ...apiMetric, label: '4xx' }), api5xx],
      }),
      new GraphWidget({
        title: 'Order lifecycle executions',
        left: [
          stateMachine.metricStarted({ ...sfnMetric, label: 'started' }),
          stateMachine.metricSucceeded({ ...sfnMetric, label: 'succeeded' }),
          stateMachine.metricFailed({ ...sfnMetric, label: 'failed' }),
          stateMachine.metricTimedOut({ ...sfnMetric, label: 'timed out' }),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: 'Stream consumers iterator age (ms)', left: iteratorAge }),
      new GraphWidget({ title: 'Dead-letter queue depth', left: dlqDepth }),
    );
    if (oldestMessage.length > 0)
      this.dashboard.addWidgets(
        new GraphWidget({ title: 'Bus queues: age of the oldest message (s)', left: oldestMessage }),
      );
  }
}
