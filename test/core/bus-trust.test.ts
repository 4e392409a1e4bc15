/**
 * The bus as a trust boundary (issue 16): "Each sending principal is mapped to the accounts it may
 * trade ... execution reports are accepted only from the broker gateway's own principal and source
 * (bus policy with conditions, and checked again by the consumer); a mismatch is refused and
 * recorded." Core bus-trust.ts, table-driven over each rule it implements.
 */
import fc from 'fast-check';
import {
  executionReportRefusal,
  type OrderSentTo,
  orderRequestSenderRefusal,
  type ReportOrigin,
  type StrategyEntitlement,
  strategyIdOf,
} from '../../lambdas/core/bus-trust.js';

describe('strategyIdOf: a strategy is known by its source, stockbot.strategy.<id>', () => {
  it.each([
    ['stockbot.strategy.momentum-1', 'momentum-1'],
    ['stockbot.strategy.a', 'a'],
    ['stockbot.strategy', null], // the bare source names nobody
    ['stockbot.strategy.', null],
    ['stockbot.strategy.Upper', null], // ids are lowercase (one spelling per strategy)
    ['stockbot.strategy.a.b', null], // no dots: the id is one segment
    ['stockbot.strategyx', null],
    ['stockbot.oms', null],
    ['stockbot.venue', null],
    [`stockbot.strategy.${'a'.repeat(64)}`, null], // at most 63 characters
  ])('%s -> %s', (source, id) => {
    expect(strategyIdOf(source)).toBe(id);
  });
});

describe('orderRequestSenderRefusal: a strategy trades only the accounts it is entitled to', () => {
  const entitled: StrategyEntitlement = {
    strategyId: 'momentum',
    accountIds: ['acct-1', 'acct-2'],
    status: 'active',
  };
  it.each<[string, string, string, StrategyEntitlement | null, string | null]>([
    ['rule 4: an entitled account', 'stockbot.strategy.momentum', 'acct-2', entitled, null],
    [
      'rule 4: an account not in the mapping',
      'stockbot.strategy.momentum',
      'acct-3',
      entitled,
      'accountId: strategy momentum is not entitled to trade account acct-3',
    ],
    [
      'rule 1: the bare stockbot.strategy source',
      'stockbot.strategy',
      'acct-1',
      entitled,
      'source: stockbot.strategy names no strategy',
    ],
    [
      'rule 1: a source of the OMS',
      'stockbot.oms.intake',
      'acct-1',
      entitled,
      'source: stockbot.oms.intake names no strategy',
    ],
    [
      'rule 2: no entitlement record',
      'stockbot.strategy.momentum',
      'acct-1',
      null,
      'source: strategy momentum is not entitled to trade any account',
    ],
    [
      'rule 2: the record of another strategy',
      'stockbot.strategy.meanrev',
      'acct-1',
      entitled,
      'source: strategy meanrev is not entitled to trade any account',
    ],
    [
      'rule 3: a revoked strategy',
      'stockbot.strategy.momentum',
      'acct-1',
      { ...entitled, status: 'revoked' },
      'source: strategy momentum is revoked',
    ],
  ])('%s', (_rule, source, accountId, entitlement, message) => {
    const refusal = orderRequestSenderRefusal(source, accountId, entitlement);
    if (message === null) expect(refusal).toBeNull();
    else expect(refusal).toEqual({ code: 'sender_not_entitled', message: expect.stringContaining(message) });
  });

  it('property: only an active strategy with the account in its mapping is let through', () => {
    const id = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    fc.assert(
      fc.property(
        id,
        id,
        fc.array(fc.constantFrom('a1', 'a2', 'a3')),
        fc.constantFrom('a1', 'a2', 'a3'),
        fc.constantFrom<'active' | 'revoked'>('active', 'revoked'),
        (sender, owner, accountIds, accountId, status) => {
          const refusal = orderRequestSenderRefusal(`stockbot.strategy.${sender}`, accountId, {
            strategyId: owner,
            accountIds,
            status,
          });
          const allowed = sender === owner && status === 'active' && accountIds.includes(accountId);
          expect(refusal === null).toBe(allowed);
        },
      ),
    );
  });
});

describe('executionReportRefusal: reports only from the broker gateway, about what the OMS sent', () => {
  const origin: ReportOrigin = { source: 'stockbot.venue', venue: 'SIM', venueOrderId: 'SIM-o1' };
  const acknowledged: OrderSentTo = { venue: 'SIM', venueOrderId: 'SIM-o1' };
  it.each<[string, ReportOrigin, OrderSentTo | null, string | null]>([
    ['all agree', origin, acknowledged, null],
    ['rule 1: from the gateway, order not read', origin, null, null],
    [
      'rule 1: another source',
      { ...origin, source: 'stockbot.strategy.x' },
      acknowledged,
      'untrusted_source',
    ],
    [
      'rule 1: another source, order not read',
      { ...origin, source: 'stockbot.venuex' },
      null,
      'untrusted_source',
    ],
    ['rule 2: another venue', { ...origin, venue: 'ARCA' }, acknowledged, 'wrong_venue'],
    [
      'rule 2: the order not routed yet: any venue (rule 3 still applies)',
      { ...origin, venue: 'ARCA' },
      { venue: null, venueOrderId: null },
      null,
    ],
    [
      'rule 3: another venue order id',
      { ...origin, venueOrderId: 'SIM-forged' },
      acknowledged,
      'unknown_venue_order',
    ],
    [
      'rule 3: before the acknowledgement, any venue order id',
      { ...origin, venueOrderId: 'SIM-anything' },
      { venue: 'SIM', venueOrderId: null },
      null,
    ],
  ])('%s', (_rule, o, sentTo, code) => {
    const refusal = executionReportRefusal(o, sentTo);
    expect(refusal?.code ?? null).toBe(code);
    if (refusal !== null) expect(refusal.message).toMatch(/^(source|venue|venueOrderId): /);
  });
});
