/**
 * Test harness: an in-memory DynamoDB behind aws-sdk-client-mock, covering the calls and the
 * condition expressions the venue and the event store use, and a PutEvents recorder. Items are
 * deep-copied in and out, as DynamoDB would.
 */
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

const KEYS: Record<string, readonly string[]> = {
  events: ['orderId', 'seq'],
  market: ['symbol'],
  venue: ['orderId'],
  idempotency: ['id'],
  priceMarks: ['symbol', 'at'],
};

/** Sparse indexes of the venue table: index name -> its partition key attribute. */
const SPARSE_INDEXES: Record<string, string> = {
  byRestingSymbol: 'restingSymbol',
  byOutboxPending: 'outboxPending',
};

function conditionFailed(): Error {
  const e = new Error('The conditional request failed');
  e.name = 'ConditionalCheckFailedException';
  return e;
}

const copy = <T>(v: T): T => structuredClone(v);

export class FakeDynamo {
  readonly tables = new Map<string, Map<string, Item>>();
  /** Called before each write; a test can throw from it to simulate a race. */
  beforeWrite: ((table: string, item: Item) => void) | undefined;
  /** Tables whose next read answers "no item" (a reader that lost a race with a writer). */
  readonly staleNextGet = new Set<string>();

  private table(name: string): Map<string, Item> {
    const t = this.tables.get(name) ?? new Map<string, Item>();
    this.tables.set(name, t);
    return t;
  }

  private keyOf(table: string, item: Item): string {
    return (KEYS[table] ?? ['orderId']).map((k) => String(item[k])).join('#');
  }

  items(table: string): Item[] {
    return [...this.table(table).values()].map(copy);
  }

  get(table: string, key: Item): Item | undefined {
    const got = this.table(table).get(this.keyOf(table, key));
    return got === undefined ? undefined : copy(got);
  }

  private check(table: string, existing: Item | undefined, cond?: string, values?: Item): boolean {
    if (cond === undefined) return true;
    if (cond.startsWith('attribute_not_exists')) return existing === undefined;
    const m = /^(\w+) = (:\w+)$/.exec(cond);
    if (m?.[1] !== undefined && m[2] !== undefined)
      return existing !== undefined && existing[m[1]] === values?.[m[2]];
    throw new Error(`fake dynamo: unsupported condition ${cond} on ${table}`);
  }

  /** UpdateItem: `REMOVE a, b` or `SET a = :x, b = :y`, under the condition. */
  update(i: {
    TableName?: string;
    Key?: Item;
    UpdateExpression?: string;
    ConditionExpression?: string;
    ExpressionAttributeValues?: Item;
    ExpressionAttributeNames?: Record<string, string>;
  }): void {
    const table = i.TableName as string;
    const key = this.keyOf(table, i.Key as Item);
    // `SET #a = :x` with attribute names: upserts (as UpdateItem does), names resolved.
    if (i.ExpressionAttributeNames !== undefined && i.ConditionExpression === undefined) {
      const item = this.table(table).get(key) ?? copy(i.Key as Item);
      const set = /^SET (.+)$/.exec(i.UpdateExpression ?? '');
      if (set?.[1] === undefined) throw new Error(`fake dynamo: ${i.UpdateExpression}`);
      for (const assignment of set[1].split(', ')) {
        const [name, value] = assignment.split(' = ') as [string, string];
        item[i.ExpressionAttributeNames[name] ?? name] = copy(i.ExpressionAttributeValues?.[value]);
      }
      this.table(table).set(key, item);
      return;
    }
    const existing = this.table(table).get(key);
    if (!this.check(table, existing, i.ConditionExpression, i.ExpressionAttributeValues))
      throw conditionFailed();
    const expression = i.UpdateExpression ?? '';
    const remove = /^REMOVE (\w+(?:, \w+)*)$/.exec(expression);
    const set = /^SET (\w+ = :\w+(?:, \w+ = :\w+)*)$/.exec(expression);
    if (existing === undefined || (remove?.[1] === undefined && set?.[1] === undefined))
      throw new Error(`fake dynamo: ${expression}`);
    if (remove?.[1] !== undefined) for (const attribute of remove[1].split(', ')) delete existing[attribute];
    if (set?.[1] !== undefined)
      for (const assignment of set[1].split(', ')) {
        const [attribute, value] = assignment.split(' = ') as [string, string];
        existing[attribute] = copy(i.ExpressionAttributeValues?.[value]);
      }
  }

