import fc from 'fast-check';
import {
  compare,
  divideHalfEven,
  formatNanos,
  formatValue18,
  fractionDigits,
  isOnTick,
  max,
  multiply,
  type Nanos,
  nanos,
  ONE,
  parseNanos,
  tickSizeFor,
  toValue18,
} from '../../lambdas/core/decimal';

/** Nanos written as an exact integer count, so the tables do not depend on parseNanos. */
const n = (whole: bigint, frac9 = 0n): Nanos => whole * ONE + frac9;

describe('parseNanos', () => {
  test.each<[string, Nanos]>([
    ['0', 0n],
    ['1', ONE],
    ['100', n(100n)],
    ['0.5', 500_000_000n],
    ['10.50', n(10n, 500_000_000n)],
    ['12.340', n(12n, 340_000_000n)],
    ['0.0001', 100_000n],
    ['0.000000001', 1n],
    ['123.456789012', n(123n, 456_789_012n)],
    ['007.5', n(7n, 500_000_000n)],
    ['1.000000000', ONE],
    // Trailing zeros beyond the 9th decimal carry no information.
    ['1.0000000000', ONE],
    ['1.00000000000000000000', ONE],
    ['0.0000000010', 1n],
    ['2.1234567890000', n(2n, 123_456_789n)],
    ['99999999999999999999', n(99999999999999999999n)],
    ['99999999999999999999.999999999', n(99999999999999999999n, 999_999_999n)],
  ])('%j -> %s nanos', (text, expected) => {
    expect(parseNanos(text)).toBe(expected);
  });

  test.each(['0.0000000001', '1.0000000001', '1.00000000010', '0.1234567891', '5.0000000000001'])(
    '%j is too_precise',
    (text) => {
      expect(parseNanos(text)).toBe('too_precise');
    },
  );

  test.each([
    '',
    '1e3',
    '1E3',
    '-1',
    '+1',
    '-0.5',
    'abc',
    ' 1',
    '1 ',
    '\t1',
    '1.',
    '.5',
    '.',
    '1.2.3',
    '1,5',
    '1_000',
    '0x10',
    'Infinity',
    'NaN',
    '１', // full-width digit
    '123456789012345678901', // 21 whole digits
    '123456789012345678901.5',
  ])('%j is not_a_decimal', (text) => {
    expect(parseNanos(text)).toBe('not_a_decimal');
  });

  test('matches an independent reading of whole.fraction with any number of trailing zeros', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n - 1n }),
        fc.stringMatching(/^\d{1,9}$/),
        fc.nat({ max: 12 }),
        (whole, fraction, zeros) => {
          const text = `${whole}.${fraction}${'0'.repeat(zeros)}`;
          const expected = whole * ONE + BigInt(fraction.padEnd(9, '0'));
          expect(parseNanos(text)).toBe(expected);
        },
      ),
    );
  });
});

describe('nanos', () => {
  test('parses valid text', () => {
    expect(nanos('10.25')).toBe(n(10n, 250_000_000n));
  });
  test.each(['1e3', '0.0000000001', ''])('throws a RangeError on %j', (text) => {
    expect(() => nanos(text)).toThrow(RangeError);
  });
});

describe('formatNanos', () => {
  test.each<[Nanos, string]>([
    [0n, '0'],
    [ONE, '1'],
    [1n, '0.000000001'],
    [100_000n, '0.0001'],
    [n(10n, 500_000_000n), '10.5'],
    [n(100n), '100'],
    [n(123n, 456_789_012n), '123.456789012'],
    [n(1n, 10_000_000n), '1.01'],
    [-n(1n, 500_000_000n), '-1.5'],
    [-1n, '-0.000000001'],
    [n(99999999999999999999n, 999_999_999n), '99999999999999999999.999999999'],
  ])('%s -> %j', (v, text) => {
    expect(formatNanos(v)).toBe(text);
  });

  test('round-trips through parseNanos and is canonical (no exponent, no trailing fractional zero)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 29n - 1n }), (v) => {
        const text = formatNanos(v);
        expect(text).toMatch(/^(0|[1-9]\d{0,19})(\.\d{0,8}[1-9])?$/);
        expect(parseNanos(text)).toBe(v);
      }),
    );
  });

  test('canonicalises any spelling of the same value', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 29n - 1n }), fc.nat({ max: 5 }), (v, zeros) => {
        const canonical = formatNanos(v);
        const padded = canonical.includes('.')
          ? `${canonical}${'0'.repeat(zeros)}`
          : `${canonical}.${'0'.repeat(zeros + 1)}`;
        expect(formatNanos(nanos(padded))).toBe(canonical);
      }),
    );
  });
});

describe('fractionDigits', () => {
  test.each<[Nanos, number]>([
    [0n, 0],
    [ONE, 0],
    [n(12345n), 0],
    [500_000_000n, 1],
    [n(12n, 340_000_000n), 2],
    [100_000n, 4],
    [1n, 9],
    [n(7n, 123_456_789n), 9],
    [-n(1n, 250_000_000n), 2],
  ])('%s has %i fractional digits', (v, digits) => {
    expect(fractionDigits(v)).toBe(digits);
  });

  test('equals the length of the canonical fraction', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (v) => {
        expect(fractionDigits(v)).toBe(formatNanos(v).split('.')[1]?.length ?? 0);
      }),
    );
  });
});

