//! The catalog matches SAM CLI's `generate-event` surface, every event renders with its
//! defaults and with every option changed, and bad requests are refused with the valid
//! choices named.

use std::collections::BTreeMap;

use lamina_events::{EventError, catalog, generate, services};
use serde_json::Value;

/// SAM CLI's services and events (`samcli/lib/generated_sample_events/event-mapping.json`,
/// 26 services, 68 events), in its order.
const SAM: &[(&str, &[&str])] = &[
    (
        "alexa-skills-kit",
        &[
            "end-session",
            "intent-answer",
            "intent-getnewfact",
            "intent-mycoloris",
            "intent-recipe",
            "start-session",
        ],
    ),
    (
        "alexa-smart-home",
        &[
            "smart-home-control-turn-off-request",
            "smart-home-control-turn-on-request",
            "smart-home-discovery-request",
        ],
    ),
    ("alb", &["request"]),
    (
        "apigateway",
        &[
            "authorizer",
            "request-authorizer",
            "aws-proxy",
            "http-api-proxy",
        ],
    ),
    ("appsync", &["resolver"]),
    ("batch", &["get-job", "submit-job"]),
    ("cloudformation", &["create-request"]),
    (
        "cloudfront",
        &[
            "ab-test",
            "access-request-in-response",
            "http-redirect",
            "modify-querystring",
            "modify-response-header",
            "multiple-remote-calls-aggregate-response",
            "normalize-querystring-to-improve-cache-hit",
            "redirect-on-viewer-country",
            "redirect-unauthenticated-users",
            "response-generation",
            "serve-object-on-viewer-device",
            "simple-remote-call",
        ],
    ),
    ("codecommit", &["repository"]),
    ("codepipeline", &["job"]),
    ("cognito", &["sync-trigger"]),
    (
        "config",
        &[
            "item-change-notification",
            "oversized-item-change-notification",
            "periodic-rule",
        ],
    ),
    ("connect", &["contact-flow-event"]),
    ("dynamodb", &["update"]),
    ("cloudwatch", &["logs", "scheduled-event"]),
    (
        "kinesis",
        &[
            "get-records",
            "kinesis-firehose",
            "analytics",
            "analytics-compressed",
            "analytics-dynamodb",
            "analytics-kpl",
            "apachelog",
            "cloudwatch-logs-processor",
            "streams-as-source",
            "syslog",
        ],
    ),
    (
        "lex",
        &[
            "book-car",
            "book-hotel",
            "make-appointment",
            "order-flowers",
        ],
    ),
    ("lex-v2", &["banking-bot", "book-car", "book-hotel"]),
    ("rekognition", &["s3-request"]),
    ("s3", &["batch-invocation", "delete", "put"]),
    (
        "sagemaker",
        &[
            "ground-truth-pre-human",
            "ground-truth-annotation-consolidation",
        ],
    ),
    ("ses", &["email-receiving"]),
    ("sns", &["notification"]),
    ("sqs", &["receive-message"]),
    ("stepfunctions", &["error"]),
    ("workmail", &["email"]),
];

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn catalog_is_sam_then_edge_in_a_stable_order() {
    let mut expected: Vec<(String, String)> = SAM
        .iter()
        .flat_map(|(s, events)| events.iter().map(move |e| (s.to_string(), e.to_string())))
        .collect();
    assert_eq!(expected.len(), 68);
    for trigger in [
        "viewer-request",
        "origin-request",
        "origin-response",
        "viewer-response",
    ] {
        expected.push(("edge".to_string(), trigger.to_string()));
    }
    let actual: Vec<(String, String)> = catalog()
        .iter()
        .map(|s| (s.service.to_string(), s.name.to_string()))
        .collect();
    assert_eq!(actual, expected);

    let mut expected_services: Vec<&str> = SAM.iter().map(|(s, _)| *s).collect();
    expected_services.push(lamina_events::EDGE_SERVICE);
    assert_eq!(services(), expected_services);
    assert_eq!(services().len(), 27);
}

#[test]
fn every_event_renders_with_defaults_and_no_placeholder_is_left() {
    for spec in catalog() {
        let v = generate(spec.service, spec.name, &BTreeMap::new())
            .unwrap_or_else(|e| panic!("{} {}: {e}", spec.service, spec.name));
        assert!(v.is_object(), "{} {}", spec.service, spec.name);
        let mut all = Vec::new();
        strings(&v, &mut all);
        for s in all {
            assert!(
                !s.contains("{{"),
                "{} {}: placeholder left in {s:?}",
                spec.service,
                spec.name
            );
        }
        // Every event in the catalog is documented.
        assert!(!spec.description.is_empty());
        for param in spec.params {
            assert!(
                !param.help.is_empty(),
                "{} {} --{}",
                spec.service,
                spec.name,
                param.name
            );
        }
    }
}

