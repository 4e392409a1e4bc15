/**
 * The order-lifecycle ASL: valid (asl-validator), and every path EXECUTED with
 * aws-local-stepfunctions, each Lambda replaced by a local function keyed by its (fake) ARN.
 *
 * `.waitForTaskToken`: aws-local-stepfunctions does not pause for a task token; it runs the
 * Task's local handler and takes its return value as the task's result, racing it against the
 * state's timeout. So the local handlers of the waiting tasks (`Submit and await outcome`, `Await
 * outcome`, `Hold until triggered`) simulate the callback: they resolve
 * with what the signaller's SendTaskSuccess would send (`{orderId, status, seq}`), or never
 * resolves to let the TimeoutSecondsPath expire. The token comes from the context object.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { answer, nextStep } from '../../lambdas/order-lifecycle/accept-order.js';
import { TRANSIENT_ERROR_NAMES } from '../../lambdas/platform/transient-errors.js';

type Json = Record<string, unknown>;
// asl-validator ships no type declarations.
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
} = require('asl-validator');
type Handler = (payload: Json) => Promise<unknown>;

const PLACEHOLDERS = [
  'AcceptOrderFunctionArn',
  'AskRiskGuardianFunctionArn',
  'HoldUntilTriggeredFunctionArn',
  'SubmitToVenueFunctionArn',
  'AwaitOutcomeFunctionArn',
  'ExpireOrderFunctionArn',
  'RecordExceptionFunctionArn',
] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];
const arnOf = (name: Placeholder) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

const text = readFileSync(join(__dirname, '../../statemachines/order-lifecycle.asl.json'), 'utf8');
const substituted = text.replace(/\$\{(\w+)\}/g, (_m, name: string) => arnOf(name as Placeholder));
const definition = JSON.parse(substituted) as { States: Record<string, Json> };
const taskStates = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');

const INPUT = {
  orderId: 'ord-1',
  accountId: 'acc-1',
  symbol: 'AAPL',
  orderType: 'market',
  timeInForce: 'day',
  extendedHours: false,
  submittedAt: '2025-07-15T14:00:00.000Z',
  replacement: false,
};

const never = () => new Promise<never>(() => {});
class NamedError extends Error {
  constructor(name: string, message = `${name} happened`) {
    super(message);
    this.name = name;
  }
}

interface AcceptAs {
  /** Pre-trade risk refuses the order. */
  readonly rejected?: boolean;
  /** The Risk Guardian must approve (RISK_GUARDIAN_URL is set). */
  readonly guardian?: boolean;
  /** The venue does not hold the order's type: the OMS holds the trigger. */
  readonly hold?: boolean;
  readonly timeoutSeconds?: number;
}

/**
 * `Accept order` as accept-order.ts decides (its own table test: test/order-lifecycle/accept-order.test.ts),
 * answering as it does: `submit` and `await` returned, the other decisions thrown (`answer`).
 */
function acceptAs(o: AcceptAs = {}): Handler {
  return async (p) => {
    const stage = ((p.stage as string | undefined) ?? 'new') as Parameters<typeof nextStep>[0]['stage'];
    const replacement = p.replacement === true;
    const risk =
      !replacement && stage === 'new'
        ? {
            decision: o.rejected ? ('rejected' as const) : ('accepted' as const),
            riskGuardian: o.guardian === true,
          }
        : null;
    const next = nextStep({ replacement, stage, risk, holdTrigger: o.hold === true });
    if (next === 'rejected' || next === 'guardian') {
      const reason = next === 'rejected' ? 'max_order_qty: qty 5000 exceeds the limit 1000' : null;
      return answer({ next, venue: null, outcomeTimeoutSeconds: null, reason });
    }
    const result = { next, venue: 'SIMX', outcomeTimeoutSeconds: o.timeoutSeconds ?? 30, reason: null };
    return stage === 'held' ? result : answer(result);
  };
}

/** Local functions standing in for the Lambdas: a simple order that is accepted and fills. */
function fillingHandlers(): Record<Placeholder, Handler> {
  return {
    AcceptOrderFunctionArn: acceptAs(),
    AskRiskGuardianFunctionArn: async () => ({ decision: 'approved', reason: null }),
    // A held stop's wait, released by the signaller on its trigger.
    HoldUntilTriggeredFunctionArn: async (p) => ({ orderId: p.orderId, status: 'pending_new', seq: 3 }),
    // Submit and await outcome: released by the signaller on the closing milestone.
    SubmitToVenueFunctionArn: async (p) => ({ orderId: p.orderId, status: 'filled', seq: 5 }),
    AwaitOutcomeFunctionArn: async (p) => ({ orderId: p.orderId, status: 'filled', seq: 5 }),
    ExpireOrderFunctionArn: async (p) => ({ orderId: p.orderId, status: 'expired', expired: true }),
    RecordExceptionFunctionArn: async (p) => ({ orderId: p.orderId, status: 'rejected', recorded: true }),
  };
}

