/**
 * `Accept order`'s decision (lambdas/order-lifecycle/accept-order.ts `nextStep`), one row per path
 * of statemachines/README.md: what the workflow does after the re-check and routing.
 */
import { type AcceptNext, type AcceptStage, nextStep } from '../../lambdas/order-lifecycle/accept-order.js';

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
  ])('%s', (_case, replacement, stage, risk, holdTrigger, next) => {
    expect(nextStep({ replacement, stage, risk, holdTrigger })).toBe(next);
  });
});
