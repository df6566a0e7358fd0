//! Prints every catalog event, generated with its defaults, as one JSON object per line:
//! `{"service": …, "event": …, "json": …}`. Used to check the events with other languages'
//! type definitions (see the crate README).

use std::collections::BTreeMap;

fn main() -> Result<(), lamina_events::EventError> {
    for spec in lamina_events::catalog() {
        let json = lamina_events::generate(spec.service, spec.name, &BTreeMap::new())?;
        let line = serde_json::json!({ "service": spec.service, "event": spec.name, "json": json });
        println!("{line}");
    }
    Ok(())
}
