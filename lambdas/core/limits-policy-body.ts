/**
 * The body of `PUT /v1/limits-policy` and `PUT /v1/accounts/{id}/limits-policy` (operator keys;
 * the policy is core aggregate-limits.ts): `{"daily_notional", "open_exposure",
 * "modifies_per_second", "symbols"?: {"AAPL": {"max_order_qty"?, "price_collar_percent"?}}}`.
 * The three limits are required (null: off); `symbols` may be left out (no symbol limit).
 * Pure: every problem is a field error naming its field (`symbols.AAPL.max_order_qty`).
 *
 * A symbol is written as an order's symbol is (order-request.ts: a letter, then letters, digits,
 * `.`, `-`, `/`), case-insensitively (stored upper case: `aapl` and `AAPL` in one body are refused
 * as the same symbol twice), and never `__proto__`, `constructor` or `prototype` (names an object
 * lookup would confuse with its own machinery).
 */
import type { LimitsPolicy, SymbolLimits } from './aggregate-limits.js';
import { type FieldError, fieldError } from './field-error.js';
import { TICKER_SYMBOL } from './ticker.js';

export interface LimitsPolicyBody {
  readonly daily_notional: string | null;
  readonly open_exposure: string | null;
  readonly modifies_per_second: number | null;
  /** By symbol, upper case. */
  readonly symbols?: Readonly<
    Record<string, { readonly max_order_qty?: string | null; readonly price_collar_percent?: string | null }>
  >;
}

const RESERVED = new Set(['__PROTO__', 'CONSTRUCTOR', 'PROTOTYPE']);
const LIMIT = /^\d{1,15}(\.\d{1,9})?$/;
const DECIMAL = 'must be null or a non-negative decimal as a string (e.g. "1000000.50")';
const REQUIRED = ['daily_notional', 'open_exposure', 'modifies_per_second'] as const;
const FIELDS = [...REQUIRED, 'symbols'];
const SYMBOL_FIELDS = ['max_order_qty', 'price_collar_percent'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseLimitsPolicyBody(
  body: unknown,
):
  | { readonly ok: true; readonly body: LimitsPolicyBody }
  | { readonly ok: false; readonly errors: FieldError[] } {
  if (!isObject(body))
    return {
      ok: false,
      errors: [fieldError('invalid_type', 'body', `must be a JSON object {${FIELDS.join(', ')}}`)],
    };
  const errors: FieldError[] = [];
  for (const name of Object.keys(body))
    if (!FIELDS.includes(name))
      errors.push(fieldError('unknown_field', name, `is not a policy field (${FIELDS.join(', ')})`));
  for (const name of REQUIRED)
    if (!Object.hasOwn(body, name))
      errors.push(fieldError('required', name, 'is required (null for no limit)'));
  for (const name of ['daily_notional', 'open_exposure'] as const) {
    const v = body[name];
    if (v !== undefined && v !== null && !(typeof v === 'string' && LIMIT.test(v)))
      errors.push(fieldError('invalid_value', name, DECIMAL));
  }
  const rate = body.modifies_per_second;
  if (
    rate !== undefined &&
    rate !== null &&
    !(Number.isInteger(rate) && (rate as number) >= 0 && (rate as number) <= 10_000)
  )
    errors.push(
      fieldError('invalid_value', 'modifies_per_second', 'must be null or an integer from 0 to 10000'),
    );
  const symbols: Record<string, { max_order_qty?: string | null; price_collar_percent?: string | null }> = {};
  if (body.symbols !== undefined) {
    if (!isObject(body.symbols))
      errors.push(
        fieldError(
          'invalid_type',
          'symbols',
          'must be an object of limits by symbol ({"AAPL": {"max_order_qty", "price_collar_percent"}}; leave it out for none)',
        ),
      );
    else
      for (const [name, limits] of Object.entries(body.symbols)) {
        const field = `symbols.${name}`;
        const symbol = name.toUpperCase();
        if (RESERVED.has(symbol)) {
          errors.push(fieldError('invalid_value', field, 'is not a symbol (a reserved name)'));
          continue;
        }
        if (!TICKER_SYMBOL.test(name)) {
          errors.push(
            fieldError(
              'invalid_value',
              field,
              'is not a symbol (a letter, then letters, digits, ".", "-", "/")',
            ),
          );
          continue;
        }
        if (Object.hasOwn(symbols, symbol)) {
          errors.push(
            fieldError('conflict', 'symbols', `${symbol} is given twice (symbols are case-insensitive)`),
          );
          continue;
        }
        if (!isObject(limits)) {
          errors.push(fieldError('invalid_type', field, `must be an object {${SYMBOL_FIELDS.join(', ')}}`));
          continue;
        }
        const out: { max_order_qty?: string | null; price_collar_percent?: string | null } = {};
        for (const [key, v] of Object.entries(limits)) {
          if (!SYMBOL_FIELDS.includes(key))
            errors.push(
              fieldError(
                'unknown_field',
                `${field}.${key}`,
                `is not a symbol limit (${SYMBOL_FIELDS.join(', ')})`,
              ),
            );
          else if (v !== null && !(typeof v === 'string' && LIMIT.test(v)))
            errors.push(fieldError('invalid_value', `${field}.${key}`, DECIMAL));
          else out[key as 'max_order_qty' | 'price_collar_percent'] = v as string | null;
        }
        symbols[symbol] = out;
      }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      daily_notional: body.daily_notional as string | null,
      open_exposure: body.open_exposure as string | null,
      modifies_per_second: rate as number | null,
      ...(body.symbols === undefined ? {} : { symbols }),
    },
  };
}

const limitsOf = (l: SymbolLimits | undefined) => [l?.maxOrderQty ?? null, l?.priceCollarPercent ?? null];

/**
 * The same limits (version and who/when aside): what a retry of the request that set `a` sets
 * again. Whatever order the symbols come in (a stored map's keys may come back in another), and a
 * symbol limit left out the same as null (both: none).
 */
export function samePolicyLimits(a: LimitsPolicy, b: LimitsPolicy): boolean {
  if (a.dailyNotional !== b.dailyNotional || a.openExposure !== b.openExposure) return false;
  if (a.modifiesPerSecond !== b.modifiesPerSecond) return false;
  const symbols = new Set([...Object.keys(a.symbols), ...Object.keys(b.symbols)]);
  for (const s of symbols) {
    const [x, y] = [limitsOf(a.symbols[s]), limitsOf(b.symbols[s])];
    if (!Object.hasOwn(a.symbols, s) || !Object.hasOwn(b.symbols, s) || x[0] !== y[0] || x[1] !== y[1])
      return false;
  }
  return true;
}
