/**
 * Algorithmic orders through local mode (`npm run bench:algos`, after the in-process session of
 * bench/algos.bench.ts): the whole OMS started in-process, a TWAP and an Iceberg parent placed
 * over HTTP, their `algo-order` workflows run by local Step Functions with real Wait timers, their
 * children traded by the simulated venue.
 *
 * Measured from the parents' audit trails:
 *  - TWAP schedule error: for each slice, the `OrderSliceDecided` time (the child placed in the
 *    same transaction) less the slice time the plan set (recomputed with the core's
 *    `algoParamsFromSpec` + `planFor`, exactly as the workflow's first step did);
 *  - Iceberg shown: the most the parent had working at once (released clips not yet closed; an
 *    upper bound, as a clip's partial fills are not subtracted). Same display_qty (500) as the
 *    in-process run, so the final line's figure is the larger of the two.
 * VWAP tracking needs a tape over a session; it comes from the in-process run.
 *
 * Environment: BENCH_TWAP_SLICES (3: a window of that many minutes, one slice a minute).
 * Last line: `algos twap_schedule_err_ms=<n> vwap_tracking_bps=<n> iceberg_max_shown=<n>`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { algoParamsFromSpec, builtInAlgorithms, planFor } from '../lambdas/core/algos/index.js';
import { formatNanos, nanos, validateOrderRequest } from '../lambdas/core/index.js';
import { startLocalOms } from '../local/oms-local.js';
import { tradingDaySession } from './trading-day.js';

const SLICES = Number(process.env.BENCH_TWAP_SLICES ?? 3);

interface AuditEvent {
  readonly type: string;
  readonly occurred_at: string;
  readonly data: Record<string, unknown>;
}

async function main(): Promise<void> {
  const oms = await startLocalOms({
    port: 0,
    ...tradingDaySession(),
    logFile: join(tmpdir(), 'oms-algos-local.log'),
  });
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${oms.apiUrl}${path}`, {
      method,
      headers: {
        'APCA-API-KEY-ID': oms.apiKeyId,
        'APCA-API-SECRET-KEY': oms.apiSecretKey,
        'content-type': 'application/json',
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const trail = async (id: string) =>
    (await call<{ events: AuditEvent[] }>('GET', `/v2/orders/${id}/events`)).events;
  const waitFor = async (id: string, done: (events: AuditEvent[]) => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const events = await trail(id);
      if (done(events)) return events;
      if (Date.now() > deadline)
        throw new Error(`${id}: not done in ${ms} ms: ${events.map((e) => e.type).join(', ')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  try {
    await oms.warmUp();
    for (const symbol of ['BTWAP', 'BICE'])
      await call('PUT', `/local/market/${symbol}`, {
        bid: '50.00',
        ask: '50.02',
        last: '50.01',
        ask_size: '100000',
      });

    // TWAP: one slice a minute over SLICES minutes, starting 5 s from now.
    const start = Date.now() + 5_000;
    const twapRequest = {
      symbol: 'BTWAP',
      qty: String(10 * SLICES),
      side: 'buy',
      type: 'limit',
      limit_price: '50.10',
      time_in_force: 'day',
      advanced_instructions: {
        algorithm: 'TWAP',
        start_time: new Date(start).toISOString(),
        end_time: new Date(start + SLICES * 60_000).toISOString(),
      },
    };
    const twap = await call<{ id: string; created_at: string }>('POST', '/v2/orders', twapRequest);
    // Iceberg: 5 clips of 500 (the in-process run's display_qty), each replenished as it fills.
    const iceberg = await call<{ id: string }>('POST', '/v2/orders', {
      symbol: 'BICE',
      qty: '2500',
      side: 'buy',
      type: 'limit',
      limit_price: '50.10',
      time_in_force: 'day',
      advanced_instructions: { algorithm: 'DMA', display_qty: '500' },
    });
    const filled = (events: AuditEvent[]) => events.some((e) => e.type === 'OrderFilled');
    const iceEvents = await waitFor(iceberg.id, filled, 60_000);
    let shown = 0;
    let maxShown = 0;
    const clips = new Map<string, number>();
    for (const e of iceEvents) {
      if (e.type === 'OrderSliceDecided' && e.data.decision === 'release') {
        const q = Number(e.data.qty);
        clips.set(String(e.data.childOrderId), q);
        shown += q;
        maxShown = Math.max(maxShown, shown);
      } else if (e.type === 'OrderChildClosed') {
        shown -= clips.get(String(e.data.childOrderId)) ?? 0;
      }
    }
    console.log(`local ICEBERG qty=2500 display_qty=500 clips=${clips.size} max_shown=${maxShown}`);

    const twapEvents = await waitFor(twap.id, filled, (SLICES + 2) * 60_000);
    const spec = validateOrderRequest(twapRequest, { now: Date.parse(twap.created_at) });
    if (!spec.ok) throw new Error('TWAP request');
    const params = algoParamsFromSpec(spec.order, {
      orderId: twap.id,
      now: Date.parse(twap.created_at),
      defaultEndTime: start + SLICES * 60_000,
    });
    if (!params.ok) throw new Error(params.reason);
    const plan = planFor(builtInAlgorithms, params.params);
    const errors: number[] = [];
    for (const e of twapEvents) {
      if (e.type !== 'OrderSliceDecided' || e.data.trigger !== 'slice') continue;
      const slice = plan.slices[Number(e.data.sliceIndex)];
      if (slice !== undefined) errors.push(Date.parse(e.occurred_at) - slice.at);
    }
    console.log(
      `local TWAP qty=${formatNanos(nanos(twapRequest.qty))} slices=${plan.slices.length} decided=${errors.length} ` +
        `release_delay_ms=[${errors.join(', ')}]`,
    );
    const sim = join(tmpdir(), 'oms-algos-sim.json');
    const simulated = existsSync(sim)
      ? (JSON.parse(readFileSync(sim, 'utf8')) as { vwapTrackingBps: number; icebergMaxShown: string })
      : { vwapTrackingBps: Number.NaN, icebergMaxShown: '0' };
    const twapErr = Math.max(...errors.map((x) => Math.abs(x)));
    console.log(
      `algos twap_schedule_err_ms=${twapErr} vwap_tracking_bps=${simulated.vwapTrackingBps} ` +
        `iceberg_max_shown=${Math.max(maxShown, Number(simulated.icebergMaxShown))}`,
    );
  } finally {
    await oms.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
