/**
 * Local mode's control and inspection endpoints (not part of the OMS API; README "Local mode"):
 *   PUT /local/market/{symbol}      {"bid","ask","last"}: the symbol holds that quote until set again
 *                                   (and is listed in the asset master as a default asset if it was not)
 *   PUT /local/assets/{symbol}      Alpaca's Asset fields (`tradable`, `shortable`, ...): lists the
 *                                   symbol or changes the fields given
 *   PUT /local/venues/{venue}       {"latency_ms","max_fill_qty","reject_next"} (the venue's settings, replaced
 *                                   whole) and/or {"down": true|false} (an outage: the market shows the
 *                                   venue down, the router skips it, it refuses what reaches it; `down`
 *                                   alone leaves the settings as they are)
 *   GET /local/venues               every simulated venue: fees, settings, status, recent fill rate
 *   POST /local/divergences/{venue} {"action","order_id",...}: the venue diverges from the OMS on
 *                                   purpose (lambdas/broker-gateway/simulated/divergence.ts; issue 16)
 *   GET /local/market/{symbol}      the tape's quote, each venue's quote and the NBBO
 *   GET /local/executions/{order_id} the order's workflow history, as the console shows it
 *   GET /local/events?order_id=     every event delivered to the bus (a catch-all rule's view)
 *   PUT /local/accounts/{account_id} {"cash","multiplier","shorting_enabled","pattern_day_trader",
 *                                    "trading_blocked","account_blocked"}: the account's money and permissions
 *   GET /local/accounts/{account_id} the account's record (its API keys are other items)
 *   PUT /local/strategies/{id}      {"account_ids": [...], "status"?}: the accounts the strategy's
 *                                    OrderRequested (source stockbot.strategy.<id>) may trade
 *   PUT /local/borrow/{symbol}      {"available": whole shares}: what the simulated borrow desk can lend
 *                                    of the symbol (locates take from it; none set: nothing); GET reads it
 *   GET /local/queues/{name}        the messages a queue holds (its logical id without CDK's hash,
 *                                    e.g. EventsPortfolioManagerQueue), bodies parsed, not received
 *   POST /local/regulatory-export?date=  the day's CAT-shaped export into the audit directory, and
 *   POST /local/regulatory-export/verify?date=&dir=  its verification (local/regulatory-export.ts)
 *   POST /local/stream/disconnect   {"account_id"?, "hold"?}: drops the trade_updates connections (those
 *                                   listening for the account, else every one) as a network failure
 *                                   would; `hold: true` refuses new ones (HTTP 503) until
 *   POST /local/stream/resume       accepts connections again
 *   GET /local/stream?account_id=   `{holding, connections, listening}`: the open connections, and
 *                                   those listening for the account (its listeners item)
 *   GET /local/health
 * Quotes and venue settings live where the simulated venue reads them (DynamoDB), written with
 * the venue's own validation, and assets where the market data port reads them, written as an
 * operator's script writes them on AWS (core applyAssetInput), so the handlers see them exactly
 * as in AWS.
 */
import type { IncomingHttpHeaders } from 'node:http';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { divergedItem, parseDivergence } from '../lambdas/broker-gateway/simulated/divergence.js';
import {
  accumulateTape,
  type PinnedQuoteItem,
  pinnedQuoteItem,
  quoteFromItem,
  tapeAccumulatorsOf,
  tapeAttributes,
} from '../lambdas/broker-gateway/simulated/market.js';
import { type VenueOrderItem, venueConfigItem } from '../lambdas/broker-gateway/simulated/simulated-venue.js';
import { venueConfigKey } from '../lambdas/broker-gateway/simulated/venue-config.js';
import {
  applyAssetInput,
  defaultAsset,
  describeFieldErrors,
  formatNanos,
  newYorkDate,
  parseNanos,
  TICKER_SYMBOL,
  toAlpacaAsset,
  VENUE_NAMES,
  VENUE_PROFILES,
} from '../lambdas/core/index.js';
import { ACCOUNT_ID, type ApiScope, apiKeyItem } from '../lambdas/orders/accounts.js';
import { borrowDeskPk } from '../lambdas/orders/borrow-desk.js';
import { strategyItemFromInput } from '../lambdas/orders/strategies.js';
import { listenersPk } from '../lambdas/orders/trade-update-stream.js';
import {
  assetFromItem,
  assetToItem,
  restrictionAttributes,
  setVenueDown,
  TableMarketData,
  VENUE_HEALTH_KEY,
  venueHealthFromItem,
} from '../lambdas/platform/market-data.js';
import { PRICE_MARKS_TABLE_ENV, priceMarkItems, writePriceMarks } from '../lambdas/platform/price-marks.js';
import { HANDLERS } from '../lib/handlers.js';
import { listAssets } from './assets.js';
import type { LocalEventBridge } from './event-bridge.js';
import { type LocalExportDeps, localRegulatoryExport } from './regulatory-export.js';
import type { LocalQueues } from './sqs.js';
import type { LocalStepFunctions } from './step-functions.js';
import type { LocalTopology } from './types.js';
import type { LocalWebSocketApi } from './websocket-api.js';

