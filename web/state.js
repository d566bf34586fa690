// What the page knows: the rooms, their messages, members, typing users and
// unread counts, and the open room. No DOM here: the view renders it.

export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_ITEMS_PER_ROOM = 5000;
// A server-assigned message id: 24 hex digits, sortable by time.
export const MESSAGE_ID = /^[0-9a-f]{24}$/;

export class Room {
  constructor(name) {
    this.name = name;
    this.items = [];
    // Message id -> its item: a message is shown once per id, whatever resends it.
    this.byId = new Map();
    this.unread = 0;
    // Whether the server has messages older than the oldest shown.
    this.more = false;
    this.loadingOlder = false;
    // User -> connections in the room now; null while the roster is unknown.
    this.members = null;
    this.truncated = false;
    // Whether our own "joined" presence for this connection has arrived: the
    // roster already counts us, so that one presence must not count us twice.
    this.selfJoinSeen = false;
    // User -> the timer that stops showing them as typing.
    this.typing = new Map();
  }

  // The smallest message id shown, the `before` cursor of the next older page.
  oldestId() {
    let oldest = null;
    for (const id of this.byId.keys()) if (oldest === null || id < oldest) oldest = id;
    return oldest;
  }

  // Take the server's roster ([{user, connections}]); we are in it whatever it says.
  setMembers(members, truncated, me) {
    this.members = new Map();
    for (const entry of members) {
      if (entry && typeof entry.user === 'string' && Number.isInteger(entry.connections) && entry.connections > 0) {
        this.members.set(entry.user, entry.connections);
      }
    }
    this.truncated = truncated === true;
    this.keep(me);
  }

  // Apply a presence message to the roster; false when nothing changed.
  presence(user, event, me) {
    if (!this.members || typeof user !== 'string') return false;
    const count = this.members.get(user) || 0;
    if (event === 'joined') {
      if (user === me && !this.selfJoinSeen) {
        this.selfJoinSeen = true;
        return this.keep(me);
      }
      this.members.set(user, count + 1);
    } else if (event === 'left') {
      if (count <= 1) this.members.delete(user);
      else this.members.set(user, count - 1);
      this.keep(me);
    } else {
      return false;
    }
    return true;
  }

  keep(me) {
    if (me === null || this.members.has(me)) return false;
    this.members.set(me, 1);
    return true;
  }
}

export class ChatState {
  constructor() {
    this.rooms = new Map();
    this.current = null;
  }

  // The room of this name, created if new; returns [room, created].
  room(name) {
    let room = this.rooms.get(name);
    if (room) return [room, false];
    room = new Room(name);
    this.rooms.set(name, room);
    return [room, true];
  }

  select(name) {
    this.current = name;
    this.rooms.get(name).unread = 0;
  }

  // Forget a room; returns the room to open next (null for none) when it was the open one.
  forget(name) {
    const room = this.rooms.get(name);
    if (room) for (const timer of room.typing.values()) clearTimeout(timer);
    this.rooms.delete(name);
    if (this.current !== name) return undefined;
    this.current = null;
    const next = this.rooms.keys().next();
    return next.done ? null : next.value;
  }

  // Record a live item at the end of its room; returns 'added', 'replaced'
  // (a message whose id is already shown: its item now holds the new
  // content) or null when the room name is not one.
  add(roomName, item) {
    if (!ROOM_NAME.test(String(roomName))) return null;
    const [room] = this.room(roomName);
    if (item.id && room.byId.has(item.id)) {
      update(room.byId.get(item.id), item);
      return 'replaced';
    }
    room.items.push(item);
    if (item.id) room.byId.set(item.id, item);
    if (room.items.length > MAX_ITEMS_PER_ROOM) {
      const dropped = room.items.shift();
      if (dropped.id) room.byId.delete(dropped.id);
    }
    if (roomName !== this.current && item.kind === 'msg') room.unread += 1;
    return 'added';
  }

  // Merge a page of history (message items with ids, oldest first): a known
  // id takes the page's content; a new one goes before the first shown
  // message with a later id, else at the end, except into a room that shows
  // no message yet, where the page goes above the notices already there.
  // Returns how many were new.
  merge(room, items) {
    const firstPage = room.byId.size === 0;
    let next = 0;
    let added = 0;
    for (const item of items) {
      const known = room.byId.get(item.id);
      if (known) {
        update(known, item);
        continue;
      }
      let at = room.items.findIndex((other) => other.id && other.id > item.id);
      if (at === -1) at = firstPage ? next : room.items.length;
      room.items.splice(at, 0, item);
      room.byId.set(item.id, item);
      next = at + 1;
      added += 1;
    }
    return added;
  }

  // Mark a message deleted; the item, or null when it is not shown.
  delete(roomName, messageId) {
    const room = this.rooms.get(roomName);
    const item = room && room.byId.get(messageId);
    if (!item) return null;
    item.deleted = true;
    item.text = '';
    return item;
  }
}

// A shown message takes the content of the same message arriving again; a
// deleted one stays deleted (an older copy may come after the deletion).
function update(shown, again) {
  const deleted = shown.deleted || again.deleted;
  Object.assign(shown, again, deleted ? { deleted, text: '' } : {});
}
