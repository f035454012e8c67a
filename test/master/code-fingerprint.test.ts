import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { codeFingerprint } from '../../src/master/code-fingerprint.ts';

test('the code fingerprint changes when a source file changes, and only then', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handoff-fp-'));
  fs.mkdirSync(path.join(dir, 'worker'));
  const file = path.join(dir, 'worker', 'a.ts');
  fs.writeFileSync(file, 'export const a = 1;\n');
  fs.writeFileSync(path.join(dir, 'notes.md'), 'not code');
  const first = codeFingerprint(dir);
  assert.equal(codeFingerprint(dir), first, 'stable');
  fs.writeFileSync(path.join(dir, 'notes.md'), 'still not code');
  assert.equal(codeFingerprint(dir), first, 'non-code files do not count');
  fs.writeFileSync(file, 'export const a = 2;\n');
  fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
  assert.notEqual(codeFingerprint(dir), first);
});