export interface ControlRequest {
  readonly method: string;
  readonly path: string;
  readonly rawQueryString: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface ControlResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export interface LocalControlDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly topology: LocalTopology;
  readonly stepFunctions: LocalStepFunctions;
  readonly eventBridge: LocalEventBridge;
  /** The queues, for `GET /local/queues/{name}` (absent: the route answers 404). */
  readonly queues?: Pick<LocalQueues, 'messages'>;
  /** The trade_updates WebSocket stage, for `/local/stream` (absent: its routes answer 404). */
  readonly stream?: Pick<LocalWebSocketApi, 'connectionIds' | 'drop' | 'hold' | 'holding'>;
  /** The CAT-shaped export's reporter and directory (absent: its routes answer 404). */
  readonly regulatoryExport?: Pick<LocalExportDeps, 'reporterImid' | 'auditDir'>;
}

const json = (statusCode: number, value: unknown): ControlResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: Buffer.from(JSON.stringify(value, null, 2)),
});
/** Every refusal has a stable `code` and a message naming what was wrong (README "Local mode"). */
const problem = (statusCode: number, code: string, message: string) => json(statusCode, { code, message });
/** A path symbol that is no ticker as sent (core ticker.ts): `ß`, whose upper case SS is one, names nothing. */
const notATicker = () =>
  problem(400, 'invalid_value', 'symbol: must be a ticker symbol (letters, digits, ".", "-", "/")');

/** Longest path id accepted: order ids, symbols and venue names are all far shorter. */
export const MAX_ID_LENGTH = 128;

type Parsed = { ok: true; parts: string[] } | { ok: false; message: string };

/**
 * The path's segments after `/local`, decoded. A malformed percent-encoding, an over-long segment
 * or a control character is refused here, before anything reads the store.
 */
function parsePath(path: string): Parsed {
  const raw = path.split('/').filter(Boolean).slice(1);
  const parts: string[] = [];
  for (const [i, segment] of raw.entries()) {
    const name = i === 0 ? 'resource' : 'id';
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { ok: false, message: `path: ${name} is not valid percent-encoding` };
    }
    if (decoded.length === 0 || decoded.length > MAX_ID_LENGTH)
      return { ok: false, message: `path: ${name} must be 1 to ${MAX_ID_LENGTH} characters` };
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (/[\u0000-\u001f\u007f]/.test(decoded))
      return { ok: false, message: `path: ${name} must not contain control characters` };
    parts.push(decoded);
  }
  return { ok: true, parts };
}

function tableFor(topology: LocalTopology, envName: string): string {
  for (const fn of topology.functions) {
    const v = fn.environment[envName];
    if (v !== undefined) return v;
  }
  throw new Error(`no function has ${envName}`);
}

function parseJson(body: Buffer): { ok: true; value: Record<string, unknown> } | { ok: false } {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false };
    return { ok: true, value: value as Record<string, unknown> };
  } catch {
    return { ok: false };
  }
}

