// Microsoft's Node client SDK (@azure/web-pubsub-client) as a client of the local
// service, driven by tests/webpubsub/test_node_sdk.py.
//
//   node client.mjs SCENARIO PROTOCOL URL_A URL_B
//
// SCENARIO: "chat" (join, group messages, an event), "recover" (a receiver whose
// socket the test cuts mid-stream), "idle" (short keep-alive settings, no traffic).
// PROTOCOL: "reliable" (the SDK's default) or "json". Every line printed is one
// JSON object; the last is {"done": ...} with what the test checks.
import readline from "node:readline";
import { WebPubSubClient, WebPubSubJsonProtocol } from "@azure/web-pubsub-client";

const [scenario, protocolName, urlA, urlB] = process.argv.slice(2);
const say = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const stdinLines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function client(url, options = {}) {
  if (protocolName === "json") options.protocol = WebPubSubJsonProtocol();
  return new WebPubSubClient({ getClientAccessUrl: async () => url }, options);
}

async function until(condition, what, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function watch(c) {
  const seen = { connected: [], disconnected: 0, group: [], server: [] };
  c.on("connected", (e) => seen.connected.push(e.connectionId));
  c.on("disconnected", () => (seen.disconnected += 1));
  c.on("group-message", (e) => seen.group.push(e.message.data));
  c.on("server-message", (e) => seen.server.push(e.message.data));
  return seen;
}

async function chat() {
  const alice = client(urlA);
  const bob = client(urlB);
  const bobSeen = watch(bob);
  const aliceSeen = watch(alice);
  await alice.start();
  await bob.start();
  await alice.joinGroup("room");
  await bob.joinGroup("room");
  await alice.sendToGroup("room", "hello", "text", { noEcho: true });
  await alice.sendToGroup("room", { n: 1 }, "json");
  await until(() => bobSeen.group.length === 2 && aliceSeen.group.length === 1, "group messages");
  const ack = await alice.sendEvent("greet", "hi", "text");
  await alice.stop();
  await bob.stop();
  say({ done: { bob: bobSeen.group, alice: aliceSeen.group, eventAcked: ack.ackId !== undefined } });
}

async function recover() {
  const sender = client(urlA);
  const receiver = client(urlB);
  const seen = watch(receiver);
  await sender.start();
  await receiver.start();
  await receiver.joinGroup("g");
  const sent = [];
  for (let n = 0; n < 60; n++) {
    await sender.sendToGroup("g", { n }, "json");
    sent.push({ n });
    if (n === 20 || n === 40) {
      say({ cut: seen.connected[0] });
      await stdinLines.next(); // the test has cut the receiver's socket
    }
  }
  await until(() => seen.group.length >= sent.length, "every message");
  await sleep(300); // room for a duplicate to show up, were there one
  await sender.stop();
  await receiver.stop();
  say({ done: { got: seen.group, sent, connected: seen.connected, disconnected: seen.disconnected } });
}

async function idle() {
  // Ping every 200 ms and give up after 1 s of silence: only pongs keep it open.
  const c = client(urlA, { keepAliveIntervalInMs: 200, keepAliveTimeoutInMs: 1000 });
  const seen = watch(c);
  await c.start();
  await sleep(3000);
  await c.stop();
  say({ done: { connected: seen.connected, disconnected: seen.disconnected } });
}

const scenarios = { chat, recover, idle };
try {
  await scenarios[scenario]();
  process.exit(0);
} catch (err) {
  say({ error: String(err && err.stack ? err.stack : err) });
  process.exit(1);
}
