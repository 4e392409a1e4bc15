/**
 * What every API handler shares: reading a JSON body within a size limit, turning a placed
 * order into a response, and the wrapper that logs, flushes metrics and hides internal errors.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  alpacaRiskAnswer,
  duplicateNamePath,
  type FieldError,
  fieldError,
  PDT_MESSAGE,
  parseJsonExactly,
  type RiskRefusal,
  refusalsAsListed,
  WASH_TRADE_MESSAGE,
} from '../core/index.js';
import type { PlaceOrderResult } from '../orders/orders-service.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { API_ERROR, apiError, busy, fieldErrors, json, rateLimited } from './api-response.js';
import { type ApiEvent, type Principal, principalOf } from './principal.js';

export const MAX_BODY_BYTES = 16 * 1024;

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly response: APIGatewayProxyStructuredResultV2 };

const LONE_SURROGATE = /\p{Cs}/u;

/** Strict UTF-8: a byte sequence that is not UTF-8 is refused, never replaced with U+FFFD. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Whether `text` has half of a UTF-16 surrogate pair without the other half (JSON lets a body
 * spell one as `"\ud800"`). Such text has no UTF-8 form, so DynamoDB cannot store or look it up.
 */
export function hasLoneSurrogate(text: string): boolean {
  return LONE_SURROGATE.test(text);
}

/** The path (`a.b`, or `body`) of the first string or key in `value` with a lone surrogate, else null. */
function loneSurrogatePath(value: unknown): string | null {
  const stack: { v: unknown; path: string }[] = [{ v: value, path: '' }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: string };
    if (typeof v === 'string' && hasLoneSurrogate(v)) return path || 'body';
    if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (hasLoneSurrogate(k)) return path || 'body';
        stack.push({ v: x, path: path === '' ? k : `${path}.${k}` });
      }
    }
  }
  return null;
}

/**
 * The request body as JSON: 413 over the limit, 400 when its bytes are not UTF-8, when it is not
 * JSON, when an object in it names a field twice (core `duplicateNamePath`; `JSON.parse` would keep
 * the last), or when it holds a string that is not valid Unicode (a lone surrogate, named by its
 * field).
 */
export function jsonBody(event: ApiEvent, maxBytes = MAX_BODY_BYTES): Parsed<unknown> {
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > maxBytes) {
    return {
      ok: false,
      response: apiError(413, API_ERROR.badRequest, `body: exceeds ${maxBytes} bytes`),
    };
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return { ok: false, response: apiError(400, API_ERROR.badRequest, 'body: is not valid UTF-8') };
  }
  let value: unknown;
  try {
    // Each number as the exact value its text spells, where a double would round it (core).
    value = parseJsonExactly(text);
  } catch {
    return { ok: false, response: apiError(400, API_ERROR.badRequest, 'body: is not valid JSON') };
  }
  const duplicate = duplicateNamePath(text);
  if (duplicate !== null) {
    const error = fieldError(
      'invalid_value',
      duplicate,
      'is given more than once (which one is meant is ambiguous)',
    );
    return { ok: false, response: fieldErrors([error], 400) };
  }
  const field = loneSurrogatePath(value);
  if (field !== null) {
    const error = fieldError('invalid_value', field, 'must be valid Unicode (it has an unpaired surrogate)');
    return { ok: false, response: fieldErrors([error], 400) };
  }
  return { ok: true, value };
}

/** The rules about the asset itself: what the order names cannot be traded (a 422). */
const ASSET_RULES: ReadonlySet<string> = new Set([
  'unknown_asset',
  'asset_not_tradable',
  'asset_not_fractionable',
]);

/**
 * A 403 of pre-trade risk (a 422 for an asset that cannot be traded so): Alpaca's words and fields where Alpaca has them (`insufficient buying
 * power`, `insufficient qty available for order (...)`: core alpaca-refusals.ts), else the first
 * rule's message; every refusal listed in the rules' own words.
 */
export function riskRefusedResponse(refusals: readonly RiskRefusal[]): APIGatewayProxyStructuredResultV2 {
  // What the request names cannot be traded: Alpaca answers 422, not a risk 403 (a probe's order
  // for an unlisted symbol, a bot reading 403 as buying power); an unknown asset is its 40010001.
  const asset = refusals.find((r) => ASSET_RULES.has(r.rule));
  if (asset !== undefined)
    return apiError(
      422,
      asset.rule === 'unknown_asset' ? API_ERROR.badRequest : API_ERROR.unprocessable,
      asset.message,
      { refusals: refusalsAsListed(refusals) },
    );
  const answer = alpacaRiskAnswer(refusals);
  return apiError(403, API_ERROR.riskRefused, answer.message, answer.fields);
}

