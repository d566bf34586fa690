// Soak the whole local loop with Microsoft's Node client SDK: many clients in
// rooms exchange chat messages through the app, each sender numbering its
// messages. Reads its plan as JSON from argv[2]; prints one JSON report line.
//
// Plan: {host, clients, rooms, messages, timeoutMs}. host is the Functions
// host's URL (negotiate is there). The report says, per kind of fault, how
// many there were, so the caller asserts on it:
//   lost        acknowledged messages some room member never received
//   duplicates  messages a member received more than once with one sequenceId
//   reordered   a sender's messages a member received out of order
//   gaps        service-to-client sequence ids skipped or repeated
import { WebPubSubClient } from "@azure/web-pubsub-client";

const plan = JSON.parse(process.argv[2]);
const deadline = Date.now() + plan.timeoutMs;
const perClient = Math.ceil(plan.messages / plan.clients);

async function accessUrl(user) {
  const response = await fetch(`${plan.host}/api/negotiate`, {
    headers: { "x-ms-client-principal-name": user },
  });
  if (response.status !== 200) throw new Error(`negotiate answered ${response.status}`);
  return (await response.json()).url;
}

class Member {
  constructor(index) {
    this.index = index;
    this.user = `u${index}`;
    this.room = `room${index % plan.rooms}`;
    this.received = new Map(); // sender -> list of seq, in arrival order
    this.seen = new Map(); // sender -> set of seq
    this.latencies = [];
    this.sequenceIds = [];
    this.client = new WebPubSubClient({ getClientAccessUrl: () => accessUrl(this.user) });
    this.client.on("server-message", (e) => this.onMessage(e.message));
  }

  onMessage(message) {
    if (message.sequenceId !== undefined) this.sequenceIds.push(message.sequenceId);
    const data = message.data;
    if (!data || data.type !== "message" || data.room !== this.room) return;
    const [sender, seq, sentAt] = data.text.split(":").map(Number);
    if (!this.received.has(sender)) {
      this.received.set(sender, []);
      this.seen.set(sender, new Set());
    }
    this.received.get(sender).push(seq);
    this.seen.get(sender).add(seq);
    this.latencies.push(Date.now() - sentAt);
  }

  async send(seq) {
    const text = `${this.index}:${seq}:${Date.now()}`;
    await this.client.sendEvent("message", { room: this.room, text }, "json");
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const members = Array.from({ length: plan.clients }, (_, i) => new Member(i));
  await Promise.all(members.map((m) => m.client.start()));
  await Promise.all(members.map((m) => m.client.sendEvent("join", { room: m.room }, "json")));
  const started = Date.now();
  // What each sender got an ack for. A send the SDK gives up on (its retries
  // spent while a cut connection recovers) is unacknowledged, not lost.
  const acked = members.map(() => new Set());
  let unacknowledged = 0;
  const failures = [];
  await Promise.all(
    members.map(async (m) => {
      for (let seq = 0; seq < perClient && Date.now() < deadline; seq++) {
        try {
          await m.send(seq);
          acked[m.index].add(seq);
        } catch (err) {
          unacknowledged++;
          if (failures.length < 5) failures.push(String(err && err.message ? err.message : err));
        }
      }
    }),
  );
  const sendSeconds = (Date.now() - started) / 1000;
  // Wait (bounded) until every member has every acknowledged message of its room.
  const complete = () =>
    members.every((m) =>
      members
        .filter((s) => s.room === m.room)
        .every((s) => {
          const seen = m.seen.get(s.index) || new Set();
          return [...acked[s.index]].every((q) => seen.has(q));
        }),
    );
  while (!complete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const seconds = (Date.now() - started) / 1000;

  let lost = 0, duplicates = 0, reordered = 0, gaps = 0, delivered = 0;
  for (const m of members) {
    for (const s of members.filter((x) => x.room === m.room)) {
      const got = m.received.get(s.index) || [];
      delivered += got.length;
      const unique = new Set(got);
      lost += [...acked[s.index]].filter((q) => !unique.has(q)).length;
      // A client's resend after a cut reaches the app twice (new ack id): the
      // app then sends it twice, and the member sees the same seq again.
      duplicates += got.length - unique.size;
      for (let i = 1; i < got.length; i++) if (got[i] < got[i - 1] && got[i] !== got[i - 1]) reordered++;
    }
    const ids = m.sequenceIds;
    for (let i = 1; i < ids.length; i++) if (ids[i] !== ids[i - 1] + 1) gaps++;
  }
  const latencies = members.flatMap((m) => m.latencies).sort((a, b) => a - b);
  await Promise.all(members.map((m) => m.client.stop()));
  console.log(
    JSON.stringify({
      clients: plan.clients,
      rooms: plan.rooms,
      messages: perClient * plan.clients,
      sent: acked.reduce((a, b) => a + b.size, 0),
      unacknowledged,
      failures,
      delivered,
      lost,
      duplicates,
      reordered,
      gaps,
      sendSeconds,
      seconds,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
    }),
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(String(err && err.stack ? err.stack : err));
    process.exit(1);
  },
);
