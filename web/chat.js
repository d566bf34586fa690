// The chat's browser client: who the user is, and what each control does.
// It wires the connection (connection.js), the state (state.js) and the page
// (view.js) together. No dependencies and no build step.

import { Connection, reason } from './connection.js';
import { ChatState, MESSAGE_ID, ROOM_NAME } from './state.js';
import { $, View } from './view.js';

const NAME_KEY = 'chat.displayName';
// The server forwards at most one typing event per room every 3 s: sending
// more often only costs the user's bandwidth.
const TYPING_EVERY_MS = 3000;
// How long "bob is typing…" stays after bob's last typing message.
const TYPING_SHOWN_MS = 4000;
// Refusals of `history` that mean "this server keeps no history": the page
// then works as it did without it, saying nothing.
const NO_HISTORY = new Set(['history_off', 'unknown_event']);

class Chat {
  constructor() {
    this.state = new ChatState();
    this.view = new View(this.state, {
      deleteMessage: (item) => this.deleteMessage(item),
      loadOlder: () => this.loadOlder(),
    });
    this.connection = null;
    this.roomActions = { open: (name) => this.select(name), leave: (name) => this.leave(name) };
    // Rooms whose join we sent and whose ack has not come: their ack brings the history.
    this.joining = new Set();
    // Room -> when we last sent `typing` there.
    this.typingSent = new Map();
  }

  async start() {
    this.bindForms();
    const azureUser = await appServiceUser();
    if (azureUser) {
      this.connect({ name: azureUser, local: false });
      return;
    }
    const saved = localStorage.getItem(NAME_KEY);
    if (saved) this.connect({ name: saved, local: true });
    else this.view.askName();
  }

