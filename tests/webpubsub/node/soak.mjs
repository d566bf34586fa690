// Soak the whole local loop with Microsoft's Node client SDK: many clients in
// rooms exchange chat messages through the app, each sender numbering its
// messages and waiting for each ack (closed loop). Reads its plan as JSON from
// argv[2]; prints heartbeat lines ({"progress": n}) and then one JSON report line.
//
// Plan: {host, clients, rooms, messages, stallMs, ids}. host is the Functions
// host's URL (negotiate is there). There is no time budget: the run ends when
// every acknowledged message has reached every member of its room and its
// sender has the app's reply, or when nothing (no ack, no reply, no delivery,
// no failed send) has happened for stallMs; the report then says `stalled`
// and what was still owed. It says, per kind of fault, how many there were,
// so the caller asserts on it:
//   lost        acknowledged messages some room member never received
//   duplicates  messages a member received more than once with one sequenceId
//   reordered   a sender's messages a member received out of order
//   gaps        service-to-client sequence ids skipped or repeated
//   refused     sends the app answered with an error (e.g. history_unavailable)
//   unreplied   acknowledged sends whose sender never got the app's reply
// With `ids`, the report also lists by room the message ids the app gave in
// its replies to the senders (`acknowledgedIds`: the ack's `messageId`, one
// per reply, so an id acknowledged twice is there twice) and the ids members
// received (`deliveredIds`, each once): the caller compares them with what
// the history table holds.
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { Watchdog, accessUrl, emit, exitAfterOutput, percentile, sleep, within } from "./loadkit.mjs";

const plan = JSON.parse(process.argv[2]);
const perClient = Math.ceil(plan.messages / plan.clients);
let watchdog = null;
const delivered = new Map(); // every message id a member received -> its room

class Member {
  constructor(index) {
    this.index = index;
    this.user = `u${index}`;
    this.room = `room${index % plan.rooms}`;
    this.received = new Map(); // sender -> list of seq, in arrival order
    this.seen = new Map(); // sender -> set of seq
    this.latencies = [];
    this.sequenceIds = [];
    this.replied = new Set(); // seq of the sends the app replied to
    this.acknowledgedIds = []; // the app's messageId in each reply
    this.refusals = [];
    this.client = new WebPubSubClient({ getClientAccessUrl: () => accessUrl(plan.host, this.user) });
    this.client.on("server-message", (e) => this.onMessage(e.message));
  }

  onMessage(message) {
    if (message.sequenceId !== undefined) this.sequenceIds.push(message.sequenceId);
    const data = message.data;
    if (data && data.event === "message" && (data.type === "ack" || data.type === "error")) {
      this.onReply(data);
      return;
    }
    if (!data || data.type !== "message" || data.room !== this.room) return;
    delivered.set(data.id, data.room);
    const [sender, seq, sentAt] = data.text.split(":").map(Number);
    if (!this.received.has(sender)) {
      this.received.set(sender, []);
      this.seen.set(sender, new Set());
    }
    this.received.get(sender).push(seq);
    this.seen.get(sender).add(seq);
    this.latencies.push(Date.now() - sentAt);
    if (watchdog) watchdog.tick();
  }

  // The app's reply to one of this member's sends (the event's `id` is its seq).
  onReply(data) {
    this.replied.add(data.id);
    if (data.type === "ack") this.acknowledgedIds.push(data.messageId);
    else this.refusals.push(`${this.user}'s #${data.id}: ${data.code}`);
    if (watchdog) watchdog.tick();
  }

  async send(seq) {
    const text = `${this.index}:${seq}:${Date.now()}`;
    await this.client.sendEvent("message", { room: this.room, text, id: seq }, "json");
  }
}

