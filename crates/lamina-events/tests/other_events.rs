//! The events `aws_lambda_events` has no type for (besides CloudFront, see `edge_events.rs`)
//! are checked against the structures their services document, with unknown fields refused,
//! so a typo in a template fails here.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn event(service: &str, name: &str) -> Value {
    lamina_events::generate(service, name, &BTreeMap::new())
        .unwrap_or_else(|e| panic!("{service} {name}: {e}"))
}

fn parse<T: DeserializeOwned>(service: &str, name: &str) -> T {
    serde_json::from_value(event(service, name)).unwrap_or_else(|e| panic!("{service} {name}: {e}"))
}

// ---- Alexa Skills Kit request envelope

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlexaRequestEnvelope {
    version: String,
    session: AlexaSession,
    context: AlexaContext,
    request: AlexaRequest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaSession {
    new: bool,
    session_id: String,
    application: AlexaApplication,
    attributes: BTreeMap<String, Value>,
    user: AlexaUser,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaApplication {
    application_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaUser {
    user_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AlexaContext {
    #[serde(rename = "AudioPlayer")]
    _audio_player: Option<Value>,
    #[serde(rename = "System")]
    system: AlexaSystem,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaSystem {
    application: AlexaApplication,
    user: AlexaUser,
    device: AlexaDevice,
    api_endpoint: String,
    api_access_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaDevice {
    device_id: String,
    supported_interfaces: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaRequest {
    #[serde(rename = "type")]
    kind: String,
    request_id: String,
    timestamp: String,
    locale: String,
    intent: Option<AlexaIntent>,
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaIntent {
    name: String,
    confirmation_status: String,
    slots: BTreeMap<String, AlexaSlot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AlexaSlot {
    name: String,
    value: String,
    confirmation_status: String,
}

#[test]
fn alexa_skills_kit_events_are_request_envelopes() {
    let expected = [
        ("end-session", "SessionEndedRequest", None),
        ("intent-answer", "IntentRequest", Some("AnswerIntent")),
        (
            "intent-getnewfact",
            "IntentRequest",
            Some("GetNewFactIntent"),
        ),
        ("intent-mycoloris", "IntentRequest", Some("MyColorIsIntent")),
        ("intent-recipe", "IntentRequest", Some("RecipeIntent")),
        ("start-session", "LaunchRequest", None),
    ];
    for (name, kind, intent) in expected {
        let e: AlexaRequestEnvelope = parse("alexa-skills-kit", name);
        assert_eq!(e.version, "1.0");
        assert_eq!(e.request.kind, kind, "{name}");
        assert_eq!(
            e.request.intent.as_ref().map(|i| i.name.as_str()),
            intent,
            "{name}"
        );
        assert_eq!(e.session.new, name == "start-session", "{name}");
        assert_eq!(e.request.reason.is_some(), name == "end-session", "{name}");
        assert!(e.session.session_id.starts_with("amzn1.echo-api.session."));
        assert!(e.request.request_id.starts_with("amzn1.echo-api.request."));
        assert!(e.request.timestamp.ends_with('Z') && e.request.locale == "en-US");
        // The skill and user seen in the session and in the context are the same.
        assert_eq!(
            e.session.application.application_id,
            e.context.system.application.application_id
        );
        assert_eq!(e.session.user.user_id, e.context.system.user.user_id);
        assert!(
            e.session
                .application
                .application_id
                .starts_with("amzn1.ask.skill.")
        );
        assert!(!e.context.system.device.device_id.is_empty());
        assert!(
            e.context
                .system
                .device
                .supported_interfaces
                .contains_key("AudioPlayer")
        );
        assert!(
            e.context.system.api_endpoint.starts_with("https://")
                && !e.context.system.api_access_token.is_empty()
        );
        if let Some(intent) = e.request.intent {
            assert!(["NONE", "CONFIRMED", "DENIED"].contains(&intent.confirmation_status.as_str()));
            for (key, slot) in intent.slots {
                assert_eq!(key, slot.name);
                assert!(!slot.value.is_empty() && slot.confirmation_status == "NONE");
            }
        }
        // Only the quiz answer carries session state from earlier turns.
        assert_eq!(
            !e.session.attributes.is_empty(),
            name == "intent-answer",
            "{name}"
        );
    }
    let options: BTreeMap<String, String> = [("user-id", "u-42"), ("application-id", "skill-7")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let v = lamina_events::generate("alexa-skills-kit", "intent-recipe", &options).unwrap();
    assert_eq!(
        v["context"]["System"]["user"]["userId"],
        "amzn1.ask.account.u-42"
    );
    assert_eq!(
        v["session"]["application"]["applicationId"],
        "amzn1.ask.skill.skill-7"
    );
}

// ---- Alexa Smart Home (payload version 2)

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmartHomeDirective {
    header: SmartHomeHeader,
    payload: SmartHomePayload,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SmartHomeHeader {
    message_id: String,
    name: String,
    namespace: String,
    payload_version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SmartHomePayload {
    access_token: String,
    appliance: Option<SmartHomeAppliance>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SmartHomeAppliance {
    appliance_id: String,
    additional_appliance_details: BTreeMap<String, Value>,
}

#[test]
fn alexa_smart_home_events_are_v2_directives() {
    for (name, header, namespace) in [
        (
            "smart-home-control-turn-off-request",
            "TurnOffRequest",
            "Alexa.ConnectedHome.Control",
        ),
        (
            "smart-home-control-turn-on-request",
            "TurnOnRequest",
            "Alexa.ConnectedHome.Control",
        ),
        (
            "smart-home-discovery-request",
            "DiscoverAppliancesRequest",
            "Alexa.ConnectedHome.Discovery",
        ),
    ] {
        let d: SmartHomeDirective = parse("alexa-smart-home", name);
        assert_eq!(
            (d.header.name.as_str(), d.header.namespace.as_str()),
            (header, namespace)
        );
        assert_eq!(d.header.payload_version, "2");
        assert_eq!(d.header.message_id.len(), 36, "a UUID");
        assert!(!d.payload.access_token.is_empty());
        assert_eq!(
            d.payload.appliance.is_some(),
            namespace.ends_with("Control")
        );
        if let Some(a) = d.payload.appliance {
            assert!(!a.appliance_id.is_empty() && a.additional_appliance_details.is_empty());
        }
    }
}

// ---- Lex V2 (AWS Lambda input event format for Lex V2)

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2Event {
    message_version: String,
    invocation_source: String,
    input_mode: String,
    response_content_type: String,
    session_id: String,
    input_transcript: String,
    bot: LexV2Bot,
    interpretations: Vec<LexV2Interpretation>,
    proposed_next_state: Option<LexV2NextState>,
    request_attributes: BTreeMap<String, String>,
    session_state: LexV2SessionState,
    transcriptions: Vec<LexV2Transcription>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2Bot {
    id: String,
    name: String,
    locale_id: String,
    version: String,
    alias_id: String,
    alias_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2Interpretation {
    interpretation_source: String,
    intent: LexV2Intent,
    nlu_confidence: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2Intent {
    name: String,
    slots: BTreeMap<String, Option<LexV2Slot>>,
    state: String,
    confirmation_state: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LexV2Slot {
    shape: String,
    value: LexV2SlotValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2SlotValue {
    original_value: String,
    interpreted_value: String,
    resolved_values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2NextState {
    dialog_action: LexV2DialogAction,
    intent: LexV2Intent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2DialogAction {
    #[serde(rename = "type")]
    kind: String,
    slot_to_elicit: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2SessionState {
    session_attributes: BTreeMap<String, String>,
    active_contexts: Vec<Value>,
    intent: LexV2Intent,
    originating_request_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct LexV2Transcription {
    transcription: String,
    transcription_confidence: f64,
    resolved_context: BTreeMap<String, String>,
    resolved_slots: BTreeMap<String, Value>,
}

#[test]
fn lex_v2_events_follow_the_lex_v2_input_format() {
    for (name, intent, source) in [
        ("banking-bot", "CheckBalance", "FulfillmentCodeHook"),
        ("book-car", "BookCar", "DialogCodeHook"),
        ("book-hotel", "BookHotel", "DialogCodeHook"),
    ] {
        let e: LexV2Event = parse("lex-v2", name);
        assert_eq!(e.message_version, "1.0");
        assert_eq!(e.invocation_source, source);
        assert!(["DTMF", "Speech", "Text"].contains(&e.input_mode.as_str()));
        assert!(e.response_content_type.starts_with("text/plain"));
        assert!(!e.session_id.is_empty() && !e.input_transcript.is_empty());
        assert!(!e.bot.id.is_empty() && !e.bot.name.is_empty() && e.bot.locale_id == "en_US");
        assert!(
            !e.bot.version.is_empty() && !e.bot.alias_id.is_empty() && !e.bot.alias_name.is_empty()
        );
        // The top interpretation is the session's intent.
        assert_eq!(e.interpretations[0].intent.name, intent);
        assert_eq!(e.session_state.intent.name, intent);
        for i in &e.interpretations {
            assert!(["Lex", "Bedrock"].contains(&i.interpretation_source.as_str()));
            assert!(i.nlu_confidence.is_none_or(|c| (0.0..=1.0).contains(&c)));
            assert!(
                ["InProgress", "ReadyForFulfillment", "Fulfilled", "Failed"]
                    .contains(&i.intent.state.as_str())
            );
            assert!(
                ["None", "Confirmed", "Denied"].contains(&i.intent.confirmation_state.as_str())
            );
        }
        for slot in e.session_state.intent.slots.values().flatten() {
            assert_eq!(slot.shape, "Scalar");
            assert!(
                slot.value
                    .resolved_values
                    .contains(&slot.value.interpreted_value)
            );
            assert!(!slot.value.original_value.is_empty());
        }
        // A dialog hook proposes the next slot to elicit; fulfillment does not.
        assert_eq!(e.proposed_next_state.is_some(), source == "DialogCodeHook");
        if let Some(next) = e.proposed_next_state {
            assert_eq!(next.dialog_action.kind, "ElicitSlot");
            let slot = next.dialog_action.slot_to_elicit.unwrap();
            assert!(next.intent.slots.contains_key(&slot));
            assert!(
                next.intent.slots[&slot].is_none(),
                "{name}: elicits an empty slot"
            );
        }
        assert_eq!(e.transcriptions[0].resolved_context["intent"], intent);
        assert!(e.transcriptions[0].transcription_confidence <= 1.0);
        assert!(
            !e.transcriptions[0].transcription.is_empty()
                && e.transcriptions[0].resolved_slots.is_empty()
        );
        assert!(e.request_attributes.is_empty() && e.session_state.session_attributes.is_empty());
        assert!(
            e.session_state.active_contexts.is_empty()
                && !e.session_state.originating_request_id.is_empty()
        );
    }
}

// ---- Kinesis Data Analytics input preprocessing

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AnalyticsPreprocessing {
    invocation_id: String,
    application_arn: String,
    stream_arn: String,
    records: Vec<AnalyticsRecord>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AnalyticsRecord {
    record_id: String,
    kinesis_stream_record_metadata: StreamRecordMetadata,
    data: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StreamRecordMetadata {
    shard_id: String,
    partition_key: String,
    approximate_arrival_timestamp: u64,
    sequence_number: String,
}

#[test]
fn kinesis_analytics_events_are_preprocessing_requests() {
    for name in [
        "analytics",
        "analytics-compressed",
        "analytics-dynamodb",
        "analytics-kpl",
    ] {
        let e: AnalyticsPreprocessing = parse("kinesis", name);
        assert!(!e.invocation_id.is_empty());
        assert_eq!(
            e.application_arn,
            "arn:aws:kinesisanalytics:us-east-1:123456789012:application/example-application"
        );
        assert_eq!(
            e.stream_arn,
            "arn:aws:kinesis:us-east-1:123456789012:stream/example-stream"
        );
        for r in e.records {
            assert_eq!(
                r.record_id,
                r.kinesis_stream_record_metadata.sequence_number
            );
            assert!(
                r.kinesis_stream_record_metadata
                    .shard_id
                    .starts_with("shardId-")
            );
            assert!(!r.kinesis_stream_record_metadata.partition_key.is_empty());
            assert!(
                r.kinesis_stream_record_metadata
                    .approximate_arrival_timestamp
                    > 1_500_000_000_000
            );
            assert!(!r.data.is_empty());
        }
    }
}

// ---- SageMaker Ground Truth, WorkMail, Step Functions, Batch

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PreHumanTask {
    version: String,
    labeling_job_arn: String,
    data_object: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AnnotationConsolidation {
    version: String,
    labeling_job_arn: String,
    label_categories: Vec<String>,
    label_attribute_name: String,
    role_arn: String,
    payload: BTreeMap<String, String>,
}

#[test]
fn sagemaker_ground_truth_requests() {
    let pre: PreHumanTask = parse("sagemaker", "ground-truth-pre-human");
    assert_eq!(pre.version, "2018-10-16");
    assert_eq!(
        pre.labeling_job_arn,
        "arn:aws:sagemaker:us-east-1:123456789012:labeling-job/example-job"
    );
    assert_eq!(
        pre.data_object["source-ref"],
        "s3://sagemakerexample/object_to_annotate.jpg"
    );

    let c: AnnotationConsolidation = parse("sagemaker", "ground-truth-annotation-consolidation");
    assert_eq!(c.version, "2018-10-16");
    assert_eq!(c.labeling_job_arn, pre.labeling_job_arn);
    assert_eq!(c.label_attribute_name, "example-attribute");
    assert!(!c.label_categories.is_empty());
    assert_eq!(c.role_arn, "arn:aws:iam::123456789012:role/sagemaker-role");
    assert_eq!(
        c.payload["s3Uri"],
        "s3://sagemakerexample/output/example-job/annotations/worker-response/iteration-1/0/2019-09-06_18:35:03.json"
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorkMailInvocation {
    summary_version: String,
    envelope: WorkMailEnvelope,
    sender: WorkMailAddress,
    subject: String,
    message_id: String,
    invocation_id: String,
    flow_direction: String,
    truncated: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorkMailEnvelope {
    mail_from: WorkMailAddress,
    recipients: Vec<WorkMailAddress>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WorkMailAddress {
    address: String,
}

#[test]
fn workmail_email_flow_invocation() {
    let w: WorkMailInvocation = parse("workmail", "email");
    assert_eq!(w.summary_version, "2018-10-10");
    assert_eq!(w.envelope.mail_from.address, "from@example.com");
    assert_eq!(w.sender.address, "sender@example.com");
    assert_eq!(w.flow_direction, "INBOUND");
    assert!(
        !w.envelope.recipients.is_empty()
            && w.envelope
                .recipients
                .iter()
                .all(|r| r.address.contains('@'))
    );
    assert!(
        !w.subject.is_empty()
            && w.message_id.len() == 36
            && w.invocation_id.len() == 32
            && !w.truncated
    );
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskError {
    #[serde(rename = "Error")]
    error: String,
    #[serde(rename = "Cause")]
    cause: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct GetJob {
    job_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct SubmitJob {
    job_name: String,
    job_queue: String,
    job_definition: String,
}

#[test]
fn step_functions_error_and_batch_inputs() {
    let e: TaskError = parse("stepfunctions", "error");
    assert_eq!(
        (e.error.as_str(), e.cause.as_str()),
        ("ErrorName", "This is the cause of the error.")
    );
    let g: GetJob = parse("batch", "get-job");
    assert_eq!(g.job_id.len(), 36);
    let s: SubmitJob = parse("batch", "submit-job");
    assert!(!s.job_name.is_empty() && !s.job_queue.is_empty() && !s.job_definition.is_empty());
}
