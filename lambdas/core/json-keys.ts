/**
 * Duplicate names in a JSON object. RFC 8259 (section 4) says an object's names SHOULD be unique
 * and leaves what a duplicate means to the reader; `JSON.parse` keeps the last. A request body
 * with `"symbol"` twice is ambiguous (a proxy, a log or a signature check may read the first), so
 * the API refuses it rather than guess. Pure: a scan of the text, no parse of the values.
 */

interface Frame {
  /** The names seen so far in an object; null in an array. */
  readonly names: Set<string> | null;
  /** The path of this object or array (`legs.0`, `` for the body itself). */
  readonly path: string;
  /** In an object: the next string is a name. */
  expectName: boolean;
  /** In an object: the last name; in an array: the index of the current element. */
  name: string;
  index: number;
}

const join = (path: string, part: string) => (path === '' ? part : `${path}.${part}`);

/**
 * The path (`a.b`, array elements by index: `legs.0.qty`) of the first name that appears twice in
 * one object of `text`, else null. Names are compared as JSON reads them (`"a"` and `"\u0061"` are
 * the same name). `text` must be valid JSON (`JSON.parse` accepted it).
 */
export function duplicateNamePath(text: string): string | null {
  const stack: Frame[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (end >= text.length) return null; // not JSON: the parser has refused it already
      const top = stack.at(-1);
      if (top?.names && top.expectName) {
        const name = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.names.has(name)) return join(top.path, name);
        top.names.add(name);
        top.expectName = false;
        top.name = name;
      }
      i = end + 1;
      continue;
    }
    if (c === '{' || c === '[') {
      const top = stack.at(-1);
      const path = top === undefined ? '' : join(top.path, top.names ? top.name : String(top.index));
      stack.push({ names: c === '{' ? new Set() : null, path, expectName: c === '{', name: '', index: 0 });
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      const top = stack.at(-1);
      if (top?.names) top.expectName = true;
      else if (top) top.index++;
    }
    i++;
  }
  return null;
}

/** A JSON number's text: sign, integer digits, fraction digits, exponent (RFC 8259 section 6). */
const JSON_NUMBER = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;
/** Past this many digits a number is given as its own text (no decimal field holds it). */
const MAX_EXACT_DIGITS = 64;

/**
 * The exact value of a JSON number whose double is not it, as plain decimal text; else null.
 * `JSON.parse` rounds every number to the nearest double: `"qty": 2.9999999999999999` read as 3,
 * and `1.00000000000000000001` as 1 (a probe placed an order for 3 shares from the first). With
 * the number's source text (the reviver's `context.source`, Node 21+), a body whose number a
 * double cannot hold gets its exact value instead, as text, which the decimal rules then take
 * exactly or refuse by name ("has more than 9 decimal places"). A number a double holds exactly
 * (`10`, `0.25`, `1e2`, `-0`) stays as it is; so does one past 64 digits (`1e400`: Infinity, or
 * `1e-400`: 0, refused as they were).
 */
export function exactJsonNumberText(value: number, source: string): string | null {
  const exact = canonicalDecimal(source);
  if (exact === null || !Number.isFinite(value)) return null;
  const read = canonicalDecimal(String(value));
  if (read !== null && read.sign === exact.sign && read.digits === exact.digits && read.exp === exact.exp)
    return null;
  const { sign, digits, exp } = exact;
  const length = exp >= 0 ? digits.length + exp : Math.max(digits.length, -exp) + 2;
  // Too long to write out: its own text, which no decimal field takes (never the rounded double).
  if (length > MAX_EXACT_DIGITS) return source;
  if (exp >= 0) return `${sign}${digits}${'0'.repeat(exp)}`;
  const whole = digits.length + exp;
  return whole > 0
    ? `${sign}${digits.slice(0, whole)}.${digits.slice(whole)}`
    : `${sign}0.${'0'.repeat(-whole)}${digits}`;
}

/** digits x 10^exp, digits without leading or trailing zeros (zero: no digits, no sign). */
function canonicalDecimal(text: string): { sign: '' | '-'; digits: string; exp: number } | null {
  const m = JSON_NUMBER.exec(text);
  if (m === null) return null;
  const fraction = m[3] ?? '';
  let digits = `${m[2]}${fraction}`.replace(/^0+/, '');
  let exp = Number(m[4] ?? '0') - fraction.length;
  if (!Number.isSafeInteger(exp)) return null;
  const trailing = /0*$/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  if (digits === '') return { sign: '', digits: '', exp: 0 };
  return { sign: m[1] === '-' ? '-' : '', digits, exp };
}

/**
 * `JSON.parse`, with each number a double cannot hold read as its exact decimal text
 * (`exactJsonNumberText`; the reviver's `context.source`, Node 21+). Request bodies and bus
 * requests alike: a number is never rounded into an order.
 */
export function parseJsonExactly(text: string): unknown {
  return JSON.parse(text, (_name, v: unknown, context?: { source?: string }) =>
    typeof v === 'number' && context?.source !== undefined
      ? (exactJsonNumberText(v, context.source) ?? v)
      : v,
  );
}
