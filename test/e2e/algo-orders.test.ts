/**
 * Algorithmic orders (issue 5) end to end against local mode: the parent's `algo-order` workflow
 * (plan, Map of Wait + Release per slice, finish), its child orders traded by the simulated venue,
 * their fills mirrored onto the parent by the group coordinator. See local-mode.test.ts for the
 * harness conventions.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_REGION } from '../../local/types.js';
import {
  type AuditEvent,
  eventually,
  num,
  type OmsHttp,
  type SharedOms,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(90_000);

let oms: SharedOms;
let http: OmsHttp;
/** MARKET_TABLE through DynamoDB Local: the tape (`volume`) of a pinned symbol is the test's to print. */
let doc: DynamoDBDocumentClient;
let marketTable: string;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: oms.dynamoDbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  marketTable = oms.marketTable;
}, 90_000);

afterAll(async () => {
  doc?.destroy();
  await oms?.stop();
});

const trail = async (id: string) => http.auditTrail(id);

it('iceberg: clips of display_qty, each replenished as it fills, until the parent is filled', async () => {
  await http.pinQuote('E2EICE', { bid: '20.00', ask: '20.01', ask_size: '1000' });
  const parent = await http.submit({
    symbol: 'E2EICE',
    qty: '25',
    side: 'buy',
    type: 'limit',
    limit_price: '20.05',
    time_in_force: 'day',
    advanced_instructions: { algorithm: 'DMA', display_qty: '10' },
  });
  expect(parent.status).toBe('pending_new');
  const filled = await http.untilStatus(parent.id, 'filled', 45_000);
  expect(filled).toMatchObject({ filled_qty: '25', filled_avg_price: '20.01' });

  const events = await trail(parent.id);
  const releases = events.filter((e) => e.type === 'OrderSliceDecided' && e.data.decision === 'release');
  // 10 + 10 + 5: never more than display_qty shown; the last clip is the remainder.
  expect(releases.map((e) => e.data.qty)).toEqual(['10', '10', '5']);
  const children = releases.map((e) => e.data.childOrderId as string);
  for (const id of children) {
    http.orders.add(id);
    const child = await http.order(id);
    expect(child).toMatchObject({ status: 'filled', side: 'buy', type: 'limit', limit_price: '20.05' });
  }
  // A child's close reaches the parent after its fill (the group coordinator mirrors the fill, then
  // records the close from the child's own stream): the parent can show filled a moment before it.
  await eventually(async () => {
    const closed = (await trail(parent.id)).filter((e) => e.type === 'OrderChildClosed');
    expect(closed.map((e) => e.data.childOrderId)).toEqual(children);
  }, 20_000);
  // The parent never went to the venue: its workflow re-checks its risk, then runs the schedule.
  const path = await http.workflowPath(parent.id);
  expect(path.slice(0, 5)).toEqual([
    'Check pre-trade risk',
    'Accepted?',
    'Start algorithm',
    'Run schedule',
    'Wait for slice',
  ]);
});

it('TWAP: the first slice is released at the start; canceling the parent cancels the child and stops', async () => {
  await http.pinQuote('E2ETWP', { bid: '30.00', ask: '30.02', ask_size: '1000' });
  const parent = await http.submit({
    symbol: 'E2ETWP',
    qty: '100',
    side: 'buy',
    type: 'limit',
    limit_price: '29.00', // below the ask: children rest
    time_in_force: 'day',
    advanced_instructions: {
      algorithm: 'TWAP',
      end_time: new Date(Date.now() + 10 * 60_000).toISOString(),
    },
  });
  const child = await eventually(
    async () => {
      const released = (await trail(parent.id)).find((e) => e.type === 'OrderSliceDecided');
      expect(released?.data).toMatchObject({ decision: 'release', sliceIndex: 0, qty: '10' });
      return released?.data.childOrderId as string;
    },
    20_000,
    () => http.explain([parent.id]),
  );
  http.orders.add(child);
  await http.untilStatus(child, 'new');
  await http.cancel(parent.id);
  await http.untilStatus(child, 'canceled');
  const canceled = await http.untilStatus(parent.id, 'canceled');
  expect(canceled.filled_qty).toBe('0');
  const types = (await trail(parent.id)).map((e) => e.type);
  expect(types).toEqual([
    'OrderSubmitted',
    'OrderAccepted',
    'OrderSliceDecided',
    'OrderCancelRequested',
    'OrderChildClosed',
    'OrderCanceled',
  ]);
});

/** The symbol's MARKET_TABLE item as stored. */
async function marketItem(symbol: string): Promise<Record<string, unknown>> {
  const got = await doc.send(
    new GetCommand({ TableName: marketTable, Key: { symbol }, ConsistentRead: true }),
  );
  if (got.Item === undefined) throw new Error(`no market item for ${symbol}`);
  return got.Item;
}

