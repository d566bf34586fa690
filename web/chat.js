// The chat's browser client: who the user is, and what each control does.
// It wires the connection (connection.js), the state (state.js) and the page
// (view.js) together. No dependencies and no build step.

import { Connection, reason } from './connection.js';
import { ChatState, ROOM_NAME } from './state.js';
import { $, View } from './view.js';

const NAME_KEY = 'chat.displayName';

class Chat {
  constructor() {
    this.state = new ChatState();
    this.view = new View(this.state);
    this.connection = null;
    this.roomActions = { open: (name) => this.select(name), leave: (name) => this.leave(name) };
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
    if (reconnected) {
      this.view.clearError();
      this.notice('Reconnected.');
      // A new connection starts in the default room only: rejoin the others.
      for (const name of this.state.rooms.keys()) this.connection.send('join', { room: name });
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
        if (Array.isArray(data.rooms)) for (const name of data.rooms) this.room(name);
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
    const result = await this.connection.send('join', { room: name });
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
    this.state.add(roomName, item);
    if (roomName === this.state.current) this.view.append(item);
    else if (item.kind === 'msg') this.view.renderRooms(this.roomActions);
  }

  notice(text) {
    if (this.state.current) this.add(this.state.current, { kind: 'notice', text, at: new Date().toISOString() });
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

new Chat().start();
