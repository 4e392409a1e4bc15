/**
 * The kill switch's operator routes (issue 16; operator keys only, firm-wide):
 * - `GET|PUT /v1/trading-state`: the firm's trading state;
 * - `GET|PUT /v1/accounts/{account_id}/trading-state`: one account's.
 * PUT `{"state": "ACTIVE" | "REDUCING" | "HALTED", "reason": "..."}` records the change as a
 * `TradingStateChanged` event (lambdas/orders/trading-controls.ts), in force on the next order
 * anywhere (core trading-state.ts decides what it refuses). A HALT then cancels the scope's open
 * orders at once through the cancel-all machinery (`DELETE /v2/orders`'s: one `CancelOrderRequested`
 * per open order on the bus, the cancel-all worker requests each cancel; idempotent, so a PUT of
 * HALTED again sweeps again and cancels only what is still open).
 *
 * And the aggregate limits' versioned policies (SEC 15c3-5(c)(1); core aggregate-limits.ts):
 * - `GET|PUT /v1/limits-policy` (the firm's) and `/v1/accounts/{account_id}/limits-policy`:
 *   PUT `{"daily_notional", "open_exposure", "modifies_per_second", "symbols": {"AAPL":
 *   {"max_order_qty", "price_collar_percent"}}}` (null: off) replaces the policy with its next
 *   version, recorded as `LimitsPolicyChanged`.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  type FieldError,
  fieldError,
  PRINTABLE_TEXT,
  parseLimitsPolicyBody,
  TRADING_STATE_REASON_MAX,
  TRADING_STATES,
  type TradingStateRecord,
} from '../core/index.js';
import { ACCOUNT_ID } from '../orders/accounts.js';
import {
  allAccountIds,
  type ControlScope,
  changeLimitsPolicy,
  changeTradingState,
  policyView,
  readLimitsPolicy,
  readTradingState,
} from '../orders/trading-controls.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger } from '../platform/observability.js';
import '../core/zod-messages.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { openOrders } from './cancel-order.js';
import { putCancelRequests } from './cancel-requests.js';
import { apiHandler, jsonBody } from './http.js';
import type { Principal } from './principal.js';

export const tradingStateRequest = z.strictObject({
  state: z.enum(TRADING_STATES),
  reason: z
    .string()
    .check(z.trim(), z.minLength(1), z.maxLength(TRADING_STATE_REASON_MAX), z.regex(PRINTABLE_TEXT)),
});

/** The first problem of a request body, naming its field. */
/** What is wrong with a PUT's body: the first problem, naming its field (listed in `errors` too). */
function bodyProblem(error: z.core.$ZodError): FieldError {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  if (issue?.code === 'unrecognized_keys')
    return fieldError('unknown_field', String(issue.keys[0]), 'is not a field (state, reason)');
  if (field === 'state')
    return fieldError('invalid_value', 'state', 'must be one of ACTIVE, REDUCING, HALTED');
  if (field === 'reason')
    return fieldError(
      'invalid_value',
      'reason',
      `must be printable text (no control characters) of 1 to ${TRADING_STATE_REASON_MAX} characters`,
    );
  return fieldError('invalid_type', 'body', 'must be a JSON object {"state", "reason"}');
}

const view = (scope: ControlScope, r: TradingStateRecord | null) => ({
  scope: scope.scope,
  ...(scope.scope === 'account' ? { account_id: scope.accountId } : {}),
  state: r?.state ?? 'ACTIVE',
  reason: r?.reason ?? null,
  changed_by: r?.changedBy ?? null,
  changed_at: r?.changedAt ?? null,
  version: r?.version ?? 0,
});

/** The HALT's sweep: every open order of the accounts asked to cancel (queued on the bus). */
async function cancelOpenOrders(accountIds: readonly string[], operator: Principal, requestId: string) {
  const requested: { id: string; account_id: string }[] = [];
  const notQueued: { id: string; account_id: string }[] = [];
  for (const accountId of accountIds) {
    const ids = (await openOrders(accountId)).map((o) => o.id);
    if (ids.length === 0) continue;
    const failed = await putCancelRequests(ids, { accountId, principalId: operator.principalId }, requestId);
    for (const id of ids) (failed.has(id) ? notQueued : requested).push({ id, account_id: accountId });
  }
  logger.info('trading state HALTED: cancels queued', {
    accounts: accountIds.length,
    requested: requested.length,
    notQueued: notQueued.length,
  });
  return { requested, notQueued };
}

