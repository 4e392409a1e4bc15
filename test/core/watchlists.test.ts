/**
 * Watchlists' rules (core watchlists.ts; README "Watchlists"): what each route does to an
 * account's watchlists, what it refuses and with which field named, and, over any sequence of
 * operations (fast-check), the invariants the routes rely on: names unique in the account,
 * symbols unique, listed and upper case in a watchlist, the caps held, a refusal changing nothing.
 */
import fc from 'fast-check';
import {
  addWatchlistSymbol,
  alpacaAccountId,
  createWatchlist,
  deleteWatchlist,
  findWatchlist,
  removeWatchlistSymbol,
  SYMBOLS_PER_WATCHLIST,
  updateWatchlist,
  WATCHLISTS_PER_ACCOUNT,
  type Watchlist,
  type WatchlistOutcome,
  watchlistJson,
  watchlistNameErrors,
  watchlistSymbolsOf,
} from '../../lambdas/core/index.js';

const T0 = '2026-12-07T15:00:00.000Z';
const T1 = '2026-12-07T15:00:01.000Z';
const LISTED = new Set(['AAPL', 'MSFT', 'SPY', 'BRK.B']);
const TECH: Watchlist = { id: 'w-1', name: 'tech', symbols: ['AAPL', 'MSFT'], createdAt: T0, updatedAt: T0 };
const ETF: Watchlist = { id: 'w-2', name: 'etf', symbols: ['SPY'], createdAt: T0, updatedAt: T0 };
const BOTH = [TECH, ETF];

describe('the names and symbols a request sends (400 naming the field)', () => {
  test.each([
    [undefined, 'name: is required'],
    [null, 'name: is required'],
    [7, 'name: must be a string'],
    ['', 'name: must not be empty or only spaces'],
    ['   ', 'name: must not be empty or only spaces'],
    ['x'.repeat(65), 'name: must be at most 64 characters'],
    ['tab\there', 'name: must be printable text (no control characters)'],
  ])('name %j: %s', (value, message) => {
    expect(watchlistNameErrors(value).map((e) => e.message)).toEqual([message]);
  });

  test.each(['tech', 'x'.repeat(64), '💹 movers', ' padded '])('name %j is one', (value) => {
    expect(watchlistNameErrors(value)).toEqual([]);
  });

  test.each([
    [undefined, { ok: true, symbols: undefined }],
    [null, { ok: true, symbols: undefined }],
    [[], { ok: true, symbols: [] }],
    [['aapl', 'Brk.b'], { ok: true, symbols: ['AAPL', 'BRK.B'] }],
    ['AAPL', { ok: false, messages: ['symbols: must be an array of symbols'] }],
    [['AAPL', 'aapl'], { ok: false, messages: ['symbols[1]: AAPL is given twice'] }],
    [
      ['AAPL', 3, '1X'],
      { ok: false, messages: ['symbols[1]: must be a string', 'symbols[2]: "1X" is not a symbol'] },
    ],
    [
      Array.from({ length: SYMBOLS_PER_WATCHLIST + 1 }, (_, i) => `S${i}`),
      { ok: false, messages: [`symbols: must hold at most 200 symbols (201 given)`] },
    ],
  ])('symbols %j', (value, expected) => {
    const out = watchlistSymbolsOf(value);
    if (expected.ok) expect(out).toEqual(expected);
    else
      expect(out.ok ? [] : out.errors.map((e) => e.message)).toEqual(
        (expected as { messages: string[] }).messages,
      );
  });
});

