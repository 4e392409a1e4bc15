/**
 * Reconciliation with the venues end to end (issue 16: "each break kind is provoked through the
 * venue control endpoint, detected, typed and (where safe) repaired"), against the shared local
 * mode: resting limit orders placed through the HTTP API, a simulated venue made to diverge on
 * purpose (`POST /local/divergences/{venue}`: the venue's book changed, no report sent), and the
 * scheduled reconciler (lambdas/broker-gateway/reconcile-venues.ts) finding each break and
 * recording it on the order (`OrderBreakFound`), repairing the safe ones through the report path.
 * The scenarios run side by side, each on its own symbol: one reconciliation interval (after the
 * in-flight threshold, 15 s) serves them all.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_REGION } from '../../local/types.js';
import {
  type AuditEvent,
  eventually,
  type OmsHttp,
  type Order,
  putOnOmsBus,
  type SharedOms,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(120_000);

let oms: SharedOms;
let http: OmsHttp;
/** An operator key (scope operator): the exceptions view's routes. */
let operator: OmsHttp;
/** The scenarios, started together in beforeAll (one reconciliation interval serves them all). */
const running = new Map<string, Promise<void>>();

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  operator = await http.withNewKey('demo-account', 'operator');
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    const p = scenario();
    p.catch(() => undefined); // awaited (and reported) by its own test
    running.set(name, p);
  }
});

/** Long enough for the threshold (15 s) and a reconciliation pass on a loaded machine. */
const RECONCILED_WITHIN_MS = 75_000;

/** A buy limit resting well below the market of its own symbol; its venue. */
async function restingOrder(symbol: string, qty = '10'): Promise<{ order: Order; venue: string }> {
  await http.pinQuote(symbol, { bid: '50.00', ask: '50.10', last: '50.05' });
  const order = await http.submit({
    symbol,
    qty,
    side: 'buy',
    type: 'limit',
    limit_price: '45.00',
    time_in_force: 'gtc',
  });
  await http.untilStatus(order.id, 'new', 30_000);
  const trail = await http.auditTrail(order.id);
  const routed = trail.find((e) => e.type === 'OrderRouted')?.data as
    | { allocations: { venue: string }[] }
    | undefined;
  const venue = routed?.allocations[0]?.venue;
  if (venue === undefined) throw new Error(`no venue in ${JSON.stringify(trail)}`);
  return { order, venue };
}

const diverge = (venue: string, body: Record<string, unknown>) =>
  http.expect(200, 'POST', `/local/divergences/${venue}`, body);

/** The order's recorded breaks, once `breakType` is among them. */
async function untilBreak(orderId: string, breakType: string): Promise<AuditEvent[]> {
  return eventually(
    async () => {
      const breaks = (await http.auditTrail(orderId)).filter((e) => e.type === 'OrderBreakFound');
      if (!breaks.some((b) => b.data.breakType === breakType))
        throw new Error(`no ${breakType} yet: ${JSON.stringify(breaks.map((b) => b.data))}`);
      return breaks;
    },
    RECONCILED_WITHIN_MS,
    () => http.explain([orderId]),
  );
}

interface ExceptionEntry {
  id: string;
  kind: string;
  order_id: string | null;
  account_id: string | null;
  symbol: string | null;
  detail: string;
  resolvable: boolean;
}
const exceptions = async () =>
  (await operator.expect<{ exceptions: ExceptionEntry[] }>(200, 'GET', '/v1/exceptions')).exceptions;

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Puts execution reports on the OMS bus as a venue would. */
const putVenueReports = (reports: readonly Record<string, unknown>[]) =>
  putOnOmsBus(
    oms,
    reports.map((detail) => ({ source: 'stockbot.venue', detailType: 'ExecutionReport', detail })),
  );

