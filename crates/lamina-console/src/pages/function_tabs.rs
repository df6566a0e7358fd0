//! The function page's tabs other than Test: configuration (a form the script submits to
//! the console's configuration route), code (size, digest, file list read from the stored
//! zip), versions and aliases, recent invocations and log streams.

use std::fmt::Write as _;

use lamina_model::Function;

use crate::Console;
use crate::error::PageError;
use crate::html::{bytes, esc, when};
use crate::invocations;

/// Most invocations listed.
const RECENT_INVOCATIONS: usize = 25;
/// Most log events shown per stream.
const EVENTS_PER_STREAM: usize = 200;

/// The configuration form.
pub async fn configuration(console: &Console, function: &Function) -> Result<String, PageError> {
    let spec = &function.latest.spec;
    let env: String = spec
        .environment
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    let layers: String = spec.layers.iter().map(|l| format!("{}\n", l.arn)).collect();
    let plans = crate::environments::plans(&console.app.control).await?;
    let mut flags = String::new();
    for plan in plans.plans() {
        let _ = write!(
            flags,
            "<li>Plan <strong>{}</strong>: opt in early with <code>{}</code>, delay with <code>{}</code></li>",
            esc(&plan.name),
            esc(&plan.opt_in_layer_arn),
            esc(&plan.delay_layer_arn)
        );
    }
    let flags = if flags.is_empty() {
        "<p class=\"hint\">No migration plans yet, so there are no flag layers to add.</p>"
            .to_string()
    } else {
        format!(
            "<p class=\"hint\">Flag layers (they count towards the five layers):</p><ul class=\"hint\">{flags}</ul>"
        )
    };
    let field = |id: &str, member: &str, label: &str, input: String, hint: &str| {
        format!(
            "<div class=\"field\"><label for=\"{id}\">{label}</label>{input}<p class=\"hint\">{hint}</p>\
<p class=\"field-error\" data-member=\"{member}\" role=\"alert\"></p></div>"
        )
    };
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"panel\"><h2>Configuration</h2>\
<form id=\"config-form\" data-function=\"{}\" data-revision=\"{}\" novalidate>{}{}{}{}{}{flags}\
<div class=\"row\"><button type=\"submit\" id=\"cfg-save\" class=\"primary\">Save</button></div>\
<p id=\"cfg-message\" class=\"message\" role=\"status\"></p></form></section>",
        esc(&function.name),
        esc(&function.latest.revision_id),
        field(
            "cfg-memory",
            "memorySize",
            "Memory (MB)",
            format!(
                "<input id=\"cfg-memory\" name=\"MemorySize\" inputmode=\"numeric\" value=\"{}\">",
                spec.memory_size
            ),
            "128 to 10240 MB."
        ),
        field(
            "cfg-timeout",
            "timeout",
            "Timeout (seconds)",
            format!(
                "<input id=\"cfg-timeout\" name=\"Timeout\" inputmode=\"numeric\" value=\"{}\">",
                spec.timeout
            ),
            "1 to 900 seconds."
        ),
        field(
            "cfg-description",
            "description",
            "Description",
            format!(
                "<input id=\"cfg-description\" name=\"Description\" value=\"{}\">",
                esc(&spec.description)
            ),
            "Up to 256 characters."
        ),
        field(
            "cfg-env",
            "environment",
            "Environment variables",
            format!(
                "<textarea id=\"cfg-env\" name=\"Environment\" rows=\"5\" spellcheck=\"false\">{}</textarea>",
                esc(&env)
            ),
            "One KEY=value per line."
        ),
        field(
            "cfg-layers",
            "layers",
            "Layers",
            format!(
                "<textarea id=\"cfg-layers\" name=\"Layers\" rows=\"4\" spellcheck=\"false\">{}</textarea>",
                esc(&layers)
            ),
            "One layer version ARN per line, at most five."
        ),
    );
    Ok(out)
}

