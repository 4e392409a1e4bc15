/**
 * Scheduled (every minute): one step of the simulated market. Publishes the execution reports still
 * pending in venue outboxes, advances the quotes of symbols that have resting orders and matches
 * those orders, publishing their execution reports.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../shared/observability.js';
import type { TickResult } from './simulated-venue.js';
import { simulatedVenue } from './wiring.js';

export async function marketTick(): Promise<TickResult> {
  const result = await simulatedVenue().tick();
  if (result.outboxFailures > 0)
    logger.warn('venue outboxes still unpublished; the next tick retries them', { ...result });
  else logger.info('market tick', { ...result });
  return result;
}

export const handler = middy(marketTick).use(injectLambdaContext(logger));