/** The simulated venue's own record of the order: what it works, whatever the OMS believes. */
async function venueStatusOf(orderId: string): Promise<string | undefined> {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: oms.dynamoDbEndpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    }),
  );
  try {
    const got = await doc.send(
      new GetCommand({ TableName: oms.venueOrdersTable, Key: { orderId }, ConsistentRead: true }),
    );
    return got.Item?.status as string | undefined;
  } finally {
    doc.destroy();
  }
}

const SCENARIOS: Readonly<Record<string, () => Promise<void>>> = {
  'MISSED_FILL: a fill whose report was dropped is found and applied under the venue’s exec id': async () => {
    const { order, venue } = await restingOrder('E2ERCMF');
    await diverge(venue, { action: 'invent_fill', order_id: order.id, qty: '4', price: '45.00' });
    const breaks = await untilBreak(order.id, 'MISSED_FILL');
    expect(breaks[0]?.data).toMatchObject({ breakType: 'MISSED_FILL', repair: 'apply_fill' });
    const repaired = await http.until(order.id, (o) => expect(o.filled_qty).toBe('4'), RECONCILED_WITHIN_MS);
    expect(repaired.status).toBe('partially_filled');
    const fill = (await http.auditTrail(order.id)).find(
      (e) => e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled',
    );
    expect(fill?.data).toMatchObject({ execId: `${order.id}:invented:1`, lastQty: '4', lastPx: '45' });
    await http.cancel(order.id);
    await http.untilStatus(order.id, 'canceled', 30_000);
  },

  'after a PATCH of a partly filled order: the fills its replacement carries are no break; a fill the venue then executes unreported is the one MISSED_FILL':
    async () => {
      const symbol = 'E2ERCRP';
      // A 100-share buy resting at one venue; the ask then crosses its limit showing 4 shares a step:
      // it fills partly, and rests again once the ask is back above its limit.
      const { order, venue } = await restingOrder(symbol, '100');
      await http.pinQuote(symbol, { bid: '44.80', ask: '44.90', last: '44.85', ask_size: '4' });
      try {
        await http.until(order.id, (o) => expect(o.status).toBe('partially_filled'), 30_000);
      } finally {
        await http.pinQuote(symbol, { bid: '50.00', ask: '50.10', last: '50.05' });
      }
      // The PATCH: the venue's replacement carries the order's fills (FIX CumQty) and lists their
      // executions under the replacement; the OMS applied them on the order it replaced.
      const replacement = await http.replace(order.id, { limit_price: '44.00' });
      const carried = await http.until(
        replacement.id,
        (o) => expect(o.status).toBe('partially_filled'),
        30_000,
      );
      expect((await http.order(order.id)).status).toBe('replaced');
      expect(Number(carried.filled_qty)).toBeGreaterThan(0);
      // A real break after the replace: the venue executes 2 more and sends no report.
      await diverge(venue, { action: 'invent_fill', order_id: replacement.id, qty: '2', price: '44.00' });
      const total = String(Number(carried.filled_qty) + 2);
      await untilBreak(replacement.id, 'MISSED_FILL');
      await http.until(replacement.id, (o) => expect(o.filled_qty).toBe(total), RECONCILED_WITHIN_MS);
      // That fill alone was a break, repaired once; the carried fills were none, on either order.
      const breaks = (await http.auditTrail(replacement.id)).filter((e) => e.type === 'OrderBreakFound');
      expect(breaks.map((b) => [b.data.breakType, b.data.repair, b.data.key])).toEqual([
        [
          'MISSED_FILL',
          'apply_fill',
          expect.stringMatching(new RegExp(`^MISSED_FILL\\|${replacement.id}:invented:\\d+$`)),
        ],
      ]);
      expect((await http.auditTrail(order.id)).filter((e) => e.type === 'OrderBreakFound')).toEqual([]);
      // Each execution counted once: the position is what the chain filled.
      await eventually(async () => {
        const position = await http.expect<{ qty: string }>(200, 'GET', `/v2/positions/${symbol}`);
        expect(position.qty).toBe(total);
      }, 30_000);
      await http.cancel(replacement.id);
      await http.untilStatus(replacement.id, 'canceled', 30_000);
      // The account flat again (files share the local mode).
      await http.pinQuote(symbol, { bid: '50.00', ask: '50.10', last: '50.05', bid_size: '1000' });
      await http.submit({ symbol, qty: total, side: 'sell', type: 'market', time_in_force: 'day' });
    },

  'MISSING_AT_VENUE: an order the venue forgot is canceled (missing_at_venue) once its single-order query confirms it':
    async () => {
      const { order, venue } = await restingOrder('E2ERCMV');
      await diverge(venue, { action: 'forget_order', order_id: order.id });
      const breaks = await untilBreak(order.id, 'MISSING_AT_VENUE');
      expect(breaks[0]?.data).toMatchObject({ repair: 'apply_close' });
      const closed = await http.untilStatus(order.id, 'canceled', RECONCILED_WITHIN_MS);
      expect(closed.filled_qty).toBe('0');
      const canceled = (await http.auditTrail(order.id)).find((e) => e.type === 'OrderCanceled');
      expect(canceled?.data).toMatchObject({ reason: 'missing_at_venue' });
    },

  'STATUS_MISMATCH: a partly filled order the venue canceled silently is canceled keeping its fills':
    async () => {
      const { order, venue } = await restingOrder('E2ERCSM');
      await diverge(venue, { action: 'invent_fill', order_id: order.id, qty: '3', price: '45.00' });
      await diverge(venue, { action: 'cancel_silently', order_id: order.id });
      const breaks = await untilBreak(order.id, 'STATUS_MISMATCH');
      expect(breaks.map((b) => [b.data.breakType, b.data.repair])).toEqual([
        ['MISSED_FILL', 'apply_fill'],
        ['STATUS_MISMATCH', 'apply_close'],
      ]);
      const closed = await http.untilStatus(order.id, 'canceled', RECONCILED_WITHIN_MS);
      expect(closed.filled_qty).toBe('3');
    },

  'FILL_ATTR_MISMATCH and FILLED_QTY_MISMATCH: left open for an operator, the order unchanged': async () => {
    const attr = await restingOrder('E2ERCFA');
    const qty = await restingOrder('E2ERCFQ');
    for (const { order, venue } of [attr, qty])
      await diverge(venue, { action: 'invent_fill', order_id: order.id, qty: '2', price: '45.00' });
    for (const { order } of [attr, qty])
      await http.until(order.id, (o) => expect(o.filled_qty).toBe('2'), RECONCILED_WITHIN_MS);
    // The venue now disagrees about the execution the OMS applied.
    await diverge(attr.venue, { action: 'alter_fill', order_id: attr.order.id, price: '44.00' });
    await diverge(qty.venue, { action: 'drop_fill', order_id: qty.order.id });
    const [attrBreaks, qtyBreaks] = await Promise.all([
      untilBreak(attr.order.id, 'FILL_ATTR_MISMATCH'),
      untilBreak(qty.order.id, 'FILLED_QTY_MISMATCH'),
    ]);
    expect(attrBreaks.find((b) => b.data.breakType === 'FILL_ATTR_MISMATCH')?.data.repair).toBe('none');
    expect(qtyBreaks.find((b) => b.data.breakType === 'FILLED_QTY_MISMATCH')?.data.repair).toBe('none');
    for (const { order } of [attr, qty]) {
      const now = await http.order(order.id);
      expect([now.status, now.filled_qty]).toEqual(['partially_filled', '2']);
      await http.cancel(order.id);
    }
    // The exceptions view lists both breaks (an index the projector writes after the break is in the
    // audit trail: read until it shows them); an operator resolves one with a reason (an event).
    const open = await eventually(async () => {
      const listed = await exceptions();
      const found = listed.find((e) => e.order_id === attr.order.id && e.kind === 'reconciliation_break');
      expect(found?.detail).toMatch(/^FILL_ATTR_MISMATCH: /);
      expect(listed.some((e) => e.order_id === qty.order.id && /^FILLED_QTY_MISMATCH/.test(e.detail))).toBe(
        true,
      );
      return found;
    }, RECONCILED_WITHIN_MS);
    const path = `/v1/exceptions/${encodeURIComponent(open?.id ?? '')}/resolve`;
    const resolved = await operator.expect<{ reason: string }>(200, 'POST', path, {
      reason: 'venue corrected its print',
    });
    expect(resolved.reason).toBe('venue corrected its print');
    // A retry answers the same resolution; the exception has left the view; the trail records it.
    expect(await operator.expect(200, 'POST', path, { reason: 'again' })).toMatchObject({
      reason: 'venue corrected its print',
    });
    await eventually(async () => {
      expect((await exceptions()).some((e) => e.id === open?.id)).toBe(false);
    }, RECONCILED_WITHIN_MS);
    const trail = await http.auditTrail(attr.order.id);
    expect(trail.find((e) => e.type === 'OrderExceptionResolved')?.data).toMatchObject({
      exceptionId: open?.id,
      reason: 'venue corrected its print',
    });
  },

  'UNKNOWN_AT_OMS: an order the venue works under an id the OMS never sent is listed for an operator':
    async () => {
      const ghost = `ghost-${randomUUID().slice(0, 8)}`;
      await http.pinQuote('E2ERCUK', { bid: '50.00', ask: '50.10', last: '50.05' });
      await diverge('SIMX', {
        action: 'invent_order',
        order_id: ghost,
        symbol: 'E2ERCUK',
        side: 'buy',
        qty: '5',
        price: '1.00',
      });
      try {
        const entry = await eventually(async () => {
          const found = (await exceptions()).find((e) => e.id.includes(ghost));
          if (found === undefined) throw new Error('not listed yet');
          return found;
        }, RECONCILED_WITHIN_MS);
        expect(entry).toMatchObject({ kind: 'reconciliation_break', order_id: null, resolvable: true });
        expect(entry.detail).toMatch(/UNKNOWN_AT_OMS at SIMX/);
        await operator.expect(200, 'POST', `/v1/exceptions/${encodeURIComponent(entry.id)}/resolve`, {
          reason: 'a test order of the venue',
        });
        await eventually(async () => {
          expect((await exceptions()).some((e) => e.id === entry.id)).toBe(false);
        }, RECONCILED_WITHIN_MS);
      } finally {
        await diverge('SIMX', { action: 'forget_order', order_id: ghost });
      }
    },

  'an order the OMS closed that its venue still works is canceled there at the venue’s next live report (the applier asks forward-to-venue), before reconciliation finds a break':
    async () => {
      const { order, venue } = await restingOrder('E2ERCLV');
      const accepted = (await http.auditTrail(order.id)).find((e) => e.type === 'OrderAccepted');
      const venueOrderId = accepted?.data.venueOrderId as string;
      const report = (n: number, execType: string) => ({
        venue,
        orderId: order.id,
        venueOrderId,
        execId: `${order.id}:${900 + n}`,
        execType,
        cumQty: '0',
        transactTime: new Date().toISOString(),
      });
      // The OMS hears of a close the venue never made (its book unchanged): closed here, live there.
      await putVenueReports([report(0, 'canceled')]);
      await http.untilStatus(order.id, 'canceled', 30_000);
      expect(await venueStatusOf(order.id)).toBe('open');
      // The venue reports the order live: the applier ignores the report and has the venue cancel it.
      await putVenueReports([report(1, 'new')]);
      await eventually(
        async () => expect(await venueStatusOf(order.id)).toBe('canceled'),
        30_000,
        () => http.explain([order.id]),
      );
      // Canceled at the venue by the report path, not by reconciliation's STATUS_MISMATCH repair.
      const trail = await http.auditTrail(order.id);
      expect(trail.filter((e) => e.type === 'OrderBreakFound')).toEqual([]);
      expect((await http.order(order.id)).status).toBe('canceled');
    },

  'POSITION_MISMATCH: a position the venue booked outside any order is listed for an operator': async () => {
    const symbol = 'E2ERCPM';
    await http.pinQuote(symbol, { bid: '50.00', ask: '50.10', last: '50.05', ask_size: '1000' });
    const bought = await http.submit({ symbol, qty: '3', side: 'buy', type: 'market', time_in_force: 'day' });
    await http.untilStatus(bought.id, 'filled', 30_000);
    const trail = await http.auditTrail(bought.id);
    const routed = trail.find((e) => e.type === 'OrderRouted')?.data as
      | { allocations: { venue: string }[] }
      | undefined;
    const venue = routed?.allocations[0]?.venue ?? 'SIMX';
    // The venue books 2 more shares for the account outside any order (a transfer the OMS never saw).
    await diverge(venue, { action: 'adjust_position', account_id: 'demo-account', symbol, qty: '2' });
    try {
      const entry = await eventually(async () => {
        const found = (await exceptions()).find(
          (e) =>
            e.kind === 'reconciliation_break' &&
            e.detail.startsWith('POSITION_MISMATCH') &&
            e.detail.includes(symbol),
        );
        if (found === undefined) throw new Error('not listed yet');
        return found;
      }, RECONCILED_WITHIN_MS);
      expect(entry).toMatchObject({ order_id: null, resolvable: true, account_id: 'demo-account', symbol });
      expect(entry.detail).toContain('the venues hold 5, the OMS 3 (difference 2)');
      // The OMS's position is its own executions' (no repair: an operator's).
      const position = await http.expect<{ qty: string }>(200, 'GET', `/v2/positions/${symbol}`);
      expect(position.qty).toBe('3');
      await operator.expect(200, 'POST', `/v1/exceptions/${encodeURIComponent(entry.id)}/resolve`, {
        reason: 'transfer in booked by the desk',
      });
      expect((await exceptions()).some((e) => e.id === entry.id)).toBe(false);
    } finally {
      // The venue's book as it was (files share the local mode), and the account flat again.
      await diverge(venue, { action: 'adjust_position', account_id: 'demo-account', symbol, qty: '-2' });
      await http.submit({ symbol, qty: '3', side: 'sell', type: 'market', time_in_force: 'day' });
    }
  },
};

