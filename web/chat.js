// The chat's browser client: negotiate, connect with json.webpubsub.azure.v1,
// rooms, messages and presence. No dependencies and no build step.
//
// Everything a user or the server typed is put into the page with
// textContent, never as HTML.

const PROTOCOL = 'json.webpubsub.azure.v1';
const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_ITEMS_PER_ROOM = 5000;
const ACK_TIMEOUT_MS = 10000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 15000;
const NAME_KEY = 'chat.displayName';

const $ = (id) => document.getElementById(id);

class Room {
  constructor(name) {
    this.name = name;
    this.items = [];
    this.unread = 0;
  }
}

class Chat {
  constructor() {
    this.identity = null; // {name, local}
    this.rooms = new Map();
    this.current = null;
    this.ws = null;
    this.connectionId = null;
    this.nextAckId = 1;
    this.pending = new Map();
    this.attempt = 0;
    this.retryTimer = null;
    this.queued = [];
  }

  // identity

  async start() {
    this.bindForms();
    const azureUser = await appServiceUser();
    if (azureUser) {
      this.identity = { name: azureUser, local: false };
      this.connect();
      return;
    }
    const saved = localStorage.getItem(NAME_KEY);
    if (saved) {
      this.identity = { name: saved, local: true };
      this.connect();
    } else {
      this.askName();
    }
  }

  askName() {
    $('chat').hidden = true;
    $('name-form').hidden = false;
    $('name-input').focus();
  }

