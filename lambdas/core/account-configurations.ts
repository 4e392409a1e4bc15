/**
 * The account's configurations, Alpaca's `GET`/`PATCH /v2/account/configurations`: an account
 * holder's own preferences layered over what the firm set on the account. Pure: parsing a PATCH,
 * the JSON Alpaca shows, and what the preferences do to the account's settings.
 *
 * | field | values (default) | what it does here |
 * |---|---|---|
 * | `suspend_trade` | boolean (false) | true: every new order is refused `trading_blocked` (the account shows `trading_blocked: true` and `trade_suspended_by_user: true`) |
 * | `no_shorting` | boolean (false) | true: short sales are refused as for an account without shorting (`shorting_enabled: false`) |
 * | `fractional_trading` | boolean (true) | false: fractional and notional orders are refused `fractional_trading_disabled` |
 * | `max_margin_multiplier` | "1", "2", "4" ("4") | caps the account's multiplier, hence its buying power (never raises it) |
 * | `dtbp_check`, `pdt_check` | "both", "entry", "exit" ("entry") | kept and shown; day trading is checked by the firm's mode (docs/compliance.md) |
 * | `trade_confirm_email` | "all", "none" ("all") | kept and shown; the OMS sends no email |
 * | `ptp_no_exception_entry`, `disable_overnight_trading` | boolean (false) | kept and shown; no PTP securities, no overnight session here |
 * | `max_options_trading_level` | 0..3 (0) | kept and shown; no options here |
 */
import type { AccountSettings, Multiplier } from './account-view.js';
import { type FieldError, fieldError } from './field-error.js';

export interface AccountConfigurations {
  readonly dtbpCheck: 'both' | 'entry' | 'exit';
  readonly tradeConfirmEmail: 'all' | 'none';
  readonly suspendTrade: boolean;
  readonly noShorting: boolean;
  readonly fractionalTrading: boolean;
  readonly maxMarginMultiplier: Multiplier;
  readonly pdtCheck: 'both' | 'entry' | 'exit';
  readonly ptpNoExceptionEntry: boolean;
  readonly disableOvernightTrading: boolean;
  readonly maxOptionsTradingLevel: 0 | 1 | 2 | 3;
}

export const DEFAULT_ACCOUNT_CONFIGURATIONS: AccountConfigurations = {
  dtbpCheck: 'entry',
  tradeConfirmEmail: 'all',
  suspendTrade: false,
  noShorting: false,
  fractionalTrading: true,
  maxMarginMultiplier: '4',
  pdtCheck: 'entry',
  ptpNoExceptionEntry: false,
  disableOvernightTrading: false,
  maxOptionsTradingLevel: 0,
};

type Key = keyof AccountConfigurations;

const TRUE_OR_FALSE: readonly unknown[] = [true, false];

/** Alpaca's field name -> ours, and the values it takes. */
const FIELDS: Readonly<Record<string, { key: Key; values: readonly unknown[] }>> = {
  dtbp_check: { key: 'dtbpCheck', values: ['both', 'entry', 'exit'] },
  trade_confirm_email: { key: 'tradeConfirmEmail', values: ['all', 'none'] },
  suspend_trade: { key: 'suspendTrade', values: TRUE_OR_FALSE },
  no_shorting: { key: 'noShorting', values: TRUE_OR_FALSE },
  fractional_trading: { key: 'fractionalTrading', values: TRUE_OR_FALSE },
  max_margin_multiplier: { key: 'maxMarginMultiplier', values: ['1', '2', '4'] },
  pdt_check: { key: 'pdtCheck', values: ['both', 'entry', 'exit'] },
  ptp_no_exception_entry: { key: 'ptpNoExceptionEntry', values: TRUE_OR_FALSE },
  disable_overnight_trading: { key: 'disableOvernightTrading', values: TRUE_OR_FALSE },
  max_options_trading_level: { key: 'maxOptionsTradingLevel', values: [0, 1, 2, 3] },
};

