/**
 * PATCH /v2/orders/{order_id}: replace an open order's terms (Alpaca's fields: qty, time_in_force,
 * limit_price, stop_price, trail, client_order_id). Appends `OrderReplaceRequested` with the
 * replacement's id reserved; the venue's answer comes back as events. A stop the OMS holds (not
 * at the venue yet) is replaced at once, its replacement opened armed in the same transaction.
 * The response is the replacement order as it will open (status `accepted`), as Alpaca answers a
 * replace.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { modifyRateRefusal } from '../core/aggregate-limits.js';
import {
  auctionEntryError,
  type BuyingPowerClaim,
  buyingPowerClaimOf,
  buyingPowerNotionalOf,
  claimRest,
  clientOrderIdSchema,
  type Decision,
  decimalInput,
  effectiveTradingState,
  execute,
  exitQtyChangeError,
  type FieldError,
  fieldError,
  formatNanos,
  heldBuyingPowerClaim,
  leavesQtyOf,
  type OrderCommand,
  type OrderState,
  parseNanos,
  parseSigned9,
  placingCeilingCents,
  plainDecimalText,
  previewPendingReplacement,
  type ReplaceChanges,
  reservedBuyingPowerRefusal,
  shapeIssueToFieldErrors,
  shortSaleOf,
  stopReachedError,
  TIMES_IN_FORCE,
  trailBeyondPriceError,
  withoutNulls,
} from '../core/index.js';
import { checkPreTradeRisk } from '../core/risk.js';
import { cancellationCodes, type TransactItem } from '../event-store/event-store.js';
import { openBuysCents, reserveItem } from '../orders/buying-power-reservations.js';
import { coidClaimId } from '../orders/claims.js';
import { closingClaimsPut } from '../orders/closing-claims.js';
import { alpacaOrderWithLegs } from '../orders/contingent-groups.js';
import { CLIENT_ORDER_ID_TAKEN, takeModifySlot } from '../orders/orders-service.js';
import {
  CLOSING_CLAIMS_ATTEMPTS,
  closingPartOf,
  contextAtClosingRead,
  type NoShortSell,
  noShortSellOf,
  reducingOrderOf,
} from '../orders/position-availability.js';
import { recentSellViews } from '../orders/recent-views.js';
import { runReplaceCommand } from '../orders/replacements.js';
import { loadRiskInputs, type RiskInputs } from '../orders/risk-context.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { API_ERROR, apiError, fieldErrors, json, rateLimited } from './api-response.js';
import { apiHandler, jsonBody, notFound, riskRefusedResponse, washTradeResponse } from './http.js';
import {
  eventStore,
  loadOwnedOrder,
  pendingReplacementOriginal,
  plausibleOrderId,
  replacementNotOpenMessage,
  throughOmsResizes,
} from './orders-access.js';
import '../core/zod-messages.js';
import { writeInTime } from '../platform/write-deadline.js';

export const replaceRequestSchema = z.strictObject({
  qty: z.optional(decimalInput),
  time_in_force: z.optional(z.enum(TIMES_IN_FORCE)),
  limit_price: z.optional(decimalInput),
  stop_price: z.optional(decimalInput),
  trail: z.optional(decimalInput),
  client_order_id: z.optional(clientOrderIdSchema),
});

type ReplaceRequest = z.output<typeof replaceRequestSchema>;

const text = (v: string | number | undefined) => (typeof v === 'number' ? plainDecimalText(v) : v);

/** As POST answers a client order id taken (Alpaca's 422 40010001 and words), the field named. */
const clientOrderIdTakenResponse = () =>
  apiError(422, API_ERROR.badRequest, CLIENT_ORDER_ID_TAKEN, {
    errors: [{ code: 'conflict', field: 'client_order_id', message: CLIENT_ORDER_ID_TAKEN }],
  });

/** Whether `sent` is a decimal equal to `current` (a term resent as it stands). */
function unchanged(sent: string | undefined, current: string | null): boolean {
  const v = sent === undefined ? null : parseNanos(sent);
  return typeof v === 'bigint' && v === parseNanos(current ?? '');
}

