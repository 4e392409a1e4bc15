/**
 * What an operator still has to act on (issue 16: "One exceptions view: quarantined executions,
 * open breaks, ...; POST /v1/exceptions/{id}/resolve (with a reason, recorded as an event)"):
 * core order.ts `openExceptionsOf`, raised by the events that need an operator and removed only by
 * `OrderExceptionResolved`.
 */
import { type OrderCommand, openExceptionsOf } from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

/** A 10-share limit accepted and partly filled (x1: 4 @ 10), then `commands`. */
function run(commands: OrderCommand[]) {
  const book = new OrderBook();
  book.submit('o1', limitOrder({ qty: '10' }));
  book.run('o1', { type: 'accept', venueOrderId: 'v1' });
  book.run('o1', { type: 'fill', execId: 'x1', lastQty: '4', lastPx: '10' });
  const decisions = commands.map((c) => book.run('o1', c));
  return { state: book.state('o1'), decisions };
}

describe('open exceptions: raised by what needs an operator, removed only by a resolution', () => {
  // biome-ignore format: a table
  const cases: [string, OrderCommand[], string[]][] = [
    ['nothing went wrong',                                         [],                                                                                                  []],
    ['a conflicting duplicate execution is quarantined',           [{ type: 'fill', execId: 'x1', lastQty: '5', lastPx: '10' }],                                       ['quarantined_execution']],
    ['a workflow exception is recorded',                           [{ type: 'recordException', stage: 'Submit', error: 'Boom', cause: 'x', reachedVenue: true }],     ['workflow_exception']],
    ['a reconciliation break left open',                           [{ type: 'recordBreak', breakType: 'FILL_ATTR_MISMATCH', key: 'k', detail: 'd', repair: 'none' }], ['reconciliation_break']],
    ['a break repaired by its repair is not an operator\u2019s',   [{ type: 'recordBreak', breakType: 'MISSED_FILL', key: 'k', detail: 'd', repair: 'apply_fill' }],  []],
    ['resolved: gone',                                             [{ type: 'recordBreak', breakType: 'FILL_ATTR_MISMATCH', key: 'k', detail: 'd', repair: 'none' }, { type: 'resolveException', exceptionId: 'o1:4', reason: 'venue corrected', resolvedBy: 'ops' }], []],
  ];
  it.each(cases)('%s', (_name, commands, kinds) => {
    const { state, decisions } = run(commands);
    expect(decisions.every((d) => d.ok)).toBe(true);
    expect([...openExceptionsOf(state).values()].map((e) => e.kind)).toEqual(kinds);
  });

  it('the id is the raising event’s orderId:seq; resolving an unknown or already resolved one is refused', () => {
    const { state } = run([
      { type: 'recordBreak', breakType: 'STATUS_MISMATCH', key: 'k', detail: 'd', repair: 'none' },
    ]);
    expect([...openExceptionsOf(state).keys()]).toEqual([`o1:${state.seq}`]);
    const twice = run([
      { type: 'recordBreak', breakType: 'STATUS_MISMATCH', key: 'k', detail: 'd', repair: 'none' },
      { type: 'resolveException', exceptionId: 'o1:4', reason: 'r', resolvedBy: 'ops' },
      { type: 'resolveException', exceptionId: 'o1:4', reason: 'r', resolvedBy: 'ops' },
    ]);
    const last = twice.decisions.at(-1);
    expect(last?.ok ? 'ok' : last?.refusal.code).toBe('exception_not_found');
  });
});