/** Prints on a pinned symbol's tape: sets its cumulative `volume`, the quote unchanged. */
async function setTape(symbol: string, volume: number): Promise<void> {
  await doc.send(
    new UpdateCommand({
      TableName: marketTable,
      Key: { symbol },
      UpdateExpression: 'SET #volume = :volume',
      ConditionExpression: 'pinned = :pinned',
      ExpressionAttributeNames: { '#volume': 'volume' },
      ExpressionAttributeValues: { ':volume': String(volume), ':pinned': true },
    }),
  );
}

/** Moves a pinned symbol's offer (and last), keeping its tape: `pinQuote` writes a new item without `volume`. */
async function moveAsk(symbol: string, ask: string): Promise<void> {
  const item = await marketItem(symbol);
  await doc.send(
    new PutCommand({
      TableName: marketTable,
      Item: { ...item, ask, last: ask, updatedAt: new Date().toISOString() },
      ConditionExpression: 'updatedAt = :read',
      ExpressionAttributeValues: { ':read': item.updatedAt },
    }),
  );
}

interface Participation {
  readonly trigger: unknown;
  readonly qty: number;
  /** Volume since the previous decision's mark (none before the first): the core's `observedVolume`. */
  readonly observed: number;
  /** Volume printed since the parent started (its tape then: `tapeAtStart`). */
  readonly printed: number;
  /** The parent's children's leaves and fills when it decided. */
  readonly working: number;
  readonly filled: number;
}

/**
 * Replays a parent's audit trail as its algorithm saw it at each release: the volume marks of its
 * `OrderSliceDecided` events, the children it released, their fills mirrored onto it (with
 * `childOrderId`) and their closes.
 */
function participationOf(trail: readonly AuditEvent[], tapeAtStart: number): Participation[] {
  let filled = 0;
  const working = new Map<string, number>();
  let mark: number | null = null;
  const releases: Participation[] = [];
  for (const e of trail) {
    const d = e.data;
    if (e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled') {
      const child = d.childOrderId as string;
      filled += num(d.lastQty as string);
      working.set(child, (working.get(child) ?? Number.NaN) - num(d.lastQty as string));
    } else if (e.type === 'OrderChildClosed') {
      working.delete(d.childOrderId as string);
    } else if (e.type === 'OrderSliceDecided') {
      const tape = num(d.volumeMark as string);
      if (d.decision === 'release') {
        releases.push({
          trigger: d.trigger,
          qty: num(d.qty as string),
          observed: mark === null ? 0 : Math.max(0, tape - mark),
          printed: tape - tapeAtStart,
          working: [...working.values()].reduce((a, b) => a + b, 0),
          filled,
        });
        working.set(d.childOrderId as string, num(d.qty as string));
      }
      mark = tape;
    }
  }
  return releases;
}

