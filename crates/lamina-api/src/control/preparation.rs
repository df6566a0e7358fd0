//! Preparing the default image a runtime needs, in the background and once: a function
//! whose runtime runs on an image that is not built yet is created `Pending` (updated
//! `InProgress`), the image is built (debootstrap and/or Node.js from npm, progress in the
//! server log) while concurrent creations needing it wait on the same preparation, then it
//! is registered (manifest and root, where the engine finds it) and the functions are
//! `Active`; a failed preparation leaves them `Failed` with the reason.
//!
//! The states are stored: a change that needs an image writes `Pending`/`InProgress` with
//! the version, and the end of the preparation writes `Active`/`Successful` or `Failed`
//! into `$LATEST` of every function that waited for it. While this server prepares, memory
//! answers first ([`super::Environments::live_state`]). After a restart, waits whose image
//! is there by now are settled at once, and the others' preparations start again (ending
//! `Active`, or `Failed` again with the new reason).

use std::sync::Arc;

use lamina_images::{BuildRequest, LogProgress};
use lamina_model::environment::ImageId;
use lamina_model::runtime::Runtime;

use super::environments::{bound_to_preparation, settled};
use super::{Change, Control, ImageService};

/// What a server prepares images with.
#[derive(Clone)]
pub struct Preparer {
    /// The data folder's catalog and the build cache.
    pub service: ImageService,
    /// The Debian archive (default: the host's apt sources).
    pub mirror: Option<String>,
}

impl Control {
    /// Gives the control plane what it prepares images with (once; false after that).
    pub fn set_preparer(&self, preparer: Preparer) -> bool {
        self.preparer.set(preparer).is_ok()
    }

    /// Starts preparing the default image of `runtime` if it needs one that is not built;
    /// returns at once.
    pub(crate) fn prepare_for(&self, runtime: Runtime) {
        if let Some(image) = self.environments.image_to_prepare(runtime) {
            self.prepare_image(image);
        }
    }

    /// Starts writing the end of every preparation into the functions that waited for it,
    /// settles stored waits whose image is in the catalog by now, and starts preparing every
    /// default image a stored function needs (after a restart that interrupted a
    /// preparation, or when a data folder's image was removed by hand).
    pub async fn prepare_missing_images(self: &Arc<Self>) {
        let mut finished = self.environments.finished_preparations();
        let control = Arc::downgrade(self);
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                let ended = finished.recv().await;
                let Some(control) = control.upgrade() else {
                    return;
                };
                match ended {
                    Ok((image, outcome)) => {
                        let outcome = match &outcome {
                            Ok(()) => Ok(()),
                            Err(why) => Err(why.as_str()),
                        };
                        control.settle(Some(&image), outcome).await;
                    }
                    // Missed some: settle whatever is there to settle.
                    Err(RecvError::Lagged(_)) => control.settle(None, Ok(())).await,
                    Err(RecvError::Closed) => return,
                }
            }
        });
        self.settle(None, Ok(())).await;
        let Ok(versions) = self.all_versions().await else {
            return;
        };
        let runtimes: std::collections::BTreeSet<Runtime> = versions
            .iter()
            .filter_map(|(_, v)| v.spec.runtime)
            .collect();
        for runtime in runtimes {
            self.prepare_for(runtime);
        }
    }

    /// Writes the end of `image`'s preparation (`None`: of every image in the catalog now)
    /// into `$LATEST` of each function whose stored state waits for it or was failed by it.
    async fn settle(
        &self,
        image: Option<&lamina_model::environment::ImageId>,
        outcome: Result<(), &str>,
    ) {
        let _guard = self.write_lock.lock().await;
        let Ok(functions) = self.all_functions().await else {
            return;
        };
        let catalog = self.environments.catalog();
        for mut function in functions {
            if !bound_to_preparation(&function.latest) {
                continue;
            }
            let resolved = self.environments.resolve(&function, &function.latest).image;
            let ours = match image {
                Some(image) => *image == resolved,
                // Only waits and failures whose image is ready now.
                None => catalog.contains(&resolved),
            };
            if !ours {
                continue;
            }
            let state = settled(&function.latest, &resolved, outcome);
            let latest = &mut function.latest;
            if (latest.state, latest.last_update_status) == (state.state, state.last_update_status)
                && latest.state_reason == state.state_reason
                && latest.update_reason == state.update_reason
            {
                continue;
            }
            latest.state = state.state;
            latest.state_reason = state.state_reason;
            latest.last_update_status = state.last_update_status;
            latest.update_reason = state.update_reason;
            let name = function.name.clone();
            let stored = function.clone();
            match self.store_call(move |s| s.update_function(&stored)).await {
                Ok(()) => {
                    tracing::info!(function = %name, image = %resolved, state = ?function.latest.state, "function state settled by its image's preparation");
                    self.notify(Change::Function(name));
                }
                Err(e) => {
                    tracing::warn!(function = %name, error = %e.message, "writing a function's state after its image's preparation failed");
                }
            }
        }
    }

    /// Prepares `image` in the background unless it is being prepared already.
    fn prepare_image(&self, image: ImageId) {
        let environments = Arc::clone(&self.environments);
        if !environments.begin_preparation(&image) {
            return;
        }
        let Some(preparer) = self.preparer.get().cloned() else {
            environments.end_preparation(
                &image,
                Err("this server was started without an image builder".into()),
            );
            return;
        };
        let Some(default) = lamina_images::defaults::by_id(&image) else {
            environments.end_preparation(&image, Err(format!("{image} is no default image")));
            return;
        };
        tracing::info!(image = %image, "preparing an environment image in the background");
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let id = image.clone();
            let catalog = preparer.service.catalog.clone();
            let cache_dir = preparer.service.cache_dir.clone();
            let mirror = preparer.mirror.clone();
            let built = tokio::task::spawn_blocking(move || {
                // Built into the data folder earlier (another server run, `lamina env build`).
                if catalog.contains(&id) {
                    return catalog.get(&id);
                }
                let req = BuildRequest {
                    recipe: default.recipe()?,
                    id,
                    mirror,
                    use_cache: true,
                    cache_dir,
                };
                let never = std::sync::atomic::AtomicBool::new(false);
                lamina_images::build(&catalog, &req, &LogProgress, &never)
            })
            .await
            .map_err(|e| format!("the preparation task stopped: {e}"))
            .and_then(|r| r.map_err(|e| e.to_string()));
            match built {
                Ok(stored) => {
                    environments
                        .register_image(stored.manifest.clone(), Some(stored.rootfs.clone()));
                    tracing::info!(image = %image, seconds = started.elapsed().as_secs(), "environment image prepared");
                    environments.end_preparation(&image, Ok(()));
                }
                Err(why) => {
                    tracing::error!(image = %image, error = %why, "preparing an environment image failed");
                    environments.end_preparation(&image, Err(why));
                }
            }
        });
    }
}
