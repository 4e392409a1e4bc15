/**
 * The flows `npm run cost` measures (issue 12's table), each driven over the Alpaca HTTP API of a
 * metered local mode, one at a time, and read off the meter once everything it set off is done:
 * the orders settled, no workflow running, and the meter still for a while.
 *
 * - market: a market buy that fills at once (one fill);
 * - limit-cancel: a limit buy that rests, then is canceled;
 * - bracket: a marketable bracket buy; its take-profit fills when the bid reaches it (the
 *   stop-loss, armed at the OMS, is canceled at once);
 * - twap: a TWAP parent of N one-minute slices (N minutes of wall time: the slices wait for
 *   their times).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { type MeterReading, meterDelta, withoutFunctions } from '../../local/meter.js';
import type { LocalOms } from '../../local/oms-local.js';

export interface FlowOrder {
  readonly id: string;
  readonly status: string;
  readonly legs?: readonly FlowOrder[] | null;
}

/**
 * The flows' client: writes over HTTP (what a bot pays for), waits by watching the bus in-process
 * (polling `GET /v2/orders` would add the poller's own requests to the flow).
 */
export class FlowClient {
  /** order id -> detail-types of its events seen on the bus. */
  private readonly seen = new Map<string, Set<string>>();
  private readonly waiters = new Set<() => void>();
  readonly close: () => void;

  constructor(private readonly oms: LocalOms) {
    const unsubscribe = oms.eventBridge.subscribe((event) => {
      const detail = event.detail as { metadata?: { orderId?: string } } | undefined;
      const id = detail?.metadata?.orderId;
      if (id === undefined) return;
      const types = this.seen.get(id) ?? new Set<string>();
      this.seen.set(id, types);
      types.add(event['detail-type']);
      for (const wake of this.waiters) wake();
    });
    this.close = () => {
      unsubscribe();
    };
  }

