//! Events `aws_lambda_events` has no type for, checked against the structures their services
//! document, with unknown fields refused. Lamina prints SAM CLI's samples byte for byte (the
//! differential suite compares them with SAM CLI); only samples that follow their service's
//! documented structure are checked here.

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

// ---- WorkMail

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
