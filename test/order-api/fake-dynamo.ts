/**
 * A small in-memory DynamoDB behind aws-sdk-client-mock: enough of Get, Put, Update (the rate
 * counter), TransactWrite (conditional puts, all-or-nothing) and the event store's Query to run
 * the create/cancel/replace paths, including concurrent duplicates. Every command is recorded.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

/**
 * DynamoDB refuses a request whose ExpressionAttributeNames / Values hold a placeholder that no
 * expression uses, or whose expressions use one that is not defined; so does this fake.
 */
export function checkPlaceholders(input: Record<string, unknown>): void {
  const expressions = [
    'KeyConditionExpression',
    'FilterExpression',
    'ConditionExpression',
    'UpdateExpression',
    'ProjectionExpression',
  ]
    .map((k) => input[k])
    .filter((e): e is string => typeof e === 'string')
    .join(' ');
  for (const [field, sigil] of [
    ['ExpressionAttributeNames', '#'],
    ['ExpressionAttributeValues', ':'],
  ] as const) {
    const defined = Object.keys((input[field] as Item | undefined) ?? {});
    const used = new Set(expressions.match(sigil === '#' ? /#[A-Za-z0-9_]+/g : /:[A-Za-z0-9_]+/g) ?? []);
    for (const d of defined) {
      if (!used.has(d))
        throw Object.assign(new Error(`${field}: ${d} unused`), { name: 'ValidationException' });
    }
    for (const u of used) {
      if (!defined.includes(u))
        throw Object.assign(new Error(`${field}: ${u} undefined`), { name: 'ValidationException' });
    }
  }
}

const KEYS: Record<string, readonly string[]> = {
  events: ['orderId', 'seq'],
  idempotency: ['id'],
  orders: ['orderId'],
  accounts: ['pk'],
};

export class FakeDynamo {
  readonly mock = mockClient(DynamoDBDocumentClient);
  readonly tables = new Map<string, Map<string, Item>>();
  /** Codes to fail the next transactions with (one array of reasons per transaction). */
  readonly failNextTransactions: string[][] = [];
  /** Runs before the next transactions, one a transaction: what a concurrent writer commits first. */
  readonly beforeNextTransactions: (() => void)[] = [];
  /** Items the orders-table Query answers with (GSI evaluation is not emulated). */
  ordersQueryItems: Item[] = [];

  constructor() {
    this.install();
  }

  private install(): void {
    this.mock.on(GetCommand).callsFake(async (input) => {
      checkPlaceholders(input);
      await tick();
      return { Item: this.table(input.TableName).get(this.key(input.TableName, input.Key)) };
    });
    this.mock.on(PutCommand).callsFake(async (input) => {
      checkPlaceholders(input);
      await tick();
      const t = this.table(input.TableName);
      const k = this.key(input.TableName, input.Item);
      if (input.ConditionExpression?.startsWith('attribute_not_exists') && t.has(k)) {
        throw Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
      }
      t.set(k, structuredClone(input.Item));
      return {};
    });
    this.mock.on(UpdateCommand).callsFake(async (input) => {
      checkPlaceholders(input);
      await tick();
      const t = this.table(input.TableName);
      const k = this.key(input.TableName, input.Key);
      const item = t.get(k) ?? { ...input.Key };
      const limit = input.ExpressionAttributeValues?.[':limit'] as number;
      const count = (item.count as number | undefined) ?? 0;
      if (t.has(k) && !(count < limit)) {
        throw Object.assign(new Error('conditional'), { name: 'ConditionalCheckFailedException' });
      }
      t.set(k, {
        ...item,
        count: count + 1,
        expiresAt: item.expiresAt ?? input.ExpressionAttributeValues?.[':expiresAt'],
      });
      return {};
    });
    this.mock.on(TransactWriteCommand).callsFake(async (input: TransactWriteCommandInput) => {
      await tick();
      this.beforeNextTransactions.shift()?.();
      const items = input.TransactItems ?? [];
      const forced = this.failNextTransactions.shift();
      const reasons =
        forced ??
        items.map((ti) => {
          const put = ti.Put;
          const update = ti.Update;
          if (update !== undefined && isRateSlot(update)) {
            const existing = this.table(update.TableName).get(this.key(update.TableName, update.Key));
            const limit = update.ExpressionAttributeValues?.[':limit'] as number;
            return existing !== undefined && !(((existing.count as number | undefined) ?? 0) < limit)
              ? 'ConditionalCheckFailed'
              : 'None';
          }
          if (put === undefined) return 'None';
          const existing = this.table(put.TableName).get(this.key(put.TableName, put.Item));
          // The duplicate claim: `attribute_not_exists(id) OR createdAtMs < :from`.
          const stale =
            put.ConditionExpression?.includes('OR createdAtMs < :from') === true &&
            existing !== undefined &&
            (existing.createdAtMs as number) < (put.ExpressionAttributeValues?.[':from'] as number);
          return put.ConditionExpression?.startsWith('attribute_not_exists') &&
            existing !== undefined &&
            !stale
            ? 'ConditionalCheckFailed'
            : 'None';
        });
      if (reasons.some((r) => r !== 'None')) {
        throw new TransactionCanceledException({
          // reasons in item order, as DynamoDB reports them
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: reasons.map((Code: string) => ({ Code })),
        });
      }
      for (const ti of items) {
        const put = ti.Put;
        if (put)
          this.table(put.TableName).set(this.key(put.TableName, put.Item), structuredClone(put.Item as Item));
        const update = ti.Update;
        if (update !== undefined && isRateSlot(update)) {
          const t = this.table(update.TableName);
          const k = this.key(update.TableName, update.Key);
          const item = t.get(k) ?? { ...update.Key };
          t.set(k, {
            ...item,
            count: ((item.count as number | undefined) ?? 0) + 1,
            expiresAt: item.expiresAt ?? update.ExpressionAttributeValues?.[':expiresAt'],
          });
        }
      }
      return {};
    });
    // The listing indexes do not project `order`: listings and cancel-all read it by id.
    this.mock.on(BatchGetCommand).callsFake(async (input: BatchGetCommandInput) => {
      await tick();
      const Responses: Record<string, Item[]> = {};
      for (const [table, request] of Object.entries(input.RequestItems ?? {})) {
        Responses[table] = (request.Keys ?? []).flatMap((key) => {
          const stored =
            this.table(table).get(this.key(table, key as Item)) ??
            this.ordersQueryItems.find((i) => i.orderId === (key as Item).orderId);
          return stored === undefined ? [] : [structuredClone(stored)];
        });
      }
      return { Responses, UnprocessedKeys: {} };
    });
    this.mock.on(QueryCommand).callsFake(async (input) => {
      checkPlaceholders(input);
      await tick();
      if (input.TableName === 'events') {
        const id = input.ExpressionAttributeValues?.[':id'];
        const items = [...this.table('events').values()]
          .filter((i) => i.orderId === id)
          .sort((a, b) => (a.seq as number) - (b.seq as number));
        return { Items: structuredClone(items) };
      }
      return { Items: structuredClone(this.ordersQueryItems) };
    });
  }

  table(name: string | undefined): Map<string, Item> {
    const n = name ?? '';
    let t = this.tables.get(n);
    if (t === undefined) {
      t = new Map();
      this.tables.set(n, t);
    }
    return t;
  }

  private key(table: string | undefined, item: Item | undefined): string {
    return (KEYS[table ?? ''] ?? ['id']).map((k) => String(item?.[k])).join('|');
  }

  put(table: string, item: Item): void {
    this.table(table).set(this.key(table, item), structuredClone(item));
  }

  /** Write commands sent so far (anything that could change a table). */
  writes(): unknown[] {
    return [
      ...this.mock.commandCalls(TransactWriteCommand),
      ...this.mock.commandCalls(PutCommand),
      ...this.mock.commandCalls(UpdateCommand),
    ];
  }

  /** Empties the tables and the history, and drops per-test overrides of the behaviour. */
  reset(): void {
    this.mock.reset();
    this.install();
    this.tables.clear();
    this.failNextTransactions.length = 0;
    this.ordersQueryItems = [];
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A rate window's slot (`ADD #count :one ...`, lambdas/orders/orders-service.ts), in a transaction. */
function isRateSlot(update: { UpdateExpression?: string }): boolean {
  return update.UpdateExpression?.startsWith('ADD #count :one') === true;
}
