/**
 * The account's configurations (Alpaca `GET`/`PATCH /v2/account/configurations`): core
 * account-configurations.ts. Alpaca's fields and values (its Trading API reference: dtbp_check,
 * trade_confirm_email, suspend_trade, no_shorting, fractional_trading, max_margin_multiplier,
 * pdt_check, ptp_no_exception_entry, disable_overnight_trading, max_options_trading_level); what
 * each does here is the module's table.
 */
import fc from 'fast-check';
import {
  type AccountConfigurations,
  type AccountSettings,
  configurationsJson,
  configurationsOf,
  configuredSettings,
  DEFAULT_ACCOUNT_CONFIGURATIONS,
  parseConfigurationsPatch,
  patchedConfigurations,
} from '../../lambdas/core/index.js';

const SETTINGS: AccountSettings = {
  accountId: 'acct-1',
  openingCash: '10000',
  multiplier: '2',
  shortingEnabled: true,
  patternDayTrader: false,
  tradingBlocked: false,
  accountBlocked: false,
  createdAt: '2026-01-02T14:30:00.000Z',
};

describe('parseConfigurationsPatch: a PATCH body, errors naming the field', () => {
  it.each([
    [{ suspend_trade: true }, { suspendTrade: true }],
    [
      { no_shorting: true, fractional_trading: false },
      { noShorting: true, fractionalTrading: false },
    ],
    [{ max_margin_multiplier: '1' }, { maxMarginMultiplier: '1' }],
    [
      { dtbp_check: 'both', pdt_check: 'exit', trade_confirm_email: 'none' },
      { dtbpCheck: 'both', pdtCheck: 'exit', tradeConfirmEmail: 'none' },
    ],
    [
      { max_options_trading_level: 3, disable_overnight_trading: true, ptp_no_exception_entry: true },
      { maxOptionsTradingLevel: 3, disableOvernightTrading: true, ptpNoExceptionEntry: true },
    ],
    // The SDKs send what is set; a null is "unchanged".
    [{ suspend_trade: null, no_shorting: false }, { noShorting: false }],
    [{}, {}],
  ])('%j -> %j', (body, patch) => {
    expect(parseConfigurationsPatch(body)).toEqual({ ok: true, patch });
  });

  it.each([
    [{ suspend_trade: 'yes' }, 'suspend_trade: must be true or false'],
    [{ max_margin_multiplier: 4 }, 'max_margin_multiplier: must be one of "1", "2", "4"'],
    [{ max_margin_multiplier: '3' }, 'max_margin_multiplier: must be one of "1", "2", "4"'],
    [{ dtbp_check: 'never' }, 'dtbp_check: must be one of both, entry, exit'],
    [{ max_options_trading_level: 4 }, 'max_options_trading_level: must be one of 0, 1, 2, 3'],
    [{ margin: '4' }, 'margin: is not an account configuration'],
    // Hostile keys are unknown fields, not the prototype's.
    [JSON.parse('{"__proto__": {"suspend_trade": true}}'), '__proto__: is not an account configuration'],
    [{ constructor: true }, 'constructor: is not an account configuration'],
    [{ toString: 'x' }, 'toString: is not an account configuration'],
    [[], 'body: must be a JSON object'],
    ['x', 'body: must be a JSON object'],
  ])('%j is refused: %s', (body, message) => {
    const parsed = parseConfigurationsPatch(body);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.message).join('; ')).toContain(message);
  });
});

describe('configurationsOf / configurationsJson: the defaults under what was stored', () => {
  it('an account never configured shows Alpaca’s defaults', () => {
    expect(configurationsJson(configurationsOf(undefined))).toEqual({
      dtbp_check: 'entry',
      trade_confirm_email: 'all',
      suspend_trade: false,
      no_shorting: false,
      fractional_trading: true,
      max_margin_multiplier: '4',
      pdt_check: 'entry',
      ptp_no_exception_entry: false,
      disable_overnight_trading: false,
      max_options_trading_level: 0,
    });
  });

  it('a stored value out of range is ignored (the default shows), the others kept', () => {
    expect(configurationsOf({ suspendTrade: true, maxMarginMultiplier: '8' })).toEqual({
      ...DEFAULT_ACCOUNT_CONFIGURATIONS,
      suspendTrade: true,
    });
  });
});

describe('configuredSettings: the holder’s preferences only ever restrict what the firm set', () => {
  const c = (over: Partial<AccountConfigurations>) => ({ ...DEFAULT_ACCOUNT_CONFIGURATIONS, ...over });
  it.each([
    ['defaults change nothing', c({}), {}],
    // Alpaca's account shows the holder's own suspension (a probe: it read false).
    [
      'suspend_trade blocks trading',
      c({ suspendTrade: true }),
      { tradingBlocked: true, tradeSuspendedByUser: true },
    ],
    ['no_shorting turns shorting off', c({ noShorting: true }), { shortingEnabled: false }],
    ['max_margin_multiplier caps the multiplier', c({ maxMarginMultiplier: '1' }), { multiplier: '1' }],
    ['max_margin_multiplier never raises it', c({ maxMarginMultiplier: '4' }), { multiplier: '2' }],
  ] as const)('%s', (_name, configurations, changed) => {
    expect(configuredSettings(SETTINGS, configurations)).toEqual({ ...SETTINGS, ...changed });
  });

  it('property: never unblocks, never enables shorting, never raises the multiplier', () => {
    const rank = { '1': 1, '2': 2, '4': 4 } as const;
    const multiplier = fc.constantFrom('1' as const, '2' as const, '4' as const);
    fc.assert(
      fc.property(
        fc.record({ tradingBlocked: fc.boolean(), shortingEnabled: fc.boolean(), multiplier }),
        fc.record({ suspendTrade: fc.boolean(), noShorting: fc.boolean(), maxMarginMultiplier: multiplier }),
        (firm, prefs) => {
          const out = configuredSettings({ ...SETTINGS, ...firm }, c(prefs));
          expect(out.tradingBlocked).toBe(firm.tradingBlocked || prefs.suspendTrade);
          if (!firm.shortingEnabled) expect(out.shortingEnabled).toBe(false);
          expect(rank[out.multiplier]).toBeLessThanOrEqual(rank[firm.multiplier]);
        },
      ),
    );
  });
});

describe('patchedConfigurations: what a PATCH stores, null when it changes nothing (no new version)', () => {
  it.each([
    ['a default sent on a record with none', undefined, { pdtCheck: 'entry' }, null],
    ['the stored value sent again', { noShorting: true }, { noShorting: true }, null],
    ['nothing sent', { noShorting: true }, {}, null],
    ['a new value over the default', undefined, { pdtCheck: 'both' }, { pdtCheck: 'both' }],
    [
      'one field changed, the others kept',
      { noShorting: true },
      { noShorting: true, suspendTrade: true },
      { noShorting: true, suspendTrade: true },
    ],
    [
      'back to the default',
      { fractionalTrading: false },
      { fractionalTrading: true },
      { fractionalTrading: true },
    ],
  ] as const)('%s', (_what, stored, patch, expected) => {
    expect(patchedConfigurations(stored, patch as Partial<AccountConfigurations>)).toEqual(expected);
  });
});
