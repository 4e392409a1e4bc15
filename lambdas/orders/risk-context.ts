/**
 * The inputs of pre-trade risk (core `risk.ts`), read from the tables:
 * - ACCOUNTS_TABLE `account#<accountId>`: `riskLimits` (merged over DEFAULT_RISK_LIMITS) and
 *   `buyingPower` (absent or null = unlimited). Fail closed: a missing record, or one that does
 *   not parse (a limit that is not a decimal, a restricted list that is neither a list nor a
 *   string set), becomes `accountProblem` and the core refuses every order of the account
 *   (`account_not_configured`) rather than trade on defaults;
 * - MARKET_TABLE quote of the symbol: reference price = last, else the bid/ask mid; and the
 *   symbol's ASSETS_TABLE entry (the asset master's facts: listed, tradable, fractionable,
 *   shortable, easy to borrow), read with the quote in one request (market data port
 *   `referenceData`);
 * - ORDERS_TABLE sparse GSI `byAccountOpen` (`openInAccount` = the account id): open buy orders' reserved notional
 *   (leaves x limit price, else the symbol's reference price; notional orders: notional left);
 * The read model is eventually consistent; the workflow's re-check runs after the API's, so an
 * order that raced past the first check meets the second.
 * The duplicate rule is not read here (`recentOrders` is empty): the placing transaction claims
 * the order's identity for the window (core `duplicateKeyOf`, lambdas/orders/orders-service.ts),
 * which concurrent twins cannot both pass; it replaced a query of the account's recent orders
 * (issue 12).
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import type { StrategyEntitlement } from '../core/bus-trust.js';
import {
  type AccountSettings,
  type AccountSlippageThresholds,
  type AppliedSlippageThresholds,
  type AssetFacts,
  assetFactsOf,
  centsAsDollars,
  claimRest,
  configurationsOf,
  configuredSettings,
  DEFAULT_RISK_LIMITS,
  dayTradesInWindow,
  formatNanos,
  type HoldingRelation,
  heldTogether,
  holdingRelationOf,
  isOpen,
  isSettled,
  type LedgerState,
  type LocateBook,
  locatedRemaining,
  type MarketQuote,
  type Multiplier,
  money,
  multiply,
  type Nanos,
  newYorkDate,
  ONE,
  type OpposingOrder,
  type OrderSpec,
  type OrderState,
  type OrderStatus,
  parseNanos,
  parsePdtMode,
  plainDecimalText,
  type RiskContext,
  type RiskLimits,
  type RiskSnapshot,
  ROUTING_POLICY_NAMES,
  referencePriceOf,
  type ShortSaleRestriction,
  sharesStillHeld,
  tapeMarkOf,
  thresholdsFor,
  toValue18,
  tradingReferenceOf,
  type Value18,
  valueAccount,
  wouldDayTrade,
} from '../core/index.js';
import '../core/zod-messages.js';
import { EventStore } from '../event-store/event-store.js';
import { ENV, optionalEnv, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { type MarketData, marketData } from '../platform/market-data.js';
import { ledgerOf, ledgerPk } from './account-ledger.js';
import { openBuysOf, openBuysPk } from './buying-power-reservations.js';
import { locateBookOf, locateBookPk } from './locate-book.js';
import { ORDERS_INDEX } from './order-view-indexes.js';
import { entitlementOf, strategyPk } from './strategies.js';
import {
  FIRM_CONTROLS_PK,
  firmLimitsPolicyOf,
  firmTradingStateOf,
  storedLimitsPolicySchema,
  storedTradingStateSchema,
} from './trading-controls.js';

export interface RiskInputs {
  readonly limits: RiskLimits;
  readonly context: RiskContext;
  /** With `strategyId`: that strategy's entitlement (null: none), read with the account (issue 16). */
  readonly entitlement?: StrategyEntitlement | null;
  /** The seq of the ledger read (absent: the re-check, which reads none). */
  readonly ledgerSeq?: number;
  /**
   * The account's buying power reservations as read with its ledger (absent: the re-check, which
   * reads no account): the placing transaction's condition is made of them (core
   * buying-power-claims.ts `buyingPowerCeilingCents`).
   */
  readonly openBuys?: {
    /** What the account's open buy orders that claimed reserve (`open-buys#<accountId>`), counted. */
    readonly reservedCents: number;
    /** What of the total is not counted: the claim a replace's own order still holds. */
    readonly setAsideCents: number;
    /** What executions gave back, read with the cash (the placing transaction's ceiling adds it). */
    readonly releasedCents: number;
    /** What its open buy orders without a claim reserve, from the read model (`exposureOf`). */
    readonly unclaimed: string;
  };
}

