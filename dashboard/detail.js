// An order's detail: its event trail, its workflow path (GET /v2/orders/{id}/workflow) with the
// Step Functions console link, its executions drawn (uPlot) over the quote points its events carry,
// and where its TCA will go.
import { fillsOf, quotesOf, text, time } from './format.js';

export class Detail {
  constructor(root, { api, onClose }) {
    this.root = root;
    this.api = api;
    this.orderId = null;
    this.chart = null;
    this.loading = null;
    root.querySelector('#detail-close').addEventListener('click', () => {
      this.close();
      onClose();
    });
  }

  close() {
    this.orderId = null;
    this.root.hidden = true;
    this.chart?.destroy();
    this.chart = null;
  }

  async open(id) {
    this.orderId = id;
    this.root.hidden = false;
    this.root.dataset.orderId = id;
    await this.refresh();
  }

  /** Reads the order again (after an update of it); one read at a time. */
  async refresh() {
    const id = this.orderId;
    if (id === null) return;
    if (this.loading) return this.loading;
    this.loading = Promise.all([
      this.api.order(id),
      this.api.events(id),
      this.api.workflow(id).catch((err) => ({ error: err })),
    ])
      .then(([order, events, workflow]) => {
        if (this.orderId !== id) return;
        this.root.querySelector('#detail-title').textContent =
          `${order.symbol} ${order.side} ${order.qty ?? `$${order.notional}`} ${order.type} \u00b7 ${order.status} \u00b7 ${order.id}`;
        this.renderTrail(events);
        this.renderWorkflow(workflow);
        this.renderFills(events);
      })
      .catch((err) => {
        this.root.querySelector('#detail-title').textContent = `${id}: ${err.message}`;
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  renderTrail(events) {
    const tbody = this.root.querySelector('#trail tbody');
    tbody.replaceChildren(
      ...events.map((e) => {
        const tr = document.createElement('tr');
        tr.dataset.type = e.type;
        const data = JSON.stringify(e.data);
        for (const v of [e.seq, e.type, time(e.occurred_at), clip(data)]) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.append(td);
        }
        tr.children[2].title = e.occurred_at;
        tr.children[3].title = data;
        return tr;
      }),
    );
  }

  renderWorkflow(workflow) {
    const box = this.root.querySelector('#workflow');
    if (workflow.error) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent =
        workflow.error.status === 404
          ? 'no workflow (yet) for this order'
          : `workflow: ${workflow.error.message}`;
      box.replaceChildren(p);
      return;
    }
    const head = document.createElement('p');
    head.append(`execution ${workflow.status} \u00b7 `);
    const link = document.createElement('a');
    link.href = workflow.console_url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.textContent = 'open in the Step Functions console (AWS)';
    link.title = workflow.execution_arn;
    head.append(link);
    const ol = document.createElement('ol');
    ol.id = 'workflow-states';
    for (const s of workflow.states) {
      const li = document.createElement('li');
      li.dataset.state = s.name;
      li.textContent = `${s.name} \u2014 ${time(s.entered_at)} \u2192 ${s.exited_at ? time(s.exited_at) : 'running'}`;
      ol.append(li);
    }
    box.replaceChildren(head, ol);
  }

  renderFills(events) {
    const fills = fillsOf(events);
    const quotes = quotesOf(events);
    const tbody = this.root.querySelector('#fills tbody');
    tbody.replaceChildren(
      ...fills.map((f) => {
        const tr = document.createElement('tr');
        for (const v of [time(f.at), f.qty, f.price, text(f.venue)]) {
          const td = document.createElement('td');
          td.textContent = String(v);
          tr.append(td);
        }
        return tr;
      }),
    );
    const box = this.root.querySelector('#fills-chart');
    this.chart?.destroy();
    this.chart = null;
    box.replaceChildren();
    if (fills.length === 0) {
      box.textContent = 'no executions';
      return;
    }
    if (typeof uPlot !== 'function') {
      box.textContent = 'chart unavailable (uPlot did not load)';
      return;
    }
    // One x axis (seconds) over every point; a series has null where it has no point.
    const points = [
      ...fills.map((f) => ({ t: Date.parse(f.at) / 1000, fill: Number(f.price) })),
      ...quotes.map((q) => ({ t: Date.parse(q.at) / 1000, bid: q.bid, ask: q.ask })),
    ].sort((a, b) => a.t - b.t);
    const col = (k) => points.map((p) => (Number.isFinite(p[k]) ? p[k] : null));
    const dot = { show: true, size: 8 };
    const series = [{}, { label: 'fill price', stroke: '#1f6feb', paths: () => null, points: dot }];
    const data = [points.map((p) => p.t), col('fill')];
    if (quotes.length > 0) {
      series.push({ label: 'bid', stroke: '#0a7d38', spanGaps: true, points: { show: true } });
      series.push({ label: 'ask', stroke: '#b3261e', spanGaps: true, points: { show: true } });
      data.push(col('bid'), col('ask'));
    }
    // Ranges from the points themselves (a lone fill would otherwise get a range of years).
    const xs = data[0];
    const ys = data
      .slice(1)
      .flat()
      .filter((v) => v !== null);
    const span = (lo, hi, pad) => [lo - pad, hi + pad];
    const scales = {
      x: {
        time: true,
        range: () => span(xs[0], xs[xs.length - 1], Math.max(1, (xs[xs.length - 1] - xs[0]) * 0.1)),
      },
      y: {
        range: () => {
          const lo = Math.min(...ys);
          const hi = Math.max(...ys);
          return span(lo, hi, Math.max((hi - lo) * 0.2, hi * 0.001, 0.01));
        },
      },
    };
    const width = Math.max(280, box.clientWidth || 480);
    const axes = [{}, { size: 64 }]; // room for prices like 1,234.56
    this.chart = new uPlot({ width, height: 200, series, scales, axes }, data, box);
    if (quotes.length === 0) {
      const note = document.createElement('p');
      note.className = 'muted';
      note.textContent =
        'no quote points on this order\u2019s events (no two-sided quote when it was placed)';
      box.append(note);
    }
  }
}

const CLIP = 240;
/** Long event data (an OrderSubmitted's risk snapshot) is clipped; the cell's title has all of it. */
function clip(text) {
  return text.length <= CLIP ? text : `${text.slice(0, CLIP)}\u2026`;
}
