// The page: renders the state and shows status and errors. Everything a user
// or the server typed is put into the page with textContent, never as HTML.

import { MAX_ITEMS_PER_ROOM } from './state.js';

export const $ = (id) => document.getElementById(id);

export class View {
  constructor(state) {
    this.state = state;
    this.me = null;
    this.queued = [];
  }

  showChat(name) {
    $('name-form').hidden = true;
    $('chat').hidden = false;
    $('me').textContent = name;
    this.me = name;
  }

  askName() {
    $('chat').hidden = true;
    $('name-form').hidden = false;
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
      li.className = item.from === this.me ? 'msg mine' : 'msg';
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
    const room = this.state.current && this.state.rooms.get(this.state.current);
    $('room-title').textContent = room ? `# ${room.name}` : 'No room';
    const fragment = document.createDocumentFragment();
    if (room) for (const item of room.items) fragment.append(this.itemNode(item));
    list.replaceChildren(fragment);
    list.scrollTop = list.scrollHeight;
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
