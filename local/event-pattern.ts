/**
 * EventBridge event patterns (content filtering), for local mode's bus rules and for the event
 * source mappings' filter criteria (Lambda uses the same pattern language).
 *
 * Semantics, as the EventBridge User Guide ("Event patterns", "Content filtering in Amazon
 * EventBridge event patterns") describes them:
 * - A pattern is a JSON object; every field in it must match (AND). A field's value is either a
 *   nested pattern object or a non-empty array of matchers, any of which may match (OR).
 * - Matchers: literal strings, numbers, booleans and null (exact, type-sensitive: `"5"` is not `5`;
 *   numbers compare as numbers); `prefix`, `suffix` (both also `{equals-ignore-case: ...}`),
 *   `equals-ignore-case`, `wildcard`, `anything-but` (a value, a list, or `prefix`/`suffix`/
 *   `equals-ignore-case`/`wildcard` with a string or a list), `numeric` (one bound, `=`, or a lower
 *   and an upper bound; JSON numbers only), `exists`, `cidr` (IPv4 and IPv6, strings only).
 * - `$or` (an array of at least two sub-patterns) may appear at any level.
 * - Matching works on leaves (strings, numbers, booleans, null). An event array matches when any
 *   of its elements matches; an object or an empty array is not a leaf, so `exists: false` matches
 *   an intermediate node and every other matcher (anything-but included) fails on it as on a
 *   missing field.
 * - Array consistency: the fields of one sub-pattern must match within the same element of an
 *   event array (like EventBridge's array-consistent matching). When a sub-pattern has only
 *   `exists: false` constraints, the fields must be absent from every element of the array.
 *
 * Patterns are validated and compiled once (`compilePattern`); `matchesPattern` caches the
 * compiled form per pattern object.
 */
import { BlockList, isIP } from 'node:net';

/** Thrown by `compilePattern`/`matchesPattern` for a pattern EventBridge would reject. */
export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternError';
  constructor(readonly problems: readonly string[]) {
    super(`Event pattern is not valid: ${problems.join('; ')}`);
  }
}

/** The most alternatives `$or` may expand a pattern to before it counts as too complex. */
export const MAX_PATTERN_ALTERNATIVES = 1000;

type Scalar = string | number | boolean | null;
type ValueTest = (value: Scalar) => boolean;

type LeafTest =
  | { readonly kind: 'exists'; readonly exists: boolean }
  | { readonly kind: 'value'; readonly test: ValueTest };

interface LeafConstraint {
  readonly kind: 'leaf';
  readonly tests: readonly LeafTest[];
  /** True when the constraint holds for a missing field (it has an `exists: false` matcher). */
  readonly matchesAbsent: boolean;
}

interface NodeConstraint {
  readonly kind: 'node';
  readonly node: Conjunction;
}

/** A `$or`-free pattern object: every field constraint must hold. */
interface Conjunction {
  readonly fields: readonly { readonly key: string; readonly constraint: LeafConstraint | NodeConstraint }[];
  /** True when some constraint needs a present value (so it pins an element of an event array). */
  readonly positive: boolean;
}

type Field = Conjunction['fields'][number];

export type CompiledPattern = (event: unknown) => boolean;

/** Problems with the pattern (EventBridge would reject it); empty when it is valid. */
export function validatePattern(pattern: unknown): string[] {
  const problems: string[] = [];
  compileTerms(pattern, problems);
  return problems;
}

/** Validates and compiles a pattern (an object, or its JSON text); throws InvalidEventPatternError. */
export function compilePattern(pattern: unknown): CompiledPattern {
  const problems: string[] = [];
  const terms = compileTerms(pattern, problems);
  if (problems.length > 0) throw new InvalidEventPatternError(problems);
  return (event) => terms.some((term) => matchConjunction(term, event));
}

const compiled = new WeakMap<object, CompiledPattern>();
const compiledText = new Map<string, CompiledPattern>();

