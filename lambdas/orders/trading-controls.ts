/**
 * The kill switch's storage (issue 16; the rule is core trading-state.ts).
 *
 * Where the states live, so that pre-trade risk pays no extra request for them:
 * - an account's state: `tradingState` on its record `account#<id>` in the accounts table, which
 *   pre-trade risk reads anyway (lambdas/orders/risk-context.ts);
 * - the firm's state: `tradingState` on the item `firm#controls` of the same table, one more key in
 *   that same BatchGetItem.
 * That BatchGetItem is strongly consistent, so a change is in force on the very next request.
 *
 * Each change is an event: `TradingStateChanged` (who, why, when, the version, the state before),
 * written in ONE transaction with the state (the record's version is the condition, so two
 * operators changing the same scope at once cannot both win: the loser reads the winner's version
 * and decides again after a jittered pause, platform/write-retry.ts), as an item
 * `trading-state-event#<scope>#<version>` of the accounts table, and published on the OMS bus
 * (source `stockbot.oms.controls`).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import {
  decideTradingStateChange,
  type LimitsPolicy,
  type LimitsPolicyBody,
  NO_POLICY,
  samePolicyLimits,
  TRADING_STATES,
  type TradingScope,
  type TradingStateChange,
  type TradingStateRecord,
} from '../core/index.js';
import '../core/zod-messages.js';
import { eventBridge } from '../platform/event-bridge.js';
import { isLostRace, LOST_RACE, untilWritten } from '../platform/write-retry.js';

/** The accounts-table item of the firm-wide controls (the firm's trading state). */
export const FIRM_CONTROLS_PK = 'firm#controls';

/** Where control events go on the bus: not `stockbot.oms` (order events), so order subscribers are untouched. */
export const CONTROLS_SOURCE = 'stockbot.oms.controls';
export const TRADING_STATE_CHANGED = 'TradingStateChanged';

export const storedTradingStateSchema = z.object({
  state: z.enum(TRADING_STATES),
  reason: z.string(),
  changedBy: z.string(),
  changedAt: z.string(),
  version: z.number().check(z.int(), z.nonnegative()),
});

/** The firm's state from its controls item; undefined item = never set. Throws on an unreadable one. */
export function firmTradingStateOf(
  item: Record<string, unknown> | undefined,
): { ok: true; record: TradingStateRecord | null } | { ok: false; problem: string } {
  if (item?.tradingState === undefined) return { ok: true, record: null };
  const parsed = storedTradingStateSchema.safeParse(item.tradingState);
  return parsed.success
    ? { ok: true, record: parsed.data }
    : { ok: false, problem: `the firm's trading state (${FIRM_CONTROLS_PK}) is unreadable` };
}

/** The accounts recorded HALTED (`haltedAccounts`, a string set on the firm's controls item). */
export function haltedAccountsOf(item: Record<string, unknown> | undefined): string[] {
  const stored = item?.haltedAccounts;
  if (stored instanceof Set) return [...stored].map(String);
  return Array.isArray(stored) ? stored.map(String) : [];
}

export type ControlScope =
  | { readonly scope: 'firm' }
  | { readonly scope: 'account'; readonly accountId: string };

export const controlsPk = (s: ControlScope): string =>
  s.scope === 'firm' ? FIRM_CONTROLS_PK : `account#${s.accountId}`;

/** The detail of `TradingStateChanged` (the bus event and the stored event item). */
export interface TradingStateChangedDetail {
  readonly eventId: string;
  readonly scope: TradingScope;
  readonly accountId: string | null;
  readonly state: TradingStateRecord['state'];
  readonly previousState: TradingStateRecord['state'];
  readonly reason: string;
  readonly changedBy: string;
  readonly changedAt: string;
  readonly version: number;
  /** The HTTP request that made the change. */
  readonly requestId: string;
}

export type TradingStateOutcome =
  | { readonly kind: 'not_found' }
  | {
      readonly kind: 'changed' | 'unchanged';
      readonly record: TradingStateRecord;
      readonly event: TradingStateChangedDetail | null;
    };

