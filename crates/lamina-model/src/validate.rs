//! Validation with Lambda's bounds and Lambda's error wording. Constraint violations of the
//! API model (patterns, ranges, enums) answer as AWS's `ValidationException`; Lambda's own
//! semantic checks (environment size, reserved keys, layer count) as
//! `InvalidParameterValueException`, each with the message Lambda sends.

use std::collections::BTreeMap;

use crate::error::{LambdaError, LambdaResult};
use crate::runtime;

/// Smallest and largest `MemorySize`, in MB.
pub const MEMORY_RANGE: (u32, u32) = (128, 10_240);
/// Smallest and largest `Timeout`, in seconds.
pub const TIMEOUT_RANGE: (u32, u32) = (1, 900);
/// Smallest and largest `EphemeralStorage.Size`, in MB.
pub const EPHEMERAL_RANGE: (u32, u32) = (512, 10_240);
/// Total size of the environment variables, measured as Lambda does (their JSON).
pub const ENVIRONMENT_LIMIT: usize = 4096;
/// Layers a function may reference.
pub const MAX_LAYERS: usize = 5;

/// Environment variable names the platform sets and a function may not override.
pub const RESERVED_ENV_KEYS: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Whether `name` could name a function in a lookup: the API model's pattern allows
/// longer names than CreateFunction does, so a long one is simply not found.
pub fn is_function_name_pattern(name: &str) -> bool {
    !name.is_empty() && name.len() <= 140 && name.chars().all(is_name_char)
}

/// A bare function name for CreateFunction: 1–64 of `[a-zA-Z0-9-_]`. A name that only breaks
/// the length limit is Lambda's `InvalidParameterValueException`.
pub fn function_name(name: &str) -> LambdaResult<()> {
    if name.len() > 64 && is_function_name_pattern(name) {
        return Err(LambdaError::new(
            crate::error::ErrorKind::InvalidParameterValue,
            format!(
                "1 validation error detected: Value '{name}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64"
            ),
        ));
    }
    if name.is_empty() || name.len() > 64 || !name.chars().all(is_name_char) {
        return Err(LambdaError::constraint(
            name,
            "functionName",
            "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
        ));
    }
    Ok(())
}

/// A qualifier: `$LATEST`, a version number or an alias name.
pub fn qualifier(q: &str) -> LambdaResult<()> {
    if q == "$LATEST" || (!q.is_empty() && q.len() <= 128 && q.chars().all(is_name_char)) {
        return Ok(());
    }
    Err(LambdaError::constraint(
        q,
        "qualifier",
        "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)",
    ))
}

/// An alias name: 1–128 of `[a-zA-Z0-9-_]`, not all digits (those are versions).
pub fn alias_name(name: &str) -> LambdaResult<()> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && name.chars().all(is_name_char)
        && !name.chars().all(|c| c.is_ascii_digit());
    if !ok {
        return Err(LambdaError::constraint(
            name,
            "name",
            "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
        ));
    }
    Ok(())
}

/// A layer name: 1–140 of `[a-zA-Z0-9-_]`.
pub fn layer_name(name: &str) -> LambdaResult<()> {
    if name.is_empty() || name.len() > 140 || !name.chars().all(is_name_char) {
        return Err(LambdaError::constraint(
            name,
            "layerName",
            "Member must satisfy regular expression pattern: (arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:[a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+",
        ));
    }
    Ok(())
}

fn runtime_ids() -> String {
    let all: Vec<&str> = runtime::RUNTIMES.iter().map(|r| r.id).collect();
    all.join(", ")
}

/// A function's `Runtime`: one Lambda has had, parsed once into the typed [`runtime::Runtime`].
/// Lambda answers an unknown one with `InvalidParameterValueException` in its own words (not
/// the model's `ValidationException`).
pub fn runtime(id: &str) -> LambdaResult<runtime::Runtime> {
    runtime::Runtime::parse(id).map_err(|_| {
        LambdaError::invalid_parameter(format!(
            "Value {id} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [{}] or be a valid ARN",
            runtime_ids()
        ))
    })
}

/// A layer's `CompatibleRuntimes`: each one Lambda has had, checked as the API model's
/// constraint (`ValidationException`), as Lambda does for layers.
pub fn compatible_runtimes(ids: &[String]) -> LambdaResult<()> {
    if ids.iter().all(|id| runtime::lookup(id).is_some()) {
        return Ok(());
    }
    Err(LambdaError::constraint(
        &format!("[{}]", ids.join(", ")),
        "compatibleRuntimes",
        &format!(
            "Member must satisfy constraint: [Member must satisfy enum value set: [{}]]",
            runtime_ids()
        ),
    ))
}

