/**
 * Strategy entitlements (issue 16: "each sending principal is mapped to the accounts it may
 * trade"): the operator's input as the accounts-table item, each refusal naming its field, and
 * what a stored item entitles (an unreadable one: nothing).
 */
import { entitlementOf, strategyItemFromInput } from '../../lambdas/orders/strategies.js';

const NOW = '2026-12-04T15:00:00.000Z';

describe('strategyItemFromInput', () => {
  it.each<[string, string, unknown, Record<string, unknown> | string]>([
    [
      'accounts, active by default',
      'momentum',
      { account_ids: ['a1', 'a2', 'a1'] },
      { pk: 'strategy#momentum', accountIds: ['a1', 'a2'], status: 'active', updatedAt: NOW },
    ],
    [
      'revoked, with its principal',
      'mean-rev-2',
      { account_ids: [], status: 'revoked', principal_arn: 'arn:aws:iam::1:role/x' },
      { pk: 'strategy#mean-rev-2', accountIds: [], status: 'revoked', principalArn: 'arn:aws:iam::1:role/x' },
    ],
    ['an id with capitals', 'Momentum', { account_ids: ['a1'] }, 'strategy id: '],
    ['an id with a dot', 'a.b', { account_ids: ['a1'] }, 'strategy id: '],
    ['not an object', 'momentum', ['a1'], 'body: '],
    ['no accounts', 'momentum', {}, 'account_ids: '],
    ['an account id with a comma', 'momentum', { account_ids: ['a,b'] }, 'account_ids: '],
    ['another status', 'momentum', { account_ids: ['a1'], status: 'paused' }, 'status: '],
    [
      'a principal that is not an ARN',
      'momentum',
      { account_ids: ['a1'], principal_arn: 'me' },
      'principal_arn: ',
    ],
    [
      'an unknown field',
      'momentum',
      { account_ids: ['a1'], accounts: ['a2'] },
      'accounts: is not an entitlement field',
    ],
  ])('%s', (_case, id, input, expected) => {
    const out = strategyItemFromInput(id, input, NOW);
    if (typeof expected === 'string')
      expect(out).toEqual({ ok: false, message: expect.stringMatching(`^${expected}`) });
    else expect(out).toEqual({ ok: true, item: expect.objectContaining(expected) });
  });
});

describe('entitlementOf: what a stored item entitles', () => {
  it.each<[string, Record<string, unknown> | undefined, unknown]>([
    [
      'an active record',
      { pk: 'strategy#m', accountIds: ['a1'], status: 'active' },
      { strategyId: 'm', accountIds: ['a1'], status: 'active' },
    ],
    ['none', undefined, null],
    ['the record of another strategy', { pk: 'strategy#x', accountIds: ['a1'], status: 'active' }, null],
    ['accounts not a list', { pk: 'strategy#m', accountIds: 'a1', status: 'active' }, null],
    ['an unknown status', { pk: 'strategy#m', accountIds: ['a1'], status: 'on' }, null],
  ])('%s', (_case, item, expected) => {
    expect(entitlementOf('m', item)).toEqual(expected);
  });
});
