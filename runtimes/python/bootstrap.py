#!/usr/bin/env python3
"""Lamina's runtime interface client for Python functions (standard library only).

Mounted read-only at /var/runtime; the engine runs it as
    python3 /var/runtime/python/bootstrap.py
with AWS_LAMBDA_RUNTIME_API, _HANDLER, LAMBDA_TASK_ROOT and the other Lambda variables set.
It imports the handler named by _HANDLER (`module.function`, the module part may be a path
such as `src/app` or a dotted package such as `pkg.app`), then loops on the Runtime API:
GET /next, call handler(event, context), POST /response or /error. Failures while loading
the handler are posted to /runtime/init/error and the process exits with status 1.

Wire shapes follow AWS's Python runtime: errors are
{"errorMessage", "errorType", "requestId", "stackTrace": [...]}, init errors carry
requestId "" and the Runtime.* types ImportModuleError, HandlerNotFound,
UserCodeSyntaxError, MalformedHandlerName.
"""

import decimal
import importlib
import json
import logging
import os
import socket
import sys
import time
import traceback

RUNTIME_PREFIX = "/2018-06-01/runtime"
ERROR_TYPE_HEADER = "Lambda-Runtime-Function-Error-Type"
ERROR_LOG_LINE_TERMINATE = "\r"


class FaultException(Exception):
    """A failure the runtime itself classifies (Runtime.* error types)."""

    IMPORT_MODULE_ERROR = "Runtime.ImportModuleError"
    HANDLER_NOT_FOUND = "Runtime.HandlerNotFound"
    USER_CODE_SYNTAX_ERROR = "Runtime.UserCodeSyntaxError"
    MALFORMED_HANDLER_NAME = "Runtime.MalformedHandlerName"
    BUILT_IN_MODULE_CONFLICT = "Runtime.BuiltInModuleConflict"
    MARSHAL_ERROR = "Runtime.MarshalError"
    UNMARSHAL_ERROR = "Runtime.UnmarshalError"
    CONTEXT_UNMARSHAL_ERROR = "Runtime.LambdaContextUnmarshalError"

    def __init__(self, exception_type, msg, trace=None):
        super().__init__(msg)
        self.exception_type = exception_type
        self.msg = msg
        self.trace = trace


# ---------------------------------------------------------------------------------------
# The Runtime API client: one keep-alive HTTP/1.1 connection, no timeout on the long poll.
# ---------------------------------------------------------------------------------------


class ConnectionLost(Exception):
    """The connection failed before a complete answer arrived."""


class Answer:
    __slots__ = ["status", "headers", "body"]

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def header(self, name):
        return self.headers.get(name.lower())


def header_safe(value):
    """Header values must stay on one line of printable ASCII."""
    return "".join(c if " " <= c <= "~" else "?" for c in str(value))