/// Size, digest and the file list of `$LATEST`'s zip.
pub async fn code(console: &Console, function: &Function) -> String {
    let code = function.latest.code.clone();
    let mut out = String::new();
    let _ = write!(
        out,
        "<section class=\"panel\"><h2>Code</h2><dl class=\"facts\">\
<div><dt>Code size</dt><dd id=\"code-size\">{} ({} bytes)</dd></div>\
<div><dt>Unzipped</dt><dd>{}</dd></div>\
<div class=\"wide\"><dt>CodeSha256</dt><dd><code id=\"code-sha256\">{}</code></dd></div></dl>",
        bytes(code.size),
        code.size,
        bytes(code.unzipped_size),
        esc(&code.code_sha256)
    );
    let store = std::sync::Arc::clone(console.app.control.store());
    let limits = console.app.control.limits().package.clone();
    let key = code.sha256_hex.clone();
    let listed = tokio::task::spawn_blocking(move || {
        let zip = store
            .read_blob(&key)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("the code blob {key} is missing from the store"))?;
        let max = limits.max_unzipped_bytes;
        lamina_package::inspect(&zip, &limits, max).map_err(|e| e.to_string())
    })
    .await;
    match listed {
        Ok(Ok(summary)) => {
            let _ = write!(
                out,
                "<h3>Files ({})</h3><div class=\"table-wrap\"><table id=\"code-files\"><thead><tr><th>Path</th><th>Size</th><th>Mode</th></tr></thead><tbody>",
                summary.files.len()
            );
            for f in &summary.files {
                let size = if f.is_dir {
                    "dir".to_string()
                } else {
                    bytes(f.size)
                };
                let _ = write!(
                    out,
                    "<tr><td data-label=\"Path\"><code>{}</code></td><td data-label=\"Size\">{size}</td><td data-label=\"Mode\">{:o}</td></tr>",
                    esc(&f.path),
                    f.mode
                );
            }
            out.push_str("</tbody></table></div>");
        }
        Ok(Err(e)) => {
            let _ = write!(
                out,
                "<div class=\"alert error\" role=\"alert\">Cannot list the files: {}</div>",
                esc(&e)
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "listing code files failed");
            out.push_str("<div class=\"alert error\" role=\"alert\">Cannot list the files; see the server log.</div>");
        }
    }
    out.push_str("</section>");
    out
}

