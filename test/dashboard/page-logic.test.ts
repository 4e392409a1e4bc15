/**
 * The page's own logic, in Node (the browser test covers the page as a whole): what it derives from
 * an order's events (venue, arrival, slippage sign, fills, quote points), and its trade_updates
 * client against a stand-in server speaking the stream protocol: text and binary frames, backoff
 * after a drop, resume with `after_stream_seq`, no duplicate, an unauthorized key.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket as ServerSocket, WebSocket, WebSocketServer } from 'ws';

// The page's modules are plain browser ES modules (no types); jest compiles them to CommonJS.
type Json = Record<string, unknown>;
const format = require('../../dashboard/format.js') as {
  venueOf(events: Json[]): string | null;
  arrivalOf(events: Json[]): { mid: number; midText: string } | null;
  slippageBps(order: Json, arrival: { mid: number } | null): number | null;
  fillsOf(events: Json[]): { at: string; qty: string; price: string; venue: string | null }[];
  quotesOf(events: Json[]): { at: string; bid: number; ask: number }[];
  bps(v: number | null): string;
  money(v: string | null): string;
};
interface StreamClient {
  lastSeq: number | null;
  start(): void;
  stop(): void;
}
const { TradeStream } = require('../../dashboard/stream.js') as {
  TradeStream: new (
    key: { keyId: string; secret: string },
    handlers: { onUpdate: (u: Json) => void; onState: (state: string, text: string) => void },
  ) => StreamClient;
};

const ev = (seq: number, type: string, data: Json) => ({
  seq,
  type,
  occurred_at: `2030-01-02T15:00:0${seq}Z`,
  data,
});

describe('what the page derives from the events', () => {
  const filled = [
    ev(1, 'OrderSubmitted', { order: { symbol: 'AAPL' } }),
    ev(2, 'OrderAccepted', { venueOrderId: 'v-1' }),
    ev(3, 'OrderPartiallyFilled', { lastQty: '4', lastPx: '100.02', venue: 'SIMX' }),
    ev(4, 'OrderFilled', { lastQty: '6', lastPx: '100.04', venue: 'SIMY' }),
  ];

  test('venue: the last event naming one; fills with their venue; none on an unfilled order', () => {
    expect(format.venueOf(filled)).toBe('SIMY');
    expect(format.venueOf(filled.slice(0, 2))).toBeNull();
    expect(format.venueOf([ev(1, 'OrderArmed', { venue: 'SIMX' })])).toBe('SIMX');
    expect(format.fillsOf(filled)).toEqual([
      { at: '2030-01-02T15:00:03Z', qty: '4', price: '100.02', venue: 'SIMX' },
      { at: '2030-01-02T15:00:04Z', qty: '6', price: '100.04', venue: 'SIMY' },
    ]);
  });

  test('no event carries an arrival quote: no arrival, no slippage (never a made-up figure)', () => {
    expect(format.arrivalOf(filled)).toBeNull();
    expect(format.slippageBps({ side: 'buy', filled_avg_price: '100.03' }, null)).toBeNull();
    expect(format.bps(null)).toBe('\u2014');
  });

  test('with an arrival quote on the first event: slippage in bps, positive = worse for the side', () => {
    const withArrival = [
      ev(1, 'OrderSubmitted', { arrival: { bid: '99.98', ask: '100.02', mid: '100.00' } }),
    ];
    const arrival = format.arrivalOf(withArrival);
    expect(arrival?.mid).toBe(100);
    // A buy at 100.03 paid 3 bps over the mid: worse, positive. A sell there got 3 bps more: negative.
    expect(format.slippageBps({ side: 'buy', filled_avg_price: '100.03' }, arrival)).toBeCloseTo(3, 9);
    expect(format.slippageBps({ side: 'sell', filled_avg_price: '100.03' }, arrival)).toBeCloseTo(-3, 9);
    expect(format.slippageBps({ side: 'sell', filled_avg_price: '99.95' }, arrival)).toBeCloseTo(5, 9);
    expect(format.slippageBps({ side: 'buy', filled_avg_price: null }, arrival)).toBeNull();
    // No mid given: the midpoint of bid and ask.
    expect(
      format.arrivalOf([ev(1, 'OrderSubmitted', { arrival: { bid: '10', ask: '10.10' } })])?.mid,
    ).toBeCloseTo(10.05, 9);
    expect(format.quotesOf(withArrival)).toEqual([{ at: '2030-01-02T15:00:01Z', bid: 99.98, ask: 100.02 }]);
  });

  test("the OMS's own record: the quote its pre-trade check read, on OrderSubmitted.acceptedAgainst", () => {
    const submitted = [
      ev(1, 'OrderSubmitted', { acceptedAgainst: { quote: { bid: '50.00', ask: '50.02' } } }),
    ];
    const arrival = format.arrivalOf(submitted);
    expect(arrival?.midText).toBe('50.01');
    expect(arrival?.mid).toBeCloseTo(50.01, 9);
    expect(format.slippageBps({ side: 'buy', filled_avg_price: '50.02' }, arrival)).toBeCloseTo(1.9996, 3);
    // A one-sided quote has no mid: nothing shown.
    expect(
      format.arrivalOf([
        ev(1, 'OrderSubmitted', { acceptedAgainst: { quote: { bid: null, ask: '50.02' } } }),
      ]),
    ).toBeNull();
  });

  test('a trigger carries a quote point; money keeps the API digits', () => {
    expect(
      format.quotesOf([ev(2, 'OrderTriggered', { triggerPrice: '9', bid: '8.99', ask: '9.01' })]),
    ).toEqual([{ at: '2030-01-02T15:00:02Z', bid: 8.99, ask: 9.01 }]);
    expect(format.money('1234567.891')).toBe('1,234,567.891');
    expect(format.money('-5000')).toBe('-5,000');
  });
});

describe('the trade_updates client', () => {
  let server: WebSocketServer;
  const listens: Json[] = [];
  const sockets: ServerSocket[] = [];
  let authorize = true;
  /** What the stand-in sends after `listening`, per connection (index = connection number). */
  let script: ((ws: ServerSocket) => void)[] = [];

  const update = (seq: number, event: string) =>
    JSON.stringify({
      stream: 'trade_updates',
      data: { event, stream_seq: seq, order: { id: `o-${seq}`, status: event }, timestamp: '' },
    });

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/stream' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    server.on('connection', (ws) => {
      const n = sockets.push(ws) - 1;
      ws.on('message', (raw) => {
        const msg = JSON.parse(raw.toString()) as { action: string; data: Json };
        if (msg.action === 'authenticate') {
          const ok = authorize && msg.data.key_id === 'K' && msg.data.secret_key === 'S';
          // Binary, as some servers send it: the client must decode it.
          ws.send(
            Buffer.from(
              JSON.stringify({
                stream: 'authorization',
                data: { action: 'authenticate', status: ok ? 'authorized' : 'unauthorized' },
              }),
            ),
            { binary: true },
          );
        } else if (msg.action === 'listen') {
          listens.push(msg.data);
          ws.send(JSON.stringify({ stream: 'listening', data: { streams: ['trade_updates'] } }));
          script[n]?.(ws);
        }
      });
    });
    const g = globalThis as Json;
    g.location = { protocol: 'http:', host: `127.0.0.1:${(server.address() as AddressInfo).port}` };
    if (g.WebSocket === undefined) g.WebSocket = WebSocket;
  });

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const until = async (check: () => boolean, what: string, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  test('authenticates, listens, takes text and binary frames; after a drop it retries and resumes after the last seq, without duplicates', async () => {
    script = [
      (ws) => {
        ws.send(update(1, 'new'));
        ws.send(Buffer.from(update(2, 'partial_fill')), { binary: true });
        // Then the connection drops (no close frame).
        setTimeout(() => ws.terminate(), 50);
      },
      (ws) => {
        ws.send(update(2, 'partial_fill')); // replayed again by an overlapping resume: dropped
        ws.send(update(3, 'fill'));
      },
    ];
    const updates: Json[] = [];
    const states: string[] = [];
    const client = new TradeStream(
      { keyId: 'K', secret: 'S' },
      { onUpdate: (u) => updates.push(u), onState: (s, text) => states.push(`${s}: ${text}`) },
    );
    client.start();
    try {
      await until(() => updates.length >= 3, 'three updates');
      expect(updates.map((u) => [u.stream_seq, u.event])).toEqual([
        [1, 'new'],
        [2, 'partial_fill'],
        [3, 'fill'],
      ]);
      expect(listens[0]).toEqual({ streams: ['trade_updates'] });
      expect(listens[1]).toEqual({ streams: ['trade_updates'], after_stream_seq: 2 });
      expect(client.lastSeq).toBe(3);
      // It said it was down (and retrying) between the two live periods.
      const down = states.findIndex((s) => s.startsWith('down: dropped'));
      expect(down).toBeGreaterThan(states.indexOf('live: live'));
      expect(states[down]).toMatch(/retrying in \d+ s/);
      expect(states.slice(down)).toContain('live: live (resumed after #2)');
    } finally {
      client.stop();
    }
  });

  test('a refused key: it says so and does not listen', async () => {
    authorize = false;
    script = [];
    const before = listens.length;
    const states: string[] = [];
    const client = new TradeStream(
      { keyId: 'K', secret: 'bad' },
      { onUpdate: () => {}, onState: (s, t) => states.push(`${s}: ${t}`) },
    );
    client.start();
    try {
      await until(() => states.includes('down: stream refused the key'), 'the refusal');
      expect(listens.length).toBe(before);
    } finally {
      client.stop();
      authorize = true;
    }
  });
});