class RuntimeClient:
    """A minimal HTTP/1.1 client over one keep-alive TCP connection.

    http.client parses every answer's headers with the email package, which costs more than
    the whole Runtime API round trip; the Runtime API's answers are simple enough to read
    directly. No timeout: /next is a long poll.
    """

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        self.host = host or "127.0.0.1"
        self.port = int(port)
        self.sock = None
        self.rfile = None

    def _connect(self):
        sock = socket.create_connection((self.host, self.port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.rfile = sock.makefile("rb")

    def _close(self):
        if self.sock is not None:
            try:
                self.rfile.close()
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.rfile = None

    def _request(self, method, path, body=b"", headers=None):
        # A keep-alive connection the server has closed shows up as an error on first use:
        # reconnect once. The state machine on the other side rejects a duplicate answer,
        # so replaying a post whose fate is unknown cannot deliver it twice.
        head = "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n" % (
            method,
            path,
            self.host,
            len(body),
        )
        for name, value in (headers or {}).items():
            head += "%s: %s\r\n" % (name, header_safe(value))
        message = (head + "\r\n").encode("latin-1") + body
        for attempt in (0, 1):
            fresh = self.sock is None
            if fresh:
                self._connect()
            try:
                self.sock.sendall(message)
                return self._read_answer()
            except (ConnectionLost, OSError):
                self._close()
                if fresh or attempt == 1:
                    raise

    def _read_answer(self):
        line = self.rfile.readline()
        if not line:
            raise ConnectionLost("connection closed")
        parts = line.split(None, 2)
        if len(parts) < 2:
            raise ConnectionLost("bad status line %r" % line)
        status = int(parts[1])
        headers = {}
        while True:
            line = self.rfile.readline()
            if not line:
                raise ConnectionLost("connection closed in headers")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked()
        elif "content-length" in headers:
            body = self._read_exact(int(headers["content-length"]))
        else:
            body = self.rfile.read()
            self._close()
        if headers.get("connection", "").lower() == "close":
            self._close()
        return Answer(status, headers, body)

    def _read_exact(self, n):
        body = self.rfile.read(n)
        if len(body) != n:
            raise ConnectionLost("connection closed in body")
        return body

    def _read_chunked(self):
        chunks = []
        while True:
            size_line = self.rfile.readline()
            if not size_line:
                raise ConnectionLost("connection closed in chunked body")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self._read_exact(size))
            self.rfile.readline()

    def next(self):
        answer = self._request("GET", RUNTIME_PREFIX + "/invocation/next")
        if answer.status != 200:
            raise RuntimeError("/next failed with status %d: %r" % (answer.status, answer.body))
        return answer

    def post_response(self, request_id, payload):
        path = "%s/invocation/%s/response" % (RUNTIME_PREFIX, request_id)
        self._post(path, payload, {"Content-Type": "application/json"})

    def post_error(self, request_id, error, error_type):
        path = "%s/invocation/%s/error" % (RUNTIME_PREFIX, request_id)
        self._post_error(path, error, error_type)

    def post_init_error(self, error, error_type):
        self._post_error(RUNTIME_PREFIX + "/init/error", error, error_type)

    def _post_error(self, path, error, error_type):
        headers = {"Content-Type": "application/json", ERROR_TYPE_HEADER: error_type}
        self._post(path, to_json(error), headers)

    def _post(self, path, body, headers):
        try:
            answer = self._request("POST", path, body=body, headers=headers)
        except (ConnectionLost, OSError) as e:
            sys.stderr.write("runtime api post to %s failed: %s\n" % (path, e))
            return
        if answer.status >= 500:
            # "Container error. Non-recoverable state. Runtime should exit promptly."
            sys.stderr.write("runtime api answered %d on %s: %r\n" % (answer.status, path, answer.body))
            os._exit(1)
        if answer.status != 202:
            sys.stderr.write("runtime api answered %d on %s: %r\n" % (answer.status, path, answer.body))


def _json_default(obj):
    # DynamoDB and boto3 hand out Decimals; Lambda's Python runtime serialises them as numbers.
    if isinstance(obj, decimal.Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    raise TypeError("Object of type %s is not JSON serializable" % type(obj).__name__)


def to_json(obj):
    return json.dumps(obj, ensure_ascii=False, default=_json_default).encode("utf-8")


# ---------------------------------------------------------------------------------------
# The context object handed to the handler.
# ---------------------------------------------------------------------------------------


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id=%s,cognito_identity_pool_id=%s])" % (
            self.cognito_identity_id,
            self.cognito_identity_pool_id,
        )


class Client:
    __slots__ = ["installation_id", "app_title", "app_version_name", "app_version_code", "app_package_name"]


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom=%s,env=%s,client=%s])" % (self.custom, self.env, self.client)


def make_cognito_identity(obj):
    if obj is None:
        return None
    identity = CognitoIdentity()
    identity.cognito_identity_id = obj.get("cognitoIdentityId")
    identity.cognito_identity_pool_id = obj.get("cognitoIdentityPoolId")
    return identity


