/**
 * The trade_updates WebSocket's session (issue 14): API Gateway WebSocket routes `$connect`,
 * `authenticate`, `listen`, `$default` and `$disconnect`, selected by `$request.body.action`. The
 * protocol is Alpaca's (docs/stream.md): every reply is a frame posted to the connection (no route
 * responses), so replies and updates share one ordered channel.
 *
 * - `authenticate` `{data: {key_id, secret_key}}` or `{data: {oauth_token}}` (a JWT, as the HTTP
 *   API's Bearer token) -> `authorization` `authorized` / `unauthorized`; the connection item
 *   remembers the principal and its accounts. A failed authenticate forgets an earlier success.
 *   `auth` `{key, secret}` (the short form of Alpaca's current docs) is the same as a key pair.
 * - `listen` `{data: {streams: [...], after_stream_seq?}}` -> `listening` with the streams it now
 *   listens to (`trade_updates` or none); before authenticating, `authorization` `unauthorized`
 *   for action `listen`. Then every account of the principal is listened to from `after_stream_seq`
 *   (a number for a one-account key, or `{accountId: seq}`), else from the account's current
 *   head, and what the log holds after it is sent at once (../orders/trade-update-stream.ts).
 * - anything else (not JSON, no or unknown action, a malformed authenticate/listen): an `error`
 *   frame `{action: 'error', stream: 'error', data: {code, error_message}}`; the connection stays.
 * - `$disconnect`: the connection leaves its accounts' listeners.
 */
import { randomUUID } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import '../core/zod-messages.js';
import { duplicateNamePath } from '../core/json-keys.js';
import type { Credentials } from '../orders/accounts.js';
import {
  type CredentialVerdict,
  createCredentialVerifier,
  jwtSettingsFromEnv,
} from '../orders/credentials.js';
import {
  addListener,
  backlogHandOver,
  connectionPk,
  type DeliveryDeps,
  deliverOrHandOver,
  loadHead,
  removeListener,
} from '../orders/trade-update-stream.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { type ConnectionPort, managementApiConnections } from '../platform/connections.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';

/** The part of API Gateway's WebSocket event the session reads. */
export interface StreamEvent {
  readonly requestContext: { readonly routeKey: string; readonly connectionId: string };
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
}

export interface SessionDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly connections: ConnectionPort;
  readonly verify: (credentials: Credentials) => Promise<CredentialVerdict>;
  /** Epoch ms. */
  readonly now: () => number;
  readonly senderId: string;
  /** Hands an account whose replay outlasted the budget to the backlog worker. */
  readonly handOver: (accountId: string) => Promise<void>;
}

/** How long a connection item outlives its last authenticate (API Gateway closes at 2 h). */
export const CONNECTION_TTL_SECONDS = 3 * 3600;
export const STREAMS = ['trade_updates'] as const;
/** How long a listen replays before the backlog worker takes over (the function's timeout is 29 s). */
export const REPLAY_BUDGET_MS = 20_000;

const OK: APIGatewayProxyResultV2 = { statusCode: 200 };

const authenticateSchema = z.object({
  action: z.literal('authenticate'),
  data: z.union([
    z.object({ key_id: z.string().check(z.minLength(1)), secret_key: z.string().check(z.minLength(1)) }),
    z.object({ oauth_token: z.string().check(z.minLength(1)) }),
  ]),
});
// The short form Alpaca's current "Websocket Streaming" page shows (the market data streams' own):
// `{"action": "auth", "key": "...", "secret": "..."}`, answered as `authenticate` is.
const authSchema = z.object({
  action: z.literal('auth'),
  key: z.string().check(z.minLength(1)),
  secret: z.string().check(z.minLength(1)),
});

