//! A hostile template (YAML or JSON with intrinsics): loading, validation, the model the
//! local commands run and the rendered diagnostics never panic.

#![no_main]

use std::collections::BTreeMap;

use lamina_sam::validate::Options;
use lamina_sam::{Context, Model, Template, render, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Anchors and aliases can expand a small text into a huge tree ("billion laughs");
    // the loader must bound that, but keep inputs small so a slow path shows as a timeout.
    if text.len() > 64 * 1024 {
        return;
    }
    let Ok(template) = Template::parse(text) else {
        return;
    };
    let options = Options {
        lint: true,
        ..Options::default()
    };
    let diagnostics = validate(&template, &options);
    let _ = render(&diagnostics, "template.yaml");
    let overrides = BTreeMap::new();
    let ctx = Context::new(&template, &overrides);
    if let Ok(model) = Model::build(&ctx) {
        let _ = model.routes();
    }
});
