// The master's map/ACL store on a loaded configuration with a fake broadcast: numbering and
// naming (#ID, absolute or relative path), every holder of a file changed together, checks in
// HAProxy's words, entry identifiers, and compiled worker lookups that follow the change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import type { Config, Converter } from '../../src/config/model.ts';
import type { MasterToWorker } from '../../src/ipc/messages.ts';
import { createPatternStore } from '../../src/master/admin-maps.ts';
import { applyRefEntries, patternRefs } from '../../src/config/pattern-refs.ts';
import { compileConverter } from '../../src/worker/converters.ts';
import type { SampleContext } from '../../src/worker/sample.ts';

async function setup(): Promise<{ dir: string; config: Config; sent: MasterToWorker[]; store: ReturnType<typeof createPatternStore> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-maps-unit-'));
  fs.writeFileSync(path.join(dir, 'hosts.map'), 'a.example app\nb.example other\n');
  fs.writeFileSync(path.join(dir, 'ports.map'), '80 1\n443 2\n');
  fs.writeFileSync(path.join(dir, 'nets.lst'), '10.0.0.0/8\n');
  fs.writeFileSync(
    path.join(dir, 'h.cfg'),
    `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend web
    bind 127.0.0.1:8080
    acl inside src -f nets.lst
    acl known req.hdr(host) -M -f hosts.map
    http-request deny if inside !known
    http-request set-header x-n %[dst_port,map_int_int(ports.map,0)]
    use_backend %[req.hdr(host),lower,map(hosts.map,app)] if inside
    default_backend app
backend app
    server s1 127.0.0.1:9001
backend other
    server s1 127.0.0.1:9002
`,
  );
  const r = await loadConfig(path.join(dir, 'h.cfg'));
  assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
  const config = r.config as Config;
  const sent: MasterToWorker[] = [];
  const store = createPatternStore({ current: () => ({ generation: 3, config }), broadcast: (m) => sent.push(m) });
  return { dir, config, sent, store };
}

function mapConverters(config: Config): Converter[] {
  const out: Converter[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    if (typeof o.name === 'string' && Array.isArray(o.args) && typeof o.map === 'object') out.push(o as unknown as Converter);
    for (const x of Object.values(o)) visit(x);
  };
  visit(config.frontends);
  return out;
}

test('refs are numbered by the line that first uses them; a file used by an ACL (-M) and a map is one ref listed by both', async () => {
  const { dir, store, config } = await setup();
  const refs = patternRefs(config);
  assert.deepEqual(refs.map((r) => [r.id, path.basename(r.path), r.map, r.acl]), [
    [0, 'nets.lst', false, true],
    [1, 'hosts.map', true, true],
    [2, 'ports.map', true, false],
  ]);
  assert.deepEqual(store.patternRefs('map').map((r) => [r.id, r.entries]), [[1, 2], [2, 2]]);
  const hosts = store.patternRefs('map')[0]?.description ?? '';
  assert.match(hosts, new RegExp(`^pattern loaded from file '${path.join(dir, 'hosts.map')}' used by map at file '.*h.cfg' line 12, by acl at file '.*h.cfg' line 9$`));
  assert.deepEqual(store.patternRefs('acl').map((r) => r.id), [0, 1]);
  // By #ID, absolute path, or relative to the configuration's directory.
  assert.deepEqual(store.patternEntries('map', '#1'), store.patternEntries('map', 'hosts.map'));
  assert.deepEqual(store.patternEntries('map', path.join(dir, 'hosts.map')), store.patternEntries('map', '#1'));
  assert.equal(store.patternEntries('map', '#0'), 'Unknown map identifier. Please use #<id> or <file>.');
  assert.equal(store.patternEntries('acl', '#2'), 'Unknown ACL identifier. Please use #<id> or <file>.');
});

