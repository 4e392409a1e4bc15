/**
 * The command table (core `phaseRule`, issue 11 section 4) and `decide` agree: for every command
 * and every phase, `decide` on an order in that phase, whose other preconditions for the command
 * hold (its type, a request outstanding, an algorithmic parent...), does what the table says.
 * The table is what a reader checks against the FIX matrices (test/core/fix-matrices.test.ts).
 */
import {
  CLOSED_PHASES,
  decide,
  type OrderCommand,
  type OrderCommandType,
  type OrderState,
  type Phase,
  type PhaseRule,
  phaseRule,
} from '../../lambdas/core/index.js';
import { limitOrder, OrderBook, T0 } from './order-book.js';

const PHASES: readonly Phase[] = [
  'held',
  'armed',
  'pending_new',
  'working',
  'done_for_day',
  'canceled',
  'expired',
  'rejected',
  'replaced',
];

const trailingStop = () => limitOrder({ type: 'trailing_stop', limit_price: undefined, trail_price: '1' });

function placed(spec = limitOrder()): OrderState {
  const b = new OrderBook();
  b.submit('o1', spec);
  return b.state('o1');
}

/** An order whose preconditions for `type`, other than its phase, hold; and the command. */
function scenario(type: OrderCommandType): { state: OrderState; command: OrderCommand } {
  const limit = placed();
  const trailing = placed(trailingStop());
  switch (type) {
    case 'submit':
      return { state: limit, command: { type, orderId: 'o1', accountId: 'acct-1', order: limitOrder() } };
    case 'moveTrail':
      return { state: trailing, command: { type, hwm: '11' } };
    case 'arm':
      return { state: trailing, command: { type, venue: 'SIMX' } };
    case 'activate':
      return { state: limit, command: { type, qty: '1' } };
    case 'route':
      return {
        state: limit,
        command: {
          type,
          decision: {
            policy: 'best_price',
            marketable: false,
            nbbo: { bid: '9.99', ask: '10.01' },
            venues: [],
            excluded: [],
            allocations: [
              {
                venue: 'SIMX',
                qty: '1',
                notional: null,
                limitPrice: '10',
                expectedPrice: null,
                liquidity: 'post',
                childOrderId: null,
              },
            ],
            reason: 'rests at SIMX',
          },
        },
      };
    case 'reroute': {
      // A split order whose only child was rejected: its whole quantity routed again.
      const algo = {
        decidedSlices: new Set<number>(),
        children: new Map([
          ['c1', { qty: limit.qty as bigint, filled: 0n, open: false, outcome: 'rejected' as const }],
        ]),
        volumeMark: null,
        done: true,
      };
      const routing = {
        venues: ['SIMY'],
        split: true,
        allocations: [],
        policy: 'best_price',
        rounds: 1,
        lastRound: ['c1'],
      };
      return {
        state: { ...limit, algo, routing, venue: null },
        command: {
          type,
          decision: {
            policy: 'best_price',
            marketable: true,
            nbbo: { bid: '9.99', ask: '10.01' },
            venues: [],
            excluded: [{ venue: 'SIMY', reason: 'rejected_this_order' }],
            allocations: [
              {
                venue: 'SIMX',
                qty: limit.spec.qty as string,
                notional: null,
                limitPrice: '10',
                expectedPrice: null,
                liquidity: 'take',
                childOrderId: 'c2',
              },
            ],
            reason: 'the remainder at SIMX',
            round: 2,
          },
        },
      };
    }
    case 'accept':
      return { state: limit, command: { type, venueOrderId: 'v1' } };
    case 'reject':
      return { state: limit, command: { type, reason: 'venue_rejected' } };
    case 'trigger':
      return { state: trailing, command: { type, triggerPrice: '10' } };
    case 'fill':
      return { state: limit, command: { type, execId: 'e1', lastQty: '1', lastPx: '10' } };
    case 'decideSlice':
    case 'closeChild': {
      const algo = {
        decidedSlices: new Set<number>(),
        children: new Map([['c1', { qty: 1_000_000_000n, filled: 0n, open: true }]]),
        volumeMark: null,
        done: false,
      };
      const state = { ...limit, algo };
      return type === 'decideSlice'
        ? { state, command: { type, trigger: 'slice', sliceIndex: 0, decision: 'wait' } }
        : { state, command: { type, childOrderId: 'c1', outcome: 'canceled', filledQty: '0' } };
    }
    case 'requestCancel':
      return { state: limit, command: { type, requestedBy: 'bot' } };
    case 'acknowledgeCancel':
    case 'confirmCancel':
      return { state: { ...limit, cancelRequest: 'requested', cancelRequestedBy: 'bot' }, command: { type } };
    case 'rejectCancel':
      return {
        state: { ...limit, cancelRequest: 'requested', cancelRequestedBy: 'bot' },
        command: { type, reason: 'too_late_to_cancel' },
      };
    case 'requestReplace':
      return {
        state: limit,
        command: { type, replacementOrderId: 'o2', changes: { limitPrice: '9.5' }, requestedBy: 'bot' },
      };
    case 'acknowledgeReplace':
    case 'confirmReplace':
    case 'rejectReplace': {
      const replaceRequest = {
        replacementOrderId: 'o2',
        changes: { limitPrice: '9.5' },
        acknowledged: false,
      };
      const state = { ...limit, replaceRequest };
      return type === 'rejectReplace'
        ? { state, command: { type, reason: 'too_late_to_replace' } }
        : { state, command: { type } };
    }
    case 'expire':
      return { state: limit, command: { type } };
    case 'doneForDay':
      return { state: limit, command: { type } };
    case 'restate':
      return { state: limit, command: { type, reason: 'corporate_action', limitPrice: '9' } };
    case 'recordException':
      return {
        state: limit,
        command: { type, stage: 'Submit to venue', error: 'Boom', cause: 'x', reachedVenue: true },
      };
    case 'resolveException':
      return {
        state: {
          ...limit,
          openExceptions: new Map([
            ['o1:9', { kind: 'workflow_exception', detail: 'x', raisedAt: limit.updatedAt }],
          ]),
        },
        command: { type, exceptionId: 'o1:9', reason: 'checked with the venue', resolvedBy: 'ops-1' },
      };
    case 'recordBreak':
      return {
        state: limit,
        command: {
          type,
          breakType: 'MISSED_FILL',
          key: 'MISSED_FILL|x-1',
          detail: 'x',
          repair: 'apply_fill',
        },
      };
  }
}

