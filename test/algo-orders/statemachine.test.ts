/**
 * The algo-order ASL (algorithmic parents): valid (asl-validator), and executed with
 * aws-local-stepfunctions, each Lambda replaced by a local function keyed by its state's name.
 * The budget of issue 5: at most 2 state transitions a slice, and the worst case (390 slices;
 * fills never pass through this workflow) well under Step Functions' 25,000-event history, under
 * 12,500 as the issue asks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';

type Json = Record<string, unknown>;
const aslValidator: (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
} = require('asl-validator');

const text = readFileSync(join(__dirname, '../../statemachines/algo-order.asl.json'), 'utf8');
const arnOf = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
const definition = JSON.parse(text.replace(/\$\{(\w+)\}/g, (_m, name: string) => arnOf(name))) as {
  States: Record<string, Json>;
};

const PAST = new Date(Date.now() - 3600_000).toISOString();
const slices = (n: number) => Array.from({ length: n }, (_, index) => ({ index, at: PAST, qty: '1' }));

class NamedError extends Error {
  constructor(name: string) {
    super(`${name} happened`);
    this.name = name;
  }
}

interface Run {
  readonly ok: boolean;
  readonly states: string[];
  readonly released: number[];
  readonly error: unknown;
}

async function run(
  n: number,
  opts: { stopAt?: number; failStart?: boolean; risk?: 'accepted' | 'rejected' | 'fails' } = {},
): Promise<Run> {
  const released: number[] = [];
  const lambda = (f: (p: Json) => unknown) => async (input: Json) => ({
    Payload: await f(input.Payload as Json),
    StatusCode: 200,
  });
  const local = {
    'Check pre-trade risk': lambda(() => {
      if (opts.risk === 'fails') throw new NamedError('Boom');
      // The lifecycle's check says whether a Risk Guardian is configured: the parent ignores it
      // (each child is put to the guardian by its own lifecycle).
      return { decision: opts.risk ?? 'accepted', riskGuardian: true, reason: null, refusals: [] };
    }),
    'Start algorithm': lambda(() => {
      if (opts.failStart) throw new NamedError('Boom');
      return { orderId: 'p-1', status: 'new', slices: slices(n), windowEnd: PAST };
    }),
    'Release slice': lambda((p) => {
      const index = p.index as number;
      if (opts.stopAt !== undefined && index >= opts.stopAt) throw new NamedError('ScheduleStopped');
      released.push(index);
      return { orderId: p.orderId, index, decision: 'released' };
    }),
    'Finish algorithm': lambda((p) => ({ orderId: p.orderId, status: 'filled' })),
    'Record exception': lambda((p) => ({ orderId: p.orderId, status: 'pending_cancel' })),
  };
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true } });
  const execution = machine.run({ orderId: 'p-1', accountId: 'a-1', submittedAt: PAST } as never, {
    overrides: {
      taskResourceLocalHandlers: local as never,
      retryIntervalOverrides: Object.fromEntries(Object.keys(local).map((k) => [k, 0])),
    },
  });
  const states: string[] = [];
  const collect = (async () => {
    for await (const e of execution.eventLogs as AsyncIterable<{ type: string; state?: { name: string } }>) {
      if (e.type === 'StateEntered' && e.state) states.push(e.state.name);
    }
  })();
  try {
    await execution.result;
    await collect;
    return { ok: true, states, released, error: undefined };
  } catch (error) {
    await collect.catch(() => undefined);
    return { ok: false, states, released, error };
  }
}

/** Step Functions history events a state adds (Standard workflows): what the budget is counted in. */
function historyEvents(states: readonly string[]): number {
  const all: Record<string, Json> = {
    ...definition.States,
    ...((definition.States['Run schedule']?.ItemProcessor as { States: Record<string, Json> } | undefined)
      ?.States ?? {}),
  };
  let events = 2; // ExecutionStarted, ExecutionSucceeded/Failed
  for (const name of states) {
    const type = all[name]?.Type;
    // Task: entered, scheduled, started, succeeded, exited. Map: entered, started, succeeded, exited.
    events += type === 'Task' ? 5 : type === 'Map' ? 4 : 2;
    if (name === 'Wait for slice') events += 2; // the Map iteration's started and succeeded
  }
  return events;
}

describe('algo-order.asl.json', () => {
  test('is a valid definition', () => {
    const r = aslValidator(definition);
    expect(r.errors).toEqual([]);
    expect(r.isValid).toBe(true);
  });

  test('the worst case, 390 slices: 2 state transitions a slice, under 12,500 history events', async () => {
    const r = await run(390);
    expect(r.ok).toBe(true);
    expect(r.released).toEqual(Array.from({ length: 390 }, (_, i) => i)); // in order, one at a time
    const perSlice = r.states.filter((s) => s === 'Wait for slice' || s === 'Release slice').length / 390;
    expect(perSlice).toBe(2);
    expect(r.states.filter((s) => s !== 'Wait for slice' && s !== 'Release slice')).toEqual([
      'Check pre-trade risk',
      'Accepted?',
      'Start algorithm',
      'Run schedule',
      'Wait for window end',
      'Finish algorithm',
      'Algorithm finished',
    ]);
    const events = historyEvents(r.states);
    expect(events).toBeLessThan(12_500);
    expect(events).toBeGreaterThan(390 * 9); // the estimate counts every slice's events
  }, 60_000);

  test('ScheduleStopped (the parent filled or was canceled) ends the Map; the parent is finished', async () => {
    const r = await run(10, { stopAt: 3 });
    expect(r.ok).toBe(true);
    expect(r.released).toEqual([0, 1, 2]);
    // (The local interpreter may log an iteration it was starting as the Map stopped.)
    expect(r.states.filter((s) => s !== 'Wait for slice' && s !== 'Release slice')).toEqual([
      'Check pre-trade risk',
      'Accepted?',
      'Start algorithm',
      'Run schedule',
      'Finish algorithm',
      'Algorithm finished',
    ]);
  });

  test('a failing step records the exception on the parent, then the execution fails', async () => {
    const r = await run(3, { failStart: true });
    expect(r.ok).toBe(false);
    expect(r.states).toEqual([
      'Check pre-trade risk',
      'Accepted?',
      'Start algorithm',
      'Start failed',
      'Record exception',
      'Algorithm failed',
    ]);
  });

  test('a parent refused by the pre-trade re-check is never planned: no child is placed', async () => {
    const r = await run(3, { risk: 'rejected' });
    expect(r.ok).toBe(true);
    expect(r.states).toEqual(['Check pre-trade risk', 'Accepted?', 'Parent rejected']);
    expect(r.released).toEqual([]);
  });

  test('a failing re-check records the exception (the parent is rejected: it never reached the venue)', async () => {
    const r = await run(3, { risk: 'fails' });
    expect(r.ok).toBe(false);
    expect(r.states).toEqual([
      'Check pre-trade risk',
      'Risk check failed',
      'Record exception',
      'Algorithm failed',
    ]);
  });
});
