// The dashboard: log in with a key pair, then the blotter, positions, account, an order's detail and
// the live trade_updates panel. The stream keeps it current; while the stream is down the page
// polls the blotter every 2 s (and the account and positions with it) until the stream is back.
import { Api, ApiError, forgetKey, savedKey, saveKey } from './api.js';
import { Blotter } from './blotter.js';
import { Detail } from './detail.js';
import { money, text, time } from './format.js';
import { TradeStream } from './stream.js';

const POLL_MS = 2000;
const LIVE_MAX = 200;
const $ = (sel) => document.querySelector(sel);

let session = null;

async function logIn(key) {
  const api = new Api(key);
  await api.get('/v2/orders?status=all&limit=1'); // 401 for a bad key pair
  saveKey(key);
  start(api);
}

function start(api) {
  $('#login').hidden = true;
  $('#app').hidden = false;
  $('#logout').hidden = false;
  $('#who').textContent = `key ${api.key.keyId}`;
  const detail = new Detail($('#detail'), { api, onClose: () => blotter.select(null) });
  const blotter = new Blotter($('#blotter tbody'), {
    api,
    onSelect: (id) => {
      blotter.select(id);
      void detail.open(id);
    },
  });
  const s = { api, blotter, detail, pollTimer: null, stream: null, accountTimer: null };
  session = s;

  const refreshBlotter = async () => {
    try {
      blotter.upsertAll(await api.orders());
      if (detail.orderId !== null) void detail.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return logOut('the key pair was refused');
    }
  };
  const refreshAccount = async () => {
    await Promise.all([
      api.account().then(renderAccount, (err) => renderAccountError(err)),
      api.positions().then(renderPositions, () => undefined),
    ]);
  };
  // Account and positions move with fills: refreshed at most every 500 ms after an update.
  const accountSoon = () => {
    if (s.accountTimer === null) {
      s.accountTimer = setTimeout(() => {
        s.accountTimer = null;
        void refreshAccount();
      }, 500);
    }
  };
  const poll = async () => {
    await Promise.all([refreshBlotter(), refreshAccount()]);
    if (s.pollTimer !== null) s.pollTimer = setTimeout(poll, POLL_MS);
  };
  const polling = (on) => {
    if (on && s.pollTimer === null) {
      s.pollTimer = setTimeout(poll, 0);
      $('#blotter-mode').textContent = `(polling every ${POLL_MS / 1000} s)`;
    } else if (!on && s.pollTimer !== null) {
      clearTimeout(s.pollTimer);
      s.pollTimer = null;
      $('#blotter-mode').textContent = '(live)';
    }
  };

  s.stream = new TradeStream(api.key, {
    onState: (state, detailText) => {
      const badge = $('#stream-state');
      badge.dataset.state = state;
      badge.textContent = `stream: ${detailText}`;
      if (state === 'live') {
        polling(false);
        void refreshBlotter(); // catch up with orders listed while the stream was down
      } else if (state === 'down') polling(true);
    },
    onUpdate: (u) => {
      addLive(u);
      if (u.order?.id) {
        blotter.upsert(u.order);
        if (detail.orderId === u.order.id) void detail.refresh();
      }
      accountSoon();
    },
  });
  // Poll from the start: the stream may be slow to come up, or absent.
  polling(true);
  s.stream.start();
}

function logOut(why) {
  forgetKey();
  if (session) {
    session.stream?.stop();
    clearTimeout(session.pollTimer);
    session = null;
  }
  location.hash = '';
  $('#login-error').textContent = why ?? '';
  $('#app').hidden = true;
  $('#logout').hidden = true;
  $('#login').hidden = false;
  $('#who').textContent = '';
  $('#blotter tbody').replaceChildren();
  $('#live').replaceChildren();
  $('#live-empty').hidden = false;
}

function addLive(u) {
  const li = document.createElement('li');
  const o = u.order ?? {};
  li.dataset.event = u.event ?? '';
  li.textContent = [
    time(u.timestamp),
    `#${text(u.stream_seq)}`,
    u.event,
    o.symbol,
    o.side,
    u.qty ? `${u.qty} @ ${u.price}` : '',
    `status=${o.status}`,
    u.position_qty !== undefined ? `position=${u.position_qty}` : '',
    o.id,
  ]
    .filter((x) => x !== undefined && x !== '')
    .join('  ');
  const list = $('#live');
  $('#live-empty').hidden = true;
  list.prepend(li);
  while (list.children.length > LIVE_MAX) list.lastElementChild.remove();
}

function renderAccount(a) {
  const fields = [
    ['account', a.id],
    ['account number', a.account_number],
    ['status', a.status],
    ['equity', money(a.equity)],
    ['cash', money(a.cash)],
    ['buying power', money(a.buying_power)],
    ['long market value', money(a.long_market_value)],
    ['short market value', money(a.short_market_value)],
    ['trading blocked', a.trading_blocked],
  ];
  $('#account').replaceChildren(
    ...fields.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = text(v);
      return [dt, dd];
    }),
  );
}

function renderAccountError(err) {
  const p = document.createElement('dd');
  p.textContent = `account: ${err.message}`;
  $('#account').replaceChildren(p);
}

function renderPositions(positions) {
  $('#positions tbody').replaceChildren(
    ...positions.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.symbol = p.symbol;
      for (const v of [
        p.symbol,
        p.qty,
        p.avg_entry_price,
        p.current_price,
        money(p.market_value),
        money(p.unrealized_pl),
      ]) {
        const td = document.createElement('td');
        td.textContent = text(v);
        tr.append(td);
      }
      return tr;
    }),
  );
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  const key = { keyId: $('#key-id').value.trim(), secret: $('#secret-key').value };
  try {
    await logIn(key);
    $('#secret-key').value = '';
  } catch (err) {
    $('#login-error').textContent =
      err instanceof ApiError && (err.status === 401 || err.status === 403)
        ? 'that key pair was refused'
        : `cannot reach the API: ${err.message}`;
  }
});
$('#logout').addEventListener('click', () => logOut());

const saved = savedKey();
if (saved) start(new Api(saved));
