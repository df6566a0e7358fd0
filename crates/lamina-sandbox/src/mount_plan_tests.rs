//! Unit tests of the mount plan against the recording fake kernel: no root needed.

use std::path::{Path, PathBuf};

use nix::mount::MsFlags;

use super::*;
use crate::kernel::fake::{Call, FakeKernel};

fn usrmerged_host() -> FakeKernel {
    let k = FakeKernel::default();
    k.add_dir("/usr/bin");
    k.add_link("/bin", "usr/bin");
    k.add_link("/sbin", "usr/sbin");
    k.add_link("/lib", "usr/lib");
    k.add_link("/lib64", "usr/lib64");
    k
}

fn input<'a>(image: &'a ImageRoot, layers: &'a [PathBuf]) -> PlanInput<'a> {
    PlanInput {
        root: Path::new("/run/l/sb/root"),
        image,
        passwd: Path::new("/run/l/sb/passwd"),
        group: Path::new("/run/l/sb/group"),
        hosts: Path::new("/run/l/sb/hosts"),
        task_dir: Path::new("/data/code/fn1"),
        layer_dirs: layers,
        runtime_dir: Some(Path::new("/data/runtimes/python3.12")),
        skeleton: Path::new("/run/l/skeleton"),
    }
}

fn host_image() -> ImageRoot {
    ImageRoot::Host {
        etc_dir: "/run/l/images/host/etc".into(),
    }
}

fn bind(source: &str, target: &str, flags: Flags) -> MountOp {
    MountOp::Bind {
        source: source.into(),
        target: target.into(),
        flags,
    }
}

#[test]
fn host_image_keeps_usrmerge_symlinks_and_binds_usr_read_only() {
    let k = usrmerged_host();
    let image = host_image();
    let ops = plan(&k, &input(&image, &[])).unwrap();
    assert_eq!(ops[0], MountOp::MakePrivate);
    assert_eq!(
        ops[1],
        MountOp::Tmpfs {
            target: "/run/l/sb/root".into(),
            options: "mode=0755,size=64k".into(),
            flags: Flags::RW
        }
    );
    assert!(ops.contains(&bind("/usr", "/run/l/sb/root/usr", Flags::RO)));
    for (name, target) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/sbin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
    ] {
        assert!(
            ops.contains(&MountOp::Symlink {
                target: target.into(),
                link: Path::new("/run/l/sb/root").join(name)
            }),
            "{name}"
        );
    }
    // Nothing is made for a sibling the host does not have.
    assert!(!format!("{ops:?}").contains("lib32"));
    assert!(ops.contains(&bind(
        "/run/l/images/host/etc",
        "/run/l/sb/root/etc",
        Flags::RO
    )));
    assert!(ops.contains(&bind(
        "/run/l/sb/passwd",
        "/run/l/sb/root/etc/passwd",
        Flags::RO
    )));
    assert!(ops.contains(&bind(
        "/data/code/fn1",
        "/run/l/sb/root/var/task",
        Flags::RO
    )));
    assert!(ops.contains(&bind(
        "/data/runtimes/python3.12",
        "/run/l/sb/root/var/runtime",
        Flags::RO
    )));
    assert!(ops.contains(&MountOp::AttachTmp {
        target: "/run/l/sb/root/tmp".into()
    }));
    assert!(ops.contains(&MountOp::Proc {
        target: "/run/l/sb/root/proc".into()
    }));
    // The passwd bind comes after /etc is in place, or it would be hidden by it.
    let pos = |op: &MountOp| ops.iter().position(|o| o == op).unwrap();
    assert!(
        pos(&bind(
            "/run/l/images/host/etc",
            "/run/l/sb/root/etc",
            Flags::RO
        )) < pos(&bind(
            "/run/l/sb/passwd",
            "/run/l/sb/root/etc/passwd",
            Flags::RO
        ))
    );
    // The root is sealed read-only last, once everything is mounted on it.
    assert_eq!(
        ops.last(),
        Some(&MountOp::RemountReadOnly {
            target: "/run/l/sb/root".into(),
            flags: Flags::RO
        })
    );
    // An empty layer list leaves /opt as the empty read-only directory of the root.
    assert!(
        !ops.iter().any(|o| matches!(o,
        MountOp::Bind { target, .. } | MountOp::Overlay { target, .. } if target.ends_with("opt")))
    );
}

#[test]
fn host_without_usrmerge_binds_each_directory() {
    let k = FakeKernel::default();
    k.add_dir("/usr");
    k.add_dir("/bin");
    k.add_dir("/lib");
    let image = host_image();
    let ops = plan(&k, &input(&image, &[])).unwrap();
    assert!(ops.contains(&MountOp::Mkdir {
        path: "/run/l/sb/root/bin".into()
    }));
    assert!(ops.contains(&bind("/bin", "/run/l/sb/root/bin", Flags::RO)));
    assert!(ops.contains(&bind("/lib", "/run/l/sb/root/lib", Flags::RO)));
    assert!(
        !ops.iter()
            .any(|o| matches!(o, MountOp::Symlink { link, .. } if link.ends_with("bin")))
    );
}

