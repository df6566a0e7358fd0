//! Local evaluation of intrinsic functions and conditions.

// Test helpers panic on a broken fixture, which is the failure a test should show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use lamina_sam::{Context, ResolveError, Template};
use serde_json::json;

const TEMPLATE: &str = r#"
Parameters:
  Env: {Type: String, Default: dev}
  NoDefault: {Type: String}
  Count: {Type: Number, Default: 2}
Mappings:
  M:
    dev: {Size: small}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  Both: !And [!Condition IsDev, !Not [!Equals [!Ref Count, 3]]]
  Either: !Or [!Equals [a, b], !Condition Both]
  Loop1: !Not [!Condition Loop2]
  Loop2: !Not [!Condition Loop1]
Resources:
  Bucket: {Type: AWS::S3::Bucket}
Outputs:
  Sub: {Value: !Sub "${Env}-${AWS::Region}-${Bucket}-${!Literal}"}
  SubVars: {Value: !Sub ["${A}/${Env}", {A: !Ref Count}]}
  Join: {Value: !Join [",", [a, !Ref Env, 3]]}
  Select: {Value: !Select ["1", [x, y, z]]}
  Split: {Value: !Split [",", "a,b"]}
  Find: {Value: !FindInMap [M, !Ref Env, Size]}
  If: {Value: !If [Both, yes, no]}
  B64: {Value: !Base64 "hi"}
  Azs: {Value: !GetAZs ""}
  GetAtt: {Value: !GetAtt Bucket.Arn}
  Missing: {Value: !Ref Nothing}
  NoValue: {Value: !Ref NoDefault}
  List: {Value: [a, !Ref AWS::NoValue, b]}
  BadSelect: {Value: !Select [5, [a]]}
"#;

fn output<'a>(t: &'a Template, name: &str) -> &'a lamina_sam::Node {
    t.outputs
        .as_ref()
        .unwrap()
        .get(name)
        .unwrap()
        .get("Value")
        .unwrap()
}

#[test]
fn evaluates_what_sam_local_can() {
    let t = Template::parse(TEMPLATE).unwrap();
    let ctx = Context::new(&t, &BTreeMap::new());
    let r = |name: &str| ctx.resolve(output(&t, name));
    assert_eq!(r("Sub").unwrap(), json!("dev-us-east-1-Bucket-${Literal}"));
    assert_eq!(r("SubVars").unwrap(), json!("2/dev"));
    assert_eq!(r("Join").unwrap(), json!("a,dev,3"));
    assert_eq!(r("Select").unwrap(), json!("y"));
    assert_eq!(r("Split").unwrap(), json!(["a", "b"]));
    assert_eq!(r("Find").unwrap(), json!("small"));
    assert_eq!(r("If").unwrap(), json!("yes"));
    assert_eq!(r("B64").unwrap(), json!("aGk="));
    assert_eq!(
        r("Azs").unwrap(),
        json!(["us-east-1a", "us-east-1b", "us-east-1c"])
    );
    assert_eq!(r("List").unwrap(), json!(["a", "b"]));
    assert!(ctx.condition("Either").unwrap());
}

#[test]
fn reports_what_it_cannot() {
    let t = Template::parse(TEMPLATE).unwrap();
    let ctx = Context::new(&t, &BTreeMap::new());
    let r = |name: &str| ctx.resolve(output(&t, name));
    assert!(
        matches!(r("GetAtt"), Err(ResolveError::Unresolvable { function, .. }) if function == "Fn::GetAtt")
    );
    assert!(
        matches!(r("Missing"), Err(ResolveError::Undefined { target, .. }) if target == "Nothing")
    );
    assert!(matches!(r("NoValue"), Err(ResolveError::NoValue { name, .. }) if name == "NoDefault"));
    assert!(matches!(
        r("BadSelect"),
        Err(ResolveError::Malformed { .. })
    ));
    assert!(matches!(
        ctx.condition("Loop1"),
        Err(ResolveError::Malformed { .. })
    ));
    // Lenient evaluation keeps what it cannot know in long form.
    assert_eq!(
        ctx.resolve_lenient(output(&t, "GetAtt")),
        json!({"Fn::GetAtt": ["Bucket", "Arn"]})
    );
}

#[test]
fn overrides_and_pseudo_parameters_change_the_result() {
    let t = Template::parse(TEMPLATE).unwrap();
    let overrides = BTreeMap::from([
        ("Env".to_string(), "prod".to_string()),
        ("NoDefault".to_string(), "x".to_string()),
    ]);
    let ctx = Context::new(&t, &overrides).with_pseudo("AWS::Region", "eu-central-1");
    assert_eq!(
        ctx.resolve(output(&t, "Sub")).unwrap(),
        json!("prod-eu-central-1-Bucket-${Literal}")
    );
    assert_eq!(ctx.resolve(output(&t, "If")).unwrap(), json!("no"));
    assert_eq!(ctx.resolve(output(&t, "NoValue")).unwrap(), json!("x"));
    assert!(matches!(
        ctx.resolve(output(&t, "Find")),
        Err(ResolveError::Malformed { .. })
    ));
}
