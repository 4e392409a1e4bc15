/**
 * The body of `PUT /v1/limits-policy` (core limits-policy-body.ts): every problem named by its
 * field with what the field takes; a symbol written as an order's (order-request.ts), never one
 * that an object lookup would confuse (`__proto__`: JSON.parse makes it an own key, a plain object
 * assignment would drop it), never the same symbol twice whatever its case. And `samePolicyLimits`:
 * what makes a PUT a retry that changes nothing.
 */
import fc from 'fast-check';
import {
  type LimitsPolicy,
  NO_POLICY,
  orderRequestSchema,
  parseLimitsPolicyBody,
  samePolicyLimits,
} from '../../lambdas/core/index.js';

const BASE = { daily_notional: '1000000', open_exposure: null, modifies_per_second: 5 };
/** A body as the API reads it (JSON.parse: `__proto__` is an own key). */
const fromJson = (text: string): unknown => JSON.parse(text);
const messageOf = (body: unknown) => {
  const parsed = parseLimitsPolicyBody(body);
  return parsed.ok ? null : parsed.errors.map((e) => e.message).join('; ');
};

describe('parseLimitsPolicyBody refuses, naming the field', () => {
  it.each([
    [
      'not an object',
      [],
      'body: must be a JSON object {daily_notional, open_exposure, modifies_per_second, symbols}',
    ],
    [
      'an empty object: each required field',
      {},
      'daily_notional: is required (null for no limit); open_exposure: is required (null for no limit); modifies_per_second: is required (null for no limit)',
    ],
    [
      'an unknown field, named first',
      { foo: 1 },
      'foo: is not a policy field (daily_notional, open_exposure, modifies_per_second, symbols)',
    ],
    ['symbols as an array', { ...BASE, symbols: [] }, 'symbols: must be an object of limits by symbol'],
    ['symbols null', { ...BASE, symbols: null }, 'symbols: must be an object of limits by symbol'],
    [
      'a symbol null',
      { ...BASE, symbols: { AAPL: null } },
      'symbols.AAPL: must be an object {max_order_qty, price_collar_percent}',
    ],
    ['a symbol an array', { ...BASE, symbols: { AAPL: [] } }, 'symbols.AAPL: must be an object'],
    [
      'a symbol limit not a decimal',
      { ...BASE, symbols: { AAPL: { max_order_qty: 10 } } },
      'symbols.AAPL.max_order_qty: must be null or a non-negative decimal as a string',
    ],
    [
      'an unknown symbol limit',
      { ...BASE, symbols: { AAPL: { max_qty: '1' } } },
      'symbols.AAPL.max_qty: is not a symbol limit (max_order_qty, price_collar_percent)',
    ],
    [
      'a bad daily_notional',
      { ...BASE, daily_notional: '-1' },
      'daily_notional: must be null or a non-negative decimal',
    ],
    [
      'a bad open_exposure',
      { ...BASE, open_exposure: 5 },
      'open_exposure: must be null or a non-negative decimal',
    ],
    [
      'a bad rate',
      { ...BASE, modifies_per_second: 1.5 },
      'modifies_per_second: must be null or an integer from 0 to 10000',
    ],
    [
      'a rate too high',
      { ...BASE, modifies_per_second: 10_001 },
      'modifies_per_second: must be null or an integer',
    ],
    ['a symbol that is no ticker', { ...BASE, symbols: { 'A B': {} } }, 'symbols.A B: is not a symbol'],
    ['a symbol starting with a digit', { ...BASE, symbols: { '1AB': {} } }, 'symbols.1AB: is not a symbol'],
    [
      '__proto__',
      fromJson(
        `{"daily_notional":null,"open_exposure":null,"modifies_per_second":null,"symbols":{"__proto__":{"max_order_qty":"1"}}}`,
      ),
      'symbols.__proto__: is not a symbol (a reserved name)',
    ],
    [
      'constructor',
      { ...BASE, symbols: { constructor: { max_order_qty: '1' } } },
      'symbols.constructor: is not a symbol (a reserved name)',
    ],
    [
      'PROTOTYPE',
      { ...BASE, symbols: { PROTOTYPE: { max_order_qty: '1' } } },
      'symbols.PROTOTYPE: is not a symbol (a reserved name)',
    ],
    [
      'the same symbol twice, in two cases',
      { ...BASE, symbols: { aapl: { max_order_qty: '1' }, AAPL: { max_order_qty: '2' } } },
      'symbols: AAPL is given twice (symbols are case-insensitive)',
    ],
  ])('%s', (_what, body, message) => {
    expect(messageOf(body)).toContain(message);
  });

  it('every field error names a field of the body', () => {
    const parsed = parseLimitsPolicyBody({ foo: 1, daily_notional: 'x', symbols: { AAPL: null } });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors.map((e) => e.field)).toEqual([
      'foo',
      'open_exposure',
      'modifies_per_second',
      'daily_notional',
      'symbols.AAPL',
    ]);
  });
});