/** The credentials of an `authenticate` or `auth` message, or what is wrong with it. */
function credentialsOf(
  message: unknown,
): { ok: true; credentials: Credentials } | { ok: false; problem: string } {
  if ((message as { action?: unknown }).action === 'auth') {
    const parsed = authSchema.safeParse(message);
    return parsed.success
      ? { ok: true, credentials: { kind: 'apiKey', keyId: parsed.data.key, secret: parsed.data.secret } }
      : { ok: false, problem: problem(parsed.error) };
  }
  const parsed = authenticateSchema.safeParse(message);
  if (!parsed.success) return { ok: false, problem: problem(parsed.error) };
  const data = parsed.data.data;
  return {
    ok: true,
    credentials:
      'oauth_token' in data
        ? { kind: 'bearer', token: data.oauth_token }
        : { kind: 'apiKey', keyId: data.key_id, secret: data.secret_key },
  };
}

const seqSchema = z.int().check(z.minimum(0));
const listenSchema = z.object({
  action: z.literal('listen'),
  data: z.object({
    streams: z.array(z.string()),
    after_stream_seq: z.optional(z.union([seqSchema, z.record(z.string(), seqSchema)])),
  }),
});

const connectionSchema = z.object({
  principalId: z.string(),
  accountIds: z.array(z.string()),
  listening: z.optional(z.array(z.string())),
});
type ConnectionRecord = z.infer<typeof connectionSchema>;

export function errorFrame(code: string, message: string): string {
  return JSON.stringify({ action: 'error', stream: 'error', data: { code, error_message: message } });
}

const authorizationFrame = (action: 'authenticate' | 'listen', status: 'authorized' | 'unauthorized') =>
  JSON.stringify({ stream: 'authorization', data: { action, status } });