  bindForms() {
    $('name-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const name = $('name-input').value.trim();
      if (!name) return;
      localStorage.setItem(NAME_KEY, name);
      this.identity = { name, local: true };
      this.connect();
    });
    $('send-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.post();
    });
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.join($('room-input').value.trim());
    });
    $('error-close').addEventListener('click', () => this.clearError());
  }

  // connection

  async connect() {
    clearTimeout(this.retryTimer);
    $('name-form').hidden = true;
    $('chat').hidden = false;
    $('me').textContent = this.identity.name;
    this.setStatus(this.attempt ? 'reconnecting' : 'connecting', this.attempt ? 'Reconnecting…' : 'Connecting…');
    let info;
    try {
      info = await this.negotiate();
    } catch (err) {
      this.showError(err.message);
      if (err.status >= 400 && err.status < 500 && this.identity.local) {
        // The name was refused: let the user pick another one.
        localStorage.removeItem(NAME_KEY);
        this.setStatus('offline', 'Offline');
        this.askName();
        return;
      }
      this.scheduleReconnect();
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
      if (!opened) {
        this.showError('The chat service refused the connection.');
      } else if (e.code !== 1000 || e.reason) {
        this.notice(`Disconnected${e.reason ? `: ${e.reason}` : ''}.`);
      }
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
    this.setStatus('reconnecting', `Reconnecting in ${Math.ceil(delay / 1000)} s…`);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  onConnected(connectionId) {
    const reconnected = this.attempt > 0;
    this.attempt = 0;
    this.connectionId = connectionId;
    document.body.dataset.connectionId = connectionId;
    this.setStatus('connected', 'Connected');
    if (reconnected) {
      this.clearError();
      this.notice('Reconnected.');
      // A new connection starts in the default room only: rejoin the others.
      for (const name of this.rooms.keys()) this.send('join', { room: name });
    }
  }

  // frames

  receive(raw) {
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (frame.type === 'system' && frame.event === 'connected') {
      this.onConnected(frame.connectionId);
    } else if (frame.type === 'ack') {
      // A successful ack only says the service took the event: the server's
      // reply (an ack or a refusal carrying the same id) settles it.
      if (!frame.success) this.settle(frame.ackId, frame);
    } else if (frame.type === 'message' && frame.dataType === 'json' && frame.data && typeof frame.data === 'object') {
      this.onServerMessage(frame.data);
    }
  }

  onServerMessage(data) {
    switch (data.type) {
      case 'message':
        this.add(data.room, { kind: 'msg', from: data.from, text: data.text, at: data.at });
        break;
      case 'presence':
        this.add(data.room, { kind: 'presence', text: `${data.user} ${data.event === 'left' ? 'left' : 'joined'}`, at: data.at });
        break;
      case 'ack':
        if (Array.isArray(data.rooms)) this.syncRooms(data.rooms);
        this.settle(data.id, { success: true, data });
        break;
      case 'error':
        // A refusal: the server says why it did not take the event.
        if (!this.settle(data.id, { success: false, error: { name: data.code, message: data.message } })) {
          this.showError(`The server refused a ${data.event} event: ${data.message}.`);
        }
        break;
      default:
        if (typeof data.text === 'string') this.notice(data.text);
    }
  }

  send(event, data) {
    return new Promise((resolve) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        resolve({ success: false, error: { message: 'not connected' } });
        return;
      }
      const ackId = this.nextAckId++;
      const timer = setTimeout(() => {
        this.pending.delete(ackId);
        resolve({ success: false, error: { message: 'no answer from the server' } });
      }, ACK_TIMEOUT_MS);
      this.pending.set(ackId, { resolve, timer });
      // The same number as the event's id: the server echoes it in its reply.
      ws.send(JSON.stringify({ type: 'event', event, dataType: 'json', data: { ...data, id: ackId }, ackId }));
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
    for (const [ackId, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      waiter.resolve({ success: false, error: { message: reason } });
      this.pending.delete(ackId);
    }
  }

  // actions

  async post() {
    const input = $('message-input');
    const text = input.value;
    if (!text.trim() || !this.current) return;
    input.value = '';
    const ack = await this.send('message', { room: this.current, text });
    if (!ack.success) {
      // Give the text back so that nothing typed is lost.
      if (!input.value) input.value = text;
      this.showError(`Your message was not delivered: ${reason(ack)}.`);
    }
  }

  async join(name) {
    if (!ROOM_NAME.test(name)) {
      this.showError('A room name is 1 to 64 letters, digits, "-" or "_".');
      return;
    }
    $('room-input').value = '';
    const ack = await this.send('join', { room: name });
    if (!ack.success) {
      this.showError(`Could not join ${name}: ${reason(ack)}.`);
      return;
    }
    this.room(name);
    this.select(name);
  }

  async leave(name) {
    const ack = await this.send('leave', { room: name });
    if (!ack.success) {
      this.showError(`Could not leave ${name}: ${reason(ack)}.`);
      return;
    }
    this.forget(name);
  }

  // rooms and rendering

  room(name) {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name);
      this.rooms.set(name, room);
      this.renderRooms();
      if (!this.current) this.select(name);
    }
    return room;
  }

  syncRooms(names) {
    for (const name of names) this.room(name);
  }

  forget(name) {
    this.rooms.delete(name);
    if (this.current === name) {
      this.current = null;
      const next = this.rooms.keys().next();
      if (!next.done) this.select(next.value);
      else this.renderMessages();
    }
    this.renderRooms();
  }

  select(name) {
    this.current = name;
    this.rooms.get(name).unread = 0;
    this.renderRooms();
    this.renderMessages();
    $('message-input').focus();
  }

  add(roomName, item) {
    if (!ROOM_NAME.test(String(roomName))) return;
    const room = this.room(roomName);
    room.items.push(item);
    if (room.items.length > MAX_ITEMS_PER_ROOM) room.items.shift();
    if (roomName === this.current) {
      this.queued.push(item);
      if (this.queued.length === 1) requestAnimationFrame(() => this.flush());
    } else if (item.kind === 'msg') {
      room.unread += 1;
      this.renderRooms();
    }
  }

  // Append what arrived since the last frame in one go: one layout read and
  // one write per frame, however many messages came in.
  flush() {
    const items = this.queued;
    this.queued = [];
    const list = $('messages');
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
    const fragment = document.createDocumentFragment();
    for (const item of items) fragment.append(this.itemNode(item));
    list.append(fragment);
    for (let extra = list.childElementCount - MAX_ITEMS_PER_ROOM; extra > 0; extra -= 1) list.firstElementChild.remove();
    if (nearBottom) list.scrollTop = list.scrollHeight;
  }

  itemNode(item) {
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.dateTime = item.at || '';
    time.textContent = formatTime(item.at);
    if (item.kind === 'msg') {
      li.className = item.from === this.identity.name ? 'msg mine' : 'msg';
      const author = document.createElement('span');
      author.className = 'author';
      author.textContent = item.from;
      const text = document.createElement('p');
      text.className = 'text';
      text.textContent = item.text;
      li.append(author, time, text);
    } else {
      li.className = item.kind;
      li.append(`${item.text} `, time);
    }
    return li;
  }

  renderMessages() {
    this.queued = [];
    const list = $('messages');
    const room = this.current && this.rooms.get(this.current);
    $('room-title').textContent = room ? `# ${room.name}` : 'No room';
    const fragment = document.createDocumentFragment();
    if (room) for (const item of room.items) fragment.append(this.itemNode(item));
    list.replaceChildren(fragment);
    list.scrollTop = list.scrollHeight;
  }

  renderRooms() {
    const fragment = document.createDocumentFragment();
    for (const room of this.rooms.values()) {
      const li = document.createElement('li');
      li.dataset.room = room.name;
      if (room.name === this.current) li.className = 'current';
      const open = document.createElement('button');
      open.type = 'button';
      open.className = 'open';
      open.textContent = `# ${room.name}`;
      if (room.unread) {
        const badge = document.createElement('span');
        badge.className = 'unread';
        badge.textContent = String(room.unread);
        open.append(badge);
      }
      open.addEventListener('click', () => this.select(room.name));
      const leave = document.createElement('button');
      leave.type = 'button';
      leave.className = 'leave';
      leave.textContent = '×';
      leave.setAttribute('aria-label', `Leave ${room.name}`);
      leave.addEventListener('click', () => this.leave(room.name));
      li.append(open, leave);
      fragment.append(li);
    }
    $('rooms').replaceChildren(fragment);
    const current = $('rooms').querySelector('li.current');
    if (current) current.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  // status and errors

  setStatus(state, text) {
    const status = $('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  notice(text) {
    if (this.current) this.add(this.current, { kind: 'notice', text, at: new Date().toISOString() });
  }

  showError(text) {
    $('error-text').textContent = text;
    $('error').hidden = false;
  }

  clearError() {
    $('error').hidden = true;
    $('error-text').textContent = '';
  }
}

// App Service Authentication's current user, or null when it is not there (locally).
async function appServiceUser() {
  try {
    const response = await fetch('/.auth/me', { cache: 'no-store' });
    if (!response.ok) return null;
    const body = await response.json();
    const entry = Array.isArray(body) ? body[0] : null;
    return entry && typeof entry.user_id === 'string' ? entry.user_id : null;
  } catch {
    return null;
  }
}

function reason(ack) {
  if (ack.error && ack.error.name === 'InternalServerError') return 'the server rejected it';
  return (ack.error && (ack.error.message || ack.error.name)) || 'unknown error';
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

new Chat().start();
