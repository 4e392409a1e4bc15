/**
 * `npm run cost`: each flow of bench/cost/flows.ts through a metered local mode, one at a time,
 * and what it costs: DynamoDB requests and capacity units, Lambda invocations (with their measured
 * durations), state transitions, events, messages, HTTP requests; then USD per 1M runs per AWS
 * service at the list prices of bench/cost/aws-prices.json, and the throughput ceiling under the
 * default quotas.
 *
 * The simulated venue's own work (its book in VenueOrders, its reads of the market it makes: the
 * requests of its own client, local/meter.ts) is counted apart: a real venue behind the port costs
 * the OMS nothing in DynamoDB. The OMS's reads of the market (the API's, the router's) are the OMS's. Scheduled
 * functions (the market tick, the held-trigger watcher, the stalled-workflow sweeper) cost a fixed
 * amount a minute, not per order, and are left out of the flows.
 *
 * Environment: COST_FLOWS (market,limit-cancel,bracket,twap), COST_TWAP_SLICES (10: the TWAP flow
 * takes that many minutes), COST_JSON (write the readings there).
 * Last line: `cost market_usd_per_1m=<n> requests=<n> wru=<n> invocations=<n> transitions=<n>`.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dynamoDbTotals,
  lambdaTotals,
  type MeterReading,
  SIMULATED_VENUE_SUFFIX,
  sumCounts,
} from '../../local/meter.js';
import { type LocalOms, startLocalOms } from '../../local/oms-local.js';
import { tradingDaySession } from '../trading-day.js';
import { flows, measureFlow } from './flows.js';
import { AWS_PRICES, type FlowContext, flowCost, throughputCeilings } from './model.js';

/** The simulated venue's share: the requests its own client made (local/meter.ts). */
export function venueShare(r: MeterReading): MeterReading {
  const dynamodb: MeterReading['dynamodb'] = {};
  for (const [fn, ops] of Object.entries(r.dynamodb))
    if (fn.endsWith(SIMULATED_VENUE_SUFFIX)) dynamodb[fn] = ops;
  return { dynamodb, lambda: {}, stateTransitions: {}, events: {}, sqsMessages: {}, httpRequests: 0 };
}

/** The reading without the venue's share (what the OMS itself costs). */
export function omsShare(r: MeterReading): MeterReading {
  const dynamodb: MeterReading['dynamodb'] = {};
  for (const [fn, ops] of Object.entries(r.dynamodb))
    if (!fn.endsWith(SIMULATED_VENUE_SUFFIX)) dynamodb[fn] = ops;
  return { ...r, dynamodb };
}

const fmt = (n: number, dp = 2) => n.toFixed(dp);
const short = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