for (const name of Object.keys(SCENARIOS)) it(name, async () => await running.get(name));

it('the exceptions view is an operator’s: a trading key gets 403; a resolve without a reason is 400 naming it; an unknown id 404', async () => {
  expect((await http.request('GET', '/v1/exceptions')).status).toBe(403);
  const noReason = await operator.request<{ message: string }>('POST', '/v1/exceptions/o-1:3/resolve', {});
  expect([noReason.status, noReason.body.message]).toEqual([400, expect.stringMatching(/^reason: /)]);
  expect((await operator.request('POST', '/v1/exceptions/nope:3/resolve', { reason: 'x' })).status).toBe(404);
  const stuck = await operator.request<{ message: string }>('POST', '/v1/exceptions/stuck:o-1/resolve', {
    reason: 'x',
  });
  expect(stuck.status).toBe(422);
});

it('a control request that names no venue order, or a bad field, is refused and changes nothing', async () => {
  const bad = await http.request('POST', '/local/divergences/SIMX', {
    action: 'invent_fill',
    order_id: 'nope',
    qty: '1',
    price: '1',
  });
  expect(bad.status).toBe(404);
  const field = await http.request<{ message: string }>('POST', '/local/divergences/SIMX', {
    action: 'explode',
    order_id: 'x',
  });
  expect(field.status).toBe(400);
  expect(field.body.message).toMatch(/action/);
  expect(
    (await http.request('POST', '/local/divergences/NOPE', { action: 'forget_order', order_id: 'x' })).status,
  ).toBe(404);
});