def make_client_context(obj):
    if obj is None:
        return None
    ctx = ClientContext()
    ctx.custom = obj.get("custom")
    ctx.env = obj.get("env")
    client = obj.get("client")
    if client is None:
        ctx.client = None
    else:
        c = Client()
        c.installation_id = client.get("installation_id")
        c.app_title = client.get("app_title")
        c.app_version_name = client.get("app_version_name")
        c.app_version_code = client.get("app_version_code")
        c.app_package_name = client.get("app_package_name")
        ctx.client = c
    return ctx


class LambdaContext:
    def __init__(self, request_id, client_context, identity, deadline_ms, invoked_function_arn):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = invoked_function_arn
        self.client_context = make_client_context(client_context)
        self.identity = make_cognito_identity(identity)
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(self._deadline_ms - int(round(time.time() * 1000)), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id=%s,log_group_name=%s,log_stream_name=%s,"
            "function_name=%s,memory_limit_in_mb=%s,function_version=%s,"
            "invoked_function_arn=%s,client_context=%s,identity=%s])"
            % (
                self.aws_request_id,
                self.log_group_name,
                self.log_stream_name,
                self.function_name,
                self.memory_limit_in_mb,
                self.function_version,
                self.invoked_function_arn,
                self.client_context,
                self.identity,
            )
        )


# ---------------------------------------------------------------------------------------
# Loading the handler.
# ---------------------------------------------------------------------------------------


def setup_sys_path(task_root):
    """Lambda's search order: the task root, then layers under /opt/python, then the runtime."""
    here = os.path.dirname(os.path.realpath(__file__))
    # Never let this directory shadow user modules (a user module named "bootstrap").
    sys.path[:] = [p for p in sys.path if p and os.path.realpath(p) != here]
    version = "python%d.%d" % sys.version_info[:2]
    front = [task_root, "/opt/python/lib/%s/site-packages" % version, "/opt/python"]
    for p in reversed(front):
        if p in sys.path:
            sys.path.remove(p)
        sys.path.insert(0, p)


def get_handler(handler):
    try:
        modname, fname = handler.rsplit(".", 1)
    except ValueError as e:
        raise FaultException(
            FaultException.MALFORMED_HANDLER_NAME, "Bad handler '%s': %s" % (handler, e)
        )
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise FaultException(
                FaultException.BUILT_IN_MODULE_CONFLICT,
                "Cannot use built-in module %s as a handler module" % modname,
            )
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        raise FaultException(
            FaultException.IMPORT_MODULE_ERROR,
            "Unable to import module '%s': %s" % (modname, e),
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise FaultException(
            FaultException.USER_CODE_SYNTAX_ERROR,
            "Syntax error in module '%s': %s" % (modname, e),
            trace,
        )
    try:
        return getattr(module, fname)
    except AttributeError:
        raise FaultException(
            FaultException.HANDLER_NOT_FOUND,
            "Handler '%s' missing on module '%s'" % (fname, modname),
        )


# ---------------------------------------------------------------------------------------
# Errors and logs.
# ---------------------------------------------------------------------------------------


def make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def user_frames(tb):
    """Traceback entries from the first frame outside this file on."""
    frames = traceback.extract_tb(tb)
    here = os.path.realpath(__file__)
    for i, frame in enumerate(frames):
        if os.path.realpath(frame.filename) != here:
            return traceback.format_list(frames[i:])
    return []


def log_error(error):
    """One log record, lines joined by \\r as Lambda's Python runtime does."""
    description = "[ERROR]"
    if error.get("errorType"):
        description += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            description += ":"
        description += " " + error["errorMessage"]
    lines = [description, "Traceback (most recent call last):"]
    for element in error.get("stackTrace") or []:
        lines.extend(element.splitlines())
    sys.stdout.write(ERROR_LOG_LINE_TERMINATE.join(lines) + "\n")


CURRENT_REQUEST_ID = None


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = CURRENT_REQUEST_ID or ""
        return True


class StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:
            self.handleError(record)


def setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = StdoutHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in logging._nameToLevel:
        root.setLevel(level)


class Unbuffered:
    """Flushes after every write, so each print reaches the log at once, newline or not,
    even when the function dies right after it."""

    def __init__(self, stream):
        self.stream = stream

    def __getattr__(self, attr):
        return getattr(self.stream, attr)

    def write(self, msg):
        n = self.stream.write(msg)
        self.stream.flush()
        return n

    def writelines(self, msgs):
        self.stream.writelines(msgs)
        self.stream.flush()


def unbuffer_std_streams():
    sys.stdout = Unbuffered(sys.stdout)
    sys.stderr = Unbuffered(sys.stderr)


# ---------------------------------------------------------------------------------------
# The invoke loop.
# ---------------------------------------------------------------------------------------


def parse_json_header(value, name):
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError as e:
        raise FaultException(
            FaultException.CONTEXT_UNMARSHAL_ERROR, "Unable to parse %s JSON: %s" % (name, e)
        )


def set_trace_id(trace_id):
    if trace_id:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)


