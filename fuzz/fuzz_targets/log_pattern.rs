//! CloudWatch Logs filter patterns from a caller: parsing and matching never panic.
//! The input is `pattern NUL message`.

#![no_main]

use lamina_logs::Pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (pattern, message) = match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b""[..]),
    };
    let (Ok(pattern), Ok(message)) = (std::str::from_utf8(pattern), std::str::from_utf8(message))
    else {
        return;
    };
    if let Ok(parsed) = Pattern::parse(pattern) {
        let _ = parsed.matches(message);
    }
});
