/**
 * Reading orders. Routes (by `event.routeKey`):
 *  - GET /v2/orders: the list, from the orders read model's GSIs (see docs/aws.md);
 *  - GET /v2/orders/{order_id}: one order, from the event store (consistent); a replacement the
 *    venue has not confirmed yet, as PATCH answered it (read-after-write, see `pendingReplacementOf`);
 *  - GET /v2/orders:by_client_order_id: via the client-order-id claim (or a pending replacement's
 *    pointer), then the event store;
 *  - GET /v2/orders/{order_id}/events: the order's audit trail in sequence order.
 * Another account's order is 404, as an unknown one.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import {
  type AbandonedReplacement,
  abandonedReplacement,
  rejectedReplacementOrder,
} from '../core/abandoned-replacement.js';
import {
  ALPACA_ASSET_CLASSES,
  type AlpacaOrder,
  CLIENT_ORDER_ID_MAX,
  clientOrderIdSchema,
  type FieldError,
  fieldError,
  isCalendarDate,
  isClientOrderIdLength,
  isOpen,
  lowerAscii,
  type OrderState,
  openReplacement,
  previewPendingReplacement,
  replay,
  SIDES,
  type Side,
  TICKER_SYMBOL,
  toAlpacaOrder,
} from '../core/index.js';
import { coidClaimId, pendingReplacementCoidId, pendingReplacementId } from '../orders/claims.js';
import { alpacaOrderWithLegs, type GroupReader, storeGroupReader } from '../orders/contingent-groups.js';
import { OMS_CHILD_ROLE, ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { orderViewItem } from '../orders/order-view-item.js';
import { orderDocuments } from '../orders/order-views.js';
import {
  ordersAsTheyAreNow,
  REPLACEMENT_HOPS,
  recentlyPlacedIds,
  storedOrderOf,
} from '../orders/recent-placements.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { fieldErrors, json } from './api-response.js';
import { apiHandler, hasLoneSurrogate, notFound, repeatedParameter, unknownParameters } from './http.js';
import { eventStore, loadOwnedOrder, plausibleOrderId, replacedOriginalOf } from './orders-access.js';
import type { Principal } from './principal.js';

export interface ListParams {
  readonly status: 'open' | 'closed' | 'all';
  readonly limit: number;
  readonly after: string | null;
  readonly until: string | null;
  readonly direction: 'asc' | 'desc';
  readonly nested: boolean;
  readonly symbols: readonly string[] | null;
  readonly side: Side | null;
  /**
   * `after_order_id` / `before_order_id` (Alpaca's, SDK 4's `afterOrderId` / `beforeOrderId`): the
   * orders placed after / before that order of the account, exclusive. One of them at most, and
   * neither with `after` / `until`.
   */
  readonly afterOrderId?: string | null;
  readonly beforeOrderId?: string | null;
  /** `asset_class` (comma-separated): null for any. The OMS trades `us_equity` only. */
  readonly assetClasses?: readonly string[] | null;
  /**
   * The exclusive `createdKey` bounds an order cursor resolved to (listOrders): past `afterKey`,
   * before `untilKey`. When absent, `after` / `until` give them.
   */
  readonly afterKey?: string | null;
  readonly untilKey?: string | null;
}

/**
 * Alpaca's asset classes as a listing takes them (the SDK's `GetAllOrdersAssetClassEnum`: every
 * asset class and `all`); the OMS lists orders of `us_equity` only (it trades no other).
 */
const ASSET_CLASSES = [...ALPACA_ASSET_CLASSES, 'all'] as const;

/**
 * The parameters GET /v2/orders takes; any other is refused (400 naming it): an ignored filter
 * listed every order (a probe: SDK 3.1.3's `symbols: ['AAPL', 'MSFT']`, sent as `symbols[]`, listed
 * all 72 orders, which a bot canceling what it lists would all cancel). `symbols[]` is read as
 * `symbols`, as that SDK sends an array.
 */
const LIST_PARAMETERS = [
  'status',
  'limit',
  'after',
  'until',
  'direction',
  'nested',
  'symbols',
  'symbols[]',
  'side',
  'asset_class',
  'after_order_id',
  'before_order_id',
];

