//! Event-invoke configs (Put/Update/Get/Delete/ListFunctionEventInvokeConfigs): how
//! asynchronous invocations of one qualifier of a function are retried, how old they may
//! grow, and where their records go. The rules and AWS's recorded error texts live here;
//! the route renders; the queue reads the stored configs.

use lamina_model::event_invoke::{
    self, DestinationKind, EventInvokeConfig, MAX_LIST_ITEMS, check_destination_pattern,
    destination_kind,
};
use lamina_model::{LATEST, LambdaError, LambdaResult};

use super::Control;
use crate::requests::{DestinationConfigInput, EventInvokeConfigInput};

/// One page of ListFunctionEventInvokeConfigs.
#[derive(Debug, Clone)]
pub struct EventInvokeConfigPage {
    /// The configs, with the function they belong to.
    pub configs: Vec<EventInvokeConfig>,
    /// The marker of the next page, if any.
    pub next_marker: Option<String>,
}

/// Put replaces the whole config; Update merges into the existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigWrite {
    /// PutFunctionEventInvokeConfig.
    Replace,
    /// UpdateFunctionEventInvokeConfig.
    Merge,
}

impl Control {
    /// Put or Update: validates the input with AWS's texts, then stores the config of the
    /// qualifier (`$LATEST` when none is given). Returns the function name and the config.
    pub async fn write_event_invoke_config(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
        input: &EventInvokeConfigInput,
        mode: ConfigWrite,
    ) -> LambdaResult<(String, EventInvokeConfig)> {
        let retries = bounded(
            input.maximum_retry_attempts,
            "maximumRetryAttempts",
            (0, i64::from(event_invoke::MAX_RETRY_ATTEMPTS)),
        )?;
        let (lo, hi) = event_invoke::EVENT_AGE_RANGE;
        let age = bounded(
            input.maximum_event_age_in_seconds,
            "maximumEventAgeInSeconds",
            (i64::from(lo), i64::from(hi)),
        )?;
        let destinations = input.destination_config.clone().unwrap_or_default();
        let on_success = destination(destinations.on_success.as_ref(), "onSuccess")?;
        let on_failure = destination(destinations.on_failure.as_ref(), "onFailure")?;
        let (name, qualifier) = self.event_config_target(function_name, qualifier).await?;
        if input.maximum_retry_attempts.is_none()
            && input.maximum_event_age_in_seconds.is_none()
            && input.destination_config.is_none()
        {
            return Err(LambdaError::invalid_parameter(
                "You must specify at least one of error handling or destination setting.",
            ));
        }
        self.check_destinations(&name, &destinations, &on_success, &on_failure)
            .await?;
        let _guard = self.write_lock.lock().await;
        let now_ms = (self.clock.now().unix_timestamp_nanos() / 1_000_000) as i64;
        let config = match mode {
            ConfigWrite::Replace => EventInvokeConfig {
                qualifier: qualifier.clone(),
                maximum_retry_attempts: retries,
                maximum_event_age_in_seconds: age,
                on_success: on_success.flatten(),
                on_failure: on_failure.flatten(),
                last_modified_ms: now_ms,
            },
            ConfigWrite::Merge => {
                let (n, q) = (name.clone(), qualifier.clone());
                let mut existing = self
                    .store_call(move |s| s.get_event_invoke_config(&n, &q))
                    .await?
                    .ok_or_else(|| self.no_event_config(&name, &qualifier))?;
                if retries.is_some() {
                    existing.maximum_retry_attempts = retries;
                }
                if age.is_some() {
                    existing.maximum_event_age_in_seconds = age;
                }
                if let Some(arn) = on_success {
                    existing.on_success = arn;
                }
                if let Some(arn) = on_failure {
                    existing.on_failure = arn;
                }
                existing.last_modified_ms = now_ms;
                existing
            }
        };
        let (n, stored) = (name.clone(), config.clone());
        self.store_call(move |s| s.put_event_invoke_config(&n, &stored))
            .await?;
        Ok((name, config))
    }

