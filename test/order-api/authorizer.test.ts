process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.AWS_REGION = 'us-east-1';

import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { createAuthorizer, type JwtSettings, KEY_CACHE_TTL_MS } from '../../lambdas/order-api/authorizer.js';
import {
  accountsFromClaims,
  apiKeyItem,
  credentialsOf,
  hashSecret,
  verifySecret,
} from '../../lambdas/orders/accounts.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';

const ddb = mockClient(DynamoDBDocumentClient);
const KEYS = {
  'key#AK1': apiKeyItem({
    keyId: 'AK1',
    secret: 's3cret',
    principalId: 'bot-1',
    accountIds: ['acct-1', 'acct-2'],
  }),
  'key#AK2': apiKeyItem({
    keyId: 'AK2',
    secret: 'old',
    principalId: 'bot-2',
    accountIds: ['acct-3'],
    status: 'revoked',
  }),
  'key#RO1': apiKeyItem({
    keyId: 'RO1',
    secret: 'look',
    principalId: 'dashboard-1',
    accountIds: ['acct-1'],
    scope: 'read_only',
  }),
  'key#OP1': apiKeyItem({
    keyId: 'OP1',
    secret: 'stop-it',
    principalId: 'ops-1',
    accountIds: ['ops'],
    scope: 'operator',
  }),
};
const ISSUER = 'https://issuer.test';
const AUDIENCE = 'oms';
let jwt: JwtSettings | null;
let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  signingKey = privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  jwt = { issuer: ISSUER, audience: AUDIENCE, keys: createLocalJWKSet({ keys: [jwk] }) };
});

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).callsFake(async (input) => ({ Item: KEYS[input.Key.pk as keyof typeof KEYS] }));
});

const authorize = (headers: Record<string, string | undefined>, jwtOn = true) =>
  createAuthorizer({ doc: dynamo, accountsTable: () => 'accounts', jwt: () => (jwtOn ? jwt : null) })({
    headers,
  } as unknown as APIGatewayRequestAuthorizerEventV2);

const token = (claims: JWTPayload, o: { aud?: string; iss?: string; exp?: string } = {}) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(o.exp ?? '5m')
    .sign(signingKey);

describe('API key pairs', () => {
  test('a good key pair (any header case) -> principal and its accounts', async () => {
    const r = await authorize({ 'APCA-API-KEY-ID': 'AK1', 'Apca-Api-Secret-Key': 's3cret' });
    expect(r).toEqual({
      isAuthorized: true,
      context: { authenticated: 'true', principalId: 'bot-1', accountIds: 'acct-1,acct-2', scope: 'trade' },
    });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toEqual({
      TableName: 'accounts',
      Key: { pk: 'key#AK1' },
    });
  });

  // Let through as unauthenticated, so the handler answers Alpaca's 401 (a simple-response
  // `isAuthorized: false` would be API Gateway's own 403). The reason says nothing more.
  test.each([
    {
      case: 'a wrong secret',
      headers: { 'apca-api-key-id': 'AK1', 'apca-api-secret-key': 'S3cret' },
      reason: 'invalid credentials',
    },
    {
      case: 'a revoked key',
      headers: { 'apca-api-key-id': 'AK2', 'apca-api-secret-key': 'old' },
      reason: 'invalid credentials',
    },
    {
      case: 'an unknown key',
      headers: { 'apca-api-key-id': 'AK9', 'apca-api-secret-key': 's3cret' },
      reason: 'invalid credentials',
    },
    { case: 'the key id alone', headers: { 'apca-api-key-id': 'AK1' }, reason: 'missing credentials' },
    { case: 'the secret alone', headers: { 'apca-api-secret-key': 's3cret' }, reason: 'missing credentials' },
    { case: 'no credentials', headers: {}, reason: 'missing credentials' },
    {
      case: 'a Basic authorization',
      headers: { authorization: 'Basic QUsxOnMzY3JldA==' },
      reason: 'missing credentials',
    },
  ])('$case -> unauthenticated: $reason', async ({ headers, reason }) => {
    expect(await authorize(headers)).toEqual({
      isAuthorized: true,
      context: { authenticated: 'false', reason },
    });
  });
});

const UNAUTHENTICATED = {
  isAuthorized: true,
  context: { authenticated: 'false', reason: 'invalid credentials' },
};