/// A handler: 1–128 characters with no whitespace.
pub fn handler(h: &str) -> LambdaResult<()> {
    if h.is_empty() || h.len() > 128 || h.chars().any(char::is_whitespace) {
        return Err(LambdaError::constraint(
            h,
            "handler",
            "Member must satisfy regular expression pattern: [^\\s]+",
        ));
    }
    Ok(())
}

/// An execution role ARN (`arn:aws:iam::<account>:role/<name>`). Lamina has no IAM, but
/// keeps the check so templates and scripts that pass in the cloud pass here too.
pub fn role(arn: &str) -> LambdaResult<()> {
    let ok = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.split_once(":iam::"))
        .and_then(|(partition, rest)| partition.starts_with("aws").then_some(rest))
        .and_then(|rest| rest.split_once(":role/"))
        .is_some_and(|(account, name)| {
            account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty()
        });
    if !ok {
        return Err(LambdaError::constraint(
            arn,
            "role",
            "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
        ));
    }
    Ok(())
}

fn range(value: u32, field: &str, (lo, hi): (u32, u32)) -> LambdaResult<()> {
    if value < lo {
        return Err(LambdaError::constraint(
            &value.to_string(),
            field,
            &format!("Member must have value greater than or equal to {lo}"),
        ));
    }
    if value > hi {
        return Err(LambdaError::constraint(
            &value.to_string(),
            field,
            &format!("Member must have value less than or equal to {hi}"),
        ));
    }
    Ok(())
}

/// `MemorySize` within 128–10240 MB.
pub fn memory_size(mb: u32) -> LambdaResult<()> {
    range(mb, "memorySize", MEMORY_RANGE)
}

/// `Timeout` within 1–900 s.
pub fn timeout(seconds: u32) -> LambdaResult<()> {
    range(seconds, "timeout", TIMEOUT_RANGE)
}

/// `EphemeralStorage.Size` within 512–10240 MB.
pub fn ephemeral_storage(mb: u32) -> LambdaResult<()> {
    range(mb, "ephemeralStorage.size", EPHEMERAL_RANGE)
}

/// A description of at most 256 characters.
pub fn description(text: &str) -> LambdaResult<()> {
    if text.chars().count() > 256 {
        return Err(LambdaError::constraint(
            text,
            "description",
            "Member must have length less than or equal to 256",
        ));
    }
    Ok(())
}

