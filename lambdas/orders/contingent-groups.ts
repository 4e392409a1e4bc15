/**
 * Reading a contingent order (bracket, OCO, OTO) from the event store: each member as it stands
 * now, i.e. the head of its replacement chain (a resize is a replace, so an exit's latest order
 * may be a replacement of the one first placed). Strongly consistent reads only, so the group
 * coordinator decides on every acknowledged event.
 */
import {
  type AlpacaOrder,
  type GroupStates,
  isOpen,
  type OrderState,
  ocoQtyOf,
  reconcileGroup,
  statusOf,
  toAlpacaOrder,
} from '../core/index.js';
import { type EventMeta, type EventStore, runCommand } from '../event-store/event-store.js';

/** Who asks, as a group member's events record it (`requestedBy`, then `:<reason>`). */
export const COORDINATOR = 'oms:contingency';

/** Longest replacement chain followed (each resize of an exit adds one link). */
const MAX_CHAIN = 1000;

/** The order's latest state: itself, or the replacement that took its place (once opened). */
export async function chainHead(store: EventStore, orderId: string): Promise<OrderState | undefined> {
  const { state } = await store.loadState(orderId);
  return state === undefined ? undefined : chainHeadFrom(store, state);
}

/** The latest state of the chain that `state` is in (no reload of `state` itself). */
async function chainHeadFrom(store: EventStore, state: OrderState): Promise<OrderState> {
  let head = state;
  for (let i = 0; i < MAX_CHAIN && head.replacedBy; i++) {
    const next = (await store.loadState(head.replacedBy)).state;
    if (next === undefined) break; // replaced, the replacement not opened yet
    head = next;
  }
  return head;
}

export interface LoadedGroup {
  /** The root as first placed (its legs' ids, an OCO's quantity). */
  readonly root: OrderState;
  readonly states: GroupStates;
}

/**
 * The group whose root is `groupId`, members at their chain heads; undefined when not stored. The
 * caller that has already read the root passes it (`root`), so it is not read again.
 */
export async function loadGroup(
  store: EventStore,
  groupId: string,
  root: OrderState | undefined = undefined,
): Promise<LoadedGroup | undefined> {
  root ??= (await store.loadState(groupId)).state;
  const c = root?.contingency;
  if (root === undefined || c === null || c === undefined || c.orderClass === 'algo') return undefined;
  const rootHead = await chainHeadFrom(store, root);
  const legs: OrderState[] = [];
  for (const id of c.legOrderIds) {
    const leg = await chainHead(store, id);
    if (leg === undefined) throw new Error(`group ${groupId}: leg ${id} is not in the event store`);
    legs.push(leg);
  }
  const oco = c.orderClass === 'oco';
  return {
    root,
    states: {
      orderClass: c.orderClass,
      entry: oco ? null : rootHead,
      exits: oco ? [rootHead, ...legs] : legs,
      ocoQty: oco ? ocoQtyOf(root.spec) : null,
    },
  };
}

/** The Alpaca view of an order, with its legs (at their chain heads) when it is a group's root. */
export async function alpacaOrderWithLegs(store: EventStore, state: OrderState): Promise<AlpacaOrder> {
  const legIds = state.contingency?.legOrderIds ?? [];
  if (legIds.length === 0) return toAlpacaOrder(state);
  const legs: AlpacaOrder[] = [];
  for (const id of legIds) {
    const leg = await chainHead(store, id);
    if (leg !== undefined) legs.push(toAlpacaOrder(leg));
  }
  return toAlpacaOrder(state, legs);
}

/**
 * What a nested listing (`GET /v2/orders?nested=true`) reads of contingent groups, each answer
 * read once per listing (a group's legs may come up on several of its pages).
 */
export interface GroupReader {
  /** Whether group `groupId`'s root as it stands now (its latest replacement) is open. */
  rootIsOpen(groupId: string): Promise<boolean>;
  /** The legs of root `rootOrderId` as GET /v2/orders/{id} shows them (each at its chain head). */
  legsOf(rootOrderId: string): Promise<readonly AlpacaOrder[]>;
}

/** The event store's answers to a nested listing (strongly consistent, as GET /v2/orders/{id}). */
export function storeGroupReader(store: EventStore): GroupReader {
  const open = new Map<string, Promise<boolean>>();
  return {
    rootIsOpen(groupId) {
      let known = open.get(groupId);
      if (known === undefined) {
        known = chainHead(store, groupId).then((s) => s !== undefined && isOpen(statusOf(s)));
        open.set(groupId, known);
      }
      return known;
    },
    async legsOf(rootOrderId) {
      const { state } = await store.loadState(rootOrderId);
      return state === undefined ? [] : ((await alpacaOrderWithLegs(store, state)).legs ?? []);
    },
  };
}

/**
 * After the client's cancel of `canceled` (an exit of an OCO or a bracket), requests the cancel of
 * the rest of its exit group at once, so the DELETE's answer and a GET right after it show the
 * whole group canceling (`OrderCancelRequested` by `oms:contingency:group_canceled`). The group
 * coordinator does the same from the stream (core `reconcileGroup`); whichever comes second is
 * refused by the member (a request is outstanding) and changes nothing. Returns the ids asked.
 */
export async function cancelRestOfExitGroup(
  store: EventStore,
  canceled: OrderState,
  meta: (state: OrderState) => EventMeta,
  now: () => number,
): Promise<string[]> {
  const c = canceled.contingency;
  if (c === null || c.orderClass === 'algo' || c.role === 'entry') return [];
  const group = await loadGroup(store, c.groupId);
  if (group === undefined) return [];
  const asked: string[] = [];
  for (const action of reconcileGroup(group.states)) {
    if (action.kind !== 'cancel' || action.reason !== 'group_canceled') continue;
    const command = { type: 'requestCancel', requestedBy: `${COORDINATOR}:${action.reason}` } as const;
    const result = await runCommand(store, action.orderId, command, meta, now);
    if (result.decision.ok) asked.push(action.orderId);
  }
  return asked;
}
