//! `cargo run -p lamina-events --example generate_event -- s3 put --bucket munns-test --key somephoto.jpeg`
//! prints the event as `lamina generate-event` will; a quick way to look at a template.

use std::collections::BTreeMap;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (service, event) = match (args.first(), args.get(1)) {
        (Some(s), Some(e)) => (s.clone(), e.clone()),
        _ => {
            eprintln!("usage: generate_event SERVICE EVENT [--option value]...");
            std::process::exit(2);
        }
    };
    let options: BTreeMap<String, String> = args[2..]
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair.get(1).cloned().unwrap_or_default()))
        .collect();
    match lamina_events::generate_text(&service, &event, &options) {
        Ok(text) => print!("{text}"),
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::exit(2);
        }
    }
}
