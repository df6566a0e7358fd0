//! Function-level settings that are not configuration: tags, the resource policy, reserved
//! concurrency, runtime-management, and the account's settings.

use std::collections::BTreeMap;

use lamina_model::function::RuntimeManagement;
use lamina_model::{Function, LambdaError, LambdaResult};
use serde_json::json;

use super::{Change, Control, check_revision};
use crate::requests::{AddPermissionInput, RuntimeManagementInput};

/// GetAccountSettings' figures.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// Bytes of code and layers stored.
    pub total_code_size: u64,
    /// Number of functions.
    pub function_count: u64,
    /// Account concurrency minus all reservations.
    pub unreserved_concurrency: u32,
}

impl Control {
    /// Resolves a tagging ARN to its function; only unqualified function ARNs carry tags.
    async fn tagged_function(&self, resource: &str) -> LambdaResult<Function> {
        let reference = self.account.parse_function_ref(resource)?;
        if !resource.starts_with("arn:") {
            return Err(LambdaError::constraint(
                resource,
                "resource",
                "Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*):lambda:[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:\\d{12}:(function:[a-zA-Z0-9-_]+(:(\\$LATEST|[a-zA-Z0-9-_]+))?|layer:[a-zA-Z0-9-_]+)",
            ));
        }
        if reference.qualifier.is_some() {
            return Err(LambdaError::invalid_parameter(
                "Tags on function aliases and versions are not supported. Please specify a function ARN.",
            ));
        }
        self.function(&reference.name).await
    }

    /// TagResource.
    pub async fn tag_resource(
        &self,
        resource: &str,
        tags: BTreeMap<String, String>,
    ) -> LambdaResult<()> {
        if tags
            .keys()
            .any(|k| k.is_empty() || k.len() > 128 || k.starts_with("aws:"))
        {
            return Err(LambdaError::invalid_parameter(
                "Tag keys must be 1–128 characters and may not start with aws:",
            ));
        }
        let _guard = self.write_lock.lock().await;
        let mut function = self.tagged_function(resource).await?;
        function.tags.extend(tags);
        if function.tags.len() > 50 {
            return Err(LambdaError::invalid_parameter(
                "Number of tags exceeds resource tag limit.",
            ));
        }
        self.save_function(function).await
    }

    /// UntagResource.
    pub async fn untag_resource(&self, resource: &str, keys: &[String]) -> LambdaResult<()> {
        let _guard = self.write_lock.lock().await;
        let mut function = self.tagged_function(resource).await?;
        for key in keys {
            function.tags.remove(key);
        }
        self.save_function(function).await
    }

    /// ListTags.
    pub async fn list_tags(&self, resource: &str) -> LambdaResult<BTreeMap<String, String>> {
        Ok(self.tagged_function(resource).await?.tags)
    }

