/**
 * Placing an order, shared by `POST /v2/orders` and the bus's `OrderRequested`: validate (core),
 * pre-trade risk (core), the account's submit rate, then ONE transaction that claims the client
 * order id (and the Idempotency-Key) and appends `OrderSubmitted`. A claim that already exists
 * means the request was seen: the same request gets the original order back, another request
 * with the same id is refused. Concurrent duplicates all end with the winner's order.
 *
 * A contingent order (bracket, OCO, OTO) is placed whole in that same transaction: its root and
 * legs (core `contingentMembersOf`), each its own order with its own events, tied by their
 * `Contingency` (docs/domain.md). An algorithmic order (`advanced_instructions`) is a parent that
 * never goes to the venue: its `algo-order` workflow releases child orders (docs/algos.md).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { algorithmFor } from '../core/algos/index.js';
import { orderRequestSenderRefusal, type SenderRefusal, strategyIdOf } from '../core/bus-trust.js';
import {
  type AlpacaOrder,
  auctionEntryError,
  buyingPowerClaimOf,
  buyingPowerNotionalOf,
  contingentMembersOf,
  DEFAULT_GTC_MAX_AGE_DAYS,
  dailyNotionalClaim,
  dailyNotionalRefusal,
  dayOrderEndMs,
  decide,
  effectiveTradingState,
  type FieldError,
  firmOpenExposureClaim,
  firmOpenExposureRefusal,
  formatNanos,
  type LimitsPolicy,
  memberCountOf,
  type Nanos,
  NO_POLICY,
  newYorkDate,
  notionalCents,
  type OrderSpec,
  type OrderState,
  orderNotionalOf,
  type PolicyScope,
  parseNanos,
  parseSigned9,
  placingCeilingCents,
  type RiskContext,
  replay,
  reservedBuyingPowerRefusal,
  specToRequest,
  takeDecisionPrice,
  toAlpacaOrder,
  tradingReferenceOf,
  triggerPriceError,
  type ValidationContext,
  validateOrderRequest,
} from '../core/index.js';
import {
  checkPreTradeRisk,
  duplicateKeyOf,
  duplicateRefusal,
  executionsToAwaitOf,
  exitPositionIntentOf,
  locateClaimOf,
  positionIntentOf,
  type RiskRefusal,
  shortSaleOf,
} from '../core/risk.js';
import { EventStore, type TransactItem } from '../event-store/event-store.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { openBuysCents, reserveItem } from './buying-power-reservations.js';
import { coidClaimId, duplicateClaimId, idemClaimId, rateWindowId } from './claims.js';
import { closingClaimsPut } from './closing-claims.js';
import { alpacaOrderWithLegs } from './contingent-groups.js';
import { firmExposureCents, firmExposureClaimItems } from './firm-exposure.js';
import { locateClaimItem } from './locate-book.js';
import { awaitPendingExecutions, ledgerSeqOf, type PendingExecutionsDeps } from './pending-executions.js';
import {
  CLOSING_CLAIMS_ATTEMPTS,
  closingPartOf,
  contextAtClosingRead,
  noShortSellOf,
  reducingOrderOf,
} from './position-availability.js';
import { RATE_WINDOW_TTL_SECONDS, rateWindowUpdate } from './recent-placements.js';
import { loadRiskInputs, type RiskInputs } from './risk-context.js';

export interface PlaceOrderInput {
  readonly accountId: string;
  readonly body: unknown;
  readonly idempotencyKey?: string;
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly now: number;
  readonly source: 'api' | 'bus';
  /**
   * The duplicate rule's key of an order (core `duplicateKeyOf`): POST /v2/orders and the bus pass
   * it (`clientOrderRules`). DELETE /v2/positions passes none: its closes are sized from the position, not a strategy's
   * repeat (issue 13), so the rule does not apply (and its bundle is at the size limit).
   */
  readonly duplicateKey?: (spec: OrderSpec) => string;
  /**
   * A closing order of DELETE /v2/positions writes the position's closing claims in its placing
   * transaction, over the version it read (lambdas/orders/closing-claims.ts): the item for the
   * order id of the attempt. Its condition failing answers `closing_claims_changed`.
   */
  readonly closingClaims?: (orderId: string) => TransactItem;
  /**
   * A bus request's sender (issue 16): its source must name a strategy entitled to the account
   * (core bus-trust.ts), checked before anything else is read or written.
   */
  readonly sender?: { readonly source: string };
  /**
   * Called right before the placing transaction is sent; throwing stops it, nothing written (POST
   * /v2/orders: platform/write-deadline.ts, not started past its function's time).
   */
  readonly beforeWrite?: () => void;
  /**
   * When a day / gtc order placed `now` expires (core ValidationContext.expiresAt): POST
   * /v2/orders and the bus pass `orderExpiryFromEnv(now)` (`clientOrderRules`), so an algorithm's start_time or end_time
   * past it is refused. DELETE /v2/positions places no algorithmic order and passes none (its
   * bundle is at the size limit).
   */
  readonly expiresAt?: ValidationContext['expiresAt'];
  /**
   * The trigger-price rules (core `triggerPriceError`: a sell trail past its price, a stop the
   * market has reached), on the market's reference price risk read. POST /v2/orders and the bus
   * pass it (`clientOrderRules`); DELETE /v2/positions places market orders, which neither rule concerns, and passes none
   * (its bundle is at the size limit).
   */
  readonly triggerPriceError?: (spec: OrderSpec, referencePrice: string | null) => FieldError | null;
}

