import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startBackends } from '../../src/demo/backend.ts';
import { parsePorts } from '../../src/cli/backend.ts';

const BIN = fileURLToPath(new URL('../../bin/handoff.js', import.meta.url));

async function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

test('several ports in one process, each with its own request count', async () => {
  const lines: string[] = [];
  const b = await startBackends({ host: '127.0.0.1', ports: [0, 0, 0], log: (l) => lines.push(l) });
  try {
    assert.equal(b.endpoints.length, 3);
    const [a, c] = [b.endpoints[0]!.port, b.endpoints[2]!.port];
    await get(a);
    await get(a);
    const third = await get(a);
    const other = await get(c);
    assert.equal(third.status, 200);
    assert.match(third.body, /requestcount: 3\n/);
    assert.match(third.body, new RegExp(`endpoint: 127\\.0\\.0\\.1:${a}\\n`));
    assert.match(other.body, /requestcount: 1\n/);
    assert.deepEqual(lines, [
      `served request: 1 on port ${a}`,
      `served request: 2 on port ${a}`,
      `served request: 3 on port ${a}`,
      `served request: 1 on port ${c}`,
    ]);
  } finally {
    await b.close();
  }
});

test('body is the request headers as JSON, then endpoint, count and the echo param', async () => {
  const b = await startBackends({ host: '127.0.0.1', ports: [0] });
  try {
    const port = b.endpoints[0]!.port;
    const res = await fetch(`http://127.0.0.1:${port}/?echo=hello`, { headers: { 'x-probe': 'yes' } });
    assert.equal(res.headers.get('content-type'), 'text/plain');
    const [json, ...rest] = (await res.text()).split('\n');
    assert.equal(JSON.parse(json!)['x-probe'], 'yes');
    assert.deepEqual(rest, [`endpoint: 127.0.0.1:${port}`, 'requestcount: 1', 'echo: hello', '']);
    assert.match((await get(port)).body, /echo: undefined\n$/);
  } finally {
    await b.close();
  }
});

test('--delay holds the answer, --body-size fixes the length, --fail-rate answers 500 evenly', async () => {
  const b = await startBackends({ host: '127.0.0.1', ports: [0, 0, 0], delayMs: 150, bodySize: 1000, failRate: 0.5 });
  try {
    const [d, s] = [b.endpoints[0]!.port, b.endpoints[1]!.port];
    const t0 = performance.now();
    await get(d);
    assert.ok(performance.now() - t0 >= 140, 'answer came before the delay');
    const sized = await get(s);
    assert.equal(Buffer.byteLength(sized.body), 1000);
    const f = b.endpoints[2]!.port;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(f)).status);
    assert.deepEqual(statuses, [200, 500, 200, 500]);
  } finally {
    await b.close();
  }
});

test('a port already in use is a clear error and nothing stays bound', async () => {
  const first = await startBackends({ host: '127.0.0.1', ports: [0] });
  try {
    const busy = first.endpoints[0]!.port;
    await assert.rejects(startBackends({ host: '127.0.0.1', ports: [0, busy] }), /port \d+ on 127\.0\.0\.1 is already in use/);
  } finally {
    await first.close();
  }
});

test('port arguments: single ports and ranges; bad ones are usage errors', () => {
  assert.deepEqual(parsePorts(['9000-9002', '8080']), [9000, 9001, 9002, 8080]);
  assert.throws(() => parsePorts(['abc']), /not a port or a port range/);
  assert.throws(() => parsePorts(['70000']), /0 to 65535/);
  assert.throws(() => parsePorts(['9002-9000']), /ends before it starts/);
  assert.throws(() => parsePorts(['9000', '9000']), /given twice/);
});

test('the CLI prints listening lines, serves, and exits 0 on SIGTERM; bad ports exit 2', async () => {
  const child = spawn(process.execPath, [BIN, 'backend', '0', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const ports = await new Promise<number[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening lines: ${out}`)), 10_000);
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const found = [...out.matchAll(/listening on 127\.0\.0\.1:(\d+)\n/g)].map((m) => Number(m[1]));
      if (found.length === 2) {
        clearTimeout(timer);
        resolve(found);
      }
    });
  });
  const res = await get(ports[1]!, '/?echo=cli');
  assert.match(res.body, /requestcount: 1\necho: cli\n/);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(out, new RegExp(`served request: 1 on port ${ports[1]}`));

  const bad = spawn(process.execPath, [BIN, 'backend', '9000-x'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  bad.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => bad.on('exit', (c) => resolve(c)));
  assert.equal(code, 2);
  assert.match(err, /not a port or a port range/);
});
