//! What a Lambda@Edge function returns is untrusted: the proxy's checks of a returned
//! request (uri, query string, headers, replaced body) and of a generated or returned
//! response (status, headers, body encoding, size limits) never panic, and whatever they
//! accept is within CloudFront's rules. The first byte picks the trigger; the rest is JSON.

#![no_main]

use lamina_edge::config::EventType;
use lamina_edge::proxy::event::Request;
use lamina_edge::proxy::rules::{
    body_limit, check_request, generated_limit, read_response, replaced_body,
};
use libfuzzer_sys::fuzz_target;

const EVENTS: [EventType; 4] = [
    EventType::ViewerRequest,
    EventType::OriginRequest,
    EventType::OriginResponse,
    EventType::ViewerResponse,
];

const BEFORE: &str = r#"{"clientIp":"203.0.113.178","method":"GET","uri":"/index.html",
"querystring":"a=1","headers":{"host":[{"key":"Host","value":"d111111abcdef8.cloudfront.net"}],
"user-agent":[{"key":"User-Agent","value":"curl/8.0"}],"via":[{"key":"Via","value":"2.0 x"}]}}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let event = EVENTS[usize::from(selector) % EVENTS.len()];
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) else {
        return;
    };
    let before: Request = serde_json::from_str(BEFORE).expect("the fixed request parses");

    if let Ok(returned) = read_response(event, &value, &before.headers) {
        assert!(
            (200..=599).contains(&returned.status),
            "accepted status {}",
            returned.status
        );
        if returned.status == 204 {
            assert!(
                returned.body.as_ref().is_none_or(Vec::is_empty),
                "204 with a body"
            );
        }
        let body = returned.body.as_ref().map_or(0, Vec::len);
        assert!(
            body <= generated_limit(event),
            "accepted a {body}-byte body"
        );
    }

    if let Ok(after) = serde_json::from_value::<Request>(value) {
        if check_request(event, &before, &after).is_ok() {
            assert!(after.uri.starts_with('/'), "accepted uri {:?}", after.uri);
        }
        if let Ok(Some(bytes)) = replaced_body(event, &after) {
            assert!(
                bytes.len() <= body_limit(event),
                "accepted a {}-byte body",
                bytes.len()
            );
        }
    }
});
