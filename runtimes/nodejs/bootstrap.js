#!/usr/bin/env node
/**
 * Lamina's runtime interface client for Node.js functions (Node's standard library only).
 *
 * Mounted read-only at /var/runtime; the engine runs it as
 *     node /var/runtime/nodejs/bootstrap.js
 * with AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT and the other Lambda variables set.
 * It loads the handler named by _HANDLER (`[dir/]module.export[.nested]`, CommonJS or ES
 * module), then loops on the Runtime API: GET /next, call handler(event, context[, callback]),
 * POST /response or /error. Failures while loading are posted to /runtime/init/error and the
 * process exits with status 1.
 *
 * Wire shapes follow AWS's Node.js runtime: errors are {"errorType", "errorMessage",
 * "trace": [...]}, console lines are `<ISO time>\t<requestId>\t<LEVEL>\t<message>` with
 * inner newlines turned into \r so one call stays one log record.
 */

'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const url = require('url');
const util = require('util');

const RUNTIME_PREFIX = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

// ---------------------------------------------------------------------------------------
// Runtime.* errors, named as Lambda names them.
// ---------------------------------------------------------------------------------------

class ImportModuleError extends Error {}
class HandlerNotFound extends Error {}
class MalformedHandlerName extends Error {}
class UserCodeSyntaxError extends Error {}
class UnhandledPromiseRejection extends Error {}
for (const cls of [
  ImportModuleError,
  HandlerNotFound,
  MalformedHandlerName,
  UserCodeSyntaxError,
  UnhandledPromiseRejection,
]) {
  cls.prototype.name = `Runtime.${cls.name}`;
}

function isErrorLike(e) {
  return (
    e instanceof Error ||
    (e && typeof e.name === 'string' && typeof e.message === 'string' && typeof e.stack === 'string')
  );
}