export interface LoadRiskOptions {
  readonly doc?: DynamoDBDocumentClient;
  /** Where quotes come from (default: the market data port as the stack wires it). */
  readonly market?: MarketData;
  /**
   * The order being checked when it is already stored (the workflow's re-check): it is not its
   * own open exposure nor its own duplicate, and only orders created before it count as twins.
   */
  readonly self?: {
    readonly orderId: string;
    readonly createdAt: string;
    /**
     * What it still holds of its buying power claim, from its state as the caller just read it
     * (consistent; a replace sets it aside): the read model may not show the order yet (a PATCH
     * right after the replace that opened it). Absent: from its view.
     */
    readonly heldCents?: number;
    /**
     * The order it replaced (a PATCH of a replacement): closed, it holds nothing, but its view may
     * show it open a stream hop longer (a PATCH right after the replace was refused `short_sale`,
     * the replaced order's leaves counted as held next to its own).
     */
    readonly replaces?: string;
    /**
     * Its contingent group (a PATCH of a bracket's, OTO's or OCO's member): the group's other
     * members hold the same shares, one or the other executes (a take-profit's reprice was refused
     * `short_sale`, its stop-loss's 4 counted as held of a long of 4).
     */
    readonly groupId?: string;
  };
  /**
   * With `self`, the open buy orders that count as exposure besides it: `before_self` (the
   * default: the workflow's re-check is made as of the order's submission, so of two concurrent
   * orders only the later one counts the earlier, and they cannot refuse each other) or `all`
   * (a replace commits its exposure now, next to every order open now).
   */
  readonly exposure?: 'before_self' | 'all';
  /**
   * Also the account's sells placed in the last minute that the open listing does not show yet
   * (orders/recent-placements.ts), the views read before the ledger (a sell whose view is closed
   * has its fill in the ledger read after it): a replace commits at once, with no workflow
   * re-check, so a sell placed a moment before it must count here (a probe's PATCH raising a
   * resting sell right after a market sell passed and left an account that may not short, short).
   * Two requests more, and the views and the ledger read one after the other: sell replaces only.
   * The caller reads them (orders/recent-views.ts `recentSellViews`: with their group keys), given
   * the listing's views.
   */
  readonly recentSells?: (listed: readonly View[]) => Promise<View[]>;
  /**
   * What the API read when the order was placed (its `OrderSubmitted.acceptedAgainst`): the
   * account's limits and buying power, the reference price and the asset's facts are taken from
   * it, not read again; only the open orders are (the workflow's re-check, as of the submission).
   */
  readonly snapshot?: RiskSnapshot;
  /**
   * A bus order's strategy (issue 16): its entitlement (`strategy#<id>`) is read in the same
   * BatchGet as the account, so checking the sender costs no request.
   */
  readonly strategyId?: string;
}

const decimalText = z.pipe(
  z.union([z.string(), z.number()]),
  z.transform((v: string | number) => (typeof v === 'number' ? plainDecimalText(v) : v)),
);

/** A stored limit: a non-negative decimal, so a typo cannot switch its rule off. */
const limitDecimal = decimalText.check(
  z.refine((v) => typeof parseNanos(v) === 'bigint', 'is not a decimal'),
);

/**
 * An account's own limits as stored (each merged over DEFAULT_RISK_LIMITS; `null` switches its rule
 * off). Local mode validates its `OMS_RISK_LIMITS` setting with the same schema.
 */
export const storedRiskLimitsSchema = z.partial(
  z.object({
    maxOrderQty: z.nullable(limitDecimal),
    maxOrderNotional: z.nullable(limitDecimal),
    priceCollarPercent: z.nullable(limitDecimal),
    // A list, or a DynamoDB string set (the document client reads it as a Set).
    restrictedSymbols: z.pipe(
      z.union([z.array(z.string()), z.set(z.string())]),
      z.transform((symbols: string[] | Set<string>) => [...symbols]),
    ),
    duplicateWindowSeconds: z.nullable(z.number().check(z.int(), z.nonnegative())),
    maxOrdersPerSecond: z.nullable(z.number().check(z.int(), z.nonnegative())),
  }),
);

const multiplierSchema = z.pipe(
  z.union([z.literal('1'), z.literal('2'), z.literal('4'), z.literal(1), z.literal(2), z.literal(4)]),
  z.transform((m: '1' | '2' | '4' | 1 | 2 | 4) => String(m) as Multiplier),
);

/**
 * The account record: risk limits, and (issue 13) the money and permissions of the account.
 * `cash` is the opening cash balance the executions move (`buyingPower`, its name before issue 13,
 * is read the same when `cash` is absent); neither = an account without a cash balance, whose
 * buying power is not controlled.
 */
