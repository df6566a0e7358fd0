"""Cross-check: run AWS's own SAM translator on templates, the way `sam validate` does
(local CodeUri/ContentUri replaced by a dummy S3 URI, a missing one read as "."), and print
each verdict. Development aid, not part of CI:

    python3 -m venv /tmp/samvenv && /tmp/samvenv/bin/pip install aws-sam-translator pyyaml
    cd crates/lamina-sam/tests/fixtures && /tmp/samvenv/bin/python ../sam_translator_check.py */template.* broken/*
"""
import sys, json, os, yaml
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
from samtranslator.translator.transform import transform
from samtranslator.model.exceptions import InvalidDocumentException

class L(yaml.SafeLoader): pass
def multi(loader, suffix, node):
    name = suffix
    if isinstance(node, yaml.ScalarNode): v = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode): v = loader.construct_sequence(node, deep=True)
    else: v = loader.construct_mapping(node, deep=True)
    if name == "Ref": return {"Ref": v}
    if name == "Condition": return {"Condition": v}
    if name == "GetAtt" and isinstance(v, str): v = v.split(".", 1)
    return {"Fn::" + name: v}
L.add_multi_constructor("!", multi)
def ts(loader, node): return loader.construct_scalar(node)
L.add_constructor("tag:yaml.org,2002:timestamp", ts)

class P:
    def load(self): return {}
for path in sys.argv[1:]:
    try:
        text = open(path).read()
        try: t = json.loads(text)
        except ValueError: t = yaml.load(text, Loader=L)
        res = t.get("Resources", {}) if isinstance(t, dict) else {}
        def s3(d, k):
            v = d.get(k, ".")
            if isinstance(v, dict) or (isinstance(v, str) and v.startswith("s3://")): return
            d[k] = "s3://bucket/value"
        g = (t.get("Globals") or {}).get("Function") if isinstance(t, dict) else None
        if isinstance(g, dict): s3(g, "CodeUri")
        for r in res.values():
            if not isinstance(r, dict): continue
            p = r.get("Properties", {})
            if r.get("Type") == "AWS::Serverless::Function" and p.get("PackageType", "Zip") == "Zip": s3(p, "CodeUri")
            if r.get("Type") == "AWS::Serverless::LayerVersion": s3(p, "ContentUri")
        transform(t, {}, P())
        print(f"{path}: VALID")
    except InvalidDocumentException as e:
        print(f"{path}: INVALID " + " | ".join(c.message for c in e.causes))
    except Exception as e:
        print(f"{path}: ERROR {type(e).__name__}: {e}")
