//! `aws_lambda_events` has no CloudFront types, so the CloudFront and Lambda@Edge events are
//! checked against the documented event structure here, with every struct refusing unknown
//! fields: `Records[].cf.{config, request, response}`, headers keyed by lowercase name with
//! `[{key, value}]` lists, `origin` only on origin requests, `response` only on response
//! triggers.

use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    cf: Cf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Cf {
    config: Config,
    request: Option<Request>,
    response: Option<Response>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Config {
    distribution_domain_name: String,
    distribution_id: String,
    event_type: String,
    request_id: String,
}

type Headers = BTreeMap<String, Vec<Header>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    key: Option<String>,
    value: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Request {
    client_ip: String,
    method: String,
    uri: String,
    querystring: String,
    headers: Headers,
    origin: Option<Origin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Origin {
    custom: Option<CustomOrigin>,
    s3: Option<S3Origin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct S3Origin {
    auth_method: String,
    custom_headers: Headers,
    domain_name: String,
    path: String,
    region: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct CustomOrigin {
    custom_headers: Headers,
    domain_name: String,
    keepalive_timeout: u32,
    path: String,
    port: u16,
    protocol: String,
    read_timeout: u32,
    ssl_protocols: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Response {
    status: String,
    status_description: String,
    headers: Headers,
}

const TRIGGERS: [&str; 4] = [
    "viewer-request",
    "origin-request",
    "origin-response",
    "viewer-response",
];

fn check_headers(id: &str, headers: &Headers) {
    for (name, list) in headers {
        assert_eq!(
            name,
            &name.to_lowercase(),
            "{id}: header map keys are lowercase"
        );
        assert!(!list.is_empty(), "{id}: {name} has no values");
        for header in list {
            if let Some(key) = &header.key {
                assert_eq!(&key.to_lowercase(), name, "{id}: key matches its map entry");
            }
            assert!(
                !header.value.is_empty() || name == "x-empty",
                "{id}: {name} is empty"
            );
        }
    }
}

fn check(id: &str, json: &serde_json::Value, expected_trigger: Option<&str>) {
    let event: Event = serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{id}: {e}"));
    assert_eq!(event.records.len(), 1, "{id}");
    let cf = &event.records[0].cf;
    let trigger = cf.config.event_type.as_str();
    assert!(TRIGGERS.contains(&trigger), "{id}: eventType {trigger}");
    if let Some(expected) = expected_trigger {
        assert_eq!(trigger, expected, "{id}");
    }
    assert!(
        cf.config
            .distribution_domain_name
            .ends_with(".cloudfront.net"),
        "{id}"
    );
    assert!(
        !cf.config.distribution_id.is_empty() && !cf.config.request_id.is_empty(),
        "{id}"
    );

    let request = cf
        .request
        .as_ref()
        .unwrap_or_else(|| panic!("{id}: every trigger sees the request"));
    request
        .client_ip
        .parse::<IpAddr>()
        .unwrap_or_else(|e| panic!("{id}: clientIp: {e}"));
    assert!(request.uri.starts_with('/'), "{id}: uri must start with /");
    assert!(
        !request.querystring.starts_with('?'),
        "{id}: querystring has no leading ?"
    );
    assert!(
        ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
            .contains(&request.method.as_str()),
        "{id}"
    );
    assert!(
        request.headers.contains_key("host"),
        "{id}: requests carry Host"
    );
    check_headers(id, &request.headers);
    assert_eq!(
        request.origin.is_some(),
        trigger == "origin-request",
        "{id}: origin only on origin-request"
    );
    if let Some(origin) = &request.origin {
        assert!(
            origin.custom.is_some() != origin.s3.is_some(),
            "{id}: one origin kind"
        );
    }
    if let Some(s3) = request.origin.as_ref().and_then(|o| o.s3.as_ref()) {
        check_headers(id, &s3.custom_headers);
        assert!(
            ["origin-access-identity", "none"].contains(&s3.auth_method.as_str()),
            "{id}"
        );
        assert!(
            s3.domain_name.ends_with(".amazonaws.com") && !s3.region.is_empty(),
            "{id}"
        );
        assert!(s3.path.is_empty() || s3.path.starts_with('/'), "{id}");
    }
    if let Some(custom) = request.origin.as_ref().and_then(|o| o.custom.as_ref()) {
        check_headers(id, &custom.custom_headers);
        assert!(
            !custom.domain_name.is_empty() && custom.port > 0 && custom.read_timeout > 0,
            "{id}"
        );
        assert!(
            custom.keepalive_timeout > 0 && ["http", "https"].contains(&custom.protocol.as_str()),
            "{id}"
        );
        assert!(
            custom.path.is_empty() || custom.path.starts_with('/'),
            "{id}"
        );
        assert!(!custom.ssl_protocols.is_empty(), "{id}");
    }

    assert_eq!(
        cf.response.is_some(),
        trigger.ends_with("-response"),
        "{id}: response only on response triggers"
    );
    if let Some(response) = &cf.response {
        let status: u16 = response
            .status
            .parse()
            .unwrap_or_else(|e| panic!("{id}: status: {e}"));
        assert!((100..=599).contains(&status), "{id}");
        assert!(!response.status_description.is_empty(), "{id}");
        check_headers(id, &response.headers);
    }
}

#[test]
fn edge_events_have_the_lambda_edge_structure() {
    // SAM's `cloudfront` samples (printed as SAM prints them) leave out config fields
    // CloudFront sends; the `edge` events carry the whole structure.
    let mut checked = 0;
    for spec in lamina_events::catalog() {
        let expected = match spec.service {
            "edge" => Some(spec.name),
            _ => continue,
        };
        let v = lamina_events::generate(spec.service, spec.name, &BTreeMap::new()).unwrap();
        check(&format!("{} {}", spec.service, spec.name), &v, expected);
        checked += 1;
    }
    assert_eq!(checked, 4);
}

#[test]
fn edge_options_keep_the_structure() {
    let options: BTreeMap<String, String> = [
        ("uri", "/api/items"),
        ("method", "POST"),
        ("querystring", "a=1&b=2"),
        ("client-ip", "2001:db8::1"),
        ("distribution-domain", "d2222222abcdef8.cloudfront.net"),
        ("distribution-id", "E2QWRUHEXAMPLE"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for trigger in TRIGGERS {
        let v = lamina_events::generate("edge", trigger, &options).unwrap();
        check(&format!("edge {trigger}"), &v, Some(trigger));
        assert_eq!(
            v["Records"][0]["cf"]["request"]["headers"]["host"][0]["value"],
            "d2222222abcdef8.cloudfront.net"
        );
        assert_eq!(
            v["Records"][0]["cf"]["config"]["distributionId"],
            "E2QWRUHEXAMPLE"
        );
    }
}

#[test]
fn an_unknown_field_fails_the_structure_check() {
    let mut v = lamina_events::generate("edge", "viewer-request", &BTreeMap::new()).unwrap();
    v["Records"][0]["cf"]["request"]["bogus"] = serde_json::Value::from(1);
    assert!(serde_json::from_value::<Event>(v).is_err());
}