  async expect<T>(status: number, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.oms.apiUrl}${path}`, {
      method,
      headers: {
        'APCA-API-KEY-ID': this.oms.apiKeyId,
        'APCA-API-SECRET-KEY': this.oms.apiSecretKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status} ${text}`);
    return (text === '' ? null : JSON.parse(text)) as T;
  }

  submit(order: Record<string, unknown>): Promise<FlowOrder> {
    return this.expect<FlowOrder>(200, 'POST', '/v2/orders', order);
  }

  async pinQuote(symbol: string, bid: string, ask: string): Promise<void> {
    await this.expect(200, 'PUT', `/local/market/${symbol}`, {
      bid,
      ask,
      last: ask,
      bid_size: '100000',
      ask_size: '100000',
    });
  }

  /** Resolves once the bus has carried an event of one of `detailTypes` for the order. */
  untilEvent(id: string, detailTypes: readonly string[], timeoutMs = 60_000): Promise<void> {
    const done = () => detailTypes.some((t) => this.seen.get(id)?.has(t));
    if (done()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`order ${id}: no ${detailTypes.join('|')} on the bus within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }
}

export interface Flow {
  readonly name: string;
  readonly description: string;
  /** Places the flow's orders and resolves once they are settled. */
  run(client: FlowClient, symbol: string): Promise<void>;
  /**
   * How long the work may go on after `run` resolved before the meter is read (default 60 s): a
   * TWAP parent's workflow waits for its end time even when its slices filled sooner.
   */
  readonly settleMs?: number;
}

export function flows(twapSlices: number): readonly Flow[] {
  return [
    {
      name: 'market',
      description: 'market order, one fill',
      async run(client, symbol) {
        await client.pinQuote(symbol, '100.00', '100.02');
        const o = await client.submit({
          symbol,
          qty: '10',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
        });
        await client.untilEvent(o.id, ['OrderFilled']);
      },
    },
    {
      name: 'limit-cancel',
      description: 'limit rests, then canceled',
      async run(client, symbol) {
        await client.pinQuote(symbol, '100.00', '100.02');
        const o = await client.submit({
          symbol,
          qty: '10',
          side: 'buy',
          type: 'limit',
          limit_price: '95.00',
          time_in_force: 'day',
        });
        await client.untilEvent(o.id, ['OrderAccepted']);
        await client.expect(204, 'DELETE', `/v2/orders/${o.id}`);
        await client.untilEvent(o.id, ['OrderCanceled']);
      },
    },
    {
      name: 'bracket',
      description: 'bracket, take-profit fills',
      async run(client, symbol) {
        await client.pinQuote(symbol, '100.00', '100.02');
        const o = await client.submit({
          symbol,
          qty: '10',
          side: 'buy',
          type: 'market',
          time_in_force: 'day',
          order_class: 'bracket',
          take_profit: { limit_price: '101.00' },
          stop_loss: { stop_price: '98.00' },
        });
        const [tp, sl] = o.legs ?? [];
        if (tp === undefined || sl === undefined) throw new Error('a bracket has two legs');
        await client.untilEvent(o.id, ['OrderFilled']);
        await client.untilEvent(tp.id, ['OrderAccepted']);
        // The stop-loss is armed at the OMS (a group's stop-loss, docs/domain.md "Contingent
        // orders"); `OrderAccepted` too, for a stop-loss at the venue (before that rule).
        await client.untilEvent(sl.id, ['OrderArmed', 'OrderAccepted']);
        await client.pinQuote(symbol, '101.00', '101.02');
        await client.untilEvent(tp.id, ['OrderFilled']);
        await client.untilEvent(sl.id, ['OrderCanceled']);
      },
    },
    {
      name: 'twap',
      description: `TWAP, ${twapSlices} slices`,
      settleMs: (twapSlices + 1) * 60_000,
      async run(client, symbol) {
        await client.pinQuote(symbol, '100.00', '100.02');
        const o = await client.submit({
          symbol,
          qty: String(10 * twapSlices),
          side: 'buy',
          type: 'limit',
          limit_price: '101.00',
          time_in_force: 'day',
          advanced_instructions: {
            algorithm: 'TWAP',
            end_time: new Date(Date.now() + twapSlices * 60_000 - 1_000).toISOString(),
          },
        });
        await client.untilEvent(o.id, ['OrderFilled'], (twapSlices + 2) * 60_000);
      },
    },
  ];
}

/**
 * Waits until nothing more happens: no workflow running and the meter (scheduled functions left
 * out) unchanged for `stillMs`.
 */
export async function untilQuiet(oms: LocalOms, stillMs = 1500, timeoutMs = 60_000): Promise<void> {
  const meter = oms.meter;
  if (meter === undefined) throw new Error('local mode was started without its meter');
  const deadline = Date.now() + timeoutMs;
  const fingerprint = () => JSON.stringify(withoutFunctions(meter.read(), oms.scheduledFunctions));
  let last = fingerprint();
  let stillSince = Date.now();
  for (;;) {
    await delay(100);
    const now = fingerprint();
    if (now !== last || oms.stepFunctions.runningExecutions() > 0) {
      last = now;
      stillSince = Date.now();
    } else if (Date.now() - stillSince >= stillMs) {
      return;
    }
    if (Date.now() > deadline) throw new Error('local mode did not go quiet');
  }
}

/** Runs one flow on its own symbol and returns what it cost (scheduled functions left out). */
export async function measureFlow(oms: LocalOms, flow: Flow, symbol: string): Promise<MeterReading> {
  const meter = oms.meter;
  if (meter === undefined) throw new Error('local mode was started without its meter');
  await untilQuiet(oms);
  const before = meter.read();
  const client = new FlowClient(oms);
  try {
    await flow.run(client, symbol);
  } finally {
    client.close();
  }
  await untilQuiet(oms, 1500, flow.settleMs ?? 60_000);
  return withoutFunctions(meterDelta(meter.read(), before), oms.scheduledFunctions);
}
