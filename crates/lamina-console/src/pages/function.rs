//! `GET /console/functions/{name}?tab=`: one function's page. The header says what the
//! function is and where it runs; the tabs are Test (saved test events and results, the
//! default, as in Lambda's console), Configuration, Code, Versions and aliases, Invocations
//! and Logs. The other tabs are rendered by `function_tabs`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Html;
use lamina_model::{Function, LATEST};

use super::{environment_facts, function_tabs};
use crate::Console;
use crate::error::PageError;
use crate::html::{Section, esc, page, url_part, when};

/// The tabs, in order: (query value, label).
const TABS: [(&str, &str); 6] = [
    ("test", "Test"),
    ("configuration", "Configuration"),
    ("code", "Code"),
    ("versions", "Versions and aliases"),
    ("invocations", "Invocations"),
    ("logs", "Logs"),
];

/// The function page.
pub async fn show(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let (function, _) = console.app.control.get_function(&name, None).await?;
    let tab = params
        .get("tab")
        .map(String::as_str)
        .filter(|t| TABS.iter().any(|(k, _)| k == t))
        .unwrap_or("test");
    let mut body = header(&console, &function).await?;
    body.push_str("<nav class=\"tabs\" aria-label=\"Function sections\">");
    for (key, label) in TABS {
        let current = if key == tab {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            body,
            "<a id=\"tab-{key}\" href=\"/console/functions/{}?tab={key}\"{current}>{label}</a>",
            url_part(&function.name)
        );
    }
    body.push_str("</nav>");
    let section = match tab {
        "configuration" => function_tabs::configuration(&console, &function).await?,
        "code" => function_tabs::code(&console, &function).await,
        "versions" => function_tabs::versions(&console, &function).await?,
        "invocations" => function_tabs::invocations(&console, &function),
        "logs" => function_tabs::logs(&console, &function),
        _ => test_tab(&console, &function).await?,
    };
    body.push_str(&section);
    Ok(Html(page(&function.name, Section::Functions, &body)))
}

async fn header(console: &Console, function: &Function) -> Result<String, PageError> {
    let v = &function.latest;
    let plans = crate::environments::plans(&console.app.control).await?;
    let now = console.app.control.clock().now();
    let (resolution, warnings) = environment_facts::resolve(&plans, function, v, now);
    let runtime_version = console
        .app
        .runtime_versions
        .runtime_version_arn(function, v)
        .or_else(|| resolution.runtime_version.as_ref().map(|r| r.arn.clone()));
    let mut out = String::new();
    let _ = write!(
        out,
        "<p class=\"crumbs\"><a href=\"/console/functions\">Functions</a> › {}</p>\
<h1 id=\"function-name\">{}</h1><dl class=\"facts\">\
<div><dt>Runtime</dt><dd>{}</dd></div><div><dt>Handler</dt><dd>{}</dd></div>\
<div><dt>Environment</dt><dd id=\"function-environment\">{}</dd></div>\
<div><dt>Memory</dt><dd id=\"function-memory\">{} MB</dd></div>\
<div><dt>State</dt><dd><span class=\"badge state-{}\">{:?}</span></dd></div>\
<div><dt>Last modified</dt><dd>{}</dd></div>\
<div class=\"wide\"><dt>ARN</dt><dd><code>{}</code></dd></div>",
        esc(&function.name),
        esc(&function.name),
        esc(v.spec.runtime.as_deref().unwrap_or("—")),
        esc(v.spec.handler.as_deref().unwrap_or("—")),
        esc(resolution.image.as_str()),
        v.spec.memory_size,
        format!("{:?}", v.state).to_lowercase(),
        v.state,
        esc(&when(v.last_modified)),
        esc(&console.app.control.account().function_arn(&function.name)),
    );
    if let Some(arn) = runtime_version {
        let _ = write!(
            out,
            "<div class=\"wide\"><dt>Runtime version</dt><dd><code>{}</code></dd></div>",
            esc(&arn)
        );
    }
    out.push_str("</dl>");
    for w in warnings {
        let _ = write!(
            out,
            "<div class=\"alert warn\" role=\"note\">{}</div>",
            esc(&w)
        );
    }
    if console.app.engine.is_none() {
        out.push_str("<div class=\"alert warn\" role=\"note\">This server runs without an invoke engine (<code>--no-engine</code>, or it could not start): Test and logs are unavailable.</div>");
    }
    Ok(out)
}

