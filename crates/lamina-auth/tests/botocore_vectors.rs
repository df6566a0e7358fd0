//! Differential test against botocore, the signer boto3 and the AWS CLI use: 155 Lambda
//! requests built and signed by botocore itself (`botocore/make_vectors.py`: every e2e
//! operation, names, partial and full ARNs with qualifiers in paths, odd query values,
//! non-ASCII bodies, two secrets, with and without a session token, presigned URLs) must
//! verify, and each with its body, path, query, a signed header or the secret changed must
//! not.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::Engine;
use lamina_auth::AuthError;
use lamina_auth::sigv4::{Claim, Placement, RequestHead};

struct Vector {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    secret: String,
    token: Option<String>,
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/botocore/vectors.json"
    ))
    .unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    doc["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            method: v["method"].as_str().unwrap().into(),
            path: v["path"].as_str().unwrap().into(),
            query: v["query"].as_str().unwrap().into(),
            headers: v["headers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| (h[0].as_str().unwrap().into(), h[1].as_str().unwrap().into()))
                .collect(),
            body: base64::engine::general_purpose::STANDARD
                .decode(v["body"].as_str().unwrap())
                .unwrap(),
            secret: v["secret"].as_str().unwrap().into(),
            token: v["session_token"].as_str().map(String::from),
        })
        .collect()
}

fn head<'a>(v: &'a Vector, path: &'a str, query: &'a str) -> RequestHead<'a> {
    RequestHead {
        method: &v.method,
        path,
        query,
        headers: v
            .headers
            .iter()
            .map(|(k, val)| (k.as_str(), val.as_bytes()))
            .collect(),
    }
}

#[test]
fn every_botocore_signed_request_verifies_and_every_tampered_one_does_not() {
    let vectors = vectors();
    assert!(vectors.len() >= 150, "{} vectors", vectors.len());
    let mut presigned = 0;
    for (i, v) in vectors.iter().enumerate() {
        let id = format!("#{i} {} {}?{}", v.method, v.path, v.query);
        let h = head(v, &v.path, &v.query);
        let claim = Claim::parse(&h).unwrap_or_else(|e| panic!("{id}: {e}"));
        if let Placement::Query { .. } = claim.placement {
            presigned += 1;
        }
        assert_eq!(claim.security_token, v.token, "{id}");
        claim.check_scope("us-east-1", &["lambda"]).unwrap();
        claim.check_time(claim.timestamp).unwrap();
        claim
            .verify(&h, &v.body, &v.secret)
            .unwrap_or_else(|e| panic!("{id}: {e}"));

        let refused = |r: Result<(), AuthError>, what: &str| {
            assert_eq!(r, Err(AuthError::mismatch()), "{id}: {what} verified");
        };
        refused(
            claim.verify(&h, &v.body, "not the secret"),
            "another secret",
        );
        let mut body = v.body.clone();
        match body.first_mut() {
            Some(b) => *b ^= 1,
            None => body.push(b'x'),
        }
        refused(claim.verify(&h, &body, &v.secret), "a changed body");
        let path = format!("{}x", v.path);
        refused(
            claim.verify(&head(v, &path, &v.query), &v.body, &v.secret),
            "a changed path",
        );
        let query = if v.query.is_empty() {
            "Qualifier=1".to_string()
        } else {
            format!("{}&x=1", v.query)
        };
        refused(
            claim.verify(&head(v, &v.path, &query), &v.body, &v.secret),
            "a changed query",
        );
        let mut changed = head(v, &v.path, &v.query);
        for (name, value) in changed.headers.iter_mut() {
            if name.eq_ignore_ascii_case("host") {
                *value = b"127.0.0.1:9002";
            }
        }
        refused(claim.verify(&changed, &v.body, &v.secret), "a changed host");
    }
    assert_eq!(presigned, 3);
}
