/**
 * Contingent orders in the core: the members a request stands for, the held phase, and
 * `reconcileGroup` driven through a small group simulator that plays the venue (acknowledgements,
 * fills, cancel and replace confirmations) and the coordinator (reconcile, then each action as the
 * member's own command), as the wiring does.
 */
import fc from 'fast-check';
import {
  contingentMembersOf,
  execute,
  exitQtyChangeError,
  formatNanos,
  type GroupAction,
  type GroupStates,
  isTriggerHeldForGroup,
  leavesQtyOf,
  nanos,
  type OrderCommand,
  type OrderSpec,
  type OrderState,
  ocoQtyOf,
  openReplacement,
  reconcileGroup,
  replay,
  shownStatusOf,
  statusOf,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');

function spec(request: Record<string, unknown>): OrderSpec {
  const v = validateOrderRequest(request, { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}

const BRACKET = spec({
  symbol: 'ACME',
  qty: '100',
  side: 'buy',
  type: 'limit',
  limit_price: '10',
  time_in_force: 'gtc',
  order_class: 'bracket',
  take_profit: { limit_price: '11' },
  stop_loss: { stop_price: '9', limit_price: '8.9' },
});
const OTO = spec({
  symbol: 'ACME',
  qty: '100',
  side: 'buy',
  type: 'limit',
  limit_price: '10',
  time_in_force: 'day',
  order_class: 'oto',
  stop_loss: { stop_price: '9' },
});
const OCO = spec({
  symbol: 'ACME',
  qty: '100',
  side: 'sell',
  type: 'limit',
  time_in_force: 'gtc',
  order_class: 'oco',
  take_profit: { limit_price: '11' },
  stop_loss: { stop_price: '9' },
});

describe('contingentMembersOf', () => {
  test('a bracket is an entry and two held exits on the other side', () => {
    const [entry, tp, sl] = contingentMembersOf(BRACKET, ['e', 'tp', 'sl']);
    expect(entry).toMatchObject({
      orderId: 'e',
      spec: { side: 'buy', type: 'limit', limitPrice: '10' },
      contingency: {
        groupId: 'e',
        role: 'entry',
        parentOrderId: null,
        legOrderIds: ['tp', 'sl'],
        held: false,
      },
    });
    expect(tp).toMatchObject({
      orderId: 'tp',
      spec: {
        side: 'sell',
        type: 'limit',
        limitPrice: '11',
        stopPrice: null,
        qty: '100',
        timeInForce: 'gtc',
      },
      contingency: { groupId: 'e', role: 'take_profit', parentOrderId: 'e', held: true },
    });
    expect(sl).toMatchObject({
      spec: { side: 'sell', type: 'stop_limit', stopPrice: '9', limitPrice: '8.9', clientOrderId: null },
      contingency: { role: 'stop_loss', held: true },
    });
  });

  test('an OCO is its take-profit limit and a working stop-loss on the same side', () => {
    const members = contingentMembersOf(OCO, ['o', 's']);
    expect(members.map((m) => [m.spec.side, m.spec.type, m.spec.limitPrice, m.spec.stopPrice])).toEqual([
      ['sell', 'limit', '11', null],
      ['sell', 'stop', null, '9'],
    ]);
    expect(members.map((m) => m.contingency?.held)).toEqual([false, false]);
    expect(members.map((m) => m.contingency?.role)).toEqual(['take_profit', 'stop_loss']);
  });

  test('an OTO has one held exit; a simple order is one member without contingency', () => {
    expect(contingentMembersOf(OTO, ['e', 'x']).map((m) => m.contingency?.role)).toEqual([
      'entry',
      'stop_loss',
    ]);
    const simple = spec({ symbol: 'ACME', qty: '1', side: 'buy', type: 'market', time_in_force: 'day' });
    expect(contingentMembersOf(simple, ['s'])).toEqual([{ orderId: 's', spec: simple, contingency: null }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Group simulator

class Group {
  readonly orders = new Map<string, OrderState>();
  /** Member id -> head of its replacement chain. */
  private readonly heads = new Map<string, string>();
  private replacements = 0;
  private execs = 0;
  readonly rootId: string;
  readonly memberIds: string[];

  /**
   * Who holds the stops: `rule` (the wiring's: a bracket's or OCO's stop-loss is armed at the OMS,
   * core `isTriggerHeldForGroup`, any other stop goes to the venue), `oms` (a venue without stop
   * types: the OMS arms every stop), `venue` (every stop at the venue: a group placed before the
   * rule, its stop-loss resting at the venue).
   */
  constructor(
    readonly spec: OrderSpec,
    readonly stops: 'rule' | 'oms' | 'venue' = 'rule',
  ) {
    const ids = ['root', 'leg1', 'leg2'];
    const members = contingentMembersOf(spec, ids);
    this.rootId = 'root';
    this.memberIds = members.map((m) => m.orderId);
    for (const m of members) {
      this.heads.set(m.orderId, m.orderId);
      const r = execute(
        undefined,
        {
          type: 'submit',
          orderId: m.orderId,
          accountId: 'acct',
          order: m.spec,
          ...(m.contingency === null ? {} : { contingency: m.contingency }),
        },
        T0,
      );
      this.orders.set(m.orderId, r.state as OrderState);
    }
  }

  head(member: string): OrderState {
    return this.orders.get(this.heads.get(member) as string) as OrderState;
  }

  run(orderId: string, command: OrderCommand): boolean {
    const r = execute(this.orders.get(orderId), command, T0);
    if (!r.decision.ok) return false;
    this.orders.set(orderId, r.state as OrderState);
    const s = r.state as OrderState;
    if (s.phase === 'replaced' && !this.orders.has(s.replacedBy as string)) {
      const opened = replay(openReplacement(s, T0)) as OrderState;
      this.orders.set(opened.orderId, opened);
      for (const [member, head] of this.heads) if (head === orderId) this.heads.set(member, opened.orderId);
    }
    return true;
  }

  states(): GroupStates {
    const root = this.head(this.rootId);
    const exits = this.memberIds
      .filter((id) => this.orders.get(id)?.contingency?.role !== 'entry')
      .map((id) => this.head(id));
    return {
      orderClass: root.contingency?.orderClass as GroupStates['orderClass'],
      entry: root.contingency?.role === 'entry' ? root : null,
      exits,
      ocoQty: this.spec.orderClass === 'oco' ? ocoQtyOf(this.spec) : null,
    };
  }

  /** The coordinator: reconcile and carry out each action as the member's command. */
  reconcile(): GroupAction[] {
    const actions = reconcileGroup(this.states());
    for (const a of actions) {
      switch (a.kind) {
        case 'activate':
          this.run(a.orderId, { type: 'activate', qty: formatNanos(a.qty) });
          break;
        case 'cancel':
          this.run(a.orderId, { type: 'requestCancel', requestedBy: 'oms' });
          break;
        case 'resize':
          this.run(a.orderId, {
            type: 'requestReplace',
            replacementOrderId: `r${++this.replacements}`,
            changes: { qty: formatNanos(a.qty) },
            requestedBy: 'oms',
          });
          break;
        case 'overExecution':
          this.run(a.orderId, {
            type: 'recordException',
            stage: 'contingency',
            error: 'over_execution',
            cause: `exits filled ${formatNanos(a.exitFilledQty)} of a ${formatNanos(a.positionQty)} position`,
            reachedVenue: true,
          });
          break;
      }
    }
    return actions;
  }

  /**
   * The venue answers every pending request and acknowledges every new order; the OMS arms an
   * untriggered stop it holds (`stops`) instead of sending it.
   */
  venueAnswers(): void {
    for (const [id, s] of [...this.orders]) {
      const omsHolds =
        this.stops === 'oms' || (this.stops === 'rule' && isTriggerHeldForGroup(s.contingency));
      const held = omsHolds && !s.triggered && ['stop', 'stop_limit', 'trailing_stop'].includes(s.spec.type);
      if (s.phase === 'pending_new') this.run(id, held ? { type: 'arm', venue: 'SIMX' } : { type: 'accept' });
      const now = this.orders.get(id) as OrderState;
      if (now.cancelRequest === 'requested') this.run(id, { type: 'confirmCancel' });
      else if (now.replaceRequest !== null) this.run(id, { type: 'confirmReplace' });
    }
  }

  /** The OMS triggers an armed stop (the market crossed it). */
  trigger(member: string): boolean {
    return this.run(this.head(member).orderId, { type: 'trigger', triggerPrice: '9' });
  }

  fill(member: string, qty: string): boolean {
    const s = this.head(member);
    return this.run(s.orderId, { type: 'fill', execId: `x${++this.execs}`, lastQty: qty, lastPx: '10' });
  }

  /** Reconcile and answer until nothing changes. */
  settle(): void {
    for (let i = 0; i < 20; i++) {
      const before = JSON.stringify([...this.orders.values()].map((s) => [s.orderId, s.seq]));
      this.reconcile();
      this.venueAnswers();
      if (JSON.stringify([...this.orders.values()].map((s) => [s.orderId, s.seq])) === before) return;
    }
    throw new Error('the group did not settle');
  }

  summary(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const id of this.memberIds) {
      const s = this.head(id);
      out[s.contingency?.role ?? id] =
        `${shownStatusOf(s)} ${formatNanos(s.filledQty)}/${s.qty === null ? '-' : formatNanos(s.qty)}`;
    }
    return out;
  }
}

/** `reconcile`: one coordinator pass; `venue`: the venue answers what is pending; `settle`: both until stable. */
type Step =
  | ['fill', string, string]
  | ['cancel', string]
  | ['trigger', string]
  /** The market reaches the member: the venue fills it if it works there (nothing if not). */
  | ['market', string, string]
  | ['reconcile']
  | ['venue']
  | ['settle'];

// biome-ignore format: table
const scenarios: { name: string; spec: OrderSpec; steps: Step[]; expected: Record<string, string>; stops?: 'oms' | 'venue' }[] = [
  { name: 'bracket: legs held until the entry fills', spec: BRACKET, steps: [['settle']],
    expected: { entry: 'new 0/100', take_profit: 'held 0/100', stop_loss: 'held 0/100' } },
  { name: 'bracket: entry fills, take-profit fills, stop-loss canceled', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['fill', 'leg1', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'filled 100/100', stop_loss: 'canceled 0/100' } },
  { name: 'bracket: a partial entry fill activates the legs at its size, later fills resize them', spec: BRACKET,
    steps: [['fill', 'root', '30'], ['settle'], ['fill', 'root', '50'], ['settle']],
    expected: { entry: 'partially_filled 80/100', take_profit: 'new 0/80', stop_loss: 'held 0/80' } },
  { name: 'bracket: a partial take-profit fill reduces the stop-loss', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['fill', 'leg1', '40'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'partially_filled 40/100', stop_loss: 'held 0/60' } },
  { name: 'bracket: canceling an unfilled entry cancels the held legs', spec: BRACKET,
    steps: [['settle'], ['cancel', 'root'], ['settle']],
    expected: { entry: 'canceled 0/100', take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'bracket: canceling a partly filled entry keeps the legs protecting the fills', spec: BRACKET,
    steps: [['fill', 'root', '25'], ['settle'], ['cancel', 'root'], ['settle']],
    expected: { entry: 'canceled 25/100', take_profit: 'new 0/25', stop_loss: 'held 0/25' } },
  { name: 'oto: the one exit activates when the entry fills', spec: OTO,
    steps: [['fill', 'root', '100'], ['settle']],
    expected: { entry: 'filled 100/100', stop_loss: 'new 0/100' } },
  { name: 'oco: both exits work at once (the stop-loss armed at the OMS); its trigger cancels the take-profit', spec: OCO,
    steps: [['settle'], ['trigger', 'leg1'], ['settle'], ['fill', 'leg1', '100'], ['settle']],
    expected: { take_profit: 'canceled 0/100', stop_loss: 'filled 100/100' } },
  { name: 'oco: a partial fill reduces the sibling', spec: OCO,
    steps: [['settle'], ['fill', 'root', '70'], ['settle']],
    expected: { take_profit: 'partially_filled 70/100', stop_loss: 'held 0/30' } },
  { name: 'oco placed before the rule (stop-loss at the venue): a fill on one cancels the other', spec: OCO, stops: 'venue',
    steps: [['settle'], ['fill', 'leg1', '100'], ['settle']],
    expected: { take_profit: 'canceled 0/100', stop_loss: 'filled 100/100' } },
  // The rule (docs/domain.md "Contingent orders", core isTriggerHeldForGroup): a bracket's or OCO's
  // stop-loss is held by the OMS; once triggered it is held on (status held) until no sibling exit
  // can execute at the venue, then sent for what is left, or canceled when the sibling covered it.
  { name: 'rule: the stop-loss triggers: the take-profit\'s cancel is asked first, the stop waits held', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['reconcile']],
    expected: { entry: 'filled 100/100', take_profit: 'new 0/100', stop_loss: 'held 0/100' } },
  { name: 'rule: the take-profit fills while its cancel is at the venue: the triggered stop is canceled, never sent', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['reconcile'], ['fill', 'leg1', '100'], ['venue'], ['market', 'leg2', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'filled 100/100', stop_loss: 'canceled 0/100' } },
  { name: 'rule: the take-profit partly fills before its cancel: the triggered stop goes for the rest', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['reconcile'], ['fill', 'leg1', '40'], ['venue'], ['market', 'leg2', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 40/100', stop_loss: 'new 0/60' } },
  { name: 'rule: the take-profit is canceled: the triggered stop goes for the whole position and fills', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['settle'], ['fill', 'leg2', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'filled 100/100' } },
  { name: 'rule: oco: the take-profit fills while its cancel is at the venue: the triggered stop is canceled', spec: OCO,
    steps: [['settle'], ['trigger', 'leg1'], ['reconcile'], ['fill', 'root', '100'], ['venue'], ['market', 'leg1', '100'], ['settle']],
    expected: { take_profit: 'filled 100/100', stop_loss: 'canceled 0/100' } },
  { name: 'rule: oco partly filled, then the stop triggers: it goes for what the take-profit left', spec: OCO,
    steps: [['settle'], ['fill', 'root', '30'], ['settle'], ['trigger', 'leg1'], ['reconcile'], ['fill', 'root', '20'], ['venue'], ['market', 'leg1', '50'], ['settle']],
    expected: { take_profit: 'canceled 50/100', stop_loss: 'new 0/50' } },
  { name: 'rule: the client cancels the group while the triggered stop is held: everything is canceled', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['cancel', 'leg2'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'rule: a partly filled entry fills more while the triggered stop is held: it goes for the whole position', spec: BRACKET,
    steps: [['fill', 'root', '60'], ['settle'], ['trigger', 'leg2'], ['reconcile'], ['fill', 'root', '40'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/60', stop_loss: 'new 0/100' } },
  { name: 'rule: a venue without stops: the same (the OMS holds the group\'s stop-loss either way)', spec: BRACKET, stops: 'oms',
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['reconcile'], ['fill', 'leg1', '100'], ['venue'], ['market', 'leg2', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'filled 100/100', stop_loss: 'canceled 0/100' } },
  { name: 'rule: an OTO\'s one exit has no sibling: its OMS-held stop goes to the venue as it triggers', spec: OTO, stops: 'oms',
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg1']],
    expected: { entry: 'filled 100/100', stop_loss: 'pending_new 0/100' } },
  // A venue without stops: the OMS holds the stop-loss (accepted) until it triggers.
  { name: 'held stop-loss: the take-profit fills, the armed stop-loss is canceled at once', spec: BRACKET, stops: 'oms',
    steps: [['fill', 'root', '100'], ['settle'], ['fill', 'leg1', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'filled 100/100', stop_loss: 'canceled 0/100' } },
  { name: 'held stop-loss: a partial take-profit resizes it; the replacement is armed again', spec: BRACKET, stops: 'oms',
    steps: [['fill', 'root', '100'], ['settle'], ['fill', 'leg1', '40'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'partially_filled 40/100', stop_loss: 'held 0/60' } },
  { name: 'held stop-loss: it triggers, goes to the venue and fills; the take-profit is canceled', spec: BRACKET, stops: 'oms',
    steps: [['fill', 'root', '100'], ['settle'], ['trigger', 'leg2'], ['settle'], ['fill', 'leg2', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'filled 100/100' } },
  { name: 'held oco stop: a partial take-profit fill reduces the armed sibling', spec: OCO, stops: 'oms',
    steps: [['settle'], ['fill', 'root', '70'], ['settle']],
    expected: { take_profit: 'partially_filled 70/100', stop_loss: 'held 0/30' } },
  // Issue 11: the client cancels one exit of an OCO or a bracket: the whole exit group goes (Alpaca);
  // the entry is not an exit and is left as it is (docs/domain.md, "client cancels member X").
  { name: 'oco: the client cancels the take-profit (the root): the stop-loss is canceled too', spec: OCO,
    steps: [['settle'], ['cancel', 'root'], ['settle']],
    expected: { take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'oco: the client cancels the stop-loss: the take-profit is canceled too', spec: OCO,
    steps: [['settle'], ['cancel', 'leg1'], ['settle']],
    expected: { take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'oco partly filled: the client cancels the stop-loss: the take-profit rest is canceled', spec: OCO,
    steps: [['settle'], ['fill', 'root', '30'], ['settle'], ['cancel', 'leg1'], ['settle']],
    expected: { take_profit: 'canceled 30/100', stop_loss: 'canceled 0/70' } },
  { name: 'bracket activated: the client cancels the take-profit: the stop-loss is canceled too', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['cancel', 'leg1'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'bracket activated: the client cancels the stop-loss: the take-profit is canceled too', spec: BRACKET,
    steps: [['fill', 'root', '100'], ['settle'], ['cancel', 'leg2'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'bracket not filled: the client cancels a held exit: the other held exit goes, the entry works on', spec: BRACKET,
    steps: [['settle'], ['cancel', 'leg1'], ['settle'], ['fill', 'root', '100'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
  { name: 'bracket partly filled: the client cancels an exit: both exits go, the entry keeps working', spec: BRACKET,
    steps: [['fill', 'root', '25'], ['settle'], ['cancel', 'leg2'], ['settle']],
    expected: { entry: 'partially_filled 25/100', take_profit: 'canceled 0/25', stop_loss: 'canceled 0/25' } },
  { name: 'oto: the client cancels the exit: the entry is not an exit and works on', spec: OTO,
    steps: [['fill', 'root', '100'], ['settle'], ['cancel', 'leg1'], ['settle']],
    expected: { entry: 'filled 100/100', stop_loss: 'canceled 0/100' } },
  { name: 'held stop-loss: the client cancels the take-profit: the armed stop-loss is canceled at once', spec: BRACKET, stops: 'oms',
    steps: [['fill', 'root', '100'], ['settle'], ['cancel', 'leg1'], ['settle']],
    expected: { entry: 'filled 100/100', take_profit: 'canceled 0/100', stop_loss: 'canceled 0/100' } },
];

describe('reconcileGroup through the group simulator', () => {
  test.each(scenarios)('$name', ({ spec: s, steps, expected, stops }) => {
    const g = new Group(s, stops);
    g.venueAnswers(); // the root(s) are acknowledged; held legs are not at the venue
    for (const step of steps) {
      if (step[0] === 'settle') g.settle();
      else if (step[0] === 'reconcile') g.reconcile();
      else if (step[0] === 'venue') g.venueAnswers();
      else if (step[0] === 'market') {
        if (g.head(step[1]).phase === 'working') expect(g.fill(step[1], step[2])).toBe(true);
      } else if (step[0] === 'trigger') expect(g.trigger(step[1])).toBe(true);
      else if (step[0] === 'fill') expect(g.fill(step[1], step[2])).toBe(true);
      else
        expect(g.run(g.head(step[1]).orderId, { type: 'requestCancel', requestedBy: 'client' })).toBe(true);
    }
    expect(g.summary()).toEqual(expected);
  });

  test('both OCO legs filling at once (a group placed before the rule) is recorded as an over-execution, once per leg', () => {
    const g = new Group(OCO, 'venue');
    g.venueAnswers();
    g.fill('root', '100');
    g.fill('leg1', '100'); // before the coordinator could cancel it
    const actions = g.reconcile();
    expect(actions.map((a) => a.kind)).toEqual(['overExecution', 'overExecution']);
    g.reconcile(); // a second run (redelivery) records nothing more
    for (const id of ['root', 'leg1']) {
      const exceptions = [...(g.head(id).recordedExceptions ?? [])];
      expect(exceptions).toEqual(['contingency|over_execution']);
      expect(statusOf(g.head(id))).toBe('filled');
    }
  });

  test('a held leg is not at the venue: no fill, no replace; a cancel closes it at once', () => {
    const g = new Group(BRACKET);
    const leg = g.head('leg1');
    expect(statusOf(leg)).toBe('held');
    expect(leavesQtyOf(leg)).toBe(nanos('100'));
    for (const c of [
      { type: 'fill', execId: 'x', lastQty: '1', lastPx: '1' },
      { type: 'accept' },
      { type: 'requestReplace', replacementOrderId: 'r', changes: { qty: '5' }, requestedBy: 'client' },
      { type: 'activate', qty: '101' },
      { type: 'activate', qty: '0' },
    ] as OrderCommand[]) {
      expect(execute(leg, c, T0).decision.ok).toBe(false);
    }
    const canceled = execute(leg, { type: 'requestCancel', requestedBy: 'client' }, T0);
    expect(canceled.decision.ok && canceled.decision.events.map((e) => e.type)).toEqual(['OrderCanceled']);
    expect(statusOf(canceled.state as OrderState)).toBe('canceled');
  });
});

describe('properties', () => {
  type Op =
    | { kind: 'fill'; member: 0 | 1 | 2; pct: number }
    | { kind: 'trigger'; member: 0 | 1 | 2 }
    | { kind: 'coordinate' }
    | { kind: 'venue' };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant('trigger' as const), member: fc.constantFrom(0, 1, 2) }),
    fc.record({
      kind: fc.constant('fill' as const),
      member: fc.constantFrom(0, 1, 2),
      pct: fc.integer({ min: 1, max: 100 }),
    }),
    fc.constant({ kind: 'coordinate' as const }),
    fc.constant({ kind: 'venue' as const }),
  );

  test('whatever the interleaving, a settled group covers exactly the position, or records the over-execution', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(BRACKET, OTO, OCO),
        fc.constantFrom('rule' as const, 'oms' as const, 'venue' as const),
        fc.array(op, { maxLength: 40 }),
        (s, stops, ops) => {
          const g = new Group(s, stops);
          g.venueAnswers();
          const exitsWithinPosition = () => {
            const st = g.states();
            const position = st.entry === null ? (st.ocoQty as bigint) : st.entry.filledQty;
            return st.exits.reduce((a, x) => a + x.filledQty, 0n) <= position;
          };
          for (const o of ops) {
            // The rule (docs/domain.md "Contingent orders"): with the group's stop-loss held by the
            // OMS, at no moment have the exits filled more than the position, whatever the order in
            // which the venue's answers, the coordinator and the market come.
            if (stops !== 'venue') expect(exitsWithinPosition()).toBe(true);
            if (o.kind === 'coordinate') g.reconcile();
            else if (o.kind === 'venue') g.venueAnswers();
            else if (o.kind === 'trigger') {
              const id = g.memberIds[o.member];
              if (id !== undefined && g.head(id).phase === 'armed') g.trigger(id);
            } else {
              const id = g.memberIds[o.member];
              if (id === undefined) continue;
              const head = g.head(id);
              const leaves = leavesQtyOf(head) ?? 0n;
              // The venue fills only what works there.
              if (head.phase !== 'working' || leaves === 0n) continue;
              // Whole shares, as a venue fills a whole-share order.
              const share = nanos('1');
              const qty = ((leaves * BigInt(o.pct)) / 100n / share + 1n) * share;
              g.fill(id, formatNanos(qty > leaves ? leaves : qty));
            }
          }
          g.settle();
          const st = g.states();
          const position = st.entry === null ? (st.ocoQty as bigint) : st.entry.filledQty;
          const exitFilled = st.exits.reduce((a, x) => a + x.filledQty, 0n);
          if (exitFilled > position) {
            // Never silent: every exit that filled carries the exception.
            for (const x of st.exits)
              if (x.filledQty > 0n) expect(x.recordedExceptions.has('contingency|over_execution')).toBe(true);
            return;
          }
          for (const x of st.exits) {
            const leaves = leavesQtyOf(x) ?? 0n;
            // Each open exit covers exactly what is left of the position; a closed one nothing.
            if (statusOf(x) === 'held') expect(position).toBe(0n);
            else if (x.phase === 'armed') expect(leaves).toBe(position - exitFilled);
            else if (leaves > 0n) expect(leaves).toBe(position - exitFilled);
          }
          for (const x of st.exits) expect(x.recordedExceptions.size).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe("a bracket's or OTO's entry: its qty may not be raised past the exits sized to it", () => {
  // A probe raised a bracket's entry from 5 to 8: it filled 8, its exits of 5 could never activate
  // and the position was left without its stop. Lowered or repriced, the exits follow (as before).
  const replaceEntry = (group: OrderSpec, changes: Record<string, string>) => {
    const g = new Group(group);
    g.venueAnswers();
    const r = execute(
      g.orders.get(g.head('root').orderId),
      { type: 'requestReplace', replacementOrderId: 'r1', changes, requestedBy: 'client' },
      T0,
    );
    if (r.decision.ok) return 'ok';
    return r.decision.refusal.fieldErrors?.map((e) => `${e.field} ${e.code}`).join(',') ?? 'refused';
  };
  // biome-ignore format: table
  test.each([
    ['bracket, raised',   BRACKET, { qty: '101' },        'qty not_allowed'],
    ['bracket, lowered',  BRACKET, { qty: '50' },         'ok'],
    ['bracket, the same', BRACKET, { qty: '100', limitPrice: '9.5' }, 'ok'],
    ['bracket, repriced', BRACKET, { limitPrice: '9.5' }, 'ok'],
    ['OTO, raised',       OTO,     { qty: '150' },        'qty not_allowed'],
    ['OTO, lowered',      OTO,     { qty: '1' },          'ok'],
  ] as const)('%s', (_name, group, changes, outcome) => {
    expect(replaceEntry(group, changes)).toBe(outcome);
  });
});

describe('replacing an exit of an OCO works as for any order (issue 11)', () => {
  // The take-profit root was refused: "limit_price must equal take_profit.limit_price".
  const replace = (member: 'root' | 'leg1', changes: Record<string, string>) => {
    const g = new Group(OCO);
    g.venueAnswers();
    const id = g.head(member).orderId;
    const r = execute(
      g.orders.get(id),
      { type: 'requestReplace', replacementOrderId: 'r1', changes, requestedBy: 'client' },
      T0,
    );
    return r.decision.ok
      ? 'ok'
      : (r.decision.refusal.fieldErrors?.map((e) => e.field).join(',') ?? 'refused');
  };
  // biome-ignore format: table
  test.each([
    ['the take-profit repriced',                       'root', { limitPrice: '11.5' },   'ok'],
    // The core takes a resize (the coordinator's); a client's PATCH is refused first (`exitQtyChangeError`, below).
    ['the take-profit resized',                        'root', { qty: '50' },            'ok'],
    ['the stop-loss moved',                            'leg1', { stopPrice: '8.5' },     'ok'],
    ['the take-profit repriced below the stop-loss',   'root', { limitPrice: '8' },      'take_profit.limit_price'],
  ] as const)('%s: %s', (_name, member, changes, outcome) => {
    expect(replace(member, changes)).toBe(outcome);
  });

  test('the replacement of the take-profit carries the new price as its take-profit', () => {
    const g = new Group(OCO);
    g.venueAnswers();
    expect(
      g.run('root', {
        type: 'requestReplace',
        replacementOrderId: 'r1',
        changes: { limitPrice: '11.5' },
        requestedBy: 'client',
      }),
    ).toBe(true);
    g.venueAnswers();
    expect(g.head('root').spec).toMatchObject({ limitPrice: '11.5', takeProfit: { limitPrice: '11.5' } });
    expect(g.head('root').contingency).toMatchObject({ role: 'take_profit', groupId: 'root' });
  });
});

describe('a client may not change an exit\'s qty: the OMS sizes the exits to the position (docs/domain.md "Contingent orders")', () => {
  // A probe: a take-profit lowered by PATCH was resized back by the coordinator under an id the
  // client never placed; one raised to 15 on a bracket of 10 at a marketable price filled 15, the
  // account left short 5. Prices stay the client's; the coordinator's resizes do not ask this rule.
  const error = (group: OrderSpec, member: string, changes: Record<string, string>) => {
    const e = exitQtyChangeError(new Group(group).head(member), changes);
    return e === null ? 'ok' : `${e.field} ${e.code}`;
  };
  // biome-ignore format: table
  test.each([
    ['bracket take-profit, lowered',     BRACKET, 'leg1', { qty: '50' },                     'qty not_allowed'],
    ['bracket take-profit, raised',      BRACKET, 'leg1', { qty: '150', limitPrice: '9' },   'qty not_allowed'],
    ['bracket take-profit, the same',    BRACKET, 'leg1', { qty: '100.0', limitPrice: '12' }, 'ok'],
    ['bracket take-profit, repriced',    BRACKET, 'leg1', { limitPrice: '12' },              'ok'],
    ['bracket stop-loss, lowered',       BRACKET, 'leg2', { qty: '1' },                      'qty not_allowed'],
    ['bracket stop-loss, moved',         BRACKET, 'leg2', { stopPrice: '9.5' },              'ok'],
    ['OCO root (take-profit), lowered',  OCO,     'root', { qty: '50' },                     'qty not_allowed'],
    ['OCO root (take-profit), raised',   OCO,     'root', { qty: '101' },                    'qty not_allowed'],
    ['OCO stop-loss, raised',            OCO,     'leg1', { qty: '101' },                    'qty not_allowed'],
    ['OCO stop-loss, the same',          OCO,     'leg1', { qty: '100' },                    'ok'],
    ['OTO exit, lowered',                OTO,     'leg1', { qty: '99' },                     'qty not_allowed'],
    ['OTO exit, moved',                  OTO,     'leg1', { stopPrice: '9.5' },              'ok'],
    // The entry's own rule is core order.ts (raised: refused; lowered: its exits follow).
    ['bracket entry, lowered',           BRACKET, 'root', { qty: '50' },                     'ok'],
    ['OTO entry, lowered',               OTO,     'root', { qty: '50' },                     'ok'],
  ] as const)('%s -> %s', (_name, group, member, changes, outcome) => {
    expect(error(group, member, changes)).toBe(outcome);
  });

  test('the refusal says why, and what to do instead', () => {
    expect(exitQtyChangeError(new Group(BRACKET).head('leg1'), { qty: '50' })?.message).toBe(
      "qty: cannot be changed on the take_profit exit of a bracket order (100): the OMS sizes its exits to the position they cover; change its entry's qty while it works, or cancel the order and place a new one",
    );
    expect(exitQtyChangeError(new Group(OCO).head('leg1'), { qty: '50' })?.message).toBe(
      'qty: cannot be changed on the stop_loss exit of an oco order (100): the OMS sizes its exits to the position they cover; cancel the order and place a new one',
    );
  });
});

describe('a group stop-loss the OMS holds (docs/domain.md "Contingent orders")', () => {
  const c = (orderClass: 'bracket' | 'oco' | 'oto' | 'algo', role: string) =>
    ({ groupId: 'g', orderClass, role, parentOrderId: 'g', legOrderIds: [], held: false }) as never;
  // biome-ignore format: table
  test.each([
    ['a bracket\'s stop-loss (its take-profit works beside it)', c('bracket', 'stop_loss'),   true],
    ['an OCO\'s stop-loss',                                     c('oco', 'stop_loss'),       true],
    ['a bracket\'s take-profit (a limit: no trigger)',          c('bracket', 'take_profit'), false],
    ['an OTO\'s one exit (no sibling)',                          c('oto', 'stop_loss'),       false],
    ['a bracket\'s entry',                                      c('bracket', 'entry'),       false],
    ['a simple order',                                          null,                        false],
  ])('%s: held by the OMS whatever the venue holds = %s', (_name, contingency, held) => {
    expect(isTriggerHeldForGroup(contingency)).toBe(held);
  });

  test('its trigger is recorded held for the group (status held); its activation says it follows the trigger', () => {
    const g = new Group(BRACKET);
    g.venueAnswers();
    g.fill('root', '100');
    g.settle();
    const armed = g.head('leg2');
    expect(statusOf(armed)).toBe('accepted');
    const t = execute(armed, { type: 'trigger', triggerPrice: '8.95', bid: '8.9', ask: '9' }, T0);
    expect(t.decision.ok && t.decision.events.map((e) => [e.type, e.data])).toEqual([
      ['OrderTriggered', { triggerPrice: '8.95', bid: '8.9', ask: '9', heldForGroup: true }],
    ]);
    const held = t.state as OrderState;
    expect([statusOf(held), held.triggered]).toEqual(['held', true]);
    // Not at the venue: no fill, no replace; a cancel closes it at once.
    expect(execute(held, { type: 'fill', execId: 'x', lastQty: '1', lastPx: '9' }, T0).decision.ok).toBe(
      false,
    );
    expect(
      execute(
        held,
        { type: 'requestReplace', replacementOrderId: 'r', changes: { qty: '5' }, requestedBy: 'c' },
        T0,
      ).decision.ok,
    ).toBe(false);
    const a = execute(held, { type: 'activate', qty: '60' }, T0);
    expect(a.decision.ok && a.decision.events.map((e) => e.data)).toEqual([
      { qty: '60', afterTrigger: true },
    ]);
    expect(statusOf(a.state as OrderState)).toBe('pending_new');
    // An OTO's OMS-held stop triggers straight to pending_new (no sibling to wait for).
    const oto = new Group(OTO, 'oms');
    oto.venueAnswers();
    oto.fill('root', '100');
    oto.settle();
    const o = execute(oto.head('leg1'), { type: 'trigger', triggerPrice: '8.95' }, T0);
    expect(o.decision.ok && o.decision.events.map((e) => e.data)).toEqual([
      { triggerPrice: '8.95', bid: null, ask: null },
    ]);
  });
});