describe('parseLimitsPolicyBody accepts', () => {
  it.each([
    ['no symbols', BASE, { ...BASE }],
    ['every limit off', { daily_notional: null, open_exposure: null, modifies_per_second: null }, null],
    [
      'symbols, upper-cased, with "-" and "/" as orders allow',
      {
        ...BASE,
        symbols: { aapl: { max_order_qty: '100' }, 'BRK-B': { price_collar_percent: null }, 'BTC/USD': {} },
      },
      {
        ...BASE,
        symbols: { AAPL: { max_order_qty: '100' }, 'BRK-B': { price_collar_percent: null }, 'BTC/USD': {} },
      },
    ],
  ])('%s', (_what, body, expected) => {
    const parsed = parseLimitsPolicyBody(body);
    expect(parsed).toEqual({ ok: true, body: expected ?? body });
  });

  it('a symbol exactly when an order takes it as its symbol', () => {
    const order = (symbol: string) =>
      orderRequestSchema.safeParse({ symbol, qty: '1', side: 'buy', type: 'market', time_in_force: 'day' })
        .success;
    const reserved = new Set(['__PROTO__', 'CONSTRUCTOR', 'PROTOTYPE']);
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 24 }), fc.stringMatching(/^[A-Za-z][A-Za-z0-9.\-/_ ]{0,22}$/)),
        (symbol) => {
          const policy = parseLimitsPolicyBody({ ...BASE, symbols: { [symbol]: {} } }).ok;
          expect(policy).toBe(order(symbol) && !reserved.has(symbol.toUpperCase()));
        },
      ),
    );
  });
});

describe('samePolicyLimits: a PUT that sets the limits in force changes nothing', () => {
  const policy = (over: Partial<LimitsPolicy>): LimitsPolicy => ({ ...NO_POLICY, version: 3, ...over });
  it.each([
    ['who and when aside', policy({}), policy({ version: 4, changedBy: 'ops-2', changedAt: 'later' }), true],
    [
      'symbols in another order',
      policy({ symbols: { AAPL: { maxOrderQty: '1' }, MSFT: { priceCollarPercent: '5' } } }),
      policy({ symbols: { MSFT: { priceCollarPercent: '5' }, AAPL: { maxOrderQty: '1' } } }),
      true,
    ],
    [
      'a symbol limit left out or null',
      policy({ symbols: { AAPL: { maxOrderQty: '1' } } }),
      policy({ symbols: { AAPL: { maxOrderQty: '1', priceCollarPercent: null } } }),
      true,
    ],
    ['another daily notional', policy({ dailyNotional: '1' }), policy({ dailyNotional: '2' }), false],
    ['another rate', policy({ modifiesPerSecond: 1 }), policy({ modifiesPerSecond: null }), false],
    ['another exposure', policy({ openExposure: '1' }), policy({}), false],
    ['a symbol more', policy({}), policy({ symbols: { AAPL: {} } }), false],
    [
      'another symbol limit',
      policy({ symbols: { AAPL: { maxOrderQty: '1' } } }),
      policy({ symbols: { AAPL: { maxOrderQty: '2' } } }),
      false,
    ],
  ])('%s', (_what, a, b, same) => {
    expect(samePolicyLimits(a, b)).toBe(same);
    expect(samePolicyLimits(b, a)).toBe(same);
  });
});
