//! Network namespaces for sandboxes. An isolated sandbox sees only a loopback device, and on it
//! exactly one thing: the Runtime API listener that the platform bound there before the sandbox
//! started. Creating a namespace costs a few milliseconds (and tearing one down more, in the
//! kernel's background), so the engine keeps a pool and never does it on the invoke path.

use std::fs::File;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::sched::{CloneFlags, unshare};

use crate::error::SandboxError;

/// A network namespace with `lo` up and a TCP listener bound at 127.0.0.1:`port` inside it.
/// The namespace lives as long as this handle, the listener, or a process inside it does.
#[derive(Debug)]
pub struct NetNamespace {
    fd: OwnedFd,
}

/// How a sandbox is connected to the network.
#[derive(Debug)]
pub enum Network {
    /// Its own namespace: loopback only, reaching nothing but its own Runtime API listener.
    Isolated(NetNamespace),
    /// The host's network namespace (a per-function opt-in: the function can reach whatever
    /// the host can, including every other sandbox's Host-mode listeners).
    Host,
}

/// `struct ifreq` as SIOCGIFFLAGS/SIOCSIFFLAGS use it: a name and (in the union) the flags.
#[repr(C)]
struct IfReqFlags {
    name: [u8; 16],
    flags: i16,
    _pad: [u8; 22],
}

const SIOCGIFFLAGS: nix::libc::c_ulong = 0x8913;
const SIOCSIFFLAGS: nix::libc::c_ulong = 0x8914;

impl NetNamespace {
    /// Creates a namespace and binds a listener at 127.0.0.1:`port` inside it. The work happens
    /// on a short-lived thread because `unshare(CLONE_NEWNET)` moves only the calling thread,
    /// and no thread of the caller's must end up in the new namespace. The returned listener
    /// is blocking; call `set_nonblocking(true)` before handing it to tokio.
    pub fn create(port: u16) -> Result<(NetNamespace, TcpListener), SandboxError> {
        std::thread::Builder::new()
            .name("lamina-netns".into())
            .spawn(
                move || -> Result<(NetNamespace, TcpListener), SandboxError> {
                    unshare(CloneFlags::CLONE_NEWNET)
                        .map_err(|e| SandboxError::sys("unshare", e))?;
                    loopback_up()?;
                    let listener = TcpListener::bind(SocketAddrV4::new(Ipv4Addr::LOCALHOST, port))
                        .map_err(|e| SandboxError::sys("bind runtime api listener", e))?;
                    let ns = File::open("/proc/thread-self/ns/net")
                        .map_err(|e| SandboxError::io("open", "/proc/thread-self/ns/net", e))?;
                    Ok((NetNamespace { fd: ns.into() }, listener))
                },
            )
            .map_err(|e| SandboxError::sys("spawn netns thread", e))?
            .join()
            .map_err(|_| SandboxError::sys("netns thread", std::io::Error::other("panicked")))?
    }

    /// Opens the network namespace a process is in (used by tests and by the engine to adopt
    /// an existing namespace).
    pub fn of_process(pid: u32) -> Result<NetNamespace, SandboxError> {
        let path = format!("/proc/{pid}/ns/net");
        let file = File::open(&path).map_err(|e| SandboxError::io("open", path, e))?;
        Ok(NetNamespace { fd: file.into() })
    }

    /// Connects to `127.0.0.1:port` inside this namespace (how the platform reaches a
    /// listener in the sandbox, e.g. a telemetry subscriber). The socket is made on a
    /// short-lived thread that enters the namespace, so no caller thread changes namespace;
    /// a socket stays in the namespace it was made in.
    pub fn connect(&self, port: u16) -> std::io::Result<std::net::TcpStream> {
        let fd = self.fd.try_clone()?;
        std::thread::Builder::new()
            .name("lamina-netns-connect".into())
            .spawn(move || -> std::io::Result<std::net::TcpStream> {
                nix::sched::setns(&fd, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)?;
                std::net::TcpStream::connect_timeout(
                    &SocketAddrV4::new(Ipv4Addr::LOCALHOST, port).into(),
                    std::time::Duration::from_secs(2),
                )
            })?
            .join()
            .map_err(|_| std::io::Error::other("netns connect thread panicked"))?
    }

    /// A duplicate handle to the same namespace.
    pub fn try_clone(&self) -> Result<NetNamespace, SandboxError> {
        let fd = self
            .fd
            .try_clone()
            .map_err(|e| SandboxError::sys("dup netns fd", e))?;
        Ok(NetNamespace { fd })
    }
}

impl AsFd for NetNamespace {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// Sets `lo` up in the calling thread's network namespace.
fn loopback_up() -> Result<(), SandboxError> {
    let sock = nix::sys::socket::socket(
        nix::sys::socket::AddressFamily::Inet,
        nix::sys::socket::SockType::Datagram,
        nix::sys::socket::SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| SandboxError::sys("socket", e))?;
    let mut req = IfReqFlags {
        name: [0; 16],
        flags: 0,
        _pad: [0; 22],
    };
    req.name[..2].copy_from_slice(b"lo");
    // SAFETY: `req` is a properly sized, initialised `struct ifreq` that outlives the call, and
    // SIOCGIFFLAGS writes only the flags field inside it.
    let rc = unsafe { nix::libc::ioctl(sock.as_raw_fd(), SIOCGIFFLAGS, &mut req) };
    if rc != 0 {
        return Err(SandboxError::sys(
            "ioctl SIOCGIFFLAGS lo",
            std::io::Error::last_os_error(),
        ));
    }
    req.flags |= (nix::libc::IFF_UP | nix::libc::IFF_RUNNING) as i16;
    // SAFETY: as above; SIOCSIFFLAGS only reads the struct.
    let rc = unsafe { nix::libc::ioctl(sock.as_raw_fd(), SIOCSIFFLAGS, &req) };
    if rc != 0 {
        return Err(SandboxError::sys(
            "ioctl SIOCSIFFLAGS lo",
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}