#[test]
fn every_option_changes_the_output() {
    for spec in catalog() {
        let base = generate(spec.service, spec.name, &BTreeMap::new()).unwrap();
        for param in spec.params {
            let value = match param.encoding {
                lamina_events::Encoding::Json => "{\"changed\":\"yes\"}",
                _ => "Y2hhbmdlZA==",
            };
            let changed = generate(spec.service, spec.name, &opts(&[(param.name, value)]))
                .unwrap_or_else(|e| panic!("{} {} --{}: {e}", spec.service, spec.name, param.name));
            assert_ne!(
                base, changed,
                "{} {}: --{} does not appear in the event",
                spec.service, spec.name, param.name
            );
        }
    }
}

#[test]
fn option_names_are_unique_per_event_and_dashless() {
    for spec in catalog() {
        let mut seen = std::collections::BTreeSet::new();
        for param in spec.params {
            assert!(!param.name.starts_with('-'));
            assert!(
                seen.insert(param.name),
                "{} {} repeats --{}",
                spec.service,
                spec.name,
                param.name
            );
        }
    }
}

#[test]
fn sam_defaults_for_s3_put() {
    let spec = lamina_events::find("s3", "put").unwrap();
    let defaults: Vec<(&str, &str)> = spec.params.iter().map(|p| (p.name, p.default)).collect();
    assert_eq!(
        defaults,
        vec![
            ("region", "us-east-1"),
            ("partition", "aws"),
            ("bucket", "example-bucket"),
            ("key", "test/key")
        ]
    );
    let v = generate("s3", "put", &BTreeMap::new()).unwrap();
    let r = &v["Records"][0];
    assert_eq!(r["s3"]["bucket"]["name"], "example-bucket");
    assert_eq!(r["s3"]["object"]["key"], "test/key");
    assert_eq!(r["awsRegion"], "us-east-1");
}

/// The seed's command: `sam local generate-event s3 put --bucket munns-test --key somephoto.jpeg`.
#[test]
fn seed_s3_put_event() {
    let v = generate(
        "s3",
        "put",
        &opts(&[("bucket", "munns-test"), ("key", "somephoto.jpeg")]),
    )
    .unwrap();
    let r = &v["Records"][0];
    assert_eq!(r["eventSource"], "aws:s3");
    assert_eq!(r["eventName"], "ObjectCreated:Put");
    assert_eq!(r["s3"]["bucket"]["name"], "munns-test");
    assert_eq!(r["s3"]["bucket"]["arn"], "arn:aws:s3:::munns-test");
    assert_eq!(r["s3"]["object"]["key"], "somephoto.jpeg");
    // Every field the seed lists is present.
    for path in [
        "/eventVersion",
        "/eventTime",
        "/requestParameters/sourceIPAddress",
        "/s3/configurationId",
        "/s3/object/eTag",
        "/s3/object/sequencer",
        "/s3/object/key",
        "/s3/object/size",
        "/s3/bucket/arn",
        "/s3/bucket/name",
        "/s3/bucket/ownerIdentity",
        "/s3/s3SchemaVersion",
        "/responseElements",
        "/awsRegion",
        "/eventName",
        "/userIdentity",
        "/eventSource",
    ] {
        assert!(r.pointer(path).is_some(), "missing {path}");
    }
}

#[test]
fn s3_key_is_url_encoded_like_sam() {
    let v = generate("s3", "put", &opts(&[("key", "photos/my photo+1.jpeg")])).unwrap();
    assert_eq!(
        v["Records"][0]["s3"]["object"]["key"],
        "photos/my%20photo%2B1.jpeg"
    );
    let v = generate("s3", "batch-invocation", &opts(&[("key", "a b")])).unwrap();
    assert_eq!(v["tasks"][0]["s3Key"], "a%20b");
}

#[test]
fn partition_and_region_flow_into_arns() {
    let v = generate(
        "sns",
        "notification",
        &opts(&[
            ("partition", "aws-cn"),
            ("region", "cn-north-1"),
            ("account-id", "210987654321"),
            ("topic", "Alerts"),
        ]),
    )
    .unwrap();
    assert_eq!(
        v["Records"][0]["Sns"]["TopicArn"],
        "arn:aws-cn:sns:cn-north-1:210987654321:Alerts"
    );
}

#[test]
fn kinesis_data_is_base64_encoded() {
    let v = generate("kinesis", "get-records", &opts(&[("data", "hello lamina")])).unwrap();
    assert_eq!(v["Records"][0]["kinesis"]["data"], "aGVsbG8gbGFtaW5h");
    let v = generate("kinesis", "get-records", &BTreeMap::new()).unwrap();
    assert_eq!(
        v["Records"][0]["kinesis"]["data"],
        "SGVsbG8sIHRoaXMgaXMgYSB0ZXN0IDEyMy4="
    );
}

#[test]
fn sqs_body_and_its_md5() {
    let v = generate(
        "sqs",
        "receive-message",
        &opts(&[("body", "{\"order\":1}")]),
    )
    .unwrap();
    let r = &v["Records"][0];
    assert_eq!(r["body"], "{\"order\":1}");
    // python3 -c 'import hashlib;print(hashlib.md5(b"{\"order\":1}").hexdigest())'
    assert_eq!(r["md5OfBody"], "190ad5fd0596a0629a0aa256937135a3");
    assert_eq!(
        r["eventSourceARN"],
        "arn:aws:sqs:us-east-1:123456789012:MyQueue"
    );
}

