import { containerSecretCredentials } from '../../../lambdas/broker-gateway/alpaca/alpaca-hosted-session.js';
import { configuredSessions } from '../../../lambdas/broker-gateway/session-host/host.js';
import { buildSession, sessionKinds } from '../../../lambdas/broker-gateway/session-host/hosted-session.js';
import { alpacaVenuesFromEnv } from '../../../lambdas/platform/alpaca-venues.js';

const SECRET = 'host-secret-456';
const ENV = {
  OMS_ALPACA_VENUES: JSON.stringify([
    {
      name: 'ALPX',
      baseUrl: 'http://127.0.0.1:9',
      streamUrl: 'ws://127.0.0.1:9/stream',
      keyId: 'K',
      secret: SECRET,
    },
  ]),
  EVENT_BUS_NAME: 'bus',
};

describe('the venue session host runs the Alpaca listeners', () => {
  test('`alpaca` is a registered kind; one session per OMS_ALPACA_VENUES entry, by name only', () => {
    expect(sessionKinds()).toContain('alpaca');
    const sessions = configuredSessions(ENV);
    expect(sessions).toEqual([{ kind: 'alpaca', name: 'ALPX' }]);
    expect(JSON.stringify(sessions)).not.toContain(SECRET);
  });

  test('the session builds from the env; without EVENT_BUS_NAME it fails naming it', () => {
    const log: string[] = [];
    const s = buildSession({ kind: 'alpaca', name: 'ALPX' }, { env: ENV, log: (l) => log.push(l) });
    expect(s.name).toBe('ALPX');
    expect(() =>
      buildSession({ kind: 'alpaca', name: 'ALPX' }, { env: { ...ENV, EVENT_BUS_NAME: '' }, log: () => {} }),
    ).toThrow(/EVENT_BUS_NAME/);
    expect(() => buildSession({ kind: 'alpaca', name: 'NOPE' }, { env: ENV, log: () => {} })).toThrow(
      /no OMS_ALPACA_VENUES entry NOPE/,
    );
  });
});

describe('on AWS: the key pair from the container secrets of the venue secret', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:oms/alpaca/paper-AbCdEf';
  const AWS_ENV = {
    OMS_ALPACA_VENUES: JSON.stringify([{ name: 'ALPX', baseUrl: 'http://127.0.0.1:9', secretArn: ARN }]),
    EVENT_BUS_NAME: 'bus',
  };
  const CONTAINER_SECRETS = { OMS_ALPACA_KEY_ID_ALPX: 'PKHOST', OMS_ALPACA_SECRET_ALPX: SECRET };

  test('every Alpaca venue is a session of the host (its trade_updates listener), by name only', () => {
    expect(configuredSessions({ ...AWS_ENV, ...CONTAINER_SECRETS })).toEqual([
      { kind: 'alpaca', name: 'ALPX' },
    ]);
  });

  test('the resolver reads OMS_ALPACA_KEY_ID_<venue> / OMS_ALPACA_SECRET_<venue>', async () => {
    const env = { ...AWS_ENV, ...CONTAINER_SECRETS };
    const [config] = alpacaVenuesFromEnv(env, containerSecretCredentials(env));
    const credentials = await config?.credentials();
    expect(credentials?.keyId).toBe('PKHOST');
    expect(credentials?.secret()).toBe(SECRET);
    expect(JSON.stringify(credentials)).not.toContain(SECRET);
    expect(buildSession({ kind: 'alpaca', name: 'ALPX' }, { env, log: () => {} }).name).toBe('ALPX');
  });

  test.each([
    [
      'neither',
      {},
      /OMS_ALPACA_KEY_ID_ALPX, OMS_ALPACA_SECRET_ALPX not set \(venue ALPX's container secrets\)/,
    ],
    ['no secret', { OMS_ALPACA_KEY_ID_ALPX: 'PKHOST' }, /OMS_ALPACA_SECRET_ALPX not set/],
    [
      'an empty key id',
      { OMS_ALPACA_KEY_ID_ALPX: '', OMS_ALPACA_SECRET_ALPX: SECRET },
      /OMS_ALPACA_KEY_ID_ALPX not set/,
    ],
  ])(
    'without its container secrets (%s) the session fails to build, naming them',
    async (_what, secrets, message) => {
      const env = { ...AWS_ENV, ...secrets };
      const build = () => buildSession({ kind: 'alpaca', name: 'ALPX' }, { env, log: () => {} });
      expect(build).toThrow(message);
      const err = (() => {
        try {
          build();
        } catch (e) {
          return e as Error;
        }
      })();
      expect(err?.message).not.toContain(SECRET);
      const [config] = alpacaVenuesFromEnv(env, containerSecretCredentials(env));
      await expect(config?.credentials()).rejects.toThrow(message);
    },
  );
});