/** The exclusive bounds on `createdKey` (`createdAt#orderId`) a listing asks for. */
function keyBounds(p: ListParams): { after: string | null; until: string | null } {
  return {
    // Just past every key of the instant `after`, just before every key of the instant `until`.
    after: p.afterKey ?? (p.after === null ? null : `${p.after}#\uffff`),
    until: p.untilKey ?? (p.until === null ? null : `${p.until}#`),
  };
}

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 500;
const MAX_SYMBOLS = 100;
/** An order id's text (a UUID; the OMS's ids are): anything else names no order. */
const ORDER_ID_TEXT = /^[0-9A-Za-z][0-9A-Za-z-]{0,63}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
/**
 * The instants ISO text writes with a 4-digit year. A bound outside them (`9999-12-31T23:59-12:00`
 * is in year 10000 UTC) is clamped to them: its `+010000-...` text sorted below every order's key,
 * so such an `until` listed nothing and such an `after` everything. Every order is inside, so the
 * clamped bound selects the same orders (unlike the reports' days, 2000..2099, a listing bound far
 * out is a natural "no bound": not refused).
 */
const FIRST_INSTANT = Date.parse('0000-01-01T00:00:00.000Z');
const LAST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

type Query = Readonly<Record<string, string | undefined>> | undefined;
export type ParsedList = { ok: true; params: ListParams } | { ok: false; errors: FieldError[] };

/** Query parameters, each checked; every bad one is named. */
export function parseListParams(q: Query): ParsedList {
  const errors: FieldError[] = unknownParameters(q ?? {}, LIST_PARAMETERS);
  const oneOf = <T extends string>(
    name: string,
    values: readonly T[],
    fallback: T | null,
    read: (text: string) => string = (text) => text,
  ): T | null => {
    const text = q?.[name];
    if (text === undefined || text === '') return fallback;
    const v = read(text);
    if ((values as readonly string[]).includes(v)) return v as T;
    errors.push(fieldError('invalid_value', name, `must be one of ${values.join(', ')}`));
    return fallback;
  };
  /** The bound's key instant (whole ms, clamped) and, to compare two bounds, its exact instant. */
  const timestamp = (name: 'after' | 'until'): { text: string; exact: [number, string] } | null => {
    const v = q?.[name];
    if (v === undefined || v === '') return null;
    // A day that does not exist (2026-02-30) is refused, not rolled over into the next month.
    const t = TIMESTAMP.test(v) && isCalendarDate(v.slice(0, 10)) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(t)) {
      errors.push(fieldError('invalid_value', name, 'must be an ISO-8601 timestamp'));
      return null;
    }
    // Date.parse drops the digits below the ms; orders are stamped in whole ms. Both bounds are
    // exclusive: `after` .2170001 keeps the order at .218 out of .217's (dropping is right), `until`
    // .2170001 takes the order at .217 in: it rounds up to .218.
    const below = (/\.\d{3}(\d+)/.exec(v)?.[1] ?? '').padEnd(6, '0');
    const ms = name === 'until' && /[1-9]/.test(below) ? t + 1 : t;
    return {
      text: new Date(Math.min(Math.max(ms, FIRST_INSTANT), LAST_INSTANT)).toISOString(),
      exact: [t, below],
    };
  };
  const status = oneOf('status', ['open', 'closed', 'all'] as const, 'open') ?? 'open';
  const direction = oneOf('direction', ['asc', 'desc'] as const, 'desc') ?? 'desc';
  // A boolean in any ASCII case: alpaca-py sends Python's `True` (requests writes a bool so).
  const nested = oneOf('nested', ['true', 'false'] as const, 'false', lowerAscii) === 'true';
  const side = oneOf('side', SIDES, null);
  let limit = LIST_LIMIT_DEFAULT;
  const rawLimit = q?.limit;
  if (rawLimit !== undefined && rawLimit !== '') {
    const n = /^\d{1,4}$/.test(rawLimit) ? Number(rawLimit) : Number.NaN;
    if (!(n >= 1 && n <= LIST_LIMIT_MAX)) {
      errors.push(fieldError('out_of_range', 'limit', `must be an integer from 1 to ${LIST_LIMIT_MAX}`));
    } else limit = n;
  }
  const afterBound = timestamp('after');
  const untilBound = timestamp('until');
  if (afterBound !== null && untilBound !== null) {
    const [a, aBelow] = afterBound.exact;
    const [u, uBelow] = untilBound.exact;
    if (a > u || (a === u && aBelow >= uBelow))
      errors.push(fieldError('out_of_range', 'until', 'must be later than after'));
  }
  const after = afterBound?.text ?? null;
  const until = untilBound?.text ?? null;
  let symbols: string[] | null = null;
  const rawSymbols = [q?.symbols, q?.['symbols[]']].filter((v) => v !== undefined && v !== '').join(',');
  if (rawSymbols !== '') {
    // Checked before upper-casing: `ß` is no ticker, though its upper case `SS` is one.
    const given = rawSymbols.split(',').map((s) => s.trim());
    const list = [...new Set(given.map((s) => s.toUpperCase()))];
    if (list.length > MAX_SYMBOLS || given.some((s) => !TICKER_SYMBOL.test(s))) {
      errors.push(
        fieldError(
          'invalid_value',
          'symbols',
          `must be a comma-separated list of up to ${MAX_SYMBOLS} symbols`,
        ),
      );
    } else symbols = list;
  }
  const orderCursor = (name: string): string | null => {
    const v = q?.[name];
    if (v === undefined || v === '') return null;
    if (!ORDER_ID_TEXT.test(v)) {
      errors.push(fieldError('invalid_value', name, 'must be an order id'));
      return null;
    }
    return v;
  };
  const afterOrderId = orderCursor('after_order_id');
  const beforeOrderId = orderCursor('before_order_id');
  if (afterOrderId !== null && beforeOrderId !== null) {
    errors.push(
      fieldError('conflict', 'before_order_id', 'give after_order_id or before_order_id, not both'),
    );
  }
  if ((afterOrderId !== null || beforeOrderId !== null) && (after !== null || until !== null)) {
    errors.push(
      fieldError(
        'conflict',
        afterOrderId !== null ? 'after_order_id' : 'before_order_id',
        'is not combined with after or until',
      ),
    );
  }
  let assetClasses: string[] | null = null;
  const rawClasses = q?.asset_class;
  if (rawClasses !== undefined && rawClasses !== '') {
    const list = [...new Set(rawClasses.split(',').map((c) => c.trim()))];
    if (list.some((c) => !(ASSET_CLASSES as readonly string[]).includes(c))) {
      errors.push(
        fieldError(
          'invalid_value',
          'asset_class',
          `must be a comma-separated list of ${ASSET_CLASSES.join(', ')}`,
        ),
      );
    } else assetClasses = list.includes('all') ? null : list;
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    params: {
      status,
      limit,
      after,
      until,
      direction,
      nested,
      symbols,
      side,
      afterOrderId,
      beforeOrderId,
      assetClasses,
    },
  };
}

