/**
 * The trade_updates session (lambdas/trade-stream/stream-session.ts) against DynamoDB Local with a
 * recording connection port: Alpaca's frames for authenticate and listen (docs.alpaca.markets
 * "Websocket Streaming"), the resume cursor, and hostile messages, each answered with a frame that
 * names the problem while the connection stays usable.
 */
import './env.js';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { UnsequencedTradeUpdate } from '../../lambdas/core/index.js';
import type { Credentials } from '../../lambdas/orders/accounts.js';
import type { CredentialVerdict } from '../../lambdas/orders/credentials.js';
import { appendItems, listenersPk } from '../../lambdas/orders/trade-update-stream.js';
import type { ConnectionPort } from '../../lambdas/platform/connections.js';
import { createSession, type StreamEvent } from '../../lambdas/trade-stream/stream-session.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const TABLE = 'trade-stream';
const local = dynamoDbLocalWith([table(TABLE, 'pk', 'sk')]);
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = local.doc;
});

/** Keys: `good` trades acc-1 (own run: acc-<n>), `two` trades two accounts; anything else is refused. */
let run = 0;
let frames: Map<string, unknown[]>;
let account: string;
let other: string;

/** What happens as a frame is posted (a test's update landing right then); reset before each test. */
let afterPost: (id: string, frame: unknown) => Promise<void> = async () => undefined;
const port: ConnectionPort = {
  async post(id, frame) {
    const list = frames.get(id) ?? [];
    list.push(JSON.parse(frame));
    frames.set(id, list);
    await afterPost(id, JSON.parse(frame));
  },
  async close() {},
};

const verify = async (c: Credentials): Promise<CredentialVerdict> => {
  if (c.kind === 'apiKey' && c.keyId === 'good' && c.secret === 's3cret')
    return { ok: true, principalId: 'bot', accountIds: [account], scope: 'trade' };
  if (c.kind === 'apiKey' && c.keyId === 'two' && c.secret === 's3cret')
    return { ok: true, principalId: 'bot2', accountIds: [account, other], scope: 'trade' };
  if (c.kind === 'bearer' && c.token === 'jwt-ok')
    return { ok: true, principalId: 'sub', accountIds: [account], scope: 'read_only' };
  return { ok: false, reason: 'invalid credentials', detail: 'test' };
};

const handedOver: string[] = [];
const session = () =>
  createSession({
    doc,
    table: TABLE,
    connections: port,
    verify,
    now: Date.now,
    senderId: 't',
    handOver: async (accountId) => {
      handedOver.push(accountId);
    },
  });

beforeEach(() => {
  run++;
  afterPost = async () => undefined;
  frames = new Map();
  account = `acc-${run}`;
  other = `other-${run}`;
});

const send = async (connectionId: string, body: unknown, binary = false): Promise<unknown[]> => {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const event: StreamEvent = {
    requestContext: { routeKey: '$default', connectionId },
    body: binary ? Buffer.from(text).toString('base64') : text,
    isBase64Encoded: binary,
  };
  const before = frames.get(connectionId)?.length ?? 0;
  expect(await session()(event)).toEqual({ statusCode: 200 });
  return (frames.get(connectionId) ?? []).slice(before);
};

const AUTH = { action: 'authenticate', data: { key_id: 'good', secret_key: 's3cret' } };
const LISTEN = { action: 'listen', data: { streams: ['trade_updates'] } };
const authorized = { stream: 'authorization', data: { action: 'authenticate', status: 'authorized' } };
const listening = { stream: 'listening', data: { streams: ['trade_updates'] } };
const error = (code: string, text: string) => ({
  action: 'error',
  stream: 'error',
  data: { code, error_message: expect.stringContaining(text) },
});

async function appendUpdates(accountId: string, count: number, head = 0) {
  const updates = Array.from(
    { length: count },
    (_, i) =>
      ({
        event: 'new',
        order: { id: `o-${head + i + 1}` },
        timestamp: 't',
        account_id: accountId,
      }) as unknown,
  ) as UnsequencedTradeUpdate[];
  await doc.send(
    new TransactWriteCommand({ TransactItems: appendItems(TABLE, accountId, head, updates).items }),
  );
}

const seqs = (list: unknown[]) =>
  list
    .filter((f) => (f as { stream: string }).stream === 'trade_updates')
    .map((f) => (f as { data: { stream_seq: number } }).data.stream_seq);

