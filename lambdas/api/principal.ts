/**
 * Who is calling and for which account: the authorizer's context (`principalId`, comma-joined
 * `accountIds`) and the optional `x-oms-account-id` header choosing one of those accounts.
 */
import type {
  APIGatewayProxyEventV2WithLambdaAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { type AuthorizerContext, header } from '../shared/accounts.js';
import { API_ERROR, apiError } from '../shared/api-response.js';

export type ApiEvent = APIGatewayProxyEventV2WithLambdaAuthorizer<AuthorizerContext>;

export const ACCOUNT_HEADER = 'x-oms-account-id';

export interface Principal {
  readonly principalId: string;
  readonly accountIds: readonly string[];
  /** The account this request acts on. */
  readonly accountId: string;
}

export type PrincipalResult =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly response: APIGatewayProxyStructuredResultV2 };

export function principalOf(event: ApiEvent): PrincipalResult {
  const ctx = event.requestContext.authorizer?.lambda as Partial<AuthorizerContext> | undefined;
  const principalId = ctx?.principalId;
  const accountIds = (ctx?.accountIds ?? '').split(',').filter((a) => a !== '');
  const first = accountIds[0];
  if (!principalId || first === undefined) {
    return { ok: false, response: apiError(401, API_ERROR.unauthorized, 'request not authorized') };
  }
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
  return { ok: true, principal: { principalId, accountIds, accountId: wanted || first } };
}
