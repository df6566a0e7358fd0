// Unit tests of the Node.js runtime client's pieces: `node --test runtimes/nodejs/`.
// The end-to-end behaviour is tested from crates/lamina-runtime-api/tests/node_runtime.rs.
'use strict';

const test = require('node:test');
const assert = require('node:assert');
const { RuntimeClient, headerSafe, toRapidResponse } = require('./bootstrap.js');

/** Feeds `chunks` to a client's parser one by one; returns the parsed answer. */
function parse(chunks) {
  const client = new RuntimeClient('127.0.0.1:9001');
  let answer = null;
  client.waiter = { resolve: (a) => (answer = a), reject: (e) => assert.fail(e) };
  for (const c of chunks) {
    assert.strictEqual(answer, null, 'answered before all bytes arrived');
    client.buffer = Buffer.concat([client.buffer, Buffer.from(c, 'latin1')]);
    client.tryParse();
  }
  return { answer, client };
}

test('content-length answer split across reads', () => {
  const { answer } = parse([
    'HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nContent-Le',
    'ngth: 5\r\n\r\nhel',
    'lo',
  ]);
  assert.strictEqual(answer.status, 200);
  assert.strictEqual(answer.headers['lambda-runtime-aws-request-id'], 'abc');
  assert.strictEqual(answer.body.toString(), 'hello');
});

test('chunked answer with and without trailers', () => {
  const plain = parse(['HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n', '\r\n']);
  assert.strictEqual(plain.answer.body.toString(), 'abcde');
  assert.strictEqual(plain.client.buffer.length, 0);
  const trailed = parse(['HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\n', '\r\n']);
  assert.strictEqual(trailed.answer.body.toString(), 'x');
  assert.strictEqual(trailed.client.buffer.length, 0);
});

test('empty body and status codes', () => {
  const { answer } = parse(['HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n']);
  assert.strictEqual(answer.status, 403);
  assert.strictEqual(answer.body.length, 0);
});

test('header values stay printable ASCII on one line', () => {
  assert.strictEqual(headerSafe('Runtime.X\r\nEvil: 1'), 'Runtime.X??Evil: 1');
  assert.strictEqual(headerSafe('Ärger'), '?rger');
});

test('error bodies have Lambda Node shape', () => {
  const e = new TypeError('bad');
  const r = toRapidResponse(e);
  assert.deepStrictEqual(Object.keys(r), ['errorType', 'errorMessage', 'trace']);
  assert.strictEqual(r.errorType, 'TypeError');
  assert.strictEqual(r.trace[0], 'TypeError: bad');
  assert.deepStrictEqual(toRapidResponse('plain'), { errorType: 'string', errorMessage: 'plain', trace: [] });
});
