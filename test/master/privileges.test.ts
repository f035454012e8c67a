import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readableBy } from '../../src/master/privileges.ts';

test('readableBy follows mode bits on the file and every directory above it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-priv-'));
  const inner = path.join(dir, 'inner');
  fs.mkdirSync(inner);
  const file = path.join(inner, 'code.ts');
  fs.writeFileSync(file, 'x');
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(inner, 0o755);
  fs.chmodSync(file, 0o644);
  const nobody = 65534;
  assert.equal(readableBy(file, nobody, nobody), true);
  fs.chmodSync(file, 0o600);
  assert.equal(readableBy(file, nobody, nobody), false, 'file not readable by others');
  fs.chmodSync(file, 0o644);
  fs.chmodSync(inner, 0o700);
  assert.equal(readableBy(file, nobody, nobody), false, 'a directory on the way is not searchable');
  assert.equal(readableBy(file, 0, 0), true, 'root reads everything');
  assert.equal(readableBy(path.join(inner, 'missing.ts'), 0, 0), false);
});
