// Open-loop load on the whole local loop with Microsoft's Node client SDK, as
// Web PubSub's performance guide measures a tier: chat messages are sent at a
// steady offered rate, spread evenly over the senders (nobody waits for an ack
// before the next send), stepped up rate after rate. Reads its plan as JSON from
// argv[2]; prints heartbeats ({"progress": n}), one line per step, then a report.
//
// Plan: {host, clients, roomSize, senders, rates, holdS, warmS, limitMs, stallMs, stopOnFail}.
//   clients     connections, in rooms of roomSize (member i is in room i % rooms)
//   senders     how many of them send (the first ones); the rest only receive
//   rates       offered messages per second, one step each, in order
//   holdS       how long each step offers its rate
//   warmS       an unreported first step at the first rate (the app's first
//               invocation imports its handlers: not the loop's steady cost)
//   limitMs     the guide's bar: 99% of deliveries within it
//   stallMs     a step's drain ends when nothing arrived for this long
// A step passes when its p99 send-to-delivery is within limitMs and nothing
// was lost, duplicated, reordered or refused. With stopOnFail, the first
// failing step ends the run.
import { WebPubSubClient } from "@azure/web-pubsub-client";
import { Watchdog, accessUrl, emit, exitAfterOutput, now, percentile, sleep, within } from "./loadkit.mjs";

const plan = JSON.parse(process.argv[2]);
const rooms = Math.max(1, Math.round(plan.clients / plan.roomSize));
// Past this age an unanswered send means the loop has fallen behind for good:
// the step stops offering more, so that its drain stays short.
const BEHIND_MS = Math.max(5000, 5 * plan.limitMs);
let watchdog = null;

class Member {
  constructor(index) {
    this.index = index;
    this.user = `u${index}`;
    this.room = `room${index % rooms}`;
    this.sender = index < plan.senders;
    this.client = new WebPubSubClient({ getClientAccessUrl: () => accessUrl(plan.host, this.user) });
    this.client.on("server-message", (e) => this.onMessage(e.message));
    this.step = null;
    this.seq = 0;
  }

  onMessage(message) {
    const data = message.data;
    if (!data || data.type !== "message" || data.room !== this.room) return;
    const at = now();
    const [step, sender, seq, sentAt] = data.text.split(":").map(Number);
    const current = this.step;
    if (current === null || step !== current.index) {
      if (current) current.strays++;
      return;
    }
    // A small integer key (V8 keeps it unboxed): seq * clients + sender is unique.
    const key = seq * plan.clients + sender;
    if (current.seen[this.index].has(key)) current.duplicates++;
    current.seen[this.index].add(key);
    const last = current.lastSeq[this.index].get(sender);
    if (last !== undefined && seq < last) current.reordered++;
    current.lastSeq[this.index].set(sender, seq);
    current.latencies.push(at - sentAt);
    if (sender !== this.index) current.othersLatencies.push(at - sentAt);
    current.delivered++;
    current.lastDeliveryAt = at;
    watchdog.tick();
  }

  send(step) {
    const seq = this.seq++;
    const sentAt = now();
    step.pending++;
    step.oldestPending.set(`${this.index}:${seq}`, sentAt);
    const text = `${step.index}:${this.index}:${seq}:${sentAt}`;
    this.client.sendEvent("message", { room: this.room, text }, "json").then(
      () => {
        step.acked++;
        step.ackedAt = now();
      },
      (err) => {
        step.refused++;
        if (step.failures.length < 3) step.failures.push(String(err && err.message ? err.message : err));
      },
    ).finally(() => {
      step.pending--;
      step.oldestPending.delete(`${this.index}:${seq}`);
      watchdog.tick();
    });
  }
}

function newStep(index, rate, members) {
  return {
    index,
    rate,
    offered: 0,
    pending: 0,
    acked: 0,
    refused: 0,
    failures: [],
    oldestPending: new Map(),
    delivered: 0,
    duplicates: 0,
    reordered: 0,
    strays: 0,
    latencies: [],
    othersLatencies: [],
    seen: members.map(() => new Set()),
    lastSeq: members.map(() => new Map()),
    ackedAt: 0,
    lastDeliveryAt: 0,
  };
}

function oldestAge(step, at) {
  for (const sentAt of step.oldestPending.values()) return at - sentAt; // insertion order: oldest first
  return 0;
}

