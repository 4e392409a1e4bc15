import { configuredSessions } from '../../../lambdas/broker-gateway/session-host/host.js';
import { buildSession, sessionKinds } from '../../../lambdas/broker-gateway/session-host/hosted-session.js';

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
