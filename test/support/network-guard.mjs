// Preloaded (node --import) into a process that must stay offline: any outbound connection, DNS lookup or
// fetch is refused and recorded in $NETWORK_GUARD_LOG, as is every thread the guard loaded into (worker
// threads run --import preloads too), so a test can check the guard covered them.
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';
import { threadId } from 'node:worker_threads';

const log = process.env.NETWORK_GUARD_LOG;
const note = (line) => log && fs.appendFileSync(log, `${line}\n`);
note(`loaded thread=${threadId}`);
const refuse = (what) => {
  note(`attempt thread=${threadId} ${what}`);
  throw new Error(`network guard: ${what} refused`);
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const first = args[0];
  const opts = typeof first === 'object' && first !== null ? first : { port: first, host: args[1] };
  // IPC pipes (the extraction process's channel) have a path, not a host.
  if (opts.path !== undefined || (Array.isArray(first) && first[0]?.path !== undefined)) return connect.apply(this, args);
  refuse(`connect ${opts.host ?? 'localhost'}:${opts.port}`);
};
dns.lookup = (host) => refuse(`dns ${host}`);
globalThis.fetch = async (url) => refuse(`fetch ${String(url).replace(/\?.*/, '')}`);