const accountSchema = z.object({
  riskLimits: z.optional(storedRiskLimitsSchema),
  buyingPower: z.optional(z.nullable(limitDecimal)),
  cash: z.optional(z.nullable(limitDecimal)),
  multiplier: z.optional(multiplierSchema),
  shortingEnabled: z.optional(z.boolean()),
  patternDayTrader: z.optional(z.boolean()),
  tradingBlocked: z.optional(z.boolean()),
  accountBlocked: z.optional(z.boolean()),
  // The kill switch (issue 16; lambdas/orders/trading-controls.ts): the account's trading state.
  tradingState: z.optional(storedTradingStateSchema),
  // Aggregate limits (issue 16; core aggregate-limits.ts): the account's versioned policy.
  limitsPolicy: z.optional(storedLimitsPolicySchema),
  createdAt: z.optional(z.string()),
  // The account holder's preferences (PATCH /v2/account/configurations; core account-configurations.ts).
  configurations: z.optional(z.record(z.string(), z.unknown())),
  // The account's smart order routing policy (core routing/); absent: the default.
  routingPolicy: z.optional(z.enum(ROUTING_POLICY_NAMES as [string, ...string[]])),
  // Slippage thresholds (core slippage.ts): the account's, per strategy tag, over a rolling window.
  slippageThresholds: z.optional(
    z.object({
      arrivalBps: z.optional(z.number()),
      shortfallBps: z.optional(z.number()),
      strategies: z.optional(
        z.record(
          z.string(),
          z.object({ arrivalBps: z.optional(z.number()), shortfallBps: z.optional(z.number()) }),
        ),
      ),
      // A rolling window: the averages over the account's last `orders` closed orders.
      window: z.optional(
        z.object({
          orders: z.number().check(z.int(), z.positive()),
          arrivalBps: z.optional(z.number()),
          shortfallBps: z.optional(z.number()),
        }),
      ),
    }),
  ),
});

/** The slippage thresholds that apply to `order` under the account's record (none: nothing). */
function slippageOf(
  stored: StoredAccount,
  order: OrderSpec,
): { slippageThresholds?: AppliedSlippageThresholds } {
  const applied = thresholdsFor(
    stored.slippageThresholds as AccountSlippageThresholds | undefined,
    order.clientOrderId,
  );
  return applied === null ? {} : { slippageThresholds: applied };
}

/** When an account record does not say when it opened. */
export const ACCOUNT_EPOCH = '2026-01-02T14:30:00.000Z';

/** The account's settings from its stored record (defaults: a cash account that may not short). */
export function accountSettingsOf(accountId: string, stored: StoredAccount): AccountSettings {
  return configuredSettings(firmSettingsOf(accountId, stored), configurationsOf(stored.configurations));
}

/** What the firm set on the account, before its holder's preferences. */
function firmSettingsOf(accountId: string, stored: StoredAccount): AccountSettings {
  return {
    accountId,
    openingCash: stored.cash ?? stored.buyingPower ?? null,
    multiplier: stored.multiplier ?? '1',
    shortingEnabled: stored.shortingEnabled ?? false,
    patternDayTrader: stored.patternDayTrader ?? false,
    tradingBlocked: stored.tradingBlocked ?? false,
    accountBlocked: stored.accountBlocked ?? false,
    createdAt: stored.createdAt ?? ACCOUNT_EPOCH,
  };
}

type StoredAccount = z.output<typeof accountSchema>;

