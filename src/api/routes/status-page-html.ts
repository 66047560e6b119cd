/** The status page (routes/status-page.ts): one HTML document with its style and script inline. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nucmesh node</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 16px; display: flex; justify-content: space-between; }
  main { padding: 16px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px #0002; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; vertical-align: top; overflow-wrap: anywhere; }
  .state { font-weight: 600; }
  .failed, .error { color: #b3261e; }
  .done { color: #1b7f3b; }
  .running { color: #8a6d00; }
  .bar { height: 8px; background: #4c7bd9; border-radius: 2px; min-width: 2px; }
  #login { padding: 16px; }
  #login[hidden], main[hidden] { display: none; }
  .muted { color: #667; }
</style>
</head>
<body>
<header><strong>nucmesh</strong><span id="updated" class="muted"></span></header>
<form id="login" hidden>
  <p>This node's API needs the fleet's reader token (kept in this tab only).</p>
  <input id="token" type="password" autocomplete="off" size="48" placeholder="reader token">
  <button type="submit">Show the node</button>
  <p id="login-error" class="error"></p>
</form>
<main id="main" hidden>
  <section id="node"><h2>Node</h2><table id="node-table"></table></section>
  <section id="boot"><h2>Boot steps</h2><table id="boot-table"></table></section>
  <section id="peers"><h2>Peers</h2><table id="peers-table"></table></section>
  <section id="cluster"><h2>Cluster</h2><div id="cluster-body"></div></section>
</main>
<script>
"use strict";
const KEY = 'nucmesh.readerToken';
const $ = (id) => document.getElementById(id);
const text = (v) => (v === null || v === undefined || v === '' ? '-' : String(v));
function row(cells, tag) {
  const tr = document.createElement('tr');
  for (const c of cells) {
    const td = document.createElement(tag || 'td');
    if (c && typeof c === 'object' && 'node' in c) td.appendChild(c.node); else td.textContent = tag ? String(c) : text(c);
    if (c && typeof c === 'object' && c.cls) td.className = c.cls;
    tr.appendChild(td);
  }
  return tr;
}
function fill(table, head, rows) {
  table.replaceChildren(row(head, 'th'), ...rows.map((r) => row(r)));
}
async function get(path) {
  const r = await fetch(path, { headers: { authorization: 'Bearer ' + sessionStorage.getItem(KEY) } });
  if (r.status === 401 || r.status === 429) throw Object.assign(new Error('token refused'), { auth: true });
  const body = await r.json();
  return { status: r.status, body };
}
function ask(message) {
  $('main').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('token').focus();
}
function showNode(n) {
  const addrs = n.addresses.map((a) => a.address + ' (' + a.iface + ')').join(', ');
  fill($('node-table'), ['', ''], [
    ['Host', n.hostname], ['Node ID', n.nodeId], ['Model', n.model], ['Serial', n.serial],
    ['State', { node: document.createTextNode(n.state + (n.step ? ' — ' + n.step : '')), cls: 'state' }],
    ['Role', n.role], ['Cluster', n.clusterId], ['Addresses', addrs],
    ['Uptime', Math.round(n.uptimeSeconds) + ' s'], ['nucmesh', n.versions.nucmesh], ['k3s', n.versions.k3s],
    ['Kernel', n.versions.kernel], ['OS', n.versions.os],
  ]);
  if (n.detail) $('node-table').appendChild(row(['Detail', { node: document.createTextNode(n.detail), cls: 'error' }]));
}
function showBoot(b) {
  const max = Math.max(1, ...b.steps.map((s) => s.durationMs || 0));
  fill($('boot-table'), ['Step', 'Status', 'Duration', ''], b.steps.map((s) => {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.style.width = Math.round(((s.durationMs || 0) / max) * 100) + '%';
    const status = s.status + (s.error ? ': ' + s.error.code + ' ' + s.error.message : s.reason ? ' (' + s.reason + ')' : '');
    return [s.name, { node: document.createTextNode(status), cls: s.status }, s.durationMs !== undefined ? s.durationMs + ' ms' : '', { node: bar }];
  }));
}
function showPeers(p) {
  if (!p.discovering) { $('peers-table').replaceChildren(row(['discovery is not running yet'])); return; }
  fill($('peers-table'), ['Instance', 'Node ID', 'State', 'Cluster', 'Addresses'],
    p.peers.map((x) => [x.instance, x.nodeId, x.state, x.clusterId, x.addresses.join(', ')]));
  if (p.peers.length === 0) $('peers-table').appendChild(row(['no peers seen']));
}
function showCluster(c) {
  const body = $('cluster-body');
  if (c.status !== 200) { body.textContent = c.body.message; body.className = 'muted'; return; }
  const t = document.createElement('table');
  fill(t, ['Node', 'Roles', 'Ready', 'Version'], c.body.nodes.map((n) => [n.name, n.roles.join(','), n.ready ? 'yes' : 'no', n.kubeletVersion]));
  const p = document.createElement('p');
  p.textContent = 'Cluster ' + c.body.clusterId + ', etcd members: ' + c.body.etcdMembers;
  body.className = '';
  body.replaceChildren(p, t);
}
async function refresh() {
  if (!sessionStorage.getItem(KEY)) return ask();
  try {
    const [node, boot, peers, cluster] = await Promise.all(['/v1/node', '/v1/bootstrap', '/v1/peers', '/v1/cluster'].map(get));
    $('login').hidden = true;
    $('main').hidden = false;
    if (node.status === 200) showNode(node.body);
    if (boot.status === 200) showBoot(boot.body);
    if (peers.status === 200) showPeers(peers.body);
    showCluster(cluster);
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    document.body.dataset.loaded = 'true';
  } catch (e) {
    if (e.auth) { sessionStorage.removeItem(KEY); ask('The token was refused.'); }
    else $('updated').textContent = 'cannot reach the node: ' + e.message;
  }
}
$('login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $('token').value.trim());
  $('token').value = '';
  refresh();
});
refresh();
setInterval(() => { if (sessionStorage.getItem(KEY)) refresh(); }, 5000);
</script>
</body>
</html>
`;
