"""Invoke acceptance around the server's own life: a graceful stop leaves no sandbox process
behind, and after `kill -9` the restarted server reaps what the dead one left and runs the
same functions again."""

import os
import time

from conftest import Server, deploy, invoke

APP = '''
import os, subprocess
def handler(event, context):
    # A background child that outlives the invoke, as functions' helpers sometimes do.
    if not os.path.exists("/tmp/child"):
        subprocess.Popen(["sleep", "300"], start_new_session=True)
        open("/tmp/child", "w").close()
    return {"pidns": os.readlink("/proc/self/ns/pid")}
'''


def processes_in(pidns):
    """Host pids of the processes in the PID namespace `pidns` (`pid:[inode]`)."""
    out = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/ns/pid") == pidns:
                    out.add(int(pid))
            except OSError:
                pass
    return out


def wait_gone(pids, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        alive = {p for p in pids if os.path.exists(f"/proc/{p}")}
        if not alive:
            return set()
        time.sleep(0.05)
    return alive


def test_graceful_stop_leaves_no_sandbox_process(tmp_path):
    s = Server(tmp_path / "data").start()
    try:
        lam = s.client()
        deploy(lam, "rs-stop", {"app.py": APP})
        pids = processes_in(invoke(lam, "rs-stop", {}).payload["pidns"])
        assert len(pids) >= 3, pids  # the sandbox's init, the runtime and its background child
    finally:
        s.stop()
    assert wait_gone(pids) == set()


def test_kill_9_then_restart_reaps_and_runs_again(tmp_path):
    s = Server(tmp_path / "data").start()
    lam = s.client()
    deploy(lam, "rs-crash", {"app.py": APP})
    pids = processes_in(invoke(lam, "rs-crash", {}).payload["pidns"])
    assert len(pids) >= 3, pids
    s.kill()
    s.start()
    try:
        # Whatever survived the crash is gone once the new server is up.
        assert wait_gone(pids) == set()
        r = invoke(s.client(), "rs-crash", {})
        assert r.function_error is None, r.payload
        assert "Init Duration" in r.log
    finally:
        s.stop()