// biome-ignore format: one message per row
const HOSTILE: readonly [string, unknown, unknown][] = [
  ['not JSON', '{"action":', error('invalid_json', 'message: is not JSON')],
  ['a name given twice', '{"action":"listen","action":"authenticate","data":{"key_id":"good","secret_key":"s3cret"}}', error('invalid_json', 'action: is given more than once')],
  ['a JSON array', '[1,2]', error('unknown_action', 'action: null')],
  ['a JSON string', '"authenticate"', error('unknown_action', 'action: null')],
  ['an unknown action', { action: 'subscribe' }, error('unknown_action', 'action: "subscribe"')],
  ['an action that is not a string', { action: 42 }, error('unknown_action', 'action: 42')],
  // A probe's 20,000-deep array overflowed the stack naming it (a 500): named by its kind.
  ['an action nested 20,000 deep', `{"action":${'['.repeat(20_000)}${']'.repeat(20_000)}}`, error('unknown_action', 'action: an array')],
  ['an action that is an object', { action: { a: 1 } }, error('unknown_action', 'action: an object')],
  ['authenticate without data', { action: 'authenticate' }, error('invalid_authenticate', 'data')],
  ['authenticate with an empty key', { action: 'authenticate', data: { key_id: '', secret_key: 'x' } }, error('invalid_authenticate', 'data')],
  ['auth without a secret', { action: 'auth', key: 'good' }, error('invalid_authenticate', 'secret')],
  ['auth with a numeric key', { action: 'auth', key: 7, secret: 's3cret' }, error('invalid_authenticate', 'key')],
  ['auth with a wrong secret', { action: 'auth', key: 'good', secret: 'nope' }, { stream: 'authorization', data: { action: 'authenticate', status: 'unauthorized' } }],
  ['listen before authenticating', LISTEN, { stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } }],
  ['a wrong secret', { action: 'authenticate', data: { key_id: 'good', secret_key: 'nope' } }, { stream: 'authorization', data: { action: 'authenticate', status: 'unauthorized' } }],
];

test.each(HOSTILE)('%s: one frame saying so, the connection still usable', async (_name, body, reply) => {
  const id = `c-${run}`;
  expect(await send(id, body)).toEqual([reply]);
  expect(await send(id, AUTH)).toEqual([authorized]);
});

test('authenticate (key pair, or an OAuth/JWT token) then listen: Alpaca frames, in a text or binary frame', async () => {
  expect(await send('k', AUTH)).toEqual([authorized]);
  expect(await send('k', LISTEN, true)).toEqual([listening]);
  // Alpaca's short form {action: 'auth', key, secret} authenticates the same way.
  expect(await send('a', { action: 'auth', key: 'good', secret: 's3cret' })).toEqual([authorized]);
  expect(await send('a', LISTEN)).toEqual([listening]);
  expect(await send('j', { action: 'authenticate', data: { oauth_token: 'jwt-ok' } }, true)).toEqual([
    authorized,
  ]);
  expect(
    await send('j', { action: 'listen', data: { streams: ['trade_updates', 'account_updates'] } }),
  ).toEqual([listening]);
  expect(await send('j', { action: 'listen', data: { streams: [] } })).toEqual([
    { stream: 'listening', data: { streams: [] } },
  ]);
});

test('listen from a cursor: everything after it first, in order; without one: only what comes next', async () => {
  await appendUpdates(account, 5);
  await send('resume', AUTH);
  expect(
    seqs(
      await send('resume', { action: 'listen', data: { streams: ['trade_updates'], after_stream_seq: 2 } }),
    ),
  ).toEqual([3, 4, 5]);
  await send('plain', AUTH);
  const plain = await send('plain', LISTEN);
  expect(plain).toEqual([listening]);
  // A key with two accounts gives a cursor per account.
  await appendUpdates(other, 2);
  await send('two', { action: 'authenticate', data: { key_id: 'two', secret_key: 's3cret' } });
  const both = await send('two', {
    action: 'listen',
    data: { streams: ['trade_updates'], after_stream_seq: { [account]: 4, [other]: 0 } },
  });
  expect(both[0]).toEqual(listening);
  expect(both.slice(1).map((f) => (f as { data: { account_id: string; stream_seq: number } }).data)).toEqual([
    expect.objectContaining({ account_id: account, stream_seq: 5 }),
    expect.objectContaining({ account_id: other, stream_seq: 1 }),
    expect.objectContaining({ account_id: other, stream_seq: 2 }),
  ]);
});

test('a cursor past the account’s last update (a log begun again) gets the whole log, then what comes next (a probe’s 999999 got none)', async () => {
  // The log began again (a restart of local mode on a fresh data dir) and a bot kept its cursor.
  await appendUpdates(account, 3);
  await send('ahead', AUTH);
  const first = await send('ahead', {
    action: 'listen',
    data: { streams: ['trade_updates'], after_stream_seq: 999_999 },
  });
  expect([first[0], seqs(first)]).toEqual([listening, [1, 2, 3]]);
  await appendUpdates(account, 2, 3);
  // The client has seen none of this log: 1-3 at once (after `listening`), then 4-5 as they come.
  await send('ahead', LISTEN);
  expect(seqs(frames.get('ahead') ?? [])).toEqual([1, 2, 3, 4, 5]);
});

