/**
 * `Accept order`'s decision (lambdas/order-lifecycle/accept-order.ts `nextStep`), one row per path
 * of statemachines/README.md: what the workflow does after the re-check and routing.
 */
import {
  type AcceptNext,
  type AcceptResult,
  type AcceptStage,
  answer,
  DECISION_ERROR,
  nextStep,
} from '../../lambdas/order-lifecycle/accept-order.js';

type Risk = Parameters<typeof nextStep>[0]['risk'];
const accepted: Risk = { decision: 'accepted', riskGuardian: false };
const guardian: Risk = { decision: 'accepted', riskGuardian: true };
const rejected: Risk = { decision: 'rejected', riskGuardian: false };

describe('nextStep', () => {
  it.each<[string, boolean, AcceptStage, Risk, boolean, AcceptNext]>([
    ['a new order the re-check accepts goes to the venue', false, 'new', accepted, false, 'submit'],
    [
      'a refusal stops the order (even with a Risk Guardian)',
      false,
      'new',
      { decision: 'rejected', riskGuardian: true },
      false,
      'rejected',
    ],
    ['a refused stop is not held', false, 'new', rejected, true, 'rejected'],
    ['with a Risk Guardian the venue waits for its approval', false, 'new', guardian, false, 'guardian'],
    ['approved by the Risk Guardian: routed to the venue', false, 'approved', null, false, 'submit'],
    ['approved, a stop the venue cannot hold: held', false, 'approved', null, true, 'hold'],
    ['a stop the venue cannot hold is held by the OMS', false, 'new', accepted, true, 'hold'],
    ['a triggered stop goes to the venue', false, 'triggered', null, true, 'submit'],
    ['a replacement only awaits its outcome (it is at the venue)', true, 'new', null, false, 'await'],
    ["a held stop's replacement is held again", true, 'new', null, true, 'hold'],
    ["a held stop's replacement, triggered, goes to the venue", true, 'triggered', null, true, 'submit'],
    ['routing a held stop: held', false, 'held', null, true, 'hold'],
    [
      "routing a held stop: held, even if the venue's capabilities changed meanwhile",
      false,
      'held',
      null,
      false,
      'hold',
    ],
    ["routing a held stop's replacement: held", true, 'held', null, true, 'hold'],
  ])('%s', (_case, replacement, stage, risk, holdTrigger, next) => {
    expect(nextStep({ replacement, stage, risk, holdTrigger })).toBe(next);
  });
});

describe('answer: how the workflow learns the decision (no Choice state, issue 12)', () => {
  const decided = (next: AcceptNext): AcceptResult => ({
    next,
    venue: next === 'rejected' || next === 'guardian' ? null : 'SIMX',
    outcomeTimeoutSeconds: next === 'rejected' || next === 'guardian' ? null : 30,
    reason: next === 'rejected' ? 'max_order_qty: qty 5000 exceeds the limit 1000' : null,
  });
  it.each<[AcceptNext, string | null]>([
    // The task's result: both go to `Submit and await outcome`.
    ['submit', null],
    ['await', null],
    // Thrown: the Catch of the state routes them by name (statemachines/order-lifecycle.asl.json).
    ['rejected', 'Decision.Rejected'],
    ['guardian', 'Decision.AskRiskGuardian'],
    ['hold', 'Decision.HoldTrigger'],
  ])('%s -> %s', (next, errorName) => {
    const result = decided(next);
    if (errorName === null) {
      expect(answer(result)).toEqual(result);
      return;
    }
    let thrown: unknown;
    try {
      answer(result);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).name).toBe(errorName);
    // The message is the decision, for the execution history.
    expect(JSON.parse((thrown as Error).message)).toEqual(result);
  });

  it('every thrown decision is caught by name in every state that runs the task', () => {
    const asl = require('../../statemachines/order-lifecycle.asl.json') as {
      States: Record<string, { Parameters?: { FunctionName?: string }; Catch?: { ErrorEquals: string[] }[] }>;
    };
    const runners = Object.entries(asl.States).filter(
      ([, s]) => s.Parameters?.FunctionName === '$' + '{AcceptOrderFunctionArn}',
    );
    expect(runners.map(([n]) => n).sort()).toEqual([
      'Accept order',
      'Route approved order',
      'Route held order',
      'Route triggered order',
    ]);
    for (const [name, state] of runners) {
      const caught = (state.Catch ?? []).flatMap((c) => c.ErrorEquals);
      // Route held order answers `hold` as its result: it throws no decision.
      const expected = name === 'Route held order' ? [] : Object.values(DECISION_ERROR);
      for (const e of expected) expect([name, caught]).toEqual([name, expect.arrayContaining([e])]);
      // The decisions come before the catch-all (the first matching catcher wins).
      expect(caught.at(-1)).toBe('States.ALL');
    }
  });
});
