//! Flag layers in a function's `Layers`: an ARN that is a migration plan's opt-in or delay
//! flag is accepted without a layer version behind it. It carries no content (`content:
//! None`, `CodeSize` 0), is never extracted, and counts towards the five-layer limit like
//! any layer. Both flags of one plan at once is a 400.

use lamina_model::{LambdaError, LambdaResult, LayerRef};

use super::Control;

impl Control {
    /// Resolves a function's layer ARNs in order: flags become content-less references, the
    /// rest are resolved as layer versions.
    pub(super) async fn resolve_layers_with_flags(
        &self,
        arns: &[String],
    ) -> LambdaResult<Vec<LayerRef>> {
        self.ensure_plans().await?;
        let plans = self.environments.plans();
        let mut seen_flags: Vec<(&str, lamina_model::environment::FlagKind, &str)> = Vec::new();
        let mut real = Vec::new();
        for arn in arns {
            match plans.flag(arn) {
                Some(flag) => {
                    if seen_flags.iter().any(|(a, _, _)| a == arn) {
                        return Err(LambdaError::invalid_parameter(format!(
                            "Two different versions of the same layer are not allowed to be referenced in the same function. {arn} is referenced more than once."
                        )));
                    }
                    if let Some((other, _, _)) = seen_flags
                        .iter()
                        .find(|(_, kind, plan)| *plan == flag.plan.name && *kind != flag.kind)
                    {
                        return Err(LambdaError::invalid_parameter(format!(
                            "Layers {other} and {arn} are the opt-in and delay flags of migration plan {}; a function can carry one of them, not both.",
                            flag.plan.name
                        )));
                    }
                    seen_flags.push((arn, flag.kind, &flag.plan.name));
                }
                None => real.push(arn.clone()),
            }
        }
        let mut resolved = self.resolve_layers(&real).await?.into_iter();
        let mut out = Vec::with_capacity(arns.len());
        for arn in arns {
            if plans.flag(arn).is_some() {
                out.push(LayerRef {
                    arn: arn.clone(),
                    code_size: 0,
                    unzipped_size: 0,
                    content: None,
                });
            } else if let Some(layer) = resolved.next() {
                out.push(layer);
            }
        }
        Ok(out)
    }
}