/** The account settings an operator may set, snake_case in, the account record's names out. */
const ACCOUNT_SETTINGS: Readonly<
  Record<string, { readonly field: string; readonly kind: 'cash' | 'multiplier' | 'flag' }>
> = {
  cash: { field: 'cash', kind: 'cash' },
  multiplier: { field: 'multiplier', kind: 'multiplier' },
  shorting_enabled: { field: 'shortingEnabled', kind: 'flag' },
  pattern_day_trader: { field: 'patternDayTrader', kind: 'flag' },
  trading_blocked: { field: 'tradingBlocked', kind: 'flag' },
  account_blocked: { field: 'accountBlocked', kind: 'flag' },
};

/** The record fields of an operator's account settings, or the message naming the bad one. */
export function accountSettingsUpdate(
  body: Record<string, unknown>,
): { ok: true; fields: Record<string, unknown> } | { ok: false; message: string } {
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    // Own settings only: `constructor` or `__proto__` in a body are not settings.
    const setting = Object.hasOwn(ACCOUNT_SETTINGS, key) ? ACCOUNT_SETTINGS[key] : undefined;
    if (setting === undefined)
      return {
        ok: false,
        message: `${key}: is not an account setting (${Object.keys(ACCOUNT_SETTINGS).join(', ')})`,
      };
    if (setting.kind === 'flag') {
      if (typeof value !== 'boolean') return { ok: false, message: `${key}: must be true or false` };
      fields[setting.field] = value;
    } else if (setting.kind === 'multiplier') {
      if (!['1', '2', '4'].includes(String(value)))
        return { ok: false, message: `${key}: must be 1, 2 or 4` };
      fields[setting.field] = String(value);
    } else {
      const text = typeof value === 'number' ? String(value) : value;
      const parsed = typeof text === 'string' ? parseNanos(text) : 'not_a_decimal';
      if (typeof parsed !== 'bigint') return { ok: false, message: `${key}: must be a non-negative decimal` };
      fields[setting.field] = text;
    }
  }
  if (Object.keys(fields).length === 0)
    return { ok: false, message: `body: give at least one of ${Object.keys(ACCOUNT_SETTINGS).join(', ')}` };
  return { ok: true, fields };
}