/** Whether the event matches the pattern; throws InvalidEventPatternError for an invalid pattern. */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  let fn: CompiledPattern | undefined;
  if (typeof pattern === 'string') {
    fn = compiledText.get(pattern);
    if (!fn) {
      fn = compilePattern(pattern);
      if (compiledText.size >= 1000) compiledText.clear();
      compiledText.set(pattern, fn);
    }
  } else if (typeof pattern === 'object' && pattern !== null) {
    fn = compiled.get(pattern);
    if (!fn) {
      fn = compilePattern(pattern);
      compiled.set(pattern, fn);
    }
  } else {
    fn = compilePattern(pattern);
  }
  return fn(event);
}

// ---------------------------------------------------------------------------------------------
// Matching

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function matchConjunction(term: Conjunction, value: unknown): boolean {
  if (Array.isArray(value)) {
    // Array consistency: one element must satisfy the whole sub-pattern; a purely negative
    // sub-pattern (only exists:false) needs its fields absent from every element.
    return term.positive
      ? value.some((element) => matchConjunction(term, element))
      : value.every((element) => matchConjunction(term, element));
  }
  const object = isPlainObject(value) ? value : undefined;
  for (const { key, constraint } of term.fields) {
    const fieldValue = object && Object.hasOwn(object, key) ? object[key] : undefined;
    const ok =
      constraint.kind === 'node'
        ? matchConjunction(constraint.node, fieldValue)
        : matchLeaf(constraint, leavesOf(fieldValue));
    if (!ok) return false;
  }
  return true;
}

function leavesOf(value: unknown, out: Scalar[] = []): Scalar[] {
  if (Array.isArray(value)) {
    for (const element of value) leavesOf(element, out);
  } else if (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  ) {
    out.push(value);
  }
  return out;
}

