/**
 * The market's price history (platform/price-marks.ts): the items an observation writes (a mark
 * per intraday resolution, the day's on a session day up to its close), and the marks read back per
 * window and resolution, against DynamoDB Local with the stack's key schema (PriceMarks:
 * `symbol` S, `at` S).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type MarkResolution,
  PRICE_MARKS_TABLE_ENV,
  type PriceMark,
  priceMarkItems,
  priceMarks,
  writePriceMarks,
} from '../../lambdas/platform/price-marks.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const TABLE = 'priceMarks';
const local = dynamoDbLocalWith([{ ...table(TABLE, 'symbol'), sortKey: { name: 'at', type: 'S' } }]);
const deps = () => ({ doc: local.doc, table: TABLE });
const ms = (iso: string) => Date.parse(iso);
const DAY_S = 86_400;

/** Writes one observation of each symbol (its daily mark too unless `daily` is false). */
const observe = (
  doc: DynamoDBDocumentClient,
  table: string,
  marks: readonly { symbol: string; price: string }[],
  at: number,
  daily = true,
) =>
  writePriceMarks(
    doc,
    table,
    marks.flatMap((m) => priceMarkItems(m.symbol, m.price, at, daily)),
  );

// [observed at, minute key, New York date key]
it.each<[string, string, string]>([
  ['2026-11-23T14:30:00.000Z', 'm#2026-11-23T14:30Z', 'd#2026-11-23'],
  ['2026-11-23T14:44:59.999Z', 'm#2026-11-23T14:44Z', 'd#2026-11-23'],
  // Across midnight UTC: still the evening before in New York (EST, UTC-5).
  ['2026-12-08T03:30:00.000Z', 'm#2026-12-08T03:30Z', 'd#2026-12-07'],
  ['2026-12-08T04:59:59.000Z', 'm#2026-12-08T04:59Z', 'd#2026-12-07'],
  ['2026-12-08T05:00:00.000Z', 'm#2026-12-08T05:00Z', 'd#2026-12-08'],
  // Daylight saving time (EDT, UTC-4).
  ['2026-07-01T03:59:00.000Z', 'm#2026-07-01T03:59Z', 'd#2026-06-30'],
  ['2026-07-01T04:00:00.000Z', 'm#2026-07-01T04:00Z', 'd#2026-07-01'],
])('priceMarkItems at %s: minute %s, day %s', (observed, minute, day) => {
  const at = ms(observed);
  const expiresAt = Math.floor(at / 1000) + 35 * DAY_S;
  const slot = (prefix: string, minutes: number) => {
    const start = Math.floor(at / (minutes * 60_000)) * minutes * 60_000;
    return {
      symbol: 'ACME',
      at: `${prefix}${new Date(start).toISOString().slice(0, 16)}Z`,
      price: '10.5',
      expiresAt,
    };
  };
  const intraday = [slot('m#', 1), slot('f#', 5), slot('q#', 15), slot('h#', 60)];
  expect(intraday[0]?.at).toBe(minute);
  expect(priceMarkItems('ACME', '10.5', at, true)).toEqual([
    ...intraday,
    { symbol: 'ACME', at: day, price: '10.5' },
  ]);
  expect(priceMarkItems('ACME', '10.5', at, false)).toEqual(intraday);
});

it('the slots of an observation: 14:44:59 is in the 14:40 five minutes, the 14:30 quarter, the 14:00 hour', () => {
  expect(priceMarkItems('X', '1', ms('2026-11-23T14:44:59Z'), false).map((i) => i.at)).toEqual([
    'm#2026-11-23T14:44Z',
    'f#2026-11-23T14:40Z',
    'q#2026-11-23T14:30Z',
    'h#2026-11-23T14:00Z',
  ]);
});

