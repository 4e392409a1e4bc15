/**
 * Who is calling and for which account: the authorizer's context (`authenticated: 'true'`,
 * `principalId`, comma-joined `accountIds`) and the optional `x-oms-account-id` header choosing
 * one of those accounts. The authorizer lets unauthenticated requests through with
 * `{authenticated: 'false', reason}` so that they get Alpaca's 401 `40110000` here rather than
 * API Gateway's 403; anything but an authenticated context is a 401.
 */
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { type ApiScope, header } from '../orders/accounts.js';
import { API_ERROR, apiError } from './api-response.js';
import type { AuthenticatedContext, UnauthenticatedContext } from './authorizer.js';

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<
  AuthenticatedContext | UnauthenticatedContext
>;

/** The reasons the caller may read; anything else in the context is not repeated to it. */
const TOLD_REASONS: readonly string[] = ['missing credentials', 'invalid credentials'];

const unauthorized = (reason: string | undefined): PrincipalResult => ({
  ok: false,
  response: apiError(
    401,
    API_ERROR.unauthorized,
    reason !== undefined && TOLD_REASONS.includes(reason)
      ? `request is not authorized: ${reason}`
      : 'request is not authorized',
  ),
});

export const ACCOUNT_HEADER = 'x-oms-account-id';

export interface Principal {
  readonly principalId: string;
  readonly accountIds: readonly string[];
  /** The account this request acts on. */
  readonly accountId: string;
  /**
   * What the key or token may do (issue 16): `read_only` may not place, replace or cancel;
   * `operator` runs the operator routes, firm-wide, and does not trade.
   */
  readonly scope: ApiScope;
}

export type PrincipalResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly response: APIGatewayProxyStructuredResultV2 };

export function principalOf(event: ApiEvent): PrincipalResult {
  // Read loosely: the context is whatever the authorizer put there.
  const ctx = event.requestContext.authorizer?.lambda as
    | Partial<Record<'authenticated' | 'reason' | 'principalId' | 'accountIds' | 'scope', string>>
    | undefined;
  if (ctx?.authenticated !== 'true') return unauthorized(ctx?.reason);
  const principalId = ctx.principalId;
  const accountIds = (ctx.accountIds ?? '').split(',').filter((a) => a !== '');
  const first = accountIds[0];
  if (!principalId || first === undefined) return unauthorized(undefined);
  const wanted = header(event.headers, ACCOUNT_HEADER)?.trim();
  if (wanted !== undefined && wanted !== '' && !accountIds.includes(wanted)) {
    return {
      ok: false,
      response: apiError(
        403,
        API_ERROR.riskRefused,
        `${ACCOUNT_HEADER}: the principal may not act on account ${wanted}`,
      ),
    };
  }
  // A context without a scope (an authorizer before scopes) trades, as it always did.
  const scope: ApiScope = ctx.scope === 'read_only' || ctx.scope === 'operator' ? ctx.scope : 'trade';
  return { ok: true, principal: { principalId, accountIds, accountId: wanted || first, scope } };
}