const COMMANDS: readonly OrderCommandType[] = [
  'submit',
  'moveTrail',
  'arm',
  'reroute',
  'activate',
  'accept',
  'reject',
  'trigger',
  'fill',
  'decideSlice',
  'closeChild',
  'requestCancel',
  'acknowledgeCancel',
  'confirmCancel',
  'rejectCancel',
  'requestReplace',
  'acknowledgeReplace',
  'confirmReplace',
  'rejectReplace',
  'expire',
  'doneForDay',
  'restate',
  'recordException',
  'recordBreak',
  'resolveException',
];

/** What `decide` did, in the table's terms. */
function observed(state: OrderState, command: OrderCommand): PhaseRule {
  const d = command.type === 'submit' ? decide(state, command, T0) : decide(state, command, T0 + 1000);
  if (!d.ok) return d.refusal.code;
  const types = d.events.map((e) => e.type);
  if (types.length === 0) return 'ignore';
  if (types.includes('OrderExecutionQuarantined')) return 'quarantine';
  const closedAtOnce = types.includes('OrderCanceled') || types.includes('OrderReplaced');
  if ((command.type === 'requestCancel' || command.type === 'requestReplace') && closedAtOnce)
    return 'at_once';
  return 'allow';
}

const cells = COMMANDS.flatMap((c) => PHASES.map((p) => [c, p] as const));

test.each(cells)('%s in %s: decide does what the table says', (type, phase) => {
  const { state, command } = scenario(type);
  const inPhase: OrderState = {
    ...state,
    phase,
    ...(phase === 'armed' ? { armedFor: 'SIMX' } : {}),
  };
  expect(observed(inPhase, command)).toBe(phaseRule(type, phase));
});

test('the four closed phases answer every command alike', () => {
  for (const c of COMMANDS) {
    const rules = new Set([...CLOSED_PHASES].map((p) => phaseRule(c, p)));
    expect(rules.size).toBe(1);
  }
});

// A few cells read against the FIX matrices and Alpaca, so a change to the table is a visible one.
// biome-ignore format: table
const cited: [string, OrderCommandType, Phase, PhaseRule][] = [
  ['FIX D8: a cancel of a filled/closed order is refused',             'requestCancel', 'canceled',    'order_closed'],
  ['FIX B.1.d: a cancel before the ack goes to the venue',              'requestCancel', 'pending_new', 'allow'],
  ['FIX D4-D7: a fill during a pending request applies',                'fill',          'working',     'allow'],
  ['FIX B.1.e: a fill before the ack implies it',                       'fill',          'pending_new', 'allow'],
  ['a fill on a closed order is quarantined, never applied',            'fill',          'expired',     'quarantine'],
  ['Alpaca: a held leg is canceled at once (it is not at the venue)',   'requestCancel', 'held',        'at_once'],
  ['a replace before the venue accepted the order is refused',          'requestReplace','pending_new', 'not_replaceable'],
  ['FIX D2: done for day answers only a working order',                 'doneForDay',    'pending_new', 'not_working'],
];
test.each(cited)('%s', (_why, command, phase, rule) => {
  expect(phaseRule(command, phase)).toBe(rule);
});