/** When a day / gtc order placed at `now` expires under the deployment's session settings. */
export const orderExpiryFromEnv =
  (now: number): NonNullable<ValidationContext['expiresAt']> =>
  (tif, extendedHours) =>
    tif === 'day'
      ? dayOrderEndMs(now, sessionCloseFromEnv(), { ...sessionOptionsFromEnv(), extendedHours })
      : now + (sessionOptionsFromEnv().gtcMaxAgeDays ?? DEFAULT_GTC_MAX_AGE_DAYS) * 86_400_000;

/**
 * The rules a client's order placed at `now` is held to beyond its request's (POST /v2/orders and
 * the bus alike): its expiry, the trigger-price rules, the duplicate rule. DELETE /v2/positions'
 * closing orders take none of them (a market order, sized from the position: issue 13), and a
 * bundle that never calls this leaves them out.
 */
export const clientOrderRules = (
  now: number,
): Required<Pick<PlaceOrderInput, 'expiresAt' | 'triggerPriceError' | 'duplicateKey'>> => ({
  expiresAt: orderExpiryFromEnv(now),
  triggerPriceError,
  duplicateKey: duplicateKeyOf,
});

export type PlaceOrderResult =
  | { readonly kind: 'created'; readonly order: AlpacaOrder }
  /** The same request was placed before: its order, nothing written. */
  | { readonly kind: 'existing'; readonly order: AlpacaOrder }
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] }
  | { readonly kind: 'risk_refused'; readonly refusals: readonly RiskRefusal[] }
  | { readonly kind: 'rate_limited'; readonly limit: number }
  /** The client order id or Idempotency-Key was used for a different request. */
  | { readonly kind: 'conflict'; readonly field: ClaimField; readonly message: string }
  /** The bus sender may not trade the account (issue 16); nothing read but its entitlement. */
  | { readonly kind: 'sender_refused'; readonly refusal: SenderRefusal }
  /** A concurrent close of the position committed first: nothing written; read again and retry. */
  | { readonly kind: 'closing_claims_changed' };

export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;
/** Rate windows are one second; their items linger a minute, then TTL removes them. */
const MAX_ATTEMPTS = 5;

export interface OrdersServiceDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly eventStoreTable: string;
  readonly idempotencyTable: string;
  /** Where the account's locate book is (a short sale of a hard-to-borrow symbol takes from it). */
  readonly accountsTable?: string;
  readonly newOrderId: () => string;
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch (how long a wait for the position keeper has taken). */
  readonly clock?: () => number;
}

/** What waiting for the account's pending executions needs (pending-executions.ts). */
export function pendingExecutionsDepsOf(deps: OrdersServiceDeps, store: EventStore): PendingExecutionsDeps {
  return {
    doc: deps.doc,
    store,
    tables: { idempotency: deps.idempotencyTable, orders: requiredEnv(ENV.ordersTable) },
    sleep: deps.sleep,
    clock: deps.clock ?? Date.now,
  };
}

