//! A migration plan's timeline as an SVG picture: the five instants T0–T4 on a line, spaced
//! by real time, each labelled with its date and what happens, and "now" marked where it
//! falls (before T0 or after T4 the line stretches to include it).

use std::fmt::Write as _;

use lamina_model::environment::MigrationPlan;
use time::OffsetDateTime;

use crate::html::esc;

const WIDTH: f64 = 1000.0;
// Margins wide enough for a centred label at either end.
const LEFT: f64 = 110.0;
const RIGHT: f64 = 890.0;

/// The SVG of `plan`'s phases with `now` marked.
pub fn svg(plan: &MigrationPlan, now: OffsetDateTime) -> String {
    let phases = plan.phases.all();
    let first = phases[0].1.min(now);
    let last = phases[4].1.max(now);
    let span = (last - first).as_seconds_f64().max(1.0);
    let x = |t: OffsetDateTime| LEFT + (t - first).as_seconds_f64() / span * (RIGHT - LEFT);
    let mut out = String::new();
    // Writing to a String cannot fail; the results are ignored below for that reason.
    let _ = write!(
        out,
        "<svg class=\"timeline\" viewBox=\"0 0 {WIDTH} 150\" role=\"img\" aria-label=\"Timeline of plan {}\" xmlns=\"http://www.w3.org/2000/svg\">\
<line x1=\"{LEFT}\" y1=\"70\" x2=\"{RIGHT}\" y2=\"70\" class=\"axis\"/>",
        esc(&plan.name)
    );
    for (i, (phase, at)) in phases.iter().enumerate() {
        let px = x(*at);
        let passed = if now >= *at { " passed" } else { "" };
        // Alternate labels above and below the line so close instants stay readable.
        let (ty, dy) = if i % 2 == 0 {
            (40.0, 22.0)
        } else {
            (102.0, 120.0)
        };
        let _ = write!(
            out,
            "<g class=\"phase{passed}\" data-phase=\"{phase:?}\"><circle cx=\"{px:.1}\" cy=\"70\" r=\"8\"/>\
<text x=\"{px:.1}\" y=\"{ty}\" text-anchor=\"middle\" class=\"phase-name\">{phase:?} · {}</text>\
<text x=\"{px:.1}\" y=\"{dy}\" text-anchor=\"middle\" class=\"phase-date\">{}</text></g>",
            esc(phase.label()),
            date(*at),
        );
    }
    let nx = x(now);
    let _ = write!(
        out,
        "<g class=\"now\"><line x1=\"{nx:.1}\" y1=\"50\" x2=\"{nx:.1}\" y2=\"90\"/>\
<text x=\"{nx:.1}\" y=\"145\" text-anchor=\"middle\">now · {}</text></g></svg>",
        date(now)
    );
    out
}

/// The same instants as a list, for narrow screens where the picture's labels get small.
pub fn list(plan: &MigrationPlan, now: OffsetDateTime) -> String {
    let mut out = String::from("<ul class=\"phases\">");
    let mut now_shown = false;
    for (phase, at) in plan.phases.all() {
        if !now_shown && now < at {
            let _ = write!(out, "<li class=\"now\">now · {}</li>", date(now));
            now_shown = true;
        }
        let passed = if now >= at { " class=\"passed\"" } else { "" };
        let _ = write!(
            out,
            "<li{passed}>{phase:?} {} · {}</li>",
            date(at),
            esc(phase.label())
        );
    }
    if !now_shown {
        let _ = write!(out, "<li class=\"now\">now · {}</li>", date(now));
    }
    out.push_str("</ul>");
    out
}

fn date(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use lamina_model::environment::{ImageId, Phases, RuntimeSelector};
    use time::macros::datetime;

    use super::*;

    fn seed_plan() -> MigrationPlan {
        MigrationPlan {
            name: "al1803".into(),
            description: String::new(),
            from_image: ImageId::host(),
            to_image: ImageId::new("debian-12").unwrap(),
            runtimes: RuntimeSelector::All,
            opt_in_layer_arn: "arn:aws:lambda:::awslayer:AmazonLinux1803".into(),
            delay_layer_arn: "arn:aws:lambda:::awslayer:AmazonLinux1703".into(),
            phases: Phases {
                t0: datetime!(2019-05-14 0:00 UTC),
                t1: datetime!(2019-05-21 0:00 UTC),
                t2: datetime!(2019-06-11 0:00 UTC),
                t3: datetime!(2019-06-18 0:00 UTC),
                t4: datetime!(2019-06-24 0:00 UTC),
            },
        }
    }

    #[test]
    fn draws_five_instants_and_now_between_them() {
        let svg = svg(&seed_plan(), datetime!(2019-06-01 0:00 UTC));
        assert_eq!(svg.matches("<circle").count(), 5);
        for label in [
            "2019-05-14",
            "2019-05-21",
            "2019-06-11",
            "2019-06-18",
            "2019-06-24",
        ] {
            assert!(svg.contains(label), "{label}");
        }
        assert!(svg.contains("now · 2019-06-01"));
        // T0 and T1 have passed on June 1st, T2 has not.
        assert!(svg.contains("class=\"phase passed\" data-phase=\"T1\""));
        assert!(svg.contains("class=\"phase\" data-phase=\"T2\""));
    }

    #[test]
    fn list_puts_now_between_the_phases() {
        let list = list(&seed_plan(), datetime!(2019-06-01 0:00 UTC));
        let t1 = list.find("T1 2019-05-21").unwrap();
        let now = list.find("now · 2019-06-01").unwrap();
        let t2 = list.find("T2 2019-06-11").unwrap();
        assert!(t1 < now && now < t2, "{list}");
    }

    #[test]
    fn now_after_completion_stretches_the_line() {
        let svg = svg(&seed_plan(), datetime!(2026-01-01 0:00 UTC));
        // Now is the right end; T4 is passed.
        assert!(svg.contains("x1=\"890.0\" y1=\"50\""), "{svg}");
        assert!(svg.contains("class=\"phase passed\" data-phase=\"T4\""));
    }
}