export function createLocalControl(deps: LocalControlDeps) {
  const marketTable = tableFor(deps.topology, 'MARKET_TABLE');
  // Looked up when asked for: a topology without the accounts table still serves the rest.
  const accountsTable = () => tableFor(deps.topology, 'ACCOUNTS_TABLE');
  const venueTable = tableFor(deps.topology, 'VENUE_ORDERS_TABLE');
  const assetsTable = tableFor(deps.topology, 'ASSETS_TABLE');
  // Looked up when a pin writes: a topology without the price marks table still pins (no marks).
  const priceMarksTable = (): string | undefined => {
    try {
      return tableFor(deps.topology, PRICE_MARKS_TABLE_ENV);
    } catch {
      return undefined;
    }
  };
  /** The open connections listening for the account (the trade stream's listeners item). */
  async function listenersOf(accountId: string): Promise<string[]> {
    const got = await deps.doc.send(
      new GetCommand({
        TableName: tableFor(deps.topology, 'TRADE_STREAM_TABLE'),
        Key: { pk: listenersPk(accountId), sk: 0 },
        ConsistentRead: true,
      }),
    );
    const listed = Object.keys((got.Item?.listeners ?? {}) as Record<string, unknown>);
    const open = new Set(deps.stream?.connectionIds() ?? []);
    return listed.filter((c) => open.has(c));
  }
  // An order's workflow is named by its id in one of the state machines (its lifecycle, or the
  // schedule of an algorithmic parent).
  const stateMachines = deps.topology.stateMachines;

  /** Never throws: an unexpected failure is a fixed 500 body (its text stays in the log). */
  async function handle(req: ControlRequest): Promise<ControlResponse> {
    try {
      return await route(req);
    } catch (error) {
      console.error(`local control ${req.method} ${req.path.slice(0, 200)} failed:`, error);
      return problem(500, 'internal_error', 'Internal Server Error');
    }
  }

  async function route(req: ControlRequest): Promise<ControlResponse> {
    const parsed = parsePath(req.path);
    if (!parsed.ok) return problem(400, 'invalid_path', parsed.message);
    const [resource, id, ...extra] = parsed.parts;
    const route =
      extra.length > 0 ? 'too deep' : `${req.method} ${resource ?? ''}${id === undefined ? '' : '/{id}'}`;
    switch (route) {
      case 'GET health':
        return json(200, { status: 'ok' });
      case 'PUT market/{id}': {
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        const now = Date.now();
        const built = pinnedQuoteItem(id as string, body.value as never, now);
        if (!built.ok) return problem(400, 'invalid_body', built.message);
        const updated = await pinQuote(deps.doc, marketTable, built.item, now);
        // The pinned last is the market's price now: its intraday marks (price history). The day's
        // close is the market tick's to mark (a session day's observations up to its close).
        const marks = priceMarksTable();
        if (marks !== undefined)
          await writePriceMarks(
            deps.doc,
            marks,
            priceMarkItems(built.item.symbol, built.item.last, now, false),
          );
        // A symbol an operator quotes is one the OMS may trade: listed as a default asset unless
        // the master has it (its flags, an operator's or the default list's, are kept).
        await listAssets(deps.doc, assetsTable, [defaultAsset(built.item.symbol)]);
        return json(200, updated ?? built.item);
      }
      case 'PUT assets/{id}': {
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        // The path as sent: `ﬀ` is no ticker, though its upper case FF is (a probe delisted FF).
        if (!TICKER_SYMBOL.test(id as string)) return notATicker();
        const symbol = (id as string).toUpperCase();
        const got = await deps.doc.send(
          new GetCommand({ TableName: assetsTable, Key: { symbol }, ConsistentRead: true }),
        );
        const built = applyAssetInput(symbol, body.value, assetFromItem(got.Item));
        if (!built.ok) return problem(400, 'invalid_body', describeFieldErrors(built.errors));
        await deps.doc.send(new PutCommand({ TableName: assetsTable, Item: assetToItem(built.asset) }));
        return json(200, toAlpacaAsset(built.asset));
      }
      case 'GET market/{id}': {
        if (id === VENUE_HEALTH_KEY) return problem(404, 'not_found', `no quote for ${id}`);
        const got = await deps.doc.send(
          new GetCommand({ TableName: marketTable, Key: { symbol: id }, ConsistentRead: true }),
        );
        if (got.Item === undefined) return problem(404, 'not_found', `no quote for ${id}`);
        // The tape's item as stored, and the symbol across venues as the router sees it.
        const c = await new TableMarketData(deps.doc, marketTable).consolidatedQuote(id as string);
        const text = (v: bigint | null) => (v === null ? null : formatNanos(v));
        return json(200, {
          ...got.Item,
          nbbo: {
            bid: text(c.nbbo.bid),
            bid_venue: c.nbbo.bidSource,
            ask: text(c.nbbo.ask),
            ask_venue: c.nbbo.askSource,
          },
          venues: c.venues.map((q) => ({
            venue: q.source,
            bid: text(q.bid),
            ask: text(q.ask),
            bid_size: text(q.bidSize),
            ask_size: text(q.askSize),
          })),
        });
      }
      case 'GET venues': {
        const healthItem = await deps.doc.send(
          new GetCommand({ TableName: marketTable, Key: { symbol: VENUE_HEALTH_KEY }, ConsistentRead: true }),
        );
        const health = venueHealthFromItem(healthItem.Item);
        const venues = [];
        for (const p of VENUE_PROFILES) {
          const got = await deps.doc.send(
            new GetCommand({ TableName: venueTable, Key: venueConfigKey(p.name), ConsistentRead: true }),
          );
          const h = health.get(p.name);
          venues.push({
            venue: p.name,
            primary: p.primary,
            taker_fee_per_share: p.takerFeePerShare,
            maker_fee_per_share: p.makerFeePerShare,
            passive_fill_percent: p.passiveFillPercent,
            size_percent: p.sizePercent,
            down: h?.down ?? false,
            down_since: h?.since ?? null,
            failed_at: h?.failedAt ?? null,
            fill_rate: h?.fillRate ?? null,
            settings: got.Item ?? { latencyMs: p.latencyMs, maxFillQty: null, rejectNext: false },
          });
        }
        return json(200, venues);
      }
      case 'PUT accounts/{id}': {
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        const update = accountSettingsUpdate(body.value);
        if (!update.ok) return problem(400, 'invalid_body', update.message);
        const names = Object.keys(update.fields);
        try {
          const updated = await deps.doc.send(
            new UpdateCommand({
              TableName: accountsTable(),
              Key: { pk: `account#${id}` },
              UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
              ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
              ExpressionAttributeValues: Object.fromEntries(
                names.map((n, i) => [`:v${i}`, update.fields[n]]),
              ),
              // Settings of an account that exists: a typo in the id does not open a new account.
              ConditionExpression: 'attribute_exists(pk)',
              ReturnValues: 'ALL_NEW',
            }),
          );
          return json(200, updated.Attributes ?? {});
        } catch (err) {
          if ((err as { name?: string }).name === 'ConditionalCheckFailedException')
            return problem(404, 'not_found', `no account ${id}`);
          throw err;
        }
      }
      case 'PUT keys/{id}': {
        // Issues (or replaces) an API key pair for an existing account, with its scope (issue 16):
        // {"secret", "account_id", "scope": "trade" | "read_only" | "operator"}; the secret is stored
        // hashed. An operator key acts firm-wide on the operator routes; its account is its home.
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        const input = body.value as Record<string, unknown>;
        const keyId = id as string;
        const errors: string[] = [];
        if (!/^[A-Za-z0-9]{8,64}$/.test(keyId)) errors.push('key id: must be 8-64 letters or digits');
        for (const k of Object.keys(input))
          if (!['secret', 'account_id', 'scope'].includes(k))
            errors.push(`${k}: is not a key setting (secret, account_id, scope)`);
        if (typeof input.secret !== 'string' || input.secret.length < 16)
          errors.push('secret: must be a string of at least 16 characters');
        // An account id as the OMS reads one (a probe's 3,000 characters were past DynamoDB's key size: 500).
        if (typeof input.account_id !== 'string' || !ACCOUNT_ID.test(input.account_id))
          errors.push('account_id: must name an account (1-128 letters, digits, ".", "_", ":", "-")');
        const scope = input.scope ?? 'trade';
        if (scope !== 'trade' && scope !== 'read_only' && scope !== 'operator')
          errors.push('scope: must be "trade", "read_only" or "operator"');
        if (errors.length > 0) return problem(400, 'invalid_body', errors.join('; '));
        const accountId = input.account_id as string;
        const account = await deps.doc.send(
          new GetCommand({
            TableName: accountsTable(),
            Key: { pk: `account#${accountId}` },
            ConsistentRead: true,
          }),
        );
        if (account.Item === undefined) return problem(404, 'not_found', `no account ${accountId}`);
        const item = apiKeyItem({
          keyId,
          secret: input.secret as string,
          principalId: `local-key-${keyId}`,
          accountIds: [accountId],
          scope: scope as ApiScope,
        });
        await deps.doc.send(new PutCommand({ TableName: accountsTable(), Item: item }));
        return json(200, { key_id: keyId, account_id: accountId, scope, status: item.status });
      }
      case 'PUT strategies/{id}': {
        // A strategy's entitlement (issue 16): the accounts its OrderRequested events may trade,
        // {"account_ids": [...], "status"?: "active" | "revoked"}; replaced whole.
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        const built = strategyItemFromInput(id as string, body.value, new Date().toISOString());
        if (!built.ok) return problem(400, 'invalid_body', built.message);
        await deps.doc.send(new PutCommand({ TableName: accountsTable(), Item: built.item }));
        return json(200, built.item);
      }
      case 'PUT borrow/{id}': {
        // The simulated borrow desk (issue 16, lambdas/orders/borrow-desk.ts): {"available": whole
        // shares} it can lend of the symbol; locates take from it.
        if (!TICKER_SYMBOL.test(id as string)) return notATicker();
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        const { available, ...rest } = body.value;
        const extra = Object.keys(rest);
        if (extra.length > 0)
          return problem(400, 'invalid_body', `${extra[0]}: is not a borrow desk setting (available)`);
        const n =
          typeof available === 'string' && /^\d{1,12}$/.test(available) ? Number(available) : available;
        if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
          return problem(400, 'invalid_body', 'available: must be a whole number of shares, 0 or more');
        const symbol = (id as string).toUpperCase();
        await deps.doc.send(
          new PutCommand({
            TableName: accountsTable(),
            Item: { pk: borrowDeskPk(symbol), symbol, available: n },
          }),
        );
        return json(200, { symbol, available: n });
      }
      case 'GET borrow/{id}': {
        if (!TICKER_SYMBOL.test(id as string)) return notATicker();
        const symbol = (id as string).toUpperCase();
        const got = await deps.doc.send(
          new GetCommand({
            TableName: accountsTable(),
            Key: { pk: borrowDeskPk(symbol) },
            ConsistentRead: true,
          }),
        );
        return json(200, { symbol, available: Number(got.Item?.available ?? 0) });
      }
      case 'GET accounts/{id}': {
        const got = await deps.doc.send(
          new GetCommand({ TableName: accountsTable(), Key: { pk: `account#${id}` }, ConsistentRead: true }),
        );
        return got.Item === undefined ? problem(404, 'not_found', `no account ${id}`) : json(200, got.Item);
      }
      case 'GET queues/{id}': {
        // A subscriber's queue as its consumer would find it: nothing is received or deleted.
        const queue = deps.topology.queues.find((q) => q.logicalId.replace(/[0-9A-F]{8}$/, '') === id);
        if (queue === undefined || deps.queues === undefined)
          return problem(404, 'not_found', `no queue ${id}`);
        const messages = deps.queues.messages(queue.logicalId).map((m) => {
          let body: unknown = m.body;
          try {
            body = JSON.parse(m.body);
          } catch {
            // not JSON: shown as sent
          }
          return {
            messageId: m.messageId,
            sentTimestamp: m.sentTimestamp,
            receiveCount: m.receiveCount,
            body,
          };
        });
        return json(200, messages);
      }
      case 'PUT venues/{id}': {
        // Only a simulated venue has settings and an outage switch: any other name (`NOPE`, `simx`)
        // is a 404 whatever the body, nothing written (a probe got 200 and a `venue-config#NOPE` row).
        if (!VENUE_NAMES.includes(id as string))
          return problem(404, 'not_found', `venue: no simulated venue ${id} (${VENUE_NAMES.join(', ')})`);
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        // `down` (an outage, on the market's venue status) is not one of the venue's settings;
        // alone it changes only the status, the settings stay.
        const { down, ...settings } = body.value;
        if (down !== undefined && typeof down !== 'boolean')
          return problem(400, 'invalid_body', 'down: must be true or false');
        const onlyStatus = down !== undefined && Object.keys(settings).length === 0;
        const built = onlyStatus ? null : venueConfigItem(id as string, settings as never);
        if (built !== null && !built.ok) return problem(400, 'invalid_body', built.message);
        if (built !== null) await deps.doc.send(new PutCommand({ TableName: venueTable, Item: built.item }));
        if (down !== undefined)
          await setVenueDown(deps.doc, marketTable, id as string, down, new Date().toISOString());
        // A venue back from an outage: a reconciliation pass now, not at the next interval (issue 16:
        // "also after a venue outage ends"): what it did or dropped while down is compared at once.
        if (down === false) {
          const reconciler = deps.topology.functions.find((f) => f.entry === HANDLERS.reconcileVenues);
          if (reconciler !== undefined) deps.eventBridge.fireSchedulesOf([reconciler.logicalId]);
        }
        return json(200, {
          ...(built === null ? {} : built.item),
          ...(down === undefined ? {} : { venue: id, down }),
        });
      }
      case 'POST divergences/{id}': {
        // Issue 16: make a simulated venue diverge from the OMS on purpose (divergence.ts).
        if (!VENUE_NAMES.includes(id as string))
          return problem(404, 'not_found', `venue: no simulated venue ${id} (${VENUE_NAMES.join(', ')})`);
        const body = parseJson(req.body);
        if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
        const parsed = parseDivergence(body.value);
        if (!parsed.ok) return problem(400, 'invalid_body', parsed.message);
        const d = parsed.divergence;
        const got = await deps.doc.send(
          new GetCommand({ TableName: venueTable, Key: { orderId: d.orderId }, ConsistentRead: true }),
        );
        const current = got.Item as VenueOrderItem | undefined;
        const next = divergedItem(current, d, id as string, new Date().toISOString());
        if (!next.ok)
          return problem(next.status, next.status === 404 ? 'not_found' : 'conflict', next.message);
        const condition =
          current === undefined
            ? { ConditionExpression: 'attribute_not_exists(orderId)' }
            : {
                ConditionExpression: 'version = :v',
                ExpressionAttributeValues: { ':v': current.version },
              };
        try {
          if ('delete' in next)
            await deps.doc.send(
              new DeleteCommand({ TableName: venueTable, Key: { orderId: d.orderId }, ...condition }),
            );
          else await deps.doc.send(new PutCommand({ TableName: venueTable, Item: next.item, ...condition }));
        } catch (err) {
          if ((err as { name?: string }).name === 'ConditionalCheckFailedException')
            return problem(
              409,
              'conflict',
              `order_id: ${d.orderId} changed at the venue meanwhile; try again`,
            );
          throw err;
        }
        return json(200, {
          venue: id,
          action: d.action,
          order_id: d.orderId,
          item: 'delete' in next ? null : next.item,
        });
      }
      case 'GET executions/{id}': {
        if (stateMachines.length === 0) return problem(404, 'not_found', 'no state machine');
        for (const sm of stateMachines) {
          const arn = deps.stepFunctions.executionArnFor(sm.arn, id as string);
          try {
            return json(200, await deps.stepFunctions.historyForConsole(arn));
          } catch {
            // not in this state machine: the next one
          }
        }
        return problem(404, 'not_found', `no execution for order ${id}`);
      }
      case 'POST regulatory-export':
      case 'POST regulatory-export/{id}': {
        if (deps.regulatoryExport === undefined || (id !== undefined && id !== 'verify'))
          return problem(404, 'not_found', `no local control route ${req.method} ${req.path.slice(0, 200)}`);
        const out = await localRegulatoryExport(
          {
            doc: deps.doc,
            eventStoreTable: tableFor(deps.topology, 'EVENT_STORE_TABLE'),
            ...deps.regulatoryExport,
          },
          id === 'verify' ? 'verify' : 'export',
          new URLSearchParams(req.rawQueryString),
        );
        return json(out.status, out.body);
      }
      case 'GET stream':
      case 'POST stream/{id}': {
        const stream = deps.stream;
        if (stream === undefined || (id !== undefined && id !== 'disconnect' && id !== 'resume'))
          return problem(404, 'not_found', `no local control route ${req.method} ${req.path.slice(0, 200)}`);
        let accountId: string | undefined;
        let hold: boolean | undefined;
        if (id === 'disconnect') {
          const body: ReturnType<typeof parseJson> =
            req.body.length === 0 ? { ok: true, value: {} } : parseJson(req.body);
          if (!body.ok) return problem(400, 'invalid_body', 'body: must be a JSON object');
          const { account_id, hold: h, ...rest } = body.value;
          const unknown = Object.keys(rest)[0];
          if (unknown !== undefined)
            return problem(400, 'invalid_body', `${unknown}: is not a setting (account_id, hold)`);
          if (account_id !== undefined && (typeof account_id !== 'string' || account_id === ''))
            return problem(400, 'invalid_body', 'account_id: must be a non-empty string');
          if (h !== undefined && typeof h !== 'boolean')
            return problem(400, 'invalid_body', 'hold: must be true or false');
          accountId = account_id;
          hold = h;
        } else if (id === undefined) {
          const q = new URLSearchParams(req.rawQueryString).get('account_id');
          accountId = q === null || q === '' ? undefined : q;
        }
        // An account id is a key: one past DynamoDB's key size was a 500 (a probe), as other routes refuse it.
        if (accountId !== undefined && accountId.length > MAX_ID_LENGTH)
          return problem(
            400,
            id === 'disconnect' ? 'invalid_body' : 'invalid_query',
            `account_id: must be at most ${MAX_ID_LENGTH} characters`,
          );
        const listening = accountId === undefined ? undefined : await listenersOf(accountId);
        if (id === 'resume') stream.hold(false);
        if (id === 'disconnect') {
          // Held first: a client reconnecting at once is refused, not let back in.
          if (hold === true) stream.hold(true);
          const dropped = stream.drop(listening);
          return json(200, { dropped, holding: stream.holding });
        }
        return json(200, {
          holding: stream.holding,
          connections: stream.connectionIds().length,
          ...(listening === undefined ? {} : { listening }),
        });
      }
      case 'GET events': {
        const orderId = new URLSearchParams(req.rawQueryString).get('order_id') ?? undefined;
        return json(200, deps.eventBridge.delivered(orderId === undefined ? {} : { orderId }));
      }
      default:
        return problem(404, 'not_found', `no local control route ${req.method} ${req.path.slice(0, 200)}`);
    }
  }
  return { handle };
}

