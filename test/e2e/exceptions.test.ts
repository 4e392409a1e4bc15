/**
 * Dead-lettered messages in the exceptions view, and DLQ redrive (issue 16), against the shared
 * local mode. A malformed `CancelOrderRequested` (no `requestedBy`) is put on the OMS bus as
 * `DELETE /v2/orders` would put one: the rule gives it to the CancelAll queue, the cancel-all
 * worker fails it on every receive, and after the queue's maxReceiveCount (10; local mode scales
 * the 60 s visibility timeout to 3 s) it is in the CancelAll dead-letter queue for real. An
 * operator then sees it in `GET /v1/exceptions`, drops one on purpose (resolve, with a reason) and
 * redrives the other back to the CancelAll queue, where it fails again and comes back.
 *
 * @shared-without-lock (most of its minute is the queue's redeliveries; it touches nothing other
 * files share: its own messages, on a queue no other file dead-letters to; see environment.js)
 */
import { randomUUID } from 'node:crypto';
import { eventually, type OmsHttp, putOnOmsBus, type SharedOms, sharedTradingDayOms } from './harness.js';

jest.setTimeout(480_000);

let oms: SharedOms;
let http: OmsHttp;
let operator: OmsHttp;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  operator = await http.withNewKey('demo-account', 'operator');
});

interface DeadLetter {
  queue: string;
  message_id: string;
  detail_type: string | null;
  order_id: string | null;
  account_id: string | null;
  sent_at: string;
  receive_count: number;
}
interface ExceptionEntry {
  id: string;
  kind: string;
  order_id: string | null;
  resolvable: boolean;
  raised_at: string;
  dead_letter?: DeadLetter;
}
interface View {
  exceptions: ExceptionEntry[];
  dead_letter_queues: { queue: string; depth: number; in_flight: number; listed: number }[];
}

const view = () => operator.expect<View>(200, 'GET', '/v1/exceptions');
const deadLettersOf = (v: View, orderIds: readonly string[]) =>
  v.exceptions.filter((e) => e.kind === 'dead_lettered_message' && orderIds.includes(e.order_id ?? ''));

/** Puts cancel requests the worker cannot parse (no requestedBy) on the bus, one per marker. */
const putMalformedCancels = (markers: readonly string[]) =>
  putOnOmsBus(
    oms,
    markers.map((orderId) => ({
      source: 'stockbot.oms.api',
      detailType: 'CancelOrderRequested',
      detail: { orderId, accountId: 'demo-account', requestId: `req-${orderId}` },
    })),
  );

/**
 * Ten receives at 3 s each, and the worker's runs, on a loaded machine. The CancelAll queue is
 * shared with the other files' cancel-alls and halt sweeps (a backlog spaces out the receives of
 * one message: a CI run's markers were not dead-lettered within 120 s, the DLQ empty).
 */
const DEAD_LETTERED_WITHIN_MS = 300_000;

/** What the CancelAll queue holds of the markers (their receive counts) and in all: the diagnosis. */
async function cancelAllQueueOf(markers: readonly string[]): Promise<string> {
  const res = await http.request<{ receiveCount: number; body: { detail?: { orderId?: string } } }[]>(
    'GET',
    '/local/queues/OrderApiCancelAllRuleQueue',
  );
  if (res.status !== 200 || !Array.isArray(res.body)) return `CancelAll queue: ${res.status}`;
  const ours = res.body
    .filter((m) => markers.includes(m.body?.detail?.orderId ?? ''))
    .map((m) => ({ marker: m.body.detail?.orderId?.slice(0, 16), receives: m.receiveCount }));
  return `CancelAll queue: ${res.body.length} messages, the markers ${JSON.stringify(ours)}`;
}

/** The view once every marker is listed as a dead-lettered message. */
function untilDeadLettered(markers: readonly string[]): Promise<ExceptionEntry[]> {
  return eventually(async () => {
    const now = await view();
    const listed = deadLettersOf(now, markers);
    if (listed.length < markers.length) {
      const queue = now.dead_letter_queues.find((q) => q.queue === 'CancelAll');
      throw new Error(
        `dead-lettered so far: ${JSON.stringify(listed.map((e) => e.order_id))}; CancelAll DLQ ${JSON.stringify(queue)}; ${await cancelAllQueueOf(markers)}`,
      );
    }
    return listed;
  }, DEAD_LETTERED_WITHIN_MS);
}

