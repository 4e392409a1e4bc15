import './env.js';
import { placeOrderResponse } from '../../lambdas/order-api/http.js';
import type { PlaceOrderResult } from '../../lambdas/orders/orders-service.js';

// How POST /v2/orders (and each close of DELETE /v2/positions) answers what placing an order did.
describe('placeOrderResponse', () => {
  it.each<[string, PlaceOrderResult, number, number | undefined, string | undefined]>([
    // A probe: 20 sells at once of a long of 10 lost their races to each other; 14 answered 422
    // "being closed", 4 of them fitting. Nothing was placed: a retry is safe, and says so.
    [
      'a sell or close that lost its race to the position’s other sells: 503, retry',
      { kind: 'closing_claims_changed' },
      503,
      50310000,
      '1',
    ],
    ['rate limited: 429, retry', { kind: 'rate_limited', limit: 5 }, 429, 42910000, '1'],
    [
      'a client order id taken: 422, no retry',
      { kind: 'conflict', field: 'client_order_id', message: 'client_order_id must be unique' },
      422,
      40010001,
      undefined,
    ],
  ])('%s', (_, result, status, code, retryAfter) => {
    const res = placeOrderResponse(result);
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(String(res.body)).code).toBe(code);
    expect(res.headers?.['retry-after']).toBe(retryAfter);
  });
});
