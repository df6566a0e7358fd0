//! `GET /console/distributions`: every CloudFront distribution (Lambda@Edge) with its domain
//! name, aliases and state, each cache behavior with its origin, TTLs and triggers (the
//! function version each runs and the environment it runs on now, so a migration's reach
//! into the edge shows here), and the proxy's recent requests with their cache status.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use lamina_edge::Edge;
use lamina_edge::config::{Behavior, DistributionConfig, OriginKind};

use crate::error::PageError;
use crate::html::{Section, esc, page, url_part, when};

/// The distributions page.
pub async fn show(State(edge): State<Arc<Edge>>) -> Result<Html<String>, PageError> {
    let views = edge.distributions().map_err(|e| {
        tracing::error!(error = %e, "reading distributions for the console");
        lamina_model::LambdaError::service("Lamina's edge store failed; see the server log")
    })?;
    let mut body = String::from("<h1>Distributions</h1>");
    if views.is_empty() {
        body.push_str("<section class=\"panel\"><p>No distributions yet. Create one with <code>aws cloudfront create-distribution --endpoint-url …</code> or boto3's <code>cloudfront</code> client; <code>lamina server --edge-listen ADDR</code> serves them.</p></section>");
    }
    for view in &views {
        let r = &view.record;
        let aliases = view
            .config
            .as_ref()
            .map(|c| c.aliases.join(", "))
            .unwrap_or_default();
        let _ = write!(
            body,
            "<section class=\"panel distribution\" id=\"{id}\"><h2>{id}</h2><dl class=\"facts\"><dt>Domain name</dt><dd><code>{domain}</code></dd><dt>Aliases</dt><dd>{aliases}</dd><dt>State</dt><dd>{state}</dd><dt>Last modified</dt><dd>{modified}</dd></dl>",
            id = esc(&r.id),
            domain = esc(&r.domain),
            aliases = if aliases.is_empty() {
                "none".to_string()
            } else {
                esc(&aliases)
            },
            state = if r.enabled { "Enabled" } else { "Disabled" },
            modified = when(r.last_modified),
        );
        if let Some(config) = &view.config {
            behaviors(&edge, config, &mut body).await;
        }
        recent(&edge, &r.id, &mut body);
        body.push_str("</section>");
    }
    Ok(Html(page("Distributions", Section::Distributions, &body)))
}

async fn behaviors(edge: &Edge, config: &DistributionConfig, body: &mut String) {
    body.push_str("<h3>Cache behaviors</h3><div class=\"table-wrap\"><table class=\"cards behaviors\"><thead><tr><th>Path pattern</th><th>Origin</th><th>TTL min / default / max</th><th>Triggers</th></tr></thead><tbody>");
    for b in config.all_behaviors() {
        let origin = config
            .origin(&b.target_origin_id)
            .map(|o| match &o.kind {
                OriginKind::Custom {
                    http_port,
                    protocol_policy,
                    ..
                } => format!(
                    "{} ({}:{http_port}, {protocol_policy})",
                    o.id, o.domain_name
                ),
                OriginKind::S3 => format!("{} (S3 {})", o.id, o.domain_name),
            })
            .unwrap_or_default();
        let _ = write!(
            body,
            "<tr><td data-label=\"Path pattern\"><code>{}</code></td><td data-label=\"Origin\">{}</td><td data-label=\"TTL\">{} / {} / {}</td><td data-label=\"Triggers\">{}</td></tr>",
            esc(b.path_pattern.as_deref().unwrap_or("Default (*)")),
            esc(&origin),
            b.min_ttl,
            b.default_ttl,
            b.max_ttl,
            triggers(edge, b).await,
        );
    }
    body.push_str("</tbody></table></div>");
}

/// Each trigger: event type, the function version (linked) and its runtime version now.
async fn triggers(edge: &Edge, behavior: &Behavior) -> String {
    if behavior.associations.is_empty() {
        return "none".to_string();
    }
    let mut out = String::from("<ul class=\"triggers\">");
    for a in &behavior.associations {
        let app = edge.app();
        let resolved = app.control.resolve(&a.function_arn, None).await;
        let (link, environment) = match &resolved {
            Ok((function, version)) => (
                format!(
                    "<a href=\"/console/functions/{}\">{}:{}</a>",
                    url_part(&function.name),
                    esc(&function.name),
                    esc(&version.version)
                ),
                app.runtime_versions
                    .runtime_version_arn(function, version)
                    .map(|arn| {
                        format!(
                            " runs on <code>{}</code>",
                            esc(arn.rsplit(':').next().unwrap_or(&arn))
                        )
                    })
                    .unwrap_or_default(),
            ),
            Err(e) => (
                format!("<code>{}</code>", esc(&a.function_arn)),
                format!(" <span class=\"error\">{}</span>", esc(&e.message)),
            ),
        };
        let _ = write!(
            out,
            "<li><strong>{}</strong> → {link}{environment}{}</li>",
            a.event_type.as_str(),
            if a.include_body {
                " (body included)"
            } else {
                ""
            }
        );
    }
    out.push_str("</ul>");
    out
}

fn recent(edge: &Edge, id: &str, body: &mut String) {
    let requests = edge.recent_requests(id);
    body.push_str("<h3>Recent edge requests</h3>");
    if requests.is_empty() {
        body.push_str("<p>None since the server started.</p>");
        return;
    }
    body.push_str("<div class=\"table-wrap\"><table class=\"cards recent\"><thead><tr><th>When</th><th>Request</th><th>Status</th><th>X-Cache</th><th>Time</th></tr></thead><tbody>");
    for r in requests.iter().take(50) {
        let _ = write!(
            body,
            "<tr><td data-label=\"When\">{}</td><td data-label=\"Request\"><code>{} {}</code></td><td data-label=\"Status\">{}</td><td data-label=\"X-Cache\">{}</td><td data-label=\"Time\">{} ms</td></tr>",
            when(r.at),
            esc(&r.method),
            esc(&r.uri),
            r.status,
            esc(&r.x_cache),
            r.millis
        );
    }
    body.push_str("</tbody></table></div>");
}