/**
 * The GSI queries that serve a list request. Open orders: one query on the sparse `byAccountOpen`
 * (the symbols, if any, as a filter: `symbol` is projected). All or closed orders: one query per
 * symbol on `byAccountSymbol`, else one on `byAccount`; a closed listing keeps the closed ones
 * after reading the documents (`collectClosed`: the listing indexes do not project the status,
 * so a close writes none of them, issue 12). `createdKey` is `createdAt#orderId`, so the exclusive
 * time bounds sit just past (after) and just before (until) every key of that instant.
 */
export function listQueries(p: ListParams, accountId: string, table: string): QueryCommandInput[] {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const range: string[] = [];
  const bounds = keyBounds(p);
  // BETWEEN only with timestamps: no key equals `at#\uffff` or `at#`, so it is exclusive too.
  if (bounds.after !== null && bounds.until !== null) {
    range.push('#k BETWEEN :after AND :until');
  } else if (bounds.after !== null) range.push('#k > :after');
  else if (bounds.until !== null) range.push('#k < :until');
  // DynamoDB refuses names or values an expression does not use.
  if (range.length > 0) names['#k'] = 'createdKey';
  if (bounds.after !== null) values[':after'] = bounds.after;
  if (bounds.until !== null) values[':until'] = bounds.until;
  // The OMS's own child orders (a split's, an algorithm's) are not the client's: never listed.
  const filters: string[] = ['(attribute_not_exists(#role) OR #role <> :omsChild)'];
  names['#role'] = 'contingencyRole';
  values[':omsChild'] = OMS_CHILD_ROLE;
  // Nested: a leg is listed in its root's `legs`, so only roots count against `limit` (a probe's
  // `limit` counted legs, and a leg replaced later came up top-level on another page). An open
  // listing also reads the open legs, to list those whose root is closed (`legsStandingAlone`).
  if (p.nested && p.status !== 'open') {
    filters.push('attribute_not_exists(#parent)');
    names['#parent'] = 'parentOrderId';
  }
  if (p.side !== null) {
    filters.push('#side = :side');
    names['#side'] = 'side';
    values[':side'] = p.side;
  }
  const base = (index: string, keyAttr: string, key: string): QueryCommandInput => ({
    TableName: table,
    IndexName: index,
    KeyConditionExpression: [`#pk = :pk`, ...range].join(' AND '),
    FilterExpression: filters.join(' AND '),
    ExpressionAttributeNames: { ...names, '#pk': keyAttr },
    ExpressionAttributeValues: { ...values, ':pk': key },
    ScanIndexForward: p.direction === 'asc',
    Limit: p.limit,
  });
  if (p.status === 'open') {
    if (p.symbols !== null) {
      filters.push(`#sym IN (${p.symbols.map((_, i) => `:sym${i}`).join(', ')})`);
      names['#sym'] = 'symbol';
      p.symbols.forEach((s, i) => {
        values[`:sym${i}`] = s;
      });
    }
    return [base(ORDERS_INDEX.byAccountOpen, 'openInAccount', accountId)];
  }
  if (p.symbols !== null) {
    return p.symbols.map((s) => base(ORDERS_INDEX.byAccountSymbol, 'accountSymbol', `${accountId}#${s}`));
  }
  return [base(ORDERS_INDEX.byAccount, 'accountId', accountId)];
}

