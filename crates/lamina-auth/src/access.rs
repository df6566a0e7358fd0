//! Who may do what, once a request's signature holds.
//!
//! One data folder holds one account's resources (the server's `--account-id`): its keys act
//! on them (read-only keys may only read); a key of any other account is a *foreign*
//! principal that owns nothing here. A foreign principal sees an empty function list, gets
//! Lambda's not-found answer for any function it names (whether it exists or not, so no name
//! leaks), and may only invoke a function whose resource policy (AddPermission) grants its
//! account or its principal `lambda:InvokeFunction`; otherwise it gets Lambda's
//! `AccessDeniedException`. This module classifies a request into an operation and decides;
//! reading the policy is the caller's.

use percent_encoding::percent_decode_str;
use serde_json::Value;

use crate::error::AuthError;
use crate::keys::Identity;

/// A request's operation as the access rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// Lambda's operation name (`GetFunction`, `Invoke`, …), or `METHOD /path` for routes
    /// Lambda does not have.
    pub name: String,
    /// The function the path names (name, partial or full ARN, possibly `name:qualifier`).
    pub function: Option<String>,
    /// Whether it changes anything or runs code (everything but GET and HEAD).
    pub mutates: bool,
}

impl Operation {
    /// The IAM action (`lambda:InvokeFunction` for Invoke).
    pub fn action(&self) -> String {
        match self.name.as_str() {
            "Invoke" => "lambda:InvokeFunction".to_string(),
            name if name.contains(' ') => "lambda:*".to_string(),
            name => format!("lambda:{name}"),
        }
    }

    /// Classifies `method` on `path` (as sent, %-encoded).
    pub fn classify(method: &str, path: &str) -> Self {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
            .collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        let mutates = !matches!(method, "GET" | "HEAD");
        let named = |name: &str, function: Option<&str>| Self {
            name: name.to_string(),
            function: function.map(str::to_string),
            mutates,
        };
        let name = match (method, seg.as_slice()) {
            ("GET", [_, "functions"]) => "ListFunctions",
            ("POST", [_, "functions"]) => "CreateFunction",
            ("GET", [_, "functions", f]) => return named("GetFunction", Some(f)),
            ("DELETE", [_, "functions", f]) => return named("DeleteFunction", Some(f)),
            (_, [_, "functions", f, rest @ ..]) => {
                let op = match (method, rest) {
                    ("PUT", ["code"]) => "UpdateFunctionCode",
                    ("GET", ["configuration"]) => "GetFunctionConfiguration",
                    ("PUT", ["configuration"]) => "UpdateFunctionConfiguration",
                    ("GET", ["versions"]) => "ListVersionsByFunction",
                    ("POST", ["versions"]) => "PublishVersion",
                    ("GET", ["aliases"]) => "ListAliases",
                    ("POST", ["aliases"]) => "CreateAlias",
                    ("GET", ["aliases", _]) => "GetAlias",
                    ("PUT", ["aliases", _]) => "UpdateAlias",
                    ("DELETE", ["aliases", _]) => "DeleteAlias",
                    ("GET", ["policy"]) => "GetPolicy",
                    ("POST", ["policy"]) => "AddPermission",
                    ("DELETE", ["policy", _]) => "RemovePermission",
                    ("POST", ["invocations"]) => "Invoke",
                    ("POST", ["invoke-async"]) => "InvokeAsync",
                    ("GET", ["concurrency"]) => "GetFunctionConcurrency",
                    ("PUT", ["concurrency"]) => "PutFunctionConcurrency",
                    ("DELETE", ["concurrency"]) => "DeleteFunctionConcurrency",
                    ("GET", ["runtime-management-config"]) => "GetRuntimeManagementConfig",
                    ("PUT", ["runtime-management-config"]) => "PutRuntimeManagementConfig",
                    ("GET", ["event-invoke-config"]) => "GetFunctionEventInvokeConfig",
                    ("PUT", ["event-invoke-config"]) => "PutFunctionEventInvokeConfig",
                    ("POST", ["event-invoke-config"]) => "UpdateFunctionEventInvokeConfig",
                    ("DELETE", ["event-invoke-config"]) => "DeleteFunctionEventInvokeConfig",
                    _ => return named(&format!("{method} {path}"), Some(f)),
                };
                return named(op, Some(f));
            }
            ("GET", [_, "tags", arn]) => return named("ListTags", Some(arn)),
            ("POST", [_, "tags", arn]) => return named("TagResource", Some(arn)),
            ("DELETE", [_, "tags", arn]) => return named("UntagResource", Some(arn)),
            ("GET", [_, "account-settings"]) => "GetAccountSettings",
            ("GET", [_, "layers"]) => "ListLayers",
            ("GET", ["lamina", "logs", f]) => return named("GetLogs", Some(f)),
            _ => return named(&format!("{method} {path}"), None),
        };
        named(name, None)
    }
}

/// A function reference split into the account it names (if any), name and qualifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionRef {
    /// The account in an ARN or partial ARN.
    pub account: Option<String>,
    /// The function's name.
    pub name: String,
    /// `name:qualifier` or the ARN's qualifier.
    pub qualifier: Option<String>,
}