/**
 * The request as core changes: `trail` is the trail price or percent, whichever the order trails by.
 * A term resent as it stands changes nothing and is left out: a PATCH resending every term is
 * refused as `{}` is (`nothing to change`), instead of placing a replacement with the same terms
 * that loses the order's place at the venue (a probe; Alpaca refuses it too: "order parameters are
 * not changed"). A triggered stop-limit's stop resent with a new limit is a reprice, not a stop
 * change (a probe's was refused: a triggered stop's stop may not change).
 */
export function changesOf(req: ReplaceRequest, state: OrderState): ReplaceChanges | FieldError {
  const changes: { -readonly [K in keyof ReplaceChanges]: ReplaceChanges[K] } = {};
  const spec = state.spec;
  const qty = text(req.qty);
  if (qty !== undefined && !unchanged(qty, spec.qty)) changes.qty = qty;
  if (req.time_in_force !== undefined && req.time_in_force !== spec.timeInForce)
    changes.timeInForce = req.time_in_force;
  const limit = text(req.limit_price);
  if (limit !== undefined && !unchanged(limit, spec.limitPrice)) changes.limitPrice = limit;
  const stop = text(req.stop_price);
  if (stop !== undefined && !unchanged(stop, spec.stopPrice)) changes.stopPrice = stop;
  // The order's own client order id resent is no change either (a probe's was refused as taken).
  if (req.client_order_id !== undefined && req.client_order_id !== state.clientOrderId)
    changes.clientOrderId = req.client_order_id;
  if (req.trail !== undefined) {
    if (spec.type !== 'trailing_stop') {
      return fieldError('not_allowed', 'trail', 'is only for trailing_stop orders');
    }
    const trail = text(req.trail);
    if (spec.trailPercent !== null) {
      if (!unchanged(trail, spec.trailPercent)) changes.trailPercent = trail;
    } else if (!unchanged(trail, spec.trailPrice)) changes.trailPrice = trail;
  }
  return changes;
}

/**
 * The errors as the client reads them: the core checks a PATCH's `trail` as the order's
 * `trail_price` or `trail_percent` (`changesOf`), but the field the client sent is `trail`.
 */
export function namingTrail(errors: readonly FieldError[], req: ReplaceRequest): readonly FieldError[] {
  if (req.trail === undefined) return errors;
  return errors.map((e) =>
    e.field === 'trail_price' || e.field === 'trail_percent'
      ? { ...e, field: 'trail', message: `trail: ${e.message.slice(`${e.field}: `.length)}` }
      : e,
  );
}

function refusalResponse(
  decision: Extract<Decision, { ok: false }>,
  req: ReplaceRequest,
): APIGatewayProxyStructuredResultV2 {
  const { refusal } = decision;
  // The replacement's terms break a request rule: bad input, answered like a bad POST.
  if (refusal.fieldErrors !== undefined && refusal.fieldErrors.length > 0)
    return fieldErrors(namingTrail(refusal.fieldErrors, req));
  const message = `order is not replaceable: ${refusal.message.replace(/^[A-Za-z]+: /, '')}`;
  return apiError(
    422,
    API_ERROR.unprocessable,
    message,
    refusal.fieldErrors ? { errors: refusal.fieldErrors } : {},
  );
}

/** The replacement as it will open once the venue confirms: the core's own opening events, in memory. */
export function previewReplacement(state: OrderState, command: OrderCommand, now: number): OrderState {
  const requested = execute(state, command, now).state as OrderState;
  return previewPendingReplacement(requested, now) as OrderState;
}

/** Whether the client order id is claimed already (consistent read of its claim). */
async function clientOrderIdTaken(accountId: string, clientOrderId: string): Promise<boolean> {
  const found = await dynamo.send(
    new GetCommand({
      TableName: requiredEnv(ENV.idempotencyTable),
      Key: { id: coidClaimId(accountId, clientOrderId) },
      ConsistentRead: true,
    }),
  );
  return found.Item !== undefined;
}

