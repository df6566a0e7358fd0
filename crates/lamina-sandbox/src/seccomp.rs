//! The runtime's seccomp filter: a small deny-list installed in the runtime child just before
//! `execve` (after `no_new_privs`, which unprivileged filters require). It blocks the system
//! calls that an unprivileged process can still use to widen its reach into the kernel — user
//! namespaces (`unshare`/`clone` with `CLONE_NEWUSER`), the key store, `userfaultfd`, io_uring,
//! `bpf`, `perf_event_open` — and those that only make sense with privileges it does not have
//! (mounts, modules, kexec, reboot, `setns`, `ptrace`), plus `ioctl(TIOCSTI)` with any high bits
//! (CVE-2019-10063). Everything else is allowed: this is defence in depth beside the dropped
//! capabilities, not an allow-list. Denied calls fail with EPERM; `clone3` fails with ENOSYS so
//! that libc falls back to `clone`, whose flags the filter can inspect. Foreign architectures
//! and the x32 ABI are refused outright.

use std::collections::BTreeMap;

use nix::libc;

/// One BPF instruction, as the kernel's `struct sock_filter`.
pub(crate) type Insn = libc::sock_filter;

const LD_W_ABS: u16 = 0x20;
const JEQ_K: u16 = 0x15;
const JGE_K: u16 = 0x35;
const JSET_K: u16 = 0x45;
const RET_K: u16 = 0x06;

const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// Offsets into `struct seccomp_data`.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
/// The low 32 bits of argument `n` (little-endian).
const fn off_arg_low(n: u32) -> u32 {
    16 + 8 * n
}

const TIOCSTI: u32 = 0x5412;

/// System calls denied whatever their arguments, with their names for tests and docs.
pub(crate) const DENIED: [(&str, i64); 33] = [
    ("keyctl", libc::SYS_keyctl),
    ("add_key", libc::SYS_add_key),
    ("request_key", libc::SYS_request_key),
    ("userfaultfd", libc::SYS_userfaultfd),
    ("io_uring_setup", libc::SYS_io_uring_setup),
    ("io_uring_enter", libc::SYS_io_uring_enter),
    ("io_uring_register", libc::SYS_io_uring_register),
    ("bpf", libc::SYS_bpf),
    ("perf_event_open", libc::SYS_perf_event_open),
    ("kexec_load", libc::SYS_kexec_load),
    ("kexec_file_load", libc::SYS_kexec_file_load),
    ("init_module", libc::SYS_init_module),
    ("finit_module", libc::SYS_finit_module),
    ("delete_module", libc::SYS_delete_module),
    ("mount", libc::SYS_mount),
    ("umount2", libc::SYS_umount2),
    ("pivot_root", libc::SYS_pivot_root),
    ("fsopen", libc::SYS_fsopen),
    ("fsconfig", libc::SYS_fsconfig),
    ("fsmount", libc::SYS_fsmount),
    ("fspick", libc::SYS_fspick),
    ("move_mount", libc::SYS_move_mount),
    ("open_tree", libc::SYS_open_tree),
    ("mount_setattr", libc::SYS_mount_setattr),
    ("setns", libc::SYS_setns),
    ("ptrace", libc::SYS_ptrace),
    ("open_by_handle_at", libc::SYS_open_by_handle_at),
    ("swapon", libc::SYS_swapon),
    ("swapoff", libc::SYS_swapoff),
    ("reboot", libc::SYS_reboot),
    ("acct", libc::SYS_acct),
    ("syslog", libc::SYS_syslog),
    ("quotactl", libc::SYS_quotactl),
];

/// A label or a resolved instruction, for the tiny assembler below.
enum Item {
    Label(&'static str),
    /// A conditional jump: (code, k, label if true, label if false); `None` = next instruction.
    Jump(u16, u32, Option<&'static str>, Option<&'static str>),
    Stmt(u16, u32),
}

/// Builds the filter program (x86_64).
pub(crate) fn program() -> Vec<Insn> {
    use Item::*;
    let mut items = vec![
        Stmt(LD_W_ABS, OFF_ARCH),
        Jump(JEQ_K, AUDIT_ARCH_X86_64, None, Some("kill")),
        Stmt(LD_W_ABS, OFF_NR),
        Jump(JGE_K, X32_SYSCALL_BIT, Some("kill"), None),
    ];
    for (_, nr) in DENIED {
        items.push(Jump(JEQ_K, nr as u32, Some("deny"), None));
    }
    items.extend([
        Jump(JEQ_K, libc::SYS_clone3 as u32, Some("enosys"), None),
        Jump(JEQ_K, libc::SYS_unshare as u32, Some("flags"), None),
        Jump(JEQ_K, libc::SYS_clone as u32, Some("flags"), None),
        Jump(JEQ_K, libc::SYS_ioctl as u32, Some("ioctl"), None),
        Stmt(RET_K, RET_ALLOW),
        // unshare(flags) and clone(flags, ...): no new user namespace.
        Label("flags"),
        Stmt(LD_W_ABS, off_arg_low(0)),
        Jump(JSET_K, libc::CLONE_NEWUSER as u32, Some("deny"), None),
        Stmt(RET_K, RET_ALLOW),
        // ioctl(fd, cmd): the kernel truncates cmd to 32 bits, so comparing the low word
        // catches TIOCSTI with high bits set too.
        Label("ioctl"),
        Stmt(LD_W_ABS, off_arg_low(1)),
        Jump(JEQ_K, TIOCSTI, Some("deny"), None),
        Stmt(RET_K, RET_ALLOW),
        Label("enosys"),
        Stmt(RET_K, RET_ERRNO | libc::ENOSYS as u32),
        Label("deny"),
        Stmt(RET_K, RET_ERRNO | libc::EPERM as u32),
        Label("kill"),
        Stmt(RET_K, RET_KILL_PROCESS),
    ]);
    assemble(&items)
}

fn assemble(items: &[Item]) -> Vec<Insn> {
    let mut labels = BTreeMap::new();
    let mut pc = 0usize;
    for item in items {
        match item {
            Item::Label(name) => {
                labels.insert(*name, pc);
            }
            _ => pc += 1,
        }
    }
    let mut out = Vec::with_capacity(pc);
    for item in items {
        let here = out.len();
        // Offsets are relative to the next instruction; the program is far shorter than the
        // 255 a jump can span, and every label is defined above, so lookups cannot fail.
        let rel = |label: &Option<&'static str>| -> u8 {
            label
                .and_then(|l| labels.get(l))
                .map_or(0, |&target| (target - here - 1) as u8)
        };
        match item {
            Item::Label(_) => {}
            Item::Stmt(code, k) => out.push(Insn {
                code: *code,
                jt: 0,
                jf: 0,
                k: *k,
            }),
            Item::Jump(code, k, jt, jf) => out.push(Insn {
                code: *code,
                jt: rel(jt),
                jf: rel(jf),
                k: *k,
            }),
        }
    }
    out
}

/// Installs `prog` on the calling thread (which must have `no_new_privs` set). Call only in
/// the runtime child, just before `execve`.
pub(crate) fn install(prog: &[Insn]) -> std::io::Result<()> {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr() as *mut Insn,
    };
    // SAFETY: `fprog` points at `prog`, which outlives the call; the kernel copies the filter.
    let rc = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            &fprog as *const libc::sock_fprog,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(test)]
#[path = "seccomp_tests.rs"]
mod tests;
