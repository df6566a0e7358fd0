"""`lamina server --log-format json` (here through LAMINA_LOG_FORMAT): what the engine logs
during one invoke carries the engine's `invoke` span with that invoke's fields, so one
request's path can be followed in the server log."""

import json

from conftest import PY_HELLO, Server, deploy, invoke


def test_json_log_lines_of_an_invoke_carry_its_span_fields(tmp_path, monkeypatch):
    monkeypatch.setenv("LAMINA_LOG_FORMAT", "json")
    server = Server(tmp_path / "data").start()
    try:
        lam = server.client()
        deploy(lam, "traced", PY_HELLO)
        out = invoke(lam, "traced", {"a": 1})
        assert out.status == 200 and out.payload == {"hello": {"a": 1}}
        assert invoke(lam, "traced", {"a": 2}).status == 200
    finally:
        server.stop()
    lines = [json.loads(l) for l in server.log_path.read_text().splitlines() if l.startswith("{")]
    assert lines, "the server logged no JSON lines"
    starts = [l for l in lines if l.get("fields", {}).get("message") == "starting an execution environment"]
    assert len(starts) == 1, "one cold start, the second invoke is warm"
    span = starts[0]["span"]
    assert span["name"] == "invoke"
    assert span["function"] == "traced"
    assert span["qualifier"] == "$LATEST"
    assert span["version"] == "$LATEST"
    assert span["request_id"] == out.request_id
    assert span["cold"] is True
    assert span["image"], span
    assert [s["name"] for s in starts[0]["spans"]][-1] == "invoke"
