/**
 * The cost model of `npm run cost`: what a measured flow (local/meter.ts) costs per 1M orders at
 * the list prices of bench/cost/aws-prices.json, per AWS service, and how many orders a second the
 * default quotas allow (which quota binds first). Pure: readings and prices in, numbers out.
 */
import { dynamoDbTotals, type MeterReading, sumCounts } from '../../local/meter.js';
import pricesFile from './aws-prices.json';

export type PriceFile = typeof pricesFile;
export const AWS_PRICES: PriceFile = pricesFile;

export interface FlowContext {
  /** Memory of each function (logical id -> MB), for GB-seconds. */
  readonly memoryMb: Readonly<Record<string, number>>;
  /** Type of each state machine (logical id -> STANDARD | EXPRESS). */
  readonly stateMachineTypes: Readonly<Record<string, 'STANDARD' | 'EXPRESS'>>;
  /** Handler log bytes the flow wrote (CloudWatch Logs ingestion on AWS). */
  readonly logBytes: number;
}

export interface FlowCost {
  /** USD per 1M runs of the flow, per service. */
  readonly perService: Readonly<Record<string, number>>;
  readonly total: number;
}

const GB = 1024 ** 3;

export function flowCost(r: MeterReading, ctx: FlowContext, file: PriceFile = AWS_PRICES): FlowCost {
  const p = file.prices;
  const a = file.assumptions;
  const M = 1_000_000;
  let invocations = 0;
  let gbSeconds = 0;
  for (const [fn, u] of Object.entries(r.lambda)) {
    invocations += u.invocations;
    const billedMs = Math.max(u.durationMs, u.invocations * a.lambdaMinBilledMs);
    gbSeconds += (billedMs / 1000) * ((ctx.memoryMb[fn] ?? 128) / 1024);
  }
  let standardTransitions = 0;
  let expressRequests = 0;
  for (const [machine, n] of Object.entries(r.stateTransitions)) {
    if ((ctx.stateMachineTypes[machine] ?? 'STANDARD') === 'STANDARD') standardTransitions += n;
    else expressRequests += 1;
  }
  const ddb = dynamoDbTotals(r);
  const events = sumCounts(r.events);
  const messages = sumCounts(r.sqsMessages);
  const logBytes = ctx.logBytes + standardTransitions * a.stepFunctionsLogBytesPerTransition;
  const perService: Record<string, number> = {
    'Step Functions':
      standardTransitions * p.stepFunctionsStandardPerThousandTransitions * 1000 +
      expressRequests * p.stepFunctionsExpressPerMillionRequests,
    DynamoDB: ddb.writeUnits * p.dynamoDbPerMillionWriteUnits + ddb.readUnits * p.dynamoDbPerMillionReadUnits,
    Lambda: invocations * p.lambdaPerMillionRequests + gbSeconds * p.lambdaPerGbSecondArm64 * M,
    EventBridge: events * p.eventBridgePerMillionCustomEvents,
    SQS: messages * a.sqsRequestsPerMessage * p.sqsPerMillionRequests,
    'API Gateway': r.httpRequests * p.apiGatewayHttpPerMillionRequests,
    'CloudWatch Logs': (logBytes / GB) * p.cloudWatchLogsPerGbIngested * M,
    'X-Ray': r.httpRequests * a.xRaySampledFraction * p.xRayPerMillionTracesRecorded,
  };
  const total = Object.values(perService).reduce((x, y) => x + y, 0);
  return { perService, total };
}

export interface Ceiling {
  readonly quota: string;
  readonly ordersPerSecond: number;
}

/** Orders a second each default quota allows for this flow, the binding one first. */
export function throughputCeilings(
  r: MeterReading,
  ctx: FlowContext,
  file: PriceFile = AWS_PRICES,
): Ceiling[] {
  const q = file.quotas;
  const out: Ceiling[] = [];
  const per = (quota: string, limit: number, perOrder: number) => {
    if (perOrder > 0) out.push({ quota, ordersPerSecond: limit / perOrder });
  };
  let lambdaSeconds = 0;
  for (const u of Object.values(r.lambda)) lambdaSeconds += u.durationMs / 1000;
  per('Lambda concurrent executions (1000)', q.lambdaConcurrentExecutions, lambdaSeconds);
  let transitions = 0;
  let starts = 0;
  for (const [machine, n] of Object.entries(r.stateTransitions)) {
    if ((ctx.stateMachineTypes[machine] ?? 'STANDARD') !== 'STANDARD') continue;
    transitions += n;
    starts += 1;
  }
  per('Step Functions state transitions/s (5000)', q.stepFunctionsStandardTransitionsPerSecond, transitions);
  per('Step Functions StartExecution/s (300)', q.stepFunctionsStartExecutionPerSecond, starts);
  const byTable = new Map<string, { read: number; write: number }>();
  for (const ops of Object.values(r.dynamodb)) {
    for (const [key, u] of Object.entries(ops)) {
      const table = key.split(' ')[0] as string;
      const t = byTable.get(table) ?? { read: 0, write: 0 };
      t.read += u.readUnits;
      t.write += u.writeUnits;
      byTable.set(table, t);
    }
  }
  for (const [table, t] of byTable) {
    per(`DynamoDB ${table} write units/s (40000)`, q.dynamoDbTableWriteUnitsPerSecond, t.write);
    per(`DynamoDB ${table} read units/s (40000)`, q.dynamoDbTableReadUnitsPerSecond, t.read);
  }
  per(
    'EventBridge PutEvents/s (10000, one entry each)',
    q.eventBridgePutEventsPerSecond,
    sumCounts(r.events),
  );
  per('API Gateway requests/s (10000)', q.apiGatewayRequestsPerSecond, r.httpRequests);
  return out.sort((x, y) => x.ordersPerSecond - y.ordersPerSecond);
}
