// The stats page through the real binary: HAProxy 2.6's layout, `stats admin if …` and its form
// applied by the master, refused without it; and the page rendered by headless Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, startBackends, startHandoff, stopAll, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';
import { serverState } from '../helpers/runtime-servers.ts';
import { startPeers } from '../helpers/peers.ts';
import { get } from '../worker/upstreams.ts';

const procs: (Handoff | Backends)[] = [];
after(() => stopAll(procs));

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

async function start(admin: string): Promise<{ h: Handoff; web: number; stats: number; backends: Backends }> {
  const backends = await startBackends(2);
  procs.push(backends);
  const web = await freePort();
  const stats = await freePort();
  const h = await startHandoff(
    tempDir('handoff-stats-page-'),
    `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend www
    bind 127.0.0.1:${web}
    default_backend app

listen stats
    bind 127.0.0.1:${stats}
    stats enable
    stats uri /stats
    stats refresh 10s
${admin}
backend app
    balance roundrobin
${backends.ports.map((p, i) => `    server s${i} 127.0.0.1:${p}`).join('\n')}
`,
    ['--workers', '1'],
  );
  procs.push(h);
  return { h, web, stats, backends };
}

/** The backend port each of `count` requests to the frontend reached. */
async function servedBy(port: number, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const r = await get(port, '/');
    out.push(Number(/endpoint: [\d.]+:(\d+)/.exec(r.body)?.[1]));
  }
  return out;
}

test('the page has every proxy, HAProxy columns and legend; a posted drain makes the server DRAIN and it takes no new request', async () => {
  const { h, web, stats, backends } = await start('    stats admin if TRUE\n');
  const page = await get(stats, '/stats');
  assert.equal(page.status, 200);
  assert.equal(page.headers.refresh, '10');
  for (const px of ['www', 'stats', 'app']) assert.match(page.body, new RegExp(`<a class=px href="#${px}">${px}</a>`));
  assert.match(page.body, /<th colspan=3>Queue<\/th><th colspan=3>Session rate<\/th><th colspan=6>Sessions<\/th><th colspan=2>Bytes<\/th><th colspan=2>Denied<\/th><th colspan=3>Errors<\/th><th colspan=2>Warnings<\/th><th colspan=9>Server<\/th>/);
  assert.match(page.body, /<th>Status<\/th><th>LastChk<\/th><th>Wght<\/th><th>Act<\/th><th>Bck<\/th><th>Chk<\/th><th>Dwn<\/th><th>Dwntme<\/th><th>Thrtle<\/th>/);
  assert.match(page.body, /<td class="active_draining"><\/td><td class="noborder" colspan="3">active or backup SOFT STOPPED for maintenance/);
  assert.match(page.body, /<td class="maintain"><\/td><td class="noborder" colspan="3">active or backup DOWN for maintenance \(MAINT\)/);
  assert.match(page.body, /<li><a href="\/stats;norefresh">Disable refresh<\/a>/);
  assert.match(page.body, /<input class='app-checkbox' type="checkbox" name="s" value="s1">/);
  assert.match(page.body, /<select name=action>.*<option value="drain">Set state to DRAIN<\/option>.*<input type="hidden" name="b" value="app">/);
  assert.match(page.body, /<tr class="frontend"><td><\/td><td class=ac><a name="www\/Frontend"><\/a>/);
  assert.doesNotMatch(page.body, /<link rel="stylesheet"|<script src=|<img /);

  const post = await get(stats, '/stats;norefresh', { method: 'POST', headers: FORM, body: 's=s1&action=drain&b=app' });
  assert.equal(post.status, 303);
  assert.equal(post.headers.location, '/stats;st=DONE;norefresh');
  assert.equal(serverState((await h.ctl('show servers state')).output, 'app/s1')?.admin, 'drain');
  const after = await get(stats, '/stats;st=DONE;norefresh');
  assert.match(after.body, /<div class=active_up><a class=lfsb href="\/stats;norefresh" title="Remove this message">\[X\]<\/a> Action processed successfully\.<\/div>/);
  assert.match(after.body, /<tr class="active_draining"><td><input class='app-checkbox' type="checkbox" name="s" value="s1">.*<td class=ac>\d+s DRAIN/);
  assert.equal(after.headers.refresh, undefined, ';norefresh: no Refresh header');
  // The master has broadcast the state: every new request goes to s0.
  const ports = await servedBy(web, 6);
  assert.deepEqual(ports, Array(6).fill(backends.ports[0]), `requests after the drain reached ${ports.join(' ')}`);

  const ready = await get(stats, '/stats', { method: 'POST', headers: FORM, body: 's=s1&action=ready&b=app' });
  assert.equal(ready.headers.location, '/stats;st=DONE');
  assert.equal(serverState((await h.ctl('show servers state')).output, 'app/s1')?.admin, 'ready');
});