function matchLeaf(constraint: LeafConstraint, leaves: readonly Scalar[]): boolean {
  if (leaves.length === 0) return constraint.matchesAbsent;
  for (const t of constraint.tests) {
    if (t.kind === 'exists') {
      if (t.exists) return true;
    } else if (leaves.some(t.test)) {
      return true;
    }
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Compilation and validation

function compileTerms(pattern: unknown, problems: string[]): Conjunction[] {
  let root = pattern;
  if (typeof pattern === 'string') {
    try {
      root = JSON.parse(pattern);
    } catch {
      problems.push('Event pattern is not valid JSON');
      return [];
    }
  }
  if (!isPlainObject(root)) {
    problems.push('Event pattern must be a JSON object');
    return [];
  }
  return compileObject(root, '', problems);
}

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

function conjunction(fields: readonly Field[]): Conjunction {
  const positive = fields.some(({ constraint }) =>
    constraint.kind === 'node' ? constraint.node.positive : !constraint.matchesAbsent,
  );
  return { fields, positive };
}

/** A pattern object as its `$or`-free alternatives (disjunctive normal form). */
function compileObject(object: Record<string, unknown>, path: string, problems: string[]): Conjunction[] {
  const keys = Object.keys(object);
  if (keys.length === 0) {
    problems.push(`${path || 'Event pattern'}: Empty objects are not allowed`);
    return [];
  }
  // Each key contributes alternatives, each a list of fields; the object is their product.
  let alternatives: Field[][] = [[]];
  let failed = false;
  for (const key of keys) {
    const value = object[key];
    const at = join(path, key);
    let options: Field[][];
    if (key === '$or') {
      options = compileOr(value, at, problems);
    } else if (Array.isArray(value)) {
      const leaf = compileLeaf(value, at, problems);
      options = [[{ key, constraint: leaf }]];
    } else if (isPlainObject(value)) {
      options = compileObject(value, at, problems).map((node) => [
        { key, constraint: { kind: 'node', node } },
      ]);
    } else {
      problems.push(`${at}: Match value must be an array of matchers or a nested pattern object`);
      options = [];
    }
    if (failed || options.length === 0) {
      failed = true;
      continue;
    }
    if (alternatives.length * options.length > MAX_PATTERN_ALTERNATIVES) {
      problems.push(
        `${at}: Event pattern is too complex (more than ${MAX_PATTERN_ALTERNATIVES} $or alternatives)`,
      );
      failed = true;
      continue;
    }
    alternatives = alternatives.flatMap((fields) => options.map((more) => [...fields, ...more]));
  }
  return failed ? [] : alternatives.map(conjunction);
}

function compileOr(value: unknown, path: string, problems: string[]): Field[][] {
  if (!Array.isArray(value) || value.some((branch) => !isPlainObject(branch))) {
    problems.push(`${path}: $or must be an array of pattern objects`);
    return [];
  }
  if (value.length < 2) {
    problems.push(`${path}: There must be at least 2 objects in a $or relationship`);
    return [];
  }
  const options: Field[][] = [];
  let failed = false;
  value.forEach((branch, i) => {
    const terms = compileObject(branch as Record<string, unknown>, `${path}[${i}]`, problems);
    if (terms.length === 0) failed = true;
    for (const term of terms) options.push([...term.fields]);
  });
  return failed ? [] : options;
}

function compileLeaf(matchers: readonly unknown[], path: string, problems: string[]): LeafConstraint {
  if (matchers.length === 0) problems.push(`${path}: Empty arrays are not allowed`);
  const tests: LeafTest[] = [];
  matchers.forEach((matcher, i) => {
    const test = compileMatcher(matcher, `${path}[${i}]`, problems);
    if (test) tests.push(test);
  });
  return {
    kind: 'leaf',
    tests,
    matchesAbsent: tests.some((t) => t.kind === 'exists' && !t.exists),
  };
}

function literalTest(value: string | number | boolean | null): ValueTest {
  return (v) => v === value;
}

function compileMatcher(matcher: unknown, path: string, problems: string[]): LeafTest | null {
  if (
    matcher === null ||
    typeof matcher === 'string' ||
    typeof matcher === 'boolean' ||
    (typeof matcher === 'number' && Number.isFinite(matcher))
  ) {
    return { kind: 'value', test: literalTest(matcher) };
  }
  if (!isPlainObject(matcher)) {
    problems.push(`${path}: Match value must be String, number, true, false, null or a matcher object`);
    return null;
  }
  const keys = Object.keys(matcher);
  if (keys.length !== 1) {
    problems.push(`${path}: A matcher object must have exactly one key (got ${keys.length})`);
    return null;
  }
  const op = keys[0] as string;
  const operand = matcher[op];
  const at = `${path}.${op}`;
  const valueTest = (test: ValueTest | null): LeafTest | null => (test ? { kind: 'value', test } : null);
  switch (op) {
    case 'exists':
      if (typeof operand !== 'boolean') {
        problems.push(`${at}: exists match pattern must be either true or false`);
        return null;
      }
      return { kind: 'exists', exists: operand };
    case 'prefix':
    case 'suffix':
      return valueTest(compileAffix(op, operand, at, problems));
    case 'equals-ignore-case':
      if (typeof operand !== 'string') {
        problems.push(`${at}: equals-ignore-case match pattern must be a string`);
        return null;
      }
      return valueTest(ignoreCaseTest(operand));
    case 'wildcard':
      return valueTest(compileWildcard(operand, at, problems));
    case 'anything-but':
      return valueTest(compileAnythingBut(operand, at, problems));
    case 'numeric':
      return valueTest(compileNumeric(operand, at, problems));
    case 'cidr':
      return valueTest(compileCidr(operand, at, problems));
    default:
      problems.push(`${path}: Unrecognized match type ${op}`);
      return null;
  }
}

const fold = (s: string): string => s.toLowerCase();

function ignoreCaseTest(expected: string): ValueTest {
  const folded = fold(expected);
  return (v) => typeof v === 'string' && fold(v) === folded;
}

function affixTest(op: 'prefix' | 'suffix', affix: string, ignoreCase: boolean): ValueTest {
  if (ignoreCase) {
    const folded = fold(affix);
    return op === 'prefix'
      ? (v) => typeof v === 'string' && fold(v).startsWith(folded)
      : (v) => typeof v === 'string' && fold(v).endsWith(folded);
  }
  return op === 'prefix'
    ? (v) => typeof v === 'string' && v.startsWith(affix)
    : (v) => typeof v === 'string' && v.endsWith(affix);
}

function compileAffix(
  op: 'prefix' | 'suffix',
  operand: unknown,
  at: string,
  problems: string[],
): ValueTest | null {
  if (typeof operand === 'string') return affixTest(op, operand, false);
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    const inner = operand['equals-ignore-case'];
    if (keys.length === 1 && keys[0] === 'equals-ignore-case' && typeof inner === 'string') {
      return affixTest(op, inner, true);
    }
    problems.push(`${at}: ${op} match pattern must be a string or {"equals-ignore-case": string}`);
    return null;
  }
  problems.push(`${at}: ${op} match pattern must be a string`);
  return null;
}

/** A wildcard pattern: `*` matches any run of characters; `\*` is a literal star, `\\` a backslash. */
function compileWildcard(operand: unknown, at: string, problems: string[]): ValueTest | null {
  if (typeof operand !== 'string') {
    problems.push(`${at}: wildcard match pattern must be a string`);
    return null;
  }
  const segments: string[] = [''];
  let previousStar = false;
  for (let i = 0; i < operand.length; i++) {
    const c = operand[i] as string;
    if (c === '\\') {
      const next = operand[i + 1];
      if (next !== '*' && next !== '\\') {
        problems.push(`${at}: Invalid escape at position ${i}: only \\* and \\\\ are allowed`);
        return null;
      }
      segments[segments.length - 1] += next;
      i++;
      previousStar = false;
    } else if (c === '*') {
      if (previousStar) {
        problems.push(`${at}: Consecutive wildcard characters at position ${i}`);
        return null;
      }
      segments.push('');
      previousStar = true;
    } else {
      segments[segments.length - 1] += c;
      previousStar = false;
    }
  }
  return (v) => typeof v === 'string' && globMatch(segments, v);
}

/** `segments` are the literal parts between stars (one segment = no star). */
function globMatch(segments: readonly string[], s: string): boolean {
  const first = segments[0] as string;
  if (segments.length === 1) return s === first;
  const last = segments[segments.length - 1] as string;
  if (s.length < first.length + last.length || !s.startsWith(first) || !s.endsWith(last)) return false;
  let position = first.length;
  const end = s.length - last.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] as string;
    const found = s.indexOf(segment, position);
    if (found < 0 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}

function compileAnythingBut(operand: unknown, at: string, problems: string[]): ValueTest | null {
  const excluded = compileExclusion(operand, at, problems);
  return excluded ? (v) => !excluded(v) : null;
}

function compileExclusion(operand: unknown, at: string, problems: string[]): ValueTest | null {
  if (typeof operand === 'string' || (typeof operand === 'number' && Number.isFinite(operand))) {
    return literalTest(operand);
  }
  if (Array.isArray(operand)) {
    if (operand.length === 0) {
      problems.push(`${at}: Empty arrays are not allowed`);
      return null;
    }
    const bad = operand.find((v) => typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v)));
    if (bad !== undefined) {
      problems.push(
        `${at}: Inside anything-but list, only strings and numbers are supported (got ${JSON.stringify(bad)})`,
      );
      return null;
    }
    const values = new Set<Scalar>(operand as (string | number)[]);
    return (v) => values.has(v);
  }
  if (isPlainObject(operand)) {
    const keys = Object.keys(operand);
    if (keys.length !== 1) {
      problems.push(`${at}: anything-but takes exactly one of prefix, suffix, equals-ignore-case, wildcard`);
      return null;
    }
    const op = keys[0] as string;
    const inner = operand[op];
    const innerAt = `${at}.${op}`;
    const strings = stringOrStrings(inner);
    if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(op)) {
      problems.push(`${at}: Unsupported anything-but pattern: ${op}`);
      return null;
    }
    if (!strings) {
      problems.push(`${innerAt}: anything-but ${op} must be a string or a non-empty array of strings`);
      return null;
    }
    const tests: ValueTest[] = [];
    for (const s of strings) {
      let test: ValueTest | null;
      if (op === 'prefix' || op === 'suffix') test = affixTest(op, s, false);
      else if (op === 'equals-ignore-case') test = ignoreCaseTest(s);
      else test = compileWildcard(s, innerAt, problems);
      if (!test) return null;
      tests.push(test);
    }
    return (v) => tests.some((t) => t(v));
  }
  problems.push(
    `${at}: Value of anything-but must be a string, a number, an array of them, or a matcher object`,
  );
  return null;
}

