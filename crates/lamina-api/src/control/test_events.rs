//! Saved test events: up to ten named JSON payloads per function, as in Lambda's console,
//! kept in the store so they survive restarts and can be shared through the API. The rules
//! (name pattern, valid JSON, size, count) live here so the console and the REST route
//! answer alike.

use lamina_model::{LambdaError, LambdaResult};
use lamina_store::TestEvent;

use super::Control;

/// Most saved test events one function may have (Lambda's console allows ten).
pub const MAX_TEST_EVENTS: usize = 10;
/// Longest test event name (Lambda's console: 25 characters).
pub const MAX_TEST_EVENT_NAME: usize = 25;
/// Largest test event body: what a synchronous invoke accepts (6 MB).
pub const MAX_TEST_EVENT_BYTES: usize = 6 * 1024 * 1024;

impl Control {
    /// The saved test events of function `function_name`, ordered by name.
    pub async fn list_test_events(&self, function_name: &str) -> LambdaResult<Vec<TestEvent>> {
        let name = self.bare_name(function_name)?;
        self.function(&name).await?;
        self.store_call(move |s| s.list_test_events(&name)).await
    }

    /// One saved test event, or Lambda's not-found naming it.
    pub async fn get_test_event(
        &self,
        function_name: &str,
        event: &str,
    ) -> LambdaResult<TestEvent> {
        let name = self.bare_name(function_name)?;
        self.function(&name).await?;
        let (n, e) = (name.clone(), event.to_string());
        self.store_call(move |s| s.get_test_event(&n, &e))
            .await?
            .ok_or_else(|| test_event_not_found(&name, event))
    }

    /// Saves (creates or replaces) test event `event` with JSON text `body`. Refuses a bad
    /// name, text that is not JSON, a body over 6 MB, and an eleventh event.
    pub async fn put_test_event(
        &self,
        function_name: &str,
        event: &str,
        body: String,
    ) -> LambdaResult<TestEvent> {
        let name = self.bare_name(function_name)?;
        validate_name(event)?;
        validate_body(&body)?;
        let _guard = self.write_lock.lock().await;
        self.function(&name).await?;
        let n = name.clone();
        let existing = self.store_call(move |s| s.list_test_events(&n)).await?;
        let replacing = existing.iter().any(|e| e.name == event);
        if !replacing && existing.len() >= MAX_TEST_EVENTS {
            return Err(LambdaError::invalid_parameter(format!(
                "Function {name} already has {MAX_TEST_EVENTS} saved test events, the most a function may have. Delete one before saving {event}."
            )));
        }
        let now = self.clock.now();
        let saved = TestEvent {
            name: event.to_string(),
            body,
            last_modified_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
        };
        let stored = saved.clone();
        self.store_call(move |s| s.put_test_event(&name, &stored))
            .await?;
        Ok(saved)
    }

    /// Deletes a saved test event; not-found if it does not exist.
    pub async fn delete_test_event(&self, function_name: &str, event: &str) -> LambdaResult<()> {
        let name = self.bare_name(function_name)?;
        let _guard = self.write_lock.lock().await;
        self.function(&name).await?;
        let (n, e) = (name.clone(), event.to_string());
        if self
            .store_call(move |s| s.delete_test_event(&n, &e))
            .await?
        {
            Ok(())
        } else {
            Err(test_event_not_found(&name, event))
        }
    }
}

fn test_event_not_found(function: &str, event: &str) -> LambdaError {
    LambdaError::not_found(format!(
        "Test event not found: {event} (function {function})"
    ))
}

/// 1–25 characters: letters, digits, `.`, `-` and `_`, as Lambda's console requires.
fn validate_name(event: &str) -> LambdaResult<()> {
    let ok = !event.is_empty()
        && event.chars().count() <= MAX_TEST_EVENT_NAME
        && event
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(LambdaError::invalid_parameter(format!(
            "Test event name {event:?} is not valid: use 1 to {MAX_TEST_EVENT_NAME} letters, numbers, dots, hyphens and underscores."
        )))
    }
}

