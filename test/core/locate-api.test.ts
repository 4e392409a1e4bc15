/**
 * Alpaca's `/v1/locates` as the official SDK 4.x reads it (core locate-api.ts, locates.ts): the
 * locate's JSON (the fields `LocateFromJSON` reads: numbers for quantities, `limit_price`,
 * `located_price`, `total_fee`, `rejection_reason`), `limit_price` on a request, the list's
 * parameters and pages (`{locates, next_page_token}`), and the quotes of
 * `GET /v1/locates/quotes`.
 */
import {
  EMPTY_LOCATE_BOOK,
  grantLocate,
  LOCATES_PAGE_MAX,
  type LocateBook,
  type LocateListQuery,
  locateJson,
  locateLimitPriceOf,
  locatePage,
  locateQuoteOf,
  locateRefusalOf,
  nanos,
  parseLocateListQuery,
  parseLocateQuoteSymbols,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2026-12-03T15:00:00.000Z');
const messages = (r: { ok: boolean; errors?: { message: string }[] }) =>
  r.ok ? [] : (r.errors ?? []).map((e) => e.message);

describe('the locate JSON (the SDK LocateFromJSON fields)', () => {
  const granted = grantLocate(
    EMPTY_LOCATE_BOOK,
    { symbol: 'htbx', qty: nanos('300'), allOrNone: false, limitPrice: '0.05' },
    nanos('200'),
    'L1',
    NOW,
  );
  const rejected = grantLocate(
    granted.book,
    { symbol: 'HTBX', qty: nanos('300'), allOrNone: true },
    nanos('100'),
    'L2',
    NOW,
  );

  it('a locate granted in part: quantities as numbers, the request’s limit, no fee', () => {
    expect(locateJson(granted.book, granted.locate, NOW)).toEqual({
      id: 'L1',
      symbol: 'HTBX',
      status: 'active',
      requested_qty: 300,
      located_qty: 200,
      used_qty: 0,
      all_or_none: false,
      limit_price: '0.05',
      located_price: '0',
      total_fee: '0',
      trading_day: '2026-12-03',
      created_at: '2026-12-03T15:00:00.000Z',
      expires_at: '2026-12-04T05:00:00.000Z',
    });
  });

  it('a rejected locate: rejection_reason (Alpaca’s name), no price or fee, limit_price null when none given', () => {
    const j = locateJson(rejected.book, rejected.locate, NOW);
    expect(j).toEqual({
      id: 'L2',
      symbol: 'HTBX',
      status: 'rejected',
      requested_qty: 300,
      located_qty: 0,
      used_qty: 0,
      all_or_none: true,
      limit_price: null,
      trading_day: '2026-12-03',
      created_at: '2026-12-03T15:00:00.000Z',
      expires_at: '2026-12-04T05:00:00.000Z',
      rejection_reason: 'only 100 of 300 HTBX shares available to borrow (all_or_none)',
    });
    expect(j).not.toHaveProperty('reject_reason');
  });

  it('the next New York day the active locate reads expired (its fee stays shown)', () => {
    const next = Date.parse('2026-12-04T15:00:00.000Z');
    expect(locateJson(granted.book, granted.locate, next)).toMatchObject({
      status: 'expired',
      located_price: '0',
    });
  });
});

describe('limit_price: the most a locate request pays per share', () => {
  it.each<[string, unknown, string | undefined, string[]]>([
    ['absent: any fee', undefined, undefined, []],
    ['null: any fee (the SDK sends null for limitPrice: null)', null, undefined, []],
    ['a decimal string, kept canonical', '0.050', '0.05', []],
    ['zero: only a free locate', '0', '0', []],
    ['a JSON number', 0.25, '0.25', []],
    [
      'negative',
      '-0.01',
      undefined,
      ['limit_price: must be a non-negative decimal string (the most to pay per share, USD), got "-0.01"'],
    ],
    [
      'not a number',
      'cheap',
      undefined,
      ['limit_price: must be a non-negative decimal string (the most to pay per share, USD), got "cheap"'],
    ],
    [
      'empty',
      '',
      undefined,
      ['limit_price: must be a non-negative decimal string (the most to pay per share, USD), got ""'],
    ],
    [
      'an exponent',
      1e-7,
      undefined,
      ['limit_price: must be a non-negative decimal string (the most to pay per share, USD), got "1e-7"'],
    ],
    [
      'a boolean',
      true,
      undefined,
      ['limit_price: must be a non-negative decimal string (the most to pay per share, USD), got true'],
    ],
    [
      'too precise',
      '0.0000000001',
      undefined,
      ['limit_price: must have at most 9 decimal places, got "0.0000000001"'],
    ],
  ])('%s', (_name, value, limitPrice, errors) => {
    const r = locateLimitPriceOf(value);
    expect(messages(r)).toEqual(errors);
    if (r.ok) expect(r.limitPrice).toBe(limitPrice);
  });
});

describe('GET /v1/locates: the query', () => {
  it.each<[string, Record<string, string>, Partial<LocateListQuery> | null, string[]]>([
    ['none: the first 100', {}, { limit: 100 }, []],
    [
      'every parameter',
      {
        page_token: 'L3',
        limit: '2',
        status: 'active',
        symbol: 'htbx',
        start: '2026-12-01',
        end: '2026-12-03',
      },
      { pageToken: 'L3', limit: 2, status: 'active', symbol: 'HTBX', start: '2026-12-01', end: '2026-12-03' },
      [],
    ],
    ['limit at its maximum', { limit: String(LOCATES_PAGE_MAX) }, { limit: 500 }, []],
    ['limit 0', { limit: '0' }, null, ['limit: must be a whole number from 1 to 500, got "0"']],
    [
      'limit past the maximum',
      { limit: '501' },
      null,
      ['limit: must be a whole number from 1 to 500, got "501"'],
    ],
    ['limit not whole', { limit: '1.5' }, null, ['limit: must be a whole number from 1 to 500, got "1.5"']],
    [
      'an unknown status',
      { status: 'open' },
      null,
      ['status: must be one of active, expired, rejected, got "open"'],
    ],
    ['an empty symbol', { symbol: '' }, null, ['symbol: must be a ticker symbol']],
    ['a symbol that is no ticker', { symbol: '$$' }, null, ['symbol: must be a ticker symbol']],
    [
      'a date that is not one',
      { start: '2026-02-30' },
      null,
      ['start: must be a date YYYY-MM-DD, got "2026-02-30"'],
    ],
    [
      'a timestamp, not a date',
      { end: '2026-12-03T00:00:00Z' },
      null,
      ['end: must be a date YYYY-MM-DD, got "2026-12-03T00:00:00Z"'],
    ],
    [
      'end before start',
      { start: '2026-12-03', end: '2026-12-02' },
      null,
      ['end: must not be before start (2026-12-03), got "2026-12-02"'],
    ],
    [
      'an empty page token',
      { page_token: '' },
      null,
      ['page_token: must be a next_page_token of this list, got ""'],
    ],
    [
      'several bad: each named',
      { limit: 'x', status: 'x' },
      null,
      [
        'limit: must be a whole number from 1 to 500, got "x"',
        'status: must be one of active, expired, rejected, got "x"',
      ],
    ],
  ])('%s', (_name, q, query, errors) => {
    const r = parseLocateListQuery(q);
    expect(messages(r)).toEqual(errors);
    if (r.ok) expect(r.query).toEqual(query);
  });
});

describe('GET /v1/locates: pages, newest first', () => {
  // Five locates over two New York days: L1, L2 on 12-02 (L2 rejected), L3..L5 on 12-03 (L4 of ABCD);
  // L5 and L6 at one instant (the id orders them, descending).
  const at = (iso: string) => Date.parse(iso);
  let book: LocateBook = EMPTY_LOCATE_BOOK;
  for (const [id, symbol, desk, time] of [
    ['L1', 'HTBX', '100', '2026-12-02T15:00:00Z'],
    ['L2', 'HTBX', '0', '2026-12-02T16:00:00Z'],
    // 21:30 New York on 12-02 is 12-03 in UTC: its trading day is 12-02.
    ['L3', 'HTBX', '100', '2026-12-03T02:30:00Z'],
    ['L4', 'ABCD', '100', '2026-12-03T15:00:00Z'],
    ['L6', 'HTBX', '100', '2026-12-03T16:00:00Z'],
    ['L5', 'HTBX', '100', '2026-12-03T16:00:00Z'],
  ] as const)
    book = grantLocate(book, { symbol, qty: nanos('100'), allOrNone: false }, nanos(desk), id, at(time)).book;

  const list = (q: Record<string, string>) => {
    const parsed = parseLocateListQuery(q);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const page = locatePage(book, parsed.query, NOW);
    return page.ok
      ? { ids: page.body.locates.map((l) => l.id), next: page.body.next_page_token }
      : messages(page);
  };

  // biome-ignore format: a table
  it.each<[string, Record<string, string>, unknown]>([
    ['all, created_at then id descending',         {},                                          { ids: ['L6', 'L5', 'L4', 'L3', 'L2', 'L1'], next: null }],
    ['a page of 2: the token is its last id',      { limit: '2' },                              { ids: ['L6', 'L5'], next: 'L5' }],
    ['the next page continues after the token',    { limit: '2', page_token: 'L5' },            { ids: ['L4', 'L3'], next: 'L3' }],
    ['the last page: no token',                    { limit: '2', page_token: 'L3' },            { ids: ['L2', 'L1'], next: null }],
    ['a page exactly as long as what is left',     { limit: '6' },                              { ids: ['L6', 'L5', 'L4', 'L3', 'L2', 'L1'], next: null }],
    ['by symbol, in any case',                     { symbol: 'abcd' },                          { ids: ['L4'], next: null }],
    ['active (today’s, 12-03)',                    { status: 'active' },                        { ids: ['L6', 'L5', 'L4'], next: null }],
    ['expired (12-02’s granted)',                  { status: 'expired' },                       { ids: ['L3', 'L1'], next: null }],
    ['rejected',                                   { status: 'rejected' },                      { ids: ['L2'], next: null }],
    ['start and end on the New York trading day',  { start: '2026-12-02', end: '2026-12-02' }, { ids: ['L3', 'L2', 'L1'], next: null }],
    ['start only',                                 { start: '2026-12-03' },                     { ids: ['L6', 'L5', 'L4'], next: null }],
    ['filters and pages together',                 { symbol: 'HTBX', status: 'expired', limit: '1' }, { ids: ['L3'], next: 'L3' }],
    ['... the next page with the same filters',    { symbol: 'HTBX', status: 'expired', limit: '1', page_token: 'L3' }, { ids: ['L1'], next: null }],
    ['a token that names no locate: 400',          { page_token: 'nope' },                      ['page_token: is not a next_page_token of this account\'s locates, got "nope"']],
    ['nothing matches: an empty page',             { symbol: 'ZZZZ' },                          { ids: [], next: null }],
  ])('%s', (_name, q, expected) => {
    expect(list(q)).toEqual(expected);
  });
});

describe('GET /v1/locates/quotes', () => {
  // biome-ignore format: a table
  it.each<[string, string | undefined, string[] | null, string[]]>([
    ['one symbol, upper-cased',        'htbx',         ['HTBX'],         []],
    ['several, each once, in order',   'B, a ,B',      ['B', 'A'],       []],
    ['missing',                        undefined,      null,             ['symbols: is required']],
    ['empty',                          '',             null,             ['symbols: must be comma-separated ticker symbols, got ""']],
    ['an empty item',                  'A,,B',         null,             ['symbols: must be comma-separated ticker symbols, got ""']],
    ['no ticker',                      'A,$$',         null,             ['symbols: must be comma-separated ticker symbols, got "$$"']],
    ['too many',                       Array.from({ length: 101 }, (_, i) => `S${i}`).join(','), null, ['symbols: at most 100 symbols, got 101']],
  ])('symbols: %s', (_name, text, symbols, errors) => {
    const r = parseLocateQuoteSymbols(text);
    expect(messages(r)).toEqual(errors);
    if (r.ok) expect(r.symbols).toEqual(symbols);
  });

  // biome-ignore format: a table
  it.each<[string, { shortable: boolean; easyToBorrow: boolean } | null, string | null]>([
    ['hard to borrow: quoted',                 { shortable: true, easyToBorrow: false },  null],
    ['not in the asset master',                null,                                      'symbol_not_found'],
    ['easy to borrow: needs no locate',        { shortable: true, easyToBorrow: true },   'easy_to_borrow'],
    ['not shortable',                          { shortable: false, easyToBorrow: false }, 'threshold_security'],
  ])('a symbol %s', (_name, asset, code) => {
    expect(locateRefusalOf('HTBX', asset)?.code ?? null).toBe(code);
  });

  it('a quote: what the desk can lend, a price of "0" only when it has some', () => {
    expect(locateQuoteOf('HTBX', nanos('300'), NOW)).toEqual({
      symbol: 'HTBX',
      available_qty: 300,
      price: '0',
      quoted_at: '2026-12-03T15:00:00.000Z',
    });
    expect(locateQuoteOf('HTBX', 0n, NOW)).toEqual({
      symbol: 'HTBX',
      available_qty: 0,
      quoted_at: '2026-12-03T15:00:00.000Z',
    });
  });
});
