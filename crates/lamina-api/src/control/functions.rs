//! Function operations: create, read, list, update code, update configuration, delete.

use lamina_model::environment::ImageId;
use lamina_model::function::{LoggingConfig, State, UpdateStatus};
use lamina_model::{
    CodeRef, Function, FunctionSpec, FunctionVersion, LATEST, LambdaError, LambdaResult, LayerRef,
    validate,
};

use super::{Change, Control, check_revision};
use crate::requests::{
    CodeInput, CreateFunctionInput, LoggingInput, UpdateCodeInput, UpdateConfigInput,
};

/// The most items one List call returns, and the default.
pub const MAX_LIST_ITEMS: usize = 50;

impl Control {
    /// CreateFunction. Validates everything and the zip before writing anything; writes the
    /// code blob, then the function (and version 1 with `Publish`).
    pub async fn create_function(
        &self,
        input: CreateFunctionInput,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let name = self.bare_name(&input.function_name)?;
        validate::function_name(&name)?;
        if input.package_type.as_deref().is_some_and(|p| p != "Zip") {
            return Err(LambdaError::invalid_parameter(
                "Lamina runs Zip packages only; PackageType Image is not supported yet",
            ));
        }
        let runtime = input
            .runtime
            .ok_or_else(|| LambdaError::invalid_parameter("Runtime and Handler are mandatory parameters for functions created with deployment packages."))?;
        let runtime = validate::runtime(&runtime)?;
        self.environments.check_servable(runtime)?;
        let handler = input
            .handler
            .ok_or_else(|| LambdaError::invalid_parameter("Runtime and Handler are mandatory parameters for functions created with deployment packages."))?;
        validate::handler(&handler)?;
        validate::role(&input.role)?;
        let description = input.description.unwrap_or_default();
        validate::description(&description)?;
        let timeout = input.timeout.unwrap_or(3);
        validate::timeout(timeout)?;
        let memory_size = input.memory_size.unwrap_or(128);
        validate::memory_size(memory_size)?;
        let environment = input.environment.map(|e| e.variables).unwrap_or_default();
        validate::environment(&environment)?;
        let ephemeral_storage = input.ephemeral_storage.map_or(512, |e| e.size);
        validate::ephemeral_storage(ephemeral_storage)?;
        let architectures = input.architectures.unwrap_or_else(|| vec!["x86_64".into()]);
        validate::architectures(&architectures)?;
        let tracing_mode = tracing_mode(input.tracing_config.and_then(|t| t.mode))?;
        let logging = logging_config(&name, None, input.logging_config)?;
        validate::layer_count(input.layers.len())?;
        // The same limit TagResource enforces, in Lambda's words.
        if input.tags.len() > 50 {
            return Err(LambdaError::invalid_parameter(
                "Number of tags exceeds resource tag limit.",
            ));
        }
        let layers = self.resolve_layers_with_flags(&input.layers).await?;
        let zip = code_bytes(input.code)?;
        let budget = self.unzipped_budget(&layers);
        let summary = lamina_package::inspect(&zip, &self.limits.package, budget)
            .map_err(LambdaError::from)?;

        let _guard = self.write_lock.lock().await;
        let probe = name.clone();
        if self
            .store_call(move |s| s.get_function(&probe))
            .await?
            .is_some()
        {
            return Err(LambdaError::conflict(format!(
                "Function already exist: {name}"
            )));
        }
        let code = self.store_code(zip, &summary).await?;
        let now = self.clock.now();
        let latest = FunctionVersion {
            version: LATEST.into(),
            spec: FunctionSpec {
                runtime: Some(runtime),
                role: input.role,
                handler: Some(handler),
                description,
                timeout,
                memory_size,
                environment,
                layers,
                architectures,
                ephemeral_storage,
                package_type: "Zip".into(),
                tracing_mode,
                logging,
            },
            code,
            last_modified: now,
            revision_id: Self::new_revision(),
            state: State::Active,
            last_update_status: UpdateStatus::Successful,
            state_reason: None,
            update_reason: None,
        };
        // Stored Pending while the image its runtime needs is prepared.
        let mut latest = latest;
        self.mark_waiting(&mut latest, true);
        let function = Function {
            name: name.clone(),
            latest,
            tags: input.tags,
            policy: Vec::new(),
            policy_revision_id: Self::new_revision(),
            reserved_concurrency: None,
            runtime_management: Default::default(),
            recursive_loop: None,
            next_version: 1,
            created: now,
        };
        let stored = function.clone();
        self.store_call(move |s| s.create_function(&stored)).await?;
        tracing::info!(function = %name, sha = %function.latest.code.code_sha256, "function created");
        // Pending until the image its runtime needs is prepared.
        self.prepare_for(runtime);
        if input.publish {
            return self.publish_locked(function, None).await;
        }
        let latest = function.latest.clone();
        Ok((function, latest))
    }

