/**
 * Scheduled (every minute in AWS; every couple of seconds in local mode): one step of the simulated
 * market. Publishes the execution reports still pending in venue outboxes, advances the quote of
 * every MARKET_TABLE symbol and every symbol with resting orders (pinned quotes are held), holds
 * the opening or closing auction when one is due (opg / cls orders), and matches the resting
 * orders, publishing their execution reports; then it writes each moved symbol's price
 * marks (PRICE_MARKS_TABLE, platform/price-marks.ts; none without it). The result (and the log
 * line) says what it did: symbols moved and held, orders looked at and matched, fills, auctions held.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from '../../platform/observability.js';
import { simulatedMarket } from '../wiring.js';
import type { TickResult } from './simulated-venue.js';

export async function marketTick(): Promise<TickResult> {
  const result = await simulatedMarket().tick();
  if (result.outboxFailures > 0)
    logger.warn('venue outboxes still unpublished; the next tick retries them', { ...result });
  else logger.info('market tick', { ...result });
  return result;
}

export const handler = middy(marketTick).use(injectLambdaContext(logger));
