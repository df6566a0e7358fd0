"""Unit tests of the Python runtime client's pieces: `python3 -m unittest discover runtimes/python`.

The end-to-end behaviour is tested from crates/lamina-runtime-api/tests/python_runtime.rs.
"""

import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bootstrap  # noqa: E402


def client_reading(raw):
    client = bootstrap.RuntimeClient("127.0.0.1:9001")
    client.rfile = io.BytesIO(raw)
    return client


class AnswerParsing(unittest.TestCase):
    def test_content_length(self):
        a = client_reading(
            b"HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: abc\r\nContent-Length: 5\r\n\r\nhello"
        )._read_answer()
        self.assertEqual(a.status, 200)
        self.assertEqual(a.header("Lambda-Runtime-Aws-Request-Id"), "abc")
        self.assertEqual(a.body, b"hello")

    def test_chunked_with_and_without_trailers(self):
        c = client_reading(
            b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: 1\r\n\r\n"
        )
        self.assertEqual(c._read_answer().body, b"abcde")
        self.assertEqual(c._read_answer().body, b"x")

    def test_truncated_answer_is_connection_lost(self):
        c = client_reading(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
        with self.assertRaises(bootstrap.ConnectionLost):
            c._read_answer()
        with self.assertRaises(bootstrap.ConnectionLost):
            client_reading(b"")._read_answer()

    def test_header_values_stay_on_one_line(self):
        self.assertEqual(bootstrap.header_safe("Runtime.X\r\nEvil: 1"), "Runtime.X??Evil: 1")


class HandlerLoading(unittest.TestCase):
    def test_malformed_handler_name(self):
        with self.assertRaises(bootstrap.FaultException) as cm:
            bootstrap.get_handler("nodot")
        self.assertEqual(cm.exception.exception_type, "Runtime.MalformedHandlerName")

    def test_builtin_module_conflict(self):
        with self.assertRaises(bootstrap.FaultException) as cm:
            bootstrap.get_handler("sys.handler")
        self.assertEqual(cm.exception.exception_type, "Runtime.BuiltInModuleConflict")

    def test_error_shape(self):
        self.assertEqual(
            bootstrap.make_error("m", "T", None),
            {"errorMessage": "m", "errorType": "T", "requestId": "", "stackTrace": []},
        )


if __name__ == "__main__":
    unittest.main()