export function defaultDeps(): OrdersServiceDeps {
  return {
    doc: dynamo,
    eventStoreTable: requiredEnv(ENV.eventStoreTable),
    idempotencyTable: requiredEnv(ENV.idempotencyTable),
    accountsTable: requiredEnv(ENV.accountsTable),
    newOrderId: randomUUID,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** Deterministic JSON: object keys sorted, so equal requests hash equal. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 of the validated request in canonical form: a retried request hashes the same. */
export function requestHashOf(spec: OrderSpec): string {
  return createHash('sha256')
    .update(canonicalJson(specToRequest(spec)))
    .digest('hex');
}

export { coidClaimId, duplicateClaimId, idemClaimId, rateWindowId };

/** The duplicate claim of an order: its id (the key hashed, so any symbol text fits). */
export function duplicateClaimOf(accountId: string, duplicateKey: string): string {
  return duplicateClaimId(accountId, createHash('sha256').update(duplicateKey).digest('hex').slice(0, 32));
}

export async function placeOrder(
  input: PlaceOrderInput,
  deps: OrdersServiceDeps = defaultDeps(),
): Promise<PlaceOrderResult> {
  const { accountId, now } = input;
  // The OMS extension `decision_price` (core slippage.ts): not Alpaca's, taken off before its schema.
  const decided = takeDecisionPrice(input.body);
  const validation = validateOrderRequest(decided.body, { now, expiresAt: input.expiresAt });
  if (!validation.ok)
    return {
      kind: 'invalid',
      errors: decided.error === null ? validation.errors : [decided.error, ...validation.errors],
    };
  if (decided.error !== null) return { kind: 'invalid', errors: [decided.error] };
  const spec = validation.order;

  // A bus request's sender first: its entitlement comes with the account in the BatchGet that risk
  // makes anyway, which is then made before the claims are looked up (no request added).
  const riskOptions = {
    ...(input.sender === undefined ? {} : { strategyId: strategyIdOf(input.sender.source) as string }),
  };
  const loadRisk = () =>
    Object.keys(riskOptions).length === 0
      ? loadRiskInputs(accountId, spec, now)
      : loadRiskInputs(accountId, spec, now, riskOptions);
  let risk: RiskInputs | undefined;
  if (input.sender !== undefined) {
    const strategyId = strategyIdOf(input.sender.source);
    risk = strategyId === null ? undefined : await loadRisk();
    const refusal = orderRequestSenderRefusal(input.sender.source, accountId, risk?.entitlement ?? null);
    if (refusal !== null) return { kind: 'sender_refused', refusal };
  }

  const requestHash = requestHashOf(spec);
  const store = new EventStore(deps.doc, deps.eventStoreTable);
  const claims = claimsOf(input, spec);
  const seenBefore = async (): Promise<PlaceOrderResult | null> => {
    for (const c of claims) {
      if (c.id === null) continue;
      const seen = await resolveClaim(deps, store, c.id, requestHash, accountId);
      if (seen !== 'gone') return claimOutcome(c.field, seen);
    }
    return null;
  };
  // A retry of a placed request is answered before risk (whose duplicate-order rule would refuse
  // it) and before the rate limit. Concurrent first attempts are settled by the transaction below.
  const before = await seenBefore();
  if (before !== null) return before;
  // An opg order during the session: bad input now, answered before anything is written (the
  // venue would refuse it after a 200). A retry of one placed before the open was answered above.
  const auctionError = auctionEntryError(
    spec.timeInForce,
    now,
    sessionCloseFromEnv(),
    sessionOptionsFromEnv(),
  );
  if (auctionError !== null) return { kind: 'invalid', errors: [auctionError] };

  let inputs = risk ?? (await loadRisk());
  let refusals: RiskRefusal[] = checkPreTradeRisk(spec, inputs.limits, inputs.context);
  // Decided on a ledger that may not have the fills the client has seen yet (pending-executions.ts):
  // once they are applied, risk is read and checked again if the ledger moved since it was read.
  const awaited = executionsToAwaitOf(spec, refusals, inputs.context);
  if (awaited !== null) {
    await awaitPendingExecutions(pendingExecutionsDepsOf(deps, store), accountId, now, awaited);
    const seq = await ledgerSeqOf(deps.doc, accountsTableOf(deps), accountId);
    if (seq !== inputs.ledgerSeq) {
      inputs = await loadRisk();
      refusals = checkPreTradeRisk(spec, inputs.limits, inputs.context);
    }
  }
  const { limits, context } = inputs;
  // A market entry's exits are on the right sides of the price it trades at now, as the workflow
  // checks them (a probe's buy bracket with its take-profit below the market: 200, then rejected).
  if (spec.type === 'market' && (spec.orderClass === 'bracket' || spec.orderClass === 'oto')) {
    const { referencePrice } = context;
    const priced = validateOrderRequest(decided.body, {
      now,
      expiresAt: input.expiresAt,
      ...(referencePrice == null ? {} : { referencePrice }),
    });
    if (!priced.ok) return (await seenBefore()) ?? { kind: 'invalid', errors: priced.errors };
  }
  // A trail past its price, a stop the market has reached: bad input (core triggerPriceError).
  const triggerError = input.triggerPriceError?.(spec, context.referencePrice) ?? null;
  if (triggerError !== null) return { kind: 'invalid', errors: [triggerError] };
  // SEC 15c3-5(c)(1)(i) daily notional (core aggregate-limits.ts): an order over the whole limit is
  // refused now; otherwise its day total is claimed in the placing transaction below.
  const day = newYorkDate(now);
  const daily = dailyClaimsOf(
    accountId,
    day,
    context.limitsPolicies,
    orderNotionalOf(spec, context.referencePrice),
  );
  for (const d of daily) if (d.claim.kind === 'refused') refusals.push(d.claim.refusal);
  // (c)(1)(i) the firm's open exposure: a running total claimed in the placing transaction below.
  const firmPolicy = context.limitsPolicies?.firm ?? null;
  const exposure =
    firmPolicy === null
      ? ({ kind: 'none' } as const)
      : firmOpenExposureClaim(orderNotionalOf(spec, context.referencePrice), firmPolicy);
  if (exposure.kind === 'refused') refusals.push(exposure.refusal);
  // A concurrent duplicate may have been placed while risk was checked (and be why the duplicate
  // rule refused): the caller then gets that order, as a retry would.
  if (refusals.length > 0) return (await seenBefore()) ?? { kind: 'risk_refused', refusals };

  // The submit rate's slot rides the placing transaction below (one request less per order).
  const rateLimit = limits.maxOrdersPerSecond;
  if (rateLimit !== null && rateLimit <= 0) {
    // The first writer of a window passes the slot's condition: a limit of 0 refuses here.
    return (await seenBefore()) ?? { kind: 'rate_limited', limit: rateLimit };
  }
  // The same window item records the orders placed in it (recent-placements.ts: a cancel-all sees
  // an order the read model does not list yet); an account without a rate limit writes it alone.
  const rateWindow = (orderIds: readonly string[]): TransactItem => ({
    Update: rateWindowUpdate(deps.idempotencyTable, accountId, orderIds, now, rateLimit),
  });

  // A sell of an account that may not sell short is a sale of what its position holds long: it is
  // serialized with every other such sell and close of the position through the position's closing
  // claims (position-availability.ts), read now and written, with this order's claim, in the
  // placing transaction (concurrent sells cannot both pass a read of the same claims; the loser
  // reads again). A close (DELETE /v2/positions) brings its own claim.
  // So is a sell of a long on any account: a long is not sold into a short in one order (core risk
  // `short_sale`), and concurrent sells of a long must not each find it free (one of them would be
  // placed marked short, the others long: a sale marked long could then sell short).
  // (Under REDUCING, that state's own read, below, which allows no more.)
  const held = context.positionQty === undefined ? 0n : parseSigned9(context.positionQty);
  const states = context.tradingStates;
  const reducing = states !== undefined && effectiveTradingState(states).record.state === 'REDUCING';
  const guardsSell =
    input.closingClaims === undefined &&
    spec.side === 'sell' &&
    context.positionQty !== undefined &&
    (context.account?.shortingEnabled === false || (held > 0n && !reducing));
  // An order of an account whose trading state is REDUCING must reduce its position: serialized the
  // same way (position-availability.ts `reducingOrderOf`), its claim on the position's closing side.
  const guardsReducing = !guardsSell && input.closingClaims === undefined && reducing;
  // A buy of a short (a sell of a long is guarded above): its covering part takes no buying power,
  // so it is read under the closing claims and claimed in the placing transaction
  // (position-availability.ts `closingPartOf`); a buy past the cover is refused (core `short_cover`:
  // a short is not bought into a long), race-free, on any account. An algorithmic parent too: its
  // children buy what it was placed for, so a parent past the short would buy through it.
  const guardsClosing =
    !guardsSell && !guardsReducing && input.closingClaims === undefined && spec.side === 'buy' && held < 0n;
  // Sized as core risk sizes a notional order: at the side's trading reference (a sell at the lower
  // of the reference and the bid).
  const sellPrice =
    guardsSell || guardsReducing || guardsClosing
      ? nanosOrNull(tradingReferenceOf(spec.side, context.referencePrice, context.quote))
      : null;
  const order = { symbol: spec.symbol, qty: nanosOrNull(spec.qty), notional: nanosOrNull(spec.notional) };
  const readSell = () =>
    guardsClosing
      ? closingPartOf(deps.doc, accountId, { ...order, side: spec.side }, now, { store, price: sellPrice })
      : guardsReducing && states !== undefined
        ? reducingOrderOf(deps.doc, accountId, spec, now, {
            store,
            price: sellPrice,
            referencePrice: context.referencePrice ?? null,
            states,
          })
        : noShortSellOf(deps.doc, accountId, order, now, {
            store,
            price: sellPrice,
            mayShort: context.account?.shortingEnabled !== false,
          });
  let sell = guardsSell || guardsReducing || guardsClosing ? await readSell() : null;
  if (sell?.kind === 'refused')
    return (await seenBefore()) ?? { kind: 'risk_refused', refusals: [sell.refusal] };
  let sellAttempts = 1;

  // Reg SHO Rule 203(b)(1): the located shares a short sale of a hard-to-borrow symbol takes, in the
  // placing transaction (only while they remain: concurrent shorts cannot both take the last ones).
  const locateClaim = locateClaimOf(spec, context);
  const locateDay = newYorkDate(now);

  // The buying power a buy order reserves, race-free (core buying-power-claims.ts): its claim rides
  // the placing transaction, conditional on the account's claims before it leaving room for it (on
  // their `cents`, which executions never move: buying-power-reservations.ts).
  const openBuys = inputs.openBuys;
  // The position and what the order's side holds of it as the closing claims read them, when they
  // guard the order (serialized with every other close of the position), else as risk read them.
  const closingContext = (): RiskContext =>
    guardsClosing && sell?.kind === 'fits' ? contextAtClosingRead(context, spec.side, sell) : context;
  // What core risk checked (a buy's opening part, a sell's short part), its closing part as the
  // closing claims read it when they guard it.
  const claimTermsOf = () =>
    openBuys === undefined
      ? null
      : buyingPowerClaimOf({
          qty: spec.qty ?? null,
          notional: buyingPowerNotionalOf(spec, closingContext()),
          buyingPower: context.buyingPower,
          algorithmic: algorithmFor(spec) !== null,
        });
  const ceilingOf = (terms: ReturnType<typeof claimTermsOf>) =>
    terms === null || openBuys === undefined || context.buyingPower === null
      ? null
      : placingCeilingCents({ buyingPower: context.buyingPower, ...openBuys, addCents: terms.cents });
  let claimTerms = claimTermsOf();
  let ceilingCents = ceilingOf(claimTerms);
  const reservedRefusal = async (orderCents: number): Promise<PlaceOrderResult> =>
    (await seenBefore()) ?? {
      kind: 'risk_refused',
      refusals: [
        reservedBuyingPowerRefusal({
          buyingPower: context.buyingPower as string,
          orderCents,
          reservedCents: await openBuysCents(deps.doc, accountsTableOf(deps), accountId),
          unclaimed: inputs.openBuys?.unclaimed ?? '0',
        }),
      ],
    };

  // A ceiling below 0 fits no total (buying power rounded down, the rest up: core risk passed it).
  if (claimTerms !== null && ceilingCents !== null && ceilingCents < 0)
    return reservedRefusal(claimTerms.cents);

  // Each member is placed with its position intent (core risk `positionIntentOf`: a short sale
  // marked short, Reg SHO 200(g)), decided on the position as the closing claims read it when they
  // guard the order (concurrent sells of one long cannot each count it: a probe's five sells of 6
  // against a long of 10 were all marked long), a bracket's exits on the position its entry leaves;
  // the request hash, which a retry is matched by, stays the client's request.
  const withIntent = (m: { spec: OrderSpec; contingency?: { readonly role: string } | null }): OrderSpec => {
    if (m.spec.positionIntent === 'sell_to_open') return m.spec;
    // A sell of an account that may not sell short, or any order under REDUCING, only closes.
    if ((guardsSell || guardsReducing) && m.contingency == null)
      return { ...m.spec, positionIntent: m.spec.side === 'sell' ? 'sell_to_close' : 'buy_to_close' };
    const at = closingContext();
    const role = m.contingency?.role;
    const exitAfterEntry =
      (spec.orderClass === 'bracket' || spec.orderClass === 'oto') &&
      (role === 'take_profit' || role === 'stop_loss');
    return {
      ...m.spec,
      positionIntent: exitAfterEntry ? exitPositionIntentOf(spec, m.spec, at) : positionIntentOf(m.spec, at),
    };
  };
  for (let attempt = 1; ; attempt++) {
    const orderId = deps.newOrderId();
    const exposureClaim = exposure.kind === 'claim' ? { id: orderId, cents: exposure.addCents } : null;
    const buyingPowerClaim = claimTerms === null ? null : { id: orderId, ...claimTerms };
    const memberIds = [orderId, ...Array.from({ length: memberCountOf(spec) - 1 }, () => deps.newOrderId())];
    const members = membersOf(spec, memberIds).map((m) => {
      const submit = {
        type: 'submit',
        orderId: m.orderId,
        accountId,
        order: withIntent(m),
        acceptedAgainst: {
          limits,
          referencePrice: context.referencePrice,
          buyingPower: context.buyingPower,
          ...(context.positionQty === undefined ? {} : { positionQty: context.positionQty }),
          ...(context.account === undefined ? {} : { shortingEnabled: context.account.shortingEnabled }),
          shortSale: shortSaleOf(m.spec, context),
          ...(locateClaim === null ? {} : { locatedQty: formatNanos(locateClaim) }),
          asset: context.asset,
          ...(context.quote === undefined ? {} : { quote: context.quote }),
          ...(context.routingPolicy === undefined ? {} : { routingPolicy: context.routingPolicy }),
          ...(decided.decisionPrice === null ? {} : { decisionPrice: decided.decisionPrice }),
          ...(context.slippageThresholds === undefined
            ? {}
            : { slippageThresholds: context.slippageThresholds }),
        },
        // The request's first order holds the firm's open-exposure claim for the whole request.
        ...(exposureClaim !== null && m.orderId === orderId ? { exposureClaim } : {}),
        // The request's first order (a bracket's entry) holds its buying power claim.
        ...(buyingPowerClaim !== null && m.orderId === orderId ? { buyingPowerClaim } : {}),
      } as const;
      const decision = decide(
        undefined,
        m.contingency ? { ...submit, contingency: m.contingency } : submit,
        now,
      );
      if (!decision.ok) throw new Error(`submit refused: ${decision.refusal.message}`);
      return decision.events;
    });
    const groupId = members.length > 1 || algorithmFor(spec) !== null ? orderId : undefined;
    const clientOrderId = spec.clientOrderId ?? orderId;
    const claim = (id: string, expiresAt?: number): TransactItem => ({
      Put: {
        TableName: deps.idempotencyTable,
        Item: {
          id,
          orderId,
          requestHash,
          accountId,
          createdAt: new Date(now).toISOString(),
          ...(expiresAt === undefined ? {} : { expiresAt }),
        },
        ConditionExpression: 'attribute_not_exists(id)',
      },
    });
    const ids = claims.map((c) => c.id ?? coidClaimId(accountId, clientOrderId));
    // The duplicate rule, race-free: the order claims its identity for the window, unless a twin
    // holds it from within the window (concurrent twins: one transaction wins).
    // A closing order of DELETE /v2/positions is sized from the position, not a strategy's repeat:
    // closing what is left right after closing half is not a twin (issue 13).
    const window = limits.duplicateWindowSeconds;
    const duplicate: TransactItem | null =
      window !== null && window > 0 && input.duplicateKey !== undefined
        ? {
            Put: {
              TableName: deps.idempotencyTable,
              Item: {
                id: duplicateClaimOf(accountId, input.duplicateKey(spec)),
                orderId,
                createdAt: new Date(now).toISOString(),
                createdAtMs: now,
                expiresAt: Math.floor(now / 1000) + window + 60,
              },
              ConditionExpression: 'attribute_not_exists(id) OR createdAtMs < :from',
              ExpressionAttributeValues: { ':from': now - window * 1000 },
            },
          }
        : null;
    const dailyItems: TransactItem[] = daily.flatMap((d) =>
      d.claim.kind === 'count'
        ? [
            {
              Update: {
                TableName: deps.idempotencyTable,
                Key: { id: d.id },
                UpdateExpression: 'ADD #cents :add SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
                ExpressionAttributeNames: { '#cents': 'cents' },
                ExpressionAttributeValues: {
                  ':add': d.claim.addCents,
                  ':expiresAt': Math.floor(now / 1000) + DAILY_TOTAL_TTL_SECONDS,
                },
              },
            },
          ]
        : d.claim.kind === 'claim'
          ? [
              {
                Update: {
                  TableName: deps.idempotencyTable,
                  Key: { id: d.id },
                  UpdateExpression: 'ADD #cents :add SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
                  ConditionExpression: 'attribute_not_exists(id) OR #cents <= :ceiling',
                  ExpressionAttributeNames: { '#cents': 'cents' },
                  ExpressionAttributeValues: {
                    ':add': d.claim.addCents,
                    ':ceiling': d.claim.ceilingCents,
                    ':expiresAt': Math.floor(now / 1000) + DAILY_TOTAL_TTL_SECONDS,
                  },
                },
              },
            ]
          : [],
    );
    // Each part's first index in the transaction (-1: absent), to read its CancellationReasons.
    const items: TransactItem[] = [];
    const add = (part: readonly TransactItem[]): number => {
      items.push(...part);
      return part.length === 0 ? -1 : items.length - part.length;
    };
    add(
      claims.map((c, i) =>
        claim(
          ids[i] as string,
          c.field === 'Idempotency-Key' ? Math.floor(now / 1000) + IDEMPOTENCY_KEY_TTL_SECONDS : undefined,
        ),
      ),
    );
    add(
      members.flatMap((events) =>
        store.putItems(events, {
          accountId,
          correlationId: input.requestId,
          causationId: input.requestId,
          ...(groupId === undefined ? {} : { groupId }),
        }),
      ),
    );
    // The account's submit rate: a slot in its current one-second window, taken with the order
    // (an order refused here or by the transaction takes none).
    const rateIndex = add([rateWindow(memberIds)]);
    // The firm's open exposure, conditional on staying within its limit, and the order's claim.
    const exposureIndex = add(
      exposure.kind !== 'claim' || exposureClaim === null
        ? []
        : firmExposureClaimItems(
            deps.idempotencyTable,
            exposureClaim,
            exposure.ceilingCents,
            new Date(now).toISOString(),
          ),
    );
    // The day's notional totals (account, firm), each conditional on staying within its limit.
    const firstDaily = add(dailyItems);
    const locateIndex = add(
      locateClaim === null
        ? []
        : [locateClaimItem(accountsTableOf(deps), accountId, spec.symbol, locateDay, locateClaim)],
    );
    const duplicateIndex = add(duplicate === null ? [] : [duplicate]);
    const sellClaim = sell?.kind === 'fits' && !(guardsClosing && sell.shares === 0n) ? sell : null;
    const closingIndex = add(
      input.closingClaims !== undefined
        ? [input.closingClaims(orderId)]
        : sellClaim === null
          ? []
          : [
              closingClaimsPut(
                deps.idempotencyTable,
                accountId,
                spec.symbol,
                sellClaim.read.claims,
                sellClaim.read.availability.claims,
                { orderId, side: spec.side, qty: sellClaim.shares, placedAt: now },
              ),
            ],
    );
    const reserveIndex = add(
      buyingPowerClaim === null || ceilingCents === null
        ? []
        : [reserveItem(accountsTableOf(deps), accountId, buyingPowerClaim.cents, ceilingCents)],
    );
    input.beforeWrite?.();
    try {
      await deps.doc.send(new TransactWriteCommand({ TransactItems: items }));
      const [root, ...legs] = members.map((events) => replay(events) as OrderState);
      const order = toAlpacaOrder(
        root as OrderState,
        legs.length === 0 ? null : legs.map((l) => toAlpacaOrder(l)),
      );
      return { kind: 'created', order };
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (reasons === null) throw err;
      // A claim that exists decides the outcome: the original order, or a conflict.
      for (const [i, c] of claims.entries()) {
        if (reasons[i] !== 'ConditionalCheckFailed') continue;
        const outcome = await resolveClaim(deps, store, ids[i] as string, requestHash, accountId);
        if (outcome === 'gone') break; // claimed and released in between: try again
        return claimOutcome(c.field, outcome);
      }
      if (rateIndex >= 0 && reasons[rateIndex] === 'ConditionalCheckFailed' && rateLimit !== null) {
        // The account's window is full: nothing was written.
        return (await seenBefore()) ?? { kind: 'rate_limited', limit: rateLimit };
      }
      if (locateIndex >= 0 && reasons[locateIndex] === 'ConditionalCheckFailed' && locateClaim !== null) {
        // Another short took the located shares since risk read them.
        return (
          (await seenBefore()) ?? {
            kind: 'risk_refused',
            refusals: [locateTakenRefusal(spec.symbol, locateClaim)],
          }
        );
      }
      if (duplicate !== null && window !== null && reasons[duplicateIndex] === 'ConditionalCheckFailed') {
        // A twin within the window; a retry of this very request was answered above.
        const twin = await deps.doc.send(
          new GetCommand({
            TableName: deps.idempotencyTable,
            Key: { id: duplicate.Put?.Item?.id },
            ConsistentRead: true,
          }),
        );
        const at = (twin.Item as { createdAt?: string } | undefined)?.createdAt;
        if (at !== undefined) {
          return (await seenBefore()) ?? { kind: 'risk_refused', refusals: [duplicateRefusal(window, at)] };
        }
        // The twin's claim expired in between: try again.
      }
      if (closingIndex >= 0 && reasons[closingIndex] === 'ConditionalCheckFailed') {
        // A close's own retry reads again (close-positions.ts); a sell reads again here.
        if (input.closingClaims !== undefined || sellAttempts >= CLOSING_CLAIMS_ATTEMPTS)
          return (await seenBefore()) ?? { kind: 'closing_claims_changed' };
        sellAttempts++;
        sell = await readSell();
        if (sell.kind === 'refused')
          return (await seenBefore()) ?? { kind: 'risk_refused', refusals: [sell.refusal] };
        claimTerms = claimTermsOf();
        ceilingCents = ceilingOf(claimTerms);
        if (claimTerms !== null && ceilingCents !== null && ceilingCents < 0)
          return reservedRefusal(claimTerms.cents);
        attempt--; // not a transaction conflict: no back-off, no attempt spent
        continue;
      }
      if (
        reserveIndex >= 0 &&
        reasons[reserveIndex] === 'ConditionalCheckFailed' &&
        buyingPowerClaim !== null
      ) {
        // Concurrent buys of the account reserved the buying power risk read: nothing was written.
        return reservedRefusal(buyingPowerClaim.cents);
      }
      // A day total would go over its limit: refused, citing the policy and what the day holds.
      const claimed = daily.filter((d) => d.claim.kind === 'claim' || d.claim.kind === 'count');
      for (const [i, d] of claimed.entries()) {
        if (reasons[firstDaily + i] !== 'ConditionalCheckFailed' || d.claim.kind !== 'claim') continue;
        const total = await deps.doc.send(
          new GetCommand({ TableName: deps.idempotencyTable, Key: { id: d.id }, ConsistentRead: true }),
        );
        const used = Number((total.Item as { cents?: number } | undefined)?.cents ?? 0);
        return (
          (await seenBefore()) ?? {
            kind: 'risk_refused',
            refusals: [dailyNotionalRefusal(used, d.claim.addCents, d.policy, d.scope, day)],
          }
        );
      }
      if (
        exposureIndex >= 0 &&
        reasons[exposureIndex] === 'ConditionalCheckFailed' &&
        exposure.kind === 'claim' &&
        firmPolicy !== null
      ) {
        const used = await firmExposureCents(deps.doc, deps.idempotencyTable);
        return (
          (await seenBefore()) ?? {
            kind: 'risk_refused',
            refusals: [firmOpenExposureRefusal(used, exposure.addCents, firmPolicy)],
          }
        );
      }
      // A concurrent transaction on the same claim (TransactionConflict): the winner is still
      // committing. Back off and try again; the next attempt sees its claim.
      if (attempt >= MAX_ATTEMPTS) throw err;
      await deps.sleep(20 * 2 ** attempt);
    }
  }
}

/** A decimal text as nanos (null: absent or unreadable). */
function nanosOrNull(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined) return null;
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
}

/** A day total lingers two days after its last order, then TTL removes it. */
const DAILY_TOTAL_TTL_SECONDS = 2 * 24 * 60 * 60;

/** The day-total item of an account's (or the firm's) New York trading day. */
export const dailyNotionalId = (scope: 'firm' | { accountId: string }, day: string) =>
  scope === 'firm' ? `daily-notional#firm#${day}` : `daily-notional#account#${scope.accountId}#${day}`;

/** The daily-notional claims of an order under the account's and the firm's policies. */
function dailyClaimsOf(
  accountId: string,
  day: string,
  policies: { readonly account: LimitsPolicy | null; readonly firm: LimitsPolicy | null } | undefined,
  notional: ReturnType<typeof orderNotionalOf>,
) {
  const out: {
    id: string;
    scope: PolicyScope;
    policy: LimitsPolicy;
    claim: ReturnType<typeof dailyNotionalClaim> | { kind: 'count'; addCents: number };
  }[] = [];
  for (const scope of ['account', 'firm'] as const) {
    const policy = policies?.[scope] ?? NO_POLICY;
    const id = dailyNotionalId(scope === 'firm' ? 'firm' : { accountId }, day);
    const claim = dailyNotionalClaim(notional, policy, scope, day);
    if (claim.kind !== 'none') out.push({ id, scope, policy, claim });
    // The account's day total is kept whether or not a limit is set, so a limit set at noon counts
    // the morning's orders (one more item in the same transaction: write units, no request). The
    // firm's is kept only while its policy sets a limit: one item every order of the firm would
    // write is a hot key (per-partition throughput, transaction conflicts) paid only when wanted.
    else if (scope === 'account' && policies !== undefined && notional !== null)
      out.push({ id, scope, policy, claim: { kind: 'count', addCents: notionalCents(notional) } });
  }
  return out;
}

/**
 * The orders a request places: a contingent order's members, or one order (an algorithmic one
 * is a parent: `algo` contingency, its own group).
 */
function membersOf(spec: OrderSpec, ids: readonly string[]) {
  const members = contingentMembersOf(spec, ids);
  const [root] = members;
  if (root === undefined || algorithmFor(spec) === null) return members;
  return [
    {
      ...root,
      contingency: {
        groupId: root.orderId,
        orderClass: 'algo' as const,
        role: 'algo_parent' as const,
        parentOrderId: null,
        legOrderIds: [],
        held: false,
      },
    },
  ];
}

type ClaimField = 'client_order_id' | 'Idempotency-Key';

/**
 * The claims a request makes, Idempotency-Key first. The client-order-id claim has no id yet
 * when the client gave none: it is then the new order's id, known per attempt.
 */
function claimsOf(input: PlaceOrderInput, spec: OrderSpec): { id: string | null; field: ClaimField }[] {
  const claims: { id: string | null; field: ClaimField }[] = [];
  if (input.idempotencyKey !== undefined) {
    claims.push({ id: idemClaimId(input.accountId, input.idempotencyKey), field: 'Idempotency-Key' });
  }
  const coid = spec.clientOrderId;
  claims.push({ id: coid === null ? null : coidClaimId(input.accountId, coid), field: 'client_order_id' });
  return claims;
}

/** Alpaca's words for a client order id taken (422 40010001; bots match `... must be unique`). */
export const CLIENT_ORDER_ID_TAKEN = 'client_order_id must be unique: already used for another order';

function claimOutcome(field: ClaimField, seen: AlpacaOrder | 'mismatch'): PlaceOrderResult {
  if (seen !== 'mismatch') return { kind: 'existing', order: seen };
  const message =
    field === 'client_order_id' ? CLIENT_ORDER_ID_TAKEN : 'Idempotency-Key: already used for another request';
  return { kind: 'conflict', field, message };
}

function cancellationReasons(err: unknown): (string | undefined)[] | null {
  if ((err as { name?: string }).name !== 'TransactionCanceledException') return null;
  return ((err as TransactionCanceledException).CancellationReasons ?? []).map((r) => r.Code);
}

async function resolveClaim(
  deps: OrdersServiceDeps,
  store: EventStore,
  id: string,
  requestHash: string,
  accountId: string,
): Promise<AlpacaOrder | 'mismatch' | 'gone'> {
  const found = await deps.doc.send(
    new GetCommand({ TableName: deps.idempotencyTable, Key: { id }, ConsistentRead: true }),
  );
  const item = found.Item as { orderId?: string; requestHash?: string } | undefined;
  if (item?.orderId === undefined) return 'gone';
  if (item.requestHash !== requestHash) return 'mismatch';
  const state = replay(await store.load(item.orderId));
  // The claim and the event are written together, so a claim without its order is corrupt data.
  if (state === undefined || state.accountId !== accountId) {
    throw new Error(`claim ${id} names order ${item.orderId}, which is not in the event store`);
  }
  return alpacaOrderWithLegs(store, state);
}

/**
 * One slot in a one-second window (`id`): an atomic counter that only increments while it is below
 * the limit, so concurrent submitters cannot overshoot. The window's item lingers a minute (TTL).
 */
function rateSlotUpdate(
  table: string,
  id: string,
  now: number,
  limit: number,
): NonNullable<TransactItem['Update']> {
  return {
    TableName: table,
    Key: { id },
    UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
    ConditionExpression: 'attribute_not_exists(id) OR #count < :limit',
    ExpressionAttributeNames: { '#count': 'count' },
    ExpressionAttributeValues: {
      ':one': 1,
      ':limit': limit,
      ':expiresAt': Math.floor(now / 1000) + RATE_WINDOW_TTL_SECONDS,
    },
  };
}

/** One slot in the window on its own (not in a placing transaction): false when it is full. */
async function takeRateSlot(
  deps: Pick<OrdersServiceDeps, 'doc' | 'idempotencyTable'>,
  id: string,
  now: number,
  limit: number,
): Promise<boolean> {
  if (limit <= 0) return false; // the first writer of a window passes the condition: refuse before
  try {
    await deps.doc.send(new UpdateCommand(rateSlotUpdate(deps.idempotencyTable, id, now, limit)));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/**
 * The modify-rate limit of a limits policy (SEC 15c3-5; core aggregate-limits.ts): one slot in the
 * account's current one-second window of replaces, the same race-free counter as the submit rate.
 */
export function takeModifySlot(accountId: string, now: number, limit: number): Promise<boolean> {
  return takeRateSlot(
    { doc: dynamo, idempotencyTable: requiredEnv(ENV.idempotencyTable) },
    `modify#${accountId}#${Math.floor(now / 1000)}`,
    now,
    limit,
  );
}

/** A short whose located shares another order took between risk's read and the placing transaction. */
function locateTakenRefusal(symbol: string, qty: bigint): RiskRefusal {
  return {
    rule: 'locate_required',
    limit: 'located shares',
    message: `locate_required: the ${formatNanos(qty)} located ${symbol.toUpperCase()} shares this short sale needs were taken by another order (17 CFR 242.203(b)(1)): request a locate (POST /v1/locates)`,
  };
}

function accountsTableOf(deps: OrdersServiceDeps): string {
  return deps.accountsTable ?? requiredEnv(ENV.accountsTable);
}
