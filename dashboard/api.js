// The OMS API from the page: same origin, Alpaca's key headers, the key pair in sessionStorage
// (this tab only; gone when it closes). Everything the page shows comes through here, so it sees
// only what the key's accounts may see.
const KEY = 'oms.dashboard.key';

export function savedKey() {
  try {
    const key = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    return key && typeof key.keyId === 'string' && typeof key.secret === 'string' ? key : null;
  } catch {
    return null;
  }
}

export function saveKey(key) {
  sessionStorage.setItem(KEY, JSON.stringify(key));
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(key) {
    this.key = key;
  }

  async get(path) {
    const res = await fetch(path, {
      headers: { 'APCA-API-KEY-ID': this.key.keyId, 'APCA-API-SECRET-KEY': this.key.secret },
      cache: 'no-store',
    });
    const text = await res.text();
    let body = null;
    try {
      body = text === '' ? null : JSON.parse(text);
    } catch {
      body = { message: text.slice(0, 200) };
    }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  orders(limit = 100) {
    return this.get(`/v2/orders?status=all&limit=${limit}&nested=false&direction=desc`);
  }
  order(id) {
    return this.get(`/v2/orders/${encodeURIComponent(id)}`);
  }
  events(id) {
    return this.get(`/v2/orders/${encodeURIComponent(id)}/events`).then((b) => b.events ?? []);
  }
  workflow(id) {
    return this.get(`/v2/orders/${encodeURIComponent(id)}/workflow`);
  }
  positions() {
    return this.get('/v2/positions');
  }
  account() {
    return this.get('/v2/account');
  }
}