describe('tick size (Reg NMS Rule 612)', () => {
  test.each<[string, string, boolean]>([
    // [price, tick, on tick]
    ['1', '0.01', true],
    ['1.01', '0.01', true],
    ['1.001', '0.01', false],
    ['1.005', '0.01', false],
    ['100.1', '0.01', true],
    ['100.105', '0.01', false],
    ['12345.67', '0.01', true],
    ['0.99', '0.0001', true],
    ['0.9999', '0.0001', true],
    ['0.99999', '0.0001', false],
    ['0.999999999', '0.0001', false],
    ['0.1234', '0.0001', true],
    ['0.12345', '0.0001', false],
    ['0.0001', '0.0001', true],
    ['0.00005', '0.0001', false],
    ['0.000000001', '0.0001', false],
  ])('%s: tick %s, on tick %s', (price, tick, onTick) => {
    expect(formatNanos(tickSizeFor(nanos(price)))).toBe(tick);
    expect(isOnTick(nanos(price))).toBe(onTick);
  });

  test('the tick switches exactly at $1', () => {
    expect(tickSizeFor(ONE - 1n)).toBe(100_000n);
    expect(tickSizeFor(ONE)).toBe(10_000_000n);
  });

  test('a price is on tick exactly when it is a whole number of its ticks', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 15n }), (v) => {
        const cents = v >= ONE;
        const digits = fractionDigits(v);
        expect(isOnTick(v)).toBe(cents ? digits <= 2 : digits <= 4);
      }),
    );
  });
});

describe('compare and max', () => {
  test.each<[Nanos, Nanos, -1 | 0 | 1]>([
    [0n, 0n, 0],
    [1n, 2n, -1],
    [2n, 1n, 1],
    [nanos('10.5'), nanos('10.50'), 0],
    [nanos('0.9999'), ONE, -1],
    [-ONE, 0n, -1],
  ])('compare(%s, %s) = %i', (a, b, expected) => {
    expect(compare(a, b)).toBe(expected);
  });

  test('agrees with < and = on arbitrary values, and is antisymmetric', () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.bigInt(), (a, b) => {
        const c = compare(a, b);
        expect(c).toBe(a < b ? -1 : a === b ? 0 : 1);
        expect(compare(b, a)).toBe(-c === 0 ? 0 : -c);
        expect(max(a, b)).toBe(c >= 0 ? a : b);
      }),
    );
  });
});

describe('multiply / toValue18 / formatValue18', () => {
  test.each<[string, string, string]>([
    ['1', '1', '1'],
    ['3', '10.01', '30.03'],
    ['0.5', '0.0001', '0.00005'],
    ['0.000000001', '0.000000001', '0.000000000000000001'],
    ['100', '0', '0'],
  ])('%s x %s = %s exactly', (a, b, product) => {
    expect(formatValue18(multiply(nanos(a), nanos(b)))).toBe(product);
  });

  test('toValue18 keeps the value', () => {
    expect(formatValue18(toValue18(nanos('12.5')))).toBe('12.5');
  });
});

describe('divideHalfEven', () => {
  test.each<[bigint, bigint, bigint]>([
    // numerator / denominator in raw integer units: the quotient rounded half to even.
    [0n, 7n, 0n],
    [20n, 10n, 2n],
    [24n, 10n, 2n],
    [25n, 10n, 2n], // 2.5 -> 2 (tie, even)
    [26n, 10n, 3n],
    [15n, 10n, 2n], // 1.5 -> 2 (tie, even)
    [35n, 10n, 4n], // 3.5 -> 4 (tie, even)
    [5n, 10n, 0n], // 0.5 -> 0 (tie, even)
    [1n, 3n, 0n],
    [2n, 3n, 1n],
  ])('%s / %s -> %s', (num, den, q) => {
    expect(divideHalfEven(num, den)).toBe(q);
  });

  test('average fill price: 1 @ 10.00 and 2 @ 10.01 averages 10.006666667', () => {
    const value = multiply(nanos('1'), nanos('10')) + multiply(nanos('2'), nanos('10.01'));
    expect(formatNanos(divideHalfEven(value, nanos('3')))).toBe('10.006666667');
  });

  test('a scale-18 value divided by a scale-9 value comes back at scale 9', () => {
    expect(divideHalfEven(toValue18(nanos('12.5')), ONE)).toBe(nanos('12.5'));
    expect(formatNanos(divideHalfEven(toValue18(nanos('1')), nanos('3')))).toBe('0.333333333');
    expect(formatNanos(divideHalfEven(toValue18(nanos('2')), nanos('3')))).toBe('0.666666667');
  });

  test.each([0n, -1n])('throws a RangeError for denominator %s', (den) => {
    expect(() => divideHalfEven(10n, den)).toThrow(RangeError);
  });

  test('is the exact quotient rounded half to even', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 1n, max: 10n ** 20n }),
        (num, den) => {
          const q = divideHalfEven(num, den);
          const error = q * den - num; // (q - num/den) scaled by den
          const twice = 2n * (error < 0n ? -error : error);
          expect(twice <= den).toBe(true);
          if (twice === den) expect(q % 2n).toBe(0n);
        },
      ),
    );
  });

  test('rounds exact ties to the even neighbour', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 20n }),
        fc.bigInt({ min: 1n, max: 10n ** 10n }),
        (k, half) => {
          // (2k+1)/2 scaled by den = 2*half: exactly k + 0.5.
          const den = 2n * half;
          const num = (2n * k + 1n) * half;
          expect(divideHalfEven(num, den)).toBe(k % 2n === 0n ? k : k + 1n);
        },
      ),
    );
  });
});
