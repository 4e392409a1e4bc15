/**
 * AlpacaBrokerVenue: the Venue port at an Alpaca-compatible Trading API (REST v2; this OMS's own
 * local mode is one). A small `fetch` client rather than `@alpacahq/alpaca-trade-api`: the SDK
 * pulls axios and its own websocket stack into every Lambda bundle, hides the HTTP status the
 * idempotency rules depend on (422 "client_order_id must be unique", 404), and cannot be handed
 * a fake transport in unit tests; the SDK is used in the tests instead, as the reference client.
 *
 * - client_order_id = the OMS order id: a retried submit answered 422 "must be unique" looks
 *   the order up by client order id and, when it is there, is done (never books twice).
 * - Calls only deliver the request; the answers arrive as ExecutionReports from the
 *   trade_updates stream (stream-listener.ts). A request the broker refuses at once (4xx) has no
 *   stream event, so the adapter reports it itself (`rejected`, `cancel_rejected`,
 *   `replace_rejected`) with a stable execId. 5xx, 429 and network errors are TransientError
 *   (the caller's retry policy applies).
 */
import type { ReplaceChanges } from '../../core/index.js';
import type { AlpacaVenueConfig } from '../../platform/alpaca-venues.js';
import { TransientError } from '../../platform/transient-errors.js';
import type { ExecutionReport } from '../execution-report.js';
import { TOO_LATE_TO_CANCEL, UNKNOWN_ORDER } from '../execution-report.js';
import type { Venue, VenueExecution, VenueOrder, VenueOrderStatusReport } from '../venue.js';
import {
  type AlpacaFillActivity,
  type AlpacaOrderJson,
  executionOfActivity,
  fillReportOfActivity,
  statusReportOf,
} from './mapping.js';

export type PublishReports = (reports: readonly ExecutionReport[]) => Promise<void>;
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface AlpacaVenueOptions {
  readonly config: AlpacaVenueConfig;
  readonly publish: PublishReports;
  readonly fetch?: Fetch;
  readonly now?: () => number;
}

/** A 4xx answer from the broker: a refusal, not worth retrying. */
export class AlpacaRefusal extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`broker refused (${status}): ${body.slice(0, 200)}`);
    this.name = 'AlpacaRefusal';
  }
}

const DUPLICATE_CLIENT_ORDER_ID = /client_order_id must be unique/i;

export class AlpacaBrokerVenue implements Venue {
  readonly name: string;
  private readonly fetchImpl: Fetch;
  private readonly now: () => number;
  /** Alpaca order id -> client order id (FILL activities carry only the former). */
  private readonly clientIds = new Map<string, string>();

  constructor(private readonly o: AlpacaVenueOptions) {
    this.name = o.config.name;
    this.fetchImpl = o.fetch ?? ((url, init) => fetch(url, init));
    this.now = o.now ?? Date.now;
  }

