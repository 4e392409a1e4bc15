/**
 * The cost model of `npm run cost` (bench/cost/model.ts) against hand-computed list prices, and
 * the meter's arithmetic (local/meter.ts): a reading's delta and totals, and whose request the
 * counting proxy says it was (the OMS's, or the simulated venue's own client's).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { omsShare, venueShare } from '../../bench/cost/cost.js';
import { AWS_PRICES, flowCost, throughputCeilings } from '../../bench/cost/model.js';
import { SIMULATED_VENUE_USER_AGENT } from '../../lambdas/broker-gateway/simulated/venue-client.js';
import {
  emptyReading,
  LocalMeter,
  type MeterReading,
  meterDelta,
  SIMULATED_VENUE_SUFFIX,
  startDynamoDbMeterProxy,
  withoutFunctions,
} from '../../local/meter.js';

const reading = (): MeterReading => ({
  ...emptyReading(),
  dynamodb: {
    Api: { 'Events PutItem': { requests: 2, readUnits: 0, writeUnits: 4 } },
    Apply: { 'Events Query': { requests: 3, readUnits: 6, writeUnits: 0 } },
  },
  lambda: { Api: { invocations: 2, durationMs: 1000 }, Apply: { invocations: 1, durationMs: 500 } },
  stateTransitions: { Lifecycle: 3 },
  events: { OrderFilled: 1, OrderAccepted: 1 },
  sqsMessages: { Reports: 2 },
  httpRequests: 1,
});

const ctx = {
  memoryMb: { Api: 1024, Apply: 512 },
  stateMachineTypes: { Lifecycle: 'STANDARD' as const },
  logBytes: 1024 ** 3 / 1_000_000, // 1 GB per 1M orders
};

describe('flowCost: USD per 1M runs at list prices', () => {
  const p = AWS_PRICES.prices;
  const cost = flowCost(reading(), ctx);
  it.each<[string, number]>([
    ['Step Functions', 3 * p.stepFunctionsStandardPerThousandTransitions * 1000], // $75
    ['DynamoDB', 4 * p.dynamoDbPerMillionWriteUnits + 6 * p.dynamoDbPerMillionReadUnits],
    // 3 requests; 1 s x 1 GB + 0.5 s x 0.5 GB = 1.25 GB-s per order
    ['Lambda', 3 * p.lambdaPerMillionRequests + 1.25 * p.lambdaPerGbSecondArm64 * 1_000_000],
    ['EventBridge', 2 * p.eventBridgePerMillionCustomEvents],
    ['SQS', 2 * 3 * p.sqsPerMillionRequests],
    ['API Gateway', 1 * p.apiGatewayHttpPerMillionRequests],
    // 1 GB of handler logs + 3 transitions x 500 B per 1M orders
    ['CloudWatch Logs', (1 + (3 * 500 * 1_000_000) / 1024 ** 3) * p.cloudWatchLogsPerGbIngested],
    ['X-Ray', 0.05 * p.xRayPerMillionTracesRecorded],
  ])('%s', (service, usd) => {
    expect(cost.perService[service]).toBeCloseTo(usd, 6);
  });

  it('the total is the sum of the services', () => {
    const sum = Object.values(cost.perService).reduce((a, b) => a + b, 0);
    expect(cost.total).toBeCloseTo(sum, 9);
  });

  it('an Express workflow bills per execution, not per transition', () => {
    const express = flowCost(reading(), { ...ctx, stateMachineTypes: { Lifecycle: 'EXPRESS' } });
    expect(express.perService['Step Functions']).toBeCloseTo(p.stepFunctionsExpressPerMillionRequests, 9);
  });
});

describe('throughputCeilings', () => {
  it('lists the binding quota first, with orders per second = limit / use per order', () => {
    const ceilings = throughputCeilings(reading(), ctx);
    const q = AWS_PRICES.quotas;
    // Lambda: 1.5 s of execution per order; StartExecution 1 per order; transitions 3 per order.
    expect(ceilings[0]).toEqual({
      quota: 'Step Functions StartExecution/s (300)',
      ordersPerSecond: q.stepFunctionsStartExecutionPerSecond,
    });
    const byQuota = Object.fromEntries(ceilings.map((c) => [c.quota, c.ordersPerSecond]));
    expect(byQuota['Lambda concurrent executions (1000)']).toBeCloseTo(q.lambdaConcurrentExecutions / 1.5, 6);
    expect(byQuota['Step Functions state transitions/s (5000)']).toBeCloseTo(5000 / 3, 6);
    expect(byQuota['DynamoDB Events write units/s (40000)']).toBeCloseTo(40000 / 4, 6);
    for (let i = 1; i < ceilings.length; i++) {
      expect(ceilings[i]?.ordersPerSecond).toBeGreaterThanOrEqual(ceilings[i - 1]?.ordersPerSecond as number);
    }
  });
});

describe('the meter', () => {
  it('a delta holds only what happened in between, and scheduled functions can be left out', () => {
    const meter = new LocalMeter({ 'phys-events': 'Events' });
    meter.dynamoDb('Api', 'phys-events', 'PutItem', 0, 2);
    meter.invocation('Tick', 10);
    const before = meter.read();
    meter.dynamoDb('Api', 'phys-events', 'PutItem', 0, 2);
    meter.dynamoDb('Api', 'phys-events', 'Query', 1.5, 0);
    meter.invocation('Api', 40);
    meter.invocation('Tick', 10);
    meter.stateEntered('Lifecycle');
    meter.event('OrderFilled');
    meter.sqsMessage('Reports');
    meter.httpRequest();
    const delta = meterDelta(meter.read(), before);
    expect(delta.dynamodb).toEqual({
      Api: {
        'Events PutItem': { requests: 1, readUnits: 0, writeUnits: 2 },
        'Events Query': { requests: 1, readUnits: 1.5, writeUnits: 0 },
      },
    });
    expect(delta.lambda).toEqual({
      Api: { invocations: 1, durationMs: 40 },
      Tick: { invocations: 1, durationMs: 10 },
    });
    expect(withoutFunctions(delta, new Set(['Tick'])).lambda).toEqual({
      Api: { invocations: 1, durationMs: 40 },
    });
    // A scheduled function's simulated-venue requests are left out with it.
    meter.dynamoDb(`Tick${SIMULATED_VENUE_SUFFIX}`, 'Market', 'PutItem', 0, 1);
    expect(
      Object.keys(withoutFunctions(meterDelta(meter.read(), before), new Set(['Tick'])).dynamodb),
    ).toEqual(['Api']);
    expect([delta.stateTransitions, delta.events, delta.sqsMessages, delta.httpRequests]).toEqual([
      { Lifecycle: 1 },
      { OrderFilled: 1 },
      { Reports: 1 },
      1,
    ]);
  });
});

describe('flowLogBytes', () => {
  it("counts every function's log lines but the scheduled functions' (a TWAP's ten minutes of market ticks are not the order's)", () => {
    const { flowLogBytes } = require('../../bench/cost/cost.js') as typeof import('../../bench/cost/cost.js');
    const order = '[OrderApiCreateOrder1A2B] {"level":"INFO","message":"order placed"}';
    const tick = '[BrokerGatewayMarketTick9A44] {"level":"INFO","message":"market tick"}';
    const platform = 'END RequestId: 1';
    const log = Buffer.from(`${order}\n${tick}\n${tick}\n${platform}\n`);
    expect(flowLogBytes(log, new Set(['BrokerGatewayMarketTick9A44']))).toBe(
      Buffer.byteLength(order) + 1 + Buffer.byteLength(platform) + 1,
    );
    expect(flowLogBytes(log, new Set())).toBe(log.length);
  });
});

describe('the counting proxy: whose request it was', () => {
  // A stand-in for DynamoDB Local: every PutItem consumed one write unit on the named table.
  let upstream: Server;
  let target: string;
  beforeAll(async () => {
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const table = (JSON.parse(body) as { TableName: string }).TableName;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ ConsumedCapacity: { TableName: table, CapacityUnits: 1 } }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    target = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

  it("the simulated venue's client is counted apart; the OMS's own reads of the market stay the OMS's", async () => {
    const meter = new LocalMeter();
    const proxy = await startDynamoDbMeterProxy(target, meter);
    const client = (customUserAgent?: string) =>
      new DynamoDBClient({
        endpoint: proxy.endpointFor('Submit'),
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
        ...(customUserAgent === undefined ? {} : { customUserAgent }),
      });
    const put = (TableName: string) => new PutItemCommand({ TableName, Item: { k: { S: 'x' } } });
    try {
      await client().send(put('Market')); // e.g. the router's read through the market-data port
      await client().send(put('Events'));
      await client(SIMULATED_VENUE_USER_AGENT).send(put('Market'));
      await client(SIMULATED_VENUE_USER_AGENT).send(put('VenueOrders'));
    } finally {
      await proxy.close();
    }
    const r = meter.read();
    expect(Object.keys(omsShare(r).dynamodb)).toEqual(['Submit']);
    expect(Object.keys(omsShare(r).dynamodb.Submit ?? {})).toEqual(['Market PutItem', 'Events PutItem']);
    expect(venueShare(r).dynamodb).toEqual({
      [`Submit${SIMULATED_VENUE_SUFFIX}`]: {
        'Market PutItem': { requests: 1, readUnits: 0, writeUnits: 1 },
        'VenueOrders PutItem': { requests: 1, readUnits: 0, writeUnits: 1 },
      },
    });
  });
});
