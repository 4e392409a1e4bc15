// The blotter: one row per order, keyed by order id, updated in place (from the stream or a poll),
// newest first. Venue, arrival and slippage come from the order's events, read once per change of
// the order (a few at a time), not on every refresh.
import { arrivalOf, bps, EM_DASH, slippageBps, text, time, venueOf } from './format.js';

const COLUMNS = [
  ['submitted_at', (o) => time(o.submitted_at)],
  ['symbol', (o) => o.symbol],
  ['side', (o) => o.side],
  ['type', (o) => o.type],
  ['qty', (o) => o.qty ?? (o.notional ? `$${o.notional}` : null)],
  ['filled_qty', (o) => o.filled_qty],
  ['filled_avg_price', (o) => o.filled_avg_price],
  ['limit_price', (o) => o.limit_price],
  ['stop_price', (o) => o.stop_price],
  ['time_in_force', (o) => o.time_in_force],
  ['status', (o) => o.status],
];
const DERIVED = ['venue', 'arrival', 'slippage_bps'];
const PARALLEL_READS = 3;

export class Blotter {
  constructor(tbody, { api, onSelect }) {
    this.tbody = tbody;
    this.api = api;
    this.onSelect = onSelect;
    this.rows = new Map(); // order id -> { tr, order, derivedFor }
    this.queue = [];
    this.reading = 0;
    tbody.addEventListener('click', (ev) => {
      const tr = ev.target.closest('tr[data-order-id]');
      if (tr) this.onSelect(tr.dataset.orderId);
    });
  }

  /** Every order of a listing (newest first); rows not in it stay (older pages, other statuses). */
  upsertAll(orders) {
    for (const o of orders) this.upsert(o, { flash: false });
  }

  /** Adds the order's row or updates it in place; a change of an existing row flashes it. */
  upsert(order, { flash = true } = {}) {
    let row = this.rows.get(order.id);
    // An update older than what the row shows (a poll answered after a stream frame) is dropped.
    const shown = row?.order.updated_at;
    if (shown && order.updated_at && order.updated_at < shown) return;
    if (!row) {
      const tr = document.createElement('tr');
      tr.dataset.orderId = order.id;
      for (const [name] of COLUMNS) tr.append(cell(name));
      for (const name of DERIVED) tr.append(cell(name));
      row = { tr, order, derivedFor: null };
      this.rows.set(order.id, row);
      this.insertSorted(tr, order.submitted_at ?? '');
      tr.dataset.submittedAt = order.submitted_at ?? '';
    }
    const changed = row.order.updated_at !== order.updated_at || row.order.status !== order.status;
    row.order = order;
    for (const [name, get] of COLUMNS) setCell(row.tr, name, get(order));
    if (flash && changed) {
      row.tr.classList.remove('flash');
      void row.tr.offsetWidth;
      row.tr.classList.add('flash');
    }
    const version = `${order.updated_at}|${order.status}|${order.filled_qty}`;
    if (row.derivedFor !== version) {
      row.derivedFor = version;
      this.queue.push(order.id);
      this.drain();
    }
  }

  select(id) {
    for (const [rid, row] of this.rows) row.tr.classList.toggle('selected', rid === id);
  }

  insertSorted(tr, submittedAt) {
    for (const other of this.tbody.children) {
      if ((other.dataset.submittedAt ?? '') < submittedAt) {
        this.tbody.insertBefore(tr, other);
        return;
      }
    }
    this.tbody.append(tr);
  }

  drain() {
    while (this.reading < PARALLEL_READS && this.queue.length > 0) {
      const id = this.queue.shift();
      if (this.queue.includes(id)) continue; // a newer request for the same order is queued
      this.reading++;
      this.derive(id).finally(() => {
        this.reading--;
        this.drain();
      });
    }
  }

  async derive(id) {
    const row = this.rows.get(id);
    if (!row) return;
    try {
      const events = await this.api.events(id);
      const arrival = arrivalOf(events);
      setCell(row.tr, 'venue', venueOf(events));
      setCell(row.tr, 'arrival', arrival === null ? null : arrival.midText);
      setCell(row.tr, 'slippage_bps', bps(slippageBps(row.order, arrival)));
      row.tr.dataset.derived = 'true';
    } catch {
      row.derivedFor = null; // read again on the next change or poll
    }
  }
}

function cell(name) {
  const td = document.createElement('td');
  td.dataset.col = name;
  td.textContent = EM_DASH;
  return td;
}

function setCell(tr, name, value) {
  const td = tr.querySelector(`td[data-col="${name}"]`);
  const shown = text(value);
  if (td.textContent !== shown) td.textContent = shown;
  td.dataset.value = value ?? '';
}