export function placeOrderResponse(result: PlaceOrderResult): APIGatewayProxyStructuredResultV2 {
  switch (result.kind) {
    case 'created':
    case 'existing':
      return json(200, result.order);
    case 'invalid':
      return fieldErrors(result.errors);
    case 'risk_refused':
      if (result.refusals.some((r) => r.rule === 'wash_trade')) return washTradeResponse(result.refusals);
      // Alpaca's PDT protection answers its own message (issue 16, core day-trading.ts).
      if (result.refusals.some((r) => r.rule === 'pattern_day_trader'))
        return apiError(403, API_ERROR.riskRefused, PDT_MESSAGE, {
          refusals: refusalsAsListed(result.refusals),
        });
      return riskRefusedResponse(result.refusals);
    case 'rate_limited':
      return rateLimited(
        `rate limit: at most ${result.limit} orders per second for this account`,
        result.limit,
      );
    case 'conflict': // a client order id taken: Alpaca's 40010001, naming the field as PATCH does
      return result.field === 'client_order_id'
        ? apiError(422, API_ERROR.badRequest, result.message, {
            errors: [{ code: 'conflict', field: 'client_order_id', message: result.message }],
          })
        : apiError(422, API_ERROR.unprocessable, result.message);
    case 'sender_refused': // bus requests only (issue 16)
      return apiError(403, API_ERROR.riskRefused, result.refusal.message);
    // A sell or close that lost its race to the position's other sells and closes after its
    // attempts: nothing was placed, a retry is safe (a probe's 20 sells at once of a long of 10: 14
    // answered 422, 4 of them fitting).
    case 'closing_claims_changed':
      return busy('the position is being sold or closed by concurrent requests: nothing was placed; retry');
  }
}

/**
 * Alpaca's answer to a potential wash trade (issue 16): 422, code 42210000, its message; the
 * refusals (which of the account's orders it could trade against, and any other rule the order
 * broke) ride along like every risk refusal's.
 */
export function washTradeResponse(refusals: readonly RiskRefusal[]): APIGatewayProxyStructuredResultV2 {
  return apiError(422, API_ERROR.unprocessable, WASH_TRADE_MESSAGE, { refusals: refusalsAsListed(refusals) });
}

export const notFound = (what = 'order') => apiError(404, API_ERROR.notFound, `${what} not found`);

/** What a read-only key meets on a route that trades. */
export const READ_ONLY_MESSAGE =
  'forbidden: this API key is read-only (scope read_only); placing, replacing and canceling orders and closing positions need a key with scope trade';

/** What an operator key meets on a route that trades: operators stop trading, they do not trade. */
export const OPERATOR_TRADES_MESSAGE =
  'forbidden: this API key is an operator key (scope operator); placing, replacing and canceling orders and closing positions need a key with scope trade';

/** What any key but an operator key meets on an operator route (issue 16). */
export const OPERATOR_REQUIRED_MESSAGE = 'forbidden: this route needs an operator key (scope operator)';

/** Why `principal` may not use a route with `options`, or null when it may. */
export function scopeRefusal(
  principal: Principal,
  options: { readonly trades?: boolean; readonly operator?: boolean },
): string | null {
  if (options.operator === true && principal.scope !== 'operator')
    return `${OPERATOR_REQUIRED_MESSAGE}; this API key has scope ${principal.scope}`;
  if (options.trades === true && principal.scope !== 'trade')
    return principal.scope === 'operator' ? OPERATOR_TRADES_MESSAGE : READ_ONLY_MESSAGE;
  return null;
}

/**
 * The handler shell: resolves the principal, runs `fn`, and turns an unexpected error into a
 * 500 without internals in the body (the log has them).
 */
/**
 * The query parameters a route does not take, each a field error: refused (400), never ignored. A
 * probe's `DELETE /v2/positions/NVDA?Qty=1` (and `qty[]=1`) closed the whole position, and its
 * `DELETE /v2/orders?symbols=X` canceled every open order of the account.
 */
export function unknownParameters(
  query: Record<string, string | undefined>,
  known: readonly string[],
): FieldError[] {
  const takes = known.length === 0 ? 'none' : known.join(', ');
  return Object.keys(query)
    .filter((name) => !known.includes(name))
    .map((name) => fieldError('not_allowed', name, `is not a parameter of this route (it takes ${takes})`));
}

/**
 * A query parameter given more than once, as an error naming it: API Gateway joins the values with
 * a comma (`a,b`), which read as one value would name something never sent.
 */
export function repeatedParameter(event: ApiEvent, name: string, oneAtATime: string): FieldError[] {
  const given = new URLSearchParams(event.rawQueryString ?? '').getAll(name).length;
  return given > 1 ? [fieldError('invalid_value', name, `is given ${given} times (${oneAtATime})`)] : [];
}

/** An order id as the OMS writes it (`crypto.randomUUID`): a UUID, in lowercase. */
const UUID_IN_ANY_CASE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An upper-case UUID in lowercase; anything else as it is. */
const lowercaseUuid = (v: string | undefined) =>
  v !== undefined && UUID_IN_ANY_CASE.test(v) && v !== v.toLowerCase() ? v.toLowerCase() : undefined;