test("the form's results are HAProxy's: PART for an unknown server, ERRP for an unknown backend or action, NONE with no server", async () => {
  const { stats } = await start('    stats admin if { src 127.0.0.1 }\n');
  const post = async (body: string): Promise<string | undefined> => (await get(stats, '/stats', { method: 'POST', headers: FORM, body })).headers.location;
  assert.equal(await post('s=s0&s=nosuch&action=maint&b=app'), '/stats;st=PART');
  assert.equal(await post('s=s0&action=maint&b=nosuch'), '/stats;st=ERRP');
  assert.equal(await post('s=s0&action=explode&b=app'), '/stats;st=ERRP');
  assert.equal(await post('action=ready&b=app'), '/stats;st=NONE');
  const page = await get(stats, '/stats;st=PART');
  assert.match(page.body, /Action partially processed\.<br>Some server names are probably unknown/);
  assert.match(page.body, /<tr class="maintain"><td><input class='app-checkbox' type="checkbox" name="s" value="s0">/);
  assert.match((await get(stats, '/stats;up')).body, /Show all servers/);
  assert.doesNotMatch((await get(stats, '/stats;up')).body, /value="s0"/, ';up hides the server in maintenance');
});

test('without stats admin the page has no form and a POST is refused with ;st=DENY', async () => {
  const { h, stats } = await start('');
  const page = await get(stats, '/stats');
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.body, /<form method="post">|type="checkbox"|<select name=action>/);
  const post = await get(stats, '/stats', { method: 'POST', headers: FORM, body: 's=s1&action=maint&b=app' });
  assert.equal(post.status, 303);
  assert.equal(post.headers.location, '/stats;st=DENY');
  assert.equal(serverState((await h.ctl('show servers state')).output, 'app/s1')?.admin, 'ready');
  assert.match((await get(stats, '/stats;st=DENY')).body, /<div class=active_down><a class=lfsb href="\/stats" title="Remove this message">\[X\]<\/a> <b>Action denied\.<\/b><\/div>/);
});

function chromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    if (spawnSync('sh', ['-c', `command -v ${name}`]).status === 0) return name;
  }
  return undefined;
}

