//! Published versions: PublishVersion and ListVersionsByFunction. A published version is an
//! immutable copy of `$LATEST`'s code and configuration under the next number; publishing
//! an unchanged `$LATEST` returns the newest version instead of making a twin.

use lamina_model::{Function, FunctionSpec, FunctionVersion, LambdaError, LambdaResult};

use super::functions::{list_limit, paginate};
use super::{Control, check_revision};
use crate::requests::PublishVersionInput;

impl Control {
    /// PublishVersion.
    pub async fn publish_version(
        &self,
        function_name: &str,
        input: PublishVersionInput,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let name = self.bare_name(function_name)?;
        if let Some(description) = &input.description {
            lamina_model::validate::description(description)?;
        }
        let _guard = self.write_lock.lock().await;
        let function = self.function(&name).await?;
        check_revision(input.revision_id.as_deref(), &function.latest.revision_id)?;
        if let Some(sha) = input
            .code_sha256
            .as_ref()
            .filter(|sha| **sha != function.latest.code.code_sha256)
        {
            return Err(LambdaError::invalid_parameter(format!(
                "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again with the CodeSHA256 in $LATEST.",
                function.latest.code.code_sha256
            )));
        }
        self.publish_locked(function, input.description).await
    }

    /// Publishes `$LATEST` of `function`; the caller holds the write lock.
    pub(super) async fn publish_locked(
        &self,
        mut function: Function,
        description: Option<String>,
    ) -> LambdaResult<(Function, FunctionVersion)> {
        let n = function.name.clone();
        let existing = self.store_call(move |s| s.list_versions(&n)).await?;
        if let Some(newest) = existing.last() {
            let unchanged = newest.code == function.latest.code
                && same_configuration(&newest.spec, &function.latest.spec);
            if unchanged && description.is_none() {
                return Ok((function, newest.clone()));
            }
        }
        let number = function.next_version;
        let mut version = function.latest.clone();
        version.version = number.to_string();
        version.revision_id = Self::new_revision();
        if let Some(description) = description {
            version.spec.description = description;
        }
        function.next_version = number + 1;
        let (f, v) = (function.clone(), version.clone());
        self.store_call(move |s| s.publish_version(&f, &v)).await?;
        self.forget(&function.name);
        tracing::info!(function = %function.name, version = number, "version published");
        Ok((function, version))
    }

    /// ListVersionsByFunction: `$LATEST` first, then published versions in order.
    pub async fn list_versions(
        &self,
        function_name: &str,
        marker: Option<String>,
        max_items: Option<usize>,
    ) -> LambdaResult<(Function, Vec<FunctionVersion>, Option<String>)> {
        let name = self.bare_name(function_name)?;
        let limit = list_limit(max_items)?;
        let function = self.function(&name).await?;
        let n = name.clone();
        let mut all = vec![function.latest.clone()];
        all.extend(self.store_call(move |s| s.list_versions(&n)).await?);
        let start = match marker.as_deref() {
            None => 0,
            Some(m) => all
                .iter()
                .position(|v| v.version == m)
                .map_or(all.len(), |i| i + 1),
        };
        let rest: Vec<FunctionVersion> = all.into_iter().skip(start).take(limit + 1).collect();
        let (page, next) = paginate(rest, limit, |v| v.version.clone());
        Ok((function, page, next))
    }
}

/// Whether two configurations are the same apart from the description, which a published
/// version may override without `$LATEST` having changed.
fn same_configuration(a: &FunctionSpec, b: &FunctionSpec) -> bool {
    FunctionSpec {
        description: String::new(),
        ..a.clone()
    } == FunctionSpec {
        description: String::new(),
        ..b.clone()
    }
}