/// The Test tab: saved events, the editor with its template chooser, and the result panel.
/// The script (`console.js`) drives it through the test-events API and the console's test
/// route.
async fn test_tab(console: &Console, function: &Function) -> Result<String, PageError> {
    let events = console.app.control.list_test_events(&function.name).await?;
    let mut out = String::new();
    let _ = write!(
        out,
        "<section id=\"test-tab\" class=\"panel\" data-function=\"{}\" data-max-events=\"{}\">\
<h2>Test</h2><p class=\"hint\">Run a saved test event against <code>{LATEST}</code>. Up to {} events are saved per function and shared through <code>/lamina/functions/{}/test-events</code>.</p>\
<div class=\"row\"><label for=\"test-event-select\">Saved event</label><select id=\"test-event-select\">",
        esc(&function.name),
        lamina_api::control::MAX_TEST_EVENTS,
        lamina_api::control::MAX_TEST_EVENTS,
        esc(&function.name),
    );
    if events.is_empty() {
        out.push_str("<option value=\"\">No saved events</option>");
    }
    for e in &events {
        let _ = write!(
            out,
            "<option value=\"{}\">{}</option>",
            esc(&e.name),
            esc(&e.name)
        );
    }
    out.push_str(
        "</select><button type=\"button\" id=\"test-run\" class=\"primary\">Test</button>\
<button type=\"button\" id=\"test-configure\">Configure test event</button>\
<button type=\"button\" id=\"test-new\">New test event</button>\
<button type=\"button\" id=\"test-delete\" class=\"danger\">Delete event</button></div>\
<p id=\"test-message\" class=\"message\" role=\"status\"></p>\
<div id=\"event-editor\" class=\"editor\" hidden><h3>Configure test event</h3>\
<label for=\"template-select\">Template</label><select id=\"template-select\"><option value=\"\">Choose a template…</option>",
    );
    out.push_str(&template_options());
    out.push_str(
        "</select><label for=\"event-name\">Event name</label>\
<input id=\"event-name\" maxlength=\"25\" autocomplete=\"off\" placeholder=\"e.g. s3-put\">\
<label for=\"event-json\">Event JSON</label>\
<textarea id=\"event-json\" rows=\"16\" spellcheck=\"false\"></textarea>\
<p id=\"json-status\" class=\"json-status\" aria-live=\"polite\"></p>\
<div class=\"row\"><button type=\"button\" id=\"event-save\" class=\"primary\">Save</button>\
<button type=\"button\" id=\"event-format\">Format JSON</button>\
<button type=\"button\" id=\"event-cancel\">Cancel</button></div>\
<p id=\"event-message\" class=\"message\" role=\"alert\"></p></div>\
<div id=\"test-result\" class=\"result\" hidden aria-live=\"polite\"></div></section>",
    );
    Ok(out)
}

/// Every event the generator knows, grouped by service.
fn template_options() -> String {
    let mut out = String::new();
    let mut service = "";
    for spec in lamina_events::catalog() {
        if spec.service != service {
            if !service.is_empty() {
                out.push_str("</optgroup>");
            }
            service = spec.service;
            let _ = write!(out, "<optgroup label=\"{}\">", esc(service));
        }
        let _ = write!(
            out,
            "<option value=\"{}/{}\" title=\"{}\">{} {}</option>",
            esc(spec.service),
            esc(spec.name),
            esc(spec.description),
            esc(spec.service),
            esc(spec.name),
        );
    }
    if !service.is_empty() {
        out.push_str("</optgroup>");
    }
    out
}
