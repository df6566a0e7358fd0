//! Asynchronous invocation as data: a function's event-invoke configuration (retries, event
//! age, destinations) per qualifier, the events waiting in the durable queue, and what a
//! failed event keeps. The rules that need no I/O live here too: Lambda's bounds and
//! defaults, how a destination ARN is classified, and the retry delays. The queue itself
//! (storing, running, retrying) belongs to the store and the engine.

use serde::{Deserialize, Serialize};

use crate::error::{LambdaError, LambdaResult};

/// Retries after a function error when no configuration says otherwise.
pub const DEFAULT_MAXIMUM_RETRY_ATTEMPTS: u32 = 2;
/// Most retries a configuration may ask for.
pub const MAX_RETRY_ATTEMPTS: u32 = 2;
/// Event age limit when no configuration says otherwise (6 hours).
pub const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS: u32 = 21_600;
/// Bounds of `MaximumEventAgeInSeconds`.
pub const EVENT_AGE_RANGE: (u32, u32) = (60, 21_600);
/// Largest `MaxItems` of ListFunctionEventInvokeConfigs.
pub const MAX_LIST_ITEMS: usize = 50;
/// The pattern botocore gives for `DestinationArn`, quoted in the validation error.
pub const DESTINATION_ARN_PATTERN: &str = "$|kafka://([^.]([a-zA-Z0-9\\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1})?:(\\d{12})?:(.*)";

/// The event-invoke configuration of one qualifier of a function
/// (`PutFunctionEventInvokeConfig`). Unset numbers mean Lambda's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventInvokeConfig {
    /// `$LATEST`, a version number or an alias name.
    pub qualifier: String,
    /// `MaximumRetryAttempts`, 0–2.
    pub maximum_retry_attempts: Option<u32>,
    /// `MaximumEventAgeInSeconds`, 60–21600.
    pub maximum_event_age_in_seconds: Option<u32>,
    /// `DestinationConfig.OnSuccess.Destination`.
    pub on_success: Option<String>,
    /// `DestinationConfig.OnFailure.Destination`.
    pub on_failure: Option<String>,
    /// When it was last written, Unix milliseconds.
    pub last_modified_ms: i64,
}

impl EventInvokeConfig {
    /// Retries after a function error, with the default applied.
    pub fn retries(config: Option<&Self>) -> u32 {
        config
            .and_then(|c| c.maximum_retry_attempts)
            .unwrap_or(DEFAULT_MAXIMUM_RETRY_ATTEMPTS)
    }

    /// The event age limit in seconds, with the default applied.
    pub fn max_age_seconds(config: Option<&Self>) -> u32 {
        config
            .and_then(|c| c.maximum_event_age_in_seconds)
            .unwrap_or(DEFAULT_MAXIMUM_EVENT_AGE_SECONDS)
    }
}

/// Where a destination ARN points, as far as its shape tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationKind {
    /// A Lambda function: its name and optional qualifier.
    Function {
        /// Region in the ARN.
        region: String,
        /// Account in the ARN.
        account: String,
        /// The function's name.
        name: String,
        /// `:qualifier` after the name.
        qualifier: Option<String>,
    },
    /// An SQS queue.
    Sqs,
    /// An SNS topic.
    Sns,
    /// An EventBridge event bus.
    EventBridge,
    /// An S3 bucket (on-failure only).
    S3,
    /// Any other service, or a Kafka topic: Lambda refuses these for asynchronous invocation.
    Other,
}

/// Checks a destination ARN against botocore's pattern (`field` names the member in the
/// error, e.g. `destinationConfig.onFailure.destination`). The empty string passes.
pub fn check_destination_pattern(arn: &str, field: &str) -> LambdaResult<()> {
    let fail = || {
        LambdaError::constraint(
            arn,
            field,
            &format!("Member must satisfy regular expression pattern: {DESTINATION_ARN_PATTERN}"),
        )
    };
    if arn.len() > 350 {
        return Err(LambdaError::constraint(
            arn,
            field,
            "Member must have length less than or equal to 350",
        ));
    }
    if arn.is_empty() {
        return Ok(());
    }
    if let Some(topic) = arn.strip_prefix("kafka://") {
        let ok = !topic.is_empty()
            && !topic.starts_with('.')
            && topic.len() <= 249
            && topic
                .chars()
                .skip(1)
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        return if ok { Ok(()) } else { Err(fail()) };
    }
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [arn_word, partition, service, region, account, _rest] = parts.as_slice() else {
        return Err(fail());
    };
    let ok = *arn_word == "arn"
        && partition
            .strip_prefix("aws")
            .is_some_and(|tail| tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
        && (region.is_empty() || region_shape(region))
        && (account.is_empty()
            || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())));
    if ok { Ok(()) } else { Err(fail()) }
}