function stringOrStrings(v: unknown): string[] | null {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === 'string')) return v as string[];
  return null;
}

const LOWER = new Set(['>', '>=']);
const UPPER = new Set(['<', '<=']);
const NUMERIC_OPERATORS = new Set(['=', ...LOWER, ...UPPER]);

function compileNumeric(operand: unknown, at: string, problems: string[]): ValueTest | null {
  if (!Array.isArray(operand) || operand.length === 0) {
    problems.push(`${at}: Value of numeric must be a non-empty array`);
    return null;
  }
  if (operand.length !== 2 && operand.length !== 4) {
    problems.push(`${at}: numeric takes one comparison or a range of two (got ${operand.length} elements)`);
    return null;
  }
  const comparisons: [string, number][] = [];
  for (let i = 0; i < operand.length; i += 2) {
    const op = operand[i];
    const value = operand[i + 1];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.has(op)) {
      problems.push(`${at}[${i}]: Unrecognized numeric range operator: ${JSON.stringify(op)}`);
      return null;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      problems.push(`${at}[${i + 1}]: Value of ${op} must be numeric`);
      return null;
    }
    comparisons.push([op, value]);
  }
  if (comparisons.length === 2) {
    const [a, b] = comparisons as [[string, number], [string, number]];
    const lower = LOWER.has(a[0]) ? a : LOWER.has(b[0]) ? b : null;
    const upper = UPPER.has(a[0]) ? a : UPPER.has(b[0]) ? b : null;
    if (!lower || !upper) {
      problems.push(`${at}: A numeric range needs one lower bound (> or >=) and one upper bound (< or <=)`);
      return null;
    }
    if (lower[1] >= upper[1]) {
      problems.push(`${at}: Bottom must be less than top in a numeric range`);
      return null;
    }
  }
  const tests = comparisons.map(([op, bound]): ((x: number) => boolean) => {
    switch (op) {
      case '=':
        return (x) => x === bound;
      case '>':
        return (x) => x > bound;
      case '>=':
        return (x) => x >= bound;
      case '<':
        return (x) => x < bound;
      default:
        return (x) => x <= bound;
    }
  });
  return (v) => typeof v === 'number' && tests.every((t) => t(v));
}

function compileCidr(operand: unknown, at: string, problems: string[]): ValueTest | null {
  const match = typeof operand === 'string' ? /^([^/]+)\/(\d{1,3})$/.exec(operand) : null;
  const address = match?.[1] ?? '';
  const family = isIP(address);
  const prefix = Number(match?.[2]);
  if (!match || family === 0 || prefix > (family === 4 ? 32 : 128)) {
    problems.push(
      `${at}: Invalid CIDR ${JSON.stringify(operand)} (expected IPv4 or IPv6 address/prefix-length)`,
    );
    return null;
  }
  const block = new BlockList();
  block.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return (v) => {
    if (typeof v !== 'string') return false;
    const f = isIP(v);
    return f !== 0 && block.check(v, f === 4 ? 'ipv4' : 'ipv6');
  };
}
