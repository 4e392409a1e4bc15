/**
 * The kinds of difference reconciliation finds between the OMS and a venue, and the kinds of repair
 * it decides (core reconciliation.ts has the rules). Apart, without imports, so the event schemas
 * can name them.
 */
export const BREAK_TYPES = [
  'MISSING_AT_VENUE',
  'UNKNOWN_AT_OMS',
  'STATUS_MISMATCH',
  'FILLED_QTY_MISMATCH',
  'MISSED_FILL',
  'FILL_ATTR_MISMATCH',
  'POSITION_MISMATCH',
] as const;
export type BreakType = (typeof BREAK_TYPES)[number];

export const BREAK_REPAIRS = ['apply_fill', 'apply_close', 'cancel_at_venue', 'none'] as const;
export type BreakRepairKind = (typeof BREAK_REPAIRS)[number];
