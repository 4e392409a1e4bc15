/**
 * Algorithmic parents in the core: `algoStep` (the workflow's slice step and the coordinator's
 * child-closed step) and `reconcileAlgo` (mirroring children onto the parent, closing them,
 * carrying out a cancel), driven through a small simulator that plays the venue for the children.
 */
import fc from 'fast-check';
import {
  type AlgoStepInput,
  algoStep,
  execute,
  formatNanos,
  nanos,
  type OrderCommand,
  type OrderSpec,
  type OrderState,
  reconcileAlgo,
  statusOf,
  validateOrderRequest,
  workingQtyOf,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T15:00:00Z');
const MIN = 60_000;

function spec(request: Record<string, unknown>): OrderSpec {
  const v = validateOrderRequest(request, { now: T0 - 1000 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}

const twap = (qty: string) =>
  spec({
    symbol: 'ACME',
    qty,
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    advanced_instructions: {
      algorithm: 'TWAP',
      start_time: new Date(T0).toISOString(),
      end_time: new Date(T0 + 5 * MIN).toISOString(),
    },
  });

class AlgoSim {
  parent: OrderState;
  readonly children = new Map<string, OrderState>();
  private n = 0;
  private execs = 0;

  constructor(s: OrderSpec) {
    const opened = execute(
      undefined,
      {
        type: 'submit',
        orderId: 'P',
        accountId: 'acct',
        order: s,
        contingency: {
          groupId: 'P',
          orderClass: 'algo',
          role: 'algo_parent',
          parentOrderId: null,
          legOrderIds: [],
          held: false,
        },
      },
      T0 - 1000,
    );
    this.parent = this.must(opened.state);
    this.parent = this.must(execute(this.parent, { type: 'accept' }, T0).state);
  }

  private must(s: OrderState | undefined): OrderState {
    if (s === undefined) throw new Error('no state');
    return s;
  }

  runParent(c: OrderCommand, now = T0): boolean {
    const r = execute(this.parent, c, now);
    if (r.decision.ok) this.parent = this.must(r.state);
    return r.decision.ok && r.decision.events.length > 0;
  }

  runChild(id: string, c: OrderCommand): boolean {
    const r = execute(this.children.get(id), c, T0);
    if (r.decision.ok) this.children.set(id, this.must(r.state));
    return r.decision.ok && r.decision.events.length > 0;
  }

  step(trigger: 'slice' | 'child_closed', sliceIndex: number, now: number): string | null {
    const input: AlgoStepInput = {
      trigger,
      sliceIndex,
      now,
      quote: { bid: nanos('9.99'), ask: nanos('10.01'), last: nanos('10') },
      cumulativeVolume: null,
      closedChild: null,
      childOrderId: `C${++this.n}`,
      defaultEndTime: T0 + 6 * 3600_000,
    };
    const { command, child } = algoStep(this.parent, input);
    if (command === null) return null;
    if (!this.runParent(command, now)) throw new Error(`parent refused ${JSON.stringify(command)}`);
    if (child !== null) {
      const r = execute(
        undefined,
        {
          type: 'submit',
          orderId: child.orderId,
          accountId: 'acct',
          order: child.spec,
          contingency: child.contingency,
        },
        now,
      );
      this.children.set(child.orderId, this.must(r.state));
      this.runChild(child.orderId, { type: 'accept' });
      return child.orderId;
    }
    return command.decision;
  }

  fillChild(id: string, qty: string): void {
    this.runChild(id, { type: 'fill', execId: `${id}:${++this.execs}`, lastQty: qty, lastPx: '10' });
  }

  /** The coordinator: reconcile until nothing changes (asks the algorithm after each close). */
  coordinate(now: number): void {
    for (let round = 0; round < 10; round++) {
      const actions = reconcileAlgo(this.parent, this.children);
      if (actions.length === 0) return;
      for (const a of actions) {
        switch (a.kind) {
          case 'mirrorFill':
            this.runParent({
              type: 'fill',
              execId: a.execId,
              lastQty: a.lastQty,
              lastPx: a.lastPx,
              childOrderId: a.childOrderId,
            });
            break;
          case 'closeChild':
            this.runParent(a.kind === 'closeChild' ? { type: 'closeChild', ...a } : ({} as OrderCommand));
            this.step('child_closed', 0, now);
            break;
          case 'cancelChild':
            this.runChild(a.childOrderId, { type: 'requestCancel', requestedBy: 'oms' });
            this.runChild(a.childOrderId, { type: 'confirmCancel' });
            break;
          case 'confirmParentCancel':
            this.runParent({ type: 'confirmCancel' });
            break;
        }
      }
    }
    throw new Error('the coordinator did not settle');
  }
}

describe('algoStep and reconcileAlgo', () => {
  test('a TWAP parent releases a child per slice; fills are mirrored; the parent fills', () => {
    const sim = new AlgoSim(twap('10'));
    const released: string[] = [];
    for (let i = 0; i < 5; i++) {
      const child = sim.step('slice', i, T0 + i * MIN);
      expect(child).toMatch(/^C\d+$/);
      released.push(child as string);
      sim.fillChild(child as string, sim.children.get(child as string)?.spec.qty as string);
      sim.coordinate(T0 + i * MIN + 1000);
    }
    expect(released.map((id) => sim.children.get(id)?.spec.qty)).toEqual(['2', '2', '2', '2', '2']);
    expect(sim.children.get('C1')?.spec).toMatchObject({ side: 'buy', type: 'market', orderClass: 'simple' });
    expect(statusOf(sim.parent)).toBe('filled');
    expect(sim.parent.filledQty).toBe(nanos('10'));
    expect([...(sim.parent.algo?.children.values() ?? [])].every((c) => !c.open)).toBe(true);
  });

  test('a retried slice decides nothing twice; an unfilled child rolls its quantity forward', () => {
    const sim = new AlgoSim(twap('10'));
    const c1 = sim.step('slice', 0, T0) as string;
    expect(sim.step('slice', 0, T0 + 5)).toBeNull(); // retried step
    sim.runChild(c1, { type: 'requestCancel', requestedBy: 'venue' });
    sim.runChild(c1, { type: 'confirmCancel' });
    sim.coordinate(T0 + 1000);
    const c2 = sim.step('slice', 1, T0 + MIN) as string;
    expect(sim.children.get(c2)?.spec.qty).toBe('4'); // slice 1's 2 plus slice 0's unfilled 2
    expect(workingQtyOf(sim.parent)).toBe(nanos('4'));
  });

  test('canceling the parent cancels its open children, then the parent; the schedule stops', () => {
    const sim = new AlgoSim(twap('10'));
    const c1 = sim.step('slice', 0, T0) as string;
    sim.fillChild(c1, '1');
    expect(sim.runParent({ type: 'requestCancel', requestedBy: 'client' })).toBe(true);
    sim.coordinate(T0 + 1000);
    expect(statusOf(sim.children.get(c1) as OrderState)).toBe('canceled');
    expect(statusOf(sim.parent)).toBe('canceled');
    expect(formatNanos(sim.parent.filledQty)).toBe('1');
    expect(sim.step('slice', 1, T0 + MIN)).toBeNull();
    // A cancel of the parent never reaches a child twice, and nothing is left open.
    expect(sim.parent.algo?.children.get(c1)?.open).toBe(false);
  });

  test('a release cannot work more than the parent qty, nor reuse a child id', () => {
    const sim = new AlgoSim(twap('10'));
    sim.step('slice', 0, T0);
    const base = { type: 'decideSlice', trigger: 'slice', decision: 'release' } as const;
    expect(sim.runParent({ ...base, sliceIndex: 1, childOrderId: 'X', qty: '9' })).toBe(false);
    expect(sim.runParent({ ...base, sliceIndex: 1, childOrderId: 'C1', qty: '1' })).toBe(false);
    expect(sim.runParent({ ...base, sliceIndex: 1, childOrderId: 'X', qty: '8' })).toBe(true);
  });

  test('whatever the interleaving, the parent filled is the sum of its children and exposure <= qty', () => {
    type Op =
      | { kind: 'slice' }
      | { kind: 'fill'; pct: number }
      | { kind: 'cancelChild' }
      | { kind: 'coordinate' };
    const op = fc.oneof(
      fc.constant<Op>({ kind: 'slice' }),
      fc.integer({ min: 1, max: 100 }).map<Op>((pct) => ({ kind: 'fill', pct })),
      fc.constant<Op>({ kind: 'cancelChild' }),
      fc.constant<Op>({ kind: 'coordinate' }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), fc.boolean(), (ops, cancelParent) => {
        const sim = new AlgoSim(twap('37'));
        let slice = 0;
        for (const o of ops) {
          const open = [...sim.children.values()].filter(
            (c) => !['filled', 'canceled'].includes(statusOf(c)),
          );
          const child = open[0];
          if (o.kind === 'slice' && slice < 5) sim.step('slice', slice, T0 + slice++ * MIN);
          else if (o.kind === 'coordinate') sim.coordinate(T0 + slice * MIN);
          else if (child !== undefined && o.kind === 'fill') {
            const leaves = (child.qty as bigint) - child.filledQty;
            const share = nanos('1');
            const qty = (leaves * BigInt(o.pct)) / 100n / share + 1n;
            sim.fillChild(child.orderId, formatNanos(qty * share > leaves ? leaves : qty * share));
          } else if (child !== undefined && o.kind === 'cancelChild') {
            sim.runChild(child.orderId, { type: 'requestCancel', requestedBy: 'venue' });
            sim.runChild(child.orderId, { type: 'confirmCancel' });
          }
          const exposure = sim.parent.filledQty + workingQtyOf(sim.parent);
          expect(exposure).toBeLessThanOrEqual(nanos('37'));
        }
        if (cancelParent) sim.runParent({ type: 'requestCancel', requestedBy: 'client' });
        sim.coordinate(T0 + slice * MIN);
        const childFilled = [...sim.children.values()].reduce((a, c) => a + c.filledQty, 0n);
        expect(sim.parent.filledQty).toBe(childFilled);
        if (cancelParent && statusOf(sim.parent) !== 'filled') {
          expect(statusOf(sim.parent)).toBe('canceled');
          for (const c of sim.children.values()) expect(['filled', 'canceled']).toContain(statusOf(c));
        }
      }),
      { numRuns: 200 },
    );
  });
});