/** The recorded state of a scope (consistent read); `not_found` for an account without a record. */
export async function readTradingState(
  doc: DynamoDBDocumentClient,
  table: string,
  scope: ControlScope,
): Promise<{ kind: 'not_found' } | { kind: 'found'; record: TradingStateRecord | null }> {
  const got = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: controlsPk(scope) }, ConsistentRead: true }),
  );
  if (got.Item === undefined && scope.scope === 'account') return { kind: 'not_found' };
  const stored = got.Item?.tradingState;
  if (stored === undefined) return { kind: 'found', record: null };
  const parsed = storedTradingStateSchema.safeParse(stored);
  if (!parsed.success) throw new Error(`unreadable trading state on ${controlsPk(scope)}`);
  return { kind: 'found', record: parsed.data };
}

const eventIdOf = (scope: ControlScope, version: number) =>
  `trading-state:${scope.scope === 'firm' ? 'firm' : `account:${scope.accountId}`}:${version}`;

/**
 * Sets a scope's state (an operator's request): the state and its event in one conditional
 * transaction, then the event on the bus. A request that sets what is already recorded changes
 * nothing and publishes the recorded event again (same `eventId`: a retry after a lost publish).
 */
export async function changeTradingState(
  deps: ControlsDeps,
  scope: ControlScope,
  change: TradingStateChange,
  requestId: string,
): Promise<TradingStateOutcome> {
  // A lost race (another operator's change recorded first): read what it recorded and decide again.
  return untilWritten('trading state', async () => {
    const current = await readTradingState(deps.doc, deps.table, scope);
    if (current.kind === 'not_found') return { kind: 'not_found' } as const;
    const decision = decideTradingStateChange(current.record, change);
    if (decision.kind === 'unchanged') {
      const event = await republishIfLost<TradingStateChangedDetail>(
        deps,
        TRADING_STATE,
        eventIdOf(scope, decision.record.version),
      );
      return { kind: 'unchanged', record: decision.record, event } as const;
    }
    const { record, previous } = decision;
    const event: TradingStateChangedDetail = {
      eventId: eventIdOf(scope, record.version),
      scope: scope.scope,
      accountId: scope.scope === 'account' ? scope.accountId : null,
      state: record.state,
      previousState: previous.state,
      reason: record.reason,
      changedBy: record.changedBy,
      changedAt: record.changedAt,
      version: record.version,
      requestId,
    };
    // The firm's list of HALTED accounts, in the same transaction (the halt enforcement reads it
    // every minute, one GetItem, instead of scanning every account).
    const haltedAccounts =
      scope.scope === 'account'
        ? [
            {
              Update: {
                TableName: deps.table,
                Key: { pk: FIRM_CONTROLS_PK },
                UpdateExpression: `${record.state === 'HALTED' ? 'ADD' : 'DELETE'} haltedAccounts :account`,
                ExpressionAttributeValues: { ':account': new Set([scope.accountId]) },
              },
            },
          ]
        : [];
    if (!(await commitChange(deps, TRADING_STATE, scope, record, previous.version, event, haltedAccounts)))
      return LOST_RACE;
    await publishRecorded(deps, TRADING_STATE, event);
    return { kind: 'changed', record, event } as const;
  });
}

/** A versioned control of a scope: its attribute on the controls item, its events' items and detail type. */
interface ControlKind {
  readonly attribute: 'tradingState' | 'limitsPolicy';
  readonly eventPk: (eventId: string) => string;
  readonly detailType: string;
}

const TRADING_STATE: ControlKind = {
  attribute: 'tradingState',
  eventPk: (eventId) => `trading-state-event#${eventId}`,
  detailType: TRADING_STATE_CHANGED,
};

type ControlsDeps = {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly busName: string;
};

/**
 * Records a control's next version and its event in one transaction: the version read is still the
 * version stored (none for a scope never set; an account must exist, so a typo in the id opens no
 * account) and the event item is new; `extra`: more writes of the same change. False: another
 * operator's change won the race (nothing written).
 */