describe('each route on an account holding tech [AAPL, MSFT] and etf [SPY]', () => {
  const cases: [string, WatchlistOutcome, unknown][] = [
    [
      'create: appended, its times now',
      createWatchlist(BOTH, { id: 'w-3', name: 'new', symbols: ['SPY'] }, LISTED, T1),
      {
        kind: 'changed',
        watchlist: { id: 'w-3', name: 'new', symbols: ['SPY'], createdAt: T1, updatedAt: T1 },
      },
    ],
    [
      'create: a name taken (exactly: case counts) and a symbol not listed, both named',
      createWatchlist(BOTH, { id: 'w-3', name: 'tech', symbols: ['SPY', 'NOPE'] }, LISTED, T1),
      {
        kind: 'refused',
        errors: [
          { field: 'name', message: 'name: a watchlist named "tech" already exists' },
          { field: 'symbols[1]', message: 'symbols[1]: asset NOPE not found' },
        ],
      },
    ],
    [
      'create: another case of a name is another name',
      createWatchlist(BOTH, { id: 'w-3', name: 'Tech', symbols: [] }, LISTED, T1),
      { kind: 'changed' },
    ],
    [
      'update by id: renamed, symbols replaced, updated_at moved',
      updateWatchlist(BOTH, { id: 'W-1' }, { name: 'mega', symbols: ['SPY'] }, LISTED, T1),
      {
        kind: 'changed',
        watchlist: { id: 'w-1', name: 'mega', symbols: ['SPY'], createdAt: T0, updatedAt: T1 },
      },
    ],
    [
      'update by name: symbols only, the name kept',
      updateWatchlist(BOTH, { name: 'etf' }, { symbols: [] }, LISTED, T1),
      { kind: 'changed', watchlist: { name: 'etf', symbols: [] } },
    ],
    [
      'update: to its own name and symbols is no change',
      updateWatchlist(BOTH, { id: 'w-1' }, { name: 'tech', symbols: ['AAPL', 'MSFT'] }, LISTED, T1),
      { kind: 'unchanged', watchlist: TECH },
    ],
    [
      "update: to another watchlist's name",
      updateWatchlist(BOTH, { id: 'w-1' }, { name: 'etf' }, LISTED, T1),
      { kind: 'refused', errors: [{ field: 'name', code: 'conflict' }] },
    ],
    [
      'update: an unknown watchlist',
      updateWatchlist(BOTH, { name: 'nope' }, { symbols: [] }, LISTED, T1),
      { kind: 'not_found', what: 'watchlist' },
    ],
    [
      'add: appended',
      addWatchlistSymbol(BOTH, { id: 'w-2' }, 'AAPL', LISTED, T1),
      { kind: 'changed', watchlist: { symbols: ['SPY', 'AAPL'], updatedAt: T1 } },
    ],
    [
      'add: already in',
      addWatchlistSymbol(BOTH, { id: 'w-2' }, 'SPY', LISTED, T1),
      { kind: 'refused', errors: [{ field: 'symbol', message: 'symbol: SPY is already in the watchlist' }] },
    ],
    [
      'add: not listed',
      addWatchlistSymbol(BOTH, { id: 'w-2' }, 'NOPE', LISTED, T1),
      { kind: 'refused', errors: [{ field: 'symbol', message: 'symbol: asset NOPE not found' }] },
    ],
    [
      'remove: any case',
      removeWatchlistSymbol(BOTH, { id: 'w-1' }, 'aapl', T1),
      { kind: 'changed', watchlist: { symbols: ['MSFT'] } },
    ],
    [
      'remove: a symbol not in it',
      removeWatchlistSymbol(BOTH, { id: 'w-1' }, 'SPY', T1),
      { kind: 'not_found', what: 'symbol' },
    ],
    [
      'delete',
      deleteWatchlist(BOTH, { name: 'tech' }),
      { kind: 'changed', watchlists: [ETF], watchlist: null },
    ],
    ['delete: unknown', deleteWatchlist(BOTH, { id: 'w-9' }), { kind: 'not_found', what: 'watchlist' }],
  ];
  test.each(cases)('%s', (_name, out, expected) => {
    expect(out).toMatchObject(expected as object);
  });

  test('the caps: 100 watchlists in an account, 200 symbols in one', () => {
    const many = Array.from({ length: WATCHLISTS_PER_ACCOUNT }, (_, i) => ({
      ...ETF,
      id: `w-${i}`,
      name: `n${i}`,
    }));
    expect(createWatchlist(many, { id: 'x', name: 'x', symbols: [] }, LISTED, T1)).toMatchObject({
      kind: 'refused',
      errors: [{ field: 'name', code: 'out_of_range' }],
    });
    const symbols = Array.from({ length: SYMBOLS_PER_WATCHLIST }, (_, i) => `S${i}`);
    const full = { ...ETF, symbols };
    expect(addWatchlistSymbol([full], { id: 'w-2' }, 'AAPL', LISTED, T1)).toMatchObject({
      kind: 'refused',
      errors: [{ field: 'symbol', code: 'out_of_range' }],
    });
  });

  test("Alpaca's object: with its assets for one watchlist, without them in the list", () => {
    expect(watchlistJson(TECH, 'acct-1', ['a', 'b'])).toEqual({
      id: 'w-1',
      account_id: alpacaAccountId('acct-1'),
      created_at: T0,
      updated_at: T0,
      name: 'tech',
      assets: ['a', 'b'],
    });
    expect(watchlistJson(TECH, 'acct-1')).not.toHaveProperty('assets');
  });
});