/**
 * Pins a symbol's quote. The quote's attributes are set; the rest of the item stays: the symbol's
 * tape (`volume`, `notional`, `midMs`: what algorithmic parents measure participation against and
 * TCA's VWAP/TWAP are taken from) is not wiped, and the mid it replaces is carried into the mid x
 * ms integral up to the pin (a new symbol's integral starts at its pin). Written only over the item read (its `updatedAt`), so a market step
 * in between is not lost: the pin reads again.
 */
async function pinQuote(
  doc: DynamoDBDocumentClient,
  marketTable: string,
  item: PinnedQuoteItem,
  now: number,
): Promise<Record<string, unknown> | undefined> {
  for (let attempt = 0; ; attempt++) {
    const got = await doc.send(
      new GetCommand({ TableName: marketTable, Key: { symbol: item.symbol }, ConsistentRead: true }),
    );
    const stored = got.Item;
    // The mid x ms integral starts at a new symbol's pin; an existing one is carried to the pin.
    let held: Record<string, string> = stored === undefined ? { midMs: '0' } : {};
    if (stored !== undefined && typeof stored.updatedAt === 'string') {
      try {
        const before = quoteFromItem(stored as never);
        held = { midMs: tapeAttributes(accumulateTape(tapeAccumulatorsOf(stored), before, now, null)).midMs };
      } catch {
        held = {}; // an unreadable item: the pin replaces its quote, its tape stays as it is
      }
    }
    // Reg SHO Rule 201: a pinned last 10% or more below the previous close triggers the restriction.
    const prevClose = parseNanos(String(item.prevClose ?? stored?.prevClose ?? ''));
    const restriction = restrictionAttributes(
      stored,
      typeof prevClose === 'bigint' ? prevClose : null,
      parseNanos(item.last) as bigint,
      newYorkDate(now),
    );
    const { symbol, ...quote } = { ...item, ...held, ...restriction } as unknown as Record<string, unknown>;
    const names = Object.keys(quote);
    const readAt = typeof stored?.updatedAt === 'string' ? stored.updatedAt : null;
    try {
      const updated = await doc.send(
        new UpdateCommand({
          TableName: marketTable,
          Key: { symbol },
          UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
          ConditionExpression:
            stored === undefined ? 'attribute_not_exists(#s)' : readAt === null ? undefined : '#u = :u',
          ExpressionAttributeNames: {
            ...Object.fromEntries(names.map((n, i) => [`#a${i}`, n])),
            ...(stored === undefined ? { '#s': 'symbol' } : readAt === null ? {} : { '#u': 'updatedAt' }),
          },
          ExpressionAttributeValues: {
            ...Object.fromEntries(names.map((n, i) => [`:v${i}`, quote[n]])),
            ...(readAt === null ? {} : { ':u': readAt }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return updated.Attributes;
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException' || attempt >= 5) throw err;
    }
  }
}