    /// GetFunctionEventInvokeConfig.
    pub async fn get_event_invoke_config(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<(String, EventInvokeConfig)> {
        let (name, qualifier) = self.event_config_target(function_name, qualifier).await?;
        let (n, q) = (name.clone(), qualifier.clone());
        let config = self
            .store_call(move |s| s.get_event_invoke_config(&n, &q))
            .await?
            .ok_or_else(|| self.no_event_config(&name, &qualifier))?;
        Ok((name, config))
    }

    /// DeleteFunctionEventInvokeConfig.
    pub async fn delete_event_invoke_config(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<()> {
        let (name, qualifier) = self.event_config_target(function_name, qualifier).await?;
        let _guard = self.write_lock.lock().await;
        let (n, q) = (name.clone(), qualifier.clone());
        if self
            .store_call(move |s| s.delete_event_invoke_config(&n, &q))
            .await?
        {
            Ok(())
        } else {
            Err(self.no_event_config(&name, &qualifier))
        }
    }

    /// ListFunctionEventInvokeConfigs: configs ordered by qualifier, `max_items` (1–50,
    /// default 50) per page after `marker`.
    pub async fn list_event_invoke_configs(
        &self,
        function_name: &str,
        marker: Option<&str>,
        max_items: Option<usize>,
    ) -> LambdaResult<(String, EventInvokeConfigPage)> {
        if let Some(n) = max_items
            && !(1..=MAX_LIST_ITEMS).contains(&n)
        {
            let bound = if n < 1 {
                "Member must have value greater than or equal to 1".to_string()
            } else {
                format!("Member must have value less than or equal to {MAX_LIST_ITEMS}")
            };
            return Err(LambdaError::constraint(&n.to_string(), "maxItems", &bound));
        }
        let reference = self.account.parse_function_ref(function_name)?;
        let name = reference.name;
        self.function(&name)
            .await
            .map_err(|_| function_does_not_exist())?;
        let n = name.clone();
        let all = self
            .store_call(move |s| s.list_event_invoke_configs(&n))
            .await?;
        let limit = max_items.unwrap_or(MAX_LIST_ITEMS);
        let mut configs: Vec<EventInvokeConfig> = all
            .into_iter()
            .filter(|c| marker.is_none_or(|m| m.is_empty() || c.qualifier.as_str() > m))
            .take(limit + 1)
            .collect();
        let next_marker = if configs.len() > limit {
            configs.truncate(limit);
            configs.last().map(|c| c.qualifier.clone())
        } else {
            None
        };
        Ok((
            name,
            EventInvokeConfigPage {
                configs,
                next_marker,
            },
        ))
    }

    /// The function and qualifier a config call names; the function (and the version or
    /// alias the qualifier names) must exist, else AWS's "The function doesn't exist.".
    async fn event_config_target(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<(String, String)> {
        let reference = self
            .account
            .parse_function_ref(function_name)?
            .with_qualifier_param(qualifier)?;
        let qualifier = reference
            .qualifier
            .clone()
            .unwrap_or_else(|| LATEST.to_string());
        let function = self
            .function(&reference.name)
            .await
            .map_err(|_| function_does_not_exist())?;
        if qualifier != LATEST {
            self.version_of(&function, &qualifier)
                .await
                .map_err(|_| function_does_not_exist())?;
        }
        Ok((reference.name, qualifier))
    }

    /// The 404 for a qualifier without a config, naming its qualified ARN.
    fn no_event_config(&self, name: &str, qualifier: &str) -> LambdaError {
        LambdaError::not_found(format!(
            "The function {} doesn't have an EventInvokeConfig",
            self.account.qualified_function_arn(name, qualifier)
        ))
    }

    /// Lambda accepts a function of this account that exists (and is not the function
    /// itself), a queue, a topic, an event bus, and a bucket for failures only.
    async fn check_destinations(
        &self,
        name: &str,
        input: &DestinationConfigInput,
        on_success: &Option<Option<String>>,
        on_failure: &Option<Option<String>>,
    ) -> LambdaResult<()> {
        for (arn, failure_side) in [(on_success, false), (on_failure, true)] {
            let Some(Some(arn)) = arn else { continue };
            match destination_kind(arn) {
                DestinationKind::Function {
                    region,
                    account,
                    name: target,
                    ..
                } => {
                    if target == name {
                        return Err(LambdaError::invalid_parameter(
                            "You can't specify the function as a destination for itself.",
                        ));
                    }
                    let ours = region == self.account.region && account == self.account.account_id;
                    if !ours || self.function(&target).await.is_err() {
                        return Err(LambdaError::invalid_parameter(format!(
                            "The destination ARN {arn} is invalid."
                        )));
                    }
                }
                DestinationKind::Sqs | DestinationKind::Sns | DestinationKind::EventBridge => {}
                DestinationKind::S3 if failure_side => {}
                DestinationKind::S3 | DestinationKind::Other => {
                    return Err(LambdaError::invalid_parameter(format!(
                        "The provided destination config {} is invalid.",
                        describe(input)
                    )));
                }
            }
        }
        Ok(())
    }
}

/// AWS's "The function doesn't exist." for config calls on a missing function or qualifier.
fn function_does_not_exist() -> LambdaError {
    LambdaError::not_found("The function doesn't exist.")
}

/// A number checked against its bounds with AWS's validation text.
fn bounded(value: Option<i64>, field: &str, (lo, hi): (i64, i64)) -> LambdaResult<Option<u32>> {
    let Some(v) = value else { return Ok(None) };
    if v < lo {
        return Err(LambdaError::constraint(
            &v.to_string(),
            field,
            &format!("Member must have value greater than or equal to {lo}"),
        ));
    }
    if v > hi {
        return Err(LambdaError::constraint(
            &v.to_string(),
            field,
            &format!("Member must have value less than or equal to {hi}"),
        ));
    }
    // Within 0..=21600 here.
    Ok(u32::try_from(v).ok())
}

/// A destination as given: `None` when the side is absent, `Some(None)` when it is present
/// without an ARN (`{}` or `""`), `Some(Some(arn))` otherwise. The ARN must match
/// botocore's pattern.
fn destination(
    side: Option<&crate::requests::DestinationInput>,
    field: &str,
) -> LambdaResult<Option<Option<String>>> {
    let Some(side) = side else { return Ok(None) };
    match side.destination.as_deref() {
        None | Some("") => Ok(Some(None)),
        Some(arn) => {
            check_destination_pattern(arn, &format!("destinationConfig.{field}.destination"))?;
            Ok(Some(Some(arn.to_string())))
        }
    }
}

/// The config as Lambda's Java model prints it in the "is invalid" message.
fn describe(input: &DestinationConfigInput) -> String {
    let side = |kind: &str, d: Option<&crate::requests::DestinationInput>| match d {
        None => "null".to_string(),
        Some(d) => format!(
            "{kind}(destination={})",
            d.destination.as_deref().unwrap_or("null")
        ),
    };
    format!(
        "DestinationConfig(onSuccess={}, onFailure={})",
        side("OnSuccess", input.on_success.as_ref()),
        side("OnFailure", input.on_failure.as_ref())
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requests::DestinationInput;

    #[test]
    fn invalid_config_text_matches_lambdas_model_printout() {
        let input = DestinationConfigInput {
            on_success: Some(DestinationInput {
                destination: Some("arn:aws:iam::000000000000:role/r".into()),
            }),
            on_failure: None,
        };
        assert_eq!(
            describe(&input),
            "DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:iam::000000000000:role/r), onFailure=null)"
        );
    }

    #[test]
    fn bounds_name_the_member() {
        let e = bounded(Some(-1), "maximumRetryAttempts", (0, 2)).unwrap_err();
        assert_eq!(
            e.message,
            "1 validation error detected: Value '-1' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value greater than or equal to 0"
        );
        assert_eq!(bounded(Some(2), "x", (0, 2)).unwrap(), Some(2));
        assert_eq!(bounded(None, "x", (0, 2)).unwrap(), None);
    }
}