function runChromium(bin: string, args: string[]): Promise<string> {
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1400,900'];
  return new Promise((resolve, reject) => {
    execFile(bin, [...base, ...args], { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

test('headless Chromium renders the page (a screenshot of some size) and the drained server row has the drain class', async (t) => {
  const bin = chromium();
  if (bin === undefined) return t.skip('chromium not installed: no headless browser to render the page');
  const { stats } = await start('    stats admin if TRUE\n    stats show-legends\n');
  await get(stats, '/stats', { method: 'POST', headers: FORM, body: 's=s1&action=drain&b=app' });
  const dir = tempDir('handoff-stats-shot-');
  const shot = path.join(dir, 'stats-page.png');
  await runChromium(bin, [`--screenshot=${shot}`, `http://127.0.0.1:${stats}/stats;st=DONE`]);
  const size = fs.statSync(shot).size;
  assert.ok(size > 20_000, `screenshot is only ${size} bytes`);
  assert.deepEqual([...fs.readFileSync(shot).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
  const dom = await runChromium(bin, ['--dump-dom', `http://127.0.0.1:${stats}/stats`]);
  assert.match(dom, /<tr class="active_draining"><td><input class="app-checkbox" type="checkbox" name="s" value="s1"><\/td>/);
  assert.match(dom, /<tr class="active_no_check"><td><input class="app-checkbox" type="checkbox" name="s" value="s0"><\/td>/);
  if (process.env.HANDOFF_STATS_SCREENSHOT !== undefined) fs.copyFileSync(shot, process.env.HANDOFF_STATS_SCREENSHOT);
});

/** The part of a page both proxies render alike: the column headers, the legend, the server rows' classes. */
function shape(html: string): { headers: string[]; legend: string; classes: string[] } {
  const headers = [...html.matchAll(/<tr class="titre"><th rowspan=2[^]*?<\/tr>\n<tr class="titre">[^]*?<\/tr>/g)].map((m) => m[0].replace(/\s+/g, ''));
  const legend = /<table class="lgd">[^]*?<\/table>/.exec(html)?.[0] ?? '';
  const classes = [...html.matchAll(/<tr class="([a-z_]+)"><td><input class='app-checkbox' type="checkbox" name="s" value="(\w+)">/g)].map((m) => `${m[2]}:${m[1]}`);
  return { headers, legend, classes };
}

test('side by side with HAProxy 2.6: same headers, legend, row classes and 303 results for the same posts', async (t) => {
  const backends = await startBackends(1);
  procs.push(backends);
  const refused = await freePort();
  const peers = await startPeers(
    tempDir('handoff-stats-peers-'),
    (port) => `defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend www
    bind 127.0.0.1:${port}
    stats enable
    stats uri /stats
    stats refresh 10s
    stats admin if TRUE
    default_backend app

backend app
    server s1 127.0.0.1:${backends.ports[0]}
    server s2 127.0.0.1:${refused} check inter 200 fall 1 rise 1
    server s3 127.0.0.1:${backends.ports[0]} disabled
`,
    'the side-by-side comparison is skipped',
  );
  t.after(() => peers.stop());
  if (peers.list.length < 2) return t.skip('haproxy not installed: nothing to compare with');
  const posts = ['s=s1&action=drain&b=app', 's=s1&s=nosuch&action=drain&b=app', 's=s1&action=drain&b=nosuch', 'action=drain&b=app', 's=s1&action=explode&b=app'];
  const seen: Record<string, unknown>[] = [];
  for (const peer of peers.list) {
    await until(`${peer.name}: s2 DOWN`, async () => /<tr class="active_down"><td><input class='app-checkbox' type="checkbox" name="s" value="s2">/.test((await get(peer.port, '/stats')).body), 10_000);
    const locations = [];
    for (const body of posts) locations.push((await get(peer.port, '/stats', { method: 'POST', headers: FORM, body })).headers.location);
    const denied = await get(peer.port, '/stats;up');
    const other = await get(peer.port, '/stats', { method: 'PUT' });
    seen.push({ ...shape((await get(peer.port, '/stats')).body), locations, upHides: !/value="s3"/.test(denied.body), put: other.status });
  }
  assert.deepEqual(seen[0], seen[1]);
  const h = seen[0] as { headers: string[]; legend: string; classes: string[]; locations: string[]; put: number };
  assert.deepEqual(h.classes, ['s1:active_draining', 's2:active_down', 's3:maintain']);
  assert.deepEqual(h.locations, ['/stats;st=DONE', '/stats;st=PART', '/stats;st=ERRP', '/stats;st=NONE', '/stats;st=ERRP']);
  assert.equal(h.headers.length, 2, 'a table for www and one for app');
  assert.ok(h.legend.length > 500, 'the legend was found');
  assert.equal(h.put, 503, 'a PUT to the stats URI goes on to the backend, whose servers are all drained, DOWN or in maintenance');
});