export interface OrderViewItem {
  readonly orderId: string;
  readonly createdKey: string;
  readonly parentOrderId?: string;
  /** A group member's group id (its root as first placed). */
  readonly groupId?: string;
  readonly order: AlpacaOrder;
}

/** A listing index's item: the keys and LIST_INDEX_ATTRIBUTES; `order` once read (`collectClosed`). */
export type ListedItem = Omit<OrderViewItem, 'order'> & { readonly order?: AlpacaOrder };

/**
 * The page of a listing (merged by created time, `limit` of them), with each item's `order` read
 * from the table when its index did not project it. An order missing from the table (the index
 * lags, it never leads) is left out.
 */
export async function pageWithOrders(
  doc: DynamoDBDocumentClient,
  table: string,
  results: readonly ListedItem[][],
  p: ListParams,
): Promise<OrderViewItem[]> {
  const sign = p.direction === 'asc' ? 1 : -1;
  const page = results
    .flat()
    .sort((a, b) => sign * (a.createdKey < b.createdKey ? -1 : a.createdKey > b.createdKey ? 1 : 0))
    .slice(0, p.limit);
  const orders = await orderDocuments(
    doc,
    table,
    page.filter((i) => i.order === undefined).map((i) => i.orderId),
  );
  return page.flatMap((i) => {
    const order = i.order ?? orders.get(i.orderId);
    return order === undefined ? [] : [{ ...i, order }];
  });
}

/** The most index items a listing's later page reads (`collectPages`). */
const LIST_PAGE_MAX_ITEMS = 1000;

/**
 * The items `input` finds, page by page, each page kept as `keep` decides, until `limit` are kept
 * or the index ends. The first page reads `limit` items; a page that fell short (the filter left
 * out the OMS's child orders, or a closed listing its open orders) is followed by pages four times
 * larger, up to LIST_PAGE_MAX_ITEMS: a review's case, an Iceberg's thousand children ahead of the
 * client's orders, read `limit=1` in a thousand Queries one after another.
 */
async function collectPages(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit: number,
  keep: (items: ListedItem[]) => Promise<ListedItem[]> | ListedItem[],
): Promise<ListedItem[]> {
  const out: ListedItem[] = [];
  let start: Record<string, unknown> | undefined;
  let pageItems = input.Limit ?? limit;
  do {
    const page = await doc.send(new QueryCommand({ ...input, Limit: pageItems, ExclusiveStartKey: start }));
    out.push(...(await keep((page.Items ?? []) as ListedItem[])));
    start = page.LastEvaluatedKey;
    pageItems = Math.min(pageItems * 4, LIST_PAGE_MAX_ITEMS);
  } while (start !== undefined && out.length < limit);
  return out.slice(0, limit);
}

function collect(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
  limit: number,
): Promise<ListedItem[]> {
  return collectPages(doc, input, limit, (items) => items);
}

/**
 * The closed orders `input` finds, up to `limit`, with their documents: page by page, the page's
 * documents read (BatchGetItem) and the open ones dropped, until `limit` or the index's end. The
 * status is the document's (the table is the view's latest; an order the index shows that the
 * table no longer has is left out, as in `pageWithOrders`).
 */
