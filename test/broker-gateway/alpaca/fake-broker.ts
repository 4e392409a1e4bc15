/**
 * A tiny in-memory Alpaca-compatible Trading API as a `fetch` function: enough of POST/GET/PATCH/
 * DELETE /v2/orders and the FILL activities for the adapter's unit tests. `calls` records what
 * was asked (headers included) so tests can check what crossed the wire.
 */
import type { AlpacaFillActivity, AlpacaOrderJson } from '../../../lambdas/broker-gateway/alpaca/mapping.js';

export interface Call {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

export class FakeBroker {
  readonly orders: AlpacaOrderJson[] = [];
  readonly fills: AlpacaFillActivity[] = [];
  readonly calls: Call[] = [];
  /** The next answers to force, by `METHOD path-prefix`. */
  readonly forced: { match: string; status: number; body: unknown }[] = [];
  private seq = 0;
  /** Each order's submission time (Alpaca's `submitted_at`): what `GET /v2/orders?after=` filters on. */
  private readonly submittedAt = new Map<string, string>();
  /** The submission time `add` gives an order unless told. */
  now = '2026-12-04T15:00:00Z';

  private json(status: number, body: unknown): Response {
    return new Response(body === null ? null : JSON.stringify(body), { status });
  }

  fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const u = new URL(url);
    const method = init.method ?? 'GET';
    const path = u.pathname;
    const body = init.body === undefined ? undefined : JSON.parse(init.body as string);
    this.calls.push({ method, path: path + u.search, headers: init.headers as Record<string, string>, body });
    const forced = this.forced.findIndex((f) => `${method} ${path}`.startsWith(f.match));
    if (forced >= 0) {
      const [f] = this.forced.splice(forced, 1);
      if (f?.status === 0) throw new TypeError('fetch failed');
      return this.json(f?.status as number, f?.body);
    }
    if (method === 'POST' && path === '/v2/orders') {
      if (this.orders.some((o) => o.client_order_id === body.client_order_id))
        return this.json(422, { code: 40010001, message: 'client_order_id must be unique' });
      return this.json(200, this.add(body.client_order_id, body.symbol, body.side, body.qty ?? null));
    }
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      const o = this.orders.find((x) => x.client_order_id === u.searchParams.get('client_order_id'));
      return o === undefined
        ? this.json(404, { code: 40410000, message: 'order not found' })
        : this.json(200, o);
    }
    if (method === 'GET' && path === '/v2/orders') {
      const open = ['new', 'accepted', 'partially_filled', 'pending_cancel'];
      const status = u.searchParams.get('status');
      // Alpaca's `after`: orders SUBMITTED after it (not changed after it).
      const after = u.searchParams.get('after');
      const from = after === null ? Number.NEGATIVE_INFINITY : Date.parse(after);
      return this.json(
        200,
        this.orders.filter(
          (o) =>
            (status !== 'open' || open.includes(o.status)) &&
            Date.parse(this.submittedAt.get(o.id) ?? this.now) > from,
        ),
      );
    }
    const byId = /^\/v2\/orders\/([^/]+)$/.exec(path);
    if (byId !== null) {
      const i = this.orders.findIndex((o) => o.id === byId[1]);
      const o = this.orders[i];
      if (o === undefined) return this.json(404, { message: 'order not found' });
      if (method === 'GET') return this.json(200, o);
      if (method === 'DELETE') {
        if (o.status === 'filled') return this.json(422, { message: 'order is not cancelable' });
        this.orders[i] = { ...o, status: 'canceled' };
        return this.json(204, null);
      }
      if (method === 'PATCH') {
        const next = this.add(body.client_order_id, o.symbol, o.side, body.qty ?? o.qty, o.id);
        this.orders[i] = { ...o, status: 'replaced', replaced_by: next.id };
        return this.json(200, next);
      }
    }
    if (method === 'GET' && path === '/v2/account/activities/FILL') {
      const after = Date.parse(u.searchParams.get('after') ?? '1970-01-01T00:00:00Z');
      return this.json(
        200,
        this.fills.filter((f) => Date.parse(f.transaction_time) > after),
      );
    }
    return this.json(404, { message: `no route ${method} ${path}` });
  };

  add(
    clientOrderId: string,
    symbol: string,
    side: 'buy' | 'sell',
    qty: string | null,
    replaces: string | null = null,
    submittedAt: string = this.now,
  ) {
    const o: AlpacaOrderJson = {
      id: `alp-${++this.seq}`,
      client_order_id: clientOrderId,
      symbol,
      side,
      status: 'new',
      qty,
      filled_qty: '0',
      filled_avg_price: null,
      updated_at: submittedAt,
      replaces,
      replaced_by: null,
    };
    this.orders.push(o);
    this.submittedAt.set(o.id, submittedAt);
    return o;
  }

  fill(orderId: string, qty: string, price: string, at: string): AlpacaFillActivity {
    const i = this.orders.findIndex((o) => o.id === orderId);
    const o = this.orders[i] as AlpacaOrderJson;
    const cum = String(Number(o.filled_qty) + Number(qty));
    this.orders[i] = {
      ...o,
      filled_qty: cum,
      filled_avg_price: price,
      status: cum === o.qty ? 'filled' : 'partially_filled',
      updated_at: at,
    };
    const a: AlpacaFillActivity = {
      id: `${at}::${this.fills.length}`,
      activity_type: 'FILL',
      transaction_time: at,
      price,
      qty,
      side: o.side,
      symbol: o.symbol,
      order_id: o.id,
      cum_qty: cum,
    };
    this.fills.push(a);
    return a;
  }
}