async function commitChange(
  deps: ControlsDeps,
  kind: ControlKind,
  scope: ControlScope,
  value: unknown,
  previousVersion: number,
  event: { readonly eventId: string },
  extra: NonNullable<TransactWriteCommandInput['TransactItems']> = [],
): Promise<boolean> {
  const { attribute } = kind;
  const written = deps.doc.send(
    new TransactWriteCommand({
      TransactItems: [
        {
          Update: {
            TableName: deps.table,
            Key: { pk: controlsPk(scope) },
            UpdateExpression: `SET ${attribute} = :value`,
            ConditionExpression:
              previousVersion === 0
                ? scope.scope === 'account'
                  ? `attribute_exists(pk) AND attribute_not_exists(${attribute})`
                  : `attribute_not_exists(${attribute})`
                : `${attribute}.version = :version`,
            ExpressionAttributeValues: {
              ':value': value,
              ...(previousVersion === 0 ? {} : { ':version': previousVersion }),
            },
          },
        },
        {
          Put: {
            TableName: deps.table,
            Item: { pk: kind.eventPk(event.eventId), type: kind.detailType, ...event },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        ...extra,
      ],
    }),
  );
  return written.then(
    () => true,
    (err: unknown) => {
      if (isLostRace(err)) return false;
      throw err;
    },
  );
}

/**
 * Puts a recorded change's event on the bus, then marks its item `published` (throws when it is not
 * put: the caller answers 500, and the operator's retry, which finds the change recorded, publishes it).
 */
async function publishRecorded(
  deps: ControlsDeps,
  kind: ControlKind,
  event: { readonly eventId: string },
): Promise<void> {
  const out = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: deps.busName,
          Source: CONTROLS_SOURCE,
          DetailType: kind.detailType,
          Detail: JSON.stringify(event),
        },
      ],
    }),
  );
  if ((out.FailedEntryCount ?? 0) > 0)
    throw new Error(`${kind.detailType} not published: ${out.Entries?.[0]?.ErrorMessage ?? 'failed'}`);
  await deps.doc.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: { pk: kind.eventPk(event.eventId) },
      UpdateExpression: 'SET published = :true',
      ExpressionAttributeValues: { ':true': true },
    }),
  );
}

/**
 * A retry of a change already recorded: its event, read from its item, goes on the bus only if its
 * publish was lost (the item is not marked `published`), so nothing is sent twice and nothing is
 * lost. Null: no event item (a version recorded before events were).
 */
async function republishIfLost<E extends { readonly eventId: string }>(
  deps: ControlsDeps,
  kind: ControlKind,
  eventId: string,
): Promise<E | null> {
  const recorded = await deps.doc.send(
    new GetCommand({ TableName: deps.table, Key: { pk: kind.eventPk(eventId) }, ConsistentRead: true }),
  );
  if (recorded.Item === undefined) return null;
  const { pk: _pk, type: _type, published, ...stored } = recorded.Item;
  const event = stored as E;
  if (published !== true) await publishRecorded(deps, kind, event);
  return event;
}

/** Every account id of the accounts table (a firm-wide HALT's sweep; the table is small). */
export async function allAccountIds(doc: DynamoDBDocumentClient, table: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :account)',
        ExpressionAttributeValues: { ':account': 'account#' },
        ProjectionExpression: 'pk',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item.pk).slice('account#'.length));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return ids;
}

/** A limits policy as an operator sends it: core limits-policy-body.ts (parsed there, pure). */
export type { LimitsPolicyBody } from '../core/index.js';

export const storedLimitsPolicySchema = z.object({
  version: z.number().check(z.int(), z.nonnegative()),
  dailyNotional: z.nullable(z.string()),
  openExposure: z.nullable(z.string()),
  modifiesPerSecond: z.nullable(z.number()),
  symbols: z.record(
    z.string(),
    z.object({
      maxOrderQty: z.optional(z.nullable(z.string())),
      priceCollarPercent: z.optional(z.nullable(z.string())),
    }),
  ),
  changedBy: z.string(),
  changedAt: z.string(),
});

/** The firm's limits policy from its controls item (undefined: never set). */
export function firmLimitsPolicyOf(
  item: Record<string, unknown> | undefined,
): { ok: true; policy: LimitsPolicy | null } | { ok: false; problem: string } {
  if (item?.limitsPolicy === undefined) return { ok: true, policy: null };
  const parsed = storedLimitsPolicySchema.safeParse(item.limitsPolicy);
  return parsed.success
    ? { ok: true, policy: parsed.data }
    : { ok: false, problem: `the firm's limits policy (${FIRM_CONTROLS_PK}) is unreadable` };
}

export const LIMITS_POLICY_CHANGED = 'LimitsPolicyChanged';

const LIMITS_POLICY: ControlKind = {
  attribute: 'limitsPolicy',
  eventPk: (eventId) => `limits-policy-event#${eventId}`,
  detailType: LIMITS_POLICY_CHANGED,
};

