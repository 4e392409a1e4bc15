/**
 * The trade_updates log and its delivery against the real DynamoDB Local (issue 14, "no update is
 * ever missed"): for any interleaving of concurrent appends (two orders of one account at once),
 * the senders each append triggers, clients that listen from a cursor, drop their connection at a
 * random point and come back with the last `stream_seq` they saw, every client ends up with every
 * update exactly once: each connection receives a gapless run starting right after its cursor, and
 * the runs of one client, joined, are 1..N.
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { TradeUpdate, UnsequencedTradeUpdate } from '../../lambdas/core/index.js';
import {
  addListener,
  appendItems,
  cursorsAfterRound,
  type DeliveryDeps,
  deliverPending,
  listenersPk,
  loadHead,
  removeListener,
  updatesAfter,
} from '../../lambdas/orders/trade-update-stream.js';
import { ConnectionGone, type ConnectionPort } from '../../lambdas/platform/connections.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const TABLE = 'trade-stream';
const local = dynamoDbLocalWith([table(TABLE, 'pk', 'sk')]);
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = local.doc;
});

const update = (accountId: string, n: number): UnsequencedTradeUpdate =>
  ({
    event: 'new',
    order: { id: `order-${n}` },
    timestamp: new Date(0).toISOString(),
    account_id: accountId,
  }) as unknown as UnsequencedTradeUpdate;

/** Appends like the projector: at the head it knows, re-reading it after losing a race. */
async function append(accountId: string, updates: readonly UnsequencedTradeUpdate[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const head = await loadHead(doc, TABLE, accountId);
    try {
      await doc.send(
        new TransactWriteCommand({ TransactItems: appendItems(TABLE, accountId, head, updates).items }),
      );
      return;
    } catch (err) {
      if ((err as { name?: string }).name !== 'TransactionCanceledException') throw err;
    }
  }
  throw new Error('append kept losing');
}

/** Clients' connections: what each received, and which are gone. */
class FakeConnections implements ConnectionPort {
  readonly received = new Map<string, number[]>();
  readonly gone = new Set<string>();
  constructor(private readonly jitter: () => Promise<void>) {}
  async post(connectionId: string, frame: string): Promise<void> {
    await this.jitter();
    if (this.gone.has(connectionId)) throw new ConnectionGone(connectionId);
    const parsed = JSON.parse(frame) as { stream: string; data: TradeUpdate };
    expect(parsed.stream).toBe('trade_updates');
    const list = this.received.get(connectionId) ?? [];
    list.push(parsed.data.stream_seq);
    this.received.set(connectionId, list);
  }
  async close(connectionId: string): Promise<void> {
    this.gone.add(connectionId);
  }
}

let accounts = 0;

test('every update reaches every client exactly once, in order, across random disconnects and resumes', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 12 }),
      fc.array(fc.array(fc.nat(14), { maxLength: 3 }), { minLength: 1, maxLength: 3 }),
      fc.infiniteStream(fc.nat(3)),
      async (appends, dropPlans, delays) => {
        const accountId = `acc-${++accounts}`;
        const total = appends.reduce((a, b) => a + b, 0);
        // Posts take 0-6 ms, like a round trip to API Gateway: senders overlap.
        const jitter = async () => {
          const d = delays.next().value as number;
          await new Promise((r) => setTimeout(r, d * 2));
        };
        const port = new FakeConnections(jitter);
        let senders = 0;
        const deps = (): DeliveryDeps => ({
          doc,
          table: TABLE,
          connections: port,
          now: Date.now,
          senderId: `sender-${++senders}`,
        });
        // Writers: two at once, each delivering after its append like the order stream consumer.
        const half = Math.ceil(appends.length / 2);
        const writer = async (batches: readonly number[]) => {
          for (const size of batches) {
            await append(
              accountId,
              Array.from({ length: size }, (_, i) => update(accountId, i)),
            );
            await deliverPending(deps(), accountId);
          }
        };
        // Clients: listen from a cursor, drop after `drop` frames (or at once), resume from the last seen.
        const client = async (c: number, drops: readonly number[]) => {
          const runs: number[][] = [];
          let cursor = 0;
          for (let session = 0; ; session++) {
            const id = `conn-${accountId}-${c}-${session}`;
            await addListener(doc, TABLE, accountId, id, cursor);
            await deliverPending(deps(), accountId);
            const drop = drops[session];
            const received = () => port.received.get(id) ?? [];
            if (drop !== undefined) {
              // Leave after `drop` frames or when the writers are done, whichever first.
              while (received().length < drop && (await loadHead(doc, TABLE, accountId)) < total)
                await jitter();
              port.gone.add(id);
              await removeListener(doc, TABLE, accountId, id);
            } else {
              // No nudge: the appends' and the listen's own deliveries must bring everything.
              const deadline = Date.now() + 20_000;
              while (received().length + cursor < total) {
                if (Date.now() > deadline)
                  throw new Error(`client ${c} stalled at ${cursor + received().length} of ${total}`);
                await new Promise((r) => setTimeout(r, 5));
              }
            }
            const got = received();
            runs.push(got);
            if (got.length > 0) cursor = got[got.length - 1] as number;
            if (drop === undefined) return runs;
          }
        };
        const [, , ...clients] = await Promise.all([
          writer(appends.slice(0, half)),
          writer(appends.slice(half)),
          ...dropPlans.map((drops, c) => client(c, drops)),
        ]);
        expect(await loadHead(doc, TABLE, accountId)).toBe(total);
        const log = await updatesAfter(doc, TABLE, accountId, 0, 1000);
        expect(log.map((u) => u.stream_seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
        for (const runs of clients) {
          let expected = 1;
          for (const run of runs) {
            // Each connection: a gapless run right after its cursor (what it had before).
            for (const seq of run) expect(seq).toBe(expected++);
          }
          expect(expected - 1).toBe(total);
        }
      },
    ),
    { numRuns: 25 },
  );
}, 120_000);