#[test]
fn one_layer_is_a_bind_and_several_are_an_overlay_with_the_last_on_top() {
    let k = usrmerged_host();
    let image = host_image();
    let one = vec![PathBuf::from("/layers/a")];
    let ops = plan(&k, &input(&image, &one)).unwrap();
    assert!(ops.contains(&bind("/layers/a", "/run/l/sb/root/opt", Flags::RO)));

    let three: Vec<PathBuf> = ["/layers/a", "/layers/b", "/layers/c"]
        .iter()
        .map(PathBuf::from)
        .collect();
    let ops = plan(&k, &input(&image, &three)).unwrap();
    let overlay = MountOp::Overlay {
        lowerdirs: vec!["/layers/c".into(), "/layers/b".into(), "/layers/a".into()],
        target: "/run/l/sb/root/opt".into(),
    };
    assert!(ops.contains(&overlay));

    // Applied, the lowerdir option lists the last layer first and the mount is read-only.
    let fake = FakeKernel::default();
    apply(&fake, &[overlay], None).unwrap();
    assert_eq!(
        fake.calls(),
        vec![Call::Mount {
            source: Some("overlay".into()),
            target: "/run/l/sb/root/opt".into(),
            fstype: Some("overlay".into()),
            flags: MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV,
            data: Some("lowerdir=/layers/c:/layers/b:/layers/a".into()),
        }]
    );
}

#[test]
fn a_bind_is_a_bind_then_a_remount_with_its_flags() {
    let fake = FakeKernel::default();
    apply(
        &fake,
        &[
            bind("/data/code", "/r/var/task", Flags::RO),
            bind("/run/tmp", "/r/tmp", Flags::RW),
            bind(
                "/data/layer",
                "/r/opt",
                Flags {
                    noexec: true,
                    ..Flags::RO
                },
            ),
        ],
        None,
    )
    .unwrap();
    let mount = |source: Option<&str>, target: &str, flags: MsFlags| Call::Mount {
        source: source.map(PathBuf::from),
        target: target.into(),
        fstype: None,
        flags,
        data: None,
    };
    let rb = MsFlags::MS_REMOUNT | MsFlags::MS_BIND;
    assert_eq!(
        fake.calls(),
        vec![
            mount(Some("/data/code"), "/r/var/task", MsFlags::MS_BIND),
            mount(
                None,
                "/r/var/task",
                rb | MsFlags::MS_RDONLY | MsFlags::MS_NOSUID | MsFlags::MS_NODEV
            ),
            mount(Some("/run/tmp"), "/r/tmp", MsFlags::MS_BIND),
            mount(None, "/r/tmp", rb | MsFlags::MS_NOSUID | MsFlags::MS_NODEV),
            mount(Some("/data/layer"), "/r/opt", MsFlags::MS_BIND),
            mount(
                None,
                "/r/opt",
                rb | MsFlags::MS_RDONLY
                    | MsFlags::MS_NOSUID
                    | MsFlags::MS_NODEV
                    | MsFlags::MS_NOEXEC
            ),
        ]
    );
}

#[test]
fn dev_is_minimal_and_sealed() {
    let k = usrmerged_host();
    let image = host_image();
    let ops = plan(&k, &input(&image, &[])).unwrap();
    let devs: Vec<(String, u32, u32)> = ops
        .iter()
        .filter_map(|o| match o {
            MountOp::CharDevice { path, major, minor } => {
                Some((path.display().to_string(), *major, *minor))
            }
            _ => None,
        })
        .collect();
    let d = |n: &str, ma, mi| (format!("/run/l/sb/root/dev/{n}"), ma, mi);
    assert_eq!(
        devs,
        [
            d("null", 1, 3),
            d("zero", 1, 5),
            d("full", 1, 7),
            d("random", 1, 8),
            d("urandom", 1, 9),
            d("tty", 5, 0)
        ]
    );
    // No host device is bound in.
    assert!(!ops.iter().any(|o| matches!(o,
        MountOp::Bind { source, .. } if source.starts_with("/dev"))));
    // The /dev tmpfs allows device nodes but nothing executable.
    assert!(ops.contains(&MountOp::Tmpfs {
        target: "/run/l/sb/root/dev".into(),
        options: "mode=0755,size=64k".into(),
        flags: Flags {
            readonly: false,
            nosuid: true,
            nodev: false,
            noexec: true
        }
    }));
    assert!(ops.contains(&MountOp::Symlink {
        target: "/proc/self/fd".into(),
        link: "/run/l/sb/root/dev/fd".into()
    }));
    assert!(ops.iter().any(|o| matches!(o,
        MountOp::Tmpfs { target, .. } if target == Path::new("/run/l/sb/root/dev/shm"))));
    assert!(ops.iter().any(|o| matches!(o,
        MountOp::RemountReadOnly { target, .. } if target == Path::new("/run/l/sb/root/dev"))));
}