// biome-ignore format: one cursor per row
const BAD_CURSORS: readonly [string, unknown, string][] = [
  ['negative', -1, 'data.after_stream_seq'],
  ['a fraction', 1.5, 'data.after_stream_seq'],
  ['a string', '3', 'data.after_stream_seq'],
  ['another account', { 'not-mine': 1 }, '"not-mine" is not an account of this key'],
  // An own key once parsed, as a client's JSON makes it; zod's record skipped it (listened to, no error).
  ['a __proto__ key', JSON.parse('{"__proto__": 500}'), '"__proto__" is not an account of this key'],
  ['a constructor key', { constructor: 500 }, '"constructor" is not an account of this key'],
];

test.each(BAD_CURSORS)(
  'a bad cursor (%s) is refused naming the field; nothing is listened to',
  async (_n, cursor, text) => {
    await send('bad', AUTH);
    expect(
      await send('bad', { action: 'listen', data: { streams: ['trade_updates'], after_stream_seq: cursor } }),
    ).toEqual([error('invalid_listen', text)]);
    const item = await doc.send(
      new GetCommand({ TableName: TABLE, Key: { pk: listenersPk(account), sk: 0 } }),
    );
    expect(item.Item?.listeners?.bad).toBeUndefined();
  },
);

test('a bad authenticate after a good one ends the session: listen is unauthorized, the listener is gone', async () => {
  await send('x', AUTH);
  await send('x', LISTEN);
  expect(await send('x', { action: 'authenticate', data: { key_id: 'good', secret_key: 'wrong' } })).toEqual([
    { stream: 'authorization', data: { action: 'authenticate', status: 'unauthorized' } },
  ]);
  expect(await send('x', LISTEN)).toEqual([
    { stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } },
  ]);
  await appendUpdates(account, 1);
  await send('y', AUTH);
  await send('y', { action: 'listen', data: { streams: ['trade_updates'], after_stream_seq: 0 } });
  expect(frames.get('x')?.some((f) => (f as { stream: string }).stream === 'trade_updates')).toBe(false);
});

test('$disconnect: the connection leaves its listeners; $connect accepts', async () => {
  const connect = await session()({ requestContext: { routeKey: '$connect', connectionId: 'd' } });
  expect(connect).toEqual({ statusCode: 200 });
  await send('d', AUTH);
  await send('d', LISTEN);
  await session()({ requestContext: { routeKey: '$disconnect', connectionId: 'd' } });
  const item = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: listenersPk(account), sk: 0 } }));
  expect(item.Item?.listeners).toEqual({});
  // A disconnect of a connection that never authenticated is a no-op.
  await expect(
    session()({ requestContext: { routeKey: '$disconnect', connectionId: 'never' } }),
  ).resolves.toEqual({
    statusCode: 200,
  });
});

test('listen again without a cursor keeps the place: nothing skipped, nothing twice', async () => {
  await send('again', AUTH);
  await send('again', { action: 'listen', data: { streams: ['trade_updates'], after_stream_seq: 0 } });
  await appendUpdates(account, 2);
  // A new listen on the same connection (a client re-subscribing): it keeps cursor 0 and gets 1-2.
  const second = await send('again', LISTEN);
  expect(second[0]).toEqual(listening);
  expect(seqs(frames.get('again') ?? [])).toEqual([1, 2]);
  expect(handedOver).toEqual([]);
});

// Hostile probe: `authenticate` resent after `listen` ended the updates with no frame saying so.
test('authenticate again as the same key keeps listening; as another key it stops, and says so', async () => {
  await send('same', AUTH);
  await send('same', LISTEN);
  expect(await send('same', AUTH)).toEqual([authorized]);
  await send('switch', AUTH);
  await send('switch', LISTEN);
  expect(
    await send('switch', { action: 'authenticate', data: { key_id: 'two', secret_key: 's3cret' } }),
  ).toEqual([authorized, { stream: 'listening', data: { streams: [] } }]);
  // Not listening yet: authenticating again says nothing more.
  await send('fresh', AUTH);
  expect(await send('fresh', AUTH)).toEqual([authorized]);
  await appendUpdates(account, 1);
  // Another connection's listen delivers the account's update to every listener.
  await send('other', AUTH);
  await send('other', LISTEN);
  expect(seqs(frames.get('same') ?? [])).toEqual([1]);
  expect(seqs(frames.get('switch') ?? [])).toEqual([]);
});

// Hostile probe: with 300 listens at once, updates placed after a connection's `listening` frame
// never reached it (its place was read after the frame, once the log had moved on).
test('an update appended right after the listening frame is delivered: the place is read before it', async () => {
  await appendUpdates(account, 2);
  await send('late', AUTH);
  afterPost = async (id, frame) => {
    if (id === 'late' && (frame as { stream?: string }).stream === 'listening')
      await appendUpdates(account, 1, 2);
  };
  const got = await send('late', LISTEN);
  expect(got[0]).toEqual(listening);
  expect(seqs(got)).toEqual([3]);
});
