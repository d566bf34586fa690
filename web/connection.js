// The connection to the chat service: negotiate, a json.webpubsub.azure.v1
// WebSocket, events that wait for the server's reply, reconnect with backoff.
// No DOM here: the caller passes callbacks.

const PROTOCOL = 'json.webpubsub.azure.v1';
const REPLY_TIMEOUT_MS = 10000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;

export class Connection {
  // handlers: {status(state, text), connected(connectionId, reconnected),
  //            message(data), refused(), closed(reason), negotiateFailed(error)}
  constructor(identity, handlers) {
    this.identity = identity;
    this.on = handlers;
    this.ws = null;
    this.nextId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.retryTimer = null;
  }

  async open() {
    clearTimeout(this.retryTimer);
    this.on.status(this.attempt ? 'reconnecting' : 'connecting', this.attempt ? 'Reconnecting…' : 'Connecting…');
    let info;
    try {
      info = await this.negotiate();
    } catch (err) {
      if (this.on.negotiateFailed(err)) this.scheduleReconnect();
      return;
    }
    const ws = new WebSocket(info.url, PROTOCOL);
    let opened = false;
    this.ws = ws;
    ws.addEventListener('open', () => {
      opened = true;
    });
    ws.addEventListener('message', (e) => this.receive(e.data));
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending('the connection closed');
      if (!opened) this.on.refused();
      else if (e.code !== 1000 || e.reason) this.on.closed(e.reason);
      this.scheduleReconnect();
    });
  }

  async negotiate() {
    const headers = this.identity.local ? { 'x-ms-client-principal-name': this.identity.name } : {};
    const response = await fetch('/api/negotiate', { method: 'POST', headers, cache: 'no-store' });
    if (response.ok) return response.json();
    let message = `Could not get a connection (HTTP ${response.status}).`;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = `Connection refused: ${body.error.message}`;
    } catch {
      // Not JSON: keep the generic message.
    }
    const error = new Error(message);
    error.status = response.status;
    throw error;
  }

  scheduleReconnect() {
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt += 1;
    this.on.status('reconnecting', `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (frame.type === 'system' && frame.event === 'connected') {
      const reconnected = this.attempt > 0;
      this.attempt = 0;
      this.on.status('connected', 'Connected');
      this.on.connected(frame.connectionId, reconnected);
    } else if (frame.type === 'ack') {
      // A successful ack only says the service took the event: the server's
      // reply (an ack or a refusal carrying the same id) settles it.
      if (!frame.success) this.settle(frame.ackId, frame);
    } else if (frame.type === 'message' && frame.dataType === 'json' && frame.data && typeof frame.data === 'object') {
      this.serverMessage(frame.data);
    }
  }

  serverMessage(data) {
    // Replies echo the event's id; a chat message's own `id` is a string the
    // page never uses as an event id, so it settles nothing.
    if (data.type === 'ack' || data.type === 'history') {
      this.settle(data.id, { success: true, data });
    } else if (data.type === 'error') {
      const refused = { success: false, error: { name: data.code, message: data.message } };
      if (this.settle(data.id, refused)) return;
    }
    this.on.message(data);
  }

  // Send an event; resolves with {success, data} or {success: false, error}.
  send(event, data) {
    return new Promise((resolve) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        resolve({ success: false, error: { message: 'not connected' } });
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ success: false, error: { message: 'no answer from the server' } });
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve, timer });
      // The same number as ackId and as the data's id, which the server echoes in its reply.
      ws.send(JSON.stringify({ type: 'event', event, dataType: 'json', data: { ...data, id }, ackId: id }));
    });
  }

  // Resolve the send waiting for this id; false when none is.
  settle(id, result) {
    const waiter = this.pending.get(id);
    if (!waiter) return false;
    this.pending.delete(id);
    clearTimeout(waiter.timer);
    waiter.resolve(result);
    return true;
  }

  failPending(reason) {
    for (const id of [...this.pending.keys()]) this.settle(id, { success: false, error: { message: reason } });
  }
}

// Why an event was not delivered, for a person to read.
export function reason(result) {
  if (result.error && result.error.name === 'InternalServerError') return 'the server rejected it';
  return (result.error && (result.error.message || result.error.name)) || 'unknown error';
}
