// The trade_updates stream (Alpaca's protocol, /stream on this origin): authenticate, listen, then
// one frame per update. Frames may be text or binary. When it cannot connect or drops, it says so
// (onState), and retries with exponential backoff (1 s doubling to 30 s, with jitter); a reconnect
// resumes after the last `stream_seq` it saw (`after_stream_seq`), so no update is missed.
const MAX_BACKOFF_MS = 30_000;
const decoder = new TextDecoder();

export class TradeStream {
  constructor(key, { onUpdate, onState }) {
    this.key = key;
    this.onUpdate = onUpdate;
    this.onState = onState;
    this.lastSeq = null;
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
  }

  url() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${location.host}/stream`;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.ws = null;
  }

  connect() {
    if (this.stopped) return;
    this.onState(
      'connecting',
      this.attempt === 0 ? 'connecting' : `reconnecting (attempt ${this.attempt + 1})`,
    );
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (err) {
      this.retry(String(err));
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    let opened = false;
    ws.onopen = () => {
      opened = true;
      ws.send(
        JSON.stringify({
          action: 'authenticate',
          data: { key_id: this.key.keyId, secret_key: this.key.secret },
        }),
      );
    };
    ws.onmessage = (ev) => {
      const textData = typeof ev.data === 'string' ? ev.data : decoder.decode(ev.data);
      let parsed;
      try {
        parsed = JSON.parse(textData);
      } catch {
        return;
      }
      for (const msg of Array.isArray(parsed) ? parsed : [parsed]) this.handle(ws, msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.retry(!opened ? 'cannot connect' : ev.code === 1000 ? 'closed' : `dropped (code ${ev.code})`);
    };
    ws.onerror = () => {
      // onclose follows with the code; nothing else to do here.
    };
  }

  handle(ws, msg) {
    if (msg?.stream === 'authorization') {
      if (msg.data?.status === 'authorized') {
        const data = { streams: ['trade_updates'] };
        if (this.lastSeq !== null) data.after_stream_seq = this.lastSeq;
        ws.send(JSON.stringify({ action: 'listen', data }));
      } else {
        this.onState('down', 'stream refused the key');
        ws.close();
      }
    } else if (msg?.stream === 'listening') {
      this.attempt = 0;
      this.onState('live', this.lastSeq === null ? 'live' : `live (resumed after #${this.lastSeq})`);
    } else if (msg?.stream === 'trade_updates' && msg.data) {
      const seq = msg.data.stream_seq;
      if (typeof seq === 'number') {
        if (this.lastSeq !== null && seq <= this.lastSeq) return; // already seen
        this.lastSeq = seq;
      }
      this.onUpdate(msg.data);
    }
  }

  retry(why) {
    if (this.stopped) return;
    const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt++;
    this.onState('down', `${why}; retrying in ${Math.round(delay / 1000)} s`);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }
}