    /// GetFunction / GetFunctionConfiguration.
    pub async fn get_function(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        self.resolve(function_name, qualifier).await
    }

    /// ListFunctions: functions after `marker`, at most `max_items` (1–50); returns the
    /// page and the marker of the next one.
    pub async fn list_functions(
        &self,
        marker: Option<String>,
        max_items: Option<usize>,
    ) -> LambdaResult<(Vec<Function>, Option<String>)> {
        let limit = list_limit(max_items)?;
        let page = self
            .store_call(move |s| s.list_functions(marker.as_deref(), limit + 1))
            .await?;
        Ok(paginate(page, limit, |f| f.name.clone()))
    }

    /// ListFunctions with `FunctionVersion=ALL`: each function of the page with every one of
    /// its versions, `$LATEST` first.
    pub async fn list_functions_with_versions(
        &self,
        marker: Option<String>,
        max_items: Option<usize>,
    ) -> LambdaResult<(Vec<(Function, Vec<FunctionVersion>)>, Option<String>)> {
        let (functions, next) = self.list_functions(marker, max_items).await?;
        let mut out = Vec::with_capacity(functions.len());
        for function in functions {
            let n = function.name.clone();
            let mut versions = vec![function.latest.clone()];
            versions.extend(self.store_call(move |s| s.list_versions(&n)).await?);
            out.push((function, versions));
        }
        Ok((out, next))
    }