test('property: over any sequence of operations, names stay unique, symbols unique, listed and upper case, the caps held; only a change carries a list to write', () => {
  const symbol = fc.constantFrom('AAPL', 'aapl', 'MSFT', 'SPY', 'NOPE', 'BRK.B');
  const name = fc.constantFrom('a', 'b', 'c', 'A');
  const ref = fc.oneof(
    fc.constantFrom('w-0', 'w-1', 'w-2', 'W-1').map((id) => ({ id })),
    name.map((n) => ({ name: n })),
  );
  const upper = (s: string) => s.toUpperCase();
  const op = fc.oneof(
    fc.record({
      op: fc.constant('create' as const),
      name,
      symbols: fc.uniqueArray(symbol, { selector: upper }),
    }),
    fc.record({
      op: fc.constant('update' as const),
      ref,
      name: fc.option(name, { nil: undefined }),
      symbols: fc.option(fc.uniqueArray(symbol, { selector: upper }), { nil: undefined }),
    }),
    fc.record({ op: fc.constant('add' as const), ref, symbol }),
    fc.record({ op: fc.constant('remove' as const), ref, symbol }),
    fc.record({ op: fc.constant('delete' as const), ref }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      let all: readonly Watchlist[] = [];
      let created = 0;
      for (const o of ops) {
        const out =
          o.op === 'create'
            ? createWatchlist(
                all,
                { id: `w-${created}`, name: o.name, symbols: o.symbols.map(upper) },
                LISTED,
                T1,
              )
            : o.op === 'update'
              ? updateWatchlist(
                  all,
                  o.ref,
                  {
                    ...(o.name === undefined ? {} : { name: o.name }),
                    ...(o.symbols === undefined ? {} : { symbols: o.symbols.map(upper) }),
                  },
                  LISTED,
                  T1,
                )
              : o.op === 'add'
                ? addWatchlistSymbol(all, o.ref, upper(o.symbol), LISTED, T1)
                : o.op === 'remove'
                  ? removeWatchlistSymbol(all, o.ref, o.symbol, T1)
                  : deleteWatchlist(all, o.ref);
        if (out.kind !== 'changed') {
          expect(out).not.toHaveProperty('watchlists');
          continue;
        }
        if (o.op === 'create') created++;
        all = out.watchlists;
        const names = all.map((w) => w.name);
        expect(new Set(names).size).toBe(names.length);
        for (const w of all) {
          expect(new Set(w.symbols).size).toBe(w.symbols.length);
          for (const s of w.symbols) expect(LISTED.has(s)).toBe(true);
          expect(w.symbols.length).toBeLessThanOrEqual(SYMBOLS_PER_WATCHLIST);
        }
        expect(all.length).toBeLessThanOrEqual(WATCHLISTS_PER_ACCOUNT);
        if (out.watchlist !== null)
          expect(findWatchlist(all, { id: out.watchlist.id })).toEqual(out.watchlist);
      }
    }),
    { numRuns: 300 },
  );
});