interface Run {
  readonly ok: boolean;
  readonly output: Json | undefined;
  readonly error: unknown;
  /** States entered, in order (each is one state transition in Step Functions' billing). */
  readonly states: string[];
  /** Payloads each function received, by placeholder. */
  readonly calls: Partial<Record<Placeholder, Json[]>>;
}

async function run(
  overrides: Partial<Record<Placeholder, Handler>> = {},
  input: Json = INPUT,
  opts: {
    failState?: string;
    /** The named state's function throws `error` on its first `times` invocations. */
    flaky?: { state: string; error: string; times: number };
    tweak?: (d: typeof definition) => void;
  } = {},
): Promise<Run> {
  const def = JSON.parse(JSON.stringify(definition)) as typeof definition;
  opts.tweak?.(def);
  const byArn = new Map<string, [Placeholder, Handler]>();
  const handlers = { ...fillingHandlers(), ...overrides };
  for (const name of PLACEHOLDERS) byArn.set(arnOf(name), [name, handlers[name]]);

  const calls: Run['calls'] = {};
  const local: Record<string, (input: Json) => Promise<unknown>> = {};
  for (const [stateName, state] of taskStates) {
    const params = state.Parameters as { FunctionName: string };
    const entry = byArn.get(params.FunctionName);
    if (entry === undefined) throw new Error(`no local function for ${params.FunctionName}`);
    const [placeholder, handler] = entry;
    const waits = String(state.Resource).endsWith('.waitForTaskToken');
    local[stateName] = async (taskInput) => {
      const payload = taskInput.Payload as Json;
      const list = calls[placeholder] ?? [];
      list.push(payload);
      calls[placeholder] = list;
      if (stateName === opts.failState) throw new NamedError('Boom', `${stateName} broke`);
      if (stateName === opts.flaky?.state && list.length <= opts.flaky.times)
        throw new NamedError(opts.flaky.error);
      let result: unknown;
      try {
        result = await handler(payload);
      } catch (err) {
        // A function error reaches Step Functions as AWS shapes it: Error = errorType, Cause = the
        // function's error payload as JSON (local/step-functions.ts does the same).
        const e = err as Error;
        throw new NamedError(
          e.name,
          JSON.stringify({ errorMessage: e.message, errorType: e.name, stackTrace: [] }),
        );
      }
      // lambda:invoke returns the Lambda's answer under Payload; waitForTaskToken the callback output.
      return waits ? result : { Payload: result, StatusCode: 200 };
    };
  }
  const machine = new StateMachine(def as never, { validationOptions: { checkPaths: true } });
  const retryIntervalOverrides = Object.fromEntries(taskStates.map(([n]) => [n, 0]));
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: local as never, retryIntervalOverrides },
    context: {
      Execution: { Id: 'exec-1', Name: String(input.orderId), Input: input },
      Task: { Token: 'token-1' },
    } as never,
  });
  const states: string[] = [];
  const collect = (async () => {
    for await (const e of execution.eventLogs as AsyncIterable<{ type: string; state?: { name: string } }>) {
      if (e.type === 'StateEntered' && e.state) states.push(e.state.name);
    }
  })();
  let output: Json | undefined;
  let error: unknown;
  let ok = true;
  try {
    output = (await execution.result) as Json;
  } catch (err) {
    ok = false;
    error = err;
  }
  await collect;
  return { ok, output, error, states, calls };
}