impl FunctionRef {
    /// Splits `name`, `name:q`, `123456789012:function:name[:q]` or a full ARN.
    pub fn parse(raw: &str) -> Self {
        let parts: Vec<&str> = raw.split(':').collect();
        let (account, rest): (Option<&str>, &[&str]) = match parts.as_slice() {
            ["arn", _, "lambda", _, account, "function", rest @ ..] => (Some(account), rest),
            [account, "function", rest @ ..] => (Some(account), rest),
            rest => (None, rest),
        };
        Self {
            account: account.map(str::to_string),
            name: rest.first().copied().unwrap_or_default().to_string(),
            qualifier: rest.get(1).map(|q| q.to_string()),
        }
    }
}

/// What the rules say about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go on.
    Allow,
    /// Answer with an empty `ListFunctions`.
    EmptyList,
    /// Lambda's not-found for the function named (message given).
    NotFound(String),
    /// Go on if the function's resource policy allows `principal` to invoke `resource`
    /// (the function's own name and qualifier given to read the policy).
    NeedsPolicy {
        /// The function's name.
        name: String,
        /// The qualifier invoked, if any.
        qualifier: Option<String>,
        /// The ARN the statement's `Resource` must name.
        resource: String,
    },
    /// Refused.
    Deny(AuthError),
}

/// The server's owning account and region.
#[derive(Debug, Clone)]
pub struct Owner<'a> {
    /// `--account-id`.
    pub account_id: &'a str,
    /// `--region`.
    pub region: &'a str,
}

impl Owner<'_> {
    fn function_arn(&self, account: &str, name: &str, qualifier: Option<&str>) -> String {
        match qualifier {
            Some(q) => format!(
                "arn:aws:lambda:{}:{account}:function:{name}:{q}",
                self.region
            ),
            None => format!("arn:aws:lambda:{}:{account}:function:{name}", self.region),
        }
    }
}

fn identity_denied(identity: &Identity, action: &str, resource: &str) -> AuthError {
    AuthError::AccessDenied(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action",
        identity.principal_arn()
    ))
}

/// The `AccessDeniedException` of an invoke no resource policy allows.
pub fn policy_denied(identity: &Identity, action: &str, resource: &str) -> AuthError {
    AuthError::AccessDenied(format!(
        "User: {} is not authorized to perform: {action} on resource: {resource} because no resource-based policy allows the {action} action",
        identity.principal_arn()
    ))
}

/// Decides `operation` for `identity` on a server owned by `owner`. `query_qualifier` is the
/// request's `Qualifier` parameter.
pub fn decide(
    identity: &Identity,
    owner: &Owner<'_>,
    operation: &Operation,
    query_qualifier: Option<&str>,
) -> Decision {
    let action = operation.action();
    let reference = operation.function.as_deref().map(FunctionRef::parse);
    if identity.account_id == owner.account_id {
        if identity.read_only && operation.mutates {
            let resource = match &reference {
                Some(r) => owner.function_arn(owner.account_id, &r.name, None),
                None => format!("arn:aws:lambda:{}:{}:*", owner.region, owner.account_id),
            };
            return Decision::Deny(identity_denied(identity, &action, &resource));
        }
        return Decision::Allow;
    }
    // A foreign principal.
    let Some(reference) = reference else {
        if operation.name == "ListFunctions" {
            return Decision::EmptyList;
        }
        let resource = format!("arn:aws:lambda:{}:{}:*", owner.region, identity.account_id);
        return Decision::Deny(identity_denied(identity, &action, &resource));
    };
    let account = reference
        .account
        .clone()
        .unwrap_or_else(|| identity.account_id.clone());
    let qualifier = reference
        .qualifier
        .clone()
        .or_else(|| query_qualifier.map(str::to_string));
    if account != owner.account_id {
        // A name in the caller's own (empty) account, or in one this server does not hold.
        return Decision::NotFound(format!(
            "Function not found: {}",
            owner.function_arn(&account, &reference.name, qualifier.as_deref())
        ));
    }
    if operation.name != "Invoke" {
        return Decision::NotFound(format!(
            "Function not found: {}",
            owner.function_arn(&account, &reference.name, qualifier.as_deref())
        ));
    }
    let policy_qualifier = qualifier.filter(|q| q != lamina_latest());
    let resource = owner.function_arn(&account, &reference.name, policy_qualifier.as_deref());
    Decision::NeedsPolicy {
        name: reference.name,
        qualifier: policy_qualifier,
        resource,
    }
}

fn lamina_latest() -> &'static str {
    "$LATEST"
}

/// Whether one of `statements` (a function's resource policy) allows `identity` to perform
/// `action` on `resource`. Statements with conditions never match a direct caller (their
/// conditions name event sources), so they fail closed.
pub fn policy_allows(
    statements: &[Value],
    identity: &Identity,
    action: &str,
    resource: &str,
) -> bool {
    let principal_arn = identity.principal_arn();
    let root = format!("arn:aws:iam::{}:root", identity.account_id);
    statements.iter().any(|s| {
        s["Effect"] == "Allow"
            && s.get("Condition").is_none()
            && any_of(&s["Action"], |a| a == action || a == "lambda:*" || a == "*")
            && any_of(&s["Resource"], |r| r == resource)
            && match &s["Principal"] {
                Value::String(p) => p == "*",
                Value::Object(map) => map.get("AWS").is_some_and(|aws| {
                    any_of(aws, |p| {
                        p == "*" || p == root || p == principal_arn || p == identity.account_id
                    })
                }),
                _ => false,
            }
    })
}

fn any_of(value: &Value, test: impl Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => test(s),
        Value::Array(items) => items.iter().filter_map(Value::as_str).any(test),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
