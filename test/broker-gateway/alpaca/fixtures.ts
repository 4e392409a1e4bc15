/**
 * Recorded shapes of Alpaca's documented Trading API answers and trade_updates messages
 * (docs.alpaca.markets: "Orders", "Account Activities", "Websocket Streaming"), trimmed to the
 * fields the adapter reads plus a few it ignores. Used for the cases this OMS's local mode (the
 * e2e peer) cannot produce: pending_new, calculated, held, trade_bust, done_for_day...
 */
import type {
  AlpacaFillActivity,
  AlpacaOrderJson,
  AlpacaTradeUpdate,
} from '../../../lambdas/broker-gateway/alpaca/mapping.js';

export const ALPACA_ORDER: AlpacaOrderJson & Record<string, unknown> = {
  id: '61e69015-8549-4bfd-b9c3-01e75843f47d',
  client_order_id: 'oms-order-1',
  created_at: '2021-03-16T18:38:01.942282Z',
  updated_at: '2021-03-16T18:38:01.942282Z',
  submitted_at: '2021-03-16T18:38:01.937734Z',
  filled_at: null,
  asset_id: 'b0b6dd9d-8b9b-48a9-ba46-b9d54906e415',
  symbol: 'AAPL',
  asset_class: 'us_equity',
  qty: '15',
  filled_qty: '0',
  filled_avg_price: null,
  order_class: '',
  order_type: 'limit',
  type: 'limit',
  side: 'buy',
  time_in_force: 'day',
  limit_price: '107.00',
  stop_price: null,
  status: 'new',
  extended_hours: false,
  replaced_by: null,
  replaces: null,
};

export function order(over: Partial<AlpacaOrderJson>): AlpacaOrderJson {
  return { ...ALPACA_ORDER, ...over };
}

export function update(
  event: string,
  over: Partial<AlpacaOrderJson> = {},
  extra: Partial<AlpacaTradeUpdate> = {},
): AlpacaTradeUpdate {
  return { event, timestamp: '2021-03-16T18:38:02.000000Z', order: order(over), ...extra };
}

/** Alpaca's documented partial_fill message (execution_id and position_qty included). */
export const PARTIAL_FILL: AlpacaTradeUpdate = update(
  'partial_fill',
  { status: 'partially_filled', filled_qty: '5', filled_avg_price: '106.5' },
  { execution_id: '0d1d3c5e-7b1f-4e4e-9f9c-3b5e1c5d1a11', price: '106.50', qty: '5', position_qty: '5' },
);

/** The FILL activity of the same execution (a different `id` than the stream's execution_id). */
export const FILL_ACTIVITY: AlpacaFillActivity & Record<string, unknown> = {
  id: '20210316183802000::8efc7b9a-8b2b-4000-9955-d36e7db0df74',
  activity_type: 'FILL',
  transaction_time: '2021-03-16T18:38:02.000000Z',
  type: 'partial_fill',
  price: '106.5',
  qty: '5',
  side: 'buy',
  symbol: 'AAPL',
  leaves_qty: '10',
  order_id: ALPACA_ORDER.id,
  cum_qty: '5',
  order_status: 'partially_filled',
};