/// `(eusc-)?[a-z]{2}((-gov)|(-iso[a-z]?))?-[a-z]+-\d`: `us-east-1`, `us-gov-west-1`, …
fn region_shape(region: &str) -> bool {
    let region = region.strip_prefix("eusc-").unwrap_or(region);
    let parts: Vec<&str> = region.split('-').collect();
    let lower = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase());
    let digit = |s: &str| s.len() == 1 && s.bytes().all(|b| b.is_ascii_digit());
    match parts.as_slice() {
        [cc, area, n] => cc.len() == 2 && lower(cc) && lower(area) && digit(n),
        [cc, special, area, n] => {
            cc.len() == 2
                && lower(cc)
                && (*special == "gov"
                    || (special.starts_with("iso") && special.len() <= 4 && lower(special)))
                && lower(area)
                && digit(n)
        }
        _ => false,
    }
}

/// Classifies a destination ARN that passed [`check_destination_pattern`].
pub fn destination_kind(arn: &str) -> DestinationKind {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, region, account, rest] = parts.as_slice() else {
        return DestinationKind::Other;
    };
    match *service {
        "lambda" => {
            let mut segments = rest.splitn(3, ':');
            match (segments.next(), segments.next(), segments.next()) {
                (Some("function"), Some(name), qualifier) if !name.is_empty() => {
                    DestinationKind::Function {
                        region: region.to_string(),
                        account: account.to_string(),
                        name: name.to_string(),
                        qualifier: qualifier.map(str::to_string),
                    }
                }
                _ => DestinationKind::Other,
            }
        }
        "sqs" => DestinationKind::Sqs,
        "sns" => DestinationKind::Sns,
        "events" => DestinationKind::EventBridge,
        "s3" => DestinationKind::S3,
        _ => DestinationKind::Other,
    }
}

/// Why an event left the queue without succeeding (the record's `condition`), or that it
/// succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// The function returned without error.
    Success,
    /// Every allowed attempt failed.
    RetriesExhausted,
    /// The event was older than `MaximumEventAgeInSeconds` before it could run again.
    EventAgeExceeded,
}

impl Condition {
    /// The record's `condition` text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "Success",
            Self::RetriesExhausted => "RetriesExhausted",
            Self::EventAgeExceeded => "EventAgeExceeded",
        }
    }
}

/// Where an event stands in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventStatus {
    /// Waiting to run (or running): the queue.
    Queued,
    /// Kept after it failed for good, or after its destination could not be reached;
    /// `lamina events replay` puts it back in the queue.
    Failed,
}

impl EventStatus {
    /// `queued` or `failed`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Failed => "failed",
        }
    }
}

/// An accepted asynchronous invocation, durable from before its 202 until it is done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedEvent {
    /// The store's id (0 until stored); the queue order among events due at once.
    #[serde(default)]
    pub id: u64,
    /// The function's name.
    pub function: String,
    /// The version resolved when the event was accepted (`$LATEST` or a number).
    pub version: String,
    /// The qualifier the caller used, if any (its event-invoke config applies).
    pub qualifier: Option<String>,
    /// The request id, the same for every attempt.
    pub request_id: String,
    /// The event (kept outside the JSON document by the store).
    #[serde(skip)]
    pub payload: Vec<u8>,
    /// When it was accepted, Unix ms.
    pub accepted_ms: i64,
    /// When it may run next, Unix ms.
    pub due_ms: i64,
    /// Attempts that reached the function.
    pub attempts: u32,
    /// Consecutive throttles or platform errors since the last attempt (back-off exponent).
    pub throttles: u32,
    /// Queued or failed.
    pub status: EventStatus,
    /// For a failed event: why, the last error and the destination record.
    pub failure: Option<EventFailure>,
    /// The last error an attempt or a delivery met, for `lamina events show`.
    #[serde(default)]
    pub last_error: Option<String>,
    /// What the last attempt that reached the function answered (the record's
    /// `responseContext` and `responsePayload`).
    #[serde(default)]
    pub last_response: Option<LastResponse>,
}

impl QueuedEvent {
    /// A newly accepted event, due at once (`accepted_ms`), not stored yet and never tried.
    pub fn new(
        function: impl Into<String>,
        version: impl Into<String>,
        qualifier: Option<String>,
        request_id: impl Into<String>,
        payload: Vec<u8>,
        accepted_ms: i64,
    ) -> Self {
        Self {
            id: 0,
            function: function.into(),
            version: version.into(),
            qualifier,
            request_id: request_id.into(),
            payload,
            accepted_ms,
            due_ms: accepted_ms,
            attempts: 0,
            throttles: 0,
            status: EventStatus::Queued,
            failure: None,
            last_error: None,
            last_response: None,
        }
    }
}