function bodyText(event: StreamEvent): string {
  const body = event.body ?? '';
  return event.isBase64Encoded === true ? Buffer.from(body, 'base64').toString('utf8') : body;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The first problem of a parse, naming the field (`data.streams: ...`). */
function problem(error: z.core.$ZodError): string {
  const issue = error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'message' : issue.path.map(String).join('.');
  return `${where}: ${issue?.message ?? 'is not valid'}`;
}

async function loadConnection(deps: SessionDeps, connectionId: string): Promise<ConnectionRecord | null> {
  const out = await deps.doc.send(
    new GetCommand({
      TableName: deps.table,
      Key: { pk: connectionPk(connectionId), sk: 0 },
      ConsistentRead: true,
    }),
  );
  const parsed = connectionSchema.safeParse(out.Item);
  return parsed.success ? parsed.data : null;
}

/** Writes the connection's item (its TTL renewed). */
async function saveConnection(
  deps: SessionDeps,
  connectionId: string,
  record: ConnectionRecord,
): Promise<void> {
  await deps.doc.send(
    new PutCommand({
      TableName: deps.table,
      Item: {
        pk: connectionPk(connectionId),
        sk: 0,
        principalId: record.principalId,
        accountIds: record.accountIds,
        listening: record.listening ?? [],
        expiresAt: Math.floor(deps.now() / 1000) + CONNECTION_TTL_SECONDS,
      },
    }),
  );
}

async function stopListening(deps: SessionDeps, connectionId: string, record: ConnectionRecord | null) {
  await Promise.all(
    (record?.listening ?? []).map((accountId) =>
      removeListener(deps.doc, deps.table, accountId, connectionId),
    ),
  );
}

async function authenticate(deps: SessionDeps, connectionId: string, message: unknown): Promise<void> {
  const parsed = credentialsOf(message);
  if (!parsed.ok) {
    await deps.connections.post(connectionId, errorFrame('invalid_authenticate', parsed.problem));
    return;
  }
  const verdict = await deps.verify(parsed.credentials);
  const before = await loadConnection(deps, connectionId);
  if (!verdict.ok) {
    logger.info('stream authentication refused', {
      reason: verdict.reason,
      detail: verdict.detail,
      ...verdict.extra,
    });
    metrics.addMetric('StreamAuthenticationRefused', 'Count', 1);
    if (before !== null) {
      await stopListening(deps, connectionId, before);
      await deps.doc.send(
        new DeleteCommand({ TableName: deps.table, Key: { pk: connectionPk(connectionId), sk: 0 } }),
      );
    }
    await deps.connections.post(connectionId, authorizationFrame('authenticate', 'unauthorized'));
    return;
  }
  // Authenticating again as the same principal (a client's reconnect logic, a retry) keeps what the
  // connection listens to: a probe's `authenticate` resent after `listen` silently ended its updates.
  const same =
    before !== null &&
    before.principalId === verdict.principalId &&
    sameAccounts(before.accountIds, verdict.accountIds);
  // As someone else: what it listened to before ends, and it is told so (`listening` to nothing).
  const ended = !same && (before?.listening ?? []).length > 0;
  if (before !== null && !same) await stopListening(deps, connectionId, before);
  await saveConnection(deps, connectionId, {
    principalId: verdict.principalId,
    accountIds: [...verdict.accountIds],
    listening: same ? (before.listening ?? []) : [],
  });
  await deps.connections.post(connectionId, authorizationFrame('authenticate', 'authorized'));
  if (ended) await deps.connections.post(connectionId, listeningFrame(false));
}

function sameAccounts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** The `listening` acknowledgement: the streams the connection now listens to. */
function listeningFrame(listening: boolean): string {
  return JSON.stringify({ stream: 'listening', data: { streams: listening ? [...STREAMS] : [] } });
}

/**
 * The cursor's keys as sent: zod's record skips a `__proto__` key, which JSON.parse makes an own
 * key (a probe's `{"__proto__": 500}` was listened to as no cursor at all, not refused).
 */
function cursorKeys(message: unknown): string[] {
  const cursor = (message as { data?: { after_stream_seq?: unknown } }).data?.after_stream_seq;
  return typeof cursor === 'object' && cursor !== null ? Object.keys(cursor) : [];
}

async function listen(deps: SessionDeps, connectionId: string, message: unknown): Promise<void> {
  const record = await loadConnection(deps, connectionId);
  if (record === null) {
    await deps.connections.post(connectionId, authorizationFrame('listen', 'unauthorized'));
    return;
  }
  const parsed = listenSchema.safeParse(message);
  if (!parsed.success) {
    await deps.connections.post(connectionId, errorFrame('invalid_listen', problem(parsed.error)));
    return;
  }
  const { streams, after_stream_seq: after } = parsed.data.data;
  const listening = streams.includes('trade_updates');
  if (after !== undefined && typeof after === 'object') {
    const foreign = cursorKeys(message).find((a) => !record.accountIds.includes(a));
    if (foreign !== undefined) {
      await deps.connections.post(
        connectionId,
        errorFrame(
          'invalid_listen',
          `data.after_stream_seq: ${JSON.stringify(foreign)} is not an account of this key`,
        ),
      );
      return;
    }
  }
  if (typeof after === 'number' && record.accountIds.length > 1) {
    await deps.connections.post(
      connectionId,
      errorFrame(
        'invalid_listen',
        'data.after_stream_seq: this key has several accounts: give {accountId: seq}',
      ),
    );
    return;
  }
  const accounts = listening ? record.accountIds : [];
  // Listening again without a cursor keeps each account's place (nothing skipped, nothing twice);
  // `streams: []` stops.
  const already = new Set(listening ? (record.listening ?? []) : []);
  await stopListening(deps, connectionId, {
    ...record,
    listening: (record.listening ?? []).filter((a) => !already.has(a)),
  });
  await saveConnection(deps, connectionId, { ...record, listening: accounts });
  // Where each new listener starts, read before the acknowledgement: every update after the
  // `listening` frame is after it, so none is skipped (a probe: with 300 listens at once, the head
  // read after the frame had moved on, and 445 updates placed after the frame never came).
  const starts = new Map<string, number>();
  for (const accountId of accounts) {
    const given = typeof after === 'number' ? after : after?.[accountId];
    if (given !== undefined || !already.has(accountId)) {
      // A cursor past the account's last update was kept across a restart that began the log
      // again: the client has seen none of this log, so it gets all of it (a probe's cursor 999999
      // got no frame at all, waiting for updates numbered past it).
      const head = await loadHead(deps.doc, deps.table, accountId);
      starts.set(accountId, given === undefined ? head : given > head ? 0 : given);
    }
  }
  // The acknowledgement next: the replayed updates follow it on the same channel.
  await deps.connections.post(connectionId, listeningFrame(listening));
  const delivery: DeliveryDeps = { ...deps };
  for (const accountId of accounts) {
    const from = starts.get(accountId);
    if (from !== undefined) {
      if ((await addListener(deps.doc, deps.table, accountId, connectionId, from)) === 'full') {
        await deps.connections.post(
          connectionId,
          errorFrame('too_many_listeners', `account ${accountId} has too many stream connections`),
        );
        continue;
      }
    }
    // Out of time with a long replay: the backlog worker goes on (the lease was given back).
    await deliverOrHandOver(delivery, accountId, REPLAY_BUDGET_MS, deps.handOver);
  }
}

export function createSession(deps: SessionDeps) {
  return async (event: StreamEvent): Promise<APIGatewayProxyResultV2> => {
    const { routeKey, connectionId } = event.requestContext;
    switch (routeKey) {
      case '$connect':
        return OK;
      case '$disconnect': {
        const record = await loadConnection(deps, connectionId);
        await stopListening(deps, connectionId, record);
        if (record !== null)
          await deps.doc.send(
            new DeleteCommand({ TableName: deps.table, Key: { pk: connectionPk(connectionId), sk: 0 } }),
          );
        return OK;
      }
    }
    const text = bodyText(event);
    const message = parseJson(text);
    // A name given twice is ambiguous (JSON.parse keeps the last): refused, whatever it asks.
    const duplicated = message === undefined ? null : duplicateNamePath(text);
    const action =
      duplicated === null && typeof message === 'object' && message !== null && !Array.isArray(message)
        ? (message as { action?: unknown }).action
        : undefined;
    if (action === 'authenticate' || action === 'auth') await authenticate(deps, connectionId, message);
    else if (action === 'listen') await listen(deps, connectionId, message);
    else if (message === undefined)
      await deps.connections.post(connectionId, errorFrame('invalid_json', 'message: is not JSON'));
    else if (duplicated !== null)
      await deps.connections.post(
        connectionId,
        errorFrame('invalid_json', `${duplicated}: is given more than once`.slice(0, 300)),
      );
    else
      await deps.connections.post(
        connectionId,
        errorFrame(
          'unknown_action',
          `action: ${describeAction(action)} is not one of "authenticate", "auth", "listen"`.slice(0, 300),
        ),
      );
    return OK;
  };
}

/**
 * An unknown `action` as its error frame names it: a scalar as JSON, an array or an object by its
 * kind only (a probe's 20,000-deep array overflowed the stack in JSON.stringify: a 500).
 */
function describeAction(action: unknown): string {
  if (Array.isArray(action)) return 'an array';
  if (typeof action === 'object' && action !== null) return 'an object';
  return JSON.stringify(action ?? null);
}

const verify = createCredentialVerifier({
  doc: dynamo,
  accountsTable: () => requiredEnv(ENV.accountsTable),
  jwt: jwtSettingsFromEnv,
});

export const handler = createSession({
  doc: dynamo,
  table: requiredEnv(ENV.tradeStreamTable),
  connections: managementApiConnections(),
  verify,
  now: Date.now,
  senderId: randomUUID(),
  handOver: backlogHandOver(eventBridge, () => requiredEnv(ENV.eventBusName)),
});
