//! Throughput of `scan_zip` (and `inspect`, for comparison) on real packages.
//!
//! Builds deflated packages within Lambda's limits (150 MB unzipped each, under the 250 MB limit) from
//! this machine's shared libraries (ELF) and `/usr/share` (not ELF), until the packages
//! total at least `TARGET_MB` (first argument, default 220) zipped, then scans them all and
//! prints MB/s of zipped package bytes.
//!
//! Run: `cargo run --release -p lamina-package --example scan_bench [TARGET_MB]`

use std::fs;
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use lamina_package::{Limits, inspect, read_requirements, scan_zip};

fn walk(dir: &Path, out: &mut Vec<PathBuf>, max_size: u64) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            walk(&e.path(), out, max_size);
        } else if ft.is_file() && e.metadata().map(|m| m.len() <= max_size).unwrap_or(false) {
            out.push(e.path());
        }
    }
}

fn main() -> anyhow::Result<()> {
    let target_mb: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(220);
    let mut libs = Vec::new();
    walk(Path::new("/usr/lib/x86_64-linux-gnu"), &mut libs, 20 << 20);
    libs.retain(|p| {
        fs::read(p)
            .map(|b| b.starts_with(b"\x7fELF"))
            .unwrap_or(false)
    });
    let mut other = Vec::new();
    walk(Path::new("/usr/share"), &mut other, 5 << 20);
    libs.sort();
    other.sort();
    anyhow::ensure!(
        !libs.is_empty() && !other.is_empty(),
        "no source files found"
    );

    let build_start = Instant::now();
    let (mut li, mut oi) = (0usize, 0usize);
    let mut packages = Vec::new();
    let mut total_zipped = 0u64;
    while total_zipped < target_mb << 20 {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        let (mut unzipped, mut n) = (0u64, 0usize);
        // Stop well inside the unzipped limit.
        while unzipped < 150 << 20 && n < 20_000 {
            // Roughly one ELF byte for every non-ELF byte.
            let path = if n % 2 == 0 {
                &libs[li % libs.len()]
            } else {
                &other[oi % other.len()]
            };
            if n % 2 == 0 {
                li += 1
            } else {
                oi += 1
            }
            let data = fs::read(path)?;
            w.start_file(
                format!(
                    "f{n}/{}",
                    path.file_name().unwrap_or_default().to_string_lossy()
                ),
                opts,
            )?;
            w.write_all(&data)?;
            unzipped += data.len() as u64;
            n += 1;
        }
        let zip = w.finish()?.into_inner();
        total_zipped += zip.len() as u64;
        packages.push((zip, unzipped, n));
    }
    println!(
        "built {} packages, {} files, {:.1} MB zipped, {:.1} MB unzipped, in {:.1} s",
        packages.len(),
        packages.iter().map(|p| p.2).sum::<usize>(),
        total_zipped as f64 / 1e6,
        packages.iter().map(|p| p.1).sum::<u64>() as f64 / 1e6,
        build_start.elapsed().as_secs_f64()
    );

    let mb = total_zipped as f64 / 1e6;
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut elf_files = 0;
    for (zip, _, _) in &packages {
        elf_files += scan_zip(zip)?.len();
    }
    report(&format!("scan_zip ({elf_files} ELF files)"), mb, wall, cpu);

    // Breakdown: inflating the ELF entries alone, then parsing them alone.
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut elves = Vec::new();
    for (zip, _, _) in &packages {
        let mut a = zip::ZipArchive::new(Cursor::new(&zip[..]))?;
        for i in 0..a.len() {
            let mut f = a.by_index(i)?;
            let mut magic = [0u8; 4];
            if f.read_exact(&mut magic).is_ok() && &magic == b"\x7fELF" {
                let mut bytes = magic.to_vec();
                f.read_to_end(&mut bytes)?;
                elves.push(bytes);
            }
        }
    }
    report("  inflate only", mb, wall, cpu);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let parsed = elves
        .iter()
        .filter(|b| read_requirements("x", b).is_some())
        .count();
    report(&format!("  parse only ({parsed})"), mb, wall, cpu);
    drop(elves);

    let (wall, cpu) = (Instant::now(), cpu_seconds());
    for (zip, _, _) in &packages {
        let limits = Limits {
            max_zipped_bytes: u64::MAX,
            ..Limits::default()
        };
        inspect(zip, &limits, u64::MAX)?;
    }
    report("inspect", mb, wall, cpu);
    Ok(())
}

/// CPU time of this process (all threads, finished ones included) in seconds, from
/// `/proc/self/stat`: the machine is shared, so wall time alone would measure the neighbours.
fn cpu_seconds() -> f64 {
    let stat = fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3 (state).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    // utime and stime are fields 14 and 15 overall: 11th and 12th numbers after the state.
    match (f.get(10), f.get(11)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => f64::NAN,
    }
}

fn report(what: &str, mb: f64, wall: Instant, cpu_start: f64) {
    let wall = wall.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu_start;
    println!(
        "{what}: wall {wall:.2} s = {:.0} MB/s; cpu {cpu:.2} s = {:.0} MB/s (zipped package bytes)",
        mb / wall,
        mb / cpu
    );
}