/**
 * The replacement's buying power claim and the request transaction's ceiling (core
 * buying-power-claims.ts), as a buy placed now would claim: on the replacement's leaves (its qty
 * less the fills it carries) at its new terms. Null: it claims nothing (a sell, an account without
 * a cash balance, nothing left to work).
 */
function replacementClaim(
  replacement: OrderState,
  inputs: RiskInputs,
): { readonly claim: BuyingPowerClaim; readonly ceilingCents: number } | null {
  const { context, openBuys } = inputs;
  if (openBuys === undefined || context.buyingPower === null) return null;
  const leaves = leavesQtyOf(replacement);
  if (leaves === null || leaves <= 0n) return null;
  const qty = formatNanos(leaves);
  const terms = buyingPowerClaimOf({
    qty,
    notional: buyingPowerNotionalOf({ ...replacement.spec, qty }, context),
    buyingPower: context.buyingPower,
    algorithmic: false,
  });
  if (terms === null) return null;
  const ceilingCents = placingCeilingCents({
    buyingPower: context.buyingPower,
    ...openBuys,
    addCents: terms.cents,
  });
  return { claim: { id: replacement.orderId, ...terms }, ceilingCents };
}

/** A closing-claims item, or the response that ends the request. */
const isTransactItem = (x: TransactItem | APIGatewayProxyStructuredResultV2): x is TransactItem =>
  'Put' in x || 'Update' in x || 'ConditionCheck' in x || 'Delete' in x;

/** A concurrent transaction on an item of the request's (the account's reservations): try again. */
const REPLACE_ATTEMPTS = 5;

