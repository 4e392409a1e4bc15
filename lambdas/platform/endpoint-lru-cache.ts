/**
 * What the Lambda bundles carry in place of `mnemonist/lru-cache` (lib/bundling.json `alias`,
 * bundles only: tests and local mode run the SDK as published). The DynamoDB client's endpoint
 * discovery keeps its endpoints in `@aws-sdk/endpoint-cache`, which builds on mnemonist's LRU
 * cache (about 7 KB of every bundle with a DynamoDB client, mnemonist and obliterator). It is
 * consulted on every DynamoDB request but, with endpoint discovery off (the SDK's default, the
 * OMS's setting), never filled. This is the same least-recently-used cache on a `Map` (insertion
 * order is recency order), with the members the endpoint cache uses: `get` makes an entry the
 * most recent, `peek` and `has` do not, `set` makes it the most recent and evicts the least recent
 * beyond the capacity. test/platform/endpoint-lru-cache.test.ts checks it against mnemonist's.
 */
export default class LRUCache<K, V> {
  readonly capacity: number;
  private readonly entries = new Map<K, V>();

  constructor(capacity: number) {
    if (typeof capacity !== 'number' || !(capacity > 0))
      throw new Error('LRUCache: capacity should be a positive number.');
    this.capacity = capacity;
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
  }

  set(key: K, value: V): this {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    return this;
  }

  get(key: K): V | undefined {
    if (!this.entries.has(key)) return undefined;
    const value = this.entries.get(key) as V;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  peek(key: K): V | undefined {
    return this.entries.get(key);
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }
}
