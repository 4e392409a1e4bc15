import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import {
  defaultAsset,
  execute,
  type OrderCommand,
  type OrderEvent,
  type OrderSpec,
  type OrderState,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { type StoredEvent, toStored } from '../../lambdas/event-store/event-store.js';
import { assetToItem } from '../../lambdas/platform/market-data.js';

export const TABLES = {
  EVENT_STORE_TABLE: 'events',
  ORDERS_TABLE: 'orders',
  TASK_TOKENS_TABLE: 'tokens',
  ACCOUNTS_TABLE: 'accounts',
  MARKET_TABLE: 'market',
  ASSETS_TABLE: 'assets',
};

type Item = Record<string, unknown>;

/**
 * The market data tables as the port reads them (GetItem, and the BatchGetItem of a quote with its
 * asset): `quote(symbol)` is the MARKET_TABLE item, `asset(symbol)` the ASSETS_TABLE item (by
 * default every symbol is listed as a default asset).
 */
export function marketHolds(
  ddb: AwsClientStub<DynamoDBDocumentClient>,
  quote: (symbol: string) => Item | undefined,
  asset: (symbol: string) => Item | undefined = (symbol) => ({ ...assetToItem(defaultAsset(symbol)) }),
  /** ACCOUNTS_TABLE items (the account record, a ledger), read in the same kind of BatchGetItem. */
  accounts: readonly Item[] = [],
): void {
  const itemOf = (table: string | undefined, key: Item) =>
    table === TABLES.MARKET_TABLE
      ? quote(String(key.symbol))
      : table === TABLES.ASSETS_TABLE
        ? asset(String(key.symbol))
        : table === TABLES.ACCOUNTS_TABLE
          ? accounts.find((a) => a.pk === key.pk)
          : undefined;
  ddb.on(GetCommand, { TableName: TABLES.MARKET_TABLE }).callsFake((input) => ({
    Item: quote(String(input.Key?.symbol)),
  }));
  ddb.on(GetCommand, { TableName: TABLES.ASSETS_TABLE }).callsFake((input) => ({
    Item: asset(String(input.Key?.symbol)),
  }));
  ddb.on(BatchGetCommand).callsFake((input) => ({
    Responses: Object.fromEntries(
      Object.entries(input.RequestItems ?? {}).map(([table, request]) => [
        table,
        ((request as { Keys?: Item[] }).Keys ?? []).flatMap((key) => {
          const item = itemOf(table, key);
          return item === undefined ? [] : [item];
        }),
      ]),
    ),
    UnprocessedKeys: {},
  }));
}

export function setEnv(): void {
  Object.assign(process.env, TABLES);
  delete process.env.RISK_GUARDIAN_URL;
  delete process.env.VENUE_NAME;
  delete process.env.OMS_SESSION_OPEN;
  delete process.env.OMS_SESSION_CLOSE;
  delete process.env.OMS_EXPIRY_GRACE_SECONDS;
  delete process.env.OMS_SESSION_DAYS;
  delete process.env.OMS_VENUE_ORDER_TYPES;
}

export const SUBMITTED_AT = Date.parse('2025-07-15T14:00:00.000Z');

export function spec(request: Record<string, unknown>): OrderSpec {
  const v = validateOrderRequest({ time_in_force: 'day', ...request }, { now: SUBMITTED_AT });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}

/** The stored stream of an order after `commands` (each applied 1 s apart). */
export function history(
  order: OrderSpec,
  commands: readonly OrderCommand[] = [],
  orderId = 'ord-1',
): { events: StoredEvent[]; state: OrderState } {
  const events: OrderEvent[] = [];
  let state: OrderState | undefined;
  const all: OrderCommand[] = [{ type: 'submit', orderId, accountId: 'acc-1', order }, ...commands];
  all.forEach((c, i) => {
    const r = execute(state, c, SUBMITTED_AT + i * 1000);
    if (!r.decision.ok) throw new Error(r.decision.refusal.message);
    events.push(...r.decision.events);
    state = r.state;
  });
  const meta = { accountId: 'acc-1', correlationId: orderId, causationId: 'test' };
  return { events: events.map((e) => toStored(e, meta)), state: state as OrderState };
}

export function storeHolds(ddb: AwsClientStub<DynamoDBDocumentClient>, events: readonly StoredEvent[]): void {
  ddb.on(QueryCommand, { TableName: TABLES.EVENT_STORE_TABLE }).resolves({ Items: [...events] });
}

/** Events appended through PutCommand / TransactWriteCommand, in order. */
export function appended(ddb: AwsClientStub<DynamoDBDocumentClient>): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const call of ddb.calls()) {
    const input = call.args[0].input as {
      TableName?: string;
      Item?: StoredEvent;
      TransactItems?: { Put?: { TableName: string; Item: StoredEvent } }[];
    };
    if (input.TableName === TABLES.EVENT_STORE_TABLE && input.Item) out.push(input.Item);
    for (const t of input.TransactItems ?? [])
      if (t.Put?.TableName === TABLES.EVENT_STORE_TABLE) out.push(t.Put.Item);
  }
  return out;
}

export const lambdaContext = { awsRequestId: 'req-1' } as never;