const policyEventIdOf = (scope: ControlScope, version: number) =>
  `limits-policy:${scope.scope === 'firm' ? 'firm' : `account:${scope.accountId}`}:${version}`;

/** The policy an operator's body sets, as the next version of `current`. */
export function nextPolicy(
  current: LimitsPolicy | null,
  body: LimitsPolicyBody,
  changedBy: string,
  at: string,
): LimitsPolicy {
  const symbols: Record<string, { maxOrderQty?: string | null; priceCollarPercent?: string | null }> = {};
  for (const [symbol, l] of Object.entries(body.symbols ?? {}))
    symbols[symbol.toUpperCase()] = {
      ...(l.max_order_qty === undefined ? {} : { maxOrderQty: l.max_order_qty }),
      ...(l.price_collar_percent === undefined ? {} : { priceCollarPercent: l.price_collar_percent }),
    };
  return {
    version: (current?.version ?? 0) + 1,
    dailyNotional: body.daily_notional,
    openExposure: body.open_exposure,
    modifiesPerSecond: body.modifies_per_second,
    symbols,
    changedBy,
    changedAt: at,
  };
}

/** A policy as the API shows it (snake case, as the body that sets it). */
export function policyView(p: LimitsPolicy | null) {
  const policy = p ?? NO_POLICY;
  return {
    version: policy.version,
    daily_notional: policy.dailyNotional,
    open_exposure: policy.openExposure,
    modifies_per_second: policy.modifiesPerSecond,
    symbols: Object.fromEntries(
      Object.entries(policy.symbols).map(([s, l]) => [
        s,
        { max_order_qty: l.maxOrderQty ?? null, price_collar_percent: l.priceCollarPercent ?? null },
      ]),
    ),
    changed_by: policy.changedBy || null,
    changed_at: policy.changedAt || null,
  };
}

/** The recorded policy of a scope (consistent read); `not_found` for an account without a record. */
export async function readLimitsPolicy(
  doc: DynamoDBDocumentClient,
  table: string,
  scope: ControlScope,
): Promise<{ kind: 'not_found' } | { kind: 'found'; policy: LimitsPolicy | null }> {
  const got = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: controlsPk(scope) }, ConsistentRead: true }),
  );
  if (got.Item === undefined && scope.scope === 'account') return { kind: 'not_found' };
  if (got.Item?.limitsPolicy === undefined) return { kind: 'found', policy: null };
  const parsed = storedLimitsPolicySchema.safeParse(got.Item.limitsPolicy);
  if (!parsed.success) throw new Error(`unreadable limits policy on ${controlsPk(scope)}`);
  return { kind: 'found', policy: parsed.data };
}

/**
 * Sets a scope's limits policy: the next version and its `LimitsPolicyChanged` event in one
 * conditional transaction (the version read is the version replaced), then the event on the bus.
 * A body equal to the policy in force changes nothing (a retry records nothing twice).
 */
export async function changeLimitsPolicy(
  deps: ControlsDeps,
  scope: ControlScope,
  body: LimitsPolicyBody,
  changedBy: string,
  at: string,
  requestId: string,
): Promise<{ kind: 'not_found' } | { kind: 'changed' | 'unchanged'; policy: LimitsPolicy }> {
  return untilWritten('limits policy', async () => {
    const current = await readLimitsPolicy(deps.doc, deps.table, scope);
    if (current.kind === 'not_found') return { kind: 'not_found' } as const;
    const next = nextPolicy(current.policy, body, changedBy, at);
    if (current.policy !== null && samePolicyLimits(current.policy, next)) {
      // A retry: the policy is recorded; its event goes on the bus again only if its publish was lost.
      await republishIfLost(deps, LIMITS_POLICY, policyEventIdOf(scope, current.policy.version));
      return { kind: 'unchanged', policy: current.policy } as const;
    }
    const previousVersion = current.policy?.version ?? 0;
    const eventId = policyEventIdOf(scope, next.version);
    const event = {
      eventId,
      scope: scope.scope,
      accountId: scope.scope === 'account' ? scope.accountId : null,
      policy: next,
      previousVersion,
      requestId,
    };
    // A lost race: another operator's policy recorded first; decide again over it.
    if (!(await commitChange(deps, LIMITS_POLICY, scope, next, previousVersion, event))) return LOST_RACE;
    await publishRecorded(deps, LIMITS_POLICY, event);
    return { kind: 'changed', policy: next } as const;
  });
}