/** The account's stored risk configuration, or what is wrong with it. */
export function readAccount(
  accountId: string,
  item: Record<string, unknown> | undefined,
): { readonly ok: true; readonly account: StoredAccount } | { readonly ok: false; readonly problem: string } {
  if (item === undefined) {
    return {
      ok: false,
      problem: `account ${accountId} has no risk configuration (no account#${accountId} record)`,
    };
  }
  const parsed = accountSchema.safeParse(item);
  if (parsed.success) return { ok: true, account: parsed.data };
  const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'record'}: ${i.message}`);
  return {
    ok: false,
    problem: `account ${accountId} has an unreadable risk configuration (${issues.join('; ')})`,
  };
}

/** The Alpaca order JSON the read model keeps under `order` (the fields risk reads). */
const viewSchema = z.object({
  id: z.string(),
  symbol: z.string(),
  side: z.string(),
  type: z.string(),
  status: z.string(),
  created_at: z.string(),
  qty: z.optional(z.nullable(z.string())),
  notional: z.optional(z.nullable(z.string())),
  limit_price: z.optional(z.nullable(z.string())),
  filled_qty: z.optional(z.nullable(z.string())),
  filled_avg_price: z.optional(z.nullable(z.string())),
  time_in_force: z.optional(z.string()),
  // The order's buying power claim (core buying-power-claims.ts): counted in the account's total.
  buying_power_claim: z.optional(
    z.object({
      id: z.string(),
      cents: z.number(),
      qty: z.nullable(z.string()),
      carried: z.optional(z.string()),
    }),
  ),
});
/** The Alpaca order, with the read model's group keys (an algorithmic child's, a contingent order's). */
export type View = z.infer<typeof viewSchema> & {
  readonly parentOrderId?: string;
  readonly contingencyRole?: string;
  readonly groupId?: string;
};

function dec(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined) return null;
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
}

/** Reference price of a quote: last trade, else the mid (half-even at 9 dp), else null. */
export async function loadRiskInputs(
  accountId: string,
  order: OrderSpec,
  now: number,
  options: LoadRiskOptions = {},
): Promise<RiskInputs> {
  const doc = options.doc ?? dynamo;
  const market = options.market ?? marketData();
  const snapshot = options.snapshot;
  const accounts = requiredEnv(ENV.accountsTable);
  const readAccountItems = () =>
    doc.send(
      new BatchGetCommand({
        RequestItems: {
          // The firm's controls ride along (the kill switch): no request of their own. Strongly
          // consistent, so an operator's HALT is in force on the very next order.
          [accounts]: {
            Keys: [
              { pk: `account#${accountId}` },
              { pk: ledgerPk(accountId) },
              { pk: openBuysPk(accountId) },
              { pk: FIRM_CONTROLS_PK },
              { pk: locateBookPk(accountId) },
              ...(options.strategyId === undefined ? [] : [{ pk: strategyPk(options.strategyId) }]),
            ],
            ConsistentRead: true,
          },
        },
      }),
    );
  const listing = () =>
    queryViews(doc, {
      IndexName: ORDERS_INDEX.byAccountOpen,
      KeyConditionExpression: 'openInAccount = :k',
      ExpressionAttributeValues: { ':k': accountId },
    });
  const recentSells = options.recentSells;
  const viewsFirst =
    recentSells === undefined
      ? null
      : await listing().then(async (listed) => [...listed, ...(await recentSells(listed))]);
  const [account, reference, open] = await Promise.all([
    snapshot === undefined ? ledgerConsistentRead(readAccountItems, accounts, accountId) : null,
    referenceOf(market, order.symbol, snapshot, now),
    viewsFirst ?? listing(),
  ]);
  const { referencePrice, asset, quote } = reference;
  const items = account?.Responses?.[accounts] ?? [];
  const record = items.find((i) => i.pk === `account#${accountId}`);
  const ledger = ledgerOf(items.find((i) => i.pk === ledgerPk(accountId)));
  const openBuys = openBuysOf(items.find((i) => i.pk === openBuysPk(accountId)));
  const locates = locateBookOf(items.find((i) => i.pk === locateBookPk(accountId)));
  const firmItem = items.find((i) => i.pk === FIRM_CONTROLS_PK);
  const firm = firmTradingStateOf(firmItem);
  const firmPolicy = firmLimitsPolicyOf(firmItem);
  const accountRead =
    account === null ? ({ ok: true, account: {} } as const) : readAccount(accountId, record);
  // Unreadable firm controls refuse every order (fail closed), as an unreadable account does.
  const read = !firm.ok
    ? ({ ok: false, problem: firm.problem } as const)
    : !firmPolicy.ok
      ? ({ ok: false, problem: firmPolicy.problem } as const)
      : accountRead;
  const stored: StoredAccount = read.ok ? read.account : {};
  const limits: RiskLimits = snapshot?.limits ?? {
    ...DEFAULT_RISK_LIMITS,
    ...stripUndefined(stored.riskLimits ?? {}),
  };

  // Not itself, nor (a group's root: an OCO's take-profit, a bracket's or OTO's entry) the members
  // of its own group: an OCO's stop-loss holds the very shares its take-profit sells, one or the
  // other executes (counted against it, an OCO of a no-short account was rejected at its re-check
  // whenever its stop-loss's id sorted first: a member is placed in the same millisecond).
  const others = (views: View[]) =>
    views.filter(
      (v) =>
        v.id !== options.self?.orderId &&
        v.id !== options.self?.replaces &&
        (options.self === undefined ||
          (v.groupId !== options.self.orderId &&
            (v.groupId === undefined || v.groupId !== options.self.groupId))),
    );
  // Orders sort by createdKey (`createdAt#orderId`), as the read model's GSIs do.
  const before = options.self ? `${options.self.createdAt}#${options.self.orderId}` : null;
  const isEarlier = (v: View) => before === null || `${v.created_at}#${v.id}` < before;
  const exposed = options.exposure === 'all' ? others(open) : others(open).filter(isEarlier);
  // Claimed buys are in the account's total (read with the ledger); the read model values the rest.
  // The workflow's re-check (as of the submission) counts only unclaimed ones: the placing
  // transaction checked the claimed ones race-free, each against every claim before it.
  const unclaimed = await exposureOf(
    market,
    exposed.filter((v) => v.buying_power_claim === undefined),
    order.symbol,
    referencePrice,
  );
  // What a replace's own order still holds is set aside: its new terms are checked in its place.
  const own = options.self === undefined ? undefined : open.find((v) => v.id === options.self?.orderId);
  const setAsideCents =
    options.self?.heldCents ??
    (own?.buying_power_claim === undefined
      ? 0
      : claimRest(own.buying_power_claim, dec(own.filled_qty) ?? 0n));
  const countsReservations =
    snapshot === undefined && (options.self === undefined || options.exposure === 'all');
  const reservedCents = countsReservations
    ? Math.max(0, openBuys.cents - openBuys.released - setAsideCents)
    : 0;
  const openBuyExposure = formatNanos((dec(unclaimed) ?? 0n) + (dec(centsAsDollars(reservedCents)) ?? 0n));
  // The account's open exposure, both sides (its policy's `open_exposure`): valued only when the
  // policy sets that limit (a sell at market of another symbol needs that symbol's quote).
  const openNotional =
    snapshot === undefined && stored.limitsPolicy?.openExposure != null
      ? await exposureOf(
          market,
          exposed.map((v) => ({ ...v, side: 'buy' })),
          order.symbol,
          referencePrice,
        )
      : '0';
  const symbol = order.symbol.toUpperCase();
  const settings = accountSettingsOf(accountId, stored);
  // The price the symbol's open notional orders are sized at (core held-shares.ts).
  const sharePrice = (side: 'buy' | 'sell') => dec(tradingReferenceOf(side, referencePrice, quote));

  return {
    limits,
    ...(snapshot === undefined ? { ledgerSeq: ledger.seq } : {}),
    ...(countsReservations
      ? { openBuys: { reservedCents, setAsideCents, releasedCents: openBuys.released, unclaimed } }
      : {}),
    ...(options.strategyId === undefined
      ? {}
      : {
          entitlement: entitlementOf(
            options.strategyId,
            items.find((i) => i.pk === strategyPk(options.strategyId as string)),
          ),
        }),
    context: {
      now,
      referencePrice,
      ...(quote === undefined ? {} : { quote }),
      ...(stored.routingPolicy === undefined ? {} : { routingPolicy: stored.routingPolicy }),
      ...slippageOf(stored, order),
      asset,
      buyingPower:
        snapshot === undefined
          ? buyingPowerOf(settings, ledger, symbol, referencePrice)
          : snapshot.buyingPower,
      openBuyExposure,
      recentOrders: [],
      accountProblem: read.ok ? null : read.problem,
      ...(snapshot === undefined
        ? {
            account: {
              shortingEnabled: settings.shortingEnabled,
              tradingBlocked: settings.tradingBlocked || settings.accountBlocked,
              fractionalTrading: configurationsOf(stored.configurations).fractionalTrading,
            },
            positionQty: ledger.positions[symbol]?.qty ?? '0',
            accountId,
            tradingStates: { firm: firm.ok ? firm.record : null, account: stored.tradingState ?? null },
            heldForBuy: formatNanos(
              heldBy(exposed, symbol, 'buy', sharePrice('buy'), absNanos(ledger.positions[symbol]?.qty)),
            ),
            limitsPolicies: {
              account: stored.limitsPolicy ?? null,
              firm: firmPolicy.ok ? firmPolicy.policy : null,
            },
            openNotional,
            ...shortSaleAndDayTrading(settings, ledger, locates, order, {
              symbol,
              now,
              referencePrice,
              restriction: reference.restriction,
              // A replace may short what its own order still holds (its placement took the locate).
              ownLeaves: options.self === undefined ? 0n : leavesOf(open, options.self.orderId),
            }),
          }
        : {
            ...(snapshot.shortingEnabled === undefined
              ? {}
              : { account: { shortingEnabled: snapshot.shortingEnabled, tradingBlocked: false } }),
            ...(snapshot.positionQty === undefined ? {} : { positionQty: snapshot.positionQty }),
            // The shares its placement took (a re-check as of the submission).
            ...(snapshot.locatedQty === undefined ? {} : { locatedQty: snapshot.locatedQty }),
          }),
      heldForSale: formatNanos(
        heldBy(
          exposed,
          symbol,
          'sell',
          sharePrice('sell'),
          snapshot?.positionQty === undefined
            ? absNanos(ledger.positions[symbol]?.qty)
            : absNanos(snapshot.positionQty),
        ),
      ),
      opposingOrders: await stillOpen(doc, opposingOf(exposed, symbol, order.side)),
    },
  };
}

