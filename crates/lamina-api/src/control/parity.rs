//! Operations infrastructure tools call on every plan: the recursion guard setting, the
//! function's code signing config and provisioned concurrency configurations. Lamina keeps the
//! recursion setting; it has no code signing configs or provisioned concurrency yet, so those
//! answer as Lambda does for a function that has none.

use lamina_model::function::LATEST;
use lamina_model::{ErrorKind, LambdaError, LambdaResult};

use super::{Change, Control};

/// The values `RecursiveLoop` may take.
const RECURSIVE_LOOP: [&str; 2] = ["Terminate", "Allow"];

impl Control {
    /// GetFunctionRecursionConfig: `Terminate` unless `Allow` was put.
    pub async fn get_recursion_config(&self, function_name: &str) -> LambdaResult<String> {
        let name = self.unqualified(function_name)?;
        let function = self.function(&name).await?;
        Ok(function
            .recursive_loop
            .unwrap_or_else(|| RECURSIVE_LOOP[0].to_string()))
    }

    /// PutFunctionRecursionConfig.
    pub async fn put_recursion_config(
        &self,
        function_name: &str,
        recursive_loop: Option<&str>,
    ) -> LambdaResult<String> {
        let value = match recursive_loop {
            None => {
                return Err(LambdaError::new(
                    ErrorKind::Validation,
                    "1 validation error detected: Value null at 'recursiveLoop' failed to satisfy constraint: Member must not be null",
                ));
            }
            Some(v) if !RECURSIVE_LOOP.contains(&v) => {
                return Err(LambdaError::constraint(
                    v,
                    "recursiveLoop",
                    "Member must satisfy enum value set: [Terminate, Allow]",
                ));
            }
            Some(v) => v.to_string(),
        };
        let name = self.unqualified(function_name)?;
        let _guard = self.write_lock.lock().await;
        let mut function = self.function(&name).await?;
        function.recursive_loop = (value != RECURSIVE_LOOP[0]).then(|| value.clone());
        let saved = {
            let function = function.clone();
            self.store_call(move |s| s.update_function(&function)).await
        };
        self.forget(&name);
        saved?;
        self.notify(Change::Function(name));
        Ok(value)
    }

    /// GetFunctionCodeSigningConfig: the function's name, and no config (Lamina has none).
    pub async fn get_function_code_signing_config(
        &self,
        function_name: &str,
    ) -> LambdaResult<String> {
        let reference = self.account.parse_function_ref(function_name)?;
        Ok(self.function(&reference.name).await?.name)
    }

    /// ListProvisionedConcurrencyConfigs: the function must exist; none are configured.
    pub async fn list_provisioned_concurrency(&self, function_name: &str) -> LambdaResult<()> {
        let reference = self.account.parse_function_ref(function_name)?;
        self.function(&reference.name).await?;
        Ok(())
    }

    /// GetProvisionedConcurrencyConfig: the qualifier must name a published version or an
    /// alias that exists; none has a configuration, so every answer is an error.
    pub async fn get_provisioned_concurrency(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
    ) -> LambdaResult<std::convert::Infallible> {
        let reference = self
            .account
            .parse_function_ref(function_name)?
            .with_qualifier_param(qualifier)?;
        let qualifier = reference.qualifier.clone().ok_or_else(|| {
                LambdaError::new(
                    ErrorKind::Validation,
                    "1 validation error detected: Value null at 'qualifier' failed to satisfy constraint: Member must not be null",
                )
            })?;
        if qualifier == LATEST {
            return Err(LambdaError::invalid_parameter(
                "The function resource provided must be an alias or a published version.",
            ));
        }
        let (name, q) = (reference.name.clone(), qualifier.clone());
        let exists = if qualifier.bytes().all(|b| b.is_ascii_digit()) {
            self.store_call(move |s| s.get_version(&name, &q))
                .await?
                .is_some()
        } else {
            self.store_call(move |s| s.get_alias(&name, &q))
                .await?
                .is_some()
        };
        let arn = self
            .account
            .qualified_function_arn(&reference.name, &qualifier);
        match (exists, qualifier.bytes().all(|b| b.is_ascii_digit())) {
            (false, true) => Err(LambdaError::not_found(format!("Function not found: {arn}"))),
            (false, false) => Err(LambdaError::not_found(format!(
                "Cannot find alias arn: {arn}"
            ))),
            (true, _) => Err(LambdaError::new(
                ErrorKind::ProvisionedConcurrencyConfigNotFound,
                "No Provisioned Concurrency Config found for this function",
            )),
        }
    }

    /// A `FunctionName` that must name the function itself, as the function-level settings
    /// require.
    fn unqualified(&self, function_name: &str) -> LambdaResult<String> {
        let reference = self.account.parse_function_ref(function_name)?;
        if reference.qualifier.is_some() {
            return Err(LambdaError::invalid_parameter(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.",
            ));
        }
        Ok(reference.name)
    }
}