function collectClosed(
  doc: DynamoDBDocumentClient,
  table: string,
  input: QueryCommandInput,
  limit: number,
): Promise<ListedItem[]> {
  return collectPages(doc, input, limit, async (items) => {
    const orders = await orderDocuments(
      doc,
      table,
      items.map((i) => i.orderId),
    );
    return items.flatMap((item) => {
      const order = orders.get(item.orderId);
      return order !== undefined && !isOpen(order.status) ? [{ ...item, order }] : [];
    });
  });
}

/**
 * Merges the per-query results by created time and takes `limit` of them. Nested, only the top
 * level counts and is returned: every root, and the legs in `alone` (`legsStandingAlone`) whose
 * root is not in the listing; `withCurrentLegs` then gives each root its legs. Not nested, every
 * order is listed, replaced legs too.
 */
export function assembleList(
  results: readonly OrderViewItem[][],
  p: ListParams,
  alone: ReadonlySet<string> = new Set(),
): OrderViewItem[] {
  const sign = p.direction === 'asc' ? 1 : -1;
  const merged = results
    .flat()
    .sort((a, b) => sign * (a.createdKey < b.createdKey ? -1 : a.createdKey > b.createdKey ? 1 : 0));
  if (!p.nested) return merged.slice(0, p.limit);
  // The groups whose root is listed (an item stored before `groupId` was kept: its own id is its
  // group, as a root as first placed).
  const rooted = new Set(
    merged.filter((i) => i.parentOrderId === undefined).map((i) => i.groupId ?? i.orderId),
  );
  return merged
    .filter((i) => i.parentOrderId === undefined || (!rooted.has(i.parentOrderId) && alone.has(i.orderId)))
    .slice(0, p.limit);
}

/** The listing's item of an order as its events are now. */
function listedItemOf(state: OrderState): OrderViewItem {
  const view = orderViewItem(state);
  return {
    orderId: state.orderId,
    createdKey: view.createdKey,
    ...(view.parentOrderId === undefined ? {} : { parentOrderId: view.parentOrderId }),
    ...(view.groupId === undefined ? {} : { groupId: view.groupId }),
    order: toAlpacaOrder(state),
  };
}

/** Whether `order` belongs in the listing `p` asks for (what its queries and filters select). */
export function isListedBy(p: ListParams, order: AlpacaOrder): boolean {
  const key = `${order.created_at}#${order.id}`;
  const bounds = keyBounds(p);
  return (
    (p.status === 'all' || (p.status === 'open') === isOpen(order.status)) &&
    (bounds.after === null || key > bounds.after) &&
    (bounds.until === null || key < bounds.until) &&
    (p.symbols === null || p.symbols.includes(order.symbol.toUpperCase())) &&
    (p.side === null || order.side === p.side)
  );
}

/**
 * The listing with the account's orders of the last minute as they are now (read-your-writes): the
 * listing indexes are a stream hop and an index update behind the placing transaction, so an order
 * POST had just answered was missing from `status=open` (a probe: 7 of 8) and one just canceled
 * still listed open (5 of 8); a bot reconciling on the listing would send it again. Each placing
 * transaction names its order in the account's rate window (orders/recent-placements.ts): those
 * orders are read consistently (their views; the event store for one whose view is behind its
 * events, `viewsBehind`, or that has none yet), and each is listed as it is now, or taken out when
 * it no longer fits.
 */