it('max_percentage: a VWAP works at most that share of the volume printed since it started; an unprinted tape releases nothing', async () => {
  // floor(0.1 x volume): the participation budget in whole shares (plugin.ts participationBudget).
  const cap = (volume: number) => Math.floor((volume * 100) / 1000);
  // Pinned quotes: the market tick prints nothing on their tapes, so every share printed is the
  // test's. E2EPOV's offer is above the parent's limit: its children rest until the offer moves.
  await http.pinQuote('E2EPOV', { bid: '40.00', ask: '40.10', ask_size: '10000' });
  await http.pinQuote('E2EPVQ', { bid: '40.00', ask: '40.01', ask_size: '10000' });
  await setTape('E2EPOV', 5000);
  await setTape('E2EPVQ', 7000);
  // 66 s: two slices (one a minute, rounded up), at the start and half way; the second is the catch-up.
  const endTime = new Date(Date.now() + 66_000).toISOString();
  const vwap = (symbol: string, qty: string) => ({
    symbol,
    qty,
    side: 'buy',
    type: 'limit',
    limit_price: '40.05',
    time_in_force: 'day',
    advanced_instructions: { algorithm: 'VWAP', display_qty: '20', max_percentage: '0.1', end_time: endTime },
  });
  const parent = await http.submit(vwap('E2EPOV', '100'));
  const quiet = await http.submit(vwap('E2EPVQ', '50'));
  const decisions = async (id: string) =>
    (await trail(id)).filter((e) => e.type === 'OrderSliceDecided').map((e) => e.data);
  const decided = (
    trigger: 'slice' | 'child_closed',
    sliceIndex: number,
    decision: 'release' | 'wait' | 'done',
    volumeMark: string,
    more: { qty?: string; childOrderId?: string; reason?: string } = {},
  ) => ({
    trigger,
    sliceIndex,
    decision,
    volumeMark,
    reason: more.reason ?? null,
    childOrderId: more.childOrderId ?? null,
    qty: more.qty ?? null,
  });

  // Slice 0, at the start: no volume observed yet, nothing released (the mark is the tape now).
  for (const [id, tape] of [
    [parent.id, '5000'],
    [quiet.id, '7000'],
  ] as const) {
    await eventually(
      async () => expect(await decisions(id)).toEqual([decided('slice', 0, 'wait', tape)]),
      30_000,
      () => http.explain([id]),
    );
  }

  // 150 shares print before slice 1: its catch-up wants all 100, display_qty 20, the cap 15.
  await setTape('E2EPOV', 5150);
  const first = await eventually(
    async () => {
      const d = await decisions(parent.id);
      const childOrderId = d[1]?.childOrderId as string;
      expect(d[1]).toEqual(decided('slice', 1, 'release', '5150', { qty: '15', childOrderId }));
      expect(typeof childOrderId).toBe('string');
      return childOrderId;
    },
    90_000,
    () => http.explain([parent.id]),
  );
  http.orders.add(first);
  await http.untilStatus(first, 'new', 30_000); // resting below the offer
  // 172 more print while it rests; then it fills, and the clip it is replenished with may take
  // floor(17.2) = 17 of them, under display_qty's 20. That clip fills at once; by then nothing
  // more has printed: nothing more to release after the last slice, so the schedule is complete.
  await setTape('E2EPOV', 5322);
  await moveAsk('E2EPOV', '40.02');
  const steps = await eventually(
    async () => {
      const d = await decisions(parent.id);
      expect(d).toHaveLength(4);
      return d;
    },
    45_000,
    () => http.explain([parent.id]),
  );
  const second = steps[2]?.childOrderId as string;
  http.orders.add(second);
  expect(steps).toEqual([
    decided('slice', 0, 'wait', '5000'),
    decided('slice', 1, 'release', '5150', { qty: '15', childOrderId: first }),
    decided('child_closed', 1, 'release', '5322', { qty: '17', childOrderId: second }),
    decided('child_closed', 1, 'done', '5322', { reason: 'schedule_complete' }),
  ]);
  for (const [id, qty] of [
    [first, '15'],
    [second, '17'],
  ] as const) {
    expect(await http.untilStatus(id, 'filled', 30_000)).toMatchObject({
      qty,
      filled_qty: qty,
      type: 'limit',
      limit_price: '40.05',
    });
  }

  // The unprinted tape: slice 1, the catch-up, has observed nothing either; nothing is released
  // and the schedule says it is complete, its mark still the tape at the start.
  await eventually(
    async () =>
      expect(await decisions(quiet.id)).toEqual([
        decided('slice', 0, 'wait', '7000'),
        decided('slice', 1, 'done', '7000', { reason: 'schedule_complete' }),
      ]),
    90_000,
    () => http.explain([quiet.id]),
  );

  // The window ends: each parent's remainder is canceled; it ends short of its qty (the cap wins).
  const ended = await http.untilStatus(parent.id, 'canceled', 90_000);
  expect(ended.filled_qty).toBe('32');
  const quietEnded = await http.untilStatus(quiet.id, 'canceled', 90_000);
  expect(quietEnded.filled_qty).toBe('0');
  const events = await trail(parent.id);
  const quietEvents = await trail(quiet.id);
  for (const t of [events, quietEvents])
    expect(t.find((e) => e.type === 'OrderCancelRequested')?.data).toEqual({
      requestedBy: 'oms:algo:schedule_ended',
    });
  expect(quietEvents.some((e) => e.data.childOrderId != null)).toBe(false);

  // Every release, replayed from the audit trail: what works after it stays within the cap of the
  // volume observed since the previous decision, and what it exposes (filled + working) within the
  // cap of everything printed since the parent started.
  const releases = participationOf(events, 5000);
  expect(releases).toEqual([
    { trigger: 'slice', qty: 15, observed: 150, printed: 150, working: 0, filled: 0 },
    { trigger: 'child_closed', qty: 17, observed: 172, printed: 322, working: 0, filled: 15 },
  ]);
  for (const r of releases) {
    expect(r.working + r.qty).toBeLessThanOrEqual(cap(r.observed));
    expect(r.filled + r.working + r.qty).toBeLessThanOrEqual(cap(r.printed));
  }
  expect(num(ended.filled_qty)).toBeLessThanOrEqual(cap(5322 - 5000));
  // Pinned quotes printed nothing while the parents ran (the tick held them): the tapes are the test's.
  expect((await marketItem('E2EPOV')).volume).toBe('5322');
  expect((await marketItem('E2EPVQ')).volume).toBe('7000');
  // Pinning a quote again moves the quote, not the tape.
  await http.pinQuote('E2EPVQ', { bid: '41.00', ask: '41.02' });
  expect(await marketItem('E2EPVQ')).toMatchObject({ volume: '7000', ask: '41.02', pinned: true });
}, 240_000);
