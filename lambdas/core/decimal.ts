/**
 * Exact fixed-point decimals for quantities, prices and money.
 *
 * Every value is a `bigint` count of nano-units (1e-9), the finest grain the domain allows
 * (fractional shares to 9 dp). Binary floating point never touches a quantity or a price.
 * A product of two such values (quantity x price) is kept at scale 18 (`Value18`), which is
 * exact too; it only comes back to scale 9 through `divideHalfEven`, the one documented
 * rounding point (average fill price).
 */

/** A decimal at scale 9: `1_000_000_000n` is 1. */
export type Nanos = bigint;
/** A decimal at scale 18: the exact product of two `Nanos`. */
export type Value18 = bigint;

export const SCALE = 9;
export const ONE: Nanos = 1_000_000_000n;
export const ZERO: Nanos = 0n;

export type DecimalParseError = 'not_a_decimal' | 'too_precise';

const POW10: readonly bigint[] = Array.from({ length: SCALE + 1 }, (_, i) => 10n ** BigInt(i));
export const MAX_WHOLE_DIGITS = 20;

/**
 * Parses a non-negative decimal written in plain notation ("100", "0.5", "12.340"): digits,
 * optionally one "." with digits on both sides. Exponents, signs, blanks and more than 9
 * significant fractional digits are refused; the caller decides what zero means.
 * (A hand-written scan: this is on every fill's path, and a regex costs more than the rest.)
 */
export function parseNanos(text: string): Nanos | DecimalParseError {
  const n = text.length;
  if (n === 0) return 'not_a_decimal';
  let dot = -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 46 /* . */) {
      if (dot !== -1 || i === 0 || i === n - 1) return 'not_a_decimal';
      dot = i;
    } else if (c < 48 || c > 57) {
      return 'not_a_decimal';
    }
  }
  if (dot === -1) return n > MAX_WHOLE_DIGITS ? 'not_a_decimal' : BigInt(text) * ONE;
  if (dot > MAX_WHOLE_DIGITS) return 'not_a_decimal';
  let fractionEnd = n;
  if (n - dot - 1 > SCALE) {
    // Trailing zeros beyond the scale carry no information ("1.0000000000" is 1).
    for (let i = dot + 1 + SCALE; i < n; i++) if (text.charCodeAt(i) !== 48) return 'too_precise';
    fractionEnd = dot + 1 + SCALE;
  }
  const fraction = text.slice(dot + 1, fractionEnd);
  return BigInt(text.slice(0, dot)) * ONE + BigInt(fraction) * (POW10[SCALE - fraction.length] as bigint);
}

/** Parses a decimal known to be valid (events written by this core); throws otherwise. */
export function nanos(text: string): Nanos {
  const v = parseNanos(text);
  if (typeof v === 'string') throw new RangeError(`not a decimal: ${text}`);
  return v;
}

/** Canonical text: no exponent, no trailing fractional zeros ("100", "100.5", "0.0001"). */
export function formatNanos(v: Nanos): string {
  const negative = v < 0n;
  const abs = negative ? -v : v;
  const whole = abs / ONE;
  const fraction = abs % ONE;
  const sign = negative ? '-' : '';
  if (fraction === 0n) return `${sign}${whole}`;
  return `${sign}${whole}.${fraction.toString().padStart(SCALE, '0').replace(/0+$/, '')}`;
}

/** A signed decimal as text (a fee may be a rebate: `-0.0020`); `nanos` takes only non-negative ones. */
export function signedNanos(text: string): Nanos {
  return text.startsWith('-') ? -nanos(text.slice(1)) : nanos(text);
}

/** Number of fractional digits the value needs (0..9). */
export function fractionDigits(v: Nanos): number {
  let f = (v < 0n ? -v : v) % ONE;
  if (f === 0n) return 0;
  let digits = SCALE;
  while (f % 10n === 0n) {
    f /= 10n;
    digits--;
  }
  return digits;
}

/** quantity x price, exact, at scale 18. */
export function multiply(a: Nanos, b: Nanos): Value18 {
  return a * b;
}

/** A scale-9 value lifted to scale 18, for comparing with products. */
export function toValue18(v: Nanos): Value18 {
  return v * ONE;
}

/**
 * `numerator / denominator` back at scale 9, rounded half to even (banker's rounding) at the
 * 9th decimal: exact ties go to the even nano, so a long run of averages has no upward drift.
 * `numerator` is at scale 18, `denominator` at scale 9, both non-negative, denominator > 0.
 */
export function divideHalfEven(numerator: Value18, denominator: Nanos): Nanos {
  if (denominator <= 0n) throw new RangeError('division by a non-positive decimal');
  const q = numerator / denominator;
  const r = numerator % denominator;
  const twice = r * 2n;
  if (twice > denominator || (twice === denominator && q % 2n === 1n)) return q + 1n;
  return q;
}

/** Formats a scale-18 value exactly (used for notional amounts). */
export function formatValue18(v: Value18): string {
  const whole = v / (ONE * ONE);
  const fraction = v % (ONE * ONE);
  if (fraction === 0n) return `${whole}`;
  return `${whole}.${fraction
    .toString()
    .padStart(2 * SCALE, '0')
    .replace(/0+$/, '')}`;
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compare(a: Nanos, b: Nanos): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Parses the scale-18 text written by `formatValue18`. */
export function parseValue18(text: string): Value18 {
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(2 * SCALE, '0'));
}

export function max(a: Nanos, b: Nanos): Nanos {
  return a > b ? a : b;
}

/** The smaller of two quantities or prices (bigint has no Math.min). */
export function min(a: Nanos, b: Nanos): Nanos {
  return a < b ? a : b;
}

/** Minimum price increment (Reg NMS Rule 612): $0.01 at or above $1, $0.0001 below. */
export function tickSizeFor(price: Nanos): Nanos {
  return price >= ONE ? 10_000_000n : 100_000n;
}

/**
 * `price` on its tick (Rule 612): rounded down, or up when `up` (a computed stop level rounded away
 * from the market, so it triggers where the exact level would on any price on the tick).
 */
export function onTick(price: Nanos, up: boolean): Nanos {
  const tick = tickSizeFor(price);
  const down = (price / tick) * tick;
  return up && down < price ? down + tick : down;
}

export function isOnTick(price: Nanos): boolean {
  return price % tickSizeFor(price) === 0n;
}
