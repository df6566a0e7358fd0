//! A hostile ELF file, alone or inside a zip: the native-code scanner reads what it can and
//! never panics, loops or allocates without bound.

#![no_main]

use std::collections::{BTreeSet, HashMap};

use lamina_package::{
    check, is_elf, own_sonames, read_provides, read_requirements, scan_zip, verdict,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reqs = Vec::new();
    if is_elf(data) {
        reqs.extend(read_requirements("lib/fuzz.so", data));
        let _ = read_provides(data);
    }
    if let Ok(found) = scan_zip(data) {
        reqs.extend(found);
    }
    let own: BTreeSet<String> = own_sonames(&reqs);
    let mut available: HashMap<String, BTreeSet<String>> = HashMap::new();
    available.insert(
        "libc.so.6".into(),
        ["GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.34"]
            .map(String::from)
            .into(),
    );
    let missing = check(&reqs, &available, &own);
    let _ = verdict(&reqs, &available, &own);
    if reqs.is_empty() {
        assert!(
            missing.is_empty(),
            "nothing required, yet something is missing"
        );
    }
});
