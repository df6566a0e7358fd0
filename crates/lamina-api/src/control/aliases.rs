//! Aliases: a name for one published version (or `$LATEST`), optionally sending a weighted
//! share of invocations to one other published version.

use std::collections::BTreeMap;

use lamina_model::{Alias, Function, LATEST, LambdaError, LambdaResult, validate};

use super::functions::{list_limit, paginate};
use super::{Control, check_revision};
use crate::requests::{CreateAliasInput, RoutingInput, UpdateAliasInput};

impl Control {
    /// CreateAlias.
    pub async fn create_alias(
        &self,
        function_name: &str,
        input: CreateAliasInput,
    ) -> LambdaResult<Alias> {
        let name = self.bare_name(function_name)?;
        validate::alias_name(&input.name)?;
        let description = input.description.unwrap_or_default();
        validate::description(&description)?;
        let _guard = self.write_lock.lock().await;
        let function = self.function(&name).await?;
        self.check_target(&function, &input.function_version)
            .await?;
        let weights = self
            .check_routing(&function, &input.function_version, input.routing_config)
            .await?;
        let (n, a) = (name.clone(), input.name.clone());
        if self
            .store_call(move |s| s.get_alias(&n, &a))
            .await?
            .is_some()
        {
            return Err(LambdaError::conflict(format!(
                "Alias already exists: {}",
                self.account.qualified_function_arn(&name, &input.name)
            )));
        }
        let alias = Alias {
            name: input.name,
            function_version: input.function_version,
            description,
            additional_version_weights: weights,
            revision_id: Self::new_revision(),
        };
        let stored = alias.clone();
        let stored_name = name.clone();
        self.store_call(move |s| s.put_alias(&stored_name, &stored))
            .await?;
        // Invoke resolves aliases from its cache: a new alias must be visible at once.
        self.forget(&name);
        Ok(alias)
    }

    /// GetAlias.
    pub async fn get_alias(
        &self,
        function_name: &str,
        alias: &str,
    ) -> LambdaResult<(String, Alias)> {
        let name = self.bare_name(function_name)?;
        self.function(&name).await?;
        let found = self.alias(&name, alias).await?;
        Ok((name, found))
    }

    async fn alias(&self, name: &str, alias: &str) -> LambdaResult<Alias> {
        let (n, a) = (name.to_string(), alias.to_string());
        self.store_call(move |s| s.get_alias(&n, &a))
            .await?
            .ok_or_else(|| {
                LambdaError::not_found(format!(
                    "Cannot find alias arn: {}",
                    self.account.qualified_function_arn(name, alias)
                ))
            })
    }

    /// UpdateAlias: only the members given change.
    pub async fn update_alias(
        &self,
        function_name: &str,
        alias_name: &str,
        input: UpdateAliasInput,
    ) -> LambdaResult<(String, Alias)> {
        let name = self.bare_name(function_name)?;
        let _guard = self.write_lock.lock().await;
        let function = self.function(&name).await?;
        // UpdateAlias words a missing alias differently from GetAlias.
        let mut alias = self.alias(&name, alias_name).await.map_err(|e| {
            if e.kind == lamina_model::ErrorKind::ResourceNotFound {
                LambdaError::not_found(format!(
                    "Alias not found: {}",
                    self.account.qualified_function_arn(&name, alias_name)
                ))
            } else {
                e
            }
        })?;
        check_revision(input.revision_id.as_deref(), &alias.revision_id)?;
        if let Some(version) = input.function_version {
            self.check_target(&function, &version).await?;
            alias.function_version = version;
        }
        if let Some(description) = input.description {
            validate::description(&description)?;
            alias.description = description;
        }
        if input.routing_config.is_some() {
            alias.additional_version_weights = self
                .check_routing(&function, &alias.function_version, input.routing_config)
                .await?;
        } else if !alias.additional_version_weights.is_empty() {
            // The target may have moved onto the weighted version; re-check the pair.
            let routing = RoutingInput {
                additional_version_weights: alias.additional_version_weights.clone(),
            };
            alias.additional_version_weights = self
                .check_routing(&function, &alias.function_version, Some(routing))
                .await?;
        }
        alias.revision_id = Self::new_revision();
        let stored = alias.clone();
        let n = name.clone();
        self.store_call(move |s| s.put_alias(&n, &stored)).await?;
        self.forget(&name);
        Ok((name, alias))
    }

