//! SAM CLI's `--env-vars` file: a JSON object whose `Parameters` entry applies to every
//! function and whose other entries, keyed by a function's logical id, apply to that function
//! (`{"MyFunction": {"TABLE": "t"}, "Parameters": {"STAGE": "dev"}}`).
//!
//! As in SAM, `Parameters` only replaces variables a function already declares in the
//! template. A function's own entry goes further than SAM: it also adds variables the
//! template does not declare, which is what users expect when they name the function.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as J;

/// Why an env-vars file was refused.
#[derive(Debug, thiserror::Error)]
pub enum EnvVarsError {
    /// The file could not be read.
    #[error("cannot read the env-vars file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a JSON object of objects.
    #[error(
        "the env-vars file {path} is not valid: {reason} (expected {{\"LogicalId\": {{\"NAME\": \"value\"}}, \"Parameters\": {{\"NAME\": \"value\"}}}})"
    )]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// A parsed env-vars file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvVars {
    /// `Parameters`: for every function, replacing declared variables only.
    pub parameters: BTreeMap<String, String>,
    /// Per logical id.
    pub functions: BTreeMap<String, BTreeMap<String, String>>,
}

impl EnvVars {
    /// Reads the file at `path`.
    pub fn load(path: &Path) -> Result<EnvVars, EnvVarsError> {
        let text = std::fs::read_to_string(path).map_err(|source| EnvVarsError::Read {
            path: path.display().to_string(),
            source,
        })?;
        EnvVars::parse(&text).map_err(|reason| EnvVarsError::Invalid {
            path: path.display().to_string(),
            reason,
        })
    }

    /// Parses the file's text; `Err` says what is wrong.
    pub fn parse(text: &str) -> Result<EnvVars, String> {
        let root: J = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let J::Object(sections) = root else {
            return Err("the top level must be an object".into());
        };
        let mut out = EnvVars::default();
        for (key, section) in sections {
            let J::Object(vars) = section else {
                return Err(format!("entry {key:?} must be an object of variables"));
            };
            let vars: BTreeMap<String, String> = vars
                .into_iter()
                .map(|(name, value)| {
                    let text = match value {
                        J::String(s) => s,
                        J::Null => String::new(),
                        other => other.to_string(),
                    };
                    (name, text)
                })
                .collect();
            if key == "Parameters" {
                out.parameters = vars;
            } else {
                out.functions.insert(key, vars);
            }
        }
        Ok(out)
    }

    /// `declared` (the template's variables for `logical_id`) with this file applied.
    pub fn apply(
        &self,
        logical_id: &str,
        declared: &BTreeMap<String, String>,
    ) -> BTreeMap<String, String> {
        let mut out = declared.clone();
        for (name, value) in &self.parameters {
            if let Some(slot) = out.get_mut(name) {
                slot.clone_from(value);
            }
        }
        if let Some(own) = self.functions.get(logical_id) {
            for (name, value) in own {
                out.insert(name.clone(), value.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_replace_declared_and_function_entries_add() {
        let vars = EnvVars::parse(
            r#"{"Parameters": {"STAGE": "dev", "UNDECLARED": "x"}, "Fn": {"TABLE": "t", "N": 3}}"#,
        )
        .unwrap();
        let declared = BTreeMap::from([
            ("STAGE".to_string(), "prod".to_string()),
            ("TABLE".to_string(), String::new()),
        ]);
        let fn_env = vars.apply("Fn", &declared);
        assert_eq!(fn_env["STAGE"], "dev");
        assert_eq!(fn_env["TABLE"], "t");
        assert_eq!(fn_env["N"], "3");
        assert!(!fn_env.contains_key("UNDECLARED"));
        let other = vars.apply("Other", &declared);
        assert_eq!(other["TABLE"], "");
        assert_eq!(other["STAGE"], "dev");
    }

    #[test]
    fn refuses_non_objects() {
        assert!(EnvVars::parse("[]").is_err());
        assert!(EnvVars::parse(r#"{"Fn": "x"}"#).is_err());
        assert!(EnvVars::parse("not json").unwrap_err().contains("not JSON"));
    }
}