export const handler = apiHandler(
  'ReplaceOrder',
  async (event, principal, writeBy) => {
    const requestedId = event.pathParameters?.order_id;
    if (!plausibleOrderId(requestedId)) return notFound();
    const body = jsonBody(event);
    if (!body.ok) return body.response;
    // The same words as POST for the same bad field (`reportInput`: absent reads `is required`).
    const parsed = replaceRequestSchema.safeParse(withoutNulls(body.value), { reportInput: true });
    if (!parsed.success) return fieldErrors(parsed.error.issues.flatMap(shapeIssueToFieldErrors));

    const store = eventStore();
    const found = await loadOwnedOrder(store, requestedId, principal.accountId);
    if (found === null) {
      // Right after a PATCH its replacement is not an order yet: 422, not 404 (it exists).
      const original = await pendingReplacementOriginal(store, requestedId, principal.accountId);
      return original === null
        ? notFound()
        : apiError(422, API_ERROR.unprocessable, replacementNotOpenMessage('replaced', original));
    }
    // An exit the OMS resized is replaced as the order that now works it (core isResizedExit).
    const owned = await throughOmsResizes(store, found, principal.accountId);
    const orderId = owned.state.orderId;
    const changes = changesOf(parsed.data, owned.state);
    if ('field' in changes) return fieldErrors([changes]);

    const now = Date.now();
    const command: OrderCommand = {
      type: 'requestReplace',
      replacementOrderId: randomUUID(),
      changes,
      requestedBy: principal.principalId,
      // Its qty stays above the fills, decided again on the state the request appends to (a fill
      // landing meanwhile counts: runReplaceCommand reloads on the conflict and decides again).
      qtyAboveFills: true,
    };
    const dryRun = execute(owned.state, command, now).decision;
    if (!dryRun.ok) return refusalResponse(dryRun, parsed.data);
    // An exit of a bracket, OCO or OTO is sized by the OMS (core contingency.ts): not its qty.
    const exitQty = exitQtyChangeError(owned.state, changes);
    if (exitQty !== null) return fieldErrors([exitQty]);
    // Turning an order into opg during the session: the venue would refuse it (auction_closed).
    if (changes.timeInForce !== undefined && changes.timeInForce !== owned.state.spec.timeInForce) {
      const auctionError = auctionEntryError(
        changes.timeInForce,
        now,
        sessionCloseFromEnv(),
        sessionOptionsFromEnv(),
      );
      if (auctionError !== null) return fieldErrors([auctionError]);
    }
    if (
      changes.clientOrderId !== undefined &&
      (await clientOrderIdTaken(principal.accountId, changes.clientOrderId))
    ) {
      return clientOrderIdTakenResponse();
    }

    const replacement = previewReplacement(owned.state, command, now);
    // The order being replaced is neither its own duplicate nor its own open exposure. The
    // replacement commits its exposure now, next to every order open now (it skips the workflow's
    // re-check), so all of them count, not only those placed before the original.
    const held = heldBuyingPowerClaim({
      buyingPowerClaim: owned.state.buyingPowerClaim,
      split: owned.state.routing?.split === true,
    });
    const self = {
      orderId: owned.state.orderId,
      createdAt: owned.state.createdAt,
      // What the order holds of its own claim, from its state (its view may not be projected yet).
      heldCents: held === null ? 0 : claimRest(held, owned.state.filledQty),
      ...(owned.state.replaces === null ? {} : { replaces: owned.state.replaces }),
      ...(owned.state.contingency === null ? {} : { groupId: owned.state.contingency.groupId }),
    };
    const inputs = await loadRiskInputs(principal.accountId, replacement.spec, now, {
      self,
      exposure: 'all',
      // A sell placed a moment before counts (not listed yet): a replace is not re-checked later.
      ...(replacement.spec.side === 'sell'
        ? {
            recentSells: (listed) =>
              recentSellViews(
                dynamo,
                {
                  idempotency: requiredEnv(ENV.idempotencyTable),
                  orders: requiredEnv(ENV.ordersTable),
                  store,
                },
                principal.accountId,
                listed,
                now,
              ),
          }
        : {}),
    });
    const { limits, context } = inputs;
    // A trail raised to the price it trails from (the order's best price so far, else the market).
    const trailError = trailBeyondPriceError(replacement.spec, owned.state.hwm ?? context.referencePrice);
    if (trailError !== null) return fieldErrors(namingTrail([trailError], parsed.data));
    // A stop moved to where the market already is (a stop_price resent as it was is no change).
    const stopError =
      changes.stopPrice === undefined ? null : stopReachedError(replacement.spec, context.referencePrice);
    if (stopError !== null) return fieldErrors([stopError]);
    // Its carried fills are in the position and the cash already: buying power, open exposure and
    // the short sale rules count what is left to trade (core risk.ts `workingSpecOf`).
    const refusals = checkPreTradeRisk(replacement.spec, limits, {
      ...context,
      carriedFilledQty: formatNanos(replacement.filledQty),
    });
    if (refusals.some((r) => r.rule === 'wash_trade')) return washTradeResponse(refusals);
    if (refusals.length > 0) {
      return riskRefusedResponse(refusals);
    }

    // The modify-rate limit of the account's or the firm's limits policy (the tighter one).
    const rate = [
      ['account', context.limitsPolicies?.account] as const,
      ['firm', context.limitsPolicies?.firm] as const,
    ]
      .flatMap(([scope, p]) => (p?.modifiesPerSecond == null ? [] : [{ scope, policy: p }]))
      .sort((a, b) => (a.policy.modifiesPerSecond ?? 0) - (b.policy.modifiesPerSecond ?? 0))[0];
    if (
      rate !== undefined &&
      !(await takeModifySlot(principal.accountId, now, rate.policy.modifiesPerSecond ?? 0))
    ) {
      const refusal = modifyRateRefusal(rate.policy, rate.scope);
      return rateLimited(refusal.message, rate.policy.modifiesPerSecond ?? 0, { refusals: [refusal] });
    }

    // The replacement's buying power claim rides the request's transaction: a buy placed while the
    // venue works the replace counts the new terms (and the order's own, which may still execute).
    let reserving = replacementClaim(replacement, inputs);
    const accountsTable = requiredEnv(ENV.accountsTable);
    const refusedForBuyingPower = async (orderCents: number) => {
      const refusal = reservedBuyingPowerRefusal({
        buyingPower: context.buyingPower as string,
        orderCents,
        reservedCents: await openBuysCents(dynamo, accountsTable, principal.accountId),
        unclaimed: inputs.openBuys?.unclaimed ?? '0',
      });
      return riskRefusedResponse([refusal]);
    };
    if (reserving !== null && reserving.ceilingCents < 0) return refusedForBuyingPower(reserving.claim.cents);

    const requestId = event.requestContext.requestId;
    // A sell raised past what closes the position sells short: marked so (Reg SHO 200(g); the CAT
    // export reports it SS), decided on the closing-claims read below as a new order's is.
    let shortMarked: Pick<ReplaceChanges, 'positionIntent'> = {};
    const claimedWith = (reserved: typeof reserving): OrderCommand => ({
      ...command,
      changes: { ...changes, ...shortMarked },
      ...(reserved === null ? {} : { buyingPowerClaim: reserved.claim }),
    });
    // A sell of an account that may not sell short raising what it holds: its replacement's claim
    // (its new leaves; the pair holds the larger of the order's and the replacement's while the venue
    // works the replace) rides the request's transaction over the position's closing claims read
    // (orders/position-availability.ts), so a close or a sell placed at the same moment and this
    // replace cannot both pass a read of the same position (a probe's PATCH raising a resting sell
    // and a close at once both filled, 3 of 3, and left the account short).
    // The same under the account's or the firm's REDUCING state (core trading-state.ts): a
    // replacement raising what it trades must still reduce the position, read under its closing
    // claims as a new order is (orders-service.ts), its claim on the order's side.
    const newLeaves = leavesQtyOf(replacement);
    const raisesLeaves = newLeaves !== null && newLeaves > (leavesQtyOf(owned.state) ?? 0n);
    const states = context.tradingStates;
    // So does one raising a sell of a long on any account (a long is not sold into a short), but
    // under REDUCING, whose own read allows no more.
    const position = context.positionQty === undefined ? 0n : parseSigned9(context.positionQty);
    const reducing = states !== undefined && effectiveTradingState(states).record.state === 'REDUCING';
    const raisesSell =
      raisesLeaves &&
      replacement.spec.side === 'sell' &&
      context.positionQty !== undefined &&
      (context.account?.shortingEnabled === false || (position > 0n && !reducing));
    const raisesReducing = raisesLeaves && !raisesSell && reducing;
    // A replacement raising a buy of a short (a sell of a long is `raisesSell`): its covering part
    // takes no buying power, so it is read and claimed under the position's closing claims as a new
    // order's is (orders-service.ts `closingPartOf`), its buying power claim sized from that read: a
    // concurrent order or PATCH cannot count the same shares as closing, free of buying power; a
    // raise past the cover is refused (core `short_cover`: a short is not bought into a long).
    const raisesClosing =
      raisesLeaves && !raisesSell && !raisesReducing && replacement.spec.side === 'buy' && position < 0n;
    // Its new leaves past the long (less what other sells hold): a short sale. On the closing-claims
    // read when the raise takes one (closingPart below), else on the position risk read (a sell of
    // an account that may not sell short, or under REDUCING, cannot sell short: refused instead).
    const markedShort = (at: typeof context): typeof shortMarked =>
      raisesLeaves &&
      replacement.spec.positionIntent !== 'sell_to_open' &&
      shortSaleOf({ ...replacement.spec, qty: formatNanos(newLeaves ?? 0n) }, at)
        ? { positionIntent: 'sell_to_open' }
        : {};
    if (!raisesSell && !raisesReducing) shortMarked = markedShort(context);
    // Nor the order it replaced (closed; its view may still show it open a moment).
    const exclude = new Set(owned.state.replaces === null ? [orderId] : [orderId, owned.state.replaces]);
    const closingPart = async (): Promise<TransactItem | APIGatewayProxyStructuredResultV2 | undefined> => {
      const part = await closingPartOf(
        dynamo,
        principal.accountId,
        { symbol: replacement.spec.symbol, side: replacement.spec.side, qty: newLeaves, notional: null },
        now,
        { store, price: null, exclude },
      );
      if (part.kind !== 'fits') return riskRefusedResponse([part.refusal]);
      const atRead = contextAtClosingRead(context, replacement.spec.side, part);
      reserving = replacementClaim(replacement, { ...inputs, context: atRead });
      shortMarked = markedShort(atRead);
      if (reserving !== null && reserving.ceilingCents < 0)
        return refusedForBuyingPower(reserving.claim.cents);
      return part.shares === 0n ? undefined : claimsPutOf(part);
    };
    const claimsPutOf = (read: Extract<NoShortSell, { kind: 'fits' }>): TransactItem =>
      closingClaimsPut(
        requiredEnv(ENV.idempotencyTable),
        principal.accountId,
        replacement.spec.symbol,
        read.read.claims,
        read.read.availability.claims,
        {
          orderId: command.replacementOrderId,
          side: replacement.spec.side,
          qty: read.shares,
          placedAt: now,
          supersedes: orderId,
        },
      );
    const claimsItem = async (): Promise<TransactItem | APIGatewayProxyStructuredResultV2> => {
      const read =
        raisesReducing && states !== undefined
          ? await reducingOrderOf(
              dynamo,
              principal.accountId,
              { ...replacement.spec, qty: formatNanos(newLeaves ?? 0n), notional: null },
              now,
              { store, price: null, referencePrice: context.referencePrice ?? null, states, exclude },
            )
          : await noShortSellOf(
              dynamo,
              principal.accountId,
              { symbol: replacement.spec.symbol, qty: newLeaves, notional: null },
              now,
              { store, price: null, exclude, mayShort: context.account?.shortingEnabled !== false },
            );
      if (read.kind === 'refused') return riskRefusedResponse([read.refusal]);
      return claimsPutOf(read);
    };
    const replace = (closing: TransactItem | undefined, reserved: typeof reserving) =>
      runReplaceCommand(
        store,
        orderId,
        claimedWith(reserved) as Extract<OrderCommand, { type: 'requestReplace' }>,
        (s) => ({ accountId: s.accountId, correlationId: requestId, causationId: requestId }),
        () => now,
        requiredEnv(ENV.idempotencyTable),
        reserved === null
          ? undefined
          : reserveItem(accountsTable, principal.accountId, reserved.claim.cents, reserved.ceilingCents),
        closing,
      );
    let result: Awaited<ReturnType<typeof replace>> | undefined;
    for (let claimsAttempt = 1; ; claimsAttempt++) {
      const closing =
        raisesSell || raisesReducing ? await claimsItem() : raisesClosing ? await closingPart() : undefined;
      if (closing !== undefined && !isTransactItem(closing)) return closing;
      result = undefined;
      for (let attempt = 1; result === undefined; attempt++) {
        writeInTime(writeBy, 'nothing was replaced');
        try {
          result = await replace(closing, reserving);
        } catch (err) {
          // Another transaction on the account's reservations at the same moment: nothing written.
          if (attempt >= REPLACE_ATTEMPTS || !cancellationCodes(err)?.includes('TransactionConflict'))
            throw err;
          await sleepFor(20 * 2 ** attempt);
        }
      }
      // A concurrent sell or close of the position committed first: read its claims again.
      if (!result.closingClaimsChanged) break;
      if (claimsAttempt >= CLOSING_CLAIMS_ATTEMPTS)
        return apiError(
          422,
          API_ERROR.unprocessable,
          'the position is being sold by concurrent requests: nothing was replaced; retry',
        );
    }
    if (!result.decision.ok) return refusalResponse(result.decision, parsed.data);
    if (result.buyingPowerTaken && reserving !== null) return refusedForBuyingPower(reserving.claim.cents);
    if (result.clientOrderIdTaken) return clientOrderIdTakenResponse();
    // A group's root answers with its legs, as GET /v2/orders/{id} shows it (was `legs: null`).
    const answered = await alpacaOrderWithLegs(store, {
      ...replacement,
      spec: { ...replacement.spec, ...shortMarked },
    });
    return json(200, { ...answered, status: 'accepted' });
  },
  { trades: true },
);
