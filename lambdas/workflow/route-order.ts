/**
 * Workflow task `Route order` (and `Route replacement`): picks the venue and the time the
 * workflow waits for the order's closing milestone. One simulated venue today (VENUE_NAME,
 * default SIMX); smart order routing will decide here, and record its decision, later.
 * The wait is anchored to the submission (core `session.ts`): a late start does not extend it.
 */
import { z } from 'zod';
import { remainingOutcomeSeconds, TIMES_IN_FORCE } from '../core/index.js';
import { ENV, optionalEnv } from '../shared/config.js';
import { parsePayload } from './common.js';

export const DEFAULT_VENUE = 'SIMX';

const payload = z.looseObject({
  orderId: z.string().min(1),
  timeInForce: z.enum(TIMES_IN_FORCE),
  submittedAt: z.iso.datetime({ offset: true }),
});

export interface RouteResult {
  readonly venue: string;
  readonly outcomeTimeoutSeconds: number;
}

export const handler = async (event: unknown): Promise<RouteResult> => {
  const { timeInForce, submittedAt } = parsePayload(payload, event, 'route-order');
  return {
    venue: optionalEnv(ENV.venueName) ?? DEFAULT_VENUE,
    outcomeTimeoutSeconds: remainingOutcomeSeconds(
      timeInForce,
      Date.parse(submittedAt),
      Date.now(),
      optionalEnv(ENV.sessionClose),
    ),
  };
};
