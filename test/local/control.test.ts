/**
 * The /local control endpoints under hostile paths: every one is a 4xx with a stable
 * `{code, message}` body naming what was wrong, and none reaches the store (nothing changes).
 */
import { createLocalControl, type LocalControlDeps } from '../../local/control.js';

function fakeDeps() {
  const sent: unknown[] = [];
  const deps = {
    doc: {
      send: async (command: unknown) => {
        sent.push(command);
        return {};
      },
    },
    topology: {
      functions: [{ environment: { MARKET_TABLE: 'local-market', VENUE_ORDERS_TABLE: 'local-venue' } }],
      stateMachines: [{ arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:orders' }],
    },
    stepFunctions: {
      executionArnFor: (sm: string, name: string) => `${sm}:${name}`,
      historyForConsole: async (arn: string) => {
        throw new Error(`ExecutionDoesNotExist: ${arn}`);
      },
    },
    eventBridge: { delivered: () => [] },
  } as unknown as LocalControlDeps;
  return { deps, sent };
}

const long = 'A'.repeat(2048);
const quote = JSON.stringify({ bid: '10', ask: '10.1', last: '10.05' });

// [method, path, body, status, code]
const HOSTILE: readonly [string, string, string, number, string][] = [
  ['GET', '/local/orders/%E0%A4%A', '', 400, 'invalid_path'],
  ['GET', '/local/market/%E0%A4%A', '', 400, 'invalid_path'],
  ['PUT', '/local/market/%E0%A4%A', quote, 400, 'invalid_path'],
  ['GET', '/local/executions/%', '', 400, 'invalid_path'],
  ['GET', `/local/market/${long}`, '', 400, 'invalid_path'],
  ['PUT', `/local/market/${long}`, quote, 400, 'invalid_path'],
  ['PUT', `/local/venues/${long}`, '{}', 400, 'invalid_path'],
  ['GET', `/local/executions/${long}`, '', 400, 'invalid_path'],
  ['GET', '/local/market/%00', '', 400, 'invalid_path'],
  ['GET', '/local/market/AAPL%0A', '', 400, 'invalid_path'],
  ['GET', '/local/market/AAPL/extra', '', 404, 'not_found'],
  ['GET', '/local/nowhere', '', 404, 'not_found'],
  ['DELETE', '/local/market/AAPL', '', 404, 'not_found'],
  ['PUT', '/local/market/AAPL', 'not json', 400, 'invalid_body'],
  ['PUT', '/local/venues/SIMX', '[1]', 400, 'invalid_body'],
];

describe('/local control: hostile paths answer 4xx {code, message} and change nothing', () => {
  const cases = HOSTILE.map(
    ([method, path, ...rest]) => [`${method} ${path.slice(0, 60)}`, method, path, ...rest] as const,
  );
  it.each(cases)('%s', async (_label, method, path, body, status, code) => {
    const { deps, sent } = fakeDeps();
    const control = createLocalControl(deps);
    const out = await control.handle({
      method,
      path,
      rawQueryString: '',
      headers: {},
      body: Buffer.from(body),
    });
    expect(out.statusCode).toBe(status);
    const parsed = JSON.parse(out.body.toString('utf8'));
    expect(parsed).toEqual({ code, message: expect.any(String) });
    expect(parsed.message.length).toBeLessThan(300); // names the problem, does not echo a 2 KB path
    expect(sent).toEqual([]);
  });

  it('an unexpected failure is a 500 with a fixed body, no internal error text', async () => {
    const { deps } = fakeDeps();
    (deps.doc as unknown as { send: () => Promise<never> }).send = async () => {
      throw new Error('ValidationException: secret internals at /home/x');
    };
    const out = await createLocalControl(deps).handle({
      method: 'GET',
      path: '/local/market/AAPL',
      rawQueryString: '',
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(out.statusCode).toBe(500);
    expect(JSON.parse(out.body.toString('utf8'))).toEqual({
      code: 'internal_error',
      message: 'Internal Server Error',
    });
  });

  it('an ordinary quote read still answers', async () => {
    const { deps, sent } = fakeDeps();
    const out = await createLocalControl(deps).handle({
      method: 'GET',
      path: '/local/market/AAPL',
      rawQueryString: '',
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(out.statusCode).toBe(404); // the fake store has no quote
    expect(JSON.parse(out.body.toString('utf8')).code).toBe('not_found');
    expect(sent).toHaveLength(1);
  });
});
