"""`lamina generate-event` against the real SAM CLI: for every service and event SAM CLI's
`sam local generate-event` offers, the same flags with the same defaults, and the same bytes
out, with the defaults and with every option changed. SAM CLI runs through its own command
line (click, in process; tests/sam/sam_oracle.py)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import LAMINA_BIN

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sam"))

from sam_oracle import sam_event_catalog, sam_generate_event  # noqa: E402

CATALOG = sam_event_catalog()
EVENTS = [(service, event) for service, events in CATALOG.items() for event in events]

# Where Lamina deliberately differs from SAM CLI (docs/sam.md says why): SAM's click turns
# `--restApiId` into a parameter its template never reads, so SAM ignores the flag and leaves
# the API id out of the ARN; Lamina fills it in.
IGNORED_BY_SAM = {("apigateway", "authorizer"): "restApiId", ("apigateway", "request-authorizer"): "restApiId"}


def lamina(*args):
    return subprocess.run([LAMINA_BIN, "generate-event", *args], capture_output=True, text=True, timeout=60)


def lamina_options(service, event):
    """Flag → default, from `lamina generate-event SERVICE EVENT --help`."""
    out = lamina(service, event, "--help")
    assert out.returncode == 0, out.stderr
    found = {}
    for line in out.stdout.splitlines():
        m = re.match(r"^  --(\S+)\s+.* \[default: (.*)\]$", line)
        if m:
            found[m.group(1)] = m.group(2)
    return found



def test_same_services_and_events():
    listing = lamina("--help").stdout
    ours = {}
    for line in listing.splitlines():
        m = re.match(r"^  (\S+)\s+(.*)$", line)
        if m and not m.group(1).startswith("--"):
            ours[m.group(1)] = [e.strip() for e in m.group(2).split(",")]
    for service, events in CATALOG.items():
        assert sorted(ours.get(service, [])) == sorted(events), service
    assert len(EVENTS) >= 68


@pytest.mark.parametrize("service, event", EVENTS, ids=[f"{s}-{e}" for s, e in EVENTS])
def test_flags_and_defaults_are_sams(service, event):
    tags = CATALOG[service][event]["tags"]
    assert lamina_options(service, event) == {name: tag["default"] for name, tag in tags.items()}


@pytest.mark.parametrize("service, event", EVENTS, ids=[f"{s}-{e}" for s, e in EVENTS])
def test_output_is_sams_byte_for_byte(service, event):
    code, expected = sam_generate_event(service, event)
    assert code == 0
    ignored = IGNORED_BY_SAM.get((service, event))
    ours = lamina(service, event)
    assert ours.returncode == 0, ours.stderr
    actual = ours.stdout
    if ignored:
        # SAM leaves the ignored option's default out; everything else must be the same.
        default = CATALOG[service][event]["tags"][ignored]["default"]
        assert default in actual and default not in expected
        actual = actual.replace(default, "")
    assert actual == expected

    # Every option changed at once (values safe in JSON, so SAM's unescaped output is too).
    tags = CATALOG[service][event]["tags"]
    values = {name: f"V{i}x{name.replace('-', '')}" for i, name in enumerate(tags)}
    args = [a for name, v in values.items() for a in (f"--{name}", v)]
    code, expected = sam_generate_event(service, event, *args)
    assert code == 0
    ours = lamina(service, event, *args)
    assert ours.returncode == 0, ours.stderr
    actual = ours.stdout
    if ignored:
        actual = actual.replace(values[ignored], "")
    assert actual == expected
