/**
 * A split order's remainder after a venue rejected some of its children (core algo-parent.ts
 * `reconcileAlgo` -> `rerouteRemainder`, core order.ts `reroute`, core routing/ `rejectedBy`):
 * routed again, away from the venues that rejected it, at most `MAX_ROUTING_ROUNDS` routings in
 * all; anything else that leaves the children short (a cancel, an expiry, no venue left) cancels
 * the remainder as before. Driven through the real router and the real state machine; the venues
 * are played by the table.
 */
import {
  type AlgoAction,
  builtInPolicies,
  decideRoute,
  execute,
  MAX_ROUTING_ROUNDS,
  type OrderCommand,
  type OrderState,
  type RoutingRequest,
  reconcileAlgo,
  routingRecordOf,
  signedNanos,
  statusOf,
  type VenueCandidate,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-12-04T15:00:00Z');
const n = (v: string) => signedNanos(v);

/** Three venues, 200 shown at 100.01 each: a market buy of 500 splits over all three. */
const venues: VenueCandidate[] = ['SIMX', 'SIMY', 'SIMZ'].map((venue) => ({
  venue,
  primary: venue === 'SIMX',
  bid: n('99.99'),
  ask: n('100.01'),
  bidSize: n('200'),
  askSize: n('200'),
  takerFee: n(venue === 'SIMZ' ? '0.001' : '0.003'),
  makerFee: n('-0.002'),
  latencyMs: 0,
  fillRate: 1,
  down: false,
  failedAt: null,
}));

/** What a venue does with a child sent to it, per routing round (1-based). */
type VenueAnswer = 'fill' | 'reject' | 'cancel';
type Script = (venue: string, round: number) => VenueAnswer;

class SplitSim {
  parent: OrderState;
  readonly children = new Map<string, OrderState>();
  readonly log: string[] = [];
  private ids = 0;

  constructor(
    private readonly script: Script,
    private readonly cancelAfterFirstRound = false,
  ) {
    const submitted = execute(
      undefined,
      {
        type: 'submit',
        orderId: 'P',
        accountId: 'acct',
        order: {
          symbol: 'ACME',
          qty: '500',
          notional: null,
          side: 'buy',
          type: 'market',
          timeInForce: 'day',
          limitPrice: null,
          stopPrice: null,
          trailPrice: null,
          trailPercent: null,
          extendedHours: false,
          clientOrderId: null,
          orderClass: 'simple',
          takeProfit: null,
          stopLoss: null,
          positionIntent: null,
          advancedInstructions: null,
        } as never,
      },
      T0,
    );
    this.parent = submitted.state as OrderState;
    this.route(1, []);
  }

  private request(rejectedBy: readonly string[]): RoutingRequest {
    return {
      side: 'buy',
      type: 'market',
      timeInForce: 'day',
      qty: (this.parent.qty as bigint) - this.parent.filledQty,
      notional: null,
      limitPrice: null,
      splittable: true,
      now: T0,
      venues,
      rejectedBy,
    };
  }

  /** Routes (round 1) or re-routes the remainder; places and plays each child. */
  private route(round: number, rejectedBy: readonly string[]): void {
    const request = this.request(rejectedBy);
    const decision = decideRoute(request, 'best_price', builtInPolicies);
    const childIds = decision.allocations.map(() => `C${++this.ids}`);
    const record = { ...routingRecordOf(request, decision, childIds), ...(round > 1 ? { round } : {}) };
    const command: OrderCommand =
      round === 1 ? { type: 'route', decision: record } : { type: 'reroute', decision: record };
    const r = execute(this.parent, command, T0);
    if (!r.decision.ok) throw new Error(r.decision.refusal.message);
    this.parent = r.state as OrderState;
    this.log.push(
      `round ${round}: ${record.allocations.map((a) => `${a.venue} ${a.qty}`).join(', ') || 'no venue'}`,
    );
    for (const a of record.allocations) {
      const id = a.childOrderId as string;
      let child = execute(
        undefined,
        {
          type: 'submit',
          orderId: id,
          accountId: 'acct',
          order: { ...this.parent.spec, qty: a.qty },
          contingency: {
            groupId: 'P',
            orderClass: 'algo',
            role: 'algo_child',
            parentOrderId: 'P',
            legOrderIds: [],
            held: false,
          },
          routedTo: a.venue,
        },
        T0,
      ).state as OrderState;
      const play = (c: OrderCommand) => {
        child = execute(child, c, T0).state as OrderState;
      };
      const answer = this.script(a.venue, round);
      if (answer === 'reject') play({ type: 'reject', reason: 'rejected_by_venue_control' });
      else {
        play({ type: 'accept' });
        if (answer === 'fill')
          play({ type: 'fill', execId: `${id}-x`, lastQty: a.qty as string, lastPx: '100.01' });
        else {
          play({ type: 'requestCancel', requestedBy: 'venue' });
          play({ type: 'confirmCancel' });
        }
      }
      this.children.set(id, child);
    }
  }

  /** The coordinator: carries out `reconcileAlgo`'s actions until nothing is left to do. */
  coordinate(): AlgoAction['kind'][] {
    const kinds: AlgoAction['kind'][] = [];
    for (let pass = 0; pass < 30; pass++) {
      const actions = reconcileAlgo(this.parent, this.children);
      if (actions.length === 0) return kinds;
      for (const a of actions) {
        kinds.push(a.kind);
        const run = (c: OrderCommand) => {
          const r = execute(this.parent, c, T0);
          if (r.decision.ok) this.parent = r.state as OrderState;
        };
        switch (a.kind) {
          case 'mirrorFill':
            run({
              type: 'fill',
              execId: a.execId,
              lastQty: a.lastQty,
              lastPx: a.lastPx,
              childOrderId: a.childOrderId,
            });
            break;
          case 'closeChild':
            run({
              type: 'closeChild',
              childOrderId: a.childOrderId,
              outcome: a.outcome,
              filledQty: a.filledQty,
            });
            if (this.cancelAfterFirstRound && this.parent.cancelRequest === 'none')
              run({ type: 'requestCancel', requestedBy: 'client' });
            break;
          case 'rerouteRemainder':
            this.route((this.parent.routing?.rounds ?? 1) + 1, a.rejectedBy);
            break;
          case 'cancelRoutedRemainder':
            run({ type: 'requestCancel', requestedBy: 'oms:routing:children_closed' });
            break;
          case 'confirmParentCancel':
            run({ type: 'confirmCancel' });
            break;
          case 'cancelChild':
            break;
        }
      }
    }
    throw new Error('the coordinator did not settle');
  }
}

describe('a split order whose venue rejected a child', () => {
  test.each<[string, Script, boolean, { status: string; filled: string; routings: string[] }]>([
    [
      'SIMY rejects once: its 100 goes again, to a venue that did not reject it; the order fills whole',
      (v, round) => (v === 'SIMY' && round === 1 ? 'reject' : 'fill'),
      false,
      {
        status: 'filled',
        filled: '500',
        routings: ['round 1: SIMZ 200, SIMX 200, SIMY 100', 'round 2: SIMZ 100'],
      },
    ],
    [
      'every venue rejects everything: routed at most MAX_ROUTING_ROUNDS times, then the remainder is canceled',
      () => 'reject',
      false,
      {
        status: 'canceled',
        filled: '0',
        // Round 2 avoids all three (each rejected in round 1): no venue; the remainder is canceled.
        routings: ['round 1: SIMZ 200, SIMX 200, SIMY 100', 'round 2: no venue'],
      },
    ],
    [
      'SIMY fills in round 1 then rejects: round 3 finds every venue has rejected the order; the rest is canceled',
      (v, round) => (v === 'SIMY' && round === 1 ? 'fill' : 'reject'),
      false,
      {
        status: 'canceled',
        filled: '100',
        routings: ['round 1: SIMZ 200, SIMX 200, SIMY 100', 'round 2: SIMY 400', 'round 3: no venue'],
      },
    ],
    [
      'a different venue rejects each round: the third routing is the last (MAX_ROUTING_ROUNDS)',
      (v, round) => (round === 1 && v !== 'SIMY' ? 'fill' : 'reject'),
      false,
      {
        status: 'canceled',
        filled: '400',
        routings: ['round 1: SIMZ 200, SIMX 200, SIMY 100', 'round 2: SIMZ 100', 'round 3: SIMX 100'],
      },
    ],
    [
      'a venue cancels a child (no rejection): the remainder is canceled, not routed again',
      (v) => (v === 'SIMY' ? 'cancel' : 'fill'),
      false,
      { status: 'canceled', filled: '400', routings: ['round 1: SIMZ 200, SIMX 200, SIMY 100'] },
    ],
    [
      'the client cancels the order meanwhile: a rejection is not routed again',
      (v) => (v === 'SIMY' ? 'reject' : 'fill'),
      true,
      { status: 'canceled', filled: '400', routings: ['round 1: SIMZ 200, SIMX 200, SIMY 100'] },
    ],
  ])('%s', (_name, script, cancel, expected) => {
    const sim = new SplitSim(script, cancel);
    sim.coordinate();
    expect({
      status: statusOf(sim.parent),
      filled: String(Number(sim.parent.filledQty / 1_000_000_000n)),
      routings: sim.log,
    }).toEqual(expected);
    expect(sim.parent.routing?.rounds ?? 1).toBeLessThanOrEqual(MAX_ROUTING_ROUNDS);
    // Never more working than the order: what was sent, less what came back, is within its qty.
    const sent = [...(sim.parent.algo?.children.values() ?? [])].reduce((s, c) => s + c.qty, 0n);
    const rejected = [...(sim.parent.algo?.children.values() ?? [])]
      .filter((c) => c.outcome === 'rejected')
      .reduce((s, c) => s + c.qty, 0n);
    expect(sent - rejected).toBeLessThanOrEqual(sim.parent.qty as bigint);
  });

  test('a retried re-route of a round already recorded places nothing; a round out of turn is refused', () => {
    const sim = new SplitSim((v, round) => (v === 'SIMY' && round === 1 ? 'reject' : 'fill'));
    sim.coordinate();
    const recorded = sim.parent.routing;
    expect(recorded?.rounds).toBe(2);
    const decision = {
      policy: 'best_price',
      marketable: true,
      nbbo: { bid: '99.99', ask: '100.01' },
      venues: [],
      excluded: [],
      allocations: [],
      reason: 'x',
    };
    expect(
      execute(sim.parent, { type: 'reroute', decision: { ...decision, round: 2 } }, T0).decision,
    ).toEqual({
      ok: true,
      events: [],
    });
    const skipped = execute(
      sim.parent,
      { type: 'reroute', decision: { ...decision, round: 4 } },
      T0,
    ).decision;
    expect(skipped.ok ? 'ok' : skipped.refusal.code).not.toBe('ok');
  });
});

test('a split order is not replaceable, and the refusal says why in the client’s terms (not “algorithmic”)', () => {
  // A probe: a plain limit order the router split was refused as "an algorithmic order".
  const sim = new SplitSim(() => 'fill');
  const r = execute(
    sim.parent,
    {
      type: 'requestReplace',
      replacementOrderId: 'R',
      changes: { qty: '400' },
      requestedBy: 'bot',
    } as OrderCommand,
    T0,
  );
  expect(r.decision).toMatchObject({
    ok: false,
    refusal: {
      message:
        'requestReplace: an order the router split over venues cannot be replaced (cancel it and place a new order)',
    },
  });
});
