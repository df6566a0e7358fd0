//! SigV4 from a hostile client: reading the claim of any request head never panics, and a
//! request signed as botocore signs it (any method, path, query, headers, body and secret)
//! verifies, while the same request with one body byte or the secret changed does not.

#![no_main]

use arbitrary::Arbitrary;
use lamina_auth::sigv4::{Claim, RequestHead, SigningCredentials, sign};
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

#[derive(Debug, Arbitrary)]
struct Input {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    secret: String,
    seconds: u32,
}

fuzz_target!(|input: Input| {
    // Anything at all: the claim parser sees raw names and bytes.
    let raw = RequestHead {
        method: &input.method,
        path: &input.path,
        query: &input.query,
        headers: input
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect(),
    };
    if let Ok(claim) = Claim::parse(&raw) {
        let _ = claim.scope();
        let _ = claim.check_scope("us-east-1", &["lambda"]);
        let _ = claim.verify(&raw, &input.body, &input.secret);
    }

    // What a well-formed client sends: token header names, visible ASCII values.
    let headers: Vec<(String, Vec<u8>)> = input
        .headers
        .iter()
        .filter(|(n, v)| {
            !n.is_empty()
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !n.starts_with("x-amz-")
                && n != "authorization"
                && n != "host"
                && v.iter().all(|b| (0x20..0x7f).contains(b))
        })
        .cloned()
        .collect();
    let mut head = RequestHead {
        method: &input.method,
        path: &input.path,
        query: &input.query,
        headers: vec![("host", b"127.0.0.1:9001".as_slice())],
    };
    head.headers
        .extend(headers.iter().map(|(n, v)| (n.as_str(), v.as_slice())));
    let now = OffsetDateTime::from_unix_timestamp(1_577_836_800 + i64::from(input.seconds))
        .expect("a time after 2020");
    let credentials = SigningCredentials {
        access_key_id: "AKIDEXAMPLE",
        secret: &input.secret,
        session_token: None,
        region: "us-east-1",
        service: "lambda",
    };
    let added = sign(&head, &input.body, &credentials, now);
    let mut signed = head.clone();
    signed
        .headers
        .extend(added.iter().map(|(n, v)| (n.as_str(), v.as_bytes())));
    let claim = Claim::parse(&signed).expect("our own signature parses");
    claim
        .check_scope("us-east-1", &["lambda"])
        .expect("our own scope is accepted");
    claim
        .verify(&signed, &input.body, &input.secret)
        .unwrap_or_else(|e| panic!("our own signature does not verify: {e:?}"));
    let mut tampered = input.body.clone();
    tampered.push(0);
    assert!(
        claim.verify(&signed, &tampered, &input.secret).is_err(),
        "a changed body still verifies"
    );
    let other = format!("{}x", input.secret);
    assert!(
        claim.verify(&signed, &input.body, &other).is_err(),
        "another secret still verifies"
    );
});