/**
 * A UUID is one value in either case (RFC 9562 section 4: input is case-insensitive), so an order
 * id in the path, or in `after_order_id` / `before_order_id`, is read in lowercase, as every id the
 * OMS gives out is: a bot that upper-cases the id it was given finds (and cancels) its order, not a
 * 404 while the order stays live.
 */
function withOrderIdInLowercase(event: ApiEvent): ApiEvent {
  const path = lowercaseUuid(event.pathParameters?.order_id);
  const q = event.queryStringParameters;
  const after = lowercaseUuid(q?.after_order_id);
  const before = lowercaseUuid(q?.before_order_id);
  if (path === undefined && after === undefined && before === undefined) return event;
  return {
    ...event,
    ...(path === undefined ? {} : { pathParameters: { ...event.pathParameters, order_id: path } }),
    ...(after === undefined && before === undefined
      ? {}
      : {
          queryStringParameters: {
            ...q,
            ...(after === undefined ? {} : { after_order_id: after }),
            ...(before === undefined ? {} : { before_order_id: before }),
          },
        }),
  };
}

/**
 * How long before its function times out a request still starts its write (platform/write-deadline.ts),
 * at least: a request starts it in the first half of its time, or not at all. The write and the
 * answer take far less (tens of ms on AWS); under load they take about as long as the reads before
 * them did (a probe's 200 POSTs at once on local mode's two cores: with 3 s kept, 55 of them still
 * ran into the 10 s timeout, 50 of those placed).
 */
export const WRITE_MARGIN_MS = 3_000;

export function apiHandler(
  name: string,
  /** `writeBy`: epoch ms after which a write is not started (WRITE_MARGIN_MS before the timeout). */
  fn: (event: ApiEvent, principal: Principal, writeBy?: number) => Promise<APIGatewayProxyStructuredResultV2>,
  /**
   * `trades`: the route places, replaces or cancels orders: a read-only or operator key gets 403;
   * `operator`: an operator route (firm-wide: the handler is not limited to the key's accounts):
   * any other key gets 403 (issue 16).
   */
  options: {
    readonly trades?: boolean;
    readonly operator?: boolean;
    /** The query parameters a POST, PUT or PATCH of the routes takes (`:by_name?name=`); else none. */
    readonly writeQuery?: readonly string[];
  } = {},
) {
  return async (
    event: ApiEvent,
    context?: { getRemainingTimeInMillis(): number },
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    logger.appendKeys({ requestId: event.requestContext?.requestId, route: event.routeKey });
    try {
      const who = principalOf(event);
      if (!who.ok) return who.response;
      logger.appendKeys({ accountId: who.principal.accountId });
      const refused = scopeRefusal(who.principal, options);
      if (refused !== null) {
        metrics.addMetric(`${name}Status4xx`, 'Count', 1);
        return apiError(403, API_ERROR.riskRefused, refused);
      }
      // Parameters where the route reads them, or refused, never ignored. A DELETE's are in the
      // query: a body other than an empty one or `{}` is refused (a probe's `{"qty":"1"}` on a
      // position's close closed all of it, `{"symbols":...}` on DELETE /v2/orders canceled every
      // order). A POST's, PUT's or PATCH's are in the body: a query parameter is refused (a probe's
      // `PATCH ?qty=9` and `PATCH /v2/account/configurations?suspend_trade=true` answered 200 and
      // changed nothing they named).
      const misplaced = /^DELETE/.test(event.routeKey)
        ? /[^\s{}]/.test(event.body ?? '')
          ? [fieldError('not_allowed', 'body', 'a DELETE takes no body')]
          : []
        : /^P/.test(event.routeKey)
          ? unknownParameters(event.queryStringParameters ?? {}, options.writeQuery ?? [])
          : [];
      if (misplaced.length > 0) return fieldErrors(misplaced, 400);
      const response = await fn(
        withOrderIdInLowercase(event),
        who.principal,
        context &&
          Date.now() +
            Math.min(
              context.getRemainingTimeInMillis() / 2,
              context.getRemainingTimeInMillis() - WRITE_MARGIN_MS,
            ),
      );
      metrics.addMetric(`${name}Status${Math.floor((response.statusCode ?? 200) / 100)}xx`, 'Count', 1);
      return response;
    } catch (err) {
      metrics.addMetric(`${name}Status5xx`, 'Count', 1);
      // A write that kept losing its race to concurrent writers (platform/write-retry.ts
      // `WriteContention`, matched by name: no import into every bundle): nothing changed, retry.
      if ((err as { name?: unknown } | null)?.name === 'WriteContention') {
        logger.warn('write contention', { error: err as Error });
        return busy(`${(err as Error).message}: concurrent changes; retry the request`);
      }
      logger.error('request failed', { error: err as Error });
      return apiError(500, API_ERROR.internal, 'internal error');
    } finally {
      metrics.publishStoredMetrics();
      logger.resetKeys();
    }
  };
}