/// The body must be one JSON document of at most 6 MB.
fn validate_body(body: &str) -> LambdaResult<()> {
    if body.len() > MAX_TEST_EVENT_BYTES {
        return Err(LambdaError::too_large(format!(
            "Test event is {} bytes; the most an invocation accepts is {MAX_TEST_EVENT_BYTES} bytes.",
            body.len()
        )));
    }
    serde_json::from_str::<serde_json::Value>(body)
        .map(|_| ())
        .map_err(|e| LambdaError::invalid_parameter(format!("Test event is not valid JSON: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use lamina_model::{Account, ErrorKind, SystemClock};
    use lamina_store::MemoryStore;

    use super::*;
    use crate::ControlLimits;

    async fn control_with_function() -> Control {
        let store = Arc::new(MemoryStore::new());
        let control = Control::new(
            store,
            Account {
                region: "us-east-1".into(),
                account_id: "000000000000".into(),
            },
            ControlLimits::default(),
            Arc::new(SystemClock),
        );
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            use std::io::Write;
            let mut zip = zip::ZipWriter::new(&mut buf);
            zip.start_file("app.py", zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(b"def handler(e, c):\n    return e\n")
                .unwrap();
            zip.finish().unwrap();
        }
        use base64::Engine as _;
        let input = serde_json::from_value(serde_json::json!({
            "FunctionName": "fn",
            "Runtime": "python3.12",
            "Role": "arn:aws:iam::000000000000:role/r",
            "Handler": "app.handler",
            "Code": {"ZipFile": base64::engine::general_purpose::STANDARD.encode(buf.into_inner())},
        }))
        .unwrap();
        control.create_function(input).await.unwrap();
        control
    }

    #[tokio::test]
    async fn save_list_get_replace_delete() {
        let c = control_with_function().await;
        let saved = c
            .put_test_event("fn", "s3-put", "{\n \"k\": 1\n}".into())
            .await
            .unwrap();
        assert_eq!(saved.body, "{\n \"k\": 1\n}");
        c.put_test_event("fn", "a.b_c", "[]".into()).await.unwrap();
        let names: Vec<_> = c
            .list_test_events("fn")
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["a.b_c", "s3-put"]);
        c.put_test_event("fn", "s3-put", "2".into()).await.unwrap();
        assert_eq!(c.get_test_event("fn", "s3-put").await.unwrap().body, "2");
        c.delete_test_event("fn", "s3-put").await.unwrap();
        let err = c.get_test_event("fn", "s3-put").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::ResourceNotFound);
        let err = c.delete_test_event("fn", "s3-put").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::ResourceNotFound);
    }

    #[tokio::test]
    async fn invalid_json_and_bad_names_are_refused_and_nothing_is_stored() {
        let c = control_with_function().await;
        let err = c
            .put_test_event("fn", "broken", "{\"a\": ".into())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameterValue);
        assert!(err.message.contains("not valid JSON"), "{}", err.message);
        for bad in ["", "has space", "slash/no", "x".repeat(26).as_str()] {
            let err = c.put_test_event("fn", bad, "{}".into()).await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidParameterValue, "{bad:?}");
        }
        assert!(c.list_test_events("fn").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn eleventh_event_is_refused_but_replacing_one_is_not() {
        let c = control_with_function().await;
        for i in 0..MAX_TEST_EVENTS {
            c.put_test_event("fn", &format!("e{i}"), "{}".into())
                .await
                .unwrap();
        }
        let err = c
            .put_test_event("fn", "e10", "{}".into())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidParameterValue);
        assert!(
            err.message.contains("10 saved test events"),
            "{}",
            err.message
        );
        c.put_test_event("fn", "e3", "[1]".into()).await.unwrap();
        assert_eq!(
            c.list_test_events("fn").await.unwrap().len(),
            MAX_TEST_EVENTS
        );
    }

    #[tokio::test]
    async fn missing_function_is_not_found() {
        let c = control_with_function().await;
        let err = c
            .put_test_event("nope", "e", "{}".into())
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ResourceNotFound);
        let err = c.list_test_events("nope").await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::ResourceNotFound);
    }
}