    /// DeleteAlias.
    pub async fn delete_alias(&self, function_name: &str, alias: &str) -> LambdaResult<()> {
        let name = self.bare_name(function_name)?;
        let _guard = self.write_lock.lock().await;
        self.function(&name).await?;
        let (n, a) = (name.clone(), alias.to_string());
        // Deleting an alias that does not exist succeeds, as in Lambda.
        self.store_call(move |s| s.delete_alias(&n, &a)).await?;
        self.forget(&name);
        Ok(())
    }

    /// ListAliases, optionally only those pointing at `function_version`.
    pub async fn list_aliases(
        &self,
        function_name: &str,
        function_version: Option<String>,
        marker: Option<String>,
        max_items: Option<usize>,
    ) -> LambdaResult<(String, Vec<Alias>, Option<String>)> {
        let name = self.bare_name(function_name)?;
        let limit = list_limit(max_items)?;
        self.function(&name).await?;
        let n = name.clone();
        let all = self.store_call(move |s| s.list_aliases(&n)).await?;
        let rest: Vec<Alias> = all
            .into_iter()
            .filter(|a| {
                function_version
                    .as_ref()
                    .is_none_or(|v| &a.function_version == v)
            })
            .filter(|a| marker.as_ref().is_none_or(|m| &a.name > m))
            .take(limit + 1)
            .collect();
        let (page, next) = paginate(rest, limit, |a| a.name.clone());
        Ok((name, page, next))
    }

    /// An alias may point at `$LATEST` or an existing published version.
    async fn check_target(&self, function: &Function, version: &str) -> LambdaResult<()> {
        if version == LATEST {
            return Ok(());
        }
        if !version.bytes().all(|b| b.is_ascii_digit()) || version.is_empty() {
            return Err(LambdaError::constraint(
                version,
                "functionVersion",
                "Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)",
            ));
        }
        let (n, v) = (function.name.clone(), version.to_string());
        if self
            .store_call(move |s| s.get_version(&n, &v))
            .await?
            .is_none()
        {
            return Err(self.qualified_not_found(&function.name, version));
        }
        Ok(())
    }

    /// Checks `RoutingConfig`: at most one other published version, weight within 0–1, and a
    /// primary that is a published version too.
    async fn check_routing(
        &self,
        function: &Function,
        primary: &str,
        routing: Option<RoutingInput>,
    ) -> LambdaResult<BTreeMap<String, f64>> {
        let weights = routing
            .map(|r| r.additional_version_weights)
            .unwrap_or_default();
        if weights.is_empty() {
            return Ok(weights);
        }
        // The API model's constraints first, worded as Lambda words them (a Java map
        // rendering of the whole value: `{2=1.5}`).
        let rendered = || {
            let pairs: Vec<String> = weights.iter().map(|(k, w)| format!("{k}={w:?}")).collect();
            format!("{{{}}}", pairs.join(", "))
        };
        if weights
            .keys()
            .any(|k| k.is_empty() || !k.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(LambdaError::constraint(
                &rendered(),
                "routingConfig.additionalVersionWeights",
                "Map keys must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
            ));
        }
        if weights.values().any(|w| !(0.0..=1.0).contains(w)) {
            return Err(LambdaError::constraint(
                &rendered(),
                "routingConfig.additionalVersionWeights",
                "Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
            ));
        }
        if weights.len() > 1 {
            return Err(LambdaError::invalid_parameter(
                "Number of items in AdditionalVersionWeights cannot be greater than 1",
            ));
        }
        if primary == LATEST {
            return Err(LambdaError::invalid_parameter(
                "$LATEST is not supported for an alias pointing to more than 1 version",
            ));
        }
        for version in weights.keys() {
            if version == primary {
                return Err(LambdaError::invalid_parameter(format!(
                    "Invalid function version {version}. Function version {version} is already included in routing configuration."
                )));
            }
            self.check_target(function, version).await?;
        }
        Ok(weights)
    }
}
