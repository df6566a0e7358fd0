"""`lamina validate` against the real SAM translator: for every small template in
tests/sam/validate (one rule each), Lamina's verdict must equal the one `sam validate` reaches
(the SAM CLI's validator and aws-sam-translator, run in process by tests/sam/sam_oracle.py),
and where the translator names resources in its errors, Lamina's errors name the same ones."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import LAMINA_BIN

SAM_TESTS = Path(__file__).resolve().parents[1] / "sam"
sys.path.insert(0, str(SAM_TESTS))

from sam_oracle import translator_verdict  # noqa: E402

# The rule-per-file suite, and the broken templates Lamina's own tests use.
BROKEN = Path(__file__).resolve().parents[2] / "crates/lamina-sam/tests/fixtures/broken"
CASES = sorted((SAM_TESTS / "validate").glob("*.yaml")) + sorted(BROKEN.iterdir())


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def resource_ids(path):
    try:
        doc = yaml.load(path.read_text(), Loader=_Loader)
    except yaml.YAMLError:
        return []
    resources = doc.get("Resources") if isinstance(doc, dict) else None
    return list(resources) if isinstance(resources, dict) else []


def template_id(reported, ids):
    """The translator names an event by function id + event id and a layer by its id + a
    hash; both belong to the template resource whose id they start with."""
    if reported in ids:
        return reported
    owners = [i for i in ids if reported.startswith(i)]
    return max(owners, key=len) if owners else reported


def lamina_validate(path, *extra):
    return subprocess.run([LAMINA_BIN, "validate", "-t", str(path), *extra], capture_output=True, text=True, timeout=60)


def test_the_suite_has_both_verdicts():
    verdicts = [translator_verdict(p).valid for p in CASES]
    assert len(CASES) >= 250
    assert verdicts.count(True) >= 100 and verdicts.count(False) >= 100


@pytest.mark.parametrize("case", CASES, ids=[p.name for p in CASES])
def test_verdict_equals_the_translator(case):
    sam = translator_verdict(case)
    out = lamina_validate(case)
    assert out.returncode in (0, 1), out.stderr
    lamina_valid = out.returncode == 0
    assert lamina_valid == sam.valid, (
        f"translator {'accepts' if sam.valid else 'rejects'}: {sam.message}\nlamina: {out.stderr}{out.stdout}"
    )
    if sam.valid:
        assert out.stdout.startswith(f"{case} is a valid SAM Template")
        return
    assert out.stdout.startswith(f"Template provided at '{case}' was invalid SAM Template.")
    ids = resource_ids(case)
    for reported in sam.logical_ids:
        named = template_id(reported, ids)
        assert f"[{named}]" in out.stderr, f"translator names {reported}: {sam.message}\nlamina: {out.stderr}"


@pytest.mark.parametrize(
    "case, warning",
    [
        ("function-memory-too-big", "MemorySize must be between 128 and 10240 MB"),
        ("function-bad-runtime", "Runtime 'python2.1' is not a Lambda runtime"),
        ("intrinsic-ref-undefined", "Ref 'Nope' refers to an undefined parameter or resource"),
        ("event-api-bad-method", "Method 'fetch' is not an HTTP method"),
    ],
)
def test_what_only_deployment_rejects_is_a_lint_warning(case, warning):
    """The translator accepts these (so `validate` does); CloudFormation or Lambda would not,
    and `--lint` says so without changing the verdict."""
    path = SAM_TESTS / "validate" / f"{case}.yaml"
    assert translator_verdict(path).valid
    plain = lamina_validate(path)
    assert plain.returncode == 0 and warning not in plain.stderr
    linted = lamina_validate(path, "--lint")
    assert linted.returncode == 0, linted.stderr
    assert "warning: " in linted.stderr and warning in linted.stderr, linted.stderr


def test_policy_templates_and_connector_profiles_are_the_translators():
    """validate/sam_data.rs holds the translator's policy templates (with their parameters)
    and connector profiles as tables; they must be the installed translator's."""
    import json
    import re

    import samtranslator

    data = (Path(__file__).resolve().parents[2] / "crates/lamina-sam/src/validate/sam_data.rs").read_text()
    base = Path(samtranslator.__file__).parent
    templates = json.loads((base / "policy_templates_data/policy_templates.json").read_text())["Templates"]
    ours = {
        name: sorted(re.findall(r'"([^"]+)"', params))
        for name, params in re.findall(r'\(\s*"(\w+)",\s*&\[([^\]]*)\],?\s*\),', data.split("CONNECTOR_PROFILES")[0])
    }
    assert ours == {name: sorted(t.get("Parameters", {})) for name, t in templates.items()}
    profiles = json.loads((base / "model/connector_profiles/profiles.json").read_text())["Permissions"]
    theirs = {
        (s, d): sorted(p["Properties"]["AccessCategories"]) for s, ds in profiles.items() for d, p in ds.items()
    }
    section = data.split("pub(super) const CONNECTOR_PROFILES")[1].split("];")[0]
    ours = {
        (s, d): sorted(re.findall(r'"([^"]+)"', perms))
        for s, d, perms in re.findall(r'\(\s*"([^"]+)",\s*"([^"]+)",\s*&\[([^\]]*)\],?\s*\)', section)
    }
    assert ours == theirs
