//! Layer version permissions: AddLayerVersionPermission, GetLayerVersionPolicy and
//! RemoveLayerVersionPermission. Statements are kept on the layer version; Lamina serves one
//! account, so they are recorded and shown but grant nothing beyond what it already allows.

use lamina_model::{LambdaError, LambdaResult, LayerVersion};
use serde_json::{Value, json};

use super::Control;

/// AddLayerVersionPermission's body.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LayerPermissionInput {
    /// `StatementId`.
    #[serde(default)]
    pub statement_id: Option<String>,
    /// `Action`: only `lambda:GetLayerVersion`.
    #[serde(default)]
    pub action: Option<String>,
    /// `Principal`: an account id, `*` or an account root ARN.
    #[serde(default)]
    pub principal: Option<String>,
    /// `OrganizationId`, with `Principal` `*`.
    #[serde(default)]
    pub organization_id: Option<String>,
}

impl crate::body::Operation for LayerPermissionInput {
    const NAME: &'static str = "AddLayerVersionPermission";
}

const WRONG_REVISION: &str = "The Revision Id provided does not match the latest Revision Id. Call the GetLayerPolicy API to retrieve the latest Revision Id";

fn required<'a>(value: Option<&'a str>, field: &str) -> LambdaResult<&'a str> {
    value.ok_or_else(|| {
        LambdaError::new(
            lamina_model::ErrorKind::Validation,
            format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

fn principal_ok(p: &str) -> bool {
    let account = |s: &str| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit());
    p == "*"
        || account(p)
        || p.strip_prefix("arn:aws")
            .and_then(|rest| rest.split_once(":iam::"))
            .is_some_and(|(partition, tail)| {
                partition
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '-')
                    && tail.strip_suffix(":root").is_some_and(account)
            })
}

fn organization_ok(o: &str) -> bool {
    o.strip_prefix("o-").is_some_and(|rest| {
        (10..=32).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

impl Control {
    /// The layer version a permission call names, worded as Lambda words a missing one.
    async fn layer_for_policy(&self, layer_name: &str, version: u64) -> LambdaResult<LayerVersion> {
        let name = self.layer_name_of(layer_name)?;
        let n = name.clone();
        self.store_call(move |s| s.get_layer_version(&n, version))
            .await?
            .ok_or_else(|| {
                LambdaError::not_found(format!(
                    "Layer version {} does not exist.",
                    self.account.layer_version_arn(&name, version)
                ))
            })
    }

    /// AddLayerVersionPermission: the statement added and the policy's new revision.
    pub async fn add_layer_version_permission(
        &self,
        layer_name: &str,
        version: u64,
        revision_id: Option<&str>,
        input: LayerPermissionInput,
    ) -> LambdaResult<(Value, String)> {
        let sid = required(input.statement_id.as_deref(), "statementId")?;
        let action = required(input.action.as_deref(), "action")?;
        let principal = required(input.principal.as_deref(), "principal")?;
        let sid_ok = !sid.is_empty()
            && sid.len() <= 100
            && sid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !sid_ok {
            return Err(LambdaError::constraint(
                sid,
                "statementId",
                "Member must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)",
            ));
        }
        if action != "lambda:GetLayerVersion" {
            return Err(LambdaError::constraint(
                action,
                "action",
                "Member must satisfy regular expression pattern: lambda:GetLayerVersion",
            ));
        }
        if !principal_ok(principal) {
            return Err(LambdaError::constraint(
                principal,
                "principal",
                "Member must satisfy regular expression pattern: \\d{12}|\\*|arn:(aws[a-zA-Z-]*):iam::\\d{12}:root",
            ));
        }
        if let Some(org) = input
            .organization_id
            .as_deref()
            .filter(|o| !organization_ok(o))
        {
            return Err(LambdaError::constraint(
                org,
                "organizationId",
                "Member must satisfy regular expression pattern: o-[a-z0-9]{10,32}",
            ));
        }
        let _guard = self.write_lock.lock().await;
        let mut layer = self.layer_for_policy(layer_name, version).await?;
        if revision_id.is_some_and(|r| Some(r) != layer.policy_revision_id.as_deref()) {
            return Err(LambdaError::precondition(WRONG_REVISION));
        }
        if layer.policy.iter().any(|s| s["Sid"] == sid) {
            return Err(LambdaError::conflict(format!(
                "The statement id ({sid}) provided already exists. Please provide a new statement id, or remove the existing statement."
            )));
        }
        let mut statement = json!({
            "Sid": sid,
            "Effect": "Allow",
            "Principal": principal,
            "Action": action,
            "Resource": self.account.layer_version_arn(&layer.name, layer.version),
        });
        if let Some(org) = &input.organization_id {
            statement["Condition"] = json!({ "StringEquals": { "aws:PrincipalOrgID": org } });
        }
        layer.policy.push(statement.clone());
        let revision = Self::new_revision();
        layer.policy_revision_id = Some(revision.clone());
        self.save_layer_version(layer).await?;
        Ok((statement, revision))
    }

    /// GetLayerVersionPolicy: the policy document and its revision.
    pub async fn get_layer_version_policy(
        &self,
        layer_name: &str,
        version: u64,
    ) -> LambdaResult<(Value, String)> {
        let layer = self.layer_for_policy(layer_name, version).await?;
        match (layer.policy.is_empty(), layer.policy_revision_id) {
            (false, Some(revision)) => Ok((
                json!({ "Version": "2012-10-17", "Id": "default", "Statement": layer.policy }),
                revision,
            )),
            _ => Err(LambdaError::not_found(
                "No policy is associated with the given resource.",
            )),
        }
    }

    /// RemoveLayerVersionPermission.
    pub async fn remove_layer_version_permission(
        &self,
        layer_name: &str,
        version: u64,
        sid: &str,
        revision_id: Option<&str>,
    ) -> LambdaResult<()> {
        let _guard = self.write_lock.lock().await;
        let mut layer = self.layer_for_policy(layer_name, version).await?;
        if revision_id.is_some_and(|r| Some(r) != layer.policy_revision_id.as_deref()) {
            return Err(LambdaError::precondition(WRONG_REVISION));
        }
        let before = layer.policy.len();
        layer.policy.retain(|s| s["Sid"] != sid);
        if layer.policy.len() == before {
            return Err(LambdaError::not_found(format!(
                "Statement {sid} is not found in resource policy."
            )));
        }
        layer.policy_revision_id = Some(Self::new_revision());
        self.save_layer_version(layer).await
    }

    async fn save_layer_version(&self, layer: LayerVersion) -> LambdaResult<()> {
        let (name, version) = (layer.name.clone(), layer.version);
        let updated = self
            .store_call(move |s| s.update_layer_version(&layer))
            .await?;
        if !updated {
            return Err(LambdaError::not_found(format!(
                "Layer version {} does not exist.",
                self.account.layer_version_arn(&name, version)
            )));
        }
        Ok(())
    }
}
