//! Environment images: building Debian images with debootstrap from the host's mirror
//! ([`build`]), probing their manifests from their files ([`probe`]), keeping them in a data
//! folder's catalog and a build cache ([`DiskCatalog`]), scanning packages against them
//! ([`scan`]) and running commands inside them ([`RootCommand`], for `lamina build`).
//!
//! The image *types* (ids, manifests, runtime versions) belong to
//! `lamina_model::environment`; starting sandboxes on an image belongs to the engine, which
//! receives each image as a `lamina_sandbox::ImageRoot::Directory`.

mod build;
mod cancel;
mod catalog;
mod chroot;
pub mod defaults;
mod error;
mod mirror;
pub mod node;
pub mod probe;
mod recipe;
pub mod scan;
mod staging;

pub use build::{BuildRequest, DEFAULT_CACHE_DIR, LogProgress, PHASES, Progress, build, cache_dir};
pub use cancel::interrupt_flag;
pub use catalog::{
    DiskCatalog, MANIFEST_FILE, ROOTFS_DIR, StoredImage, read_manifest, write_manifest,
};
pub use chroot::{Bind, RootCommand};
pub use error::ImagesError;
pub use mirror::{host_mirror, mirror_from_sources};
pub use probe::{probe, probe_cached};
pub use recipe::{BASE_PACKAGES, Base, RECIPE_VERSION, Recipe};
pub use staging::{Staging, sweep_stale};