describe('the key record cache (issue 12: one read per key per 30 s, not per request)', () => {
  const good = { 'APCA-API-KEY-ID': 'AK1', 'APCA-API-SECRET-KEY': 's3cret' };
  const event = (headers: Record<string, string>) =>
    ({ headers }) as unknown as APIGatewayRequestAuthorizerEventV2;
  const reads = () => ddb.commandCalls(GetCommand).length;

  test('a cached record still verifies every secret; the cache expires after its TTL', async () => {
    let t = 1_000_000;
    const auth = createAuthorizer({
      doc: dynamo,
      accountsTable: () => 'accounts',
      jwt: () => null,
      now: () => t,
    });
    expect((await auth(event(good))).context).toMatchObject({ authenticated: 'true' });
    expect((await auth(event(good))).context).toMatchObject({ authenticated: 'true' });
    expect(reads()).toBe(1);
    // A wrong secret for a cached key is refused without a read.
    expect((await auth(event({ ...good, 'APCA-API-SECRET-KEY': 'wrong' }))).context).toEqual({
      authenticated: 'false',
      reason: 'invalid credentials',
    });
    expect(reads()).toBe(1);
    t += KEY_CACHE_TTL_MS;
    await auth(event(good));
    expect(reads()).toBe(2);
  });

  test('a key revoked meanwhile is refused once the cached record has expired', async () => {
    let t = 0;
    const auth = createAuthorizer({
      doc: dynamo,
      accountsTable: () => 'accounts',
      jwt: () => null,
      now: () => t,
    });
    expect((await auth(event(good))).context).toMatchObject({ authenticated: 'true' });
    ddb.on(GetCommand).callsFake(async (input) => {
      const item = KEYS[input.Key.pk as keyof typeof KEYS];
      return { Item: item === undefined ? undefined : { ...item, status: 'revoked' } };
    });
    t += KEY_CACHE_TTL_MS - 1;
    expect((await auth(event(good))).context).toMatchObject({ authenticated: 'true' });
    t += 1;
    expect((await auth(event(good))).context).toEqual({
      authenticated: 'false',
      reason: 'invalid credentials',
    });
  });

  test('an unknown key is cached too (no read per attempt), and TTL 0 turns the cache off', async () => {
    const auth = createAuthorizer({
      doc: dynamo,
      accountsTable: () => 'accounts',
      jwt: () => null,
      now: () => 0,
    });
    const unknown = { 'APCA-API-KEY-ID': 'NOPE', 'APCA-API-SECRET-KEY': 'x' };
    await auth(event(unknown));
    await auth(event(unknown));
    expect(reads()).toBe(1);
    const uncached = createAuthorizer({
      doc: dynamo,
      accountsTable: () => 'accounts',
      jwt: () => null,
      keyCacheTtlMs: 0,
    });
    await uncached(event(good));
    await uncached(event(good));
    expect(reads()).toBe(3);
  });
});

test('a hard failure (the accounts table unreachable) throws, so it is no 401', async () => {
  ddb.on(GetCommand).rejects(new Error('throttled'));
  await expect(authorize({ 'apca-api-key-id': 'AK1', 'apca-api-secret-key': 's3cret' })).rejects.toThrow(
    'throttled',
  );
});

describe('Bearer JWTs', () => {
  test.each([
    { claims: { sub: 'svc-1', accounts: ['acct-1', 'acct-4'] }, accountIds: 'acct-1,acct-4' },
    { claims: { sub: 'svc-1', account_id: 'acct-5' }, accountIds: 'acct-5' },
  ])('accounts from $claims', async ({ claims, accountIds }) => {
    const r = await authorize({ authorization: `Bearer ${await token(claims)}` });
    expect(r).toEqual({
      isAuthorized: true,
      context: { authenticated: 'true', principalId: 'svc-1', accountIds, scope: 'trade' },
    });
  });

  test.each([
    { case: 'the wrong audience', make: () => token({ sub: 's', accounts: ['a'] }, { aud: 'other' }) },
    { case: 'the wrong issuer', make: () => token({ sub: 's', accounts: ['a'] }, { iss: 'https://evil' }) },
    { case: 'expired', make: () => token({ sub: 's', accounts: ['a'] }, { exp: '-1m' }) },
    { case: 'no accounts', make: () => token({ sub: 's' }) },
    { case: 'no sub', make: () => token({ accounts: ['a'] }) },
    { case: 'a tampered payload', make: async () => tamper(await token({ sub: 's', accounts: ['a'] })) },
    {
      case: 'signed by another key',
      make: async () => {
        const other = await generateKeyPair('ES256');
        return new SignJWT({ sub: 's', accounts: ['a'] })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .sign(other.privateKey);
      },
    },
  ])('$case -> unauthenticated: invalid credentials', async ({ make }) => {
    expect(await authorize({ authorization: `Bearer ${await make()}` })).toEqual(UNAUTHENTICATED);
  });

  test('unauthenticated when JWTs are not configured', async () => {
    const t = await token({ sub: 's', accounts: ['a'] });
    expect(await authorize({ authorization: `Bearer ${t}` }, false)).toEqual(UNAUTHENTICATED);
  });

  test('a malformed Bearer token -> invalid credentials', async () => {
    expect(await authorize({ authorization: 'Bearer not.a.jwt' })).toEqual(UNAUTHENTICATED);
  });
});

