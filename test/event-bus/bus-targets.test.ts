/**
 * Bus-invoked functions are fed through SQS queues (lib/broker-gateway.ts `busTargetQueue`): the
 * rule targets the queue, only the rule may send to it, the function consumes it with partial
 * batch failures, the queue redrives to a dead-letter queue, and Operations alarms on the age of
 * each queue's oldest message. Also the venue book's sparse outbox index (the tick's sweep).
 */
import {
  BUS_QUEUE_MAX_MESSAGE_AGE,
  BUS_QUEUE_MAX_RECEIVE_COUNT,
  BUS_QUEUE_VISIBILITY_FACTOR,
} from '../../lib/broker-gateway.js';
import { omsTemplate } from '../infra/synthesized.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
type Json = Record<string, any>;

let resources: Record<string, Json>;

// The stack as deployed (cdk.json's context), synthesized once for the run (test/infra/synthesized.ts).
beforeAll(async () => {
  resources = (await omsTemplate()).Resources as Record<string, Json>;
});

const ofType = (type: string): [string, Json][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as [string, Json][];
const getAttId = (v: unknown): string | undefined =>
  (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
const refId = (v: unknown): string | undefined => (v as { Ref?: string } | undefined)?.Ref;
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function functionId(service: string): string {
  const ids = ofType('AWS::Lambda::Function')
    .filter(([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service)
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

function ruleFor(source: string, detailType: string): [string, Json] {
  const rules = ofType('AWS::Events::Rule').filter(([, r]) => {
    const p = r.Properties.EventPattern as Json | undefined;
    // A source is named as itself or as a prefix (every strategy's `stockbot.strategy.<id>`).
    const sources = (p?.source ?? []) as (string | { prefix?: string })[];
    const named = sources.some((s) => s === source || (typeof s === 'object' && s.prefix === source));
    return named && p?.['detail-type']?.includes(detailType);
  });
  expect(rules).toHaveLength(1);
  return rules[0] as [string, Json];
}

function queuePolicyStatements(queueId: string): Json[] {
  return ofType('AWS::SQS::QueuePolicy')
    .filter(([, p]) => (p.Properties.Queues as unknown[]).some((q) => refId(q) === queueId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

const CASES = [
  { source: 'stockbot.venue', detailType: 'ExecutionReport', service: 'oms-apply-execution-report' },
  { source: 'stockbot.oms', detailType: 'OrderCancelRequested', service: 'oms-forward-to-venue' },
  { source: 'stockbot.strategy', detailType: 'OrderRequested', service: 'oms-order-requested' },
];

describe.each(CASES)('$detailType -> queue -> $service', ({ source, detailType, service }) => {
  const wiring = () => {
    const [ruleId, rule] = ruleFor(source, detailType);
    const targets = rule.Properties.Targets as Json[];
    expect(targets).toHaveLength(1);
    const target = targets[0] as Json;
    const queueId = getAttId(target.Arn) as string;
    const fnId = functionId(service);
    return { ruleId, target, queueId, queue: resources[queueId] as Json, fnId };
  };

  test('the rule targets an encrypted queue (retries; undeliverable events to the DLQ)', () => {
    const { target, queue } = wiring();
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    // One dead-letter queue for both: what the rule could not deliver and what the queue gave up on.
    expect(getAttId(target.DeadLetterConfig.Arn)).toBe(
      getAttId(queue.Properties.RedrivePolicy.deadLetterTargetArn),
    );
  });

  test('redrive after the max receives; visibility timeout >= 6x the function timeout', () => {
    const { queue, fnId } = wiring();
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(BUS_QUEUE_MAX_RECEIVE_COUNT);
    const dlq = resources[getAttId(queue.Properties.RedrivePolicy.deadLetterTargetArn) as string];
    expect(dlq?.Properties.SqsManagedSseEnabled).toBe(true);
    const fnTimeout = resources[fnId]?.Properties.Timeout as number;
    expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      BUS_QUEUE_VISIBILITY_FACTOR * fnTimeout,
    );
  });

  test('the function consumes the queue: partial batch failures, small batch, short window', () => {
    const { queueId, fnId } = wiring();
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => getAttId(m.Properties.EventSourceArn) === queueId,
    );
    expect(mappings).toHaveLength(1);
    const m = (mappings[0] as [string, Json])[1].Properties;
    expect(refId(m.FunctionName)).toBe(fnId);
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.BatchSize).toBeLessThanOrEqual(10);
    expect(m.MaximumBatchingWindowInSeconds ?? 0).toBeLessThanOrEqual(1);
  });

  test('EventBridge no longer invokes the function (no async invoke, no dropped events)', () => {
    const { fnId } = wiring();
    const busInvokes = ofType('AWS::Lambda::Permission').filter(
      ([, p]) =>
        getAttId(p.Properties.FunctionName) === fnId && p.Properties.Principal === 'events.amazonaws.com',
    );
    expect(busInvokes).toEqual([]);
  });

  test('only the rule may send to the queue, and only over TLS', () => {
    const { queueId, ruleId } = wiring();
    const statements = queuePolicyStatements(queueId);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows.length).toBeGreaterThan(0);
    for (const s of allows) {
      expect(s.Principal).toEqual({ Service: 'events.amazonaws.com' });
      expect(asList(s.Action)).toContain('sqs:SendMessage');
      expect(asList(s.Action).every((a: string) => !/Receive|Delete|Purge|\*/.test(a))).toBe(true);
      expect(getAttId(s.Condition?.ArnEquals?.['aws:SourceArn'])).toBe(ruleId);
    }
    const denies = statements.filter((s) => s.Effect === 'Deny');
    expect(denies).toEqual([
      expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]);
  });

  test('the oldest message is alarmed on, and every alarm notifies the topic', () => {
    const { queueId } = wiring();
    const alarms = ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter(
        (a) =>
          a.MetricName === 'ApproximateAgeOfOldestMessage' && getAttId(a.Dimensions?.[0]?.Value) === queueId,
      );
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      Threshold: BUS_QUEUE_MAX_MESSAGE_AGE.toSeconds(),
      ComparisonOperator: 'GreaterThanThreshold',
      Statistic: 'Maximum',
    });
    expect(alarms[0]?.AlarmActions).toHaveLength(1);
  });
});

test('venue book: sparse byOutboxPending index, so every tick finds the unpublished reports', () => {
  const venue = ofType('AWS::DynamoDB::Table').filter(([, t]) =>
    (t.Properties.GlobalSecondaryIndexes ?? []).some((g: Json) => g.IndexName === 'byRestingSymbol'),
  );
  expect(venue).toHaveLength(1);
  const gsis = (venue[0] as [string, Json])[1].Properties.GlobalSecondaryIndexes as Json[];
  expect(gsis.find((g) => g.IndexName === 'byOutboxPending')).toEqual({
    IndexName: 'byOutboxPending',
    KeySchema: [
      { AttributeName: 'outboxPending', KeyType: 'HASH' },
      { AttributeName: 'orderId', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'KEYS_ONLY' },
  });
});