function report(name: string, description: string, r: MeterReading, ctx: FlowContext): string[] {
  const oms = omsShare(r);
  const venue = dynamoDbTotals(venueShare(r));
  const d = dynamoDbTotals(oms);
  const l = lambdaTotals(r);
  const cost = flowCost(oms, ctx);
  const lines = [
    `## ${name}: ${description}`,
    `dynamodb requests=${d.requests} wru=${fmt(d.writeUnits, 1)} rru=${fmt(d.readUnits, 1)}` +
      `   (simulated venue, not counted: requests=${venue.requests} wru=${fmt(venue.writeUnits, 1)} rru=${fmt(venue.readUnits, 1)})`,
    `lambda invocations=${l.invocations} duration_ms=${fmt(l.durationMs, 0)}   transitions=${sumCounts(r.stateTransitions)}` +
      `   events=${sumCounts(r.events)}   sqs_messages=${sumCounts(r.sqsMessages)}   http_requests=${r.httpRequests}   log_bytes=${ctx.logBytes}`,
  ];
  for (const [fn, ops] of [...Object.entries(oms.dynamodb), ...Object.entries(venueShare(r).dynamodb)]) {
    const parts = Object.entries(ops).map(
      ([key, u]) =>
        `${short(key.split(' ')[0] as string).replace(/^EventStore|^BrokerGateway/, '')}.${key.split(' ')[1]}×${u.requests}${u.writeUnits > 0 ? `(${u.writeUnits}w)` : ''}`,
    );
    lines.push(`  ${short(fn).padEnd(40)} ${parts.join(' ')}`);
  }
  lines.push(
    `  invocations: ${Object.entries(r.lambda)
      .map(
        ([fn, u]) =>
          `${short(fn).replace(/^OrderLifecycle|^StreamConsumers|^BrokerGateway|^OrderApi/, '')}×${u.invocations}`,
      )
      .join(' ')}`,
  );
  const counted = (m: Readonly<Record<string, number>>) =>
    Object.entries(m)
      .map(([k, n]) => `${short(k)}×${n}`)
      .join(' ');
  lines.push(`  events: ${counted(r.events)}`, `  sqs messages: ${counted(r.sqsMessages)}`);
  lines.push(
    `  usd per 1M: ${Object.entries(cost.perService)
      .filter(([, v]) => v >= 0.005)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${fmt(v)}`)
      .join(', ')}; total ${fmt(cost.total)}`,
  );
  const ceilings = throughputCeilings(oms, ctx);
  const first = ceilings[0];
  if (first !== undefined) {
    lines.push(
      `  ceiling: ${fmt(first.ordersPerSecond, 0)} orders/s, bound by ${first.quota}; next: ${ceilings
        .slice(1, 3)
        .map((c) => `${c.quota} ${fmt(c.ordersPerSecond, 0)}`)
        .join(', ')}`,
    );
  }
  return lines;
}

/**
 * The log bytes a flow wrote: every line of the handlers' log (`[<function logical id>] {...}`)
 * but the scheduled functions' (the market tick logs every second whatever the orders do; a
 * 10-minute TWAP would otherwise pay for 600 ticks).
 */
export function flowLogBytes(log: Buffer, scheduledFunctions: ReadonlySet<string>): number {
  let bytes = 0;
  for (const line of log.toString('utf8').split('\n')) {
    if (line === '') continue;
    const id = /^\[([^\]]+)\]/.exec(line)?.[1];
    if (id !== undefined && scheduledFunctions.has(id)) continue;
    bytes += Buffer.byteLength(line) + 1;
  }
  return bytes;
}

async function main(): Promise<void> {
  const names = (process.env.COST_FLOWS ?? 'market,limit-cancel,bracket,twap').split(',');
  const slices = Number(process.env.COST_TWAP_SLICES ?? 10);
  const dir = mkdtempSync(join(tmpdir(), 'oms-cost-'));
  const logFile = join(dir, 'handlers.log');
  writeFileSync(logFile, '');
  let oms: LocalOms | undefined;
  try {
    oms = await startLocalOms({
      port: 0,
      meter: true,
      logFile,
      ...tradingDaySession(),
    });
    const memoryMb = Object.fromEntries(oms.topology.functions.map((f) => [f.logicalId, f.memoryMb]));
    const stateMachineTypes = Object.fromEntries(
      oms.topology.stateMachines.map((m) => [m.logicalId, m.type]),
    );
    const results: Record<string, MeterReading> = {};
    let marketLine = '';
    // One market order of the demo account first, not counted: each flow is then the account's next
    // order in warm functions, as the per-order budget test measures it (the account's first order
    // in a container also reads its ledger and its trade_updates head: 2 requests more).
    const warm = flows(slices).find((f) => f.name === 'market');
    if (warm !== undefined) await measureFlow(oms, warm, 'COSTWARM');
    console.log(
      "each flow follows one market order of the same account (not counted): an account's first order in a container reads its ledger and trade_updates head, 2 requests more",
    );
    for (const flow of flows(slices).filter((f) => names.includes(f.name))) {
      const symbol = `COST${flow.name
        .replace(/[^a-z]/g, '')
        .slice(0, 4)
        .toUpperCase()}`;
      const logBefore = statSync(logFile).size;
      const r = await measureFlow(oms, flow, symbol);
      const ctx: FlowContext = {
        memoryMb,
        stateMachineTypes,
        logBytes: flowLogBytes(readFileSync(logFile).subarray(logBefore), oms.scheduledFunctions),
      };
      results[flow.name] = r;
      console.log(report(flow.name, flow.description, r, ctx).join('\n'));
      if (flow.name === 'market') {
        const oms1 = omsShare(r);
        const d = dynamoDbTotals(oms1);
        marketLine =
          `cost market_usd_per_1m=${fmt(flowCost(oms1, ctx).total)} requests=${d.requests} wru=${fmt(d.writeUnits, 1)}` +
          ` invocations=${lambdaTotals(r).invocations} transitions=${sumCounts(r.stateTransitions)}`;
      }
    }
    if (process.env.COST_JSON) writeFileSync(process.env.COST_JSON, JSON.stringify(results, null, 2));
    console.log(
      `prices: bench/cost/aws-prices.json (${AWS_PRICES.region}); load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    if (marketLine !== '') console.log(marketLine);
  } finally {
    await oms?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
