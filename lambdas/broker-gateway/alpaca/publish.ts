/** Execution reports onto the bus (source `stockbot.venue`), as the simulated venue publishes them. */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { TransientError } from '../../platform/transient-errors.js';
import { EXECUTION_REPORT_DETAIL_TYPE, type ExecutionReport, VENUE_SOURCE } from '../execution-report.js';
import type { PublishReports } from './alpaca-venue.js';

const BATCH = 10;

export function eventBridgePublisher(eventBridge: EventBridgeClient, eventBusName: string): PublishReports {
  return async (reports: readonly ExecutionReport[]) => {
    for (let i = 0; i < reports.length; i += BATCH) {
      const Entries = reports.slice(i, i + BATCH).map((r) => ({
        EventBusName: eventBusName,
        Source: VENUE_SOURCE,
        DetailType: EXECUTION_REPORT_DETAIL_TYPE,
        Time: new Date(r.transactTime),
        Resources: [],
        Detail: JSON.stringify(r),
      }));
      const out = await eventBridge.send(new PutEventsCommand({ Entries }));
      if ((out.FailedEntryCount ?? 0) > 0)
        throw new TransientError(
          `PutEvents: ${out.FailedEntryCount} execution reports not published`,
          'PutEventsFailed',
        );
    }
  };
}
