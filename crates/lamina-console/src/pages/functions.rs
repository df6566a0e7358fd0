//! `GET /console/functions?q=&page=`: every function with its runtime, the environment it
//! resolves to now, memory, last modified, state and warnings; a search box filtering on
//! name, runtime and description; pages of 50.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Html;
use lamina_model::{Function, LambdaResult};

use super::environment_facts;
use crate::Console;
use crate::error::PageError;
use crate::html::{Section, esc, page, url_part, when};

/// Functions shown per page, as ListFunctions' largest page.
pub const PAGE_SIZE: usize = 50;

/// Every function, walking ListFunctions' pages.
pub async fn all_functions(console: &Console) -> LambdaResult<Vec<Function>> {
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let (page, next) = console
            .app
            .control
            .list_functions(marker, Some(PAGE_SIZE))
            .await?;
        out.extend(page);
        match next {
            Some(m) => marker = Some(m),
            None => return Ok(out),
        }
    }
}

fn matches(function: &Function, query: &str) -> bool {
    let q = query.to_lowercase();
    let spec = &function.latest.spec;
    function.name.to_lowercase().contains(&q)
        || spec
            .runtime
            .as_deref()
            .unwrap_or("")
            .to_lowercase()
            .contains(&q)
        || spec.description.to_lowercase().contains(&q)
}

/// The list page.
pub async fn list(
    State(console): State<Arc<Console>>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Html<String>, PageError> {
    let query = params.get("q").map(|q| q.trim()).unwrap_or("");
    let functions: Vec<Function> = all_functions(&console)
        .await?
        .into_iter()
        .filter(|f| query.is_empty() || matches(f, query))
        .collect();
    let pages = functions.len().div_ceil(PAGE_SIZE).max(1);
    let current = params
        .get("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let plans = crate::environments::plans(&console.app.control).await?;
    let now = console.app.control.clock().now();

    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Functions <span class=\"count\">({})</span></h1>\
<form class=\"search\" method=\"get\" action=\"/console/functions\" role=\"search\">\
<input type=\"search\" name=\"q\" id=\"function-search\" value=\"{}\" placeholder=\"Filter by name, runtime or description\" aria-label=\"Filter functions\">\
<button type=\"submit\">Search</button></form>",
        functions.len(),
        esc(query)
    );
    if functions.is_empty() {
        let empty = if query.is_empty() {
            "No functions yet. Create one with <code>aws lambda create-function --endpoint-url …</code> or <code>lamina local</code>.".to_string()
        } else {
            format!("No function matches <strong>{}</strong>.", esc(query))
        };
        let _ = write!(body, "<p class=\"empty\">{empty}</p>");
    } else {
        body.push_str(
            "<div class=\"table-wrap\"><table class=\"functions cards\"><thead><tr><th>Name</th><th>Runtime</th>\
<th>Environment</th><th>Memory</th><th>Last modified</th><th>State</th><th>Warnings</th></tr></thead><tbody>",
        );
        for f in functions
            .iter()
            .skip((current - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
        {
            let v = &f.latest;
            let (resolution, warnings) = environment_facts::resolve(&plans, f, v, now);
            let warn = if warnings.is_empty() {
                "<span class=\"muted\">—</span>".to_string()
            } else {
                warnings
                    .iter()
                    .map(|w| format!("<span class=\"badge warn\">{}</span>", esc(w)))
                    .collect::<String>()
            };
            let _ = write!(
                body,
                "<tr><td data-label=\"Name\"><a href=\"/console/functions/{}\">{}</a></td><td data-label=\"Runtime\">{}</td>\
<td data-label=\"Environment\">{}</td><td data-label=\"Memory\">{} MB</td><td data-label=\"Last modified\">{}</td>\
<td data-label=\"State\"><span class=\"badge state-{}\">{:?}</span></td><td data-label=\"Warnings\">{warn}</td></tr>",
                url_part(&f.name),
                esc(&f.name),
                esc(v.spec.runtime.as_deref().unwrap_or("—")),
                esc(resolution.image.as_str()),
                v.spec.memory_size,
                esc(&when(v.last_modified)),
                format!("{:?}", v.state).to_lowercase(),
                v.state,
            );
        }
        body.push_str("</tbody></table></div>");
    }
    if pages > 1 {
        let link = |n: usize, label: &str, id: &str| {
            format!(
                "<a id=\"{id}\" href=\"/console/functions?q={}&amp;page={n}\">{label}</a>",
                url_part(query)
            )
        };
        let _ = write!(body, "<nav class=\"pager\" aria-label=\"Pages\">");
        if current > 1 {
            body.push_str(&link(current - 1, "← Previous", "prev-page"));
        }
        let _ = write!(body, "<span>Page {current} of {pages}</span>");
        if current < pages {
            body.push_str(&link(current + 1, "Next →", "next-page"));
        }
        body.push_str("</nav>");
    }
    Ok(Html(page("Functions", Section::Functions, &body)))
}
