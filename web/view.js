// The page: renders the state and shows status and errors. Everything a user
// or the server typed is put into the page with textContent, never as HTML.

import { MAX_ITEMS_PER_ROOM } from './state.js';

export const $ = (id) => document.getElementById(id);

export class View {
  // actions: {deleteMessage(item), loadOlder()}
  constructor(state, actions) {
    this.state = state;
    this.actions = actions;
    this.me = null;
    this.queued = [];
    // Whether the server keeps history (so that deleting is possible); null while unknown.
    this.historyOn = null;
    $('load-older').addEventListener('click', () => this.actions.loadOlder());
  }

  showChat(name) {
    $('sign-in').hidden = true;
    $('chat').hidden = false;
    $('me').textContent = name;
    this.me = name;
  }

  askName() {
    $('chat').hidden = true;
    $('sign-in').hidden = false;
    $('name-input').focus();
  }

  setStatus(state, text) {
    const status = $('status');
    status.dataset.state = state;
    status.textContent = text;
  }

  showError(text) {
    $('error-text').textContent = text;
    $('error').hidden = false;
  }

  clearError() {
    $('error').hidden = true;
    $('error-text').textContent = '';
  }

  // A new item in the open room: appended at the next animation frame.
  append(item) {
    this.queued.push(item);
    if (this.queued.length === 1) requestAnimationFrame(() => this.flush());
  }

  // Append what arrived since the last frame in one go: one layout read and
  // one write per frame, however many messages came in.
  flush() {
    const items = this.queued;
    this.queued = [];
    const log = $('log');
    const list = $('messages');
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    const fragment = document.createDocumentFragment();
    for (const item of items) fragment.append(this.itemNode(item));
    list.append(fragment);
    for (let extra = list.childElementCount - MAX_ITEMS_PER_ROOM; extra > 0; extra -= 1) list.firstElementChild.remove();
    if (nearBottom) log.scrollTop = log.scrollHeight;
  }

  // A shown message got new content (a resend, or deleted): redraw its node.
  // One still queued is drawn from the same item when its frame comes.
  replace(item) {
    const node = item.id && $('messages').querySelector(`li[data-id="${item.id}"]`);
    if (node) node.replaceWith(this.itemNode(item));
  }

  itemNode(item) {
    const li = document.createElement('li');
    const time = document.createElement('time');
    time.dateTime = item.at || '';
    time.textContent = formatTime(item.at);
    if (item.kind === 'msg') {
      const mine = item.from === this.me;
      li.className = `msg${mine ? ' mine' : ''}${item.deleted ? ' deleted' : ''}`;
      if (item.id) li.dataset.id = item.id;
      const author = document.createElement('span');
      author.className = 'author';
      author.textContent = item.from;
      const text = document.createElement('p');
      text.className = 'text';
      text.textContent = item.deleted ? 'message deleted' : item.text;
      li.append(author, time);
      if (mine && item.id && !item.deleted && this.historyOn) li.append(this.deleteButton(item));
      li.append(text);
    } else {
      li.className = item.kind;
      li.append(`${item.text} `, time);
    }
    return li;
  }

  deleteButton(item) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'delete';
    button.textContent = 'Delete';
    button.addEventListener('click', () => {
      button.disabled = true;
      this.actions.deleteMessage(item).finally(() => {
        button.disabled = false;
      });
    });
    return button;
  }

  // Redraw the open room. `keep` holds the view still while a page of older
  // messages goes in above it; otherwise it shows the newest.
  renderMessages(keep = false) {
    this.queued = [];
    const log = $('log');
    const fromBottom = log.scrollHeight - log.scrollTop;
    const list = $('messages');
    const room = this.currentRoom();
    $('room-title').textContent = room ? `# ${room.name}` : 'No room';
    const fragment = document.createDocumentFragment();
    if (room) for (const item of room.items) fragment.append(this.itemNode(item));
    list.replaceChildren(fragment);
    this.renderOlder();
    this.renderMembers();
    this.renderTyping();
    log.scrollTop = keep ? log.scrollHeight - fromBottom : log.scrollHeight;
  }

  currentRoom() {
    return (this.state.current && this.state.rooms.get(this.state.current)) || null;
  }

  // The "Load older messages" button: there only while older ones exist.
  renderOlder() {
    const room = this.currentRoom();
    const button = $('load-older');
    button.hidden = !(room && room.more);
    button.disabled = Boolean(room && room.loadingOlder);
  }

  // Who is in the open room, sorted by name; hidden while the roster is unknown.
  renderMembers() {
    const room = this.currentRoom();
    const known = Boolean(room && room.members);
    $('members-box').hidden = !known;
    const fragment = document.createDocumentFragment();
    if (known) {
      for (const user of [...room.members.keys()].sort()) {
        const li = document.createElement('li');
        li.textContent = user;
        const connections = room.members.get(user);
        if (connections > 1) li.title = `${connections} connections`;
        fragment.append(li);
      }
      if (room.truncated) {
        const li = document.createElement('li');
        li.className = 'more';
        li.textContent = 'and more';
        fragment.append(li);
      }
    }
    $('members').replaceChildren(fragment);
  }

  // "bob is typing…" for the open room.
  renderTyping() {
    const room = this.currentRoom();
    const users = room ? [...room.typing.keys()].sort() : [];
    let text = '';
    if (users.length === 1) text = `${users[0]} is typing…`;
    else if (users.length === 2) text = `${users[0]} and ${users[1]} are typing…`;
    else if (users.length > 2) text = `${users.length} people are typing…`;
    $('typing').textContent = text;
  }

  // actions: {open(name), leave(name)}
  renderRooms(actions) {
    // Rebuilding the list would drop keyboard focus: put it back on the same control.
    const focused = document.activeElement;
    const focusedRoom = focused && focused.closest('#rooms li') ? focused.closest('li').dataset.room : null;
    const focusedClass = focusedRoom !== null ? focused.className : null;
    const fragment = document.createDocumentFragment();
    for (const room of this.state.rooms.values()) fragment.append(this.roomNode(room, actions));
    const list = $('rooms');
    list.replaceChildren(fragment);
    if (focusedRoom !== null) {
      const again = [...list.children].find((li) => li.dataset.room === focusedRoom);
      const control = again && again.querySelector(`button.${focusedClass}`);
      if (control) control.focus();
    }
    const current = list.querySelector('li.current');
    if (current) current.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }

  roomNode(room, actions) {
    const li = document.createElement('li');
    li.dataset.room = room.name;
    const open = document.createElement('button');
    open.type = 'button';
    open.className = 'open';
    open.textContent = `# ${room.name}`;
    if (room.name === this.state.current) {
      li.className = 'current';
      open.setAttribute('aria-current', 'true');
    }
    if (room.unread) {
      const badge = document.createElement('span');
      badge.className = 'unread';
      badge.textContent = String(room.unread);
      open.append(badge);
    }
    open.addEventListener('click', () => actions.open(room.name));
    const leave = document.createElement('button');
    leave.type = 'button';
    leave.className = 'leave';
    leave.textContent = '×';
    leave.setAttribute('aria-label', `Leave ${room.name}`);
    leave.addEventListener('click', () => actions.leave(room.name));
    li.append(open, leave);
    return li;
  }
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