  /**
   * One REST call; the parsed JSON body (null for 204). Never logs or echoes the credentials. The
   * key pair is the config's (on AWS read from Secrets Manager on the first call of the container:
   * a failure to read it is a TransientError, and nothing is sent).
   */
  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const { config } = this.o;
    const credentials = await config.credentials();
    let res: Response;
    try {
      res = await this.fetchImpl(`${config.baseUrl}${path}`, {
        method,
        headers: {
          'APCA-API-KEY-ID': credentials.keyId,
          'APCA-API-SECRET-KEY': credentials.secret(),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new TransientError(
        `${this.name} ${method} ${path}: ${(err as Error).message}`,
        'BrokerUnreachable',
      );
    }
    const text = await res.text();
    if (res.status >= 500 || res.status === 429)
      throw new TransientError(`${this.name} ${method} ${path}: HTTP ${res.status}`, 'BrokerUnavailable');
    if (res.status >= 400) throw new AlpacaRefusal(res.status, text);
    return text === '' ? null : JSON.parse(text);
  }

  private at(): string {
    return new Date(this.now()).toISOString();
  }

  private async report(r: Omit<ExecutionReport, 'venue' | 'transactTime'>): Promise<void> {
    await this.o.publish([{ venue: this.name, transactTime: this.at(), ...r } as ExecutionReport]);
  }

  /** The broker's order by client order id (the OMS order id); null when it has none. */
  async orderByClientId(clientOrderId: string): Promise<AlpacaOrderJson | null> {
    try {
      const order = (await this.call(
        'GET',
        `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(clientOrderId)}`,
      )) as AlpacaOrderJson;
      this.clientIds.set(order.id, order.client_order_id);
      return order;
    } catch (err) {
      if (err instanceof AlpacaRefusal && err.status === 404) return null;
      throw err;
    }
  }

  async submit(order: VenueOrder): Promise<void> {
    const body = {
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      time_in_force: order.timeInForce,
      ...(order.qty === null ? {} : { qty: order.qty }),
      ...(order.notional === null ? {} : { notional: order.notional }),
      ...(order.limitPrice === null ? {} : { limit_price: order.limitPrice }),
      ...(order.stopPrice === null ? {} : { stop_price: order.stopPrice }),
      ...(order.trailPrice === null ? {} : { trail_price: order.trailPrice }),
      ...(order.trailPercent === null ? {} : { trail_percent: order.trailPercent }),
      extended_hours: order.extendedHours,
      client_order_id: order.orderId,
    };
    try {
      const placed = (await this.call('POST', '/v2/orders', body)) as AlpacaOrderJson;
      this.clientIds.set(placed.id, placed.client_order_id);
    } catch (err) {
      if (!(err instanceof AlpacaRefusal)) throw err;
      // A retried submit: the broker has the order already; its reports come from the stream.
      if (err.status === 422 && DUPLICATE_CLIENT_ORDER_ID.test(err.body)) {
        if ((await this.orderByClientId(order.orderId)) !== null) return;
      }
      await this.report({
        orderId: order.orderId,
        venueOrderId: `${this.name}:${order.orderId}`,
        execId: `${this.name}:${order.orderId}:rejected`,
        execType: 'rejected',
        reason: refusalReason(err),
      });
    }
  }

  /**
   * Reports a refused cancel or replace of `orderId` (a refusal can repeat: its execId carries the
   * time).
   */
  private refusalOf(orderId: string, execType: 'cancel_rejected' | 'replace_rejected') {
    return (reason: string, venueOrderId: string) =>
      this.report({
        orderId,
        venueOrderId,
        execId: `${this.name}:${venueOrderId}:${execType}:${this.at()}`,
        execType,
        reason,
      });
  }

  async cancel(orderId: string, _reason: string): Promise<void> {
    const order = await this.orderByClientId(orderId);
    const refuse = this.refusalOf(orderId, 'cancel_rejected');
    if (order === null) return refuse(UNKNOWN_ORDER, `${this.name}:${orderId}`);
    if (order.status === 'canceled' || order.status === 'pending_cancel') return; // a retry
    try {
      await this.call('DELETE', `/v2/orders/${encodeURIComponent(order.id)}`);
    } catch (err) {
      if (!(err instanceof AlpacaRefusal)) throw err;
      // 422: the order is no longer cancelable (filled, expired...), 404: gone.
      await refuse(err.status === 404 ? UNKNOWN_ORDER : TOO_LATE_TO_CANCEL, order.id);
    }
  }

  async replace(orderId: string, replacementOrderId: string, changes: ReplaceChanges): Promise<void> {
    // A retried replace: the replacement exists already.
    if ((await this.orderByClientId(replacementOrderId)) !== null) return;
    const order = await this.orderByClientId(orderId);
    const refuse = this.refusalOf(orderId, 'replace_rejected');
    if (order === null) return refuse(UNKNOWN_ORDER, `${this.name}:${orderId}`);
    const body = {
      ...(changes.qty === undefined ? {} : { qty: changes.qty }),
      ...(changes.limitPrice === undefined ? {} : { limit_price: changes.limitPrice }),
      ...(changes.stopPrice === undefined ? {} : { stop_price: changes.stopPrice }),
      ...(changes.trailPrice === undefined ? {} : { trail: changes.trailPrice }),
      ...(changes.trailPercent === undefined ? {} : { trail: changes.trailPercent }),
      ...(changes.timeInForce === undefined ? {} : { time_in_force: changes.timeInForce }),
      client_order_id: replacementOrderId,
    };
    try {
      const placed = (await this.call(
        'PATCH',
        `/v2/orders/${encodeURIComponent(order.id)}`,
        body,
      )) as AlpacaOrderJson;
      this.clientIds.set(placed.id, placed.client_order_id);
    } catch (err) {
      if (!(err instanceof AlpacaRefusal)) throw err;
      await refuse(err.status === 404 ? UNKNOWN_ORDER : refusalReason(err), order.id);
    }
  }

  async orderStatus(orderId: string): Promise<VenueOrderStatusReport | null> {
    const order = await this.orderByClientId(orderId);
    return order === null ? null : statusReportOf(order);
  }

  async openOrders(): Promise<VenueOrderStatusReport[]> {
    return (await this.openOrderJson()).map(statusReportOf);
  }

  /** The broker's open orders as it lists them (`GET /v2/orders?status=open`, up to 500). */
  async openOrderJson(): Promise<AlpacaOrderJson[]> {
    const orders = (await this.call(
      'GET',
      '/v2/orders?status=open&limit=500&direction=asc',
    )) as AlpacaOrderJson[];
    for (const o of orders) this.clientIds.set(o.id, o.client_order_id);
    return orders;
  }

  /** One order by the broker's id (`GET /v2/orders/{id}`); null when the broker has none. */
  async orderById(alpacaOrderId: string): Promise<AlpacaOrderJson | null> {
    try {
      const order = (await this.call(
        'GET',
        `/v2/orders/${encodeURIComponent(alpacaOrderId)}`,
      )) as AlpacaOrderJson;
      this.clientIds.set(order.id, order.client_order_id);
      return order;
    } catch (err) {
      if (err instanceof AlpacaRefusal && err.status === 404) return null;
      throw err;
    }
  }

  /**
   * Orders SUBMITTED at or after `since` (`GET /v2/orders?after=`: Alpaca's `after` filters on the
   * submission time, not on the last change): the polling fallback's orders placed during a gap.
   * An order placed before and closed during the gap is not among them (the listener asks about
   * the orders it knew open, stream-listener.ts).
   */
  async ordersSubmittedSince(since: string): Promise<AlpacaOrderJson[]> {
    const after = new Date(Date.parse(since) - 1).toISOString();
    const orders = (await this.call(
      'GET',
      `/v2/orders?status=all&limit=500&direction=asc&after=${encodeURIComponent(after)}`,
    )) as AlpacaOrderJson[];
    for (const o of orders) this.clientIds.set(o.id, o.client_order_id);
    return orders;
  }

  /** FILL activities at or after `since`, oldest first, every page. */
  async fillActivitiesSince(since: string): Promise<AlpacaFillActivity[]> {
    const after = new Date(Date.parse(since) - 1).toISOString();
    const out: AlpacaFillActivity[] = [];
    let pageToken: string | undefined;
    for (;;) {
      const q = `after=${encodeURIComponent(after)}&direction=asc&page_size=100${
        pageToken === undefined ? '' : `&page_token=${encodeURIComponent(pageToken)}`
      }`;
      const page = (await this.call('GET', `/v2/account/activities/FILL?${q}`)) as AlpacaFillActivity[];
      out.push(...page);
      if (page.length < 100) return out;
      pageToken = (page[page.length - 1] as AlpacaFillActivity).id;
    }
  }

  /** The client order id of a broker order id (cached; else GET /v2/orders/{id}). */
  async clientOrderIdOf(alpacaOrderId: string): Promise<string> {
    const known = this.clientIds.get(alpacaOrderId);
    if (known !== undefined) return known;
    const order = (await this.call(
      'GET',
      `/v2/orders/${encodeURIComponent(alpacaOrderId)}`,
    )) as AlpacaOrderJson;
    this.clientIds.set(order.id, order.client_order_id);
    return order.client_order_id;
  }

  async executionsSince(since: string): Promise<VenueExecution[]> {
    const out: VenueExecution[] = [];
    for (const a of await this.fillActivitiesSince(since))
      out.push(executionOfActivity(this.name, a, await this.clientOrderIdOf(a.order_id)));
    return out;
  }

  /** The fill reports of every FILL since `since` (the polling fallback). */
  async fillReportsSince(since: string): Promise<ExecutionReport[]> {
    const out: ExecutionReport[] = [];
    for (const a of await this.fillActivitiesSince(since))
      out.push(fillReportOfActivity(this.name, a, await this.clientOrderIdOf(a.order_id)));
    return out;
  }
}

/** A short reason from a broker's refusal body (`{"code":..,"message":..}`). */
function refusalReason(err: AlpacaRefusal): string {
  try {
    const m = (JSON.parse(err.body) as { message?: unknown }).message;
    if (typeof m === 'string' && m !== '') return m.slice(0, 200);
  } catch {
    // not JSON
  }
  return `broker_refused_${err.status}`;
}