/**
 * The values a field takes, as its refusal names them: `true or false`, `one of both, entry, exit`,
 * `one of "1", "2", "4"` (a number sent as a string is quoted, so `2` and `"2"` read apart).
 */
function valuesText(values: readonly unknown[]): string {
  return values === TRUE_OR_FALSE
    ? 'true or false'
    : `one of ${values.map((v) => (typeof v === 'string' && /^\d/.test(v) ? `"${v}"` : v)).join(', ')}`;
}

export const ACCOUNT_CONFIGURATION_FIELDS = /* @__PURE__ */ Object.keys(FIELDS);

/**
 * A PATCH body: some of the fields, each with a value it takes (null or absent: unchanged, as the
 * SDKs send only what is set). Errors name the field; an unknown field is refused.
 */
export function parseConfigurationsPatch(
  body: unknown,
):
  | { readonly ok: true; readonly patch: Partial<AccountConfigurations> }
  | { readonly ok: false; readonly errors: FieldError[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, errors: [fieldError('invalid_value', 'body', 'must be a JSON object')] };
  const errors: FieldError[] = [];
  const patch: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) {
    // Own fields only: `__proto__`, `constructor` or `toString` in a body are unknown fields.
    const f = Object.hasOwn(FIELDS, name) ? FIELDS[name] : undefined;
    if (f === undefined) {
      errors.push(
        fieldError(
          'unknown_field',
          name,
          `is not an account configuration (${ACCOUNT_CONFIGURATION_FIELDS.join(', ')})`,
        ),
      );
      continue;
    }
    if (value === null || value === undefined) continue;
    if (!f.values.includes(value))
      errors.push(fieldError('invalid_value', name, `must be ${valuesText(f.values)}`));
    else patch[f.key] = value;
  }
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, patch: patch as Partial<AccountConfigurations> };
}

/** The stored configurations (any subset, as PATCHed) over the defaults; a stored value out of range is ignored. */
export function configurationsOf(
  stored: Readonly<Record<string, unknown>> | undefined,
): AccountConfigurations {
  const out: Record<string, unknown> = { ...DEFAULT_ACCOUNT_CONFIGURATIONS };
  for (const f of Object.values(FIELDS)) {
    const v = stored?.[f.key];
    if (v !== undefined && f.values.includes(v)) out[f.key] = v;
  }
  return out as unknown as AccountConfigurations;
}

/**
 * The stored configurations after a PATCH, or null when the PATCH changes nothing in effect (every
 * field sent already holds that value, stored or by default): nothing to write, no new version.
 */
export function patchedConfigurations(
  stored: Readonly<Record<string, unknown>> | undefined,
  patch: Partial<AccountConfigurations>,
): Record<string, unknown> | null {
  const before = configurationsOf(stored);
  const changes = (Object.keys(patch) as Key[]).some((k) => patch[k] !== before[k]);
  return changes ? { ...stored, ...patch } : null;
}

/** Alpaca's JSON of the configurations. */
export function configurationsJson(c: AccountConfigurations): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(FIELDS)) out[name] = c[f.key];
  return out;
}

const MULTIPLIER_RANK: Readonly<Record<Multiplier, number>> = { '1': 1, '2': 2, '4': 4 };

/**
 * The account's settings with its holder's preferences applied: they only ever restrict what the
 * firm set (suspend blocks trading, no_shorting turns shorting off, the multiplier is capped).
 */
export function configuredSettings(settings: AccountSettings, c: AccountConfigurations): AccountSettings {
  return {
    ...settings,
    tradingBlocked: settings.tradingBlocked || c.suspendTrade,
    ...(c.suspendTrade ? { tradeSuspendedByUser: true } : {}),
    shortingEnabled: settings.shortingEnabled && !c.noShorting,
    multiplier:
      MULTIPLIER_RANK[c.maxMarginMultiplier] < MULTIPLIER_RANK[settings.multiplier]
        ? c.maxMarginMultiplier
        : settings.multiplier,
  };
}