describe('writePriceMarks, then priceMarks', () => {
  // Writes in time order (the daily mark: the last one written remains).
  const observations: readonly [string, string, string][] = [
    ['HIST', '9', '2026-11-20T21:00:00Z'], // Friday: the day before the window's days
    ['HIST', '10', '2026-11-23T14:29:10Z'],
    ['HIST', '11', '2026-11-23T14:30:05Z'],
    ['HIST', '11.5', '2026-11-23T14:30:40Z'], // the same minute: overwrites 11
    ['HIST', '12', '2026-11-23T14:31:00Z'],
    ['HIST', '13', '2026-11-23T14:33:00Z'],
    ['HIST', '14', '2026-11-23T14:35:00Z'],
    ['HIST', '15', '2026-11-24T03:30:00Z'], // New York date 2026-11-23: its close
    ['HIST', '16', '2026-11-25T15:00:00Z'],
  ];
  beforeAll(async () => {
    for (const [symbol, price, at] of observations)
      await observe(local.doc, TABLE, [{ symbol, price }], ms(at));
  });

  const marks = (...pairs: [string, string][]): PriceMark[] =>
    pairs.map(([at, price]) => ({ at: ms(at), price }));

  // [case, resolution, from, to, expected marks (ascending; the first may be the one before)]
  it.each<[string, MarkResolution, string, string, PriceMark[]]>([
    [
      'a window of whole minutes: the one before, then those inside (the last write of a minute)',
      '1Min',
      '2026-11-23T14:30:00Z',
      '2026-11-23T14:33:00Z',
      marks(
        ['2026-11-23T14:29:00Z', '10'],
        ['2026-11-23T14:30:00Z', '11.5'],
        ['2026-11-23T14:31:00Z', '12'],
        ['2026-11-23T14:33:00Z', '13'],
      ),
    ],
    [
      'a window starting inside a minute: that minute is the one before',
      '1Min',
      '2026-11-23T14:30:30Z',
      '2026-11-23T14:34:59Z',
      marks(['2026-11-23T14:30:00Z', '11.5'], ['2026-11-23T14:31:00Z', '12'], ['2026-11-23T14:33:00Z', '13']),
    ],
    [
      'no whole minute inside: only the one before',
      '1Min',
      '2026-11-23T14:30:10Z',
      '2026-11-23T14:30:50Z',
      marks(['2026-11-23T14:30:00Z', '11.5']),
    ],
    [
      'after the last minute: only the one before',
      '1Min',
      '2026-11-23T14:40:00Z',
      '2026-11-23T14:50:00Z',
      marks(['2026-11-23T14:35:00Z', '14']),
    ],
    [
      'across days: the last minute of the day before',
      '1Min',
      '2026-11-23T14:00:00Z',
      '2026-11-23T14:20:00Z',
      marks(['2026-11-20T21:00:00Z', '9']),
    ],
    [
      'before the first minute: none (the daily marks sort below every minute mark and are not one)',
      '1Min',
      '2026-11-20T20:00:00Z',
      '2026-11-20T20:30:00Z',
      [],
    ],
    [
      'days: the one before, then the New York dates inside (a date overwritten after midnight UTC: its last)',
      '1D',
      '2026-11-23T00:00:00Z',
      '2026-11-25T00:00:00Z',
      marks(['2026-11-20', '9'], ['2026-11-23', '15'], ['2026-11-25', '16']),
    ],
    [
      'a day window starting inside a day: that day is the one before',
      '1D',
      '2026-11-23T12:00:00Z',
      '2026-11-24T23:00:00Z',
      marks(['2026-11-23', '15']),
    ],
    ['days before the first: none', '1D', '2026-11-01T00:00:00Z', '2026-11-19T00:00:00Z', []],
    [
      'quarter hours: the one before (its last observation), then those inside',
      '15Min',
      '2026-11-23T14:30:00Z',
      '2026-11-23T14:45:00Z',
      marks(['2026-11-23T14:15:00Z', '10'], ['2026-11-23T14:30:00Z', '14']),
    ],
    [
      'hours: the 14:00 hour holds its last observation',
      '1H',
      '2026-11-23T14:00:00Z',
      '2026-11-23T15:00:00Z',
      marks(['2026-11-20T21:00:00Z', '9'], ['2026-11-23T14:00:00Z', '14']),
    ],
  ])('%s', async (_case, resolution, from, to, expected) => {
    const got = await priceMarks(['HIST'], ms(from), ms(to), resolution, deps());
    expect(got.get('HIST')).toEqual(expected);
  });

  it('a symbol without marks maps to [], in the order asked', async () => {
    const got = await priceMarks(
      ['NOPE', 'HIST'],
      ms('2026-11-23T14:35:00Z'),
      ms('2026-11-23T14:35:00Z'),
      '1Min',
      deps(),
    );
    expect([...got]).toEqual([
      ['NOPE', []],
      ['HIST', marks(['2026-11-23T14:33:00Z', '13'], ['2026-11-23T14:35:00Z', '14'])],
    ]);
  });
});

