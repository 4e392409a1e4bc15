/**
 * Scheduled (every minute): one step of the simulated market. Advances the quotes of symbols that
 * have resting orders and matches those orders, publishing their execution reports.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../shared/observability.js';
import { simulatedVenue } from './wiring.js';

export async function marketTick(): Promise<{ readonly symbols: number; readonly orders: number }> {
  const result = await simulatedVenue().tick();
  logger.info('market tick', result);
  return result;
}

export const handler = middy(marketTick).use(injectLambdaContext(logger));
