use serde_json::json;

use super::*;

const A: &str = "111111111111";
const B: &str = "222222222222";

fn who(account: &str, read_only: bool) -> Identity {
    Identity {
        account_id: account.into(),
        access_key_id: "LKIATEST".into(),
        read_only,
    }
}

fn owner() -> Owner<'static> {
    Owner {
        account_id: A,
        region: "us-east-1",
    }
}

#[test]
fn lambda_paths_are_named_as_lambda_names_the_operations() {
    let op = Operation::classify("POST", "/2015-03-31/functions/my-fn%3Aprod/invocations");
    assert_eq!(op.name, "Invoke");
    assert_eq!(op.function.as_deref(), Some("my-fn:prod"));
    assert_eq!(op.action(), "lambda:InvokeFunction");
    assert!(op.mutates);
    let op = Operation::classify("GET", "/2015-03-31/functions/");
    assert_eq!((op.name.as_str(), op.mutates), ("ListFunctions", false));
    let op = Operation::classify("DELETE", "/2015-03-31/functions/f/aliases/live");
    assert_eq!(op.name, "DeleteAlias");
    let op = Operation::classify(
        "GET",
        "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Af",
    );
    assert_eq!(
        op.function.as_deref(),
        Some("arn:aws:lambda:us-east-1:111111111111:function:f")
    );
}

#[test]
fn function_references_name_their_account_when_they_have_one() {
    let r = FunctionRef::parse("arn:aws:lambda:us-east-1:111111111111:function:f:live");
    assert_eq!(
        (
            r.account.as_deref(),
            r.name.as_str(),
            r.qualifier.as_deref()
        ),
        (Some(A), "f", Some("live"))
    );
    let r = FunctionRef::parse("111111111111:function:f");
    assert_eq!(
        (r.account.as_deref(), r.name.as_str(), r.qualifier),
        (Some(A), "f", None)
    );
    let r = FunctionRef::parse("f:3");
    assert_eq!(
        (r.account, r.name.as_str(), r.qualifier.as_deref()),
        (None, "f", Some("3"))
    );
}

#[test]
fn the_owning_account_may_do_anything_and_read_only_keys_only_read() {
    let get = Operation::classify("GET", "/2015-03-31/functions/f");
    let delete = Operation::classify("DELETE", "/2015-03-31/functions/f");
    assert_eq!(
        decide(&who(A, false), &owner(), &delete, None),
        Decision::Allow
    );
    assert_eq!(decide(&who(A, true), &owner(), &get, None), Decision::Allow);
    let Decision::Deny(e) = decide(&who(A, true), &owner(), &delete, None) else {
        panic!("a read-only key deleted a function");
    };
    assert_eq!(
        e.to_string(),
        "User: arn:aws:iam::111111111111:user/LKIATEST is not authorized to perform: lambda:DeleteFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:f because no identity-based policy allows the lambda:DeleteFunction action"
    );
}

#[test]
fn a_foreign_account_sees_nothing_and_may_only_ask_to_invoke() {
    let b = who(B, false);
    let list = Operation::classify("GET", "/2015-03-31/functions/");
    assert_eq!(decide(&b, &owner(), &list, None), Decision::EmptyList);
    let by_arn =
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A111111111111%3Afunction%3Af";
    for (method, suffix) in [
        ("GET", ""),
        ("DELETE", ""),
        ("PUT", "/configuration"),
        ("PUT", "/code"),
    ] {
        let op = Operation::classify(method, &format!("{by_arn}{suffix}"));
        assert_eq!(
            decide(&b, &owner(), &op, None),
            Decision::NotFound(
                "Function not found: arn:aws:lambda:us-east-1:111111111111:function:f".into()
            ),
            "{method} {suffix}"
        );
    }
    // A plain name is a name in B's own account, which holds nothing here.
    let op = Operation::classify("POST", "/2015-03-31/functions/f/invocations");
    assert_eq!(
        decide(&b, &owner(), &op, None),
        Decision::NotFound(
            "Function not found: arn:aws:lambda:us-east-1:222222222222:function:f".into()
        )
    );
    let op = Operation::classify("POST", &format!("{by_arn}/invocations"));
    assert_eq!(
        decide(&b, &owner(), &op, Some("live")),
        Decision::NeedsPolicy {
            name: "f".into(),
            qualifier: Some("live".into()),
            resource: "arn:aws:lambda:us-east-1:111111111111:function:f:live".into()
        }
    );
    let create = Operation::classify("POST", "/2015-03-31/functions");
    assert!(matches!(
        decide(&b, &owner(), &create, None),
        Decision::Deny(AuthError::AccessDenied(_))
    ));
}

#[test]
fn policies_allow_the_account_the_principal_or_anyone_but_nothing_else() {
    let b = who(B, false);
    let fn_arn = "arn:aws:lambda:us-east-1:111111111111:function:f";
    let stmt = |principal: Value, action: &str, resource: &str| json!({"Sid": "s", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource});
    let invoke = "lambda:InvokeFunction";
    for principal in [
        json!({"AWS": "arn:aws:iam::222222222222:root"}),
        json!({"AWS": "arn:aws:iam::222222222222:user/LKIATEST"}),
        json!({"AWS": ["arn:aws:iam::333333333333:root", "222222222222"]}),
        json!("*"),
    ] {
        assert!(
            policy_allows(
                &[stmt(principal.clone(), invoke, fn_arn)],
                &b,
                invoke,
                fn_arn
            ),
            "{principal}"
        );
    }
    assert!(policy_allows(
        &[stmt(json!("*"), "lambda:*", fn_arn)],
        &b,
        invoke,
        fn_arn
    ));
    // Another account, another action, another qualifier, a service principal, a condition.
    assert!(!policy_allows(
        &[stmt(
            json!({"AWS": "arn:aws:iam::333333333333:root"}),
            invoke,
            fn_arn
        )],
        &b,
        invoke,
        fn_arn
    ));
    assert!(!policy_allows(
        &[stmt(json!("*"), "lambda:GetFunction", fn_arn)],
        &b,
        invoke,
        fn_arn
    ));
    assert!(!policy_allows(
        &[stmt(json!("*"), invoke, &format!("{fn_arn}:live"))],
        &b,
        invoke,
        fn_arn
    ));
    assert!(!policy_allows(
        &[stmt(json!({"Service": "s3.amazonaws.com"}), invoke, fn_arn)],
        &b,
        invoke,
        fn_arn
    ));
    let mut conditional = stmt(json!("*"), invoke, fn_arn);
    conditional["Condition"] = json!({"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::b"}});
    assert!(!policy_allows(&[conditional], &b, invoke, fn_arn));
    let mut deny = stmt(json!("*"), invoke, fn_arn);
    deny["Effect"] = json!("Deny");
    assert!(!policy_allows(&[deny], &b, invoke, fn_arn));
    assert_eq!(
        policy_denied(&b, invoke, fn_arn).to_string(),
        "User: arn:aws:iam::222222222222:user/LKIATEST is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111111111111:function:f because no resource-based policy allows the lambda:InvokeFunction action"
    );
}
