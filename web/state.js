// What the page knows: the rooms, their messages and unread counts, and the
// open room. No DOM here: the view renders it.

export const ROOM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_ITEMS_PER_ROOM = 5000;

export class Room {
  constructor(name) {
    this.name = name;
    this.items = [];
    this.unread = 0;
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
    this.rooms.delete(name);
    if (this.current !== name) return undefined;
    this.current = null;
    const next = this.rooms.keys().next();
    return next.done ? null : next.value;
  }

  // Record an item in its room; false when the room name is not one.
  add(roomName, item) {
    if (!ROOM_NAME.test(String(roomName))) return false;
    const [room] = this.room(roomName);
    room.items.push(item);
    if (room.items.length > MAX_ITEMS_PER_ROOM) room.items.shift();
    if (roomName !== this.current && item.kind === 'msg') room.unread += 1;
    return true;
  }
}
