/**
 * Case-insensitive reading of the API's keyword values (activity types, exchanges, asset statuses,
 * calendar date types): only ASCII letters change case. Unicode's full case mapping takes `ı` and
 * `ſ` to `I` and `S`, and `ﬁ` to `FI`, so `fıll` read as FILL and `NAſDAQ` as NASDAQ: a value the
 * client never sent (a probe). With these, such a text is refused, named as sent.
 */
export const upperAscii = (text: string): string => text.replace(/[a-z]+/g, (m) => m.toUpperCase());
export const lowerAscii = (text: string): string => text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
