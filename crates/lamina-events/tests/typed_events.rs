//! Every generated event must deserialize into the `aws_lambda_events` type that real Rust
//! functions use for it, and that type must know every field we emit: we parse, serialize
//! back, and any field of ours that did not survive the round trip is a field the type does
//! not model. Such fields are allowed only where listed below with the reason (the real
//! service sends them; the crate just does not model them).
//!
//! Events for which the crate has no type are listed in `UNMAPPED`; the test fails if an event
//! is neither mapped nor listed, so a new event cannot silently skip the check.

use std::collections::BTreeMap;

use aws_lambda_events::event;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Parse strictly into `T` and return the JSON paths of our fields that `T` dropped.
fn round_trip<T: DeserializeOwned + Serialize>(generated: &Value) -> Result<Vec<String>, String> {
    // From text, as a function receives it (some types, like `LogsEvent`, only accept
    // borrowed strings and cannot be built from a `Value`).
    let text = serde_json::to_string(generated).map_err(|e| e.to_string())?;
    let typed: T = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let back = serde_json::to_value(&typed).map_err(|e| e.to_string())?;
    let mut dropped = Vec::new();
    dropped_paths(generated, &back, "", &mut dropped);
    Ok(dropped)
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Paths in `ours` whose key is absent from `theirs`. Keys compare case-insensitively because
/// `http::HeaderMap` lowercases header names; nulls and empty containers are skipped because
/// serializers legitimately omit them.
fn dropped_paths(ours: &Value, theirs: &Value, path: &str, out: &mut Vec<String>) {
    match (ours, theirs) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                if is_empty(value) {
                    continue;
                }
                let child = format!("{path}.{key}");
                match b.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    Some((_, other)) => dropped_paths(value, other, &child, out),
                    None => out.push(child),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                dropped_paths(x, y, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The typed check for (service, event), or `None` where the crate has no type.
fn typed_check(service: &str, name: &str, v: &Value) -> Option<Result<Vec<String>, String>> {
    use event::*;
    Some(match (service, name) {
        ("alb", "request") => round_trip::<alb::AlbTargetGroupRequest>(v),
        ("apigateway", "authorizer") => round_trip::<apigw::ApiGatewayCustomAuthorizerRequest>(v),
        ("apigateway", "request-authorizer") => {
            round_trip::<apigw::ApiGatewayCustomAuthorizerRequestTypeRequest>(v)
        }
        ("apigateway", "aws-proxy") => round_trip::<apigw::ApiGatewayProxyRequest>(v),
        ("apigateway", "http-api-proxy") => round_trip::<apigw::ApiGatewayV2httpRequest>(v),
        ("appsync", "resolver") => round_trip::<appsync::AppSyncDirectResolverEvent>(v),
        ("cloudformation", "create-request") => {
            round_trip::<cloudformation::CloudFormationCustomResourceRequest>(v)
        }
        ("codecommit", "repository") => round_trip::<code_commit::CodeCommitEvent>(v),
        ("codepipeline", "job") => round_trip::<codepipeline_job::CodePipelineJobEvent>(v),
        ("cognito", "sync-trigger") => round_trip::<cognito::CognitoEvent>(v),
        ("config", _) => round_trip::<config::ConfigEvent>(v),
        ("connect", "contact-flow-event") => round_trip::<connect::ConnectEvent>(v),
        ("dynamodb", "update") => round_trip::<dynamodb::Event>(v),
        ("cloudwatch", "logs") => round_trip::<cloudwatch_logs::LogsEvent>(v),
        ("cloudwatch", "scheduled-event") => round_trip::<cloudwatch_events::CloudWatchEvent>(v),
        ("kinesis", "get-records") => round_trip::<kinesis::KinesisEvent>(v),
        (
            "kinesis",
            "kinesis-firehose"
            | "apachelog"
            | "syslog"
            | "cloudwatch-logs-processor"
            | "streams-as-source",
        ) => round_trip::<firehose::KinesisFirehoseEvent>(v),
        ("lex", _) => round_trip::<lex::LexEvent>(v),
        ("rekognition", "s3-request") | ("s3", "put" | "delete") => round_trip::<s3::S3Event>(v),
        ("s3", "batch-invocation") => round_trip::<s3::batch_job::S3BatchJobEvent>(v),
        ("ses", "email-receiving") => round_trip::<ses::SimpleEmailEvent>(v),
        ("sns", "notification") => round_trip::<sns::SnsEvent>(v),
        ("sqs", "receive-message") => round_trip::<sqs::SqsEvent>(v),
        _ => return None,
    })
}

/// Events the crate has no type for, with the reason. Exactly these skip the typed check.
const UNMAPPED: &[(&str, &str, &str)] = &[
    ("alexa-skills-kit", "end-session", NO_ALEXA),
    ("alexa-skills-kit", "intent-answer", NO_ALEXA),
    ("alexa-skills-kit", "intent-getnewfact", NO_ALEXA),
    ("alexa-skills-kit", "intent-mycoloris", NO_ALEXA),
    ("alexa-skills-kit", "intent-recipe", NO_ALEXA),
    ("alexa-skills-kit", "start-session", NO_ALEXA),
    (
        "alexa-smart-home",
        "smart-home-control-turn-off-request",
        NO_ALEXA,
    ),
    (
        "alexa-smart-home",
        "smart-home-control-turn-on-request",
        NO_ALEXA,
    ),
    ("alexa-smart-home", "smart-home-discovery-request", NO_ALEXA),
    (
        "batch",
        "get-job",
        "a function's input, not a service event; no type",
    ),
    (
        "batch",
        "submit-job",
        "a function's input, not a service event; no type",
    ),
    ("cloudfront", "ab-test", NO_CLOUDFRONT),
    ("cloudfront", "access-request-in-response", NO_CLOUDFRONT),
    ("cloudfront", "http-redirect", NO_CLOUDFRONT),
    ("cloudfront", "modify-querystring", NO_CLOUDFRONT),
    ("cloudfront", "modify-response-header", NO_CLOUDFRONT),
    (
        "cloudfront",
        "multiple-remote-calls-aggregate-response",
        NO_CLOUDFRONT,
    ),
    (
        "cloudfront",
        "normalize-querystring-to-improve-cache-hit",
        NO_CLOUDFRONT,
    ),
    ("cloudfront", "redirect-on-viewer-country", NO_CLOUDFRONT),
    (
        "cloudfront",
        "redirect-unauthenticated-users",
        NO_CLOUDFRONT,
    ),
    ("cloudfront", "response-generation", NO_CLOUDFRONT),
    ("cloudfront", "serve-object-on-viewer-device", NO_CLOUDFRONT),
    ("cloudfront", "simple-remote-call", NO_CLOUDFRONT),
    ("kinesis", "analytics", NO_ANALYTICS),
    ("kinesis", "analytics-compressed", NO_ANALYTICS),
    ("kinesis", "analytics-dynamodb", NO_ANALYTICS),
    ("kinesis", "analytics-kpl", NO_ANALYTICS),
    ("lex-v2", "banking-bot", NO_LEX_V2),
    ("lex-v2", "book-car", NO_LEX_V2),
    ("lex-v2", "book-hotel", NO_LEX_V2),
    (
        "sagemaker",
        "ground-truth-pre-human",
        "no SageMaker Ground Truth type",
    ),
    (
        "sagemaker",
        "ground-truth-annotation-consolidation",
        "no SageMaker Ground Truth type",
    ),
    ("stepfunctions", "error", "a task's error object, no type"),
    ("workmail", "email", "no WorkMail type"),
    ("edge", "viewer-request", NO_CLOUDFRONT),
    ("edge", "origin-request", NO_CLOUDFRONT),
    ("edge", "origin-response", NO_CLOUDFRONT),
    ("edge", "viewer-response", NO_CLOUDFRONT),
];
const NO_ALEXA: &str = "no Alexa types";
const NO_CLOUDFRONT: &str = "no CloudFront / Lambda@Edge types (checked in edge_events.rs)";
const NO_ANALYTICS: &str =
    "only the output-delivery event is modelled, not the preprocessing input event";
const NO_LEX_V2: &str = "only Lex V1 is modelled";

/// Fields that real services send but the crate's types do not model, per event, in
/// catalog order.
const NOT_MODELLED: &[(&str, &str)] = &[
    // SAM's AppSync sample carries Cognito identity fields the identity type does not model.
    ("appsync resolver", ".identity.claims"),
    ("appsync resolver", ".identity.defaultAuthStrategy"),
    ("appsync resolver", ".identity.issuer"),
    ("appsync resolver", ".identity.sub"),
    // Connect sends the customer's Kinesis Video media stream; ConnectContactData lacks it.
    (
        "connect contact-flow-event",
        ".Details.ContactData.MediaStreams",
    ),
];

/// SAM CLI's samples that the typed models refuse. Lamina prints SAM's samples byte for byte
/// (the differential suite compares them with the installed SAM CLI), so these flaws of
/// SAM's files are expected here; `docs/sam.md` lists them.
const SAM_FLAWS: &[(&str, &str)] = &[
    ("kinesis apachelog", "Invalid symbol 61"),
    ("kinesis streams-as-source", "expected i64"),
    ("kinesis syslog", "invalid float literal"),
    ("lex book-car", "expected a string"),
    ("lex book-hotel", "expected a string"),
    ("ses email-receiving", "missing field `dmarcVerdict`"),
];

#[test]
fn every_mappable_event_parses_into_its_aws_lambda_events_type() {
    let mut dropped_fields = Vec::new();
    let mut failures = Vec::new();
    let mut mapped = 0;
    let mut flawed = 0;
    for spec in lamina_events::catalog() {
        let v = lamina_events::generate(spec.service, spec.name, &BTreeMap::new()).unwrap();
        let id = format!("{} {}", spec.service, spec.name);
        let listed = UNMAPPED
            .iter()
            .any(|(s, e, _)| *s == spec.service && *e == spec.name);
        match typed_check(spec.service, spec.name, &v) {
            Some(_) if listed => failures.push(format!("{id}: mapped but listed as unmapped")),
            None if !listed => {
                failures.push(format!("{id}: neither mapped nor listed as unmapped"))
            }
            None => {}
            Some(Err(e)) => {
                let known = SAM_FLAWS
                    .iter()
                    .any(|(event, text)| *event == id && e.contains(text));
                if known {
                    flawed += 1;
                } else {
                    failures.push(format!("{id}: {e}"));
                }
            }
            Some(Ok(dropped)) => {
                mapped += 1;
                dropped_fields.extend(dropped.into_iter().map(|path| (id.clone(), path)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "typed check failures:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        mapped + flawed + UNMAPPED.len(),
        lamina_events::catalog().len()
    );
    assert_eq!(flawed, SAM_FLAWS.len());
    assert_eq!(mapped, 28);
    let expected: Vec<(String, String)> = NOT_MODELLED
        .iter()
        .map(|(id, path)| (id.to_string(), path.to_string()))
        .collect();
    assert_eq!(
        dropped_fields, expected,
        "fields the types do not model changed"
    );
}

#[test]
fn every_unmapped_entry_names_a_catalog_event() {
    let catalog = lamina_events::catalog();
    for (service, name, _) in UNMAPPED {
        assert!(
            catalog
                .iter()
                .any(|s| s.service == *service && s.name == *name),
            "{service} {name} is not in the catalog"
        );
    }
}

/// The round-trip check must be able to fail: a field S3Event does not know is reported.
#[test]
fn round_trip_reports_a_field_the_type_does_not_model() {
    let mut v = lamina_events::generate("s3", "put", &BTreeMap::new()).unwrap();
    v["Records"][0]["s3"]["object"]["madeUpField"] = Value::from("x");
    let dropped = round_trip::<event::s3::S3Event>(&v).unwrap();
    assert_eq!(
        dropped,
        vec![".Records[0].s3.object.madeUpField".to_string()]
    );
}

/// And a wrongly typed field fails the parse itself.
#[test]
fn round_trip_rejects_a_wrongly_typed_field() {
    let mut v = lamina_events::generate("sqs", "receive-message", &BTreeMap::new()).unwrap();
    v["Records"][0]["attributes"] = Value::from("not a map");
    assert!(round_trip::<event::sqs::SqsEvent>(&v).is_err());
}

/// Firehose records fed by a CloudWatch Logs subscription carry CloudWatch Logs payloads
/// (gzipped, base64): each must be what `LogsEvent` decodes.
#[test]
fn cloudwatch_logs_processor_records_are_cloudwatch_logs_payloads() {
    let v =
        lamina_events::generate("kinesis", "cloudwatch-logs-processor", &BTreeMap::new()).unwrap();
    let records = v["records"].as_array().unwrap();
    assert_eq!(records.len(), 4);
    let mut kinds = Vec::new();
    for record in records {
        let wrapped = serde_json::json!({ "awslogs": { "data": record["data"] } }).to_string();
        let logs: event::cloudwatch_logs::LogsEvent = serde_json::from_str(&wrapped).unwrap();
        assert!(!logs.aws_logs.data.log_events.is_empty());
        kinds.push(logs.aws_logs.data.message_type);
    }
    assert_eq!(
        kinds,
        [
            "CONTROL_MESSAGE",
            "DATA_MESSAGE",
            "DATA_MESSAGE",
            "DATA_MESSAGE"
        ]
    );
}