it('a message the consumer keeps failing is listed, dropped with a reason, or redriven back to its queue (and returns)', async () => {
  const keep = `e2e-dlq-keep-${randomUUID()}`;
  const drop = `e2e-dlq-drop-${randomUUID()}`;
  const before = Date.now();
  await putMalformedCancels([keep, drop]);

  const listed = await untilDeadLettered([keep, drop]);
  for (const e of listed) {
    expect(e).toMatchObject({
      kind: 'dead_lettered_message',
      resolvable: true,
      dead_letter: { queue: 'CancelAll', detail_type: 'CancelOrderRequested', account_id: 'demo-account' },
    });
    expect(e.id).toBe(`dead-letter:CancelAll:${e.dead_letter?.message_id}`);
    expect(Date.parse(e.raised_at)).toBeGreaterThanOrEqual(before - 1_000);
    expect(e.dead_letter?.receive_count).toBeGreaterThanOrEqual(1);
  }
  const depth = (await view()).dead_letter_queues.find((q) => q.queue === 'CancelAll');
  expect(depth?.depth).toBeGreaterThanOrEqual(2);

  // Listing peeks: a second look finds the same messages.
  expect(
    deadLettersOf(await view(), [keep, drop])
      .map((e) => e.id)
      .sort(),
  ).toEqual(listed.map((e) => e.id).sort());

  // Drop the poison message on purpose: recorded with the reason, gone from the queue; a retry
  // answers the recorded resolution.
  const dropped = listed.find((e) => e.order_id === drop) as ExceptionEntry;
  const resolvePath = `/v1/exceptions/${encodeURIComponent(dropped.id)}/resolve`;
  const resolved = await operator.expect<Record<string, unknown>>(200, 'POST', resolvePath, {
    reason: 'malformed cancel request: no requestedBy',
  });
  expect(resolved).toMatchObject({
    id: dropped.id,
    reason: 'malformed cancel request: no requestedBy',
    queue: 'CancelAll',
    deleted: true,
  });
  expect(await operator.expect(200, 'POST', resolvePath, { reason: 'again' })).toMatchObject({
    reason: 'malformed cancel request: no requestedBy',
    resolved_at: resolved.resolved_at,
  });
  expect(deadLettersOf(await view(), [drop])).toEqual([]);

  // Redrive: the kept one goes back to the CancelAll queue; a retry right after moves nothing.
  const redriven = await operator.request<Record<string, unknown>>(
    'POST',
    '/v1/dead-letters/CancelAll/redrive',
  );
  expect(redriven.status === 202 || redriven.status === 200).toBe(true);
  expect(redriven.body).toMatchObject({ queue: 'CancelAll', task_handle: expect.any(String) });
  expect(redriven.body.approximate_number_of_messages_to_move).toBeGreaterThanOrEqual(1);
  const kept = listed.find((e) => e.order_id === keep) as ExceptionEntry;
  await eventually(async () => {
    if (deadLettersOf(await view(), [keep]).length > 0) throw new Error('still in the dead-letter queue');
  }, 30_000);
  const retried = await operator.expect<Record<string, unknown>>(
    200,
    'POST',
    '/v1/dead-letters/CancelAll/redrive',
  );
  expect(retried).toMatchObject({ queue: 'CancelAll', status: 'NOTHING_TO_MOVE', task_handle: null });

  // Still malformed: the worker fails it ten times again and it is back, the same message.
  const back = await untilDeadLettered([keep]);
  expect(back[0]?.dead_letter?.message_id).toBe(kept.dead_letter?.message_id);
  // Clean up: drop it too.
  await operator.expect(200, 'POST', `/v1/exceptions/${encodeURIComponent(back[0]?.id ?? '')}/resolve`, {
    reason: 'e2e: still malformed after a redrive',
  });
  expect(deadLettersOf(await view(), [keep, drop])).toEqual([]);
});

it('dead letters are an operator’s: other keys 403; unknown queue and message 404; a resolve without a reason 400', async () => {
  expect((await http.request('POST', '/v1/dead-letters/CancelAll/redrive')).status).toBe(403);
  const unknown = await operator.request<{ code: number; message: string }>(
    'POST',
    '/v1/dead-letters/Nope/redrive',
  );
  expect(unknown.status).toBe(404);
  expect(unknown.body.message).toMatch(/^queue: no dead-letter queue named "Nope" \(known: .*CancelAll/);
  const gone = await operator.request<{ message: string }>(
    'POST',
    `/v1/exceptions/${encodeURIComponent(`dead-letter:CancelAll:${randomUUID()}`)}/resolve`,
    { reason: 'x' },
  );
  expect(gone.status).toBe(404);
  const unknownQueue = await operator.request('POST', '/v1/exceptions/dead-letter:Nope:abc/resolve', {
    reason: 'x',
  });
  expect(unknownQueue.status).toBe(404);
  const noReason = await operator.request<{ message: string }>(
    'POST',
    '/v1/exceptions/dead-letter:CancelAll:abc/resolve',
    {},
  );
  expect(noReason.status).toBe(400);
  expect(noReason.body.message).toMatch(/^reason: /);
});
