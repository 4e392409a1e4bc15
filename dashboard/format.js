// What the page derives from the OMS's answers, as plain functions: the venue, the arrival quote and
// the slippage of an order from its events, its fills and quote points, and display formatting.
// Prices stay the API's decimal text for display; only the slippage ratio is computed in floating
// point (a display figure in bps, never fed back to the OMS).

export const EM_DASH = '\u2014';

const FILL_TYPES = new Set(['OrderFilled', 'OrderPartiallyFilled']);

/** The venue the order went to: the last event that names one (fills, OrderArmed), else null. */
export function venueOf(events) {
  let venue = null;
  for (const e of events) if (typeof e.data?.venue === 'string' && e.data.venue !== '') venue = e.data.venue;
  return venue;
}

const num = (v) => (v === null || v === undefined || v === '' ? Number.NaN : Number(v));

/**
 * The arrival quote: the bid and ask the OMS read when it accepted the order, which its first event
 * records (`OrderSubmitted.data.acceptedAgainst.quote`; `data.arrival` {bid, ask, mid} is also
 * read, for issue 15's richer record). Null when no event has one (a replacement, an order placed
 * before the OMS kept it, a symbol without a two-sided quote): the page shows nothing rather than
 * a guess.
 */
export function arrivalOf(events) {
  for (const e of events) {
    const a = e.data?.arrival ?? e.data?.acceptedAgainst?.quote;
    if (a && typeof a === 'object') {
      const bid = num(a.bid);
      const ask = num(a.ask);
      const mid = a.mid !== undefined && a.mid !== null ? num(a.mid) : (bid + ask) / 2;
      if (Number.isFinite(mid) && mid > 0)
        return { bid: a.bid ?? null, ask: a.ask ?? null, mid, midText: a.mid ?? midText(bid, ask) };
    }
  }
  return null;
}

/** The mid of two prices as text, to the cent's hundredth at most (no binary noise). */
function midText(bid, ask) {
  return String(Math.round(((bid + ask) / 2) * 10_000) / 10_000);
}

/**
 * Slippage of the average fill price against the arrival mid, in basis points, signed so that
 * positive is worse for the side (a buy paid more, a sell got less). Null without a fill or arrival.
 */
export function slippageBps(order, arrival) {
  if (arrival === null) return null;
  const avg = num(order.filled_avg_price);
  if (!Number.isFinite(avg) || avg <= 0) return null;
  const sign = order.side === 'sell' ? -1 : 1;
  return (sign * (avg - arrival.mid) * 10_000) / arrival.mid;
}

/** The fills from the events: time, qty, price, venue. */
export function fillsOf(events) {
  return events
    .filter((e) => FILL_TYPES.has(e.type))
    .map((e) => ({
      at: e.occurred_at,
      qty: e.data.lastQty,
      price: e.data.lastPx,
      venue: e.data.venue ?? null,
    }));
}

/** Quote points the events carry: an arrival quote, a trigger's bid/ask. */
export function quotesOf(events) {
  const out = [];
  for (const e of events) {
    const q =
      e.data?.arrival ??
      e.data?.acceptedAgainst?.quote ??
      (e.data?.bid !== undefined || e.data?.ask !== undefined ? e.data : null);
    if (!q) continue;
    const bid = num(q.bid);
    const ask = num(q.ask);
    if (Number.isFinite(bid) || Number.isFinite(ask)) out.push({ at: e.occurred_at, bid, ask });
  }
  return out;
}

export function text(v) {
  return v === null || v === undefined || v === '' ? EM_DASH : String(v);
}

export function bps(v) {
  return v === null || !Number.isFinite(v) ? EM_DASH : v.toFixed(1);
}

/** A timestamp as local HH:MM:SS.mmm (the full ISO text in the title). */
export function time(iso) {
  if (!iso) return EM_DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toLocaleTimeString([], { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/** A money amount as the API's text with thousands separators (no float rounding of the digits). */
export function money(v) {
  if (v === null || v === undefined || v === '') return EM_DASH;
  const [int, frac] = String(v).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? grouped : `${grouped}.${frac.slice(0, 4)}`;
}