async function withRecentPlacements(
  page: readonly OrderViewItem[],
  p: ListParams,
  accountId: string,
  now: number,
): Promise<OrderViewItem[]> {
  const recent = await recentlyPlacedIds(dynamo, requiredEnv(ENV.idempotencyTable), accountId, now);
  if (recent.length === 0) return [...page];
  // A view that is closed is final; one still open may be a stream hop behind its events (a cancel
  // GET /v2/orders/{id} already shows): those, and the orders without a view yet, from the store.
  const store = eventStore();
  const { settled, loaded } = await ordersAsTheyAreNow(
    dynamo,
    { orders: requiredEnv(ENV.ordersTable), store },
    recent,
    {
      projection: ['createdKey', 'parentOrderId', 'groupId', 'order'],
      mayBeBehind: (view) => isOpen(storedOrderOf(view).status),
    },
  );
  const current = new Map<string, OrderViewItem>();
  for (const [orderId, item] of settled)
    current.set(orderId, {
      orderId,
      createdKey: String(item.createdKey),
      ...(item.parentOrderId === undefined ? {} : { parentOrderId: String(item.parentOrderId) }),
      ...(item.groupId === undefined ? {} : { groupId: String(item.groupId) }),
      order: storedOrderOf(item),
    });
  for (const { state } of loaded)
    if (state !== undefined && state.accountId === accountId) current.set(state.orderId, listedItemOf(state));
  // A PATCH names its replacement in the rate window too, before the venue opens it: listed as the
  // PATCH answered it (`accepted`; GET /v2/orders/{id} shows the same, `pendingReplacementOf`).
  for (const id of recent) {
    if (current.has(id)) continue;
    const original = await replacedOriginalOf(store, id, accountId);
    const preview = original === null ? null : previewPendingReplacement(original.state, now);
    if (preview !== null) {
      const item = listedItemOf(preview);
      current.set(id, { ...item, order: { ...item.order, status: 'accepted' } });
      continue;
    }
    // Its replace ended without it (refused, or the order filled or closed first), its view not
    // written yet (the projector writes it a stream hop later): `rejected`, as GET shows it.
    const abandoned = await abandonedReplacementOf(store, id, accountId);
    if (abandoned !== null)
      current.set(id, { ...listedItemOf(abandoned.replacement), order: rejectedReplacementOrder(abandoned) });
  }
  // An order now replaced brings its replacement (along the chain: a PATCH of a minute ago, or a
  // group coordinator's resize), or, while the replacement has not opened, stays as listed.
  for (const [id, item] of [...current]) {
    let next = item.order.status === 'replaced' ? item.order.replaced_by : null;
    for (let hop = 0; next !== null && !current.has(next) && hop < REPLACEMENT_HOPS; hop++) {
      const { state } = await store.loadState(next);
      if (state === undefined || state.accountId !== accountId) {
        if (hop === 0) current.delete(id);
        break;
      }
      current.set(next, listedItemOf(state));
      next = state.replacedBy;
    }
  }
  return [
    ...page.filter((i) => !current.has(i.orderId)),
    ...[...current.values()].filter((i) => isListedBy(p, i.order)),
  ];
}

/** The page of the read model's listing `p` asks for, with each item's `order` (before the orders of the minute). */
export async function listedPage(
  doc: DynamoDBDocumentClient,
  table: string,
  p: ListParams,
  accountId: string,
  groups: GroupReader | null = null,
): Promise<OrderViewItem[]> {
  const inputs = listQueries(p, accountId, table);
  // A nested open listing: an open leg whose root is open too is listed in that root's `legs`.
  const nestedOpen = p.nested && p.status === 'open' && groups !== null;
  const results = await Promise.all(
    inputs.map((i) =>
      p.status === 'closed'
        ? collectClosed(doc, table, i, p.limit)
        : nestedOpen
          ? collectPages(doc, i, p.limit, async (items) => {
              const alone = await legsStandingAlone(items, p, groups);
              return items.filter((item) => item.parentOrderId === undefined || alone.has(item.orderId));
            })
          : collect(doc, i, p.limit),
    ),
  );
  return pageWithOrders(doc, table, results, p);
}

/**
 * The legs among `items` that a nested listing lists on their own: in an open listing, an open leg
 * whose group's root is not open (a bracket's exits once its entry filled), so a bot reading its
 * open orders sees every live exit. Any other leg is in its root's `legs`.
 */
export async function legsStandingAlone(
  items: readonly Pick<ListedItem, 'orderId' | 'parentOrderId'>[],
  p: ListParams,
  groups: GroupReader,
): Promise<Set<string>> {
  if (p.status !== 'open') return new Set();
  const legs = items.filter((i) => i.parentOrderId !== undefined);
  const open = await Promise.all(legs.map((i) => groups.rootIsOpen(i.parentOrderId as string)));
  return new Set(legs.filter((_, k) => !open[k]).map((i) => i.orderId));
}

/** The order classes whose root has `legs`. */
const CONTINGENT_CLASSES: ReadonlySet<string> = new Set(['bracket', 'oco', 'oto']);

/**
 * A nested listing's orders: each root of a bracket, OCO or OTO with its legs as GET
 * /v2/orders/{id} shows them (read from the event store, not from the page: a probe's listing
 * missed a resized stop-loss created after the page's last order). A replaced root has none: its
 * replacement, the group's root now, has them.
 */
