/**
 * The FIX venue behind the Venue port, as a Lambda function sees it: a FIX session is a
 * long-lived TCP connection a function cannot hold, so calls hand their request to the venue
 * session host (an always-on process: ECS Fargate on AWS, a child of local mode) through the
 * shared `FixBook`, and the status queries read the host's mirror of the orders it sent. The host
 * sends, receives, keeps the mirror and publishes the execution reports on the bus, like the
 * simulated venue (docs/venues.md).
 */
import type { ReplaceChanges } from '../../core/index.js';
import type { Venue, VenueExecution, VenueOrder, VenueOrderStatusReport } from '../venue.js';
import { type FixBook, statusReportOf } from './fix-book.js';

export class FixVenue implements Venue {
  constructor(
    readonly name: string,
    private readonly book: FixBook,
    private readonly now: () => number,
  ) {}

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  async submit(order: VenueOrder): Promise<void> {
    await this.book.enqueue({ kind: 'submit', venue: this.name, orderId: order.orderId, order }, this.at());
  }

  async cancel(orderId: string, reason: string): Promise<void> {
    await this.book.enqueue({ kind: 'cancel', venue: this.name, orderId, reason }, this.at());
  }

  async replace(orderId: string, replacementOrderId: string, changes: ReplaceChanges): Promise<void> {
    await this.book.enqueue(
      { kind: 'replace', venue: this.name, orderId, replacementOrderId, changes },
      this.at(),
    );
  }

  async orderStatus(orderId: string): Promise<VenueOrderStatusReport | null> {
    const m = await this.book.order(this.name, orderId);
    return m === undefined ? null : statusReportOf(m);
  }

  async openOrders(): Promise<VenueOrderStatusReport[]> {
    return (await this.book.orders(this.name))
      .filter((m) => m.status === 'open')
      .map(statusReportOf)
      .sort((a, b) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0));
  }

  async executionsSince(since: string): Promise<VenueExecution[]> {
    const seen = new Set<string>();
    const out: VenueExecution[] = [];
    for (const m of await this.book.orders(this.name))
      for (const e of m.executions)
        if (e.transactTime >= since && !seen.has(e.execId)) {
          seen.add(e.execId);
          out.push(e);
        }
    return out.sort((a, b) =>
      a.transactTime === b.transactTime
        ? a.execId < b.execId
          ? -1
          : 1
        : a.transactTime < b.transactTime
          ? -1
          : 1,
    );
  }
}
