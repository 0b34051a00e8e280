// Preloaded into the app's process by the webhook benchmark with BENCH_DB_PROFILE=<file> (and
// monitorCommands=true in the database URI): database time per command and filter shape, written
// when the process exits. On FerretDB only an exact {_id} filter avoids a collection scan.
const fs = require('node:fs');
const mongoose = require('mongoose');
const stats = new Map();
const started = new Map();
const shape = (c) => {
  const f =
    c.filter ??
    c.query ??
    (c.updates && c.updates[0] && c.updates[0].q) ??
    (c.deletes && c.deletes[0] && c.deletes[0].q);
  const proj = c.projection ? ` -> {${Object.keys(c.projection).join(',')}}` : '';
  return f ? ` {${Object.keys(f).join(',')}}${proj}` : proj;
};
mongoose.connection.on('connected', () => {
  const client = mongoose.connection.getClient();
  client.on('commandStarted', (e) =>
    started.set(e.requestId, `${e.commandName} ${String(e.command[e.commandName])}${shape(e.command)}`),
  );
  const done = (e) => {
    const key = started.get(e.requestId) ?? e.commandName;
    started.delete(e.requestId);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += e.duration;
    stats.set(key, s);
  };
  client.on('commandSucceeded', done);
  client.on('commandFailed', done);
});
process.on('exit', () => {
  const rows = [...stats]
    .sort((a, b) => b[1].ms - a[1].ms)
    .map(([k, s]) => `${String(s.n).padStart(7)} ${String(Math.round(s.ms)).padStart(9)} ms  ${k}`);
  fs.writeFileSync(process.env.BENCH_DB_PROFILE, rows.join('\n') + '\n');
});
