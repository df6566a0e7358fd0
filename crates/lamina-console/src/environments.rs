//! Where the console reads environment facts: the control layer's `Environments` (image
//! catalog, migration plans, resolver), the same one the API and the engine use, so the
//! console never shows an image the engine would not pick.

use std::sync::Arc;

use lamina_api::Control;
use lamina_model::LambdaResult;
use lamina_model::environment::{ImageManifest, PlanSet};

/// The plans in force, loading them from the store on first use.
pub async fn plans(control: &Control) -> LambdaResult<Arc<PlanSet>> {
    control.list_plans().await?;
    Ok(control.environments().plans())
}

/// Every image the server knows, with its manifest.
pub fn images(control: &Control) -> Vec<ImageManifest> {
    control.environments().catalog().iter().cloned().collect()
}