#[test]
fn directory_image_is_a_read_only_overlay_under_the_skeleton() {
    let k = FakeKernel::default();
    let image = ImageRoot::directory("/images/debian-12");
    let ops = plan(&k, &input(&image, &[])).unwrap();
    assert_eq!(ops[0], MountOp::MakePrivate);
    assert_eq!(
        ops[1],
        MountOp::Overlay {
            lowerdirs: vec!["/run/l/skeleton".into(), "/images/debian-12".into()],
            target: "/run/l/sb/root".into()
        }
    );
    // The image's own /etc is used, with the sandbox user's passwd over it; no host /usr.
    assert!(ops.contains(&bind(
        "/run/l/sb/passwd",
        "/run/l/sb/root/etc/passwd",
        Flags::RO
    )));
    assert!(
        !ops.iter()
            .any(|o| matches!(o, MountOp::Bind { source, .. } if source == Path::new("/usr")))
    );
    // Its /etc/hosts names sandbox.localdomain whatever the image ships.
    assert!(ops.contains(&bind(
        "/run/l/sb/hosts",
        "/run/l/sb/root/etc/hosts",
        Flags::RO
    )));
    // An overlay without upper dir is read-only already.
    assert!(!ops.iter().any(|o| matches!(o,
        MountOp::RemountReadOnly { target, .. } if target == Path::new("/run/l/sb/root"))));
    let (dirs, files) = skeleton_entries();
    assert!(dirs.contains(&"var/task") && files.contains(&"etc/passwd"));
}

#[test]
fn paths_overlayfs_cannot_carry_are_rejected() {
    assert!(check_mount_path("layer", Path::new("/ok/layer-1")).is_ok());
    for bad in ["/a:b", "/a,b", "relative/dir", "/a\\b"] {
        let err = check_mount_path("layer", Path::new(bad)).unwrap_err();
        assert!(err.to_string().contains("layer"), "{err}");
    }
}

#[test]
fn apply_stops_at_the_first_failure_and_names_it() {
    struct Failing;
    impl crate::kernel::Kernel for Failing {
        fn mkdir_all(&self, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn write_file(&self, _: &Path, _: &[u8]) -> std::io::Result<()> {
            Ok(())
        }
        fn read_to_string(&self, _: &Path) -> std::io::Result<String> {
            Ok(String::new())
        }
        fn read_link(&self, _: &Path) -> std::io::Result<Option<PathBuf>> {
            Ok(None)
        }
        fn exists(&self, _: &Path) -> bool {
            true
        }
        fn is_dir(&self, _: &Path) -> bool {
            true
        }
        fn symlink(&self, _: &Path, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn touch(&self, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn mknod_char(&self, _: &Path, _: u32, _: u32) -> std::io::Result<()> {
            Ok(())
        }
        fn mount(
            &self,
            _: Option<&Path>,
            _: &Path,
            _: Option<&str>,
            _: MsFlags,
            _: Option<&str>,
        ) -> std::io::Result<()> {
            Err(std::io::Error::from_raw_os_error(nix::libc::EPERM))
        }
        fn umount(&self, _: &Path, _: bool) -> std::io::Result<()> {
            Ok(())
        }
        fn pivot_root(&self, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn rmdir(&self, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn remove_dir_all(&self, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
        fn list_dir(&self, _: &Path) -> std::io::Result<Vec<PathBuf>> {
            Ok(vec![])
        }
        fn signal(&self, _: i32, _: i32) -> std::io::Result<()> {
            Ok(())
        }
        fn move_mount(&self, _: std::os::fd::BorrowedFd<'_>, _: &Path) -> std::io::Result<()> {
            Ok(())
        }
    }
    let err = apply(
        &Failing,
        &[
            MountOp::Mkdir { path: "/x".into() },
            bind("/data/code", "/r/var/task", Flags::RO),
        ],
        None,
    )
    .unwrap_err();
    assert!(
        err.to_string().starts_with("bind mount /data/code: "),
        "{err}"
    );
}

#[test]
fn tmp_is_attached_from_the_passed_mount_and_required() {
    let fake = FakeKernel::default();
    let op = MountOp::AttachTmp {
        target: "/r/tmp".into(),
    };
    let err = apply(&fake, std::slice::from_ref(&op), None).unwrap_err();
    assert!(
        err.to_string().contains("no /tmp mount was passed"),
        "{err}"
    );
    let devnull = std::fs::File::open("/dev/null").unwrap();
    apply(&fake, &[op], Some(std::os::fd::AsFd::as_fd(&devnull))).unwrap();
    assert_eq!(fake.calls(), vec![Call::MoveMount("/r/tmp".into())]);
}