describe('order-lifecycle.asl.json', () => {
  it('is valid ASL once the placeholders are substituted', () => {
    const result = (aslValidator as unknown as (d: unknown) => { isValid: boolean; errors: unknown[] })(
      definition,
    );
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses exactly the documented placeholders', () => {
    const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...PLACEHOLDERS].sort());
  });

  it.each(taskStates.map(([name]) => name))(
    'Task %s retries transient errors with full jitter and catches everything',
    (name) => {
      const state = definition.States[name] as {
        Retry: { ErrorEquals: string[]; JitterStrategy: string; MaxAttempts: number; BackoffRate: number }[];
        Catch: { ErrorEquals: string[]; Next: string }[];
      };
      expect(state.Retry[0]?.ErrorEquals).toEqual(
        expect.arrayContaining(['Lambda.ServiceException', 'Lambda.TooManyRequestsException']),
      );
      for (const r of state.Retry) {
        expect(r.JitterStrategy).toBe('FULL');
        expect(r.BackoffRate).toBeGreaterThan(1);
        expect(r.MaxAttempts).toBeGreaterThan(0);
      }
      expect(state.Catch.some((c) => c.ErrorEquals.includes('States.ALL'))).toBe(true);
    },
  );

  /** What a transient failure inside a handler looks like to Step Functions (the error's name). */
  const HANDLER_TRANSIENT = [
    'TransientError',
    'Sandbox.Timedout',
    'ThrottlingException',
    'ProvisionedThroughputExceededException',
    'TransactionConflictException',
    'TransactionCanceledException',
    'AppendConflict',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
  ];

  it.each(taskStates.map(([name]) => name))(
    'Task %s retries transient handler errors a bounded number of times, with full jitter',
    (name) => {
      const retry = (definition.States[name] as { Retry: Json[] }).Retry;
      const handlerRetry = retry.filter((r) => (r.ErrorEquals as string[]).includes('TransientError'));
      expect(handlerRetry).toHaveLength(1);
      const r = handlerRetry[0] as Json;
      expect(r.ErrorEquals).toEqual(expect.arrayContaining(HANDLER_TRANSIENT));
      // Every name listed is one the handlers' classifier knows (or Step Functions' own).
      const known = new Set<string>([...TRANSIENT_ERROR_NAMES, 'TransientError', 'Sandbox.Timedout']);
      for (const e of r.ErrorEquals as string[]) expect(known).toContain(e);
      expect(r).toMatchObject({ JitterStrategy: 'FULL', BackoffRate: 2, MaxAttempts: 4 });
      expect(r.MaxDelaySeconds).toBeLessThanOrEqual(30);
      // No retrier catches everything: a permanent error goes straight to the Catch.
      for (const x of retry) expect(x.ErrorEquals).not.toContain('States.ALL');
    },
  );

  const ACCEPT_PAYLOAD = {
    orderId: 'ord-1',
    orderType: 'market',
    timeInForce: 'day',
    submittedAt: INPUT.submittedAt,
    extendedHours: false,
    replacement: false,
  };

  it('a simple order that fills enters 2 states (budget: 4 state transitions)', async () => {
    const r = await run();
    expect([r.ok, String(r.error)]).toEqual([true, 'undefined']);
    expect(r.states).toEqual(['Accept order', 'Submit and await outcome']);
    expect(r.states.length).toBeLessThanOrEqual(4);
    expect(r.output?.outcome).toEqual({ orderId: 'ord-1', status: 'filled', seq: 5 });
    // The execution input rides along (its `submitted`: the re-check reads neither the order nor the account).
    expect(r.calls.AcceptOrderFunctionArn).toEqual([{ ...ACCEPT_PAYLOAD, stage: 'new', execution: INPUT }]);
    expect(r.calls.SubmitToVenueFunctionArn).toEqual([
      {
        orderId: 'ord-1',
        venue: 'SIMX',
        taskToken: 'token-1',
        outcomeTimeoutSeconds: 30,
        next: 'submit',
        execution: INPUT,
      },
    ]);
    expect(r.calls.AwaitOutcomeFunctionArn).toBeUndefined();
  });

  it('retries a transient Lambda error and goes on', async () => {
    let calls = 0;
    const accept = acceptAs();
    const r = await run({
      AcceptOrderFunctionArn: async (p) => {
        calls++;
        if (calls === 1) throw new NamedError('Lambda.TooManyRequestsException');
        return accept(p);
      },
    });
    expect(r.ok).toBe(true);
    expect(calls).toBe(2);
    expect(r.states.at(-1)).toBe('Submit and await outcome');
  });

  it.each<[string, string]>([
    ['Accept order', 'ThrottlingException'],
    ['Accept order', 'AppendConflict'],
    ['Accept order', 'Sandbox.Timedout'],
    ['Submit and await outcome', 'ProvisionedThroughputExceededException'],
    ['Submit and await outcome', 'TransientError'],
    ['Submit and await outcome', 'TransactionConflictException'],
    ['Submit and await outcome', 'ServiceUnavailable'],
  ])('%s failing once with %s is retried and the order completes', async (state, error) => {
    const r = await run({}, INPUT, { flaky: { state, error, times: 1 } });
    expect(r.ok).toBe(true);
    expect(r.states.at(-1)).toBe('Submit and await outcome');
    expect(r.calls.RecordExceptionFunctionArn).toBeUndefined();
    // A retry is not a new state (Standard bills it as a transition, though).
    expect(r.states).toHaveLength(2);
    const byState: Record<string, Placeholder> = {
      'Accept order': 'AcceptOrderFunctionArn',
      'Submit and await outcome': 'SubmitToVenueFunctionArn',
    };
    expect(r.calls[byState[state] as Placeholder]).toHaveLength(2);
  });

  it('a transient error that outlasts the retries is recorded as an exception', async () => {
    const r = await run({}, INPUT, {
      flaky: { state: 'Submit and await outcome', error: 'ThrottlingException', times: 99 },
    });
    expect(r.ok).toBe(false);
    // The first attempt and 4 retries.
    expect(r.calls.SubmitToVenueFunctionArn).toHaveLength(5);
    expect(r.states.slice(-3)).toEqual(['Submission failed', 'Record exception', 'Order failed']);
    expect(r.calls.RecordExceptionFunctionArn).toEqual([
      expect.objectContaining({ stage: 'submit_to_venue', error: 'ThrottlingException' }),
    ]);
  });

  it('a permanent handler error is not retried', async () => {
    const r = await run({}, INPUT, {
      flaky: { state: 'Submit and await outcome', error: 'OrderNotFound', times: 99 },
    });
    expect(r.calls.SubmitToVenueFunctionArn).toHaveLength(1);
    expect(r.states.slice(-2)).toEqual(['Record exception', 'Order failed']);
  });

  it('an order refused by pre-trade risk ends rejected and never reaches the venue', async () => {
    const r = await run({ AcceptOrderFunctionArn: acceptAs({ rejected: true, guardian: true }) });
    expect(r.ok).toBe(true);
    expect(r.states).toEqual(['Accept order', 'Order rejected']);
    // The decision is in the history: the caught error's cause carries it.
    const decision = (r.output as { decision: { Error: string; Cause: string } }).decision;
    expect(decision.Error).toBe('Decision.Rejected');
    expect(JSON.parse(JSON.parse(decision.Cause).errorMessage)).toMatchObject({
      next: 'rejected',
      reason: expect.stringContaining('max_order_qty'),
    });
    expect(r.calls.SubmitToVenueFunctionArn).toBeUndefined();
    expect(r.calls.AskRiskGuardianFunctionArn).toBeUndefined();
  });

  const withGuardian: Partial<Record<Placeholder, Handler>> = {
    AcceptOrderFunctionArn: acceptAs({ guardian: true }),
  };

  it('an order the Risk Guardian approves is routed and fills', async () => {
    const r = await run(withGuardian);
    expect(r.ok).toBe(true);
    expect(r.states).toEqual([
      'Accept order',
      'Ask Risk Guardian',
      'Approved by Risk Guardian?',
      'Route approved order',
      'Submit and await outcome',
    ]);
    expect(r.calls.AcceptOrderFunctionArn?.map((p) => p.stage)).toEqual(['new', 'approved']);
  });

  it('an order the Risk Guardian refuses ends rejected', async () => {
    const r = await run({
      ...withGuardian,
      AskRiskGuardianFunctionArn: async () => ({
        decision: 'rejected',
        reason: 'risk_guardian: refused (403)',
      }),
    });
    expect(r.ok).toBe(true);
    expect(r.states.slice(-2)).toEqual(['Approved by Risk Guardian?', 'Order rejected']);
    expect(r.calls.SubmitToVenueFunctionArn).toBeUndefined();
  });

  it.each<[string, Handler, string]>([
    ['does not answer in time', never, 'States.Timeout'],
    ['fails', async () => Promise.reject(new NamedError('Error', 'guardian crashed')), 'Error'],
  ])('fails closed when the Risk Guardian %s: the rejection is recorded', async (_name, guardian, error) => {
    const r = await run(
      { ...withGuardian, AskRiskGuardianFunctionArn: guardian },
      INPUT,
      // The real timeout (10 s) shortened so the test exercises Step Functions' own timer quickly.
      { tweak: (d) => Object.assign(d.States['Ask Risk Guardian'] as Json, { TimeoutSeconds: 1 }) },
    );
    expect(r.ok).toBe(true);
    expect(r.states.slice(-4)).toEqual([
      'Ask Risk Guardian',
      'Risk Guardian unavailable',
      'Reject order (fail closed)',
      'Order rejected',
    ]);
    expect(r.calls.RecordExceptionFunctionArn).toEqual([
      expect.objectContaining({ orderId: 'ord-1', stage: 'ask_risk_guardian', reachedVenue: false, error }),
    ]);
    expect(r.calls.AskRiskGuardianFunctionArn).toHaveLength(1);
    expect(r.calls.SubmitToVenueFunctionArn).toBeUndefined();
  });

  it('a replacement skips acceptance and is not sent again: the submit task only waits for its outcome', async () => {
    const r = await run({}, { ...INPUT, orderId: 'ord-2', replacement: true });
    expect(r.ok).toBe(true);
    expect(r.states).toEqual(['Accept order', 'Submit and await outcome']);
    expect(r.calls.AcceptOrderFunctionArn?.[0]).toMatchObject({ orderId: 'ord-2', replacement: true });
    // `next: await`: submit-to-venue.ts sends nothing (test/broker-gateway/submit-and-await.test.ts).
    expect(r.calls.SubmitToVenueFunctionArn).toEqual([
      {
        orderId: 'ord-2',
        venue: 'SIMX',
        taskToken: 'token-1',
        outcomeTimeoutSeconds: 30,
        next: 'await',
        execution: expect.objectContaining({ orderId: 'ord-2' }),
      },
    ]);
    expect(r.calls.AwaitOutcomeFunctionArn).toBeUndefined();
  });

  it('an order that closed before acceptance routed it only awaits its outcome', async () => {
    const r = await run({
      AcceptOrderFunctionArn: async () => ({
        next: 'await',
        venue: 'SIMX',
        outcomeTimeoutSeconds: 30,
        reason: null,
      }),
    });
    expect(r.states).toEqual(['Accept order', 'Submit and await outcome']);
    expect(r.calls.SubmitToVenueFunctionArn?.[0]).toMatchObject({ next: 'await' });
  });

  it('expires the order when no outcome arrives before the time in force runs out', async () => {
    const r = await run({
      AcceptOrderFunctionArn: acceptAs({ timeoutSeconds: 1 }),
      SubmitToVenueFunctionArn: never,
    });
    expect(r.ok).toBe(true);
    expect(r.states.slice(-3)).toEqual(['Submit and await outcome', 'Expire order', 'Order expired']);
    expect(r.calls.ExpireOrderFunctionArn).toEqual([{ orderId: 'ord-1' }]);
    // The wait is not retried on its timeout: one submission.
    expect(r.calls.SubmitToVenueFunctionArn).toHaveLength(1);
  });

  describe('a stop whose venue does not hold its type: the OMS holds the trigger', () => {
    const STOP = { ...INPUT, orderType: 'stop' };
    const held = (timeoutSeconds = 30): Partial<Record<Placeholder, Handler>> => ({
      AcceptOrderFunctionArn: acceptAs({ hold: true, timeoutSeconds }),
    });

    it('is held until it triggers, routed again (the wait now counts from the trigger), sent, and awaited', async () => {
      const r = await run(held(), STOP);
      expect(r.ok).toBe(true);
      expect(r.states).toEqual([
        'Accept order',
        'Route held order',
        'Hold until triggered',
        'Triggered?',
        'Route triggered order',
        'Submit and await outcome',
      ]);
      expect(r.calls.HoldUntilTriggeredFunctionArn).toEqual([
        { orderId: 'ord-1', taskToken: 'token-1', venue: 'SIMX', outcomeTimeoutSeconds: 30 },
      ]);
      expect(r.calls.AcceptOrderFunctionArn?.map((p) => p.stage)).toEqual(['new', 'held', 'triggered']);
      expect(r.calls.SubmitToVenueFunctionArn).toEqual([
        {
          orderId: 'ord-1',
          venue: 'SIMX',
          taskToken: 'token-1',
          outcomeTimeoutSeconds: 30,
          next: 'submit',
          execution: expect.objectContaining({ orderType: 'stop' }),
        },
      ]);
    });

    it.each(['canceled', 'replaced', 'expired'])(
      'closed (%s) while held: never sent, the outcome is awaited and found closed',
      async (status) => {
        const r = await run(
          {
            ...held(),
            HoldUntilTriggeredFunctionArn: async (p) => ({ orderId: p.orderId, status, seq: 3 }),
            AwaitOutcomeFunctionArn: async (p) => ({ orderId: p.orderId, status, seq: 3 }),
          },
          STOP,
        );
        expect(r.ok).toBe(true);
        expect(r.states.slice(-3)).toEqual(['Hold until triggered', 'Triggered?', 'Await outcome']);
        expect(r.calls.SubmitToVenueFunctionArn).toBeUndefined();
      },
    );

    it('the replacement of a held stop is held in its turn, then sent once it triggers', async () => {
      const r = await run(held(), { ...STOP, orderId: 'ord-2', replacement: true });
      expect(r.ok).toBe(true);
      expect(r.states).toEqual([
        'Accept order',
        'Route held order',
        'Hold until triggered',
        'Triggered?',
        'Route triggered order',
        'Submit and await outcome',
      ]);
      expect(r.calls.AcceptOrderFunctionArn?.[0]).toMatchObject({ replacement: true, stage: 'new' });
    });

    it('expires when its time in force ends before it triggers, never reaching the venue', async () => {
      const r = await run({ ...held(1), HoldUntilTriggeredFunctionArn: never }, STOP);
      expect(r.ok).toBe(true);
      expect(r.states.slice(-3)).toEqual(['Hold until triggered', 'Expire order', 'Order expired']);
      expect(r.calls.HoldUntilTriggeredFunctionArn).toHaveLength(1);
      expect(r.calls.SubmitToVenueFunctionArn).toBeUndefined();
    });
  });

  describe('a failing Task records the exception, then the execution fails', () => {
    const quickTimeout: Partial<Record<Placeholder, Handler>> = {
      AcceptOrderFunctionArn: acceptAs({ timeoutSeconds: 1 }),
      SubmitToVenueFunctionArn: never,
    };
    const holding: Partial<Record<Placeholder, Handler>> = {
      AcceptOrderFunctionArn: acceptAs({ hold: true }),
    };
    const closedWhileHeld: Partial<Record<Placeholder, Handler>> = {
      ...holding,
      HoldUntilTriggeredFunctionArn: async (p) => ({ orderId: p.orderId, status: 'canceled', seq: 3 }),
    };
    const replacing = { ...INPUT, replacement: true };
    it.each<[string, Partial<Record<Placeholder, Handler>>, Json, string, boolean]>([
      ['Accept order', {}, INPUT, 'accept_order', false],
      // A replacement is already at its venue: its failure asks for a cancel.
      ['Accept order', {}, replacing, 'accept_order', true],
      ['Submit and await outcome', {}, INPUT, 'submit_to_venue', true],
      ['Submit and await outcome', {}, replacing, 'submit_to_venue', true],
      ['Route held order', holding, { ...INPUT, orderType: 'stop' }, 'accept_order', false],
      ['Await outcome', closedWhileHeld, { ...INPUT, orderType: 'stop' }, 'await_outcome', true],
      ['Expire order', quickTimeout, INPUT, 'expire_order', true],
      ['Hold until triggered', holding, { ...INPUT, orderType: 'stop' }, 'hold_until_triggered', false],
      ['Route triggered order', holding, { ...INPUT, orderType: 'stop' }, 'accept_order', false],
    ])('%s', async (stateName, handlers, input, stage, reachedVenue) => {
      const r = await run(handlers, input, { failState: stateName });
      expect(r.ok).toBe(false);
      expect(r.states.slice(-4)).toEqual([
        stateName,
        expect.stringMatching(/failed$/),
        'Record exception',
        'Order failed',
      ]);
      expect(r.calls.RecordExceptionFunctionArn).toEqual([
        { orderId: 'ord-1', stage, reachedVenue, error: 'Boom', cause: `${stateName} broke` },
      ]);
    });

    it('Ask Risk Guardian fails closed (see above); if recording that rejection fails too, the execution fails', async () => {
      const r = await run({
        ...withGuardian,
        AskRiskGuardianFunctionArn: async () => Promise.reject(new NamedError('Error')),
        RecordExceptionFunctionArn: async () => Promise.reject(new NamedError('Error', 'table unavailable')),
      });
      expect(r.ok).toBe(false);
      expect(r.states.slice(-5)).toEqual([
        'Risk Guardian unavailable',
        'Reject order (fail closed)',
        'Rejection failed',
        'Record exception',
        // Record exception's own Catch goes straight to the Fail state: nothing is left to record with.
        'Order failed',
      ]);
      expect(r.calls.RecordExceptionFunctionArn?.at(-1)).toMatchObject({ stage: 'reject_order_fail_closed' });
    });
  });
});
