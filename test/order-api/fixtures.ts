/** Builders for API events, risk inputs and stored orders. */

import {
  assetFactsOf,
  type Contingency,
  DEFAULT_RISK_LIMITS,
  defaultAsset,
  execute,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  openReplacement,
  type RiskContext,
  type RiskLimits,
  replay,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { toStored } from '../../lambdas/event-store/event-store.js';
import type { ApiEvent } from '../../lambdas/order-api/principal.js';
import type { ListParams } from '../../lambdas/order-api/query-orders.js';
import type { FakeDynamo } from './fake-dynamo.js';

export const T0 = Date.parse('2030-01-02T15:00:00.000Z');
export const ACCOUNT = 'acct-1';
export const OTHER_ACCOUNT = 'acct-9';

export function apiEvent(o: {
  routeKey: string;
  body?: unknown;
  rawBody?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  accountIds?: string;
  principalId?: string | null;
  /** The authorizer context as given (overrides principalId / accountIds). */
  authorizer?: Record<string, string>;
}): ApiEvent {
  const body = o.rawBody ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
  const lambda =
    o.authorizer !== undefined
      ? o.authorizer
      : o.principalId === null
        ? undefined
        : {
            authenticated: 'true',
            principalId: o.principalId ?? 'bot-1',
            accountIds: o.accountIds ?? ACCOUNT,
          };
  return {
    version: '2.0',
    routeKey: o.routeKey,
    rawPath: '/v2/orders',
    rawQueryString: '',
    headers: o.headers ?? {},
    queryStringParameters: o.query,
    pathParameters: o.pathParameters,
    body,
    isBase64Encoded: o.isBase64Encoded ?? false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'x',
      domainPrefix: 'x',
      http: {
        method: o.routeKey.split(' ')[0] ?? 'GET',
        path: '/v2/orders',
        protocol: 'HTTP/1.1',
        sourceIp: '1.2.3.4',
        userAgent: 't',
      },
      requestId: 'req-1',
      routeKey: o.routeKey,
      stage: '$default',
      time: '',
      timeEpoch: T0,
      authorizer: lambda === undefined ? undefined : { lambda },
    },
  } as unknown as ApiEvent;
}

export const LIMIT_BUY = {
  symbol: 'AAPL',
  qty: '10',
  side: 'buy',
  type: 'limit',
  time_in_force: 'day',
  limit_price: '100',
} as const;

export function riskInputs(
  limits: Partial<RiskLimits> = {},
  context: Partial<RiskContext> = {},
): { limits: RiskLimits; context: RiskContext } {
  return {
    limits: { ...DEFAULT_RISK_LIMITS, ...limits },
    context: {
      now: T0,
      referencePrice: '100',
      asset: assetFactsOf(defaultAsset('AAPL')),
      buyingPower: null,
      openBuyExposure: '0',
      recentOrders: [],
      accountProblem: null,
      ...context,
    },
  };
}

/** Stores an order's events (submitted, then `commands`) in the fake event store. */
export function seedOrder(
  fake: FakeDynamo,
  orderId: string,
  o: {
    accountId?: string;
    body?: Record<string, unknown>;
    commands?: readonly OrderCommand[];
    /** A member of a contingent or algorithmic order (its submit command's). */
    contingency?: Contingency;
  } = {},
): OrderState {
  const accountId = o.accountId ?? ACCOUNT;
  const v = validateOrderRequest(o.body ?? LIMIT_BUY, { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const events: OrderEvent[] = [];
  let state: OrderState | undefined;
  for (const c of [
    {
      type: 'submit',
      orderId,
      accountId,
      order: v.order,
      ...(o.contingency === undefined ? {} : { contingency: o.contingency }),
    } as OrderCommand,
    ...(o.commands ?? []),
  ]) {
    const r = execute(state, c, T0);
    if (!r.decision.ok) throw new Error(r.decision.refusal.message);
    events.push(...r.decision.events);
    state = r.state;
  }
  for (const e of events) {
    fake.put(
      'events',
      toStored(e, { accountId, correlationId: 'seed', causationId: 'seed' }) as unknown as Record<
        string,
        unknown
      >,
    );
  }
  return state as OrderState;
}

export const parse = (body: string | undefined) => JSON.parse(body ?? 'null');

/** A PATCH of an accepted order to qty 5, its replacement `replacementId`; `confirmed`: the venue replaced it. */
export const replaceOf = (replacementId: string, confirmed: boolean): readonly OrderCommand[] => [
  { type: 'accept', venueOrderId: 'v-1' },
  { type: 'requestReplace', replacementOrderId: replacementId, changes: { qty: '5' }, requestedBy: 'bot-1' },
  ...(confirmed ? [{ type: 'confirmReplace' } as const] : []),
];

/** The stored events of `orderId`, in order, as the event store reads them. */
export function storedEvents(fake: FakeDynamo, orderId: string): OrderEvent[] {
  return [...fake.table('events').values()]
    .filter((e) => e.orderId === orderId)
    .sort((a, b) => (a.seq as number) - (b.seq as number))
    .map(
      (e) =>
        ({ type: e.type, orderId: e.orderId, seq: e.seq, occurredAt: e.occurredAt, data: e.data }) as never,
    );
}

export const stateOf = (fake: FakeDynamo, orderId: string) =>
  replay(storedEvents(fake, orderId)) as OrderState;

function putEvents(fake: FakeDynamo, events: readonly OrderEvent[], accountId = ACCOUNT): void {
  for (const e of events)
    fake.put('events', toStored(e, { accountId, correlationId: 'seed', causationId: 'seed' }) as never);
}

/** Appends what `commands` decide on the order's stored state, as a writer would. */
export function appendCommands(fake: FakeDynamo, orderId: string, commands: readonly OrderCommand[]): void {
  let state: OrderState | undefined = stateOf(fake, orderId);
  for (const c of commands) {
    const r = execute(state, c, T0);
    if (!r.decision.ok) throw new Error(r.decision.refusal.message);
    putEvents(fake, r.decision.events);
    state = r.state;
  }
}

/** Opens the replacement of a replaced order as the applier opens it. */
export function openReplacementOf(fake: FakeDynamo, orderId: string): void {
  putEvents(fake, openReplacement(stateOf(fake, orderId), T0));
}

/** `orderId` replaced by `replacementId`, the replacement opened as the applier opens it. */
export function replaced(
  fake: FakeDynamo,
  orderId: string,
  replacementId: string,
  commands: readonly OrderCommand[] = replaceOf(replacementId, true),
): OrderState {
  const state = seedOrder(fake, orderId, { commands });
  openReplacementOf(fake, orderId);
  return state;
}

/** A listing's parameters as parsed (`parseListParams`): open, 50, ascending, no filter, but `p`. */
export const listParams = (p: Partial<ListParams> = {}): ListParams => ({
  status: 'open',
  limit: 50,
  after: null,
  until: null,
  direction: 'asc',
  nested: false,
  symbols: null,
  side: null,
  ...p,
});
