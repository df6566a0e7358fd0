//! ARNs: the region and account Lamina answers as, the ARN forms Lambda accepts for a
//! function (name, `name:qualifier`, partial and full ARNs) and for layers.

use crate::error::{LambdaError, LambdaResult};
use crate::validate;

/// The region and account id every ARN is built with (defaults `us-east-1`, `000000000000`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// AWS region name, e.g. `us-east-1`.
    pub region: String,
    /// Twelve-digit account id.
    pub account_id: String,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
        }
    }
}

/// A function named by a caller: its bare name and an optional qualifier (version or alias).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The function's bare name.
    pub name: String,
    /// `$LATEST`, a version number or an alias name, when the reference carried one.
    pub qualifier: Option<String>,
}

/// What a qualifier names: Lambda tells them apart by their shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Qualifier<'a> {
    /// `$LATEST`: the unpublished version.
    Latest,
    /// A published version number (all digits).
    Version(&'a str),
    /// Anything else: an alias name.
    Alias(&'a str),
}

impl<'a> Qualifier<'a> {
    /// Classifies a qualifier; none means `$LATEST`.
    pub fn of(qualifier: Option<&'a str>) -> Self {
        match qualifier {
            None | Some(crate::function::LATEST) => Self::Latest,
            Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => Self::Version(q),
            Some(q) => Self::Alias(q),
        }
    }
}

impl FunctionRef {
    /// Adds the `Qualifier` parameter to a reference that may carry one in its name
    /// (`name:prod`): an empty parameter is absent, and both given and different is an
    /// error, as in Lambda.
    pub fn with_qualifier_param(mut self, param: Option<&str>) -> LambdaResult<Self> {
        let param = param.filter(|p| !p.is_empty());
        if let Some(p) = param {
            validate::qualifier(p)?;
        }
        match (self.qualifier.as_deref(), param) {
            (Some(a), Some(b)) if a != b => Err(LambdaError::invalid_parameter(
                "The derived qualifier from the function name does not match the specified qualifier.",
            )),
            (None, Some(b)) => {
                self.qualifier = Some(b.to_string());
                Ok(self)
            }
            _ => Ok(self),
        }
    }

    /// What the qualifier names (`$LATEST` when there is none).
    pub fn target(&self) -> Qualifier<'_> {
        Qualifier::of(self.qualifier.as_deref())
    }
}

impl Account {
    /// The ARN a caller invoked `reference` as: qualified when the reference carries a
    /// qualifier.
    pub fn invoked_arn(&self, reference: &FunctionRef) -> String {
        match &reference.qualifier {
            Some(q) => self.qualified_function_arn(&reference.name, q),
            None => self.function_arn(&reference.name),
        }
    }