/** Offer `rate` messages a second for `holdS`, round robin over the senders, then drain. */
async function runStep(index, rate, holdS, members, senders, roomSize) {
  const step = newStep(index, rate, members);
  for (const m of members) m.step = step;
  const started = now();
  const total = Math.round(rate * holdS);
  let next = 0;
  let behind = false;
  while (step.offered < total) {
    const at = now();
    const due = Math.min(total, Math.floor(((at - started) / 1000) * rate) + 1);
    while (step.offered < due) {
      senders[next].send(step);
      next = (next + 1) % senders.length;
      step.offered++;
    }
    if (oldestAge(step, at) > BEHIND_MS) {
      behind = true;
      break;
    }
    await sleep(Math.max(1, Math.min(10, 1000 / rate)));
  }
  const offeredFor = (now() - started) / 1000;
  // Drain: every send answered and every acknowledged message delivered to its room, or a stall.
  const expected = () => step.acked * roomSize;
  while (!watchdog.isStalled && (step.pending > 0 || step.delivered < expected())) {
    await Promise.race([sleep(20), watchdog.stalled]);
  }
  const lost = Math.max(0, expected() - (step.delivered - step.duplicates));
  const latencies = step.latencies.sort((a, b) => a - b);
  const others = step.othersLatencies.sort((a, b) => a - b);
  const span = (Math.max(step.ackedAt, step.lastDeliveryAt) - started) / 1000;
  const result = {
    step: index,
    rate,
    offered: step.offered,
    offeredSeconds: offeredFor,
    acked: step.acked,
    refused: step.refused,
    unanswered: step.pending,
    failures: step.failures,
    delivered: step.delivered,
    lost,
    duplicates: step.duplicates,
    reordered: step.reordered,
    // Deliveries of an earlier step that arrived during this one (that step stalled).
    strays: step.strays,
    behind,
    stalled: watchdog.isStalled,
    inPerS: span > 0 ? step.acked / span : 0,
    outPerS: span > 0 ? step.delivered / span : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length ? latencies[latencies.length - 1] : null,
    othersP50Ms: percentile(others, 50),
    othersP99Ms: percentile(others, 99),
  };
  const clean = !lost && !step.duplicates && !step.reordered && !step.refused && !step.pending;
  result.passed = clean && !behind && result.p99Ms !== null && result.p99Ms <= plan.limitMs;
  for (const m of members) m.step = null;
  return result;
}

async function main() {
  const members = Array.from({ length: plan.clients }, (_, i) => new Member(i));
  const rssBefore = process.memoryUsage().rss;
  await Promise.all(members.map((m) => m.client.start()));
  await Promise.all(members.map((m) => m.client.sendEvent("join", { room: m.room }, "json")));
  const rssConnected = process.memoryUsage().rss;
  emit({ connected: plan.clients, nodeRssBefore: rssBefore, nodeRssConnected: rssConnected });
  const senders = members.filter((m) => m.sender);
  // Every room has the same size when clients is a multiple of roomSize (the plans see to it).
  const roomSize = Math.round(plan.clients / rooms);
  const steps = [];
  if (plan.warmS > 0) {
    watchdog = new Watchdog(plan.stallMs, () => true);
    await runStep(-1, plan.rates[0], plan.warmS, members, senders, roomSize);
    watchdog.stop();
  }
  for (const [i, rate] of plan.rates.entries()) {
    watchdog = new Watchdog(plan.stallMs, () => true);
    emit({ begin: i, rate });
    const result = await runStep(i, rate, plan.holdS, members, senders, roomSize);
    watchdog.stop();
    result.nodeRss = process.memoryUsage().rss;
    emit(result);
    steps.push(result);
    if (!result.passed && plan.stopOnFail) break;
    await sleep(1000);
  }
  await within(Promise.all(members.map((m) => m.client.stop())), 5000);
  emit({
    report: true,
    clients: plan.clients,
    roomSize,
    rooms,
    senders: senders.length,
    steps,
    nodeRssBefore: rssBefore,
    nodeRssConnected: rssConnected,
  });
}

main().then(
  () => exitAfterOutput(0),
  (err) => {
    console.error(String(err && err.stack ? err.stack : err));
    process.exit(1);
  },
);