def handle_one(client, handler, answer):
    global CURRENT_REQUEST_ID
    request_id = answer.header("Lambda-Runtime-Aws-Request-Id")
    CURRENT_REQUEST_ID = request_id
    set_trace_id(answer.header("Lambda-Runtime-Trace-Id"))
    error = None
    try:
        context = LambdaContext(
            request_id,
            parse_json_header(answer.header("Lambda-Runtime-Client-Context"), "Client Context"),
            parse_json_header(answer.header("Lambda-Runtime-Cognito-Identity"), "Cognito Identity"),
            int(answer.header("Lambda-Runtime-Deadline-Ms") or 0),
            answer.header("Lambda-Runtime-Invoked-Function-Arn"),
        )
        try:
            event = json.loads(answer.body.decode("utf-8")) if answer.body else None
        except Exception as e:  # as awslambdaric: a RecursionError on deep nesting included
            raise FaultException(FaultException.UNMARSHAL_ERROR, "Unable to unmarshal input: %s" % e)
        result = handler(event, context)
        try:
            payload = to_json(result)
        except (TypeError, ValueError) as e:
            raise FaultException(FaultException.MARSHAL_ERROR, "Unable to marshal response: %s" % e)
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace, request_id)
    except Exception:
        etype, value, tb = sys.exc_info()
        error = make_error(str(value), etype.__name__, user_frames(tb), request_id)
    if error is not None:
        log_error(error)
        client.post_error(request_id, error, error["errorType"])
    else:
        client.post_response(request_id, payload)


def main():
    unbuffer_std_streams()
    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    handler_name = os.environ.get("_HANDLER", "")
    task_root = os.environ.get("LAMBDA_TASK_ROOT", "/var/task")
    if not address:
        sys.stderr.write("AWS_LAMBDA_RUNTIME_API is not set\n")
        sys.exit(1)
    client = RuntimeClient(address)
    setup_sys_path(task_root)
    try:
        os.chdir(task_root)
    except OSError:
        pass
    setup_logging()
    try:
        handler = get_handler(handler_name)
    except FaultException as e:
        error = make_error(e.msg, e.exception_type, e.trace)
        log_error(error)
        client.post_init_error(error, e.exception_type)
        sys.exit(1)
    except Exception:
        # The module raised while being imported: the function's own init error.
        etype, value, tb = sys.exc_info()
        error = make_error(str(value), etype.__name__, user_frames(tb))
        log_error(error)
        client.post_init_error(error, "Runtime.Unknown")
        sys.exit(1)
    while True:
        handle_one(client, handler, client.next())


if __name__ == "__main__":
    main()
