//! Scanner throughput: packs the shared libraries of a folder into one deflated zip (as a
//! function with many native dependencies would ship them), then times the compatibility
//! scan of that zip against the host's manifest. Reports package (zip) bytes per second.
//!
//! `cargo run --release -p lamina-images --example scan_throughput -- [DIR] [MAX_MB] [FILE_MB]`
//! (defaults: /usr/lib/x86_64-linux-gnu, 100 MB of files before compression, files of at
//! most 20 MB each — a package of many native libraries rather than one giant one).

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use lamina_images::scan::{Package, scan_packages};
use lamina_model::environment::ImageId;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args
        .get(1)
        .map_or("/usr/lib/x86_64-linux-gnu", String::as_str);
    let max_mb: u64 = args.get(2).map_or(Ok(100), |s| s.parse())?;
    let file_mb: u64 = args.get(3).map_or(Ok(20), |s| s.parse())?;
    let mut names: Vec<_> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.to_string_lossy().contains(".so"))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() <= file_mb << 20))
        .collect();
    names.sort();
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let (mut files, mut raw) = (0u64, 0u64);
    for path in names {
        if raw > max_mb << 20 {
            break;
        }
        let bytes = std::fs::read(&path)?;
        let name = format!(
            "lib/{}",
            path.file_name().unwrap_or_default().to_string_lossy()
        );
        zip.start_file(name, zip::write::SimpleFileOptions::default())?;
        zip.write_all(&bytes)?;
        raw += bytes.len() as u64;
        files += 1;
    }
    zip.finish()?;
    let zip_bytes = buf.into_inner();
    let host = lamina_images::probe(Path::new("/"), ImageId::host());
    let pkg = [Package {
        name: "bench",
        mount: "/var/task",
        zip: &zip_bytes,
    }];
    let runs = 5;
    let mut best = f64::MAX;
    let mut elf = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let report = scan_packages("bench", &pkg, &host, None)?;
        best = best.min(t.elapsed().as_secs_f64());
        elf = report.elf_files.len();
    }
    // For comparison: inflating every entry and nothing else, on one thread.
    let t = Instant::now();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip_bytes))?;
    let mut sink = Vec::new();
    for i in 0..archive.len() {
        sink.clear();
        std::io::Read::read_to_end(&mut archive.by_index(i)?, &mut sink)?;
    }
    let inflate = t.elapsed().as_secs_f64();
    let mb = zip_bytes.len() as f64 / 1e6;
    println!(
        "inflate only, one thread: {inflate:.3} s = {:.0} MB/s of package bytes",
        mb / inflate
    );
    println!(
        "{files} files ({:.1} MB unzipped, {elf} ELF), zip {mb:.1} MB: best of {runs} {:.3} s = {:.0} MB/s of package bytes ({:.0} MB/s unzipped)",
        raw as f64 / 1e6,
        best,
        mb / best,
        raw as f64 / 1e6 / best
    );
    Ok(())
}