/// The answer of an attempt that reached the function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastResponse {
    /// The version that ran.
    pub executed_version: String,
    /// `Unhandled` when the function failed.
    pub function_error: Option<String>,
    /// Its response or error payload, as text.
    pub payload: String,
}

/// What a failed event keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventFailure {
    /// `RetriesExhausted`, `EventAgeExceeded`, or `Success` when only the on-success
    /// delivery failed.
    pub condition: Condition,
    /// The invocation record (Lambda's destination format), as JSON text.
    pub record: String,
    /// Why the event is kept: the function's last error, or the delivery that failed.
    pub reason: String,
    /// When it failed, Unix ms.
    pub failed_ms: i64,
}

/// The delay before retry `n` (1-based) after a function error: Lambda waits about 1 minute
/// and then 2 minutes; `base_ms` is the first delay (60 000 unless a test shortens it).
pub fn retry_delay_ms(base_ms: u64, retry: u32) -> u64 {
    base_ms.saturating_mul(1u64 << retry.saturating_sub(1).min(16))
}

/// The back-off after the `n`-th consecutive throttle or platform error (1-based): 1 s
/// doubling to 5 minutes, scaled by `base_ms / 60 000` when a test shortens retry delays.
pub fn throttle_delay_ms(base_ms: u64, throttles: u32) -> u64 {
    let lambda = (1000u64 << throttles.saturating_sub(1).min(16)).min(300_000);
    // The scale keeps 1 s : 60 s between the two schedules.
    lambda.saturating_mul(base_ms) / 60_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_without_a_config() {
        assert_eq!(EventInvokeConfig::retries(None), 2);
        assert_eq!(EventInvokeConfig::max_age_seconds(None), 21_600);
    }

    #[test]
    fn destination_pattern_and_kind() {
        let field = "destinationConfig.onFailure.destination";
        for ok in [
            "",
            "arn:aws:lambda:us-east-1:000000000000:function:f",
            "arn:aws:sqs:us-east-1:000000000000:q",
            "arn:aws:s3:::bucket",
            "arn:aws-us-gov:sns:us-gov-west-1:000000000000:t",
            "kafka://topic",
        ] {
            assert!(check_destination_pattern(ok, field).is_ok(), "{ok}");
        }
        for bad in [
            "not-an-arn",
            "arn:aws:sqs:useast1:000000000000:q",
            "arn:aws:sqs:us-east-1:123:q",
        ] {
            let e = check_destination_pattern(bad, field).unwrap_err();
            assert_eq!(e.kind, crate::ErrorKind::Validation);
            assert!(e.message.starts_with(&format!("1 validation error detected: Value '{bad}' at '{field}' failed to satisfy constraint: Member must satisfy regular expression pattern: $|kafka://")), "{}", e.message);
        }
        assert_eq!(
            destination_kind("arn:aws:lambda:us-east-1:000000000000:function:f:live"),
            DestinationKind::Function {
                region: "us-east-1".into(),
                account: "000000000000".into(),
                name: "f".into(),
                qualifier: Some("live".into())
            }
        );
        assert_eq!(
            destination_kind("arn:aws:sqs:us-east-1:000000000000:q"),
            DestinationKind::Sqs
        );
        assert_eq!(
            destination_kind("arn:aws:events:us-east-1:000000000000:event-bus/b"),
            DestinationKind::EventBridge
        );
        assert_eq!(
            destination_kind("arn:aws:iam::000000000000:role/r"),
            DestinationKind::Other
        );
        assert_eq!(
            destination_kind("arn:aws:lambda:us-east-1:000000000000:layer:l:1"),
            DestinationKind::Other
        );
    }

    #[test]
    fn retry_delays_follow_lambda_and_scale_for_tests() {
        assert_eq!(retry_delay_ms(60_000, 1), 60_000);
        assert_eq!(retry_delay_ms(60_000, 2), 120_000);
        assert_eq!(retry_delay_ms(100, 2), 200);
        assert_eq!(throttle_delay_ms(60_000, 1), 1_000);
        assert_eq!(throttle_delay_ms(60_000, 2), 2_000);
        assert_eq!(throttle_delay_ms(60_000, 30), 300_000);
        assert_eq!(throttle_delay_ms(600, 1), 10);
    }
}
