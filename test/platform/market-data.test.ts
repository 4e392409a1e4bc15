/**
 * The market data port (platform/market-data.ts: one item schema, the table adapter) and the pure
 * rules on quotes (core/market-quote.ts: the reference price, a full quote, the best bid/offer).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  assetIdOf,
  bestBidOfferOf,
  defaultAsset,
  fullQuote,
  type MarketQuote,
  nanos,
  referencePriceOf,
} from '../../lambdas/core/index.js';
import {
  assetFromItem,
  assetToItem,
  quoteFromItem,
  TableMarketData,
  VENUE_HEALTH_KEY,
} from '../../lambdas/platform/market-data.js';

const ddb = mockClient(DynamoDBDocumentClient);
beforeEach(() => ddb.reset());

// The reference price risk checks against: the last sale, else the mid (risk-context's old rule).
it.each<[Record<string, unknown> | undefined, string | null]>([
  [{ symbol: 'A', last: '101.5', bid: '100', ask: '103' }, '101.5'],
  [{ symbol: 'A', bid: '100', ask: '100.01' }, '100.005'],
  [{ symbol: 'A', last: 0, bid: '100', ask: '100.02' }, '100.01'],
  [{ symbol: 'A', bid: '100' }, null],
  [{ symbol: 'A', last: 'n/a', bid: 'x', ask: '1' }, null],
  [undefined, null],
])('reference price of %j is %s', (item, expected) => {
  expect(referencePriceOf(quoteFromItem(item))).toBe(expected);
});

it.each<[string, Record<string, unknown>, boolean]>([
  ['all three prices', { symbol: 'A', bid: '9.99', ask: '10.01', last: '10' }, true],
  ['numbers as JSON numbers', { symbol: 'A', bid: 9.99, ask: 10.01, last: 10 }, true],
  ['no last', { symbol: 'A', bid: '9.99', ask: '10.01' }, false],
  ['a zero bid', { symbol: 'A', bid: '0', ask: '10.01', last: '10' }, false],
  ['a price that is not a decimal', { symbol: 'A', bid: '9.99', ask: 'ten', last: '10' }, false],
])(
  'a full quote (trigger checks, algorithm slices) needs readable bid, ask and last: %s',
  (_n, item, full) => {
    expect(fullQuote(quoteFromItem(item)) !== null).toBe(full);
  },
);

it('volume and sizes: zero is a reading, absent is null', () => {
  expect(quoteFromItem({ symbol: 'A', volume: '0', bidSize: '0' })).toMatchObject({
    volume: 0n,
    bidSize: 0n,
    askSize: null,
  });
  expect(quoteFromItem({ bid: '1' })).toBeNull(); // nothing names it
  expect(quoteFromItem({ bid: '1' }, null, 'B')).toMatchObject({ symbol: 'B', bid: nanos('1') });
  expect(quoteFromItem(undefined, null, 'B')).toBeNull();
});

it('the best bid and offer over several sources: highest bid, lowest ask, each with its source', () => {
  const q = (source: string, bid: string | null, ask: string | null): MarketQuote => ({
    symbol: 'A',
    bid: bid === null ? null : nanos(bid),
    ask: ask === null ? null : nanos(ask),
    last: null,
    bidSize: null,
    askSize: null,
    volume: null,
    updatedAt: null,
    source,
  });
  expect(
    bestBidOfferOf('A', [q('X', '10.00', '10.05'), q('Y', '10.01', '10.06'), q('Z', null, '10.04')]),
  ).toEqual({
    symbol: 'A',
    bid: nanos('10.01'),
    bidSource: 'Y',
    ask: nanos('10.04'),
    askSource: 'Z',
  });
  expect(bestBidOfferOf('A', [])).toEqual({
    symbol: 'A',
    bid: null,
    bidSource: null,
    ask: null,
    askSource: null,
  });
});

describe('TableMarketData (the MARKET_TABLE adapter)', () => {
  const port = new TableMarketData(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
    'market',
  );

  it('quote: one GetItem; none for a symbol without an item', async () => {
    ddb
      .on(GetCommand, { Key: { symbol: 'A' } })
      .resolves({ Item: { symbol: 'A', bid: '1', ask: '1.01', last: '1' } });
    ddb.on(GetCommand, { Key: { symbol: 'B' } }).resolves({});
    expect(fullQuote(await port.quote('A'))).toEqual({
      bid: nanos('1'),
      ask: nanos('1.01'),
      last: nanos('1'),
    });
    expect(await port.quote('B')).toBeNull();
  });

  it('bestBidOffer: the NBBO over the venues, read with their health in ONE BatchGetItem; a venue that is down quotes nothing', async () => {
    ddb.on(BatchGetCommand).callsFake((input) => {
      const keys = input.RequestItems.market.Keys as { symbol: string }[];
      expect(keys).toEqual([{ symbol: 'A' }, { symbol: VENUE_HEALTH_KEY }]);
      return {
        Responses: {
          market: [
            {
              symbol: 'A',
              bid: '10',
              ask: '10.03',
              last: '10',
              bidSize: '500',
              askSize: '500',
              pinned: true,
            },
            { symbol: VENUE_HEALTH_KEY, 'down#SIMX': true, 'since#SIMX': '2026-12-04T10:00:00.000Z' },
          ],
        },
      };
    });
    const c = await port.consolidatedQuote('A');
    // Pinned: every venue shows the tape's prices; SIMX is down, so only the others quote.
    expect(c.venues.map((q) => q.source)).toEqual(['SIMY', 'SIMZ']);
    expect(c.venues.every((q) => q.bid === nanos('10') && q.ask === nanos('10.03'))).toBe(true);
    expect(c.health.get('SIMX')).toEqual({
      down: true,
      since: '2026-12-04T10:00:00.000Z',
      failedAt: null,
      fillRate: null,
    });
    expect(await port.bestBidOffer('A')).toMatchObject({ bid: nanos('10'), ask: nanos('10.03') });
  });

  it('quotes: BatchGetItem by 100 keys, unprocessed keys asked again, duplicates once', async () => {
    const symbols = Array.from({ length: 150 }, (_, i) => `S${i}`);
    let first = true;
    ddb.on(BatchGetCommand).callsFake((input) => {
      const keys = input.RequestItems.market.Keys as { symbol: string }[];
      // The first batch leaves its last key unprocessed once.
      const unprocessed = first ? keys.slice(-1) : [];
      first = false;
      const served = keys.slice(0, keys.length - unprocessed.length);
      return {
        Responses: { market: served.map(({ symbol }) => ({ symbol, bid: '1', ask: '2', last: '1.5' })) },
        UnprocessedKeys: unprocessed.length === 0 ? {} : { market: { Keys: unprocessed } },
      };
    });
    const quotes = await port.quotes([...symbols, 'S0']);
    expect([...quotes.keys()].sort()).toEqual([...symbols].sort());
    expect(
      ddb.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.market?.Keys?.length),
    ).toEqual([100, 1, 50]);
  });
});

describe('TableMarketData: the asset master (ASSETS_TABLE) and referenceData', () => {
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const port = new TableMarketData(doc, 'market', null, 'assets');

  it('referenceData: the quote and the asset in ONE BatchGetItem, keys left unprocessed asked again', async () => {
    let calls = 0;
    ddb.on(BatchGetCommand).callsFake((input) => {
      calls++;
      const tables = Object.keys(input.RequestItems);
      // The first answer serves the quote and leaves the asset unprocessed.
      if (calls === 1)
        return {
          Responses: { market: [{ symbol: 'AAPL', bid: '1', ask: '1.02', last: '1.01' }], assets: [] },
          UnprocessedKeys: { assets: input.RequestItems.assets },
        };
      expect(tables).toEqual(['assets']);
      return { Responses: { assets: [{ symbol: 'AAPL', fractionable: false }] }, UnprocessedKeys: {} };
    });
    const { quote, asset } = await port.referenceData('AAPL');
    expect(referencePriceOf(quote)).toBe('1.01');
    expect(asset).toMatchObject({
      symbol: 'AAPL',
      fractionable: false,
      tradable: true,
      id: assetIdOf('AAPL'),
    });
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems).toEqual({
      market: { Keys: [{ symbol: 'AAPL' }, { symbol: VENUE_HEALTH_KEY }] },
      assets: { Keys: [{ symbol: 'AAPL' }] },
    });
  });

  it('assetsOf: the listed ones by symbol, from ASSETS_TABLE (BatchGetItem, unprocessed asked again); an unlisted or unreadable one absent', async () => {
    let calls = 0;
    ddb.on(BatchGetCommand).callsFake((input) => {
      calls++;
      expect(Object.keys(input.RequestItems)).toEqual(['assets']);
      if (calls === 1)
        return {
          Responses: { assets: [{ symbol: 'AAPL' }, { symbol: 'BAD', shortable: 'yes' }] },
          UnprocessedKeys: { assets: { Keys: [{ symbol: 'MSFT' }] } },
        };
      return { Responses: { assets: [{ symbol: 'MSFT', fractionable: false }] }, UnprocessedKeys: {} };
    });
    const found = await port.assetsOf(['AAPL', 'MSFT', 'BAD', 'NOPE', 'AAPL']);
    expect([...found.keys()].sort()).toEqual(['AAPL', 'MSFT']);
    expect(found.get('MSFT')).toMatchObject({ symbol: 'MSFT', fractionable: false, id: assetIdOf('MSFT') });
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.assets?.Keys).toEqual([
      { symbol: 'AAPL' },
      { symbol: 'MSFT' },
      { symbol: 'BAD' },
      { symbol: 'NOPE' },
    ]);
  });

  it('referenceData of a symbol with neither: both null', async () => {
    ddb.on(BatchGetCommand).resolves({ Responses: { market: [], assets: [] } });
    expect(await port.referenceData('NOPE')).toMatchObject({
      quote: null,
      asset: null,
      consolidated: { venues: [] },
    });
  });

  it('a function given only the market table cannot read assets (a wiring error, loud)', async () => {
    await expect(new TableMarketData(doc, 'market').asset('AAPL')).rejects.toThrow('ASSETS_TABLE is not set');
    await expect(new TableMarketData(doc, null, null, 'assets').quote('AAPL')).rejects.toThrow(
      'MARKET_TABLE is not set',
    );
    // A rejection, not a throw: a caller's Promise.all or .catch sees it.
    const reads = [
      new TableMarketData(doc, null, null, 'assets').quotes(['A']),
      new TableMarketData(doc, 'market').assetsOf(['A']),
    ];
    await expect(reads[0]).rejects.toThrow('MARKET_TABLE is not set');
    await expect(reads[1]).rejects.toThrow('ASSETS_TABLE is not set');
  });

  it.each<[string, Record<string, unknown>, boolean]>([
    ['a full item', assetToItem(defaultAsset('AAPL')) as unknown as Record<string, unknown>, true],
    ['a bare {symbol}', { symbol: 'AAPL' }, true],
    ['attributes as a DynamoDB string set', { symbol: 'AAPL', attributes: new Set(['has_options']) }, true],
    ['a flag of the wrong type', { symbol: 'AAPL', shortable: 'true' }, false],
    ['an unknown attribute', { symbol: 'AAPL', attributes: ['shiny'] }, false],
    ['a lower-case symbol', { symbol: 'aapl' }, false],
    ['no symbol', { tradable: true }, false],
  ])('the asset item: %s is readable: %s', (_name, item, readable) => {
    expect(assetFromItem(item) !== null).toBe(readable);
  });
});
