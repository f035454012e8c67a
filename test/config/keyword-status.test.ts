// docs/config.md's keyword list is generated from the keyword tables: it cannot say a keyword is
// supported while `check` refuses it. UPDATE_DOCS=1 rewrites the block instead of failing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { keywordMarkdown, keywordRows } from '../../src/config/keyword-status.ts';
import { compile } from './compile.ts';

const DOC = fileURLToPath(new URL('../../docs/config.md', import.meta.url));
const BEGIN = '<!-- keywords:begin -->\n';
const END = '<!-- keywords:end -->';

test('docs/config.md lists every keyword as handoff treats it', () => {
  const doc = readFileSync(DOC, 'utf8');
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  assert.ok(start !== -1 && end > start, 'docs/config.md has the keywords:begin/end markers');
  const generated = keywordMarkdown();
  const current = doc.slice(start + BEGIN.length, end);
  if (process.env.UPDATE_DOCS === '1' && current !== generated) {
    writeFileSync(DOC, doc.slice(0, start + BEGIN.length) + generated + doc.slice(end));
    return;
  }
  assert.equal(current, generated, 'the keyword list in docs/config.md is stale: run UPDATE_DOCS=1 node --test test/config/keyword-status.test.ts');
});

test('every keyword the list calls refused is refused by check, and every warned one only warned', () => {
  const HEAD = 'defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n';
  for (const r of keywordRows()) {
    if (r.where !== 'proxy' || (r.status !== 'refused' && r.status !== 'warned')) continue;
    // One argument is enough to reach the keyword's decision for the keywords listed here.
    const built = compile(`${HEAD}backend b\n    ${r.name} x\n    server s 127.0.0.1:9\n`);
    const mine = built.diagnostics.filter((d) => d.line === 7);
    const severities = new Set(mine.map((d) => d.severity));
    if (r.status === 'refused') assert.ok(severities.has('error'), `'${r.name}' is listed as refused but check says: ${JSON.stringify(mine)}`);
    else assert.ok(!severities.has('error'), `'${r.name}' is listed as a warning but check refuses it: ${JSON.stringify(mine)}`);
  }
});