async function main() {
  const members = Array.from({ length: plan.clients }, (_, i) => new Member(i));
  await Promise.all(members.map((m) => m.client.start()));
  await Promise.all(members.map((m) => m.client.sendEvent("join", { room: m.room }, "json")));
  const started = Date.now();
  const roomOf = new Map();
  for (const m of members) roomOf.set(m.room, [...(roomOf.get(m.room) || []), m]);
  // What each sender got an ack for. A send the SDK gives up on (its retries
  // spent while a cut connection recovers) is unacknowledged, not lost.
  const acked = members.map(() => new Set());
  let unacknowledged = 0;
  let settled = 0;
  const failures = [];
  // Owed: deliveries of acknowledged messages not yet seen by a room member.
  const owed = () => {
    let missing = 0;
    for (const m of members)
      for (const s of roomOf.get(m.room)) {
        const seen = m.seen.get(s.index);
        for (const q of acked[s.index]) if (!seen || !seen.has(q)) missing++;
      }
    return missing;
  };
  // Owed too: the app's reply to each acknowledged send (it carries the message id).
  const unreplied = () => {
    let missing = 0;
    for (const m of members) for (const q of acked[m.index]) if (!m.replied.has(q)) missing++;
    return missing;
  };
  const total = perClient * plan.clients;
  let owedNow = 1;
  watchdog = new Watchdog(plan.stallMs, () => settled < total || owedNow > 0);
  const sending = Promise.all(
    members.map(async (m) => {
      for (let seq = 0; seq < perClient && !watchdog.isStalled; seq++) {
        try {
          await m.send(seq);
          acked[m.index].add(seq);
        } catch (err) {
          unacknowledged++;
          if (failures.length < 5) failures.push(String(err && err.message ? err.message : err));
        }
        settled++;
        watchdog.tick();
      }
    }),
  );
  await Promise.race([sending, watchdog.stalled]);
  const sendSeconds = (Date.now() - started) / 1000;
  // Wait until every member has every acknowledged message of its room and
  // every sender the app's replies, or nothing moves.
  while (!watchdog.isStalled && (owedNow = owed() + unreplied()) > 0) {
    await Promise.race([sleep(50), watchdog.stalled]);
  }
  watchdog.stop();
  const seconds = (Date.now() - started) / 1000;

  let lost = 0, duplicates = 0, reordered = 0, gaps = 0, deliveries = 0;
  const lostSamples = [];
  for (const m of members) {
    for (const s of roomOf.get(m.room)) {
      const got = m.received.get(s.index) || [];
      deliveries += got.length;
      const unique = new Set(got);
      for (const q of acked[s.index]) {
        if (unique.has(q)) continue;
        lost++;
        if (lostSamples.length < 5) lostSamples.push(`${m.user} never got ${s.user}'s #${q}`);
      }
      // A client's resend after a cut reaches the app twice (new ack id): the
      // app then sends it twice, and the member sees the same seq again.
      duplicates += got.length - unique.size;
      for (let i = 1; i < got.length; i++) if (got[i] < got[i - 1]) reordered++;
    }
    const ids = m.sequenceIds;
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1] + 1) gaps++;
  }
  const latencies = members.flatMap((m) => m.latencies).sort((a, b) => a - b);
  const refusals = members.flatMap((m) => m.refusals);
  const idLists = {};
  if (plan.ids) {
    const acknowledgedIds = {};
    for (const m of members) (acknowledgedIds[m.room] ||= []).push(...m.acknowledgedIds);
    const deliveredIds = {};
    for (const [id, room] of delivered) (deliveredIds[room] ||= []).push(id);
    Object.assign(idLists, { acknowledgedIds, deliveredIds });
  }
  await within(Promise.all(members.map((m) => m.client.stop())), 5000);
  emit({
    clients: plan.clients,
    rooms: plan.rooms,
    messages: total,
    sent: acked.reduce((a, b) => a + b.size, 0),
    unacknowledged,
    unsettled: total - settled,
    stalled: watchdog.isStalled,
    stallSeconds: plan.stallMs / 1000,
    failures,
    delivered: deliveries,
    lost,
    lostSamples,
    duplicates,
    reordered,
    gaps,
    sendSeconds,
    seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    refused: refusals.length,
    refusalSamples: refusals.slice(0, 5),
    unreplied: unreplied(),
    ...idLists,
  });
}

main().then(
  () => exitAfterOutput(0),
  (err) => {
    console.error(String(err && err.stack ? err.stack : err));
    process.exit(1);
  },
);
