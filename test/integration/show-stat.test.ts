// `show stat` on the real binary: HAProxy 2.6's CSV (header byte for byte, rows in its order, ids),
// counters current when read (no sleep after the traffic), the typed and JSON formats and the
// filters, `clear counters`, and the Debian haproxy exporter reading handoff as it reads HAProxy.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort, startBackends, startHandoff, stopAll, tempDir, until, type Backends, type Handoff } from '../helpers/proxy.ts';

const has = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
const HAPROXY = has('haproxy');
const EXPORTER = has('prometheus-haproxy-exporter');

function config(o: { sock: string; port: number; listen: number; backend: number; dead: number }): string {
  return `global
    maxconn 1000
    stats socket ${o.sock} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:${o.port}
    http-request deny if { path /deny }
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:${o.backend} check inter 1s
    server s2 127.0.0.1:${o.backend}
    server s3 127.0.0.1:${o.dead} backup
listen st
    bind 127.0.0.1:${o.listen}
    stats enable
    stats uri /stats
    server s4 127.0.0.1:${o.backend} maxconn 5
`;
}

interface Side {
  port: number;
  listen: number;
  sock: string;
}

let dir: string;
let backends: Backends;
let h: Handoff;
let ours: Side;
/** A port nothing listens on (the backup server's), the same for handoff and HAProxy. */
let dead: number;

before(async () => {
  dir = tempDir('handoff-show-stat-');
  backends = await startBackends(1);
  ours = { port: await freePort(), listen: await freePort(), sock: path.join(dir, 'handoff-admin.sock') };
  dead = await freePort();
  h = await startHandoff(dir, config({ ...ours, backend: backends.ports[0] as number, dead }), ['--workers', '2']);
});

after(async () => {
  await stopAll([h, backends]);
});

