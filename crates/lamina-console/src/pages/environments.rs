//! `GET /console/environments`: the environment images with their manifests, each
//! migration plan with its timeline drawn (T0–T4 and now), and every function's image now
//! and at each coming phase (with the interpreter serving its runtime there, so a change of
//! Python or Node.js version shows before it happens), the flag layers it carries, and
//! buttons to add or remove them.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use lamina_model::environment::RuntimeSelector;

use crate::Console;
use crate::error::PageError;
use crate::html::{Section, esc, page, url_part, when};
use crate::timeline;

/// For each (function, version), the distributions whose Lambda@Edge triggers run it, as
/// HTML (empty when the server runs no edge).
fn edge_triggers(console: &Console) -> std::collections::HashMap<(String, String), String> {
    let mut out: std::collections::HashMap<(String, String), String> = Default::default();
    let Some(edge) = &console.edge else {
        return out;
    };
    let Ok(views) = edge.distributions() else {
        return out;
    };
    for view in &views {
        let Some(config) = &view.config else {
            continue;
        };
        for a in config.all_behaviors().flat_map(|b| &b.associations) {
            let mut parts = a.function_arn.rsplitn(3, ':');
            let version = parts.next().unwrap_or("").to_string();
            let function = parts.next().unwrap_or("").to_string();
            let _ = write!(
                out.entry((function, version)).or_default(),
                "<div class=\"edge-trigger\">Lambda@Edge: <a href=\"/console/distributions#{id}\">{id}</a> {event}</div>",
                id = esc(&view.record.id),
                event = a.event_type.as_str(),
            );
        }
    }
    out
}

