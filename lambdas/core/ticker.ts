/**
 * A ticker symbol as the OMS takes it on every route (an order's `symbol`, a listing's `symbols`,
 * a limits policy's symbols, a locate's, a pinned quote's): a letter, then up to 20 letters,
 * digits, ".", "-" or "/" (class shares such as BRK.B, BRK-B or BRK/B). One rule, so a symbol one
 * route takes is never refused by another.
 */
export const TICKER_SYMBOL = /^[A-Za-z][A-Za-z0-9.\-/]{0,20}$/;
