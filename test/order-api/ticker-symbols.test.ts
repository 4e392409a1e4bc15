/**
 * One ticker rule on every route that takes a symbol (core ticker.ts `TICKER_SYMBOL`): an order's
 * `symbol`, a listing's `symbols`, a locate's list and quote queries, a limits policy's symbols and
 * a pinned quote's symbol each take a text exactly when the rule does. The routes that upper-case a
 * symbol check it first: `ß` upper-cases to `SS`; `GET /v2/orders?symbols=ß` listed SS's orders and
 * `DELETE /v2/positions/ß` closed the SS position.
 */
import fc from 'fast-check';
import { pinnedQuoteItem } from '../../lambdas/broker-gateway/simulated/market.js';
import {
  applyAssetInput,
  orderRequestSchema,
  parseLimitsPolicyBody,
  parseLocateListQuery,
  parseLocateQuoteSymbols,
  TICKER_SYMBOL,
} from '../../lambdas/core/index.js';
import { type AccountBook, symbolOf } from '../../lambdas/order-api/account-book.js';
import { parseListParams } from '../../lambdas/order-api/query-orders.js';

/** An account holding nothing: a path names a position by its ticker only. */
const noPositions = { ledger: { positions: {} } } as unknown as AccountBook;

/** Texts near the rule's edges: its own characters, and letters whose upper case is ASCII. */
const symbolText = fc.string({
  unit: fc.constantFrom('A', 'b', 'z', '0', '9', '.', '-', '/', '_', 'é', 'ß', 'ﬀ', 'ı', 'ſ', 'K', '1'),
  minLength: 1,
  maxLength: 23,
});

const takes: Record<string, (s: string) => boolean> = {
  'POST /v2/orders symbol': (symbol) =>
    !(
      orderRequestSchema.safeParse({ symbol, qty: '1', side: 'buy', type: 'market', time_in_force: 'day' })
        .error?.issues ?? []
    ).some((i) => i.path[0] === 'symbol'),
  'GET /v2/orders symbols': (symbols) => parseListParams({ symbols }).ok,
  'GET /v1/locates symbol': (symbol) => parseLocateListQuery({ symbol }).ok,
  'GET /v1/locates/quotes symbols': (symbols) => parseLocateQuoteSymbols(symbols).ok,
  'PUT limits policy symbols': (symbol) =>
    parseLimitsPolicyBody({
      daily_notional: '1000000',
      open_exposure: null,
      modifies_per_second: 5,
      symbols: { [symbol]: { max_order_qty: '10' } },
    }).ok,
  // `DELETE /v2/positions/ß` closed the SS position.
  'GET and DELETE /v2/positions/{symbol}': (symbol) => symbolOf(noPositions, symbol) !== null,
  'the asset master (PUT /local/assets/{symbol})': (symbol) => {
    const built = applyAssetInput(symbol, {}, null);
    return built.ok || !built.errors.some((e) => e.field === 'symbol');
  },
  'POST /local/market/quotes symbol': (symbol) =>
    pinnedQuoteItem(symbol, { bid: '1.00', ask: '1.01', last: '1.00' }, 0).ok,
};

test.each(Object.keys(takes))('%s takes a text exactly when the ticker rule does', (route) => {
  const take = takes[route] as (s: string) => boolean;
  fc.assert(
    fc.property(symbolText, (s) => {
      expect(take(s)).toBe(TICKER_SYMBOL.test(s));
    }),
    { examples: [['ß'], ['ﬀ'], ['ı'], ['BRK.B'], ['brk/b'], ['A'.repeat(22)]] },
  );
});