test('a gone connection is dropped from the listeners; the others get their updates', async () => {
  const accountId = `acc-${++accounts}`;
  const port = new FakeConnections(async () => undefined);
  await append(accountId, [update(accountId, 1)]);
  expect(await addListener(doc, TABLE, accountId, 'alive', 0)).toBe('added');
  expect(await addListener(doc, TABLE, accountId, 'left', 0)).toBe('added');
  port.gone.add('left');
  const r = await deliverPending(
    { doc, table: TABLE, connections: port, now: Date.now, senderId: 's' },
    accountId,
  );
  expect(r).toEqual({ framesSent: 1, connectionsDropped: 1, leased: true, behind: false });
  expect(port.received.get('alive')).toEqual([1]);
  // Nobody left to drop: the next delivery finds only `alive`, already up to date.
  const again = await deliverPending(
    { doc, table: TABLE, connections: port, now: Date.now, senderId: 's' },
    accountId,
  );
  expect(again).toEqual({ framesSent: 0, connectionsDropped: 0, leased: true, behind: false });
});

test('nobody listening: a delivery is one conditional request that sends nothing', async () => {
  const accountId = `acc-${++accounts}`;
  const port = new FakeConnections(async () => undefined);
  await append(accountId, [update(accountId, 1)]);
  const r = await deliverPending(
    { doc, table: TABLE, connections: port, now: Date.now, senderId: 's' },
    accountId,
  );
  expect(r).toEqual({ framesSent: 0, connectionsDropped: 0, leased: false, behind: false });
});

test('a delivery out of time gives the lease back and says it is behind; the next one goes on from the cursors', async () => {
  const accountId = `acc-${++accounts}`;
  const port = new FakeConnections(async () => undefined);
  await append(
    accountId,
    Array.from({ length: 90 }, (_, i) => update(accountId, i)),
  );
  await append(
    accountId,
    Array.from({ length: 90 }, (_, i) => update(accountId, i)),
  );
  await append(
    accountId,
    Array.from({ length: 90 }, (_, i) => update(accountId, i)),
  );
  expect(await addListener(doc, TABLE, accountId, 'slow', 0)).toBe('added');
  const deps = { doc, table: TABLE, connections: port, now: Date.now, senderId: 'budget' };
  // A budget of 0: one frame (progress is never nil), then out of time.
  expect(await deliverPending(deps, accountId, 0)).toEqual({
    framesSent: 1,
    connectionsDropped: 0,
    leased: true,
    behind: true,
  });
  // The lease was given back: another sender takes it and finishes.
  expect(await deliverPending({ ...deps, senderId: 'next' }, accountId)).toEqual({
    framesSent: 269,
    connectionsDropped: 0,
    leased: true,
    behind: false,
  });
  expect(port.received.get('slow')).toEqual(Array.from({ length: 270 }, (_, i) => i + 1));
});

/** Records the expressions of every request `doc` sends (DynamoDB refuses one above 4 KB). */
function recordingExpressions(inner: DynamoDBDocumentClient): {
  readonly doc: DynamoDBDocumentClient;
  readonly longest: () => number;
} {
  let longest = 0;
  const doc = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: { input: Record<string, unknown> }) => {
        for (const key of ['UpdateExpression', 'ConditionExpression', 'KeyConditionExpression']) {
          const expression = command.input[key];
          if (typeof expression === 'string')
            longest = Math.max(longest, Buffer.byteLength(expression, 'utf8'));
        }
        return target.send(command as never);
      };
    },
  });
  return { doc, longest: () => longest };
}