export async function withCurrentLegs(
  items: readonly OrderViewItem[],
  groups: GroupReader,
): Promise<AlpacaOrder[]> {
  return Promise.all(
    items.map(async (i) =>
      i.parentOrderId === undefined &&
      CONTINGENT_CLASSES.has(i.order.order_class) &&
      i.order.status !== 'replaced'
        ? { ...i.order, legs: await groups.legsOf(i.orderId) }
        : i.order,
    ),
  );
}

async function listOrders(query: Query, principal: Principal) {
  const parsed = parseListParams(query);
  if (!parsed.ok) return fieldErrors(parsed.errors, 400);
  let p = parsed.params;
  // Orders of another asset class: the OMS has none.
  if (p.assetClasses != null && !p.assetClasses.includes('us_equity')) return json(200, []);
  // An order cursor: that order's place in the listing (its `createdKey`), from the event store.
  const cursor =
    p.afterOrderId != null
      ? { field: 'after_order_id', orderId: p.afterOrderId }
      : p.beforeOrderId != null
        ? { field: 'before_order_id', orderId: p.beforeOrderId }
        : null;
  if (cursor !== null) {
    const owned = plausibleOrderId(cursor.orderId)
      ? await loadOwnedOrder(eventStore(), cursor.orderId, principal.accountId)
      : null;
    if (owned === null)
      return fieldErrors([fieldError('invalid_value', cursor.field, 'is not an order of this account')]);
    const key = `${owned.state.createdAt}#${owned.state.orderId}`;
    p = cursor.field === 'after_order_id' ? { ...p, afterKey: key } : { ...p, untilKey: key };
  }
  const groups = p.nested ? storeGroupReader(eventStore()) : null;
  const page = await listedPage(dynamo, requiredEnv(ENV.ordersTable), p, principal.accountId, groups);
  const items = await withRecentPlacements(page, p, principal.accountId, Date.now());
  if (groups === null)
    return json(
      200,
      assembleList([items], p).map((i) => i.order),
    );
  const listed = assembleList([items], p, await legsStandingAlone(items, p, groups));
  return json(200, await withCurrentLegs(listed, groups));
}

/** An item of the idempotency table (claims and pointers), read consistently; null when absent. */
async function claimItem<T>(id: string): Promise<T | null> {
  const out = await dynamo.send(
    new GetCommand({ TableName: requiredEnv(ENV.idempotencyTable), Key: { id }, ConsistentRead: true }),
  );
  return (out.Item as T | undefined) ?? null;
}

async function getOrder(orderId: string | undefined, principal: Principal) {
  if (!plausibleOrderId(orderId)) return notFound();
  const store = eventStore();
  const owned = await loadOwnedOrder(store, orderId, principal.accountId);
  if (owned !== null) return json(200, await alpacaOrderWithLegs(store, owned.state));
  // Read-after-write: a replacement the venue has not confirmed yet is shown as PATCH answered it.
  const pending = await pendingReplacementOf(store, orderId, principal.accountId);
  if (pending !== null) return json(200, pending);
  const abandoned = await abandonedReplacementOf(store, orderId, principal.accountId);
  return abandoned === null ? notFound() : json(200, rejectedReplacementOrder(abandoned));
}

/**
 * The replacement a PATCH answered whose replace never happened (the venue refused it, or the order
 * filled or was canceled first; core `abandonedReplacement`): shown as PATCH answered it, `rejected`
 * since the replace ended (a probe: the id PATCH answered read 404 once the order filled first, and
 * a client tracking it could think its order lost). The order that traded is the one it `replaces`.
 * Null: no PATCH of the account named this id, or its replace has not ended without it.
 */
async function abandonedReplacementOf(
  store: ReturnType<typeof eventStore>,
  replacementOrderId: string,
  accountId: string,
): Promise<AbandonedReplacement | null> {
  const pointer = await claimItem<{ orderId?: string; accountId?: string }>(
    pendingReplacementId(replacementOrderId),
  );
  if (pointer?.orderId === undefined || pointer.accountId !== accountId) return null;
  const original = await loadOwnedOrder(store, pointer.orderId, accountId);
  return original === null ? null : abandonedReplacement(original.events, replacementOrderId);
}

/**
 * The replacement `replacementOrderId` of a PATCH still awaiting the venue, through its pointer
 * (orders/claims.ts `pendingReplacementId`): as PATCH answered it (status `accepted`) while the
 * request is outstanding; the real order once the venue's `replaced` opened it meanwhile (as it
 * opens, in the moment between the original's `OrderReplaced` and the replacement's opening); null
 * when there is no such replacement (or the venue refused the replace).
 */