  bindForms() {
    $('name-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const name = $('name-input').value.trim();
      if (!name) return;
      localStorage.setItem(NAME_KEY, name);
      this.connect({ name, local: true });
    });
    $('send-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.post();
    });
    $('message-input').addEventListener('input', () => this.typing());
    $('join-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.join($('room-input').value.trim());
    });
    $('error-close').addEventListener('click', () => this.view.clearError());
  }

  connect(identity) {
    this.view.showChat(identity.name);
    this.connection = new Connection(identity, {
      status: (state, text) => this.view.setStatus(state, text),
      connected: (connectionId, reconnected) => this.onConnected(connectionId, reconnected),
      message: (data) => this.onServerMessage(data),
      refused: () => this.view.showError('The chat service refused the connection.'),
      closed: (why) => this.notice(`Disconnected${why ? `: ${why}` : ''}.`),
      negotiateFailed: (err) => this.onNegotiateFailed(identity, err),
    });
    this.connection.open();
  }

  // Returns true to retry later.
  onNegotiateFailed(identity, err) {
    this.view.showError(err.message);
    if (err.status >= 400 && err.status < 500 && identity.local) {
      // The name was refused: let the user pick another one.
      localStorage.removeItem(NAME_KEY);
      this.view.setStatus('offline', 'Offline');
      this.view.askName();
      return false;
    }
    return true;
  }

  onConnected(connectionId, reconnected) {
    document.body.dataset.connectionId = connectionId;
    this.typingSent.clear();
    // A new connection: its own "joined" presence is news to every roster again.
    for (const room of this.state.rooms.values()) room.selfJoinSeen = false;
    if (reconnected) {
      this.view.clearError();
      this.notice('Reconnected.');
      // A new connection starts in the default room only: rejoin the others.
      for (const name of this.state.rooms.keys()) this.sendJoin(name);
    }
  }

  // Join a room; its ack carries the room's history and roster.
  async sendJoin(name) {
    this.joining.add(name);
    const room = this.state.rooms.get(name);
    if (room) room.selfJoinSeen = false;
    const result = await this.connection.send('join', { room: name });
    this.joining.delete(name);
    return result;
  }

  onServerMessage(data) {
    switch (data.type) {
      case 'message':
        this.stopTyping(data.room, data.from);
        this.add(data.room, messageItem(data));
        break;
      case 'deleted':
        this.onDeleted(data);
        break;
      case 'typing':
        this.onTyping(data);
        break;
      case 'presence':
        this.onPresence(data);
        break;
      case 'history':
        this.onHistory(data.room, data.messages, data, 'members' in data);
        break;
      case 'ack':
        if (Array.isArray(data.rooms)) for (const name of data.rooms) this.room(name);
        if (data.event === 'join') this.onHistory(data.room, data.history, data, true);
        break;
      case 'error':
        // A refusal no send was waiting for (its reply came too late, or had no id).
        this.view.showError(`The server refused a ${data.event} event: ${data.message}.`);
        break;
      default:
        if (typeof data.text === 'string') this.notice(data.text);
    }
  }

  async post() {
    const input = $('message-input');
    const text = input.value;
    if (!text.trim() || !this.state.current) return;
    input.value = '';
    const result = await this.connection.send('message', { room: this.state.current, text });
    if (!result.success) {
      // Give the text back so that nothing typed is lost.
      if (!input.value) input.value = text;
      this.view.showError(`Your message was not delivered: ${reason(result)}.`);
    }
  }

  async join(name) {
    if (!ROOM_NAME.test(name)) {
      this.view.showError('A room name is 1 to 64 letters, digits, "-" or "_".');
      return;
    }
    $('room-input').value = '';
    const result = await this.sendJoin(name);
    if (!result.success) {
      this.view.showError(`Could not join ${name}: ${reason(result)}.`);
      return;
    }
    this.room(name);
    this.select(name);
  }

  async leave(name) {
    const result = await this.connection.send('leave', { room: name });
    if (!result.success) {
      this.view.showError(`Could not leave ${name}: ${reason(result)}.`);
      return;
    }
    const next = this.state.forget(name);
    if (next) this.select(next);
    else if (next === null) this.view.renderMessages();
    this.view.renderRooms(this.roomActions);
  }

  room(name) {
    const [, created] = this.state.room(name);
    if (!created) return;
    this.view.renderRooms(this.roomActions);
    if (!this.state.current) this.select(name);
  }

  select(name) {
    this.state.select(name);
    this.view.renderRooms(this.roomActions);
    this.view.renderMessages();
    $('message-input').focus();
  }

  add(roomName, item) {
    if (!ROOM_NAME.test(String(roomName))) return;
    this.room(roomName);
    const outcome = this.state.add(roomName, item);
    if (roomName !== this.state.current) {
      if (outcome === 'added' && item.kind === 'msg') this.view.renderRooms(this.roomActions);
    } else if (outcome === 'added') {
      this.view.append(item);
    } else {
      this.view.replace(this.state.rooms.get(roomName).byId.get(item.id));
    }
  }

  onPresence(data) {
    if (!ROOM_NAME.test(String(data.room))) return;
    const left = data.event === 'left';
    this.add(data.room, { kind: 'presence', text: `${data.user} ${left ? 'left' : 'joined'}`, at: data.at });
    const room = this.state.rooms.get(data.room);
    if (left) this.stopTyping(data.room, data.user);
    if (room.presence(data.user, data.event, this.view.me) && data.room === this.state.current) {
      this.view.renderMembers();
    }
    // Our own arrival in a room we did not ask to join is the default room,
    // joined at connect: ask for its history and roster.
    if (!left && data.user === this.view.me && !this.joining.has(data.room)) this.firstPage(data.room);
  }

  async firstPage(name) {
    const result = await this.connection.send('history', { room: name });
    // A successful reply is applied by onServerMessage, like every history reply.
    if (!result.success) this.historyRefused(name, result);
  }

  // Apply a history reply or a join ack: `messages` oldest first (null when
  // the server keeps no history), `more`, and on a first page (a join, or
  // `history` without `before`, whose reply carries `members`) the roster.
  onHistory(name, messages, reply, first) {
    const room = this.state.rooms.get(name);
    if (!room) return;
    if (first && Array.isArray(reply.members)) room.setMembers(reply.members, reply.truncated, this.view.me);
    let redraw = name === this.state.current;
    if (Array.isArray(messages)) {
      // Delete buttons need history: the open room is drawn again with them.
      redraw = redraw || !this.view.historyOn;
      this.view.historyOn = true;
      const page = messages.map(messageItem).filter((item) => item.id !== null);
      // A first page after older pages were loaded (a rejoin) must not bring the button back.
      const olderShown = first && page.length > 0 && room.byId.size > 0 && room.oldestId() < page[0].id;
      this.state.merge(room, page);
      if (!olderShown) room.more = reply.more === true;
    }
    if (redraw) this.view.renderMessages(!first);
    else this.view.renderRooms(this.roomActions);
  }

  historyRefused(name, result) {
    if (result.error && NO_HISTORY.has(result.error.name)) {
      this.view.historyOn = false;
      return;
    }
    this.view.showError(`Could not load the history of ${name}: ${reason(result)}.`);
  }

  async loadOlder() {
    const room = this.view.currentRoom();
    if (!room || room.loadingOlder) return;
    const before = room.oldestId();
    room.loadingOlder = true;
    this.view.renderOlder();
    const result = await this.connection.send('history', before ? { room: room.name, before } : { room: room.name });
    room.loadingOlder = false;
    if (!result.success) this.historyRefused(room.name, result);
    if (room.name === this.state.current) this.view.renderOlder();
  }

  async deleteMessage(item) {
    const result = await this.connection.send('delete', { room: item.room, messageId: item.id });
    if (!result.success) this.view.showError(`Could not delete your message: ${reason(result)}.`);
  }

  onDeleted(data) {
    const item = this.state.delete(data.room, data.messageId);
    if (item && data.room === this.state.current) this.view.replace(item);
  }

  // Tell the room we are typing, at most once every TYPING_EVERY_MS.
  typing() {
    const name = this.state.current;
    if (!name || !$('message-input').value || !this.connection) return;
    const now = Date.now();
    if (now - (this.typingSent.get(name) ?? -Infinity) < TYPING_EVERY_MS) return;
    this.typingSent.set(name, now);
    // Nothing to tell the user whatever the answer: typing is a hint.
    this.connection.send('typing', { room: name });
  }

  onTyping(data) {
    const room = this.state.rooms.get(data.room);
    if (!room || typeof data.user !== 'string' || data.user === this.view.me) return;
    clearTimeout(room.typing.get(data.user));
    room.typing.set(data.user, setTimeout(() => this.stopTyping(data.room, data.user), TYPING_SHOWN_MS));
    if (data.room === this.state.current) this.view.renderTyping();
  }

  stopTyping(name, user) {
    const room = this.state.rooms.get(name);
    if (!room || !room.typing.has(user)) return;
    clearTimeout(room.typing.get(user));
    room.typing.delete(user);
    if (name === this.state.current) this.view.renderTyping();
  }

  notice(text) {
    if (this.state.current) this.add(this.state.current, { kind: 'notice', text, at: new Date().toISOString() });
  }
}

// A chat message from the server (live or from history) as a room item.
function messageItem(data) {
  data = data && typeof data === 'object' ? data : {};
  return {
    kind: 'msg',
    // Only an id of the server's form is trusted as one (it goes into a selector).
    id: MESSAGE_ID.test(String(data.id)) ? data.id : null,
    room: data.room,
    from: data.from,
    text: data.deleted === true ? '' : data.text,
    deleted: data.deleted === true,
    at: data.at,
  };
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

new Chat().start();