test('1000 listeners (the most an account may have): every update reaches each once, the cursors move and the lease is given back', async () => {
  // A hostile probe's 300 listeners: the cursors' write was one SET per listener, past DynamoDB's
  // 4 KB expression limit; it was refused, so no cursor moved, the lease stayed taken until it
  // lapsed (later orders reached nobody for 30 s) and the first update was then sent again.
  const accountId = `acc-${++accounts}`;
  const port = new FakeConnections(async () => undefined);
  // API Gateway's connection ids: 16 characters.
  const ids = Array.from({ length: 1000 }, (_, i) => `L${String(i).padStart(4, '0')}cOFvHcCIhw=`);
  for (let i = 0; i < ids.length; i += 50)
    await Promise.all(ids.slice(i, i + 50).map((id) => addListener(doc, TABLE, accountId, id, 0)));
  expect(await addListener(doc, TABLE, accountId, 'one-too-many', 0)).toBe('full');
  const recording = recordingExpressions(doc);
  const deps = (senderId: string): DeliveryDeps => ({
    doc: recording.doc,
    table: TABLE,
    connections: port,
    now: Date.now,
    senderId,
  });
  await append(accountId, [update(accountId, 1)]);
  expect(await deliverPending(deps('first'), accountId)).toEqual({
    framesSent: 1000,
    connectionsDropped: 0,
    leased: true,
    behind: false,
  });
  // The lease was given back: the next order's sender takes it at once, and sends only the new one.
  await append(accountId, [update(accountId, 2), update(accountId, 3)]);
  expect(await deliverPending(deps('second'), accountId)).toEqual({
    framesSent: 2000,
    connectionsDropped: 0,
    leased: true,
    behind: false,
  });
  for (const id of ids) expect(port.received.get(id)).toEqual([1, 2, 3]);
  const item = await doc.send(
    new GetCommand({ TableName: TABLE, Key: { pk: listenersPk(accountId), sk: 0 }, ConsistentRead: true }),
  );
  expect(Object.values(item.Item?.listeners ?? {})).toEqual(ids.map(() => 3));
  expect(item.Item?.lease).toBeUndefined();
  expect(recording.longest()).toBeLessThanOrEqual(4096);
}, 60_000);

test('a listener that comes or goes while a sender holds the lease is kept, or stays gone', async () => {
  const accountId = `acc-${++accounts}`;
  let during: (() => Promise<void>) | undefined;
  const port = new FakeConnections(async () => {
    const run = during;
    during = undefined;
    await run?.();
  });
  await append(accountId, [update(accountId, 1)]);
  expect(await addListener(doc, TABLE, accountId, 'stays', 0)).toBe('added');
  expect(await addListener(doc, TABLE, accountId, 'leaves', 0)).toBe('added');
  // While the round posts: one connection listens (its own listen found the lease taken), one leaves.
  during = async () => {
    expect(await addListener(doc, TABLE, accountId, 'comes', 0)).toBe('added');
    await removeListener(doc, TABLE, accountId, 'leaves');
  };
  const deps = { doc, table: TABLE, connections: port, now: Date.now, senderId: 'holder' };
  await deliverPending(deps, accountId);
  const item = await doc.send(
    new GetCommand({ TableName: TABLE, Key: { pk: listenersPk(accountId), sk: 0 }, ConsistentRead: true }),
  );
  // `comes` was caught up in the sender's next round (the log after the lowest cursor).
  expect(item.Item?.listeners).toEqual({ stays: 1, comes: 1 });
  expect(item.Item?.lease).toBeUndefined();
  expect(port.received.get('comes')).toEqual([1]);
  expect(port.received.get('stays')).toEqual([1]);
});

test('the cursors after a round: moved where the map is as the sender found it, else as it is now', () => {
  const found = { moved: 3, dropped: 3, left: 3, relistened: 3, idle: 3 };
  // Meanwhile: `left` left, `relistened` listened again from 0, `came` came.
  const current = { moved: 3, dropped: 3, relistened: 0, idle: 3, came: 1 };
  const outcomes = new Map<string, number | 'gone'>([
    ['moved', 5],
    ['dropped', 'gone'],
    ['left', 5],
    ['relistened', 5],
  ]);
  expect(cursorsAfterRound(found, current, outcomes)).toEqual({ moved: 5, relistened: 0, idle: 3, came: 1 });
});