#[test]
fn api_gateway_body_is_base64() {
    let v = generate(
        "apigateway",
        "aws-proxy",
        &opts(&[("body", "hi"), ("method", "GET")]),
    )
    .unwrap();
    assert_eq!(v["body"], "aGk=");
    assert_eq!(v["httpMethod"], "GET");
}

#[test]
fn option_values_with_quotes_stay_inside_their_string() {
    let msg = "say \"hi\" \\ {braces}";
    let v = generate("sns", "notification", &opts(&[("message", msg)])).unwrap();
    assert_eq!(v["Records"][0]["Sns"]["Message"], msg);
}

#[test]
fn leading_dashes_on_option_names_are_accepted() {
    let v = generate("s3", "put", &opts(&[("--bucket", "b2")])).unwrap();
    assert_eq!(v["Records"][0]["s3"]["bucket"]["name"], "b2");
}

#[test]
fn unknown_service_lists_valid_services() {
    let err = generate("s4", "put", &BTreeMap::new()).unwrap_err();
    assert!(
        matches!(&err, EventError::UnknownService { service, valid } if service == "s4" && valid.len() == 27)
    );
    let msg = err.to_string();
    assert!(
        msg.starts_with("unknown service 's4'; valid services: alexa-skills-kit, "),
        "{msg}"
    );
    assert!(msg.contains("s3") && msg.ends_with("edge"), "{msg}");
}

#[test]
fn unknown_event_lists_the_services_events() {
    let err = generate("s3", "get", &BTreeMap::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown event 'get' for service 's3'; valid events: batch-invocation, delete, put"
    );
}

#[test]
fn unknown_option_lists_valid_options() {
    let err = generate("s3", "put", &opts(&[("bukket", "x")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown option '--bukket' for 's3 put'; valid options: --region, --partition, --bucket, --key"
    );
    let err = generate("lex", "book-car", &opts(&[("region", "x")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown option '--region' for 'lex book-car'; valid options: (none)"
    );
}

#[test]
fn edge_triggers_carry_their_event_type() {
    for trigger in [
        "viewer-request",
        "origin-request",
        "origin-response",
        "viewer-response",
    ] {
        let v = generate(
            "edge",
            trigger,
            &opts(&[("uri", "/img/a.png"), ("querystring", "w=100")]),
        )
        .unwrap();
        let cf = &v["Records"][0]["cf"];
        assert_eq!(cf["config"]["eventType"], trigger);
        assert_eq!(cf["request"]["uri"], "/img/a.png");
        assert_eq!(cf["request"]["querystring"], "w=100");
        assert_eq!(
            cf.get("response").is_some(),
            trigger.ends_with("response"),
            "{trigger}"
        );
    }
    let v = generate(
        "edge",
        "origin-request",
        &opts(&[("origin-domain", "origin.example.net")]),
    )
    .unwrap();
    assert_eq!(
        v["Records"][0]["cf"]["request"]["origin"]["custom"]["domainName"],
        "origin.example.net"
    );
}

#[test]
fn config_events_carry_json_text() {
    for event in [
        "item-change-notification",
        "oversized-item-change-notification",
        "periodic-rule",
    ] {
        let v = generate(
            "config",
            event,
            &opts(&[("account-id", "210987654321"), ("region", "eu-west-1")]),
        )
        .unwrap();
        let invoking: Value = serde_json::from_str(v["invokingEvent"].as_str().unwrap())
            .unwrap_or_else(|e| panic!("{event}: invokingEvent is not JSON: {e}"));
        let _: Value = serde_json::from_str(v["ruleParameters"].as_str().unwrap()).unwrap();
        let account = invoking
            .pointer("/configurationItem/awsAccountId")
            .or_else(|| invoking.pointer("/configurationItemSummary/awsAccountId"))
            .or_else(|| invoking.pointer("/awsAccountId"))
            .unwrap();
        assert_eq!(account, "210987654321", "{event}");
        assert_eq!(v["accountId"], "210987654321");
    }
}

#[test]
fn text_output_is_the_same_event_in_the_services_field_order() {
    for spec in catalog() {
        let text = lamina_events::generate_text(spec.service, spec.name, &BTreeMap::new()).unwrap();
        let parsed: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            parsed,
            generate(spec.service, spec.name, &BTreeMap::new()).unwrap()
        );
    }
    let text =
        lamina_events::generate_text("s3", "put", &opts(&[("bucket", "munns-test")])).unwrap();
    let order: Vec<usize> = [
        "\"eventVersion\"",
        "\"eventSource\"",
        "\"awsRegion\"",
        "\"eventTime\"",
        "\"eventName\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
}

/// A value that looks like a placeholder is data, not a template.
#[test]
fn option_values_are_never_expanded_again() {
    let v = generate(
        "sns",
        "notification",
        &opts(&[("message", "{{region}} {{nope}}")]),
    )
    .unwrap();
    assert_eq!(v["Records"][0]["Sns"]["Message"], "{{region}} {{nope}}");
}