async function pendingReplacementOf(
  store: ReturnType<typeof eventStore>,
  replacementOrderId: string,
  accountId: string,
): Promise<AlpacaOrder | null> {
  const original = await replacedOriginalOf(store, replacementOrderId, accountId);
  if (original === null) return null;
  if (original.state.replacedBy === replacementOrderId) {
    const opened = await loadOwnedOrder(store, replacementOrderId, accountId);
    if (opened !== null) return alpacaOrderWithLegs(store, opened.state);
    // Confirmed, its opening not appended yet (the applier writes it just after OrderReplaced):
    // the replacement as it opens (core `openReplacement` is what the applier appends).
    const opening = replay(openReplacement(original.state, Date.now()));
    return opening === undefined ? null : alpacaOrderWithLegs(store, opening);
  }
  const preview = previewPendingReplacement(original.state, Date.now());
  return preview === null ? null : { ...toAlpacaOrder(preview), status: 'accepted' };
}

async function getByClientOrderId(clientOrderId: string | undefined, principal: Principal) {
  if (clientOrderId === undefined || clientOrderId === '') {
    return fieldErrors(
      [fieldError('required', 'client_order_id', `is required (1 to ${CLIENT_ORDER_ID_MAX} characters)`)],
      400,
    );
  }
  if (!isClientOrderIdLength(clientOrderId)) {
    // The same words as POST's for an id too long (a probe's 5000 characters read `is required`).
    return fieldErrors(
      [fieldError('too_long', 'client_order_id', `must be at most ${CLIENT_ORDER_ID_MAX} characters`)],
      400,
    );
  }
  if (hasLoneSurrogate(clientOrderId)) {
    return fieldErrors([fieldError('invalid_value', 'client_order_id', 'must be valid Unicode')], 400);
  }
  // An id POST and PATCH refuse (a control character, a bidi override) is none any order has: 400
  // as there, not a 404 (the bad-input property run found a tab that answered 404).
  const printable = clientOrderIdSchema.safeParse(clientOrderId);
  if (!printable.success) {
    return fieldErrors(
      [fieldError('invalid_value', 'client_order_id', printable.error.issues[0]?.message ?? 'is not valid')],
      400,
    );
  }
  const claim = await claimItem<{ orderId?: string }>(coidClaimId(principal.accountId, clientOrderId));
  if (claim?.orderId !== undefined) return getOrder(claim.orderId, principal);
  // The replace request claims its replacement's id (orders/replacements.ts); a replace requested
  // before it did (December 2026) left this pointer instead, which lives a week.
  const pointer = await claimItem<{ replacementOrderId?: string }>(
    pendingReplacementCoidId(principal.accountId, clientOrderId),
  );
  return getOrder(pointer?.replacementOrderId, principal);
}

async function getOrderEvents(orderId: string | undefined, principal: Principal) {
  if (!plausibleOrderId(orderId)) return notFound();
  const owned = await loadOwnedOrder(eventStore(), orderId, principal.accountId);
  if (owned === null) return notFound();
  const events = [...owned.events]
    .sort((a, b) => a.seq - b.seq)
    .map((e) => ({
      event_id: e.eventId,
      seq: e.seq,
      type: e.type,
      occurred_at: e.occurredAt,
      data: e.data,
      correlation_id: e.correlationId,
      causation_id: e.causationId,
    }));
  return json(200, { order_id: orderId, events });
}

export const handler = apiHandler('QueryOrders', async (event, principal) => {
  const orderId = event.pathParameters?.order_id;
  switch (event.routeKey) {
    case 'GET /v2/orders':
      return listOrders(event.queryStringParameters, principal);
    case 'GET /v2/orders/{order_id}':
      return getOrder(orderId, principal);
    case 'GET /v2/orders:by_client_order_id': {
      // One `client_order_id`, and nothing else: a repeated one reached the handler joined by a
      // comma (`a,b`, a 404 for an id never sent); `client_order_id[]` read as "is required".
      const query = event.queryStringParameters ?? {};
      const errors = unknownParameters(query, ['client_order_id']);
      errors.push(...repeatedParameter(event, 'client_order_id', 'one order at a time'));
      if (errors.length > 0) return fieldErrors(errors, 400);
      return getByClientOrderId(query.client_order_id, principal);
    }
    case 'GET /v2/orders/{order_id}/events':
      return getOrderEvents(orderId, principal);
    default:
      // `$default`: any method and path the API does not have (Alpaca's 404 body, with its code).
      return notFound('endpoint');
  }
});