/// Published versions and aliases.
pub async fn versions(console: &Console, function: &Function) -> Result<String, PageError> {
    let control = &console.app.control;
    let mut versions = Vec::new();
    let mut marker = None;
    loop {
        let (_, page, next) = control
            .list_versions(&function.name, marker, Some(50))
            .await?;
        versions.extend(page);
        match next {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    let mut aliases = Vec::new();
    let mut marker = None;
    loop {
        let (_, page, next) = control
            .list_aliases(&function.name, None, marker, Some(50))
            .await?;
        aliases.extend(page);
        match next {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    let mut out = String::from(
        "<section class=\"panel\"><h2>Versions</h2><div class=\"table-wrap\"><table id=\"versions\" class=\"cards\"><thead><tr><th>Version</th><th>Description</th><th>Last modified</th><th>CodeSha256</th></tr></thead><tbody>",
    );
    for v in &versions {
        let _ = write!(
            out,
            "<tr><td data-label=\"Version\">{}</td><td data-label=\"Description\">{}</td><td data-label=\"Last modified\">{}</td><td data-label=\"CodeSha256\"><code>{}</code></td></tr>",
            esc(&v.version),
            esc(&v.spec.description),
            esc(&when(v.last_modified)),
            esc(&v.code.code_sha256)
        );
    }
    out.push_str("</tbody></table></div><h2>Aliases</h2>");
    if aliases.is_empty() {
        out.push_str("<p class=\"empty\">No aliases.</p>");
    } else {
        out.push_str("<div class=\"table-wrap\"><table id=\"aliases\" class=\"cards\"><thead><tr><th>Alias</th><th>Version</th><th>Weights</th><th>Description</th></tr></thead><tbody>");
        for a in &aliases {
            let weights: String = a
                .additional_version_weights
                .iter()
                .map(|(v, w)| format!("{v}: {:.0}% ", w * 100.0))
                .collect();
            let _ = write!(
                out,
                "<tr><td data-label=\"Alias\">{}</td><td data-label=\"Version\">{}</td><td data-label=\"Weights\">{}</td><td data-label=\"Description\">{}</td></tr>",
                esc(&a.name),
                esc(&a.function_version),
                esc(weights.trim()),
                esc(&a.description)
            );
        }
        out.push_str("</tbody></table></div>");
    }
    out.push_str("</section>");
    Ok(out)
}

/// Recent invocations, from the REPORT lines in the function's logs.
pub fn invocations(console: &Console, function: &Function) -> String {
    let Some(engine) = &console.app.engine else {
        return "<section class=\"panel\"><h2>Invocations</h2><p class=\"empty\">No invoke engine.</p></section>".into();
    };
    let events = engine
        .logs()
        .events(&function.latest.spec.logging.log_group);
    let recent = invocations::recent(&events, RECENT_INVOCATIONS);
    let mut out = String::from("<section class=\"panel\"><h2>Recent invocations</h2>");
    if recent.is_empty() {
        out.push_str("<p class=\"empty\">No invocations since the server started.</p></section>");
        return out;
    }
    out.push_str("<div class=\"table-wrap\"><table id=\"invocations\" class=\"cards\"><thead><tr><th>Time</th><th>Request id</th><th>Version</th><th>Result</th><th>Duration</th><th>Billed</th><th>Memory used</th><th>Init</th></tr></thead><tbody>");
    for inv in recent {
        let at = time::OffsetDateTime::from_unix_timestamp_nanos(
            i128::from(inv.timestamp_ms) * 1_000_000,
        )
        .map(when)
        .unwrap_or_default();
        let result = match (&inv.status, &inv.error_type) {
            (None, _) => "<span class=\"badge ok\">succeeded</span>".to_string(),
            (Some(s), Some(t)) => format!("<span class=\"badge bad\">{}</span> {}", esc(s), esc(t)),
            (Some(s), None) => format!("<span class=\"badge bad\">{}</span>", esc(s)),
        };
        let _ = write!(
            out,
            "<tr><td data-label=\"Time\">{}</td><td data-label=\"Request id\"><code>{}</code></td><td data-label=\"Version\">{}</td><td data-label=\"Result\">{result}</td>\
<td data-label=\"Duration\">{} ms</td><td data-label=\"Billed\">{} ms</td><td data-label=\"Memory used\">{} / {} MB</td><td data-label=\"Init\">{}</td></tr>",
            esc(&at),
            esc(&inv.request_id),
            esc(inv.version.as_deref().unwrap_or("—")),
            esc(&inv.duration),
            esc(&inv.billed),
            esc(&inv.max_memory_used),
            esc(&inv.memory_size),
            esc(&inv
                .init_duration
                .map(|d| format!("{d} ms"))
                .unwrap_or_else(|| "—".into())),
        );
    }
    out.push_str("</tbody></table></div></section>");
    out
}

/// Recent events of the group, read by the page's script through the Logs API's
/// FilterLogEvents (so the filter box takes CloudWatch's filter patterns), with a follow mode
/// that polls for new events.
fn log_view(group: &str) -> String {
    format!(
        "<div id=\"log-view\" data-group=\"{}\">\
         <form id=\"log-filter\" class=\"log-filter\">\
         <input id=\"log-pattern\" name=\"pattern\" type=\"search\" aria-label=\"Filter pattern\" \
         placeholder=\"Filter pattern: ERROR, &quot;a phrase&quot;, ?A ?B, -DEBUG, {{ $.level = &quot;ERROR&quot; }}\">\
         <button type=\"submit\">Filter</button>\
         <label><input id=\"log-follow\" type=\"checkbox\"> Follow</label></form>\
         <p id=\"log-status\" class=\"muted\" role=\"status\"></p>\
         <pre id=\"log-events\" class=\"log\"></pre></div>",
        esc(group)
    )
}

/// Log streams with their kept events, newest stream first.
pub fn logs(console: &Console, function: &Function) -> String {
    let Some(engine) = &console.app.engine else {
        return "<section class=\"panel\"><h2>Logs</h2><p class=\"empty\">No invoke engine.</p></section>".into();
    };
    let group = &function.latest.spec.logging.log_group;
    let names = engine.logs().stream_names(group);
    let events = engine.logs().events(group);
    let mut out = format!(
        "<section class=\"panel\"><h2>Logs</h2><p class=\"hint\">Log group <code>{}</code>; also at <code>GET /lamina/logs/{}</code>.</p>",
        esc(group),
        esc(&function.name)
    );
    out.push_str(&log_view(group));
    if names.is_empty() {
        out.push_str("<p class=\"empty\">No log streams yet: invoke the function.</p></section>");
        return out;
    }
    for (i, name) in names.iter().rev().enumerate() {
        let lines: Vec<&str> = events
            .iter()
            .filter(|e| e.stream.as_ref() == name)
            .map(|e| e.message.as_str())
            .collect();
        let shown = &lines[lines.len().saturating_sub(EVENTS_PER_STREAM)..];
        let open = if i == 0 { " open" } else { "" };
        let _ = write!(
            out,
            "<details class=\"stream\"{open}><summary><code>{}</code> <span class=\"muted\">({} events)</span></summary><pre class=\"log\">{}</pre></details>",
            esc(name),
            lines.len(),
            esc(&shown.join("\n"))
        );
    }
    out.push_str("</section>");
    out
}
