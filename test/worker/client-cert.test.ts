// The ssl_c_* DN helpers and the client-certificate verdict, without sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import { distinguishedName, refusal, verifyResult } from '../../src/worker/client-cert.ts';

const DN = 'C=FR\nO=Org\nOU=a\nOU=b\nCN=alice';

test('ssl_c_s_dn: whole DN, one entry, nth occurrence from either end, rfc2253', () => {
  assert.equal(distinguishedName(DN, undefined, 0, undefined), '/C=FR/O=Org/OU=a/OU=b/CN=alice');
  assert.equal(distinguishedName(DN, 'CN', 0, undefined), 'alice');
  assert.equal(distinguishedName(DN, 'OU', 2, undefined), 'b');
  assert.equal(distinguishedName(DN, 'OU', -1, undefined), 'b');
  assert.equal(distinguishedName(DN, 'OU', -2, undefined), 'a');
  assert.equal(distinguishedName(DN, 'L', 0, undefined), undefined);
  assert.equal(distinguishedName(DN, '', 0, 'rfc2253'), 'CN=alice,OU=b,OU=a,O=Org,C=FR');
});

function sock(cert: boolean, authorized: boolean, error?: string): TLSSocket {
  return { getPeerX509Certificate: () => (cert ? {} : undefined), authorized, authorizationError: error } as unknown as TLSSocket;
}

test('verify: required refuses no certificate; an invalid one is refused unless its id is ignored', () => {
  const required = { mode: 'required' as const };
  const optional = { mode: 'optional' as const };
  assert.equal(refusal(sock(false, false), required), 'no client certificate');
  assert.equal(refusal(sock(false, false), optional), undefined);
  assert.equal(refusal(sock(true, true), required), undefined);
  assert.match(refusal(sock(true, false, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), optional) ?? '', /verify error 21/);
  assert.equal(refusal(sock(true, false, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), { ...optional, crtIgnore: [21] }), undefined);
  assert.equal(refusal(sock(true, false, 'CERT_HAS_EXPIRED'), { ...required, caIgnore: 'all' }), undefined);
  assert.equal(verifyResult(sock(true, false, 'CERT_HAS_EXPIRED')), 10);
  assert.equal(verifyResult(sock(false, false)), 0);
});