/// The environments page.
pub async fn show(State(console): State<Arc<Console>>) -> Result<Html<String>, PageError> {
    let control = &console.app.control;
    let plans = crate::environments::plans(control).await?;
    let images = crate::environments::images(control);
    let status = control.migration_status(None).await?;
    let now = status.at;
    let mut body = String::from("<h1>Environments</h1><section class=\"panel\"><h2>Images</h2>");
    body.push_str("<div class=\"table-wrap\"><table id=\"images\" class=\"cards\"><thead><tr><th>Image</th><th>OS</th><th>glibc</th><th>Runtimes</th><th>Libraries</th><th>Digest</th></tr></thead><tbody>");
    for image in &images {
        let runtimes: Vec<String> = image
            .runtimes
            .iter()
            .map(|(id, r)| format!("{id} ({} {})", r.interpreter, r.version))
            .collect();
        let _ = write!(
            body,
            "<tr><td data-label=\"Image\"><strong>{}</strong></td><td data-label=\"OS\">{} {}</td><td data-label=\"glibc\">{}</td>\
<td data-label=\"Runtimes\">{}</td><td data-label=\"Libraries\">{}</td><td data-label=\"Digest\"><code>{}</code></td></tr>",
            esc(image.id.as_str()),
            esc(&image.os_id),
            esc(&image.os_version),
            esc(image.glibc_version.as_deref().unwrap_or("not probed")),
            if runtimes.is_empty() {
                "not probed".into()
            } else {
                esc(&runtimes.join(", "))
            },
            image.libraries.len(),
            esc(if image.digest.is_empty() {
                "—"
            } else {
                &image.digest
            }),
        );
    }
    body.push_str(
        "</tbody></table></div></section><section class=\"panel\"><h2>Migration plans</h2>",
    );
    if plans.plans().is_empty() {
        let _ = write!(
            body,
            "<p class=\"empty\" id=\"no-plans\">No migration plans yet: every function runs on <strong>{}</strong>. A plan moves runtimes from one image to another in five phases (T0 testing starts, T1 new and updated functions, T2 general update, T3 end of delay, T4 completion); its timeline will be drawn here.</p>",
            esc(plans.default_image().as_str())
        );
    }
    for plan in plans.plans() {
        let runtimes = match &plan.runtimes {
            RuntimeSelector::All => "all runtimes".to_string(),
            RuntimeSelector::Only(list) => list.join(", "),
            RuntimeSelector::AllExcept(list) => format!("all but {}", list.join(", ")),
        };
        let current = plan
            .phases
            .current(now)
            .map(|p| format!("{p:?} ({})", p.label()))
            .unwrap_or_else(|| "not started".into());
        let _ = write!(
            body,
            "<article class=\"plan\" data-plan=\"{}\"><h3>{}</h3><p>{}</p><p><strong>{}</strong> → <strong>{}</strong> for {}; now in phase {}.</p>\
<p class=\"hint\">Opt in: <code>{}</code><br>Delay: <code>{}</code></p>{}</article>",
            esc(&plan.name),
            esc(&plan.name),
            esc(&plan.description),
            esc(plan.from_image.as_str()),
            esc(plan.to_image.as_str()),
            esc(&runtimes),
            esc(&current),
            esc(&plan.opt_in_layer_arn),
            esc(&plan.delay_layer_arn),
            timeline::svg(plan, now) + &timeline::list(plan, now),
        );
    }
    body.push_str("</section><section class=\"panel\"><h2>Functions</h2>");
    if status.functions.is_empty() {
        body.push_str("<p class=\"empty\">No functions yet.</p>");
    } else {
        body.push_str("<p id=\"flag-message\" class=\"message\" role=\"status\"></p><div class=\"table-wrap\"><table id=\"function-environments\" class=\"cards\"><thead><tr><th>Function</th><th>Runtime</th><th>Image now</th><th>Coming</th><th>Flags</th><th>Scanner</th><th>Actions</th></tr></thead><tbody>");
        let edge = edge_triggers(&console);
        for f in &status.functions {
            let interpreter = |image: &str| match f.interpreters.get(image) {
                Some(i) => format!("<div class=\"muted interpreter\">{}</div>", esc(i)),
                None => String::new(),
            };
            let coming = if f.upcoming.is_empty() {
                "<span class=\"muted\">no change planned</span>".to_string()
            } else {
                f.upcoming
                    .iter()
                    .map(|u| {
                        format!(
                            "<div>{:?} {} ({}): <strong>{}</strong>{}</div>",
                            u.phase,
                            esc(&u.plan),
                            esc(&when(u.at)),
                            esc(u.image.as_str()),
                            interpreter(u.image.as_str())
                        )
                    })
                    .collect()
            };
            let flags_html = if f.flags.is_empty() {
                "<span class=\"muted\">none</span>".to_string()
            } else {
                f.flags
                    .iter()
                    .map(|flag| {
                        format!(
                            "{:?} ({})<br><code>{}</code>",
                            flag.kind,
                            esc(&flag.plan),
                            esc(&flag.arn)
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("<br>")
            };
            let scan: String = if f.scan.is_empty() {
                "<span class=\"muted\">not scanned</span>".into()
            } else {
                f.scan
                    .iter()
                    .map(|(image, verdict)| {
                        format!(
                            "<div><strong>{}</strong>: {}</div>",
                            esc(image),
                            esc(verdict)
                        )
                    })
                    .collect()
            };
            let runtime = f.runtime.as_deref().unwrap_or("");
            let mut actions = String::new();
            // Flags live in $LATEST's configuration; published versions are immutable.
            if f.version == lamina_model::LATEST {
                for plan in plans.covering(runtime) {
                    for (kind, arn, label) in [
                        ("opt-in", &plan.opt_in_layer_arn, "opt in"),
                        ("delay", &plan.delay_layer_arn, "delay"),
                    ] {
                        let carried = f.flags.iter().any(|flag| &flag.arn == arn);
                        let (action, verb) = if carried {
                            ("remove", "Remove")
                        } else {
                            ("add", "Add")
                        };
                        let _ = write!(
                            actions,
                            "<button type=\"button\" class=\"flag-button\" data-function=\"{}\" data-plan=\"{}\" data-kind=\"{kind}\" data-action=\"{action}\">{verb} {label} flag ({})</button>",
                            esc(&f.function),
                            esc(&plan.name),
                            esc(&plan.name)
                        );
                    }
                }
            }
            if actions.is_empty() {
                actions = "<span class=\"muted\">—</span>".into();
            }
            let warn: String = f
                .warnings
                .iter()
                .map(|w| format!("<div class=\"badge warn\">{}</div>", esc(w)))
                .collect();
            let warn = match edge.get(&(f.function.clone(), f.version.clone())) {
                Some(triggers) => format!("{warn}{triggers}"),
                None => warn,
            };
            let _ = write!(
                body,
                "<tr><td data-label=\"Function\"><a href=\"/console/functions/{}\">{}</a> <span class=\"muted\">{}</span>{warn}</td><td data-label=\"Runtime\">{}</td>\
<td data-label=\"Image now\"><strong>{}</strong>{}</td><td data-label=\"Coming\">{coming}</td><td data-label=\"Flags\">{flags_html}</td>\
<td data-label=\"Scanner\">{scan}</td><td data-label=\"Actions\">{actions}</td></tr>",
                url_part(&f.function),
                esc(&f.function),
                esc(&f.version),
                esc(runtime),
                esc(f.image.as_str()),
                interpreter(f.image.as_str()),
            );
        }
        body.push_str("</tbody></table></div>");
    }
    body.push_str("</section>");
    Ok(Html(page("Environments", Section::Environments, &body)))
}