function get(port: number, p = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: p, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** One command on a stats socket, HAProxy's way: the whole answer until the server closes. */
function socketCommand(sock: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(sock);
    let out = '';
    const timer = setTimeout(() => c.destroy(new Error(`no answer to ${line}`)), 10_000);
    c.setEncoding('utf8');
    c.on('connect', () => c.write(`${line}\n`));
    c.on('data', (d: string) => (out += d));
    c.on('error', reject);
    c.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

type Table = { cols: string[]; rows: Map<string, string[]> };

function parseCsv(text: string): Table {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('\0'));
  const cols = (lines[0] ?? '').replace(/^# /, '').split(',');
  return { cols, rows: new Map(lines.slice(1).map((l) => { const c = l.split(','); return [`${c[0]}/${c[1]}`, c]; })) };
}

const cell = (t: Table, row: string, col: string): string => t.rows.get(row)?.[t.cols.indexOf(col)] ?? `(no ${row} ${col})`;

async function showStat(command = 'show stat'): Promise<string> {
  const r = await h.ctl(command);
  assert.ok(r.ok, r.output);
  return r.output;
}

async function startHaproxy(backend: number, dead: number): Promise<{ side: Side; proc: ChildProcess }> {
  const side = { port: await freePort(), listen: await freePort(), sock: path.join(dir, `haproxy-${Date.now()}.sock`) };
  const cfg = path.join(dir, `haproxy-${Date.now()}.cfg`);
  fs.writeFileSync(cfg, config({ ...side, backend, dead }));
  const proc = spawn('haproxy', ['-db', '-f', cfg], { stdio: 'ignore' });
  await until('haproxy stats socket', () => fs.existsSync(side.sock), 10_000);
  return { side, proc };
}

async function traffic(port: number, n: number): Promise<void> {
  for (let i = 0; i < n; i++) assert.equal((await get(port)).status, 200);
}

test('show stat right after N requests shows N on the frontend, the backend and the server rows (no waiting for a report)', { timeout: 30_000 }, async () => {
  const before = parseCsv(await showStat());
  const n = 30;
  await traffic(ours.port, n);
  const now = parseCsv(await showStat());
  const delta = (row: string, col: string): number => Number(cell(now, row, col)) - Number(cell(before, row, col));
  for (const col of ['req_tot', 'stot', 'hrsp_2xx']) {
    assert.equal(delta('fe/FRONTEND', col), n, `frontend ${col}`);
    assert.equal(delta('be/BACKEND', col), n, `backend ${col}`);
    assert.equal(delta('be/s1', col) + delta('be/s2', col), n, `servers ${col}`);
  }
  assert.equal(delta('be/s1', 'lbtot') + delta('be/s2', 'lbtot'), n, 'lbtot');
  // Kept-alive server connections: reused, and waiting idle now that every request is answered.
  assert.ok(delta('be/BACKEND', 'reuse') > 0 && delta('be/BACKEND', 'connect') + delta('be/BACKEND', 'reuse') >= n, 'connect + reuse');
  const sum = (col: string): number => Number(cell(now, 'be/s1', col)) + Number(cell(now, 'be/s2', col));
  assert.ok(sum('srv_icur') >= 1 && sum('srv_icur') === sum('safe_conn_cur'), 'idle connections');
  assert.equal(sum('used_conn_cur'), 0);
});

test('show stat: every HAProxy 2.6 column in its order with its trailing comma, rows per proxy in declaration order, ids, types and limits', { timeout: 30_000 }, async () => {
  const text = await showStat();
  const lines = text.split('\n');
  assert.match(lines[0] as string, /^# pxname,svname,qcur,qmax,scur,smax,slim,stot,.*,agg_check_status,-,ssl_sess,.*,h1_spliced_bytes_out,$/);
  const t = parseCsv(text);
  assert.deepEqual([...t.rows.keys()], ['fe/FRONTEND', 'be/s1', 'be/s2', 'be/s3', 'be/BACKEND', 'st/FRONTEND', 'st/s4', 'st/BACKEND']);
  for (const l of lines.slice(1).filter((x) => x !== '')) assert.equal(l.split(',').length, t.cols.length, `a cell per column: ${l}`);
  // iid: HAProxy's stats socket takes id 1; sid: servers from 1; type: 0 frontend, 1 backend, 2 server.
  assert.deepEqual([...t.rows.keys()].map((k) => `${cell(t, k, 'iid')}.${cell(t, k, 'sid')}.${cell(t, k, 'type')}`), ['2.0.0', '3.1.2', '3.2.2', '3.3.2', '3.0.1', '4.0.0', '4.1.2', '4.0.1']);
  assert.equal(cell(t, 'fe/FRONTEND', 'slim'), '1000');
  assert.equal(cell(t, 'be/BACKEND', 'slim'), '100', 'fullconn: a tenth of the frontends’ maxconn');
  assert.equal(cell(t, 'st/s4', 'slim'), '5');
  assert.equal(cell(t, 'be/s2', 'status'), 'no check');
  assert.equal(cell(t, 'be/s3', 'bck'), '1');
  assert.equal(cell(t, 'be/BACKEND', 'algo'), 'roundrobin');
  assert.equal(cell(t, 'be/s1', 'check_rise'), '2');
  assert.equal(cell(t, 'be/s1', 'check_desc'), 'Layer4 check passed');
  assert.equal(cell(t, 'be/s1', 'check_status').replace(/^\* /, ''), 'L4OK');
  assert.equal(cell(t, 'fe/FRONTEND', '-'), '-');
  assert.equal((await get(ours.port, '/deny')).status, 403);
  assert.equal(Number(cell(parseCsv(await showStat()), 'fe/FRONTEND', 'dreq')), 1, 'dreq counts the denied request');
});

test('show stat header is byte for byte HAProxy 2.6’s for the same configuration, with the same rows and ids', { timeout: 30_000, skip: HAPROXY ? false : 'haproxy not installed' }, async () => {
  const { side, proc } = await startHaproxy(backends.ports[0] as number, dead);
  try {
    const theirs = await socketCommand(side.sock, 'show stat');
    const mine = await socketCommand(ours.sock, 'show stat');
    assert.equal(mine.split('\n')[0], theirs.split('\n')[0]);
    const [a, b] = [parseCsv(theirs), parseCsv(mine)];
    assert.deepEqual([...b.rows.keys()], [...a.rows.keys()]);
    for (const k of a.rows.keys()) for (const col of ['iid', 'sid', 'type', 'pid', 'slim', 'mode', 'algo', 'addr', 'act', 'bck', 'weight', 'uweight']) assert.equal(cell(b, k, col), cell(a, k, col), `${k} ${col}`);
    // Every field handoff gives a value, HAProxy gives one too, at the same position with the same tags and type.
    const shapes = (typed: string): Set<string> => new Set(typed.split('\n').filter((l) => l !== '').map((l) => l.split(':').slice(0, 3).join(':').replace(/^([FBS])\.\d+\.\d+\./, '$1.')));
    const theirShapes = shapes(await socketCommand(side.sock, 'show stat typed'));
    const extra = [...shapes(await socketCommand(ours.sock, 'show stat typed'))].filter((x) => !theirShapes.has(x));
    assert.deepEqual(extra, []);
  } finally {
    proc.kill('SIGKILL');
  }
});

test('show stat typed and json in HAProxy’s shapes; the {proxy} {type} {sid} filter; No such proxy.', { timeout: 30_000 }, async () => {
  const typed = (await showStat('show stat be 4 -1 typed')).split('\n').filter((l) => l !== '');
  assert.ok(typed.every((l) => /^S\.3\.[123]\.\d+\.[a-z0-9_]+\.1:[A-Za-z]{3}:(str|u32|s32|u64):/.test(l)), typed.join('\n'));
  assert.ok(typed.includes('S.3.1.1.svname.1:KNS:str:s1'));
  assert.ok(typed.includes('S.3.2.73.addr.1:CGS:str:' + `127.0.0.1:${backends.ports[0]}`));
  assert.match((await showStat('show stat typed desc')).split('\n')[0] as string, /^F\.2\.0\.0\.pxname\.1:KNS:str:fe:"Proxy name"$/);
  const json = JSON.parse(await showStat('show stat -1 2 -1 json')) as { objType: string; proxyId: number; id: number; field: { pos: number; name: string }; processNum: number; tags: Record<string, string>; value: { type: string; value: string | number } }[][];
  assert.deepEqual(json.map((r) => `${r[0]?.objType}:${r[0]?.proxyId}`), ['Backend:3', 'Backend:4']);
  const algo = json[0]?.find((f) => f.field.name === 'algo');
  assert.deepEqual(algo, { objType: 'Backend', proxyId: 3, id: 0, field: { pos: 76, name: 'algo' }, processNum: 1, tags: { origin: 'Config', nature: 'Gauge', scope: 'Service' }, value: { type: 'str', value: 'roundrobin' } });
  assert.equal(typeof json[0]?.find((f) => f.field.name === 'stot')?.value.value, 'number');
  assert.deepEqual([...parseCsv(await showStat('show stat 4 -1 -1')).rows.keys()], ['st/FRONTEND', 'st/s4', 'st/BACKEND']);
  assert.deepEqual([...parseCsv(await showStat('show stat be 4 2')).rows.keys()], ['be/s2']);
  assert.deepEqual([...parseCsv(await showStat('show stat -1 1 -1')).rows.keys()], ['fe/FRONTEND', 'st/FRONTEND']);
  // `up` (the page's `;up`) hides servers DOWN (and not going up) or in maintenance; `no-maint` those in maintenance.
  assert.ok((await h.ctl('disable server be/s2')).ok);
  assert.deepEqual([...parseCsv(await showStat('show stat be 4 -1 up')).rows.keys()], ['be/s1', 'be/s3']);
  assert.deepEqual([...parseCsv(await showStat('show stat no-maint')).rows.keys()].filter((k) => k.startsWith('be/')), ['be/s1', 'be/s3', 'be/BACKEND']);
  assert.deepEqual([...parseCsv((await get(ours.listen, '/stats;csv;up')).body).rows.keys()].filter((k) => k.startsWith('be/')), ['be/s1', 'be/s3', 'be/BACKEND']);
  assert.ok((await h.ctl('enable server be/s2')).ok);
  const none = await h.ctl('show stat nope -1 -1');
  assert.equal(none.output, 'No such proxy.\n');
});

test('a frontend is PAUSED after disable frontend, OPEN again after enable frontend (HAProxy 2.6’s words)', { timeout: 30_000 }, async () => {
  assert.ok((await h.ctl('disable frontend fe')).ok);
  assert.equal(cell(parseCsv(await showStat()), 'fe/FRONTEND', 'status'), 'PAUSED');
  assert.ok((await h.ctl('enable frontend fe')).ok);
  assert.equal(cell(parseCsv(await showStat()), 'fe/FRONTEND', 'status'), 'OPEN');
});

test('clear counters restarts the maxima; clear counters all every counter', { timeout: 30_000 }, async () => {
  await traffic(ours.port, 3);
  const t0 = parseCsv(await showStat());
  assert.ok(Number(cell(t0, 'fe/FRONTEND', 'smax')) >= 1 && Number(cell(t0, 'fe/FRONTEND', 'req_tot')) >= 3);
  assert.ok((await h.ctl('clear counters')).ok);
  const t1 = parseCsv(await showStat());
  assert.equal(cell(t1, 'fe/FRONTEND', 'smax'), '0');
  assert.equal(cell(t1, 'fe/FRONTEND', 'req_tot'), cell(t0, 'fe/FRONTEND', 'req_tot'));
  assert.ok((await h.ctl('clear counters all')).ok);
  const t2 = parseCsv(await showStat());
  for (const row of ['fe/FRONTEND', 'be/BACKEND', 'be/s1']) assert.equal(cell(t2, row, 'req_tot'), '0', row);
  await traffic(ours.port, 2);
  assert.equal(cell(parseCsv(await showStat()), 'fe/FRONTEND', 'req_tot'), '2');
});

test('the stats page’s ;csv is show stat’s text; ;json is HAProxy’s JSON', { timeout: 30_000 }, async () => {
  const page = await get(ours.listen, '/stats;csv');
  const cli = await showStat();
  assert.equal(page.body.split('\n')[0], cli.split('\n')[0]);
  assert.deepEqual([...parseCsv(page.body).rows.keys()], [...parseCsv(cli).rows.keys()]);
  const row = (text: string): string => text.split('\n').find((l) => l.startsWith('be,s2,')) ?? '';
  // Without `stats show-legends` the page leaves addr out, as HAProxy's.
  assert.equal(row(page.body).split(',').slice(0, 20).join(','), row(cli).split(',').slice(0, 20).join(','));
  assert.equal(cell(parseCsv(page.body), 'be/s2', 'addr'), '');
  const json = JSON.parse((await get(ours.listen, '/stats;json')).body) as { field: { name: string } }[][];
  assert.equal(json.length, 8);
});

async function exporterSamples(uri: string): Promise<string[]> {
  const port = await freePort();
  const ex = spawn('prometheus-haproxy-exporter', [`--haproxy.scrape-uri=${uri}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  ex.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    let text = '';
    await until('exporter metrics', async () => {
      text = await get(port, '/metrics').then((r) => r.body, () => '');
      return /^haproxy_up 1$/m.test(text);
    }, 10_000, () => log);
    assert.doesNotMatch(log, /Can't (read|parse) CSV/, log);
    // Names with labels; `version_info`'s labels carry each program's own version.
    return text.split('\n').filter((l) => l.startsWith('haproxy_') && !l.startsWith('haproxy_version_info')).map((l) => l.slice(0, l.lastIndexOf(' '))).sort();
  } finally {
    ex.kill('SIGKILL');
  }
}

for (const via of ['the stats page ;csv', 'the stats socket'] as const) {
  test(`prometheus-haproxy-exporter reading ${via}: the same metrics and sample count for handoff as for HAProxy 2.6`, { timeout: 60_000, skip: HAPROXY && EXPORTER ? false : 'haproxy or prometheus-haproxy-exporter not installed' }, async () => {
    const { side, proc } = await startHaproxy(backends.ports[0] as number, dead);
    try {
      for (const s of [side, ours]) {
        await traffic(s.port, 5);
        assert.equal((await get(s.port, '/deny')).status, 403);
      }
      const uri = (s: Side): string => (via === 'the stats socket' ? `unix:${s.sock}` : `http://127.0.0.1:${s.listen}/stats;csv`);
      const theirs = await exporterSamples(uri(side));
      const mine = await exporterSamples(uri(ours));
      assert.ok(theirs.length > 100, `HAProxy gives ${theirs.length} samples`);
      assert.deepEqual(mine, theirs);
    } finally {
      proc.kill('SIGKILL');
    }
  });
}