    /// `arn:aws:lambda:<region>:<account>:function:<name>`.
    pub fn function_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{name}",
            self.region, self.account_id
        )
    }

    /// The function ARN with `:<qualifier>` appended.
    pub fn qualified_function_arn(&self, name: &str, qualifier: &str) -> String {
        format!("{}:{qualifier}", self.function_arn(name))
    }

    /// `arn:aws:lambda:<region>:<account>:layer:<name>`.
    pub fn layer_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:layer:{name}",
            self.region, self.account_id
        )
    }

    /// `arn:aws:lambda:<region>:<account>:layer:<name>:<version>`.
    pub fn layer_version_arn(&self, name: &str, version: u64) -> String {
        format!("{}:{version}", self.layer_arn(name))
    }

    /// Parses any form Lambda accepts for `FunctionName`: `name`, `name:qualifier`,
    /// `<account>:function:name[:qualifier]` or the full ARN. An ARN of another region or
    /// account names a function this server cannot have, which is a not-found.
    pub fn parse_function_ref(&self, input: &str) -> LambdaResult<FunctionRef> {
        let pattern_error = || {
            LambdaError::constraint(
                input,
                "functionName",
                "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
            )
        };
        if input.is_empty() || input.len() > 256 {
            return Err(pattern_error());
        }
        let parts: Vec<&str> = input.split(':').collect();
        let (region, account, rest): (Option<&str>, Option<&str>, &[&str]) = match parts.as_slice()
        {
            [
                "arn",
                partition,
                "lambda",
                region,
                account,
                "function",
                rest @ ..,
            ] if partition.starts_with("aws") => (Some(region), Some(account), rest),
            [account, "function", rest @ ..]
                if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (None, Some(account), rest)
            }
            rest => (None, None, rest),
        };
        let (name, qualifier) = match rest {
            [name] => (*name, None),
            [name, qualifier] => (*name, Some((*qualifier).to_string())),
            _ => return Err(pattern_error()),
        };
        if !validate::is_function_name_pattern(name) {
            return Err(pattern_error());
        }
        if let Some(q) = &qualifier {
            validate::qualifier(q)?;
        }
        if let Some(other) = region.filter(|r| *r != self.region) {
            return Err(LambdaError::not_found(format!(
                "Functions from '{other}' are not reachable in this region ('{}')",
                self.region
            )));
        }
        if account.is_some_and(|a| a != self.account_id) {
            return Err(LambdaError::not_found(format!(
                "Function not found: {input}"
            )));
        }
        Ok(FunctionRef {
            name: name.to_string(),
            qualifier,
        })
    }

    /// Parses a layer version ARN of this account and region into (layer name, version).
    /// Returns `None` for anything else (another account's layer, a malformed string).
    pub fn parse_layer_version_arn(&self, arn: &str) -> Option<(String, u64)> {
        let parts: Vec<&str> = arn.split(':').collect();
        match parts.as_slice() {
            [
                "arn",
                partition,
                "lambda",
                region,
                account,
                "layer",
                name,
                version,
            ] if partition.starts_with("aws")
                && *region == self.region
                && *account == self.account_id =>
            {
                let version = version.parse().ok()?;
                validate::layer_name(name).ok()?;
                Some(((*name).to_string(), version))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_function_name_form() {
        let a = Account::default();
        let plain = a.parse_function_ref("hello").unwrap();
        assert_eq!(
            plain,
            FunctionRef {
                name: "hello".into(),
                qualifier: None
            }
        );
        let q = a.parse_function_ref("hello:prod").unwrap();
        assert_eq!(q.qualifier.as_deref(), Some("prod"));
        let partial = a
            .parse_function_ref("000000000000:function:hello:7")
            .unwrap();
        assert_eq!(
            (partial.name.as_str(), partial.qualifier.as_deref()),
            ("hello", Some("7"))
        );
        let full = a
            .parse_function_ref("arn:aws:lambda:us-east-1:000000000000:function:hello")
            .unwrap();
        assert_eq!(full.name, "hello");
        let latest = a.parse_function_ref("hello:$LATEST").unwrap();
        assert_eq!(latest.qualifier.as_deref(), Some("$LATEST"));
    }

    #[test]
    fn rejects_bad_names_and_foreign_arns() {
        let a = Account::default();
        let e = a.parse_function_ref("bad name").unwrap_err();
        assert_eq!(e.kind.code(), "ValidationException");
        assert!(a.parse_function_ref("a:b:c:d").is_err());
        assert!(a.parse_function_ref("").is_err());
        let foreign = a
            .parse_function_ref("arn:aws:lambda:eu-west-1:000000000000:function:hello")
            .unwrap_err();
        assert_eq!(foreign.kind.status(), 404);
        assert_eq!(
            foreign.message,
            "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"
        );
        // Longer than CreateFunction allows, but within the lookup pattern: not found later.
        assert!(a.parse_function_ref(&"a".repeat(65)).is_ok());
        assert!(a.parse_function_ref(&"a".repeat(141)).is_err());
    }

    #[test]
    fn qualifier_parameter_merges_with_the_name() {
        let a = Account::default();
        let r = a.parse_function_ref("hello").unwrap();
        let r = r.with_qualifier_param(Some("prod")).unwrap();
        assert_eq!(r.qualifier.as_deref(), Some("prod"));
        assert_eq!(r.target(), Qualifier::Alias("prod"));
        let same = a.parse_function_ref("hello:7").unwrap();
        assert_eq!(same.clone().with_qualifier_param(Some("7")).unwrap(), same);
        assert_eq!(same.target(), Qualifier::Version("7"));
        assert_eq!(same.clone().with_qualifier_param(Some("")).unwrap(), same);
        let e = same.with_qualifier_param(Some("8")).unwrap_err();
        assert_eq!(e.kind.code(), "InvalidParameterValueException");
        let bad = a
            .parse_function_ref("hello")
            .unwrap()
            .with_qualifier_param(Some("no way"))
            .unwrap_err();
        assert_eq!(bad.kind.code(), "ValidationException");
        assert_eq!(Qualifier::of(None), Qualifier::Latest);
        assert_eq!(Qualifier::of(Some("$LATEST")), Qualifier::Latest);
        assert_eq!(
            a.invoked_arn(&a.parse_function_ref("hello:prod").unwrap()),
            "arn:aws:lambda:us-east-1:000000000000:function:hello:prod"
        );
    }

    #[test]
    fn layer_arns_round_trip() {
        let a = Account::default();
        let arn = a.layer_version_arn("deps", 3);
        assert_eq!(arn, "arn:aws:lambda:us-east-1:000000000000:layer:deps:3");
        assert_eq!(a.parse_layer_version_arn(&arn), Some(("deps".into(), 3)));
        assert_eq!(
            a.parse_layer_version_arn("arn:aws:lambda:us-east-1:111111111111:layer:deps:3"),
            None
        );
        assert_eq!(
            a.parse_layer_version_arn("arn:aws:lambda:us-east-1:000000000000:layer:deps"),
            None
        );
    }
}