/** How many times the account's items are read again when the reservations are ahead of the ledger. */
const CONSISTENT_READ_ATTEMPTS = 5;

/**
 * The account's items, its ledger and its buying power reservations of one moment. An execution
 * moves both in one transaction (the cash down, its claim's share given back), but a BatchGetItem
 * is not a snapshot: a total that already gave an execution's share back while the ledger read does
 * not show its cost yet would overstate the buying power by that share. The total records the
 * ledger's seq of its last such change: one ahead of the ledger read is read again.
 */
async function ledgerConsistentRead(
  read: () => Promise<BatchGetCommandOutput>,
  accounts: string,
  accountId: string,
): Promise<BatchGetCommandOutput> {
  for (let attempt = 1; attempt <= CONSISTENT_READ_ATTEMPTS; attempt++) {
    const out = await read();
    const items = out.Responses?.[accounts] ?? [];
    const ledger = ledgerOf(items.find((i) => i.pk === ledgerPk(accountId)));
    const openBuys = openBuysOf(items.find((i) => i.pk === openBuysPk(accountId)));
    if (openBuys.ledgerSeq <= ledger.seq) return out;
  }
  throw new Error(`account ${accountId}: ledger and reservations kept diverging`);
}

/**
 * The opposing orders the read model (projected from the event store's stream, a moment behind
 * it, through an eventually consistent GSI) lists, confirmed against the event store itself (a
 * consistent read of each): one that closed a moment ago (its cancel or fill applied, the view
 * not yet caught up) cannot trade any more and must not refuse an order; a client that saw it
 * canceled may place at once. Only an account with open orders on the other side of the symbol
 * pays these reads (one Query per such order).
 */
