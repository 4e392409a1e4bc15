/**
 * The Alpaca venues on AWS (docs/venues.md "Configure on AWS"): the CDK context form
 * (`oms:alpacaVenues`: secret references, never a key pair) and the env form's credential rules,
 * both refusing with the field named and no value echoed; the Lambda side's key pair read through
 * the Parameters and Secrets extension once per container (a local HTTP server stands in for the
 * extension: it checks the token header and answers the GetSecretValue JSON), a failing read a
 * TransientError with nothing sent to the broker and no secret in any error or log line.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlpacaBrokerVenue } from '../../../lambdas/broker-gateway/alpaca/alpaca-venue.js';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import * as wiring from '../../../lambdas/broker-gateway/wiring.js';
import {
  type SecretsExtensionGet,
  secretsExtensionGet,
  secretsManagerAlpacaCredentials,
} from '../../../lambdas/platform/alpaca-credentials.js';
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

/** The session token the fake extension expects (Lambda's AWS_SESSION_TOKEN). */
const TOKEN = 'session-token-of-this-container';

interface ExtensionRequest {
  readonly method: string | undefined;
  readonly path: string;
  readonly secretId: string | null;
  readonly token: string | undefined;
}

/**
 * A stand-in for the Parameters and Secrets extension on a local port: `GET
 * /secretsmanager/get?secretId=<id>` with the token header, answered with the GetSecretValue JSON of
 * `secrets`; a missing or wrong token is refused (400). Failures to force: `failNext` (statuses,
 * one per request, their bodies echoing the secret to show a body is never quoted), `rawNext` (a
 * 200 body as is), `hang` (secret ids it never answers).
 */
class FakeExtension {
  readonly requests: ExtensionRequest[] = [];
  readonly secrets = new Map<string, Record<string, unknown>>();
  readonly failNext: number[] = [];
  rawNext: string | undefined;
  readonly hang = new Set<string>();
  port = 0;
  private readonly server: Server = createServer((req, res) => this.handle(req, res));

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  reset(): void {
    this.requests.length = 0;
    this.secrets.clear();
    this.failNext.length = 0;
    this.rawNext = undefined;
    this.hang.clear();
  }

  /** The env of a function with the extension: its port and the container's session token. */
  env(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
    return {
      AWS_SESSION_TOKEN: TOKEN,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(this.port),
      ...overrides,
    };
  }

