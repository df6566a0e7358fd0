//! The runtime child of the sandbox init (pid 2): everything between `fork` and `execve` that
//! takes privileges away — session, rlimits, capability bounding set, groups, uid/gid,
//! `no_new_privs`, seccomp, working directory, fds, signal mask — then the exec itself with
//! execvpe semantics against the runtime's own `PATH`.

use std::ffi::CString;
use std::fs::File;
use std::io::Write;

use nix::libc;

use super::{InitSpec, errno_text};

/// C strings for the runtime's exec, built before the fork.
pub(super) struct Prepared {
    candidates: Vec<CString>,
    argv: Vec<CString>,
    env: Vec<CString>,
    cwd: CString,
    uid: u32,
    gid: u32,
    nofile: u64,
    argv0: String,
    seccomp: Vec<crate::seccomp::Insn>,
}

impl Prepared {
    pub(super) fn new(spec: &InitSpec) -> Result<Prepared, String> {
        let c = |s: &str| CString::new(s).map_err(|_| format!("{s:?} contains a NUL"));
        let argv0 = spec.argv.first().cloned().unwrap_or_default();
        // execvpe semantics against the runtime's own PATH, not the host's.
        let candidates = if argv0.contains('/') {
            vec![c(&argv0)?]
        } else {
            let path = spec
                .env
                .iter()
                .find_map(|kv| kv.strip_prefix("PATH="))
                .unwrap_or("/usr/local/bin:/usr/bin:/bin");
            path.split(':')
                .filter(|d| !d.is_empty())
                .map(|d| c(&format!("{d}/{argv0}")))
                .collect::<Result<_, _>>()?
        };
        Ok(Prepared {
            candidates,
            argv: spec.argv.iter().map(|a| c(a)).collect::<Result<_, _>>()?,
            env: spec.env.iter().map(|a| c(a)).collect::<Result<_, _>>()?,
            cwd: c(&spec.cwd)?,
            uid: spec.uid,
            gid: spec.gid,
            nofile: spec.nofile,
            argv0,
            seccomp: crate::seccomp::program(),
        })
    }
}

/// In the runtime child: drop privileges and exec. On failure, writes a status line to `err`
/// and exits 127.
pub(super) fn exec_runtime(p: &Prepared, mut err: File) -> ! {
    let mut fail = |line: String| -> ! {
        let _ = err.write_all(line.as_bytes());
        // SAFETY: _exit ends the process without running the parent's atexit handlers.
        unsafe { libc::_exit(127) }
    };
    let check = |rc: libc::c_int| -> Result<(), String> {
        if rc == 0 {
            Ok(())
        } else {
            Err(errno_text(std::io::Error::last_os_error()))
        }
    };
    // SAFETY (whole block): plain system calls on values prepared before the fork; the
    // pointer arrays are NULL-terminated and outlive the execve.
    unsafe {
        libc::setsid();
        let nofile = libc::rlimit {
            rlim_cur: p.nofile,
            rlim_max: p.nofile,
        };
        if let Err(e) = check(libc::setrlimit(libc::RLIMIT_NOFILE, &nofile)) {
            fail(format!("error setrlimit nofile: {e}"));
        }
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if let Err(e) = check(libc::setrlimit(libc::RLIMIT_CORE, &zero)) {
            fail(format!("error setrlimit core: {e}"));
        }
        // An empty bounding set: nothing exec'd later can regain a capability. EINVAL marks
        // the first number past the kernel's last capability.
        for cap in 0..=63 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 {
                break;
            }
        }
        if let Err(e) = check(libc::setgroups(0, std::ptr::null())) {
            fail(format!("error setgroups: {e}"));
        }
        if let Err(e) = check(libc::setresgid(p.gid, p.gid, p.gid)) {
            fail(format!("error setresgid {}: {e}", p.gid));
        }
        // Changing every uid away from 0 clears the permitted, effective and ambient sets.
        if let Err(e) = check(libc::setresuid(p.uid, p.uid, p.uid)) {
            fail(format!("error setresuid {}: {e}", p.uid));
        }
        if let Err(e) = check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
            fail(format!("error no_new_privs: {e}"));
        }
        // Last before exec (it also denies calls made above, such as setns).
        if let Err(e) = crate::seccomp::install(&p.seccomp) {
            fail(format!("error seccomp: {e}"));
        }
        if let Err(e) = check(libc::chdir(p.cwd.as_ptr())) {
            fail(format!("error chdir {}: {e}", p.cwd.to_string_lossy()));
        }
        // Every fd above stderr closes at exec (the error pipe is already close-on-exec).
        libc::close_range(3, u32::MAX, libc::CLOSE_RANGE_CLOEXEC as libc::c_int);
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());

        let mut argv: Vec<*const libc::c_char> = p.argv.iter().map(|a| a.as_ptr()).collect();
        argv.push(std::ptr::null());
        let mut envp: Vec<*const libc::c_char> = p.env.iter().map(|a| a.as_ptr()).collect();
        envp.push(std::ptr::null());
        let mut first_err: Option<std::io::Error> = None;
        for exe in &p.candidates {
            libc::execve(exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
            let e = std::io::Error::last_os_error();
            // As execvp does: remember a permission problem over a plain "not here".
            if first_err.is_none() || e.raw_os_error() == Some(libc::EACCES) {
                first_err = Some(e);
            }
        }
        let e = first_err.map(errno_text).unwrap_or_default();
        fail(format!("exec {}: {e}", p.argv0))
    }
}
