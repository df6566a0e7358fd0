//! Reading one ELF file's dynamic-linking needs (interpreter, `NEEDED` sonames, required
//! symbol versions) and what a shared library offers (`SONAME`, defined versions), with
//! `goblin`. Files that are not ELF, or that `goblin` cannot parse, yield `None`.

use goblin::elf::Elf;
use goblin::elf::header;

/// `VER_FLG_BASE`: the version definition that names the file itself, not a version.
const VER_FLG_BASE: u16 = 0x1;

/// What one ELF file in a package needs from the system to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfRequirements {
    /// Path of the file inside the package (normalised, `/`-separated).
    pub path: String,
    /// Architecture: `x86_64`, `aarch64`, `i386`, `arm`, or `em<N>` for others.
    pub machine: String,
    /// The `DT_SONAME` of a shared library, if it has one.
    pub soname: Option<String>,
    /// The program interpreter (`PT_INTERP`), e.g. `/lib64/ld-linux-x86-64.so.2`.
    pub interpreter: Option<String>,
    /// `DT_NEEDED` sonames, in file order.
    pub needed: Vec<String>,
    /// Required symbol versions as (library soname, version), e.g. (`libc.so.6`, `GLIBC_2.34`).
    pub versions: Vec<(String, String)>,
}

/// What one shared library offers to the files that link against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElfProvides {
    /// Its `DT_SONAME`.
    pub soname: String,
    /// The symbol versions it defines (`GLIBC_2.2.5`, …), without the base definition.
    pub versions: Vec<String>,
}

/// Whether `bytes` start with the ELF magic.
pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x7fELF")
}

/// The dynamic-linking requirements of the ELF file `bytes` found at `path_in_pkg`; `None`
/// if it is not ELF or not parseable.
pub fn read_requirements(path_in_pkg: &str, bytes: &[u8]) -> Option<ElfRequirements> {
    if !is_elf(bytes) {
        return None;
    }
    let elf = Elf::parse(bytes).ok()?;
    let mut versions = Vec::new();
    if let Some(verneed) = &elf.verneed {
        for need in verneed.iter() {
            let Some(file) = elf.dynstrtab.get_at(need.vn_file) else {
                continue;
            };
            for aux in need.iter() {
                if let Some(version) = elf.dynstrtab.get_at(aux.vna_name) {
                    versions.push((file.to_string(), version.to_string()));
                }
            }
        }
    }
    Some(ElfRequirements {
        path: path_in_pkg.to_string(),
        machine: machine_name(elf.header.e_machine),
        soname: elf.soname.map(str::to_string),
        interpreter: elf.interpreter.map(str::to_string),
        needed: elf.libraries.iter().map(|s| s.to_string()).collect(),
        versions,
    })
}

/// The soname and defined versions of the shared library `bytes`; `None` if it is not ELF,
/// not parseable, or has no `DT_SONAME` (the caller may then key it by file name).
pub fn read_provides(bytes: &[u8]) -> Option<ElfProvides> {
    if !is_elf(bytes) {
        return None;
    }
    let elf = Elf::parse(bytes).ok()?;
    let soname = elf.soname?.to_string();
    let mut versions = Vec::new();
    if let Some(verdef) = &elf.verdef {
        for def in verdef.iter() {
            if def.vd_flags & VER_FLG_BASE != 0 {
                continue;
            }
            // The first auxiliary entry names the version; later ones name its parents.
            if let Some(name) = def
                .iter()
                .next()
                .and_then(|aux| elf.dynstrtab.get_at(aux.vda_name))
            {
                versions.push(name.to_string());
            }
        }
    }
    Some(ElfProvides { soname, versions })
}

fn machine_name(e_machine: u16) -> String {
    match e_machine {
        header::EM_X86_64 => "x86_64".into(),
        header::EM_AARCH64 => "aarch64".into(),
        header::EM_386 => "i386".into(),
        header::EM_ARM => "arm".into(),
        other => format!("em{other}"),
    }
}
