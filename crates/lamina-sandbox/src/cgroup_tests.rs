//! Unit tests of cgroup detection and of the cgroup plan (which file gets which value, v1 and
//! v2) against the recording fake kernel.

use std::path::PathBuf;

use super::*;
use crate::kernel::fake::{Call, FakeKernel};

/// /proc/self/cgroup and the cgroup part of /proc/self/mountinfo of the development machine:
/// v1 controllers, an empty v2 tree at /sys/fs/cgroup/unified, and a nested memory cgroup.
const V1_CGROUP: &str = "9:name=systemd:/\n8:pids:/\n4:memory:/process_api/641a\n1:cpu:/\n0::/\n";
const V1_MOUNTINFO: &str = "\
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

fn create_limited(k: &FakeKernel, layout: &CgroupLayout, id: &str, limits: Limits) -> Cgroup {
    let cg = Cgroup::create(k, layout, id).unwrap();
    cg.set_limits(k, limits).unwrap();
    cg
}

fn v1_layout() -> CgroupLayout {
    CgroupLayout::V1 {
        memory: "/sys/fs/cgroup/memory/process_api/641a/lamina".into(),
        pids: "/sys/fs/cgroup/pids/lamina".into(),
        cpu: Some("/sys/fs/cgroup/cpu/lamina".into()),
    }
}

fn v2_layout() -> CgroupLayout {
    CgroupLayout::V2 {
        parent: "/sys/fs/cgroup/lamina.slice/lamina".into(),
    }
}

#[test]
fn detects_v1_under_our_own_cgroup_when_v2_has_no_controllers() {
    let k = FakeKernel::default();
    k.add_file("/sys/fs/cgroup/unified/cgroup.controllers", "");
    let layout = CgroupLayout::detect_with(&k, V1_CGROUP, V1_MOUNTINFO, "lamina").unwrap();
    assert_eq!(layout, v1_layout());
}

#[test]
fn detects_v2_when_memory_and_pids_are_available() {
    let k = FakeKernel::default();
    k.add_file(
        "/sys/fs/cgroup/lamina.slice/cgroup.controllers",
        "cpuset cpu io memory pids",
    );
    let cgroup = "0::/lamina.slice\n";
    let mountinfo = "25 1 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
    let layout = CgroupLayout::detect_with(&k, cgroup, mountinfo, "lamina").unwrap();
    assert_eq!(layout, v2_layout());
}

#[test]
fn no_memory_controller_is_an_error() {
    let k = FakeKernel::default();
    let err = CgroupLayout::detect_with(
        &k,
        "8:pids:/\n",
        V1_MOUNTINFO.replace(",memory", ",blkio").as_str(),
        "lamina",
    )
    .unwrap_err();
    assert!(matches!(err, SandboxError::NoCgroups(_)), "{err}");
}

#[test]
fn v1_plan_sets_memory_without_swap_pids_and_cpu_shares() {
    let k = FakeKernel::default();
    k.add_file(
        "/sys/fs/cgroup/memory/process_api/641a/lamina/sb1/memory.memsw.limit_in_bytes",
        "9223372036854771712",
    );
    let limits = Limits {
        memory_mb: 128,
        pids_max: 1024,
    };
    let cg = create_limited(&k, &v1_layout(), "sb1", limits);
    let mem = "/sys/fs/cgroup/memory/process_api/641a/lamina/sb1";
    assert_eq!(
        k.writes(),
        vec![
            // The plain limit before memory+swap: the kernel rejects memsw < limit.
            (
                format!("{mem}/memory.limit_in_bytes"),
                "134217728".to_string()
            ),
            (
                format!("{mem}/memory.memsw.limit_in_bytes"),
                "134217728".to_string()
            ),
            (
                "/sys/fs/cgroup/pids/lamina/sb1/pids.max".to_string(),
                "1024".to_string()
            ),
            // 128 MB of 1769 MB per vCPU, of 1024 shares.
            (
                "/sys/fs/cgroup/cpu/lamina/sb1/cpu.shares".to_string(),
                "74".to_string()
            ),
        ]
    );
    assert_eq!(
        cg.dirs(),
        vec![
            PathBuf::from(mem),
            PathBuf::from("/sys/fs/cgroup/pids/lamina/sb1"),
            PathBuf::from("/sys/fs/cgroup/cpu/lamina/sb1"),
        ]
    );
    cg.add_process(&k, 4242).unwrap();
    assert!(
        k.writes()
            .contains(&(format!("{mem}/cgroup.procs"), "4242".to_string()))
    );
    assert!(k.writes().contains(&(
        "/sys/fs/cgroup/pids/lamina/sb1/cgroup.procs".to_string(),
        "4242".to_string()
    )));
}

