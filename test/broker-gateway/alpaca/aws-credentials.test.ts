/**
 * The Alpaca venues on AWS (docs/venues.md "Configure on AWS"): the CDK context form
 * (`oms:alpacaVenues`: secret references, never a key pair) and the env form's credential rules,
 * both refusing with the field named and no value echoed; the Lambda side's key pair read from
 * Secrets Manager once per container (aws-sdk-client-mock), a failing read a TransientError with
 * nothing sent to the broker and no secret in any error or log line.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AlpacaBrokerVenue } from '../../../lambdas/broker-gateway/alpaca/alpaca-venue.js';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import * as wiring from '../../../lambdas/broker-gateway/wiring.js';
import { secretsManagerAlpacaCredentials } from '../../../lambdas/platform/alpaca-credentials.js';
import { parseAlpacaVenues, parseAlpacaVenuesContext } from '../../../lambdas/platform/alpaca-venues.js';
import { TransientError } from '../../../lambdas/platform/transient-errors.js';
import { venueOrder } from '../venue-order.js';
import { FakeBroker } from './fake-broker.js';

const SECRET = 'aws-Secret-v4lue-never-logged';
const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:oms/alpaca/paper-AbCdEf';
const BASE = { name: 'ALPX', baseUrl: 'https://paper-api.alpaca.markets' };
const KEY_PAIR = JSON.stringify({ keyId: 'PKAWS1', secret: SECRET });

/** The error `f` throws (or rejects with). */
async function errorOf(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('oms:alpacaVenues (the CDK context form)', () => {
  test.each([
    [
      'a key pair in the context',
      [{ ...BASE, keyId: 'K', secret: SECRET, secretArn: ARN }],
      /0\.keyId: not allowed in oms:alpacaVenues.*0\.secret: not allowed/,
    ],
    ['only the secret', [{ ...BASE, secret: SECRET }], /0\.secret: not allowed.*0\.secretArn: required/],
    ['no secret reference', [BASE], /0\.secretArn: required \(or secretName\)/],
    [
      'both references',
      [{ ...BASE, secretArn: ARN, secretName: 'x' }],
      /0\.secretName: give secretArn or secretName, not both/,
    ],
    [
      'a partial ARN',
      [{ ...BASE, secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:oms' }],
      /0\.secretArn: must be the complete ARN/,
    ],
    [
      "another service's ARN",
      [{ ...BASE, secretArn: 'arn:aws:ssm:us-east-1:123456789012:parameter/x-AbCdEf' }],
      /0\.secretArn: must be the complete ARN/,
    ],
    [
      'a bad secret name',
      [{ ...BASE, secretName: 'has space' }],
      /0\.secretName: must be a Secrets Manager secret name/,
    ],
    [
      'a bad venue name',
      [{ ...BASE, name: 'alpx', secretArn: ARN }],
      /0\.name: must be an upper-case venue id/,
    ],
    ['a bad URL', [{ ...BASE, baseUrl: 'nope', secretArn: ARN }], /0\.baseUrl/],
    [
      'a venue twice',
      [
        { ...BASE, secretArn: ARN },
        { ...BASE, secretName: 'b' },
      ],
      /1\.name: venue ALPX twice/,
    ],
    [
      'a fee that is no decimal',
      [{ ...BASE, secretArn: ARN, takerFeePerShare: 'free' }],
      /0\.takerFeePerShare: must be a decimal/,
    ],
    ['not an array', { ...BASE, secretArn: ARN }, /oms:alpacaVenues is invalid \(: /],
  ])('%s: refused, naming the field, echoing no value', async (_what, value, message) => {
    for (const form of [value, JSON.stringify(value)]) {
      const err = await errorOf(() => parseAlpacaVenuesContext(form));
      expect(err.message).toMatch(/^oms:alpacaVenues is invalid/);
      expect(err.message).toMatch(message);
      expect(err.message).not.toContain(SECRET);
    }
  });

  test('text that is not JSON: refused without quoting it', async () => {
    const err = await errorOf(() => parseAlpacaVenuesContext(`[{"secret":"${SECRET}"`));
    expect(err.message).toBe('oms:alpacaVenues is not JSON');
  });

  test('unset or empty: no venue, no env', () => {
    for (const v of [undefined, null, '', '  ', '[]', []])
      expect(parseAlpacaVenuesContext(v)).toEqual({ env: '', venues: [] });
  });

  test('the env the functions and the host get: the validated entries (unknown fields dropped), no key pair', () => {
    const value = [
      { ...BASE, streamUrl: 'wss://paper-api.alpaca.markets/stream', secretArn: ARN, note: 'dropped' },
      { name: 'ALPY', baseUrl: 'https://api.alpaca.markets', secretName: 'oms/alpaca/live', latencyMs: 5 },
    ];
    const parsed = parseAlpacaVenuesContext(JSON.stringify(value));
    expect(parsed.venues).toEqual([
      { name: 'ALPX', secretArn: ARN, secretName: undefined },
      { name: 'ALPY', secretArn: undefined, secretName: 'oms/alpaca/live' },
    ]);
    expect(JSON.parse(parsed.env)).toEqual([
      { ...BASE, streamUrl: 'wss://paper-api.alpaca.markets/stream', secretArn: ARN },
      { name: 'ALPY', baseUrl: 'https://api.alpaca.markets', secretName: 'oms/alpaca/live', latencyMs: 5 },
    ]);
    // The functions read the same text: a secret-referencing venue each.
    expect(parseAlpacaVenues(parsed.env).map((c) => [c.name, c.secretId])).toEqual([
      ['ALPX', ARN],
      ['ALPY', 'oms/alpaca/live'],
    ]);
  });
});

describe("OMS_ALPACA_VENUES' credentials: one source per venue", () => {
  test.each([
    ['keyId without secret', { keyId: 'K' }, /0\.secret: required with keyId/],
    ['secret without keyId', { secret: SECRET }, /0\.keyId: required with secret/],
    ['no credentials at all', {}, /0\.keyId: required with secret \(or give secretArn or secretName\)/],
    [
      'a key pair and a secret reference',
      { keyId: 'K', secret: SECRET, secretArn: ARN },
      /0\.keyId: give keyId and secret, or secretArn or secretName, not both/,
    ],
    [
      'both references',
      { secretArn: ARN, secretName: 'n' },
      /0\.secretName: give secretArn or secretName, not both/,
    ],
  ])('%s: refused, naming the field', async (_what, credentials, message) => {
    const err = await errorOf(() => parseAlpacaVenues(JSON.stringify([{ ...BASE, ...credentials }])));
    expect(err.message).toMatch(/^OMS_ALPACA_VENUES is invalid/);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain(SECRET);
  });

  test('a secret reference without a resolver: credentials() rejects naming the venue', async () => {
    const [config] = parseAlpacaVenues(JSON.stringify([{ ...BASE, secretArn: ARN }]));
    expect(config?.secretId).toBe(ARN);
    await expect(config?.credentials()).rejects.toThrow(
      /Alpaca venue ALPX: its key pair is in Secrets Manager/,
    );
  });
});

describe('the Lambda side reads the key pair from Secrets Manager', () => {
  const sm = mockClient(SecretsManagerClient);
  const client = () => new SecretsManagerClient({ region: 'us-east-1' });
  beforeEach(() => sm.reset());
  afterAll(() => sm.restore());

  const ORDER = venueOrder({ orderId: 'oms-aws-1', accountId: 'acct', qty: '1' });

  function venueWith(entries: unknown[]) {
    const configs = parseAlpacaVenues(JSON.stringify(entries), secretsManagerAlpacaCredentials(client));
    const broker = new FakeBroker();
    const reports: ExecutionReport[] = [];
    const venues = configs.map(
      (config) =>
        new AlpacaBrokerVenue({
          config,
          publish: async (rs) => {
            reports.push(...rs);
          },
          fetch: broker.fetch,
        }),
    );
    return { configs, broker, reports, venues };
  }

  test('one GetSecretValue per secret per container (concurrent first calls share it); the broker gets the pair', async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: KEY_PAIR });
    sm.on(GetSecretValueCommand, { SecretId: 'oms/alpaca/live' }).resolves({
      SecretString: JSON.stringify({ keyId: 'PKLIVE', secret: 'live-secret' }),
    });
    const { broker, venues } = venueWith([
      { ...BASE, secretArn: ARN },
      { name: 'ALPY', baseUrl: 'https://api.alpaca.markets', secretName: 'oms/alpaca/live' },
    ]);
    const [paper, live] = venues as [AlpacaBrokerVenue, AlpacaBrokerVenue];
    await Promise.all([paper.submit(ORDER), paper.orderStatus('oms-aws-1'), paper.openOrders()]);
    await paper.submit({ ...ORDER, orderId: 'oms-aws-2' });
    await live.openOrders();
    const reads = sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId);
    expect(reads.sort()).toEqual([ARN, 'oms/alpaca/live']);
    expect(broker.calls.length).toBeGreaterThanOrEqual(5);
    for (const call of broker.calls)
      expect([
        ['PKAWS1', SECRET],
        ['PKLIVE', 'live-secret'],
      ]).toContainEqual([call.headers['APCA-API-KEY-ID'], call.headers['APCA-API-SECRET-KEY']]);
  });

  test.each([
    [
      'access denied',
      Object.assign(new Error('User: arn:aws:sts::1:assumed-role/x is not authorized'), {
        name: 'AccessDeniedException',
      }),
      'AccessDeniedException',
    ],
    [
      'throttled',
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
      'ThrottlingException',
    ],
    [
      'not found',
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
      'ResourceNotFoundException',
    ],
    [
      'unreachable',
      Object.assign(new Error('connect ETIMEDOUT'), { code: 'ETIMEDOUT', name: 'TimeoutError' }),
      'TimeoutError',
    ],
  ])(
    'GetSecretValue %s: TransientError, nothing sent or reported; the next call reads again',
    async (_what, failure, original) => {
      sm.on(GetSecretValueCommand).rejectsOnce(failure).resolves({ SecretString: KEY_PAIR });
      const { broker, reports, venues } = venueWith([{ ...BASE, secretArn: ARN }]);
      const venue = venues[0] as AlpacaBrokerVenue;
      const err = await errorOf(() => venue.submit(ORDER));
      expect(err).toBeInstanceOf(TransientError);
      expect(err.name).toBe('TransientError');
      expect((err as TransientError).original).toBe(original);
      expect(err.message).toContain(`Alpaca venue ALPX (secret ${ARN})`);
      expect(broker.calls).toEqual([]);
      expect(reports).toEqual([]);
      // The failure is not kept: a retry reads the secret again and gets through.
      await venue.submit(ORDER);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      expect(broker.calls).toHaveLength(1);
    },
  );

  test.each([
    ['not JSON (the value itself)', { SecretString: SECRET }, /the secret is not JSON/],
    [
      'JSON without the secret field',
      { SecretString: JSON.stringify({ keyId: 'K', password: SECRET }) },
      /missing: secret\)/,
    ],
    [
      'JSON with an empty keyId',
      { SecretString: JSON.stringify({ keyId: '', secret: SECRET }) },
      /missing: keyId\)/,
    ],
    ['a binary secret', { SecretBinary: new Uint8Array([1, 2]) }, /missing: SecretString\)/],
  ])(
    'a secret that is %s: TransientError naming what is missing, never the value',
    async (_what, answer, message) => {
      sm.on(GetSecretValueCommand).resolves(answer);
      const { configs } = venueWith([{ ...BASE, secretArn: ARN }]);
      const err = await errorOf(() => configs[0]?.credentials());
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).original).toBe('AlpacaSecretMalformed');
      expect(err.message).toMatch(message);
      expect(`${err.message} ${err.stack}`).not.toContain(SECRET);
    },
  );

  test('no secret in what is logged or serialised along the way', async () => {
    const lines: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        lines.push(args.map(String).join(' '));
      }),
    );
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      sm.on(GetSecretValueCommand)
        .rejectsOnce(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))
        .resolves({ SecretString: KEY_PAIR });
      const { configs, venues } = venueWith([{ ...BASE, secretArn: ARN }]);
      const err = await errorOf(() => venues[0]?.submit(ORDER));
      lines.push(String(err), String(err.stack), JSON.stringify(err));
      const credentials = await configs[0]?.credentials();
      lines.push(JSON.stringify(configs), JSON.stringify(credentials));
      const { inspect } = require('node:util') as typeof import('node:util');
      lines.push(inspect(configs, { depth: 5 }), inspect(credentials, { depth: 5 }));
      expect(credentials?.secret()).toBe(SECRET);
    } finally {
      for (const s of spies) s.mockRestore();
      write.mockRestore();
    }
    expect(lines.join('\n')).not.toContain(SECRET);
  });

  test("wiring's venues read their secrets with the SDK's Secrets Manager client, once", async () => {
    sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: KEY_PAIR });
    const env = { OMS_ALPACA_VENUES: JSON.stringify([{ ...BASE, secretArn: ARN }]), AWS_REGION: 'us-east-1' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      // wiring reads OMS_ALPACA_VENUES on first use (nothing else in this file uses it).
      const [config] = wiring.alpacaVenueConfigs();
      const [a, b] = await Promise.all([config?.credentials(), config?.credentials()]);
      expect(a?.keyId).toBe('PKAWS1');
      expect(b).toBe(a);
      expect((await config?.credentials())?.secret()).toBe(SECRET);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(wiring.deployedVenues()).toContain('ALPX');
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