  /** The secret ids asked with the right token. */
  reads(): (string | null)[] {
    return this.requests.filter((r) => r.token === TOKEN).map((r) => r.secretId);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const header = req.headers['x-aws-parameters-secrets-token'];
    const token = typeof header === 'string' ? header : undefined;
    const secretId = url.searchParams.get('secretId');
    this.requests.push({ method: req.method, path: url.pathname, secretId, token });
    const answer = this.answerTo(req.method, url.pathname, token, secretId);
    if (answer === undefined) return; // hung: never answers
    const [status, body] = answer;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  /** [status, body], or undefined for no answer at all. */
  private answerTo(
    method: string | undefined,
    path: string,
    token: string | undefined,
    secretId: string | null,
  ): [number, unknown] | undefined {
    if (method !== 'GET' || path !== '/secretsmanager/get') return [404, { message: 'not found' }];
    if (token !== TOKEN) return [400, { message: 'missing or invalid token' }];
    if (secretId === null || secretId === '') return [400, { message: 'secretId required' }];
    if (this.hang.has(secretId)) return undefined;
    const failure = this.failNext.shift();
    if (failure !== undefined) return [failure, { __type: 'Failure', message: `echo ${SECRET}` }];
    if (this.rawNext !== undefined) {
      const body = this.rawNext;
      this.rawNext = undefined;
      return [200, body];
    }
    const fields = this.secrets.get(secretId);
    if (fields === undefined)
      return [
        400,
        { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." },
      ];
    return [
      200,
      {
        ARN: secretId.startsWith('arn:')
          ? secretId
          : `arn:aws:secretsmanager:us-east-1:1:secret:${secretId}-AbCdEf`,
        Name: secretId,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: '2026-12-01T00:00:00.000Z',
        ...fields,
      },
    ];
  }
}

/** A local port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('the Lambda side reads the key pair through the Parameters and Secrets extension', () => {
  const ext = new FakeExtension();
  beforeAll(() => ext.start());
  beforeEach(() => ext.reset());
  afterAll(() => ext.stop());

  const ORDER = venueOrder({ orderId: 'oms-aws-1', accountId: 'acct', qty: '1' });

  function venueWith(entries: unknown[], get: SecretsExtensionGet = secretsExtensionGet(ext.env())) {
    const configs = parseAlpacaVenues(JSON.stringify(entries), secretsManagerAlpacaCredentials(get));
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

  /** What a failed read must show: a TransientError naming venue and secret, nothing sent. */
  async function expectFailedRead(venue: AlpacaBrokerVenue, broker: FakeBroker, reports: ExecutionReport[]) {
    const err = await errorOf(() => venue.submit(ORDER));
    expect(err).toBeInstanceOf(TransientError);
    expect(err.name).toBe('TransientError');
    expect(err.message).toContain(`Alpaca venue ALPX (secret ${ARN})`);
    expect(`${err.message} ${err.stack} ${JSON.stringify(err)}`).not.toContain(SECRET);
    expect(broker.calls).toEqual([]);
    expect(reports).toEqual([]);
    return err as TransientError;
  }

  test('one GET per secret per container (concurrent first calls share it), with the token; the broker gets the pair', async () => {
    ext.secrets.set(ARN, { SecretString: KEY_PAIR });
    ext.secrets.set('oms/alpaca/live', {
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
    // The ARN's colons and the name's slash arrive intact (the query string is encoded).
    expect(ext.requests).toEqual(
      expect.arrayContaining([
        { method: 'GET', path: '/secretsmanager/get', secretId: ARN, token: TOKEN },
        { method: 'GET', path: '/secretsmanager/get', secretId: 'oms/alpaca/live', token: TOKEN },
      ]),
    );
    expect(ext.requests).toHaveLength(2);
    expect(broker.calls.length).toBeGreaterThanOrEqual(5);
    for (const call of broker.calls)
      expect([
        ['PKAWS1', SECRET],
        ['PKLIVE', 'live-secret'],
      ]).toContainEqual([call.headers['APCA-API-KEY-ID'], call.headers['APCA-API-SECRET-KEY']]);
  });

  test.each([
    [400, 'access denied or not found (the extension passes on a 400 from Secrets Manager)'],
    [403, 'refused'],
    [404, 'not found'],
    [429, 'throttled'],
    [500, 'failing'],
  ])(
    'the extension answers HTTP %i (%s): TransientError, body not quoted, nothing sent; the next call reads again',
    async (status) => {
      ext.secrets.set(ARN, { SecretString: KEY_PAIR });
      ext.failNext.push(status);
      const { broker, reports, venues } = venueWith([{ ...BASE, secretArn: ARN }]);
      const venue = venues[0] as AlpacaBrokerVenue;
      const err = await expectFailedRead(venue, broker, reports);
      expect(err.original).toBe(`SecretsExtensionHttp${status}`);
      expect(err.message).toContain(`the Parameters and Secrets extension answered HTTP ${status}`);
      // The failure is not kept: a retry reads the secret again and gets through.
      await venue.submit(ORDER);
      expect(ext.reads()).toEqual([ARN, ARN]);
      expect(broker.calls).toHaveLength(1);
    },
  );

  test('a secret the extension cannot find: TransientError, HTTP status named', async () => {
    const { broker, reports, venues } = venueWith([{ ...BASE, secretArn: ARN }]);
    const err = await expectFailedRead(venues[0] as AlpacaBrokerVenue, broker, reports);
    expect(err.original).toBe('SecretsExtensionHttp400');
  });

  test('a wrong token is refused by the extension: TransientError', async () => {
    ext.secrets.set(ARN, { SecretString: KEY_PAIR });
    const { broker, reports, venues } = venueWith(
      [{ ...BASE, secretArn: ARN }],
      secretsExtensionGet(ext.env({ AWS_SESSION_TOKEN: 'another-token' })),
    );
    const err = await expectFailedRead(venues[0] as AlpacaBrokerVenue, broker, reports);
    expect(err.original).toBe('SecretsExtensionHttp400');
    expect(ext.requests.map((r) => r.token)).toEqual(['another-token']);
  });

  test('no AWS_SESSION_TOKEN or a bad port: TransientError naming the variable, nothing asked', async () => {
    for (const env of [
      ext.env({ AWS_SESSION_TOKEN: undefined }),
      ext.env({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '70000' }),
      ext.env({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: 'abc' }),
    ]) {
      const { broker, reports, venues } = venueWith([{ ...BASE, secretArn: ARN }], secretsExtensionGet(env));
      const err = await expectFailedRead(venues[0] as AlpacaBrokerVenue, broker, reports);
      expect(err.original).toBe('SecretsExtensionConfig');
      expect(err.message).toMatch(
        /AWS_SESSION_TOKEN is not set|PARAMETERS_SECRETS_EXTENSION_HTTP_PORT is not a port/,
      );
    }
    expect(ext.requests).toEqual([]);
  });

  test('the extension unreachable: TransientError (ECONNREFUSED); once it answers, the next call reads', async () => {
    ext.secrets.set(ARN, { SecretString: KEY_PAIR });
    const env = ext.env({ PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(await closedPort()) });
    const { broker, reports, venues } = venueWith([{ ...BASE, secretArn: ARN }], secretsExtensionGet(env));
    const venue = venues[0] as AlpacaBrokerVenue;
    const err = await expectFailedRead(venue, broker, reports);
    expect(err.original).toBe('ECONNREFUSED');
    expect(err.message).toContain('the Parameters and Secrets extension did not answer (ECONNREFUSED)');
    // The port is read on each call: the same getter reaches the extension once it is there.
    env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String(ext.port);
    await venue.submit(ORDER);
    expect(ext.reads()).toEqual([ARN]);
    expect(broker.calls).toHaveLength(1);
  });

  test('the extension too slow: TransientError (TimeoutError) after the timeout', async () => {
    ext.hang.add(ARN);
    const { broker, reports, venues } = venueWith(
      [{ ...BASE, secretArn: ARN }],
      secretsExtensionGet(ext.env(), 200),
    );
    const err = await expectFailedRead(venues[0] as AlpacaBrokerVenue, broker, reports);
    expect(err.original).toBe('TimeoutError');
  });

  test('the default port is 2773 (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT unset)', async () => {
    const urls: string[] = [];
    const fetchSpy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (input) => {
      urls.push(String(input));
      return new Response(JSON.stringify({ SecretString: KEY_PAIR }), { status: 200 });
    });
    try {
      const get = secretsExtensionGet({ AWS_SESSION_TOKEN: TOKEN });
      const credentials = await secretsManagerAlpacaCredentials(get)('ALPX', ARN);
      expect(credentials.keyId).toBe('PKAWS1');
    } finally {
      fetchSpy.mockRestore();
    }
    expect(urls).toEqual([`http://localhost:2773/secretsmanager/get?secretId=${encodeURIComponent(ARN)}`]);
  });

  test.each([
    [
      'a 200 answer that is not JSON (the value itself)',
      SECRET,
      'SecretsExtensionMalformedAnswer',
      /answer is not JSON/,
    ],
    [
      'a secret that is not JSON',
      JSON.stringify({ SecretString: SECRET }),
      'AlpacaSecretMalformed',
      /the secret is not JSON/,
    ],
    [
      'JSON without the secret field',
      JSON.stringify({ SecretString: JSON.stringify({ keyId: 'K', password: SECRET }) }),
      'AlpacaSecretMalformed',
      /missing: secret\)/,
    ],
    [
      'JSON with an empty keyId',
      JSON.stringify({ SecretString: JSON.stringify({ keyId: '', secret: SECRET }) }),
      'AlpacaSecretMalformed',
      /missing: keyId\)/,
    ],
    [
      'a binary secret',
      JSON.stringify({ SecretBinary: 'AQI=' }),
      'AlpacaSecretMalformed',
      /missing: SecretString\)/,
    ],
  ])('%s: TransientError naming what is wrong, never the value', async (_what, body, original, message) => {
    ext.secrets.set(ARN, { SecretString: KEY_PAIR });
    ext.rawNext = body;
    const { configs } = venueWith([{ ...BASE, secretArn: ARN }]);
    const err = await errorOf(() => configs[0]?.credentials());
    expect(err).toBeInstanceOf(TransientError);
    expect((err as TransientError).original).toBe(original);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`Alpaca venue ALPX (secret ${ARN})`);
    expect(`${err.message} ${err.stack}`).not.toContain(SECRET);
    // Not kept either: the next call reads again (and gets the fixed secret).
    expect((await configs[0]?.credentials())?.keyId).toBe('PKAWS1');
    expect(ext.reads()).toEqual([ARN, ARN]);
  });

  test('an injected getter replaces the extension (as the SDK client could be)', async () => {
    const asked: string[] = [];
    const get: SecretsExtensionGet = async (secretId) => {
      asked.push(secretId);
      return { status: 200, body: JSON.stringify({ SecretString: KEY_PAIR }) };
    };
    const resolve = secretsManagerAlpacaCredentials(get);
    const [a, b] = await Promise.all([resolve('ALPX', ARN), resolve('ALPX', ARN)]);
    expect(b).toBe(a);
    expect(a.secret()).toBe(SECRET);
    expect(asked).toEqual([ARN]);
    expect(ext.requests).toEqual([]);
  });

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
      ext.secrets.set(ARN, { SecretString: KEY_PAIR });
      ext.failNext.push(403);
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

  test("wiring's venues read their secrets through the extension (the function's env), once", async () => {
    ext.secrets.set(ARN, { SecretString: KEY_PAIR });
    const env = {
      OMS_ALPACA_VENUES: JSON.stringify([{ ...BASE, secretArn: ARN }]),
      AWS_SESSION_TOKEN: TOKEN,
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String(ext.port),
    };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      // wiring reads OMS_ALPACA_VENUES on first use (nothing else in this file uses it).
      const [config] = wiring.alpacaVenueConfigs();
      const [a, b] = await Promise.all([config?.credentials(), config?.credentials()]);
      expect(a?.keyId).toBe('PKAWS1');
      expect(b).toBe(a);
      expect((await config?.credentials())?.secret()).toBe(SECRET);
      expect(ext.reads()).toEqual([ARN]);
      expect(wiring.deployedVenues()).toContain('ALPX');
    } finally {
      for (const k of Object.keys(env)) if (saved[k] === undefined) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
