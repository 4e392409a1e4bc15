/**
 * Strategy entitlements (issue 16): which accounts a strategy that sends `OrderRequested` on the bus
 * may trade. One accounts-table item per strategy, kept like the API keys:
 * `{pk: 'strategy#<id>', accountIds: [...], status: 'active' | 'revoked', principalArn?}`.
 * Written by an operator (scripts/put-strategy.ts on AWS, `PUT /local/strategies/{id}` locally);
 * read by the intake in the BatchGet that already reads the account (lambdas/orders/risk-context.ts).
 * A record that does not parse entitles nothing (fail closed).
 */
import * as z from 'zod/mini';
import { STRATEGY_ID, type StrategyEntitlement } from '../core/bus-trust.js';
import { ACCOUNT_ID } from './accounts.js';
import '../core/zod-messages.js';

export const strategyPk = (strategyId: string) => `strategy#${strategyId}`;

export const strategyRecordSchema = z.object({
  pk: z.string().check(z.startsWith('strategy#')),
  accountIds: z.array(z.string().check(z.regex(ACCOUNT_ID))),
  status: z.enum(['active', 'revoked']),
  /** The IAM principal that sends as this strategy (documentation: the bus policy enforces it). */
  principalArn: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
});

export type StrategyRecord = z.infer<typeof strategyRecordSchema>;

/** The item of a strategy's entitlement; throws on an id or account id that cannot be one. */
export function strategyItem(input: {
  readonly strategyId: string;
  readonly accountIds: readonly string[];
  readonly status?: 'active' | 'revoked';
  readonly principalArn?: string;
  readonly updatedAt: string;
}): StrategyRecord {
  if (!STRATEGY_ID.test(input.strategyId))
    throw new Error(
      'strategy id: must be 1-63 lowercase letters, digits or "-", starting with a letter or digit',
    );
  for (const a of input.accountIds)
    if (!ACCOUNT_ID.test(a)) throw new Error(`account id ${a}: not an account id`);
  return {
    pk: strategyPk(input.strategyId),
    accountIds: [...new Set(input.accountIds)],
    status: input.status ?? 'active',
    ...(input.principalArn === undefined ? {} : { principalArn: input.principalArn }),
    updatedAt: input.updatedAt,
  };
}

/** The entitlement a stored item grants; null for none or one that does not parse. */
export function entitlementOf(
  strategyId: string,
  item: Record<string, unknown> | undefined,
): StrategyEntitlement | null {
  if (item === undefined) return null;
  const parsed = strategyRecordSchema.safeParse(item);
  if (!parsed.success || parsed.data.pk !== strategyPk(strategyId)) return null;
  return { strategyId, accountIds: parsed.data.accountIds, status: parsed.data.status };
}

/**
 * An operator's entitlement input, `{"account_ids": [...], "status"?: "active" | "revoked",
 * "principal_arn"?}` (the local control's body, the script's file entries), as the item to write;
 * or the first problem, naming the field.
 */
export function strategyItemFromInput(
  strategyId: string,
  input: unknown,
  now: string,
): { readonly ok: true; readonly item: StrategyRecord } | { readonly ok: false; readonly message: string } {
  if (!STRATEGY_ID.test(strategyId))
    return {
      ok: false,
      message: 'strategy id: must be 1-63 lowercase letters, digits or "-", starting with a letter or digit',
    };
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    return { ok: false, message: 'body: must be a JSON object' };
  const body = input as Record<string, unknown>;
  for (const k of Object.keys(body))
    if (!['account_ids', 'status', 'principal_arn'].includes(k))
      return { ok: false, message: `${k}: is not an entitlement field (account_ids, status, principal_arn)` };
  const ids = body.account_ids;
  if (!Array.isArray(ids) || !ids.every((a) => typeof a === 'string' && ACCOUNT_ID.test(a)))
    return { ok: false, message: 'account_ids: must be a list of account ids' };
  const status = body.status ?? 'active';
  if (status !== 'active' && status !== 'revoked')
    return { ok: false, message: 'status: must be "active" or "revoked"' };
  const arn = body.principal_arn;
  if (arn !== undefined && (typeof arn !== 'string' || !arn.startsWith('arn:')))
    return { ok: false, message: 'principal_arn: must be an ARN' };
  return {
    ok: true,
    item: strategyItem({
      strategyId,
      accountIds: ids as string[],
      status,
      ...(arn === undefined ? {} : { principalArn: arn as string }),
      updatedAt: now,
    }),
  };
}