test('a change reaches every holder of the file, is broadcast for the generation, and compiled lookups follow it', async () => {
  const { config, sent, store } = await setup();
  const [hostsMap, portsMap] = mapConverters(config);
  const lookup = compileConverter(hostsMap as Converter);
  const ctx = {} as SampleContext;
  assert.equal(lookup('c.example', ctx), 'app', 'the default before');
  assert.equal(store.changePatterns('map', '#1', { op: 'add', key: 'c.example', value: 'other' }), null);
  assert.equal(lookup('c.example', ctx), 'other');
  assert.deepEqual(sent.at(-1), { type: 'pattern-ref', generation: 3, path: (hostsMap as Converter).map?.path, entries: [['a.example', 'app'], ['b.example', 'other'], ['c.example', 'other']] });
  // The -M ACL of the same file got the key too.
  const aclFile = patternRefs(config).find((r) => r.id === 1)?.holders.find((h) => 'patterns' in h);
  assert.deepEqual(aclFile && 'patterns' in aclFile ? aclFile.patterns.map((p) => p.text) : [], ['a.example', 'b.example', 'c.example']);
  // Integer maps check keys and values as their converter reads them.
  assert.equal(store.changePatterns('map', '#2', { op: 'add', key: '8080', value: 'x' }), "'x' is not a valid integer.");
  assert.equal(store.changePatterns('map', '#2', { op: 'set', key: '80', value: '7' }), null);
  assert.equal(compileConverter(portsMap as Converter)(80, ctx), 7);
  assert.equal(store.changePatterns('acl', '#0', { op: 'add', key: 'nope' }), "'nope' is not a valid IPv4 or IPv6 address.");
});

test('entries keep their identifiers; #0x… names one entry for set and del; del removes every entry of a key', async () => {
  const { store } = await setup();
  store.changePatterns('map', '#1', { op: 'add', key: 'a.example', value: 'second' });
  const entries = store.patternEntries('map', '#1');
  assert.ok(Array.isArray(entries));
  assert.deepEqual(entries.map((e) => e.key), ['a.example', 'b.example', 'a.example']);
  assert.equal(new Set(entries.map((e) => e.ref)).size, 3);
  assert.equal(store.changePatterns('map', '#1', { op: 'set', key: `#${entries[2]?.ref}`, value: 'third' }), null);
  assert.deepEqual((store.patternEntries('map', '#1') as typeof entries).map((e) => [e.ref, e.value]), [
    [entries[0]?.ref, 'app'],
    [entries[1]?.ref, 'other'],
    [entries[2]?.ref, 'third'],
  ]);
  assert.deepEqual(store.patternLookup('map', '#1', 'a.example'), { match: 'str', ignoreCase: false, idx: 'tree', output: 'str', entry: { key: 'a.example', value: 'app' } });
  assert.equal(store.changePatterns('map', '#1', { op: 'del', key: 'a.example' }), null);
  assert.deepEqual((store.patternEntries('map', '#1') as typeof entries).map((e) => e.key), ['b.example']);
  assert.equal(store.changePatterns('map', '#1', { op: 'del', key: 'a.example' }), 'Key not found.');
  assert.equal(store.changePatterns('map', '#1', { op: 'set', key: 'zz', value: 'v' }), 'entry not found.');
  assert.equal(store.changePatterns('map', '#1', { op: 'clear' }), null);
  assert.deepEqual(store.patternEntries('map', '#1'), []);
});

test('a worker applies the broadcast entries to its own copy of the configuration', async () => {
  const { config, sent, store } = await setup();
  const copy = structuredClone(config);
  const lookup = compileConverter(mapConverters(copy)[0] as Converter);
  store.changePatterns('map', 'hosts.map', { op: 'set', key: 'a.example', value: 'other' });
  const msg = sent.at(-1);
  assert.equal(msg?.type, 'pattern-ref');
  if (msg?.type !== 'pattern-ref') return;
  assert.equal(lookup('a.example', {} as SampleContext), 'app', 'not yet: the copy is the worker\'s');
  assert.equal(applyRefEntries(copy, msg.path, msg.entries), true);
  assert.equal(lookup('a.example', {} as SampleContext), 'other');
  assert.equal(applyRefEntries(copy, '/no/such.map', []), false);
});
