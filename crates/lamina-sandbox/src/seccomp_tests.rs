//! The filter is checked against its declaration by running it in a small interpreter of the
//! BPF subset it uses (as Firecracker's `test_seccomp_validate` does with the real kernel; the
//! end-to-end tests do that part).

use super::*;

/// Runs the program on a `seccomp_data` made of `arch`, `nr` and `args`.
fn run(prog: &[Insn], arch: u32, nr: u32, args: [u64; 6]) -> u32 {
    let mut data = [0u8; 64];
    data[0..4].copy_from_slice(&nr.to_le_bytes());
    data[4..8].copy_from_slice(&arch.to_le_bytes());
    for (i, a) in args.iter().enumerate() {
        data[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_le_bytes());
    }
    let mut acc = 0u32;
    let mut pc = 0usize;
    loop {
        let insn = prog[pc];
        pc += 1;
        match insn.code {
            LD_W_ABS => {
                let k = insn.k as usize;
                acc = u32::from_le_bytes(data[k..k + 4].try_into().unwrap());
            }
            JEQ_K | JGE_K | JSET_K => {
                let taken = match insn.code {
                    JEQ_K => acc == insn.k,
                    JGE_K => acc >= insn.k,
                    _ => acc & insn.k != 0,
                };
                pc += usize::from(if taken { insn.jt } else { insn.jf });
            }
            RET_K => return insn.k,
            other => panic!("unexpected opcode {other:#x}"),
        }
    }
}

fn x86(nr: i64, args: [u64; 6]) -> u32 {
    run(&program(), AUDIT_ARCH_X86_64, nr as u32, args)
}

const EPERM: u32 = RET_ERRNO | libc::EPERM as u32;

#[test]
fn every_denied_call_gets_eperm_whatever_its_arguments() {
    for (name, nr) in DENIED {
        assert_eq!(x86(nr, [0; 6]), EPERM, "{name}");
        assert_eq!(x86(nr, [u64::MAX; 6]), EPERM, "{name}");
    }
}

#[test]
fn ordinary_calls_are_allowed() {
    for nr in [
        libc::SYS_read,
        libc::SYS_write,
        libc::SYS_openat,
        libc::SYS_mmap,
        libc::SYS_execve,
        libc::SYS_socket,
        libc::SYS_connect,
        libc::SYS_getpid,
        libc::SYS_exit_group,
        libc::SYS_setuid,
        libc::SYS_kill,
    ] {
        assert_eq!(x86(nr, [0; 6]), RET_ALLOW, "{nr}");
    }
}

#[test]
fn user_namespaces_are_denied_other_clones_allowed() {
    let newuser = libc::CLONE_NEWUSER as u64;
    assert_eq!(x86(libc::SYS_unshare, [newuser, 0, 0, 0, 0, 0]), EPERM);
    assert_eq!(
        x86(
            libc::SYS_unshare,
            [newuser | libc::CLONE_NEWNS as u64, 0, 0, 0, 0, 0]
        ),
        EPERM
    );
    assert_eq!(x86(libc::SYS_clone, [newuser | 17, 0, 0, 0, 0, 0]), EPERM);
    // fork()/pthread_create() via clone, and unshare of what a non-root user may unshare.
    let thread = (libc::CLONE_VM | libc::CLONE_FS | libc::CLONE_FILES | libc::CLONE_THREAD) as u64;
    assert_eq!(x86(libc::SYS_clone, [thread, 0, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(x86(libc::SYS_clone, [17, 0, 0, 0, 0, 0]), RET_ALLOW);
    assert_eq!(
        x86(libc::SYS_unshare, [libc::CLONE_FILES as u64, 0, 0, 0, 0, 0]),
        RET_ALLOW
    );
    // clone3 hides its flags in memory: ENOSYS makes libc fall back to clone.
    assert_eq!(
        x86(libc::SYS_clone3, [0; 6]),
        RET_ERRNO | libc::ENOSYS as u32
    );
}

#[test]
fn tiocsti_is_denied_even_with_high_bits() {
    assert_eq!(x86(libc::SYS_ioctl, [0, 0x5412, 0, 0, 0, 0]), EPERM);
    assert_eq!(x86(libc::SYS_ioctl, [0, 0x1_0000_5412, 0, 0, 0, 0]), EPERM);
    assert_eq!(
        x86(libc::SYS_ioctl, [0, libc::TCGETS, 0, 0, 0, 0]),
        RET_ALLOW
    );
}

#[test]
fn foreign_architectures_and_x32_are_killed() {
    let prog = program();
    assert_eq!(run(&prog, 0x4000_0003, 1, [0; 6]), RET_KILL_PROCESS); // i386
    assert_eq!(
        run(&prog, AUDIT_ARCH_X86_64, X32_SYSCALL_BIT | 1, [0; 6]),
        RET_KILL_PROCESS
    );
}