const tamper = (t: string) => {
  const [h, , s] = t.split('.');
  const body = Buffer.from(
    JSON.stringify({ sub: 's', accounts: ['a', 'b'], iss: ISSUER, aud: AUDIENCE }),
  ).toString('base64url');
  return `${h}.${body}.${s}`;
};

describe('accounts helpers', () => {
  test('hashSecret/verifySecret: a secret verifies against its hash and no other secret does', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.uint8Array({ minLength: 1, maxLength: 32 }),
        (secret, other, salt) => {
          const stored = hashSecret(secret, Buffer.from(salt).toString('hex'));
          expect(stored).toMatch(/^hmac-sha256\$[0-9a-f]+\$[0-9a-f]{64}$/);
          expect(verifySecret(secret, stored)).toBe(true);
          expect(verifySecret(other, stored)).toBe(other === secret);
        },
      ),
      { numRuns: 200 },
    );
  });

  test.each([
    '',
    'plain',
    `sha256$00$${'a'.repeat(64)}`,
    `hmac-sha256$zz$${'a'.repeat(64)}`,
    'hmac-sha256$00$abc',
  ])('a malformed stored hash %j matches nothing', (stored) => expect(verifySecret('x', stored)).toBe(false));

  test('credentials: key pair first, then Bearer', () => {
    expect(
      credentialsOf({ 'apca-api-key-id': 'K', 'apca-api-secret-key': 'S', authorization: 'Bearer t' }),
    ).toEqual({
      kind: 'apiKey',
      keyId: 'K',
      secret: 'S',
    });
    expect(credentialsOf({ Authorization: 'bearer abc.def.ghi' })).toEqual({
      kind: 'bearer',
      token: 'abc.def.ghi',
    });
  });

  test.each([
    [{ accounts: ['a', 'b', 'a'] }, ['a', 'b']],
    [{ accounts: ['a', 7] }, []],
    [{ accounts: ['a,b'] }, []],
    [{ account_id: 'x' }, ['x']],
    [{ accounts: 'a' }, []],
  ])('accountsFromClaims(%j) -> %j', (claims, expected) =>
    expect(accountsFromClaims(claims)).toEqual(expected),
  );
});

describe('scopes (issue 16): what a key or token may do rides in the context', () => {
  test('a read-only key -> scope read_only', async () => {
    const r = await authorize({ 'APCA-API-KEY-ID': 'RO1', 'APCA-API-SECRET-KEY': 'look' });
    expect(r.context).toEqual({
      authenticated: 'true',
      principalId: 'dashboard-1',
      accountIds: 'acct-1',
      scope: 'read_only',
    });
  });

  test('an operator key -> scope operator', async () => {
    const r = await authorize({ 'APCA-API-KEY-ID': 'OP1', 'APCA-API-SECRET-KEY': 'stop-it' });
    expect(r.context).toEqual({
      authenticated: 'true',
      principalId: 'ops-1',
      accountIds: 'ops',
      scope: 'operator',
    });
  });

  test.each([
    ['read_only', 'read_only'],
    ['openid read_only', 'read_only'],
    ['read_only trade', 'trade'],
    ['trade', 'trade'],
    ['operator', 'operator'],
    ['openid operator', 'operator'],
    ['operator read_only', 'operator'],
    // One credential is never both the trader and the operator: naming trade trades.
    ['operator trade', 'trade'],
    [undefined, 'trade'],
  ])('a token with scope claim %p -> %s', async (scope, expected) => {
    const claims = { sub: 'svc-1', accounts: ['acct-1'], ...(scope === undefined ? {} : { scope }) };
    const r = await authorize({ authorization: `Bearer ${await token(claims)}` });
    expect(r.context).toMatchObject({ authenticated: 'true', scope: expected });
  });
});