/// Environment variables: valid names, no reserved keys, at most 4 KB as Lambda measures it.
pub fn environment(vars: &BTreeMap<String, String>) -> LambdaResult<()> {
    for key in vars.keys() {
        // `[a-zA-Z]([a-zA-Z0-9_])+`: a letter, then at least one more character, so a
        // one-letter name is refused as Lambda refuses it.
        let mut chars = key.chars();
        let ok = key.len() >= 2
            && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok {
            return Err(LambdaError::constraint(
                key,
                "environment.variables",
                "Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+",
            ));
        }
    }
    let reserved: Vec<&str> = vars
        .keys()
        .map(String::as_str)
        .filter(|k| RESERVED_ENV_KEYS.contains(k))
        .collect();
    if !reserved.is_empty() {
        return Err(LambdaError::invalid_parameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
            reserved.join(", ")
        )));
    }
    // Lambda measures the variables as their compact JSON object.
    let measured = serde_json::to_string(vars).unwrap_or_default();
    if measured.len() > ENVIRONMENT_LIMIT {
        return Err(LambdaError::invalid_parameter(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(())
}

/// At most five layers.
pub fn layer_count(count: usize) -> LambdaResult<()> {
    if count > MAX_LAYERS {
        return Err(LambdaError::invalid_parameter(format!(
            "Cannot reference more than {MAX_LAYERS} layers."
        )));
    }
    Ok(())
}

/// `Architectures`: exactly one of `x86_64`, `arm64`.
pub fn architectures(values: &[String]) -> LambdaResult<()> {
    match values {
        [one] if one == "x86_64" || one == "arm64" => Ok(()),
        [one] => Err(LambdaError::constraint(
            one,
            "architectures",
            "Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]",
        )),
        _ => Err(LambdaError::constraint(
            &format!("{values:?}"),
            "architectures",
            "Member must have length less than or equal to 1",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_bounds_are_inclusive() {
        assert!(memory_size(128).is_ok());
        assert!(memory_size(10_240).is_ok());
        let low = memory_size(127).unwrap_err();
        assert_eq!(
            low.message,
            "1 validation error detected: Value '127' at 'memorySize' failed to satisfy constraint: Member must have value greater than or equal to 128"
        );
        assert!(
            memory_size(10_241)
                .unwrap_err()
                .message
                .contains("less than or equal to 10240")
        );
    }

    #[test]
    fn timeout_and_ephemeral_bounds() {
        assert!(timeout(0).is_err());
        assert!(timeout(1).is_ok());
        assert!(timeout(900).is_ok());
        assert!(timeout(901).is_err());
        assert!(ephemeral_storage(511).is_err());
        assert!(ephemeral_storage(512).is_ok());
        assert!(ephemeral_storage(10_240).is_ok());
        assert!(ephemeral_storage(10_241).is_err());
    }

    #[test]
    fn environment_limit_is_measured_as_json() {
        let mut vars = BTreeMap::new();
        // {"KK":"…"} is 9 bytes of JSON around the value.
        vars.insert("KK".to_string(), "v".repeat(ENVIRONMENT_LIMIT - 9));
        assert!(environment(&vars).is_ok());
        vars.insert("KK".into(), "v".repeat(ENVIRONMENT_LIMIT - 8));
        let e = environment(&vars).unwrap_err();
        assert_eq!(e.kind.code(), "InvalidParameterValueException");
        assert!(
            e.message
                .contains("exceeded the 4KB limit. String measured: {\"KK\":")
        );
    }

    #[test]
    fn environment_rejects_reserved_and_malformed_keys() {
        let vars: BTreeMap<_, _> = [("AWS_REGION".to_string(), "x".to_string())].into();
        assert!(
            environment(&vars)
                .unwrap_err()
                .message
                .ends_with("Reserved keys used in this request: AWS_REGION")
        );
        for bad_key in ["1X", "_HANDLER", "K", "A-B"] {
            let bad: BTreeMap<_, _> = [(bad_key.to_string(), "x".to_string())].into();
            assert_eq!(
                environment(&bad).unwrap_err().kind.code(),
                "ValidationException",
                "{bad_key}"
            );
        }
    }

    #[test]
    fn names_and_aliases() {
        assert!(function_name("my-fn_1").is_ok());
        assert!(function_name(&"a".repeat(64)).is_ok());
        let long = function_name(&"a".repeat(65)).unwrap_err();
        assert_eq!(long.kind.code(), "InvalidParameterValueException");
        assert!(
            long.message
                .ends_with("Member must have length less than or equal to 64")
        );
        assert!(function_name("a.b").is_err());
        assert!(alias_name("prod").is_ok());
        assert!(alias_name("123").is_err());
        assert!(alias_name("1a").is_ok());
        assert!(qualifier("$LATEST").is_ok());
        assert!(qualifier("12").is_ok());
        assert!(qualifier("a b").is_err());
    }

    #[test]
    fn runtime_handler_role_layers() {
        assert!(runtime("python3.12").is_ok());
        let e = runtime("python9.9").unwrap_err();
        assert_eq!(e.kind.code(), "InvalidParameterValueException");
        assert!(e.message.starts_with(
            "Value python9.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ["
        ));
        assert!(e.message.ends_with("] or be a valid ARN"));
        assert!(compatible_runtimes(&["python3.12".into(), "nodejs20.x".into()]).is_ok());
        let e = compatible_runtimes(&["python3.12".into(), "cobol".into()]).unwrap_err();
        assert_eq!(e.kind.code(), "ValidationException");
        assert!(
            e.message
                .contains("Value '[python3.12, cobol]' at 'compatibleRuntimes'")
        );
        assert!(handler("app.handler").is_ok());
        assert!(handler("app handler").is_err());
        assert!(handler(&"h".repeat(129)).is_err());
        assert!(role("arn:aws:iam::000000000000:role/lambda-role").is_ok());
        assert!(role("not-a-role").is_err());
        assert!(layer_count(5).is_ok());
        assert_eq!(
            layer_count(6).unwrap_err().message,
            "Cannot reference more than 5 layers."
        );
        assert!(architectures(&["x86_64".into()]).is_ok());
        assert!(architectures(&["mips".into()]).is_err());
        assert!(architectures(&["x86_64".into(), "arm64".into()]).is_err());
        assert!(description(&"d".repeat(256)).is_ok());
        assert!(description(&"d".repeat(257)).is_err());
    }
}
