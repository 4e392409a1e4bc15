/**
 * The scheduled export's handler (lambdas/regulatory-export/export-cat-day.ts) with the AWS clients
 * mocked: which day a request asks for, the read of the day (a Scan for the day's orders, a Query
 * per order), the writes (archive and records before the manifest, SHA-256 checksums), and no
 * write at all when the stored export is already the recomputed one.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, requestedDate } from '../../lambdas/regulatory-export/export-cat-day.js';

const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

beforeEach(() => {
  ddb.reset();
  s3.reset();
  process.env.EVENT_STORE_TABLE = 'events';
  process.env.AUDIT_BUCKET = 'audit';
  process.env.CAT_REPORTER_IMID = 'STKB';
});

describe('the day a request asks for', () => {
  test.each([
    // The schedule fires at 06:00 UTC: 01:00 (EST) or 02:00 (EDT) in New York, the next day.
    [{ time: '2026-12-04T06:00:00Z' }, '2026-12-03'],
    [{ time: '2026-07-02T06:00:00Z' }, '2026-07-01'],
    [{ date: '2026-03-02' }, '2026-03-02'],
  ])('%j exports %s', (event, date) => expect(requestedDate(event)).toBe(date));

  test.each<[unknown, string]>([
    [{ date: '2026-02-30' }, 'date: must be a date YYYY-MM-DD'],
    [{ date: 'yesterday' }, 'date: must be a date YYYY-MM-DD'],
    [{ date: 20261203 }, 'date: must be a date YYYY-MM-DD'],
    [{ time: 'soon' }, 'time: must be an ISO-8601 UTC time'],
    [{}, 'time: must be an ISO-8601 UTC time'],
    [null, 'request: give {"date": "YYYY-MM-DD"} or a scheduled event'],
  ])('%j is refused: %s', (event, message) => {
    expect(() => requestedDate(event)).toThrow(message);
  });
});

const stored = [
  {
    orderId: 'o-1',
    seq: 1,
    type: 'OrderSubmitted',
    occurredAt: '2026-12-03T15:00:00.000Z',
    accountId: 'acct-1',
    eventId: 'o-1:1',
    data: {
      accountId: 'acct-1',
      clientOrderId: 'c',
      order: {
        symbol: 'AAPL',
        qty: '1',
        notional: null,
        side: 'buy',
        type: 'market',
        timeInForce: 'day',
        limitPrice: null,
        stopPrice: null,
        trailPrice: null,
        trailPercent: null,
        extendedHours: false,
        clientOrderId: 'c',
        orderClass: 'simple',
        takeProfit: null,
        stopLoss: null,
        positionIntent: null,
        advancedInstructions: null,
      },
      replaces: null,
      carriedFilledQty: '0',
      carriedFilledValue: '0',
    },
  },
];

// The part of S3's streaming body the store reads.
const body = (text: string) => ({ transformToString: async () => text }) as never;

test('a scheduled run reads the day once and writes archive, records, then the manifest', async () => {
  ddb.on(ScanCommand).resolves({ Items: [{ orderId: 'o-1' }] });
  ddb.on(QueryCommand).resolves({ Items: stored });
  s3.on(GetObjectCommand).rejects(Object.assign(new Error('no'), { name: 'NoSuchKey' }));
  s3.on(PutObjectCommand).resolves({});
  const result = await handler({ time: '2026-12-04T06:00:00Z' });
  expect(result).toMatchObject({ date: '2026-12-03', status: 'written', records: 1, events: 1 });
  const scan = ddb.commandCalls(ScanCommand)[0]?.args[0].input;
  expect(scan).toMatchObject({ TableName: 'events', ProjectionExpression: '#o' });
  expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
  expect(puts.map((p) => p.Key)).toEqual([
    'archive/2026-12-03/events-2026-12-03.jsonl',
    'cat/2026-12-03/STKB-2026-12-03.jsonl',
    'cat/2026-12-03/STKB-2026-12-03.manifest.json',
  ]);
  for (const p of puts) expect(p).toMatchObject({ Bucket: 'audit', ChecksumAlgorithm: 'SHA256' });
  expect(JSON.parse(String(puts[1]?.Body))).toMatchObject({
    type: 'MENO',
    orderID: 'o-1',
    CATReporterIMID: 'STKB',
  });
});

test('a retried run whose export is already stored writes nothing (no second object version)', async () => {
  ddb.on(ScanCommand).resolves({ Items: [{ orderId: 'o-1' }] });
  ddb.on(QueryCommand).resolves({ Items: stored });
  const written = new Map<string, string>();
  s3.on(PutObjectCommand).callsFake((input) => {
    written.set(input.Key, String(input.Body));
    return {};
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const text = written.get(input.Key);
    if (text === undefined) throw Object.assign(new Error('no'), { name: 'NoSuchKey' });
    return { Body: body(text) };
  });
  await handler({ date: '2026-12-03' });
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
  const again = await handler({ date: '2026-12-03' });
  expect(again.status).toBe('unchanged');
  expect(s3.commandCalls(PutObjectCommand)).toHaveLength(3);
});

test('an S3 failure other than a missing object fails the run (EventBridge retries it)', async () => {
  ddb.on(ScanCommand).resolves({ Items: [] });
  s3.on(GetObjectCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
  await expect(handler({ date: '2026-12-03' })).rejects.toThrow('denied');
});
