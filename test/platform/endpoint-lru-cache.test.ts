/**
 * The bundles' stand-in for `mnemonist/lru-cache` (lib/bundling.json alias; the DynamoDB client's
 * endpoint cache) against the published one: any sequence of the members the endpoint cache uses
 * answers the same and leaves the same entries (fast-check, model-based).
 */
import fc from 'fast-check';
import MnemonistLRUCache from 'mnemonist/lru-cache';
import LRUCache from '../../lambdas/platform/endpoint-lru-cache.js';

type Op =
  | { op: 'set'; key: string; value: number }
  | { op: 'get' | 'peek' | 'has'; key: string }
  | { op: 'clear' };

const key = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.integer() }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constantFrom('get' as const, 'peek' as const, 'has' as const), key }),
  },
  { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
);

function apply(cache: MnemonistLRUCache<string, number> | LRUCache<string, number>, o: Op): unknown {
  switch (o.op) {
    case 'set':
      cache.set(o.key, o.value);
      return cache.size;
    case 'clear':
      cache.clear();
      return cache.size;
    default:
      return cache[o.op](o.key);
  }
}

test('answers as mnemonist LRUCache does, op by op, and keeps the same entries', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
      const published = new MnemonistLRUCache<string, number>(capacity);
      const standIn = new LRUCache<string, number>(capacity);
      for (const o of ops) expect(apply(standIn, o)).toEqual(apply(published, o));
      for (const k of ['a', 'b', 'c', 'd', 'e', 'f']) expect(standIn.peek(k)).toEqual(published.peek(k));
      expect(standIn.size).toBe(published.size);
    }),
    { numRuns: 500 },
  );
});

test('evicts the least recently used entry, where get counts as a use and peek does not', () => {
  const cache = new LRUCache<string, number>(2);
  cache.set('a', 1).set('b', 2);
  cache.get('a');
  cache.peek('b');
  cache.set('c', 3);
  expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([true, false, true]);
});

test.each([0, -1])('refuses a capacity of %p, as mnemonist does', (capacity) => {
  expect(() => new LRUCache(capacity)).toThrow(/capacity/);
  expect(() => new MnemonistLRUCache(capacity)).toThrow(/capacity/);
});