    /// UpdateFunctionCode (with `DryRun` validating only, `Publish` publishing after).
    pub async fn update_code(
        &self,
        function_name: &str,
        input: UpdateCodeInput,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let name = self.bare_name(function_name)?;
        if let Some(arch) = &input.architectures {
            validate::architectures(arch)?;
        }
        let zip = code_bytes(input.code)?;
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&name).await?;
        check_revision(input.revision_id.as_deref(), &function.latest.revision_id)?;
        let budget = self.unzipped_budget(&function.latest.spec.layers);
        let summary = lamina_package::inspect(&zip, &self.limits.package, budget)
            .map_err(LambdaError::from)?;
        if input.dry_run {
            let mut preview = function.latest.clone();
            preview.code = code_ref(&summary);
            return Ok((function, preview));
        }
        function.latest.code = self.store_code(zip, &summary).await?;
        if let Some(arch) = input.architectures {
            function.latest.spec.architectures = arch;
        }
        self.touch_latest(&mut function);
        let stored = function.clone();
        self.store_call(move |s| s.update_function(&stored)).await?;
        self.notify(Change::Function(name));
        if input.publish {
            return self.publish_locked(function, None).await;
        }
        let latest = function.latest.clone();
        Ok((function, latest))
    }

    /// UpdateFunctionConfiguration: only the members given change.
    pub async fn update_configuration(
        &self,
        function_name: &str,
        input: UpdateConfigInput,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let name = self.bare_name(function_name)?;
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&name).await?;
        check_revision(input.revision_id.as_deref(), &function.latest.revision_id)?;
        let mut spec = function.latest.spec.clone();
        if let Some(role) = input.role {
            validate::role(&role)?;
            spec.role = role;
        }
        if let Some(handler) = input.handler {
            validate::handler(&handler)?;
            spec.handler = Some(handler);
        }
        if let Some(description) = input.description {
            validate::description(&description)?;
            spec.description = description;
        }
        if let Some(timeout) = input.timeout {
            validate::timeout(timeout)?;
            spec.timeout = timeout;
        }
        if let Some(memory) = input.memory_size {
            validate::memory_size(memory)?;
            spec.memory_size = memory;
        }
        if let Some(env) = input.environment {
            validate::environment(&env.variables)?;
            spec.environment = env.variables;
        }
        if let Some(runtime) = input.runtime {
            let runtime = validate::runtime(&runtime)?;
            self.environments.check_servable(runtime)?;
            spec.runtime = Some(runtime);
        }
        if let Some(tracing) = input.tracing_config {
            spec.tracing_mode = tracing_mode(tracing.mode)?;
        }
        if let Some(eph) = input.ephemeral_storage {
            validate::ephemeral_storage(eph.size)?;
            spec.ephemeral_storage = eph.size;
        }
        if let Some(logging) = input.logging_config {
            spec.logging = logging_config(&name, Some(&spec.logging), Some(logging))?;
        }
        if let Some(arns) = input.layers {
            validate::layer_count(arns.len())?;
            let layers = self.resolve_layers_with_flags(&arns).await?;
            let total = function.latest.code.unzipped_size
                + layers.iter().map(|l| l.unzipped_size).sum::<u64>();
            if total > self.limits.package.max_unzipped_bytes {
                return Err(LambdaError::invalid_parameter(format!(
                    "Function code combined with layers exceeds the maximum allowed size of {} bytes. The actual size is {total} bytes.",
                    self.limits.package.max_unzipped_bytes
                )));
            }
            spec.layers = layers;
        }
        let runtime = spec.runtime;
        function.latest.spec = spec;
        self.touch_latest(&mut function);
        // Stored InProgress while the image the (new) runtime needs is prepared.
        self.mark_waiting(&mut function.latest, false);
        let stored = function.clone();
        self.store_call(move |s| s.update_function(&stored)).await?;
        self.notify(Change::Function(name));
        // InProgress until the image the (new) runtime needs is prepared.
        if let Some(runtime) = runtime {
            self.prepare_for(runtime);
        }
        let latest = function.latest.clone();
        Ok((function, latest))
    }

    /// DeleteFunction: the whole function, or one published version with a qualifier.
    pub async fn delete_function(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<()> {
        let reference = self
            .account
            .parse_function_ref(function_name)?
            .with_qualifier_param(qualifier)?;
        let qualifier = reference.qualifier.clone();
        let name = reference.name;
        let _guard = self.write_lock.lock().await;
        let function = self.function(&name).await?;
        match qualifier.as_deref() {
            None => {
                let n = name.clone();
                self.store_call(move |s| s.delete_function(&n)).await?;
                tracing::info!(function = %name, "function deleted");
                self.notify(Change::Deleted(name));
                Ok(())
            }
            Some(LATEST) => Err(LambdaError::invalid_parameter(
                "$LATEST version cannot be deleted without deleting the function.",
            )),
            Some(version) if version.bytes().all(|b| b.is_ascii_digit()) => {
                let n = name.clone();
                let aliases = self.store_call(move |s| s.list_aliases(&n)).await?;
                let users: Vec<String> = aliases
                    .iter()
                    .filter(|a| {
                        a.function_version == version
                            || a.additional_version_weights.contains_key(version)
                    })
                    .map(|a| a.name.clone())
                    .collect();
                if !users.is_empty() {
                    return Err(LambdaError::conflict(format!(
                        "Unable to delete version because the following aliases reference it: [{}]",
                        users.join(", ")
                    )));
                }
                let (n, v) = (name.clone(), version.to_string());
                if !self.store_call(move |s| s.delete_version(&n, &v)).await? {
                    return Err(self.qualified_not_found(&function.name, version));
                }
                self.notify(Change::Function(name));
                Ok(())
            }
            Some(alias) => Err(LambdaError::invalid_parameter(format!(
                "Deletion of aliases is not supported through DeleteFunction; use DeleteAlias for alias {alias}"
            ))),
        }
    }

    /// Bumps `$LATEST`'s revision and modification time after a change.
    /// Writes into `version` whether it waits for its runtime's image: `Pending`
    /// (`created`) or `InProgress` with the reason when the image is still to be prepared;
    /// a wait or failure left by an earlier runtime is cleared when the image is there.
    fn mark_waiting(&self, version: &mut FunctionVersion, created: bool) {
        let image = version
            .spec
            .runtime
            .and_then(|r| self.environments.image_to_prepare(r));
        let runtime = version.spec.runtime.map(|r| r.id()).unwrap_or_default();
        match image {
            Some(image) if created || version.state == State::Pending => {
                version.state = State::Pending;
                version.state_reason =
                    Some(super::environments::waiting_reason(&image, runtime, true));
            }
            Some(image) => {
                version.last_update_status = UpdateStatus::InProgress;
                version.update_reason =
                    Some(super::environments::waiting_reason(&image, runtime, false));
            }
            None if super::environments::bound_to_preparation(version) => {
                let settled = super::environments::settled(version, &ImageId::host(), Ok(()));
                version.state = settled.state;
                version.state_reason = settled.state_reason;
                version.last_update_status = settled.last_update_status;
                version.update_reason = settled.update_reason;
            }
            None => {}
        }
    }

    fn touch_latest(&self, function: &mut Function) {
        function.latest.last_modified = self.clock.now();
        function.latest.revision_id = Self::new_revision();
        function.latest.last_update_status = UpdateStatus::Successful;
    }

    /// What is left of the unzipped budget for code once `layers` are counted.
    fn unzipped_budget(&self, layers: &[LayerRef]) -> u64 {
        let used: u64 = layers.iter().map(|l| l.unzipped_size).sum();
        self.limits.package.max_unzipped_bytes.saturating_sub(used)
    }

    /// Writes an accepted zip to the blob store (durable before returning).
    pub(super) async fn store_code(
        &self,
        zip: Vec<u8>,
        summary: &lamina_package::PackageSummary,
    ) -> LambdaResult<CodeRef> {
        let expected = hex_of(&summary.sha256);
        let key = self.store_call(move |s| s.put_blob(&zip)).await?;
        if key != expected {
            tracing::error!(%key, %expected, "blob key differs from the package digest");
            return Err(LambdaError::service(
                "Lamina's store failed; see the server log",
            ));
        }
        Ok(code_ref(summary))
    }
}

