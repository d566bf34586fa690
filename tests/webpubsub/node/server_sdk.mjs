// Microsoft's Node server SDK (@azure/web-pubsub) calling the local service's REST API.
//
// Driven by tests/webpubsub/test_rest_sdk_node.py, which registers the
// connections c1 (alice, in "room"), c2 (bob), c3 (carol, in "room") and
// c4 (dave) before
// running this script, then checks what each connection received. The script
// prints one JSON object: what each SDK call returned, in call order.
// Usage: node server_sdk.mjs '<{"connectionString": ..., "wrongConnectionString": ..., "hub": ...}>'
import { WebPubSubServiceClient } from "@azure/web-pubsub";

const { connectionString, wrongConnectionString, hub } = JSON.parse(process.argv[2]);
// The SDK refuses plain http unless told otherwise.
const options = { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } };
const client = new WebPubSubServiceClient(connectionString, hub, options);
const results = {};

// The group client's listConnections answers a promise of a paged iterator.
async function pages(listing) {
  const sizes = [];
  const ids = [];
  for await (const page of (await listing).byPage()) {
    sizes.push(page.length);
    for (const member of page) ids.push([member.connectionId, member.userId ?? null]);
  }
  return { sizes, ids };
}

// sends
await client.sendToAll({ hello: "all" }, { excludedConnections: ["c3"] });
await client.sendToAll("only alice", { contentType: "text/plain", filter: "userId eq 'alice'" });
await client.sendToUser("bob", Buffer.from([0, 1, 2]));
await client.sendToConnection("c1", "to c1", { contentType: "text/plain" });
await client.group("room").sendToAll("to room", { contentType: "text/plain", excludedConnections: ["c3"] });
await client.sendToAll("ttl", { contentType: "text/plain", messageTtlSeconds: 300, filter: "userId eq 'carol'" });

// existence
results.exists = {
  c1: await client.connectionExists("c1"),
  c9: await client.connectionExists("c9"),
  alice: await client.userExists("alice"),
  nobody: await client.userExists("nobody"),
  room: await client.groupExists("room"),
  hall: await client.groupExists("hall"),
};

// groups and paging
await client.group("hall").addConnection("c2");
await client.group("hall").addUser("alice");
await client.group("hall").addConnection("c3");
results.hallPages = await pages(client.group("hall").listConnections({ maxPageSize: 2 }));
await client.group("hall").removeConnection("c3");
await client.group("hall").removeUser("alice");
results.hallAfterRemoval = await pages(client.group("hall").listConnections());
await client.addConnectionsToGroups(["vip"], "userId eq 'bob' or userId eq 'carol'");
results.vip = await pages(client.group("vip").listConnections());
await client.removeConnectionsFromGroups(["vip"], "userId eq 'carol'");
results.vipAfterRemoval = await pages(client.group("vip").listConnections());
await client.removeConnectionFromAllGroups("c2");
results.c2Groups = { hall: await client.groupExists("hall"), vip: await client.groupExists("vip") };
await client.group("lounge").addUser("dave");
await client.removeUserFromAllGroups("dave");
results.lounge = await client.groupExists("lounge");

// permissions
await client.grantPermission("c1", "sendToGroup", { targetName: "room" });
results.permissions = { granted: await client.hasPermission("c1", "sendToGroup", { targetName: "room" }) };
await client.revokePermission("c1", "sendToGroup", { targetName: "room" });
results.permissions.revoked = await client.hasPermission("c1", "sendToGroup", { targetName: "room" });

// client token
const issued = await client.getClientAccessToken({ userId: "dave", roles: ["webpubsub.sendToGroup"], groups: ["room"] });
results.clientToken = issued.token;
results.clientUrl = issued.url;

// a wrong key
try {
  await new WebPubSubServiceClient(wrongConnectionString, hub, options).sendToAll("x", { contentType: "text/plain" });
  results.wrongKey = "accepted";
} catch (error) {
  results.wrongKey = { statusCode: error.statusCode, code: error.code, message: error.message };
}

// an invalid filter
try {
  await client.sendToAll("x", { contentType: "text/plain", filter: "userId = 'a'" });
  results.badFilter = "accepted";
} catch (error) {
  results.badFilter = { statusCode: error.statusCode, code: error.code, message: error.message };
}

// closing, last
await client.closeConnection("c3", { reason: "just c3" });
await client.group("room").closeAllConnections({ reason: "room closed" });
await client.closeUserConnections("bob", { reason: "bob out" });
await client.closeAllConnections({ reason: "everyone" });

process.stdout.write(JSON.stringify(results));
