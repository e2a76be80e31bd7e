// Loaded with `node --require` into a CLI run: records every outgoing socket connection and DNS
// lookup the process makes, and writes them as JSON to NET_PROBE_OUT when it exits.
const fs = require("node:fs");
const net = require("node:net");
const dns = require("node:dns");

const seen = { connections: [], lookups: [] };
const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first && typeof first === "object") {
    seen.connections.push(
      first.path ? { path: first.path } : { host: first.host ?? "localhost", port: Number(first.port) },
    );
  } else if (typeof first === "string" && Number.isNaN(Number(first))) {
    seen.connections.push({ path: first });
  } else {
    seen.connections.push({ host: typeof args[1] === "string" ? args[1] : "localhost", port: Number(first) });
  }
  return originalConnect.apply(this, args);
};
const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, ...rest) {
  seen.lookups.push(hostname);
  return originalLookup.call(this, hostname, ...rest);
};
process.on("exit", () => {
  if (process.env.NET_PROBE_OUT) fs.writeFileSync(process.env.NET_PROBE_OUT, JSON.stringify(seen));
});
