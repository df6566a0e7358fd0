//! Normalisation of the `Lambda-Runtime-Function-Error-Type` header a runtime sends with
//! `/error` and `/init/error`. The platform only trusts error types of the shape
//! `(Runtime|Function).Name`; anything else collapses to `Runtime.Unknown` or
//! `Function.Unknown`, as the AWS runtime interface emulator does. The error *body* is never
//! touched here: it is the function's error payload and goes to the caller verbatim.

/// The header a runtime uses to classify an error it posts.
pub const ERROR_TYPE_HEADER: &str = "lambda-runtime-function-error-type";

/// Fallback for error types that are not `Function.*`.
pub const RUNTIME_UNKNOWN: &str = "Runtime.Unknown";

/// Fallback for malformed `Function.*` error types.
pub const FUNCTION_UNKNOWN: &str = "Function.Unknown";

/// Returns the error type the platform records for a header value (or its absence).
///
/// The whole value must match `(Runtime|Function)\.[A-Z][a-zA-Z]+`. The emulator's Go regex is
/// unanchored; anchoring it is stricter on purpose, so that `xRuntime.Foo bar` cannot pass as
/// a platform error type.
pub fn normalise_error_type(header: Option<&str>) -> &str {
    let Some(value) = header else {
        return RUNTIME_UNKNOWN;
    };
    if is_valid_error_type(value) {
        return value;
    }
    if value.starts_with("Function.") {
        FUNCTION_UNKNOWN
    } else {
        RUNTIME_UNKNOWN
    }
}

fn is_valid_error_type(value: &str) -> bool {
    let rest = value
        .strip_prefix("Runtime.")
        .or_else(|| value.strip_prefix("Function."));
    let Some(name) = rest else {
        return false;
    };
    let mut chars = name.chars();
    let first_upper = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    let mut tail_len = 0usize;
    for c in chars {
        if !c.is_ascii_alphabetic() {
            return false;
        }
        tail_len += 1;
    }
    first_upper && tail_len >= 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlisted_types_pass_through() {
        for t in [
            "Runtime.ImportModuleError",
            "Runtime.HandlerNotFound",
            "Function.ResponseSizeTooLarge",
            "Runtime.Ab",
        ] {
            assert_eq!(normalise_error_type(Some(t)), t);
        }
    }

    #[test]
    fn other_types_become_unknown() {
        assert_eq!(normalise_error_type(None), RUNTIME_UNKNOWN);
        assert_eq!(normalise_error_type(Some("Unhandled")), RUNTIME_UNKNOWN);
        assert_eq!(normalise_error_type(Some("Exception")), RUNTIME_UNKNOWN);
        assert_eq!(normalise_error_type(Some("Runtime.A")), RUNTIME_UNKNOWN);
        assert_eq!(normalise_error_type(Some("Runtime.lower")), RUNTIME_UNKNOWN);
        assert_eq!(
            normalise_error_type(Some("Runtime.Has Space")),
            RUNTIME_UNKNOWN
        );
        assert_eq!(normalise_error_type(Some("xRuntime.Foo")), RUNTIME_UNKNOWN);
        assert_eq!(normalise_error_type(Some("Function.bad")), FUNCTION_UNKNOWN);
        assert_eq!(
            normalise_error_type(Some("Function.Bad1")),
            FUNCTION_UNKNOWN
        );
        assert_eq!(normalise_error_type(Some("")), RUNTIME_UNKNOWN);
    }
}