/// The zip bytes of a code input, refusing locations Lamina cannot read.
pub(super) fn code_bytes(code: CodeInput) -> LambdaResult<Vec<u8>> {
    if code.s3_bucket.is_some() || code.s3_key.is_some() || code.s3_object_version.is_some() {
        return Err(LambdaError::invalid_parameter(
            "Lamina has no S3: upload the deployment package inline as ZipFile instead of S3Bucket/S3Key",
        ));
    }
    if code.image_uri.is_some() {
        return Err(LambdaError::invalid_parameter(
            "Lamina runs Zip packages only; ImageUri is not supported yet",
        ));
    }
    code.zip_file
        .ok_or_else(|| LambdaError::invalid_parameter("Please provide a source for function code."))
}

pub(super) fn code_ref(summary: &lamina_package::PackageSummary) -> CodeRef {
    CodeRef {
        sha256_hex: hex_of(&summary.sha256),
        code_sha256: summary.code_sha256.clone(),
        size: summary.zipped_size,
        unzipped_size: summary.unzipped_size,
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn tracing_mode(mode: Option<String>) -> LambdaResult<String> {
    match mode.as_deref() {
        None => Ok("PassThrough".into()),
        Some(m @ ("Active" | "PassThrough")) => Ok(m.into()),
        Some(other) => Err(LambdaError::constraint(
            other,
            "tracingConfig.mode",
            "Member must satisfy enum value set: [Active, PassThrough]",
        )),
    }
}

fn logging_config(
    name: &str,
    current: Option<&LoggingConfig>,
    input: Option<LoggingInput>,
) -> LambdaResult<LoggingConfig> {
    let mut config = current.cloned().unwrap_or_else(|| LoggingConfig {
        log_format: "Text".into(),
        application_log_level: None,
        system_log_level: None,
        log_group: format!("/aws/lambda/{name}"),
    });
    let Some(input) = input else {
        return Ok(config);
    };
    if let Some(format) = input.log_format {
        if format != "Text" && format != "JSON" {
            return Err(LambdaError::constraint(
                &format,
                "loggingConfig.logFormat",
                "Member must satisfy enum value set: [Text, JSON]",
            ));
        }
        config.log_format = format;
    }
    if let Some(level) = input.application_log_level {
        if !["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"].contains(&level.as_str()) {
            return Err(LambdaError::constraint(
                &level,
                "loggingConfig.applicationLogLevel",
                "Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]",
            ));
        }
        config.application_log_level = Some(level);
    }
    if let Some(level) = input.system_log_level {
        if !["DEBUG", "INFO", "WARN"].contains(&level.as_str()) {
            return Err(LambdaError::constraint(
                &level,
                "loggingConfig.systemLogLevel",
                "Member must satisfy enum value set: [DEBUG, INFO, WARN]",
            ));
        }
        config.system_log_level = Some(level);
    }
    if config.log_format == "Text"
        && (config.application_log_level.is_some() || config.system_log_level.is_some())
    {
        return Err(LambdaError::invalid_parameter(
            "Advanced log level configuration is only supported with the JSON log format.",
        ));
    }
    if let Some(group) = input.log_group {
        config.log_group = group;
    }
    Ok(config)
}

/// Checks `MaxItems` (1–50, default 50).
pub(super) fn list_limit(max_items: Option<usize>) -> LambdaResult<usize> {
    match max_items {
        None => Ok(MAX_LIST_ITEMS),
        Some(n) if (1..=10_000).contains(&n) => Ok(n.min(MAX_LIST_ITEMS)),
        Some(n) => Err(LambdaError::constraint(
            &n.to_string(),
            "maxItems",
            "Member must have value greater than or equal to 1",
        )),
    }
}

/// Cuts a page fetched with one extra item into (page, next marker).
pub(super) fn paginate<T>(
    mut items: Vec<T>,
    limit: usize,
    key: impl Fn(&T) -> String,
) -> (Vec<T>, Option<String>) {
    if items.len() > limit {
        items.truncate(limit);
        let marker = items.last().map(key);
        (items, marker)
    } else {
        (items, None)
    }
}