/** GET or PUT a scope's limits policy. */
async function limitsPolicyRoute(
  event: Parameters<Parameters<typeof apiHandler>[1]>[0],
  principal: Principal,
  scope: ControlScope,
  table: string,
): Promise<APIGatewayProxyStructuredResultV2> {
  const shown = (p: Parameters<typeof policyView>[0]) => ({
    scope: scope.scope,
    ...(scope.scope === 'account' ? { account_id: scope.accountId } : {}),
    ...policyView(p),
  });
  if (event.routeKey.startsWith('GET ')) {
    const found = await readLimitsPolicy(dynamo, table, scope);
    if (found.kind === 'not_found') return apiError(404, API_ERROR.notFound, 'account not found');
    return json(200, shown(found.policy));
  }
  const body = jsonBody(event);
  if (!body.ok) return body.response;
  const parsed = parseLimitsPolicyBody(body.value);
  if (!parsed.ok) return fieldErrors(parsed.errors, 400);
  const outcome = await changeLimitsPolicy(
    { doc: dynamo, table, busName: requiredEnv(ENV.eventBusName) },
    scope,
    parsed.body,
    principal.principalId,
    new Date().toISOString(),
    event.requestContext.requestId,
  );
  if (outcome.kind === 'not_found') return apiError(404, API_ERROR.notFound, 'account not found');
  return json(200, { ...shown(outcome.policy), changed: outcome.kind === 'changed' });
}

export const handler = apiHandler(
  'TradingState',
  // Concurrent operators' changes of the scope that kept winning the race: apiHandler's 503.
  async (event, principal): Promise<APIGatewayProxyStructuredResultV2> => route(event, principal),
  { operator: true },
);

async function route(
  event: Parameters<Parameters<typeof apiHandler>[1]>[0],
  principal: Principal,
): Promise<APIGatewayProxyStructuredResultV2> {
  const table = requiredEnv(ENV.accountsTable);
  const accountId = event.pathParameters?.account_id;
  let scope: ControlScope;
  if (event.routeKey.endsWith(' /v1/trading-state') || event.routeKey.endsWith(' /v1/limits-policy'))
    scope = { scope: 'firm' };
  else if (accountId !== undefined && ACCOUNT_ID.test(accountId)) scope = { scope: 'account', accountId };
  else
    return fieldErrors(
      [fieldError('invalid_value', 'account_id', 'must be 1 to 128 letters, digits or ._:-')],
      400,
    );
  if (event.routeKey.endsWith('/limits-policy')) return limitsPolicyRoute(event, principal, scope, table);

  if (event.routeKey.startsWith('GET ')) {
    const found = await readTradingState(dynamo, table, scope);
    if (found.kind === 'not_found') return apiError(404, API_ERROR.notFound, 'account not found');
    return json(200, view(scope, found.record));
  }

  const body = jsonBody(event);
  if (!body.ok) return body.response;
  const parsed = tradingStateRequest.safeParse(body.value);
  if (!parsed.success) return fieldErrors([bodyProblem(parsed.error)], 400);
  const requestId = event.requestContext.requestId;
  const outcome = await changeTradingState(
    { doc: dynamo, table, busName: requiredEnv(ENV.eventBusName) },
    scope,
    {
      state: parsed.data.state,
      reason: parsed.data.reason,
      changedBy: principal.principalId,
      at: new Date().toISOString(),
    },
    requestId,
  );
  if (outcome.kind === 'not_found') return apiError(404, API_ERROR.notFound, 'account not found');
  const answer = { ...view(scope, outcome.record), changed: outcome.kind === 'changed' };
  if (outcome.record.state !== 'HALTED') return json(200, answer);
  const accounts = scope.scope === 'firm' ? await allAccountIds(dynamo, table) : [scope.accountId];
  const swept = await cancelOpenOrders(accounts, principal, requestId);
  return json(200, { ...answer, cancel_requested: swept.requested, cancel_not_queued: swept.notQueued });
}