    /// AddPermission: appends a statement to the function's resource policy and returns it.
    pub async fn add_permission(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
        input: AddPermissionInput,
    ) -> LambdaResult<serde_json::Value> {
        let reference = self
            .account
            .parse_function_ref(function_name)?
            .with_qualifier_param(qualifier)?;
        let qualifier = reference.qualifier.clone();
        let sid_ok = !input.statement_id.is_empty()
            && input.statement_id.len() <= 100
            && input
                .statement_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !sid_ok {
            return Err(LambdaError::constraint(
                &input.statement_id,
                "statementId",
                "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
            ));
        }
        if !input.action.starts_with("lambda:") {
            return Err(LambdaError::constraint(
                &input.action,
                "action",
                "Member must satisfy regular expression pattern: (lambda:[*]|lambda:[a-zA-Z]+|[*])",
            ));
        }
        if qualifier.as_deref() == Some(lamina_model::LATEST) {
            return Err(LambdaError::invalid_parameter(
                "We currently do not support adding policies for $LATEST.",
            ));
        }
        if !valid_principal(&input.principal) {
            return Err(LambdaError::invalid_parameter(
                "The provided principal was invalid. Please check the principal and try again.",
            ));
        }
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&reference.name).await?;
        check_revision(input.revision_id.as_deref(), &function.policy_revision_id)?;
        if let Some(q) = &qualifier {
            self.version_of(&function, q).await.map_err(|e| {
                // A missing alias is worded as an alias, a missing version as a function.
                let is_alias = !q.bytes().all(|b| b.is_ascii_digit());
                if is_alias && e.kind == lamina_model::ErrorKind::ResourceNotFound {
                    LambdaError::not_found(format!(
                        "Cannot find alias arn: {}",
                        self.account.qualified_function_arn(&function.name, q)
                    ))
                } else {
                    e
                }
            })?;
        }
        if function
            .policy
            .iter()
            .any(|s| s["Sid"] == input.statement_id.as_str())
        {
            return Err(LambdaError::conflict(format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the existing statement.",
                input.statement_id
            )));
        }
        let resource = match &qualifier {
            Some(q) => self.account.qualified_function_arn(&function.name, q),
            None => self.account.function_arn(&function.name),
        };
        let principal = if input.principal.ends_with(".amazonaws.com") {
            json!({ "Service": input.principal })
        } else if input.principal == "*" {
            json!("*")
        } else if input.principal.starts_with("arn:") {
            json!({ "AWS": input.principal })
        } else {
            json!({ "AWS": format!("arn:aws:iam::{}:root", input.principal) })
        };
        let mut condition = serde_json::Map::new();
        if let Some(arn) = &input.source_arn {
            condition.insert("ArnLike".into(), json!({ "AWS:SourceArn": arn }));
        }
        let mut equals = serde_json::Map::new();
        if let Some(account) = &input.source_account {
            equals.insert("AWS:SourceAccount".into(), json!(account));
        }
        if let Some(token) = &input.event_source_token {
            equals.insert("lambda:EventSourceToken".into(), json!(token));
        }
        if let Some(org) = &input.principal_org_id {
            equals.insert("aws:PrincipalOrgID".into(), json!(org));
        }
        if let Some(auth) = &input.function_url_auth_type {
            equals.insert("lambda:FunctionUrlAuthType".into(), json!(auth));
        }
        if !equals.is_empty() {
            condition.insert("StringEquals".into(), serde_json::Value::Object(equals));
        }
        let mut statement = json!({
            "Sid": input.statement_id,
            "Effect": "Allow",
            "Principal": principal,
            "Action": input.action,
            "Resource": resource,
        });
        if !condition.is_empty() {
            statement["Condition"] = serde_json::Value::Object(condition);
        }
        function.policy.push(statement.clone());
        function.policy_revision_id = Self::new_revision();
        if serde_json::to_string(&function.policy).map_or(0, |s| s.len()) > 20_480 {
            return Err(LambdaError::new(
                lamina_model::ErrorKind::InvalidParameterValue,
                "The final policy size (bigger than 20480) is bigger than the limit (20480).",
            ));
        }
        self.save_function(function).await?;
        Ok(statement)
    }

    /// GetPolicy: the policy document and its revision.
    pub async fn get_policy(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<(serde_json::Value, String)> {
        // Lambda answers a missing function or version here with the generic not-found.
        let (function, _) = self.resolve(function_name, qualifier).await.map_err(|e| {
            if e.kind == lamina_model::ErrorKind::ResourceNotFound {
                LambdaError::not_found("The resource you requested does not exist.")
            } else {
                e
            }
        })?;
        if function.policy.is_empty() {
            return Err(LambdaError::not_found(
                "The resource you requested does not exist.",
            ));
        }
        let document = json!({
            "Version": "2012-10-17",
            "Id": "default",
            "Statement": function.policy,
        });
        Ok((document, function.policy_revision_id))
    }

    /// RemovePermission.
    pub async fn remove_permission(
        &self,
        function_name: &str,
        statement_id: &str,
        revision_id: Option<&str>,
    ) -> LambdaResult<()> {
        let reference = self.account.parse_function_ref(function_name)?;
        let _guard = self.write_lock.lock().await;
        let Some(mut function) = self.find_function(&reference.name).await? else {
            return Err(LambdaError::not_found(format!(
                "No policy found for: {}",
                self.account.function_arn(&reference.name)
            )));
        };
        if function.policy.is_empty() {
            return Err(LambdaError::not_found(
                "No policy is associated with the given resource.",
            ));
        }
        check_revision(revision_id, &function.policy_revision_id)?;
        let before = function.policy.len();
        function.policy.retain(|s| s["Sid"] != statement_id);
        if function.policy.len() == before {
            return Err(LambdaError::not_found(format!(
                "Statement {statement_id} is not found in resource policy."
            )));
        }
        function.policy_revision_id = Self::new_revision();
        self.save_function(function).await
    }

    /// PutFunctionConcurrency: keeps at least `min_unreserved` of the account unreserved.
    pub async fn put_concurrency(&self, function_name: &str, reserved: u32) -> LambdaResult<u32> {
        let name = self.concurrency_target(function_name)?;
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&name).await?;
        let others = self.reserved_total(Some(&name)).await?;
        let unreserved =
            i64::from(self.limits.concurrent_executions) - i64::from(others) - i64::from(reserved);
        if unreserved < i64::from(self.limits.min_unreserved) {
            return Err(LambdaError::invalid_parameter(format!(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{}].",
                self.limits.min_unreserved
            )));
        }
        function.reserved_concurrency = Some(reserved);
        self.save_function(function).await?;
        self.notify(Change::Function(name));
        Ok(reserved)
    }

    /// GetFunctionConcurrency.
    pub async fn get_concurrency(&self, function_name: &str) -> LambdaResult<Option<u32>> {
        let name = self.concurrency_target(function_name)?;
        Ok(self.function(&name).await?.reserved_concurrency)
    }

    /// DeleteFunctionConcurrency.
    pub async fn delete_concurrency(&self, function_name: &str) -> LambdaResult<()> {
        let name = self.concurrency_target(function_name)?;
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&name).await?;
        function.reserved_concurrency = None;
        self.save_function(function).await?;
        self.notify(Change::Function(name));
        Ok(())
    }

    /// PutRuntimeManagementConfig. A `Manual` pin must name a runtime version of this server
    /// (the function's runtime on a known image that serves it); the resolver gives the mode
    /// its meaning.
    pub async fn put_runtime_management(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
        input: RuntimeManagementInput,
    ) -> LambdaResult<(String, RuntimeManagement)> {
        let (function, version) = self.resolve(function_name, qualifier).await?;
        match (input.update_runtime_on.as_str(), &input.runtime_version_arn) {
            ("Manual", None) => {
                return Err(LambdaError::invalid_parameter(
                    "RuntimeVersionArn is required when UpdateRuntimeOn is Manual.",
                ));
            }
            ("Auto" | "FunctionUpdate", Some(_)) => {
                return Err(LambdaError::invalid_parameter(
                    "RuntimeVersionArn can only be set when UpdateRuntimeOn is Manual.",
                ));
            }
            ("Auto" | "FunctionUpdate" | "Manual", _) => {}
            (other, _) => {
                return Err(LambdaError::constraint(
                    other,
                    "updateRuntimeOn",
                    "Member must satisfy enum value set: [Auto, Manual, FunctionUpdate]",
                ));
            }
        }
        if let Some(arn) = &input.runtime_version_arn {
            self.environments
                .check_pin(arn, version.spec.runtime.as_deref())?;
        }
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&function.name).await?;
        function.runtime_management = RuntimeManagement {
            update_runtime_on: input.update_runtime_on,
            runtime_version_arn: input.runtime_version_arn,
        };
        let config = function.runtime_management.clone();
        let arn = self.version_arn(&function.name, &version.version);
        let name = function.name.clone();
        self.save_function(function).await?;
        self.notify(Change::Function(name));
        Ok((arn, config))
    }

    /// GetRuntimeManagementConfig.
    pub async fn get_runtime_management(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<(String, RuntimeManagement)> {
        let (function, version) = self.resolve(function_name, qualifier).await?;
        Ok((
            self.version_arn(&function.name, &version.version),
            function.runtime_management,
        ))
    }

    /// GetAccountSettings.
    pub async fn account_settings(&self) -> LambdaResult<AccountSettings> {
        // Published versions keep their packages, and Lambda counts each of them.
        let mut total_code_size = 0u64;
        let mut functions = std::collections::BTreeSet::new();
        for (function, version) in self.all_versions().await? {
            total_code_size += version.code.size;
            functions.insert(function.name);
        }
        let function_count = functions.len() as u64;
        // `list_layers` gives each layer's newest version; every version is stored.
        let layers = self.store_call(|s| s.list_layers()).await?;
        for layer in layers {
            let name = layer.name;
            let versions = self
                .store_call(move |s| s.list_layer_versions(&name))
                .await?;
            total_code_size += versions.iter().map(|l| l.content.size).sum::<u64>();
        }
        let reserved = self.reserved_total(None).await?;
        Ok(AccountSettings {
            total_code_size,
            function_count,
            unreserved_concurrency: self.limits.concurrent_executions.saturating_sub(reserved),
        })
    }

    /// Sum of reserved concurrency over all functions except `except`.
    async fn reserved_total(&self, except: Option<&str>) -> LambdaResult<u32> {
        let total = self
            .all_functions()
            .await?
            .iter()
            .filter(|f| except != Some(f.name.as_str()))
            .filter_map(|f| f.reserved_concurrency)
            .sum::<u32>();
        Ok(total)
    }

    /// The function a concurrency call names; versions and aliases carry no reservation.
    fn concurrency_target(&self, function_name: &str) -> LambdaResult<String> {
        let reference = self.account.parse_function_ref(function_name)?;
        if reference.qualifier.is_some() {
            return Err(LambdaError::invalid_parameter(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.",
            ));
        }
        Ok(reference.name)
    }

    /// The function called `name`, if any.
    async fn find_function(&self, name: &str) -> LambdaResult<Option<Function>> {
        let owned = name.to_string();
        self.store_call(move |s| s.get_function(&owned)).await
    }

    fn version_arn(&self, name: &str, version: &str) -> String {
        self.account.qualified_function_arn(name, version)
    }

    async fn save_function(&self, function: Function) -> LambdaResult<()> {
        let name = function.name.clone();
        let saved = self.store_call(move |s| s.update_function(&function)).await;
        self.forget(&name);
        saved
    }
}

/// A principal Lambda accepts in AddPermission: `*`, an account id, an ARN, or a service
/// (`<name>.amazonaws.com`).
fn valid_principal(principal: &str) -> bool {
    let account = principal.len() == 12 && principal.bytes().all(|b| b.is_ascii_digit());
    let service = principal
        .strip_suffix(".amazonaws.com")
        .is_some_and(|name| !name.is_empty() && !name.contains('/'));
    principal == "*" || account || principal.starts_with("arn:aws") || service
}