/** The body posted to /error and /init/error. */
function toRapidResponse(error) {
  try {
    if (isErrorLike(error)) {
      return {
        errorType: error.name,
        errorMessage: error.message,
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String(error), trace: [] };
  } catch (_e) {
    return {
      errorType: 'handled',
      errorMessage:
        'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

/** The error as logged: enumerable fields plus name, message and stack lines. */
function toFormatted(error) {
  try {
    return (
      '\t' +
      JSON.stringify(error, (_k, v) => {
        if (v instanceof Error) {
          const out = Object.assign({ errorType: v.name, errorMessage: v.message, code: v.code }, v);
          if (typeof v.stack === 'string') out.stack = v.stack.split('\n');
          return out;
        }
        return v;
      })
    );
  } catch (_e) {
    return '\t' + JSON.stringify(toRapidResponse(error));
  }
}

// ---------------------------------------------------------------------------------------
// Logging: console.* prefixed like Lambda, written synchronously-enough to stdout.
// ---------------------------------------------------------------------------------------

let currentRequestId; // `undefined` during init, as Lambda prints it

function patchConsole() {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    console[method] = (...args) => {
      let message = util.format(...args);
      if (method === 'trace') message = 'Trace: ' + message + '\n' + new Error().stack.split('\n').slice(2).join('\n');
      const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}`;
      process.stdout.write(line.replace(/\n/g, '\r') + '\n');
    };
  }
  console.fatal = (...args) => {
    const line = `${new Date().toISOString()}\t${currentRequestId}\tFATAL\t${util.format(...args)}`;
    process.stdout.write(line.replace(/\n/g, '\r') + '\n');
  };
}

// ---------------------------------------------------------------------------------------
// The Runtime API client: one keep-alive connection, no timeout on the long poll.
// ---------------------------------------------------------------------------------------

/** Header values must stay on one line of printable ASCII. */
function headerSafe(value) {
  return String(value).replace(/[^\x20-\x7e]/g, '?');
}

/**
 * A minimal HTTP/1.1 client over one keep-alive TCP connection. Node's `http` module costs
 * more per request than the whole Runtime API round trip; the Runtime API's answers are
 * simple enough to read directly. No timeout: /next is a long poll. The socket is
 * unref'd while idle so it never keeps the event loop alive (callbackWaitsForEmptyEventLoop
 * relies on that), and ref'd while a request is in flight.
 */
class RuntimeClient {
  constructor(address) {
    const idx = address.lastIndexOf(':');
    this.host = idx > 0 ? address.slice(0, idx) : '127.0.0.1';
    this.port = Number(address.slice(idx + 1));
    this.socket = null;
    this.buffer = Buffer.alloc(0);
    this.waiter = null; // {resolve, reject} of the request in flight
  }

  connect() {
    const socket = net.createConnection({ host: this.host, port: this.port });
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      this.tryParse();
    });
    const lost = (err) => {
      if (this.socket === socket) this.socket = null;
      this.buffer = Buffer.alloc(0);
      const waiter = this.waiter;
      this.waiter = null;
      if (waiter) waiter.reject(err || new Error('connection closed'));
    };
    socket.on('error', lost);
    socket.on('close', () => lost());
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    return socket;
  }

  /** Parses one complete answer from the buffer, if there is one. */
  tryParse() {
    if (!this.waiter) return;
    const buf = this.buffer;
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
    const status = Number(lines[0].split(' ')[1]);
    const headers = {};
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      if (colon > 0) headers[lines[i].slice(0, colon).trim().toLowerCase()] = lines[i].slice(colon + 1).trim();
    }
    let body;
    let consumed;
    const start = headEnd + 4;
    if ((headers['transfer-encoding'] || '').toLowerCase() === 'chunked') {
      const chunks = [];
      let pos = start;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', pos);
        if (lineEnd < 0) return;
        const size = parseInt(buf.toString('latin1', pos, lineEnd).split(';')[0], 16);
        if (size === 0) {
          // The last chunk: an empty line, or trailers then an empty line.
          if (buf.length < lineEnd + 4) return;
          if (buf.toString('latin1', lineEnd + 2, lineEnd + 4) === '\r\n') {
            consumed = lineEnd + 4;
          } else {
            const end = buf.indexOf('\r\n\r\n', lineEnd + 2);
            if (end < 0) return;
            consumed = end + 4;
          }
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) return;
        chunks.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        pos = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(chunks);
    } else {
      const length = Number(headers['content-length'] || 0);
      if (buf.length < start + length) return;
      body = buf.subarray(start, start + length);
      consumed = start + length;
    }
    this.buffer = buf.subarray(consumed);
    const waiter = this.waiter;
    this.waiter = null;
    if ((headers.connection || '').toLowerCase() === 'close') {
      const socket = this.socket;
      this.socket = null;
      if (socket) socket.destroy();
    } else if (this.socket) {
      this.socket.unref();
    }
    waiter.resolve({ status, headers, body });
  }

  send(message) {
    return new Promise((resolve, reject) => {
      const socket = this.socket || this.connect();
      this.waiter = { resolve, reject };
      socket.ref();
      socket.write(message);
    });
  }

  async request(method, reqPath, body, headers) {
    const payload = body === undefined ? Buffer.alloc(0) : body;
    let head = `${method} ${reqPath} HTTP/1.1\r\nHost: ${this.host}\r\nContent-Length: ${payload.length}\r\n`;
    for (const [name, value] of Object.entries(headers || {})) head += `${name}: ${headerSafe(value)}\r\n`;
    const message = Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), payload]);
    // A keep-alive connection the server has closed shows up as an error on first use:
    // reconnect once. The server's state machine rejects a duplicate answer.
    const fresh = this.socket === null;
    try {
      return await this.send(message);
    } catch (err) {
      if (fresh) throw err;
      return await this.send(message);
    }
  }

  async next() {
    const res = await this.request('GET', `${RUNTIME_PREFIX}/invocation/next`);
    if (res.status !== 200) {
      throw new Error(`/next failed with status ${res.status}: ${res.body.toString()}`);
    }
    return res;
  }

  async postResponse(id, payload) {
    await this.post(`${RUNTIME_PREFIX}/invocation/${id}/response`, payload, {
      'Content-Type': 'application/json',
    });
  }

  async postError(id, error) {
    await this.postErrorTo(`${RUNTIME_PREFIX}/invocation/${id}/error`, error);
  }

  async postInitError(error) {
    await this.postErrorTo(`${RUNTIME_PREFIX}/init/error`, error);
  }

  async postErrorTo(reqPath, error) {
    const body = toRapidResponse(error);
    await this.post(reqPath, JSON.stringify(body), {
      'Content-Type': 'application/json',
      [ERROR_TYPE_HEADER]: String(body.errorType),
    });
  }

  async post(reqPath, body, headers) {
    let res;
    try {
      res = await this.request('POST', reqPath, Buffer.from(body, 'utf8'), headers);
    } catch (err) {
      process.stderr.write(`runtime api post to ${reqPath} failed: ${err && err.message}\n`);
      return;
    }
    if (res.status >= 500) {
      // "Container error. Non-recoverable state. Runtime should exit promptly."
      process.stderr.write(`runtime api answered ${res.status} on ${reqPath}: ${res.body}\n`);
      process.exit(1);
    }
    if (res.status !== 202) {
      process.stderr.write(`runtime api answered ${res.status} on ${reqPath}: ${res.body}\n`);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Loading the handler.
// ---------------------------------------------------------------------------------------

function setupNodePath() {
  if (process.env.NODE_PATH) return;
  const major = process.versions.node.split('.')[0];
  process.env.NODE_PATH = [`/opt/nodejs/node${major}/node_modules`, '/opt/nodejs/node_modules'].join(':');
  // Node reads NODE_PATH at start-up; recompute the global paths for the user's require().
  require('module').Module._initPaths();
}

function packageTypeIsModule(dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    if (d.endsWith('/node_modules')) return false;
    const pj = path.join(d, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return JSON.parse(fs.readFileSync(pj, 'utf8')).type === 'module';
      } catch (_e) {
        return false;
      }
    }
    if (d === path.dirname(d)) return false;
  }
}

function isFile(p) {
  try {
    return fs.statSync(p).isFile();
  } catch (_e) {
    return false;
  }
}

async function loadModule(taskRoot, moduleRoot, moduleName) {
  const base = path.resolve(taskRoot, moduleRoot, moduleName);
  const esm = packageTypeIsModule(path.dirname(base));
  if (isFile(base)) return require(base);
  if (isFile(base + '.js')) return esm ? import(url.pathToFileURL(base + '.js').href) : require(base + '.js');
  if (isFile(base + '.mjs')) return import(url.pathToFileURL(base + '.mjs').href);
  if (isFile(base + '.cjs')) return require(base + '.cjs');
  // Not a file under the task root: a package from NODE_PATH or node_modules.
  const resolved = require.resolve(moduleName, { paths: [taskRoot, path.resolve(taskRoot, moduleRoot)] });
  return require(resolved);
}

async function loadHandler(taskRoot, fullHandler) {
  if (fullHandler.includes('..')) {
    throw new MalformedHandlerName(
      `'${fullHandler}' is not a valid handler name. Use absolute paths when specifying root directories in handler names.`,
    );
  }
  const handlerString = path.basename(fullHandler);
  const moduleRoot = fullHandler.substring(0, fullHandler.length - handlerString.length);
  const match = handlerString.match(/^([^.]*)\.(.*)$/);
  if (!match) throw new MalformedHandlerName('Bad handler');
  const [, moduleName, handlerPath] = match;

  let userModule;
  try {
    userModule = await loadModule(taskRoot, moduleRoot, moduleName);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(String(e));
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new ImportModuleError(String(e));
    }
    throw e;
  }
  const handler = handlerPath.split('.').reduce((obj, key) => obj && obj[key], userModule);
  if (!handler) throw new HandlerNotFound(`${fullHandler} is undefined or not exported`);
  if (typeof handler !== 'function') throw new HandlerNotFound(`${fullHandler} is not a function`);
  return handler;
}

// ---------------------------------------------------------------------------------------
// One invocation.
// ---------------------------------------------------------------------------------------

function parseJsonHeader(value, name) {
  if (!value) return undefined;
  try {
    return JSON.parse(value);
  } catch (e) {
    throw new Error(`Cannot parse ${name} as JSON: ${e.message}`);
  }
}

function makeContext(headers, finishers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const identity = parseJsonHeader(headers['lambda-runtime-cognito-identity'], 'cognito identity');
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJsonHeader(headers['lambda-runtime-client-context'], 'client context'),
    identity: identity && {
      cognitoIdentityId: identity.cognitoIdentityId,
      cognitoIdentityPoolId: identity.cognitoIdentityPoolId,
    },
    getRemainingTimeInMillis() {
      return Math.max(deadline - Date.now(), 0);
    },
    // Legacy completion methods, still used by old functions.
    done: (err, result) => finishers.callback(err, result),
    succeed: (result) => finishers.callback(null, result),
    fail: (err) => finishers.callback(err === undefined || err === null ? 'handled' : err),
  };
  return context;
}

/**
 * Runs the handler and settles with {err, result}. Promise-returning (and async) handlers
 * settle when the promise does. Callback handlers settle when the callback is called, and,
 * while context.callbackWaitsForEmptyEventLoop is true, only once the event loop is empty
 * (Lambda's semantics); a handler that never calls back settles with null at that point.
 */
function runHandler(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    let pending = null;
    let context;
    const finish = (err, result) => {
      if (settled) return;
      settled = true;
      process.removeListener('beforeExit', onBeforeExit);
      resolve({ err, result });
    };
    const onBeforeExit = () => (pending ? pending() : finish(null, undefined));
    const finishers = {
      callback(err, result) {
        if (settled || pending) return;
        const done = () => finish(err === undefined ? null : err, result);
        if (context && context.callbackWaitsForEmptyEventLoop) {
          pending = done;
        } else {
          done();
        }
      },
    };
    try {
      context = makeContext(headers, finishers);
    } catch (e) {
      finish(e);
      return;
    }
    process.on('beforeExit', onBeforeExit);
    let returned;
    try {
      returned = handler(event, context, (err, result) => finishers.callback(err, result));
    } catch (e) {
      finish(e);
      return;
    }
    if (returned && typeof returned.then === 'function') {
      // The promise decides; an empty event loop while it is pending is the function's bug
      // and ends the process like on Lambda.
      process.removeListener('beforeExit', onBeforeExit);
      returned.then(
        (result) => finish(null, result),
        (err) => finish(err === undefined || err === null ? new Error(String(err)) : err),
      );
    }
  });
}

async function handleOne(client, handler, res) {
  const headers = res.headers;
  const id = headers['lambda-runtime-aws-request-id'];
  currentRequestId = id;
  const traceId = headers['lambda-runtime-trace-id'];
  if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
  else delete process.env._X_AMZN_TRACE_ID;

  let event;
  try {
    const text = res.body.toString('utf8');
    event = text.length ? JSON.parse(text) : undefined;
  } catch (e) {
    const err = new Error(`Unable to parse event: ${e.message}`);
    err.name = 'Runtime.UnmarshalError';
    console.error('Invoke Error', toFormatted(err));
    await client.postError(id, err);
    return;
  }

  const { err, result } = await runHandler(handler, event, headers);
  if (err !== null && err !== undefined) {
    console.error('Invoke Error', toFormatted(err));
    await client.postError(id, err);
    return;
  }
  let payload;
  try {
    payload = JSON.stringify(result === undefined ? null : result);
  } catch (e) {
    console.error('Invoke Error', toFormatted(e));
    await client.postError(id, e);
    return;
  }
  await client.postResponse(id, payload === undefined ? 'null' : payload);
}

// ---------------------------------------------------------------------------------------
// Main loop.
// ---------------------------------------------------------------------------------------

async function main() {
  const address = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!address) {
    process.stderr.write('AWS_LAMBDA_RUNTIME_API is not set\n');
    process.exit(1);
  }
  const taskRoot = process.env.LAMBDA_TASK_ROOT || '/var/task';
  const client = new RuntimeClient(address);
  patchConsole();
  setupNodePath();
  try {
    process.chdir(taskRoot);
  } catch (_e) {
    // A missing task root shows up as an import error below.
  }

  let initDone = false;
  const fatal = async (error, exitCode) => {
    console.error(initDone ? 'Invoke Error' : 'Uncaught Exception', toFormatted(error));
    try {
      if (!initDone) await client.postInitError(error);
      else if (currentRequestId) await client.postError(currentRequestId, error);
    } finally {
      process.exit(exitCode);
    }
  };
  process.on('uncaughtException', (error) => fatal(error, 129));
  process.on('unhandledRejection', (reason) => {
    const error = new UnhandledPromiseRejection(isErrorLike(reason) ? `${reason.name}: ${reason.message}` : String(reason));
    error.reason = reason;
    fatal(error, 128);
  });

  let handler;
  try {
    handler = await loadHandler(taskRoot, process.env._HANDLER || '');
  } catch (error) {
    console.error('Uncaught Exception', toFormatted(error));
    await client.postInitError(error);
    process.exit(1);
  }
  initDone = true;
  for (;;) {
    let res;
    try {
      res = await client.next();
    } catch (err) {
      // 403/500 or a lost server: the platform has given up on this runtime.
      process.stderr.write(`runtime api /next failed: ${err && err.message}\n`);
      process.exit(1);
    }
    await handleOne(client, handler, res);
  }
}

if (require.main === module) {
  main();
} else {
  // Loaded by the unit tests (bootstrap.test.js).
  module.exports = { RuntimeClient, headerSafe, toRapidResponse, loadHandler };
}