#[test]
fn v1_without_swap_accounting_skips_memsw() {
    let k = FakeKernel::default();
    let layout = CgroupLayout::V1 {
        memory: "/m/lamina".into(),
        pids: "/p/lamina".into(),
        cpu: None,
    };
    create_limited(
        &k,
        &layout,
        "sb",
        Limits {
            memory_mb: 1,
            pids_max: 5,
        },
    );
    assert_eq!(
        k.writes(),
        vec![
            (
                "/m/lamina/sb/memory.limit_in_bytes".to_string(),
                "1048576".to_string()
            ),
            ("/p/lamina/sb/pids.max".to_string(), "5".to_string()),
        ]
    );
}

#[test]
fn v2_plan_delegates_controllers_and_writes_max_files() {
    let k = FakeKernel::default();
    k.add_file(
        "/sys/fs/cgroup/lamina.slice/lamina/sb2/memory.swap.max",
        "max",
    );
    k.add_file("/sys/fs/cgroup/lamina.slice/lamina/sb2/cpu.weight", "100");
    let cg = create_limited(
        &k,
        &v2_layout(),
        "sb2",
        Limits {
            memory_mb: 1769,
            pids_max: 64,
        },
    );
    let d = "/sys/fs/cgroup/lamina.slice/lamina";
    let w = k.writes();
    assert_eq!(
        w[0],
        (
            format!("{d}/cgroup.subtree_control"),
            "+memory +pids".to_string()
        )
    );
    assert!(w.contains(&(format!("{d}/sb2/memory.max"), (1769u64 << 20).to_string())));
    assert!(w.contains(&(format!("{d}/sb2/memory.swap.max"), "0".to_string())));
    assert!(w.contains(&(format!("{d}/sb2/pids.max"), "64".to_string())));
    assert!(w.contains(&(format!("{d}/sb2/cpu.weight"), "100".to_string())));
    assert_eq!(cg.dirs(), vec![PathBuf::from(format!("{d}/sb2"))]);
}

#[test]
fn v2_refusing_delegation_says_what_to_do() {
    let k = FakeKernel::default();
    k.fail_writes_to("/sys/fs/cgroup/lamina.slice/lamina/cgroup.subtree_control");
    let err = Cgroup::create(&k, &v2_layout(), "sb").unwrap_err();
    assert!(err.to_string().contains("set the cgroup parent"), "{err}");
}

#[test]
fn peak_oom_and_reset_read_the_right_files() {
    let k = FakeKernel::default();
    let v1 = Cgroup::placeholder(&v1_layout(), "sb");
    let mem = "/sys/fs/cgroup/memory/process_api/641a/lamina/sb";
    k.add_file(&format!("{mem}/memory.max_usage_in_bytes"), "73400320\n");
    k.add_file(
        &format!("{mem}/memory.oom_control"),
        "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
    );
    assert_eq!(v1.peak(&k).unwrap(), 73400320);
    assert_eq!(v1.oom_kills(&k), 2);
    assert!(v1.reset_peak(&k).unwrap());
    assert_eq!(
        k.file(&format!("{mem}/memory.max_usage_in_bytes"))
            .as_deref(),
        Some("0")
    );

    let v2 = Cgroup::placeholder(&v2_layout(), "sb");
    let d = "/sys/fs/cgroup/lamina.slice/lamina/sb";
    k.add_file(&format!("{d}/memory.peak"), "1000\n");
    k.add_file(
        &format!("{d}/memory.events"),
        "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\noom_group_kill 0\n",
    );
    assert_eq!(v2.peak(&k).unwrap(), 1000);
    assert_eq!(v2.oom_kills(&k), 1);
    assert!(!v2.reset_peak(&k).unwrap());
}

#[test]
fn kill_uses_cgroup_kill_on_v2_and_signals_each_pid_on_v1() {
    let k = FakeKernel::default();
    let v2 = Cgroup::placeholder(&v2_layout(), "sb");
    k.add_file("/sys/fs/cgroup/lamina.slice/lamina/sb/cgroup.kill", "");
    v2.kill(&k).unwrap();
    assert_eq!(
        k.writes(),
        vec![(
            "/sys/fs/cgroup/lamina.slice/lamina/sb/cgroup.kill".to_string(),
            "1".to_string()
        )]
    );

    let k = FakeKernel::default();
    let v1 = Cgroup::placeholder(&v1_layout(), "sb");
    k.add_file("/sys/fs/cgroup/pids/lamina/sb/cgroup.procs", "101\n102\n");
    v1.kill(&k).unwrap();
    assert_eq!(k.calls(), vec![Call::Signal(101, 9), Call::Signal(102, 9)]);
}

#[test]
fn remove_deletes_every_hierarchy_dir() {
    let k = FakeKernel::default();
    let cg = Cgroup::placeholder(&v1_layout(), "sb");
    for d in cg.dirs() {
        k.add_dir(d.to_str().unwrap());
    }
    cg.remove(&k).unwrap();
    let rmdirs: Vec<Call> = k
        .calls()
        .into_iter()
        .filter(|c| matches!(c, Call::Rmdir(_)))
        .collect();
    assert_eq!(
        rmdirs,
        cg.dirs().into_iter().map(Call::Rmdir).collect::<Vec<_>>()
    );
}
