"""The real SAM tools as oracles for the differential tests.

`translator_verdict` judges a template exactly as `sam validate` does (the SAM CLI's own
`SamTemplateValidator`: its YAML loader, its replacement of local CodeUri/ContentUri/
DefinitionUri by S3 URIs, then `aws-sam-translator`), without AWS credentials: the only call
`sam validate` makes to AWS is IAM ListPolicies for managed policy names, which a fixed map
of the managed policies the cases use stands in for.
"""

import os

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")

from samcli.commands.validate.lib.exceptions import InvalidSamDocumentException  # noqa: E402
from samcli.lib.translate.sam_template_validator import SamTemplateValidator  # noqa: E402
from samcli.yamlhelper import yaml_parse  # noqa: E402
from samtranslator.model.exceptions import InvalidDocumentException  # noqa: E402

MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for path, name in [
        ("service-role/", "AWSLambdaBasicExecutionRole"),
        ("service-role/", "AWSLambdaVPCAccessExecutionRole"),
        ("", "AmazonS3ReadOnlyAccess"),
        ("", "AmazonDynamoDBFullAccess"),
        ("", "AWSXrayWriteOnlyAccess"),
    ]
}


class _Loader:
    def load(self):
        return MANAGED_POLICIES


class Verdict:
    def __init__(self, valid, logical_ids, message):
        self.valid = valid
        self.logical_ids = logical_ids
        self.message = message


def translator_verdict(path, parameter_overrides=None):
    """What `sam validate -t path` decides: valid or not, the logical ids its errors name
    and its message."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        template = yaml_parse(text)
    except Exception as e:  # the CLI fails on a template it cannot parse
        return Verdict(False, set(), f"parse error: {e}")
    if not isinstance(template, dict):
        return Verdict(False, set(), "template is not a mapping")
    validator = SamTemplateValidator(template, _Loader(), region="us-east-1", parameter_overrides=parameter_overrides)
    try:
        validator.get_translated_template_if_valid()
    except InvalidSamDocumentException as e:
        cause = e.__cause__
        ids = set()
        if isinstance(cause, InvalidDocumentException):
            for c in cause.causes:
                lid = getattr(c, "_logical_id", None) or getattr(c, "logical_id", None)
                if lid:
                    ids.add(lid)
        return Verdict(False, ids, str(e))
    except Exception as e:  # the translator crashing is a rejection too (the CLI exits 1)
        return Verdict(False, set(), f"{type(e).__name__}: {e}")
    return Verdict(True, set(), "")


if __name__ == "__main__":
    import sys

    for p in sys.argv[1:]:
        v = translator_verdict(p)
        print(p, "VALID" if v.valid else "INVALID", sorted(v.logical_ids), v.message)


def sam_generate_event(*args):
    """`sam local generate-event ARGS…` run through the SAM CLI's own command line (click,
    in process: the same flags, defaults and output as the `sam` program): (exit code,
    stdout)."""
    from click.testing import CliRunner
    from samcli.cli.main import cli

    result = CliRunner().invoke(cli, ["local", "generate-event", *args], catch_exceptions=False)
    return result.exit_code, result.output


def sam_event_catalog():
    """Every service, its events and each event's parameters with defaults, as the SAM CLI
    reads them from its mapping file."""
    from samcli.lib.generated_sample_events import events

    return events.Events().event_mapping
