/**
 * Duplicate names in a JSON body (core json-keys.ts; RFC 8259 section 4: names SHOULD be unique,
 * `JSON.parse` keeps the last). A table of the cases a hostile client sends, and properties: a
 * body built from a JavaScript value never has one; a name repeated anywhere is found at its path.
 */
import fc from 'fast-check';
import { duplicateNamePath, exactJsonNumberText, plainDecimalText } from '../../lambdas/core/index.js';

// biome-ignore format: a table
const CASES: readonly [string, string, string | null][] = [
  ['no object', '[1,"a",null]', null],
  ['distinct names', '{"symbol":"AAPL","qty":"1"}', null],
  ['a name twice at the top', '{"symbol":"AAPL","qty":"1","symbol":"MSFT"}', 'symbol'],
  ['the same name spelled with an escape', '{"qty":"1","\\u0071ty":"2"}', 'qty'],
  ['names that differ in case are distinct', '{"qty":"1","QTY":"2"}', null],
  ['the same name in two sibling objects is fine', '[{"a":1},{"a":2}]', null],
  ['the same name at two depths is fine', '{"a":{"a":1}}', null],
  ['twice inside a nested object', '{"take_profit":{"limit_price":"1","limit_price":"2"}}', 'take_profit.limit_price'],
  ['twice inside an array element', '{"legs":[{"x":1},{"x":1,"x":2}]}', 'legs.1.x'],
  ['a value that looks like a name', '{"a":"b","c":"a"}', null],
  ['strings with escaped quotes and commas', '{"a":"x\\",\\"a\\":","b":1,"a":2}', 'a'],
  ['the empty name twice', '{"":1,"":2}', ''],
  ['whitespace everywhere', ' { "a" : 1 ,\n "a" : 2 } ', 'a'],
];

test('text that is not JSON (an unterminated string) ends the scan, it does not hang', () => {
  expect(duplicateNamePath('{"a":1,"a')).toBeNull();
  expect(duplicateNamePath('{"a":"\\')).toBeNull();
});

test.each(CASES)('%s', (_, text, path) => {
  JSON.parse(text); // every row is valid JSON
  expect(duplicateNamePath(text)).toBe(path);
});

test('JSON.stringify of any value has no duplicate name', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => expect(duplicateNamePath(JSON.stringify(v, null, 1))).toBeNull()),
  );
});

test('a name repeated in an object, however deep, is found at its path', () => {
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
      fc.array(fc.oneof(fc.string(), fc.nat({ max: 3 })), { maxLength: 4 }),
      fc.jsonValue(),
      (object, wrap, again) => {
        const name = Object.keys(object)[0] as string;
        // The object with its first name given once more, at the end.
        let text = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(again)}}`;
        const parts = [name];
        // Wrapped in objects and arrays: {"k": ...} or [..., ...] with the object at index n.
        for (const w of wrap) {
          text =
            typeof w === 'string'
              ? `{${JSON.stringify(w)}:${text}}`
              : `[${Array.from({ length: w }, () => '0')
                  .concat(text)
                  .join(',')}]`;
          parts.unshift(String(w));
        }
        // Parts joined by dots; an empty path before a part adds no dot (the body's own names).
        const path = parts.reduce((at, part, i) => (i === 0 || at === '' ? part : `${at}.${part}`));
        expect(duplicateNamePath(text)).toBe(path);
      },
    ),
  );
});

describe('exactJsonNumberText: a JSON number a double cannot hold is read as its exact value', () => {
  // biome-ignore format: a table
  const NUMBERS: readonly [string, string | null][] = [
    // A double holds these exactly (or as the same shortest decimal): left as JSON.parse read them.
    ['10', null], ['0.25', null], ['2.50', null], ['1e2', null], ['1E+2', null], ['-0', null],
    ['0.1', null], ['123.456789', null], ['1.5e-7', null], ['0.30000000000000004', null],
    // Rounded by JSON.parse: the exact value as plain decimal text (a probe's 3 shares from 2.999...).
    ['2.9999999999999999', '2.9999999999999999'],
    ['1.00000000000000000001', '1.00000000000000000001'],
    ['100.000000000000000001', '100.000000000000000001'],
    ['12345678901234567.5', '12345678901234567.5'],
    ['9007199254740993', '9007199254740993'],
    ['-9007199254740993', '-9007199254740993'],
    ['1.00000000000000000001e2', '100.000000000000000001'],
    ['0.100000000000000000001', '0.100000000000000000001'],
    ['1e-30', null], // a double's 1e-30 is that decimal's shortest spelling
    ['1.0000000000000000000001e-30', '0.0000000000000000000000000000010000000000000000000001'],
    // Non-finite: as JSON.parse read it (Infinity, refused as before). Past 64 digits: its own
    // text, never the double (a review: 2. and 66 nines read as 3).
    ['1e400', null], ['1e-400', '1e-400'], [`2.${'9'.repeat(66)}`, `2.${'9'.repeat(66)}`],
  ];
  test.each(NUMBERS)('%s -> %s', (source, exact) => {
    expect(exactJsonNumberText(JSON.parse(source) as number, source)).toBe(exact);
  });

  test('property: a decimal read through it is its exact value, whatever its digits', () => {
    const digits = (min: number, max: number) =>
      fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((d) => d.join(''));
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.oneof(
          fc.constant('0'),
          fc.tuple(fc.constantFrom(...'123456789'), digits(0, 21)).map(([a, b]) => a + b),
        ),
        digits(0, 24),
        (negative, whole, fraction) => {
          const source = `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
          const read = JSON.parse(source) as number;
          const text = exactJsonNumberText(read, source) ?? plainDecimalText(read);
          // The same decimal: leading zeros of the whole part and trailing zeros of the fraction aside.
          const plain = (t: string) => {
            const [w, f = ''] = t.replace(/^-/, '').split('.');
            const value = `${(w as string).replace(/^0+(?=\d)/, '')}.${f.replace(/0+$/, '')}`.replace(
              /\.$/,
              '',
            );
            return value === '0' ? '0' : `${t.startsWith('-') ? '-' : ''}${value}`;
          };
          expect(plain(text)).toBe(plain(source));
        },
      ),
    );
  });
});