async function stillOpen(doc: DynamoDBDocumentClient, listed: OpposingOrder[]): Promise<OpposingOrder[]> {
  if (listed.length === 0) return listed;
  const store = new EventStore(doc, requiredEnv(ENV.eventStoreTable));
  const open = await Promise.all(
    listed.map(async (o) => {
      const { state } = await store.loadState(o.orderId);
      if (state === undefined || isSettled(state)) return false;
      return state.qty === null || state.filledQty < state.qty;
    }),
  );
  return listed.filter((_, i) => open[i]);
}

/**
 * The account's open orders on the other side of `symbol` (core risk.ts wash-trade prevention):
 * an algorithmic parent is not at a venue (its children, listed too, are); the exits of a bracket,
 * OCO or OTO are flagged as complex legs.
 */
function opposingOf(open: readonly View[], symbol: string, side: string): OpposingOrder[] {
  return open
    .filter(
      (v) =>
        v.symbol.toUpperCase() === symbol &&
        v.side !== side &&
        v.contingencyRole !== 'algo_parent' &&
        // What the index lists for a moment after its close, or with nothing left, cannot trade.
        isOpen(v.status as OrderStatus) &&
        (v.qty == null || (dec(v.qty) ?? 0n) > (dec(v.filled_qty) ?? 0n)),
    )
    .map((v) => ({
      orderId: v.id,
      type: v.type,
      limitPrice: v.limit_price ?? null,
      // A view written before it carried the time in force: a continuous-session order.
      timeInForce: v.time_in_force ?? 'day',
      complexLeg: v.contingencyRole === 'take_profit' || v.contingencyRole === 'stop_loss',
    }));
}

/**
 * The account's buying power before its open orders (core account-view.ts), null when it has no
 * cash balance. At order entry positions are valued at cost, the order's own symbol at its
 * reference price: no quote of every other holding is read per order (the account endpoint values
 * them all at market).
 */
function buyingPowerOf(
  settings: AccountSettings,
  ledger: LedgerState,
  symbol: string,
  referencePrice: string | null,
): string | null {
  if (settings.openingCash === null) return null;
  const v = valueAccount(
    settings,
    ledger,
    (s) => ({ current: s === symbol ? referencePrice : null, previousClose: null }),
    '',
  );
  return v.buyingPower === null ? null : money(v.buyingPower);
}

/**
 * Qty of `symbol` the open orders of `side` still hold: their leaves, a notional order's rest at
 * `price` (the price it trades at, core `notionalSharePrice`: a probe's open notional sells counted
 * as holding nothing left an account that may not sell short, short). A notional order that cannot
 * be sized (no price) holds as much as `unsized` (the caller's whole position: nothing is left).
 */
