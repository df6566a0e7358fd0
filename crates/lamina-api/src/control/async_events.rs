//! Reading a function's asynchronous events (`lamina events`, the console): what waits in
//! the durable queue and what failed for good, with its record and reason. Replay and purge
//! go through the engine's queue, which owns the events' lives.

use lamina_model::event_invoke::{EventStatus, QueuedEvent};
use lamina_model::{LambdaError, LambdaResult};
use lamina_store::EventFilter;

use super::Control;

impl Control {
    /// The events of function `function_name` with `status` (all when `None`), oldest first.
    pub async fn list_async_events(
        &self,
        function_name: &str,
        status: Option<EventStatus>,
    ) -> LambdaResult<(String, Vec<QueuedEvent>)> {
        let name = self.bare_name(function_name)?;
        self.function(&name).await?;
        let filter = EventFilter {
            function: Some(name.clone()),
            status,
            after_id: 0,
            limit: usize::MAX,
        };
        let events = self.store_call(move |s| s.list_events(&filter)).await?;
        Ok((name, events))
    }

    /// One event of a function by id, or a not-found naming it.
    pub async fn get_async_event(&self, function_name: &str, id: u64) -> LambdaResult<QueuedEvent> {
        let name = self.bare_name(function_name)?;
        self.function(&name).await?;
        self.store_call(move |s| s.get_event(id))
            .await?
            .filter(|e| e.function == name)
            .ok_or_else(|| {
                LambdaError::not_found(format!("Event {id} not found (function {function_name})"))
            })
    }

    /// Checks that `function_name` names an existing function and returns its bare name.
    pub async fn existing_function_name(&self, function_name: &str) -> LambdaResult<String> {
        let name = self.bare_name(function_name)?;
        self.function(&name).await?;
        Ok(name)
    }
}
