use super::*;

fn at(s: &str) -> OffsetDateTime {
    time::PrimitiveDateTime::parse(s, AMZ_DATE)
        .unwrap()
        .assume_utc()
}

fn signed(
    method: &'static str,
    path: &'static str,
    query: &'static str,
    body: &[u8],
    now: OffsetDateTime,
) -> Vec<(String, String)> {
    let head = RequestHead {
        method,
        path,
        query,
        headers: vec![("Host", b"127.0.0.1:9001".as_slice())],
    };
    let creds = SigningCredentials {
        access_key_id: "LKIAEXAMPLE",
        secret: "secret",
        session_token: None,
        region: "us-east-1",
        service: "lambda",
    };
    let mut headers = vec![("Host".to_string(), "127.0.0.1:9001".to_string())];
    headers.extend(sign(&head, body, &creds, now));
    headers
}

fn head_of<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(String, String)],
) -> RequestHead<'a> {
    RequestHead {
        method,
        path,
        query,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_bytes()))
            .collect(),
    }
}

#[test]
fn lambda_paths_are_encoded_twice_as_botocore_does() {
    // botocore 1.43: get_function_configuration(FunctionName='my-fn:prod').
    assert_eq!(
        canonical_uri("/2015-03-31/functions/my-fn%3Aprod/configuration"),
        "/2015-03-31/functions/my-fn%253Aprod/configuration"
    );
    assert_eq!(
        canonical_query("Qualifier=%24LATEST", false),
        "Qualifier=%24LATEST"
    );
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("//a/./b/../c//"), "/a/c/");
}

#[test]
fn query_is_sorted_by_key_then_value_and_normalised() {
    assert_eq!(canonical_query("b=2&a=2&a=1&c", false), "a=1&a=2&b=2&c=");
    assert_eq!(canonical_query("k=a%2fb%7e", false), "k=a%2Fb~");
    assert_eq!(
        canonical_query("X-Amz-Signature=abc&X-Amz-Date=1", true),
        "X-Amz-Date=1"
    );
}

#[test]
fn a_signed_request_verifies_and_any_change_breaks_it() {
    let now = at("20261203T060000Z");
    let body = br#"{"a":1}"#;
    let path = "/2015-03-31/functions/f%3A1/invocations";
    let headers = signed("POST", path, "", body, now);
    let head = head_of("POST", path, "", &headers);
    let claim = Claim::parse(&head).unwrap();
    claim.check_scope("us-east-1", &["lambda"]).unwrap();
    claim.check_time(now).unwrap();
    claim.verify(&head, body, "secret").unwrap();
    assert_eq!(
        claim.verify(&head, b"{\"a\":2}", "secret"),
        Err(AuthError::mismatch())
    );
    assert_eq!(
        claim.verify(&head, body, "secreT"),
        Err(AuthError::mismatch())
    );
    let other = head_of(
        "POST",
        "/2015-03-31/functions/g%3A1/invocations",
        "",
        &headers,
    );
    assert_eq!(
        claim.verify(&other, body, "secret"),
        Err(AuthError::mismatch())
    );
    let with_query = head_of("POST", path, "Qualifier=2", &headers);
    assert_eq!(
        claim.verify(&with_query, body, "secret"),
        Err(AuthError::mismatch())
    );
    let get = head_of("GET", path, "", &headers);
    assert_eq!(
        claim.verify(&get, body, "secret"),
        Err(AuthError::mismatch())
    );
}

#[test]
fn five_minutes_of_skew_pass_and_301_seconds_do_not() {
    let signed_at = at("20150806T131534Z");
    let headers = signed("GET", "/2015-03-31/functions/", "", b"", signed_at);
    let head = head_of("GET", "/2015-03-31/functions/", "", &headers);
    let claim = Claim::parse(&head).unwrap();
    claim
        .check_time(signed_at + time::Duration::seconds(300))
        .unwrap();
    claim
        .check_time(signed_at - time::Duration::seconds(300))
        .unwrap();
    assert_eq!(
        claim.check_time(at("20150806T132035Z")),
        Err(AuthError::InvalidSignature(
            "Signature expired: 20150806T131534Z is now earlier than 20150806T131535Z (20150806T132035Z - 5 min.)"
                .to_string()
        ))
    );
    assert_eq!(
        claim.check_time(at("20150806T131033Z")),
        Err(AuthError::InvalidSignature(
            "Signature not yet current: 20150806T131534Z is still later than 20150806T131533Z (20150806T131033Z + 5 min.)"
                .to_string()
        ))
    );
}

#[test]
fn unsigned_and_incomplete_requests_are_named_as_aws_names_them() {
    let none = RequestHead {
        method: "GET",
        path: "/",
        query: "",
        headers: vec![("Host", b"h".as_slice())],
    };
    assert_eq!(
        Claim::parse(&none).unwrap_err(),
        AuthError::MissingAuthenticationToken
    );
    let partial = RequestHead {
        method: "GET",
        path: "/",
        query: "",
        headers: vec![(
            "Authorization",
            b"AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/lambda/aws4_request".as_slice(),
        )],
    };
    let err = Claim::parse(&partial).unwrap_err();
    assert_eq!(err.code(), "IncompleteSignatureException");
    assert!(err.to_string().contains("'Signature'"), "{err}");
}

#[test]
fn scope_must_name_this_region_and_service_and_sign_host() {
    let now = at("20261203T060000Z");
    let headers = signed("GET", "/", "", b"", now);
    let head = head_of("GET", "/", "", &headers);
    let claim = Claim::parse(&head).unwrap();
    assert!(claim.check_scope("eu-west-1", &["lambda"]).is_err());
    assert!(claim.check_scope("us-east-1", &["logs"]).is_err());
    let mut no_host = claim.clone();
    no_host.signed_headers.retain(|h| h != "host");
    assert!(no_host.check_scope("us-east-1", &["lambda"]).is_err());
}

#[test]
fn a_signature_of_the_wrong_length_or_not_hex_is_a_mismatch() {
    let now = at("20261203T060000Z");
    let headers = signed("GET", "/", "", b"", now);
    let head = head_of("GET", "/", "", &headers);
    let mut claim = Claim::parse(&head).unwrap();
    claim.signature.truncate(10);
    assert_eq!(
        claim.verify(&head, b"", "secret"),
        Err(AuthError::mismatch())
    );
    claim.signature = "zz".repeat(32);
    assert_eq!(
        claim.verify(&head, b"", "secret"),
        Err(AuthError::mismatch())
    );
}