export function heldBy(
  open: readonly View[],
  symbol: string,
  side: 'buy' | 'sell',
  price: Nanos | null,
  unsized: Nanos = 0n,
): Nanos {
  const holdings = new Map<string, Nanos>();
  const relations = new Map<string, HoldingRelation>();
  for (const v of open) {
    if (v.symbol.toUpperCase() !== symbol || v.side !== side) continue;
    const left = sharesStillHeld(
      {
        qty: dec(v.qty),
        notional: dec(v.notional),
        filledQty: dec(v.filled_qty) ?? 0n,
        filledAvgPrice: dec(v.filled_avg_price),
      },
      price,
    );
    holdings.set(v.id, left ?? unsized);
    const relation = holdingRelationOf(v);
    if (relation !== undefined) relations.set(v.id, relation);
  }
  // Each share once (core heldTogether): an algorithmic child under its open parent, the exits of
  // a bracket or OCO at the largest (until issue 12 both exits of an OCO counted: a no-short
  // account long 200 with an OCO of 100 could sell none of the other 100).
  return heldTogether(holdings, relations);
}

/** |qty| of a signed decimal (a position), 0 when absent. */
function absNanos(text: string | undefined): Nanos {
  if (text === undefined) return 0n;
  const v = dec(text.startsWith('-') ? text.slice(1) : text);
  return v ?? 0n;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The symbol's reference price and asset facts: from the snapshot when the order carries one (an
 * order placed before the asset master has none for the asset: read alone), else through the
 * market data port, the quote and the asset in one read.
 */
async function referenceOf(
  market: MarketData,
  symbol: string,
  snapshot: RiskSnapshot | undefined,
  now: number,
): Promise<{
  readonly referencePrice: string | null;
  readonly asset: AssetFacts | null;
  readonly quote?: ArrivalQuote;
  readonly restriction?: ShortSaleRestriction | null;
}> {
  if (snapshot === undefined) {
    const { quote, asset, consolidated } = await market.referenceData(symbol);
    const { nbbo } = consolidated;
    return {
      referencePrice: referencePriceOf(quote),
      asset: assetFactsOf(asset),
      restriction: quote?.shortSaleRestriction ?? null,
      // The arrival quote: the NBBO over the venues' books when the OMS accepted the order.
      ...(quote === null
        ? {}
        : {
            quote: {
              bid: nbbo.bid === null ? null : formatNanos(nbbo.bid),
              ask: nbbo.ask === null ? null : formatNanos(nbbo.ask),
              ...tapeAt(quote, now),
            },
          }),
    };
  }
  const asset = snapshot.asset === undefined ? assetFactsOf(await market.asset(symbol)) : snapshot.asset;
  return { referencePrice: snapshot.referencePrice, asset };
}

/** The arrival quote recorded on an order's acceptance (core order.ts `arrival`). */
type ArrivalQuote = NonNullable<OrderState['arrival']>;

/**
 * The tape's accumulators at the order's acceptance (TCA's VWAP and TWAP over its life are taken
 * from them to the close): those the feed keeps.
 */
function tapeAt(
  quote: MarketQuote,
  now: number,
): Partial<Pick<ArrivalQuote, 'volume' | 'notional' | 'midMs'>> {
  const mark = tapeMarkOf(quote, now);
  const text = (n: Nanos | null | undefined) => (n === null || n === undefined ? undefined : formatNanos(n));
  const out = { volume: text(mark?.volume), notional: text(mark?.notional), midMs: text(mark?.midMs) };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}

/** The symbol's reference price through the market data port (last sale, else the mid). */
async function quoteOf(market: MarketData, symbol: string): Promise<string | null> {
  return referencePriceOf(await market.quote(symbol));
}

