//! Native-code compatibility: what an ELF file needs, what a library provides, and whether
//! an environment image satisfies a package.
//!
//! [`read_requirements`] and [`read_provides`] read one file; [`scan_zip`] reads every ELF
//! file of a package straight from the zip stream; [`check`] and [`verdict`] compare the
//! requirements with an image's manifest (soname → symbol versions it defines).

mod compat;
mod reader;
mod scan;

pub use compat::{Missing, MissingKind, Verdict, check, own_sonames, verdict};
pub use reader::{ElfProvides, ElfRequirements, is_elf, read_provides, read_requirements};
pub use scan::{scan_zip, scan_zip_with_limits};

#[cfg(test)]
mod tests;