  put(input: {
    TableName?: string;
    Item?: Item;
    ConditionExpression?: string;
    ExpressionAttributeValues?: Item;
  }) {
    const table = input.TableName as string;
    const item = input.Item as Item;
    const existing = this.table(table).get(this.keyOf(table, item));
    if (!this.check(table, existing, input.ConditionExpression, input.ExpressionAttributeValues))
      throw conditionFailed();
    this.beforeWrite?.(table, item);
    this.table(table).set(this.keyOf(table, item), copy(item));
  }

  install(): ReturnType<typeof mockClient> {
    const mock = mockClient(DynamoDBDocumentClient);
    mock.on(GetCommand).callsFake((i) => {
      if (this.staleNextGet.delete(i.TableName)) return {};
      return { Item: this.get(i.TableName, i.Key) };
    });
    mock.on(BatchGetCommand).callsFake((i) => {
      const Responses: Record<string, Item[]> = {};
      for (const [table, { Keys }] of Object.entries(i.RequestItems as Record<string, { Keys: Item[] }>)) {
        if (this.staleNextGet.delete(table)) {
          Responses[table] = [];
          continue;
        }
        Responses[table] = Keys.map((k) => this.get(table, k)).filter((x): x is Item => x !== undefined);
      }
      return { Responses, UnprocessedKeys: {} };
    });
    mock.on(PutCommand).callsFake((i) => {
      this.put(i);
      return {};
    });
    // Puts only (what the price marks write), every item processed.
    mock.on(BatchWriteCommand).callsFake((i) => {
      const requests = i.RequestItems as Record<string, { PutRequest?: { Item: Item } }[]>;
      for (const [table, writes] of Object.entries(requests))
        for (const w of writes) {
          if (w.PutRequest === undefined) throw new Error('fake dynamo: a batch delete');
          this.put({ TableName: table, Item: w.PutRequest.Item });
        }
      return { UnprocessedItems: {} };
    });
    mock.on(UpdateCommand).callsFake((i) => {
      this.update(i);
      return {};
    });
    mock.on(TransactWriteCommand).callsFake((i) => {
      const ops = (i.TransactItems ?? []) as { Put?: Item; Update?: Item }[];
      const failed = ops.map((op) => {
        const p = (op.Put ?? op.Update) as Item;
        const table = p.TableName as string;
        const existing = this.table(table).get(this.keyOf(table, (op.Put ? p.Item : p.Key) as Item));
        return !this.check(
          table,
          existing,
          p.ConditionExpression as string,
          p.ExpressionAttributeValues as Item,
        );
      });
      if (failed.some(Boolean)) {
        const e = Object.assign(new Error('Transaction cancelled'), {
          name: 'TransactionCanceledException',
          CancellationReasons: failed.map((f: boolean) => ({ Code: f ? 'ConditionalCheckFailed' : 'None' })),
        });
        throw e;
      }
      for (const op of ops) {
        if (op.Put) this.put({ ...op.Put, ConditionExpression: undefined });
        else this.update({ ...(op.Update as Item), ConditionExpression: undefined });
      }
      return {};
    });
    mock.on(QueryCommand).callsFake((i) => {
      const id = i.ExpressionAttributeValues[':id'];
      const items = this.items(i.TableName)
        .filter((x) => x.orderId === id)
        .sort((a, b) => Number(a.seq) - Number(b.seq));
      return { Items: items };
    });
    mock.on(ScanCommand).callsFake((i) => {
      if (i.IndexName === undefined) return { Items: this.items(i.TableName) };
      const key = SPARSE_INDEXES[i.IndexName];
      if (key === undefined) throw new Error(`fake dynamo: scan of index ${i.IndexName}`);
      const items = this.items(i.TableName).filter((x) => x[key] !== undefined);
      return { Items: items.map((x) => ({ orderId: x.orderId, [key]: x[key] })) };
    });
    return mock;
  }
}

export class BusRecorder {
  readonly entries: PutEventsRequestEntry[] = [];
  /** Number of upcoming PutEvents calls to fail entirely. */
  failNext = 0;

  install(): ReturnType<typeof mockClient> {
    const mock = mockClient(EventBridgeClient);
    mock.on(PutEventsCommand).callsFake((i) => {
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('EventBridge unavailable');
      }
      this.entries.push(...(i.Entries ?? []));
      return {
        FailedEntryCount: 0,
        Entries: (i.Entries ?? []).map((_: unknown, k: number) => ({ EventId: `e${k}` })),
      };
    });
    return mock;
  }

  details<T = Record<string, unknown>>(): T[] {
    return this.entries.map((e) => JSON.parse(e.Detail as string) as T);
  }

  take<T = Record<string, unknown>>(): T[] {
    const out = this.details<T>();
    this.entries.length = 0;
    return out;
  }
}