export async function queryViews(
  doc: DynamoDBDocumentClient,
  q: {
    IndexName: string;
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  },
): Promise<View[]> {
  const views: View[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({ TableName: requiredEnv(ENV.ordersTable), ...q, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) {
      const view = viewOfItem(item);
      if (view !== null) views.push(view);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return views;
}

/** What `viewOfItem` reads of a view (an open index item, or the table's item by id). */
export const VIEW_ITEM_ATTRIBUTES = [
  'orderId',
  'symbol',
  'side',
  'status',
  'createdAt',
  'exposure',
  'order',
  'parentOrderId',
  'contingencyRole',
  'groupId',
] as const;

/**
 * A view as risk reads it: the item's own keys with `exposure` (byAccountOpen projects them, not
 * the document); an item written before `exposure` existed has its whole `order`. Null when it
 * does not parse.
 */
export function viewOfItem(item: Record<string, unknown>): View | null {
  const v = viewSchema.safeParse(
    item.exposure === undefined
      ? item.order
      : {
          id: item.orderId,
          symbol: item.symbol,
          side: item.side,
          status: item.status,
          created_at: item.createdAt,
          ...(item.exposure as object),
        },
  );
  if (!v.success) return null;
  return {
    ...v.data,
    ...(typeof item.parentOrderId === 'string' ? { parentOrderId: item.parentOrderId } : {}),
    ...(typeof item.contingencyRole === 'string' ? { contingencyRole: item.contingencyRole } : {}),
    ...(typeof item.groupId === 'string' ? { groupId: item.groupId } : {}),
  };
}

/**
 * Notional reserved by open buy orders, rounded up to the nano. An order priced at market is
 * valued at its symbol's reference price; one whose symbol has no quote is not counted. An
 * algorithmic child whose parent is open is not counted: the parent's leaves (its quantity less
 * the children's fills it mirrors) already reserve what the child works.
 */
export async function exposureOf(
  market: MarketData,
  open: View[],
  symbol: string,
  reference: string | null,
): Promise<string> {
  const openIds = new Set(open.map((v) => v.id));
  const buys = open.filter(
    (v) =>
      v.side === 'buy' &&
      !(v.contingencyRole === 'algo_child' && v.parentOrderId !== undefined && openIds.has(v.parentOrderId)),
  );
  const needQuote = [
    ...new Set(
      buys.filter((v) => dec(v.notional) === null && dec(v.limit_price) === null).map((v) => v.symbol),
    ),
  ].filter((s) => s !== symbol);
  const quotes = new Map<string, string | null>([[symbol, reference]]);
  await Promise.all(needQuote.map(async (s) => quotes.set(s, await quoteOf(market, s))));

  let total: Value18 = 0n;
  for (const v of buys) {
    const filledQty = dec(v.filled_qty) ?? 0n;
    const notional = dec(v.notional);
    if (notional !== null) {
      const spent = multiply(filledQty, dec(v.filled_avg_price) ?? 0n);
      const left = toValue18(notional) - spent;
      if (left > 0n) total += left;
      continue;
    }
    const qty = dec(v.qty);
    const price = dec(v.limit_price) ?? dec(quotes.get(v.symbol) ?? null);
    if (qty === null || price === null || qty <= filledQty) continue;
    total += multiply(qty - filledQty, price);
  }
  return formatNanos((total + ONE - 1n) / ONE);
}

/** The shares an open order still holds (its qty less its fills); 0 when it is not listed. */
function leavesOf(open: readonly View[], orderId: string): Nanos {
  const v = open.find((o) => o.id === orderId);
  if (v === undefined) return 0n;
  const left = (dec(v.qty) ?? 0n) - (dec(v.filled_qty) ?? 0n);
  return left > 0n ? left : 0n;
}

/** The account's pattern day trader mode (`OMS_PDT_MODE`, core day-trading.ts; default the legacy rule). */
export function pdtModeFromEnv() {
  return parsePdtMode(optionalEnv(ENV.pdtMode));
}

/**
 * Reg SHO and PDT inputs of an order read now (issue 16): the located shares of the symbol the
 * account holds today, the symbol's Rule 201 restriction (from the quote item read anyway), and the
 * day-trading inputs from the ledger read anyway (equity with positions at cost, the order's symbol
 * at its reference price, as buying power is valued at order entry).
 */
function shortSaleAndDayTrading(
  settings: AccountSettings,
  ledger: LedgerState,
  locates: LocateBook,
  order: OrderSpec,
  at: {
    symbol: string;
    now: number;
    referencePrice: string | null;
    restriction: ShortSaleRestriction | null | undefined;
    ownLeaves: Nanos;
  },
): Pick<RiskContext, 'locatedQty' | 'shortSaleRestriction' | 'dayTrading'> {
  const today = newYorkDate(at.now);
  const equity =
    settings.openingCash === null
      ? null
      : valueAccount(
          settings,
          ledger,
          (s) => ({ current: s === at.symbol ? at.referencePrice : null, previousClose: null }),
          '',
        ).equity;
  return {
    locatedQty: formatNanos(locatedRemaining(locates, at.symbol, today) + at.ownLeaves),
    shortSaleRestriction: at.restriction ?? null,
    dayTrading: {
      mode: pdtModeFromEnv(),
      equity: equity === null ? null : equity / ONE,
      dayTrades: dayTradesInWindow(ledger, today),
      wouldDayTrade: wouldDayTrade(order, ledger, today),
    },
  };
}
