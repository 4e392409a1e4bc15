import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalLambdaRuntime } from '../../local/lambda-runtime.js';
import { type FunctionSpec, type InvokeResult, LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../local/types.js';

const repoRoot = path.resolve(__dirname, '../..');
const FIXTURE = 'test/local/fixtures/lambda-handler.ts';

function fn(logicalId: string, over: Partial<FunctionSpec> = {}): FunctionSpec {
  const functionName = over.functionName ?? `oms-${logicalId.toLowerCase()}`;
  return {
    logicalId,
    functionName,
    arn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    entry: FIXTURE,
    handlerExport: 'handler',
    environment: {},
    timeoutSeconds: 5,
    memoryMb: 256,
    ...over,
  };
}

const FUNCTIONS: readonly FunctionSpec[] = [
  fn('FnA', { environment: { ONLY_A: 'a', SHARED: 'from-a', BASE_WINS: 'function' } }),
  fn('FnB', { environment: { ONLY_B: 'b', SHARED: 'from-b' } }),
  fn('Slow', { timeoutSeconds: 0.4 }),
  fn('Crashy'),
  fn('BadInit', { entry: 'test/local/fixtures/lambda-init-error.ts' }),
  fn('GoodInit', {
    entry: 'test/local/fixtures/lambda-init-error.ts',
    environment: { FIXTURE_INIT_OK: 'yes' },
  }),
  fn('NoHandler', { entry: 'test/local/fixtures/lambda-helper.ts' }),
  fn('Missing', { entry: 'test/local/fixtures/does-not-exist.ts' }),
  fn('RouteOrder', { entry: 'lambdas/order-lifecycle/route-order.ts', environment: { VENUE_NAME: 'XTST' } }),
];

const BASE_ENV = {
  BASE_ONLY: 'base',
  BASE_WINS: 'base',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  AWS_ACCESS_KEY_ID: 'local',
};

function ok(result: InvokeResult): unknown {
  if (!result.ok) throw new Error(`invocation failed: ${result.errorType}: ${result.errorMessage}`);
  return result.payload;
}

function payloadOf<T>(result: InvokeResult): T {
  return ok(result) as T;
}

describe('LocalLambdaRuntime', () => {
  let runtime: LocalLambdaRuntime;

  beforeAll(() => {
    process.env.PARENT_ONLY = 'parent';
    runtime = new LocalLambdaRuntime(FUNCTIONS, { baseEnv: BASE_ENV, repoRoot, quiet: true });
  });

  afterAll(async () => {
    delete process.env.PARENT_ONLY;
    await runtime.close();
  });

  test('each function sees only its own environment, base env last, nothing inherited', async () => {
    const keys = [
      'ONLY_A',
      'ONLY_B',
      'SHARED',
      'BASE_ONLY',
      'BASE_WINS',
      'PARENT_ONLY',
      'AWS_LAMBDA_FUNCTION_NAME',
      'AWS_REGION',
      'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
    ];
    const [a, b] = await Promise.all([
      runtime.invoke('FnA', { action: 'env', keys }),
      runtime.invoke('FnB', { action: 'env', keys }),
    ]);
    expect(ok(a)).toEqual({
      ONLY_A: 'a',
      ONLY_B: null,
      SHARED: 'from-a',
      BASE_ONLY: 'base',
      BASE_WINS: 'base',
      PARENT_ONLY: null,
      AWS_LAMBDA_FUNCTION_NAME: 'oms-fna',
      AWS_REGION: LOCAL_REGION,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    });
    expect(ok(b)).toMatchObject({
      ONLY_A: null,
      ONLY_B: 'b',
      SHARED: 'from-b',
      AWS_LAMBDA_FUNCTION_NAME: 'oms-fnb',
    });
  });

  test('a function mutating process.env does not change another function or this process', async () => {
    expect(ok(await runtime.invoke('FnA', { action: 'setenv', value: 'mutated' }))).toEqual({
      shared: 'mutated',
    });
    expect(ok(await runtime.invoke('FnA', { action: 'env', keys: ['SHARED'] }))).toEqual({
      SHARED: 'mutated',
    });
    expect(ok(await runtime.invoke('FnB', { action: 'env', keys: ['SHARED'] }))).toEqual({
      SHARED: 'from-b',
    });
    expect(process.env.SHARED).toBeUndefined();
  });

  test('warm reuse: module state persists across invocations in the same worker', async () => {
    const first = payloadOf<{ calls: number; threadId: number; tag: string }>(
      await runtime.invoke('FnB', { action: 'count' }),
    );
    const second = payloadOf<{ calls: number; threadId: number }>(
      await runtime.invoke('FnB', { action: 'count' }),
    );
    expect(first.tag).toBe('helper-loaded');
    expect(second.threadId).toBe(first.threadId);
    expect(second.calls).toBe(first.calls + 1);
  });

  test.each([
    ['logical id', 'FnB'],
    ['function name', 'oms-fnb'],
    ['ARN', `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:oms-fnb`],
    ['qualified ARN', `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:oms-fnb:$LATEST`],
    ['qualified name', 'oms-fnb:$LATEST'],
  ])('resolves a function by %s', async (_kind, ref) => {
    const context = payloadOf<Record<string, unknown>>(await runtime.invoke(ref, { action: 'context' }));
    expect(context.functionName).toBe('oms-fnb');
    expect(context.invokedFunctionArn).toBe(
      ref.startsWith('arn:') ? ref : `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:oms-fnb`,
    );
  });

  test.each(['Nope', 'oms-fnb:2', `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:function:nope`])(
    'an unknown ref %s rejects with ResourceNotFoundException',
    async (ref) => {
      await expect(runtime.invoke(ref, {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    },
  );

  test('the context object is Lambda-like', async () => {
    const context = payloadOf<Record<string, unknown>>(await runtime.invoke('FnA', { action: 'context' }));
    expect(context).toMatchObject({
      functionName: 'oms-fna',
      functionVersion: '$LATEST',
      memoryLimitInMB: '256',
      logGroupName: '/aws/lambda/oms-fna',
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.awsRequestId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(context.remaining).toBeGreaterThan(3000);
    expect(context.remaining).toBeLessThanOrEqual(5000);
  });

  test.each([
    [{ action: 'fail', message: 'no such order' }, 'FixtureFailure', 'no such order'],
    [{ action: 'throw-string' }, 'string', 'plain string'],
  ])('a thrown error maps to errorType/errorMessage (%o)', async (event, errorType, errorMessage) => {
    const result = await runtime.invoke('FnA', event);
    expect(result).toMatchObject({ ok: false, errorType, errorMessage });
    if (!result.ok && errorType !== 'string') {
      expect(result.stackTrace?.[0]).toBe(`${errorType}: ${errorMessage}`);
    }
    // A handler error does not recycle the environment.
    expect(ok(await runtime.invoke('FnA', { action: 'env', keys: ['SHARED'] }))).toEqual({
      SHARED: 'mutated',
    });
  });

  test('a timeout answers Sandbox.Timedout and the next invocation gets a fresh worker', async () => {
    const warm = payloadOf<{ calls: number; threadId: number }>(
      await runtime.invoke('Slow', { action: 'count' }),
    );
    const started = Date.now();
    const timedOut = await runtime.invoke('Slow', { action: 'sleep', ms: 5000 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(timedOut).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
    if (!timedOut.ok) expect(timedOut.errorMessage).toMatch(/Task timed out after 0\.40 seconds$/);
    const fresh = payloadOf<{ calls: number; threadId: number }>(
      await runtime.invoke('Slow', { action: 'count' }),
    );
    expect(fresh.threadId).not.toBe(warm.threadId);
    expect(fresh.calls).toBe(1);
  });

  test('a handler blocking its event loop still times out, and the runtime recovers', async () => {
    const result = await runtime.invoke('Slow', { action: 'spin', ms: 1500 });
    expect(result).toMatchObject({ ok: false, errorType: 'Sandbox.Timedout' });
    expect(ok(await runtime.invoke('Slow', { action: 'count' }))).toMatchObject({ calls: 1 });
  });

  test('a crash fails the in-flight invocations with Runtime.ExitError, then a fresh worker serves', async () => {
    const before = payloadOf<{ threadId: number }>(await runtime.invoke('Crashy', { action: 'count' }));
    const [crashed, bystander] = await Promise.all([
      runtime.invoke('Crashy', { action: 'crash' }),
      runtime.invoke('Crashy', { action: 'sleep', ms: 2000 }),
    ]);
    expect(crashed).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    if (!crashed.ok) expect(crashed.errorMessage).toContain('RangeError: boom outside the handler');
    expect(bystander).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    const after = payloadOf<{ calls: number; threadId: number }>(
      await runtime.invoke('Crashy', { action: 'count' }),
    );
    expect(after.threadId).not.toBe(before.threadId);
    expect(after.calls).toBe(1);
  });

  test('process.exit in a handler is a Runtime.ExitError with the exit status', async () => {
    const result = await runtime.invoke('Crashy', { action: 'exit' });
    expect(result).toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    if (!result.ok) expect(result.errorMessage).toMatch(/exit status 3$/);
    expect(ok(await runtime.invoke('Crashy', { action: 'count' }))).toMatchObject({ calls: 1 });
  });

  test.each([
    ['BadInit', 'ConfigMissing', /FIXTURE_INIT_OK is not set/],
    ['NoHandler', 'Runtime.HandlerNotFound', /does not export a function 'handler'/],
    ['Missing', 'Runtime.ImportModuleError', /does-not-exist/],
  ])('init failure of %s answers %s (and is retried on the next invoke)', async (ref, errorType, message) => {
    for (let i = 0; i < 2; i += 1) {
      const result = await runtime.invoke(ref, {});
      expect(result).toMatchObject({ ok: false, errorType });
      if (!result.ok) expect(result.errorMessage).toMatch(message);
    }
  });

  test('the same module initialises when its environment is right', async () => {
    expect(await runtime.invoke('GoodInit', {})).toEqual({ ok: true, payload: 'initialised' });
  });

  test('overlapping invocations share one warm worker by default', async () => {
    const results = await Promise.all(
      [0, 1, 2].map(() => runtime.invoke('FnB', { action: 'sleep', ms: 150 })),
    );
    const threads = new Set(results.map((r) => payloadOf<{ threadId: number }>(r).threadId));
    expect(threads.size).toBe(1);
  });

  test('payloads cross as JSON: undefined becomes null, Dates become strings', async () => {
    const result = await runtime.invoke('FnA', { action: 'echo', at: new Date(0), gone: undefined });
    expect(result).toEqual({
      ok: true,
      payload: { event: { action: 'echo', at: '1970-01-01T00:00:00.000Z' } },
    });
    expect(await runtime.invoke('FnA', { action: 'nothing' })).toEqual({ ok: true, payload: null });
  });

  test('a real project handler loads (TypeScript, .js suffixes, ESM dependencies) and runs', async () => {
    const submittedAt = new Date().toISOString();
    const result = await runtime.invoke('RouteOrder', { orderId: 'o-1', timeInForce: 'gtc', submittedAt });
    const payload = payloadOf<{ venue: string; outcomeTimeoutSeconds: number }>(result);
    expect(payload.venue).toBe('XTST');
    expect(payload.outcomeTimeoutSeconds).toBeGreaterThan(0);
    const bad = await runtime.invoke('RouteOrder', { orderId: '' });
    expect(bad.ok).toBe(false);
  });
});

describe('LocalLambdaRuntime options', () => {
  test('maxWorkersPerFunction gives overlapping invocations their own environments', async () => {
    const runtime = new LocalLambdaRuntime([fn('Pooled')], {
      baseEnv: {},
      repoRoot,
      quiet: true,
      maxWorkersPerFunction: 2,
    });
    try {
      const results = await Promise.all(
        [0, 1].map(() => runtime.invoke('Pooled', { action: 'sleep', ms: 300 })),
      );
      const threads = results.map((r) => payloadOf<{ threadId: number; calls: number }>(r));
      expect(new Set(threads.map((t) => t.threadId)).size).toBe(2);
      expect(threads.map((t) => t.calls)).toEqual([1, 1]);
    } finally {
      await runtime.close();
    }
  });

  test('handler output goes to logFile with a [functionName] prefix', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lambda-log-'));
    const logFile = path.join(dir, 'handlers.log');
    const runtime = new LocalLambdaRuntime([fn('Talky')], { baseEnv: {}, repoRoot, logFile });
    try {
      expect(ok(await runtime.invoke('Talky', { action: 'log', message: 'world' }))).toEqual({
        logged: true,
      });
      const deadline = Date.now() + 5000;
      let text = '';
      while (Date.now() < deadline) {
        text = readFileSync(logFile, 'utf8');
        if (text.includes('to stderr') && text.includes('hello world')) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(text.split('\n')).toEqual(
        expect.arrayContaining(['[oms-talky] hello world', '[oms-talky] to stderr']),
      );
    } finally {
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('warmUp starts the workers ahead: the first invocation finds a warm environment', async () => {
    const runtime = new LocalLambdaRuntime([fn('Warm'), fn('Cold')], { baseEnv: {}, repoRoot, quiet: true });
    try {
      await runtime.warmUp(['Warm']);
      const invokedAt = Date.now();
      const [warm, cold] = await Promise.all(
        ['Warm', 'Cold'].map(async (ref) =>
          payloadOf<{ calls: number; loadedAt: number }>(await runtime.invoke(ref, { action: 'count' })),
        ),
      );
      expect(warm?.calls).toBe(1);
      expect(warm?.loadedAt).toBeLessThanOrEqual(invokedAt);
      expect(cold?.loadedAt).toBeGreaterThanOrEqual(invokedAt);
      await expect(runtime.warmUp(['Nope'])).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      await runtime.close();
    }
  });

  test('close() answers in-flight invocations and refuses new ones', async () => {
    const runtime = new LocalLambdaRuntime([fn('Closing')], { baseEnv: {}, repoRoot, quiet: true });
    const inflight = runtime.invoke('Closing', { action: 'sleep', ms: 10_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await runtime.close();
    await expect(inflight).resolves.toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    await expect(runtime.invoke('Closing', {})).rejects.toThrow(/closed/);
  });
});