it('more than 25 items: BatchWriteItem 25 at a time (5 per symbol), every symbol read back', async () => {
  const symbols = Array.from({ length: 30 }, (_, i) => `MANY${String(i).padStart(2, '0')}`);
  const send = jest.spyOn(local.doc, 'send');
  try {
    const at = ms('2026-11-23T15:00:00Z');
    await observe(
      local.doc,
      TABLE,
      symbols.map((symbol, i) => ({ symbol, price: `${i + 1}` })),
      at,
    );
    const batches = send.mock.calls
      .map(([c]): unknown => c)
      .filter((c): c is BatchWriteCommand => c instanceof BatchWriteCommand)
      .map((c) => c.input.RequestItems?.[TABLE]?.length);
    expect(batches).toEqual([25, 25, 25, 25, 25, 25]);
    const got = await priceMarks(symbols, at, at, '1Min', deps());
    expect(symbols.map((s) => got.get(s))).toEqual(symbols.map((_, i) => [{ at, price: `${i + 1}` }]));
    const days = await priceMarks(symbols, ms('2026-11-23'), ms('2026-11-23'), '1D', deps());
    expect(symbols.map((s) => days.get(s))).toEqual(
      symbols.map((_, i) => [{ at: ms('2026-11-23'), price: `${i + 1}` }]),
    );
  } finally {
    send.mockRestore();
  }
});

it('a symbol given twice in one write keeps its last price (one request names a key once)', async () => {
  const at = ms('2026-11-23T16:00:00Z');
  await observe(
    local.doc,
    TABLE,
    [
      { symbol: 'TWICE', price: '1' },
      { symbol: 'TWICE', price: '2' },
    ],
    at,
  );
  expect((await priceMarks(['TWICE'], at, at, '1Min', deps())).get('TWICE')).toEqual([{ at, price: '2' }]);
});

describe('unprocessed items', () => {
  /** A client answering BatchWriteItem with `unprocessed(n)` for call n (its requests recorded). */
  function fakeDoc(unprocessed: (call: number) => number) {
    const requests: { PutRequest?: { Item?: Record<string, unknown> } }[][] = [];
    const doc = {
      send: async (c: BatchWriteCommand) => {
        const sent = c.input.RequestItems?.t ?? [];
        requests.push(sent);
        const left = sent.slice(0, unprocessed(requests.length));
        return { UnprocessedItems: left.length === 0 ? {} : { t: left } };
      },
    } as unknown as DynamoDBDocumentClient;
    return { doc, requests };
  }

  it('are written again until none is left', async () => {
    const { doc, requests } = fakeDoc((n) => (n === 1 ? 2 : 0));
    await observe(doc, 't', [{ symbol: 'A', price: '1' }], 0);
    expect(requests.map((r) => r.map((w) => w.PutRequest?.Item?.at))).toEqual([
      [
        'm#1970-01-01T00:00Z',
        'f#1970-01-01T00:00Z',
        'q#1970-01-01T00:00Z',
        'h#1970-01-01T00:00Z',
        'd#1969-12-31',
      ],
      ['m#1970-01-01T00:00Z', 'f#1970-01-01T00:00Z'],
    ]);
  });

  it('left unprocessed every time: a bounded number of attempts, then it throws', async () => {
    const { doc, requests } = fakeDoc(() => 1);
    await expect(observe(doc, 't', [{ symbol: 'A', price: '1' }], 0)).rejects.toThrow(
      'BatchWriteItem kept leaving price marks unprocessed',
    );
    expect(requests).toHaveLength(8);
  }, 15_000);

  it('nothing to write: no request', async () => {
    const { doc, requests } = fakeDoc(() => 0);
    await writePriceMarks(doc, 't', []);
    expect(requests).toEqual([]);
  });
});

it('without deps and without PRICE_MARKS_TABLE: a rejection naming the variable', async () => {
  const saved = process.env[PRICE_MARKS_TABLE_ENV];
  delete process.env[PRICE_MARKS_TABLE_ENV];
  try {
    const read = priceMarks(['A'], 0, 60_000, '1Min');
    expect(read).toBeInstanceOf(Promise);
    await expect(read).rejects.toThrow(/PRICE_MARKS_TABLE is not set/);
  } finally {
    if (saved !== undefined) process.env[PRICE_MARKS_TABLE_ENV] = saved;
  }
});
