/**
 * Local mode's demo account settings (README "Local mode"): OMS_RISK_LIMITS is merged over the
 * defaults and validated as an account record is; OMS_SYMBOLS picks the quoted symbols.
 */
import { DEMO_SYMBOLS, demoSettings, LOCAL_RISK_LIMITS } from '../../local/oms-local.js';

describe('demoSettings', () => {
  it.each([
    ['nothing set: local limits, the five demo symbols', {}, { ...LOCAL_RISK_LIMITS }, DEMO_SYMBOLS],
    [
      'a wider collar and no duplicate rule',
      { OMS_RISK_LIMITS: '{"priceCollarPercent":"25","duplicateWindowSeconds":null}' },
      { ...LOCAL_RISK_LIMITS, priceCollarPercent: '25', duplicateWindowSeconds: null },
      DEMO_SYMBOLS,
    ],
    [
      'a tighter rate than local mode gives',
      { OMS_RISK_LIMITS: '{"maxOrdersPerSecond":5}' },
      { maxOrdersPerSecond: 5 },
      DEMO_SYMBOLS,
    ],
    [
      'other symbols, any case, spaces',
      { OMS_SYMBOLS: 'gme, brk.b ,SPY' },
      { ...LOCAL_RISK_LIMITS },
      ['GME', 'BRK.B', 'SPY'],
    ],
  ])('%s', (_name, env, riskLimits, symbols) => {
    expect(demoSettings({}, env)).toEqual({ riskLimits, symbols });
  });

  it.each([
    ['not JSON', { OMS_RISK_LIMITS: '{priceCollarPercent: 25' }, /OMS_RISK_LIMITS: is not JSON/],
    [
      'a limit that is not a decimal',
      { OMS_RISK_LIMITS: '{"maxOrderQty":"lots"}' },
      /OMS_RISK_LIMITS\.maxOrderQty/,
    ],
    [
      'an unknown limit (a typo must not switch nothing on)',
      { OMS_RISK_LIMITS: '{"priceColar":"25"}' },
      /OMS_RISK_LIMITS/,
    ],
    [
      'a negative rate',
      { OMS_RISK_LIMITS: '{"maxOrdersPerSecond":-1}' },
      /OMS_RISK_LIMITS\.maxOrdersPerSecond/,
    ],
    ['a symbol that is no ticker', { OMS_SYMBOLS: 'AAPL,$$$' }, /OMS_SYMBOLS: "\$\$\$"/],
  ])('refuses %s, naming the setting', (_name, env, message) => {
    expect(() => demoSettings({}, env)).toThrow(message);
  });

  it('options win over the environment', () => {
    const env = { OMS_RISK_LIMITS: '{"maxOrderQty":"1"}', OMS_SYMBOLS: 'GME' };
    expect(demoSettings({ riskLimits: { maxOrderQty: '7' }, symbols: ['AAPL'] }, env)).toEqual({
      riskLimits: { ...LOCAL_RISK_LIMITS, maxOrderQty: '7' },
      symbols: ['AAPL'],
    });
  });
});
