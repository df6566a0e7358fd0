//! The resolver on the seed's own timeline (T0 2019-05-14, T1 05-21, T2 06-11, T3 06-18,
//! T4 06-24, all 00:00 UTC; opt-in `…:AmazonLinux1803`, delay `…:AmazonLinux1703`), at every
//! boundary: one nanosecond before each instant and exactly at it.

#![allow(clippy::unwrap_used)]

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;

const OPT_IN: &str = "arn:aws:lambda:::awslayer:AmazonLinux1803";
const DELAY: &str = "arn:aws:lambda:::awslayer:AmazonLinux1703";
const T0: OffsetDateTime = datetime!(2019-05-14 00:00 UTC);
const T1: OffsetDateTime = datetime!(2019-05-21 00:00 UTC);
const T2: OffsetDateTime = datetime!(2019-06-11 00:00 UTC);
const T3: OffsetDateTime = datetime!(2019-06-18 00:00 UTC);
const T4: OffsetDateTime = datetime!(2019-06-24 00:00 UTC);
/// Created long before the migration.
const OLD: OffsetDateTime = datetime!(2019-01-10 12:00 UTC);

fn before(t: OffsetDateTime) -> OffsetDateTime {
    t - Duration::nanoseconds(1)
}

fn id(s: &str) -> ImageId {
    ImageId::new(s).unwrap()
}

fn a() -> ImageId {
    id("debian-12")
}

fn b() -> ImageId {
    id("debian-13")
}

fn seed_plan() -> MigrationPlan {
    parse_plan_toml(include_str!(
        "../../../../docs/examples/amazon-linux-2019.toml"
    ))
    .unwrap()
}

fn seed() -> PlanSet {
    PlanSet::new(ImageId::host(), "us-east-1").with_plans(vec![seed_plan()])
}

fn facts<'a>(
    runtime: &'a str,
    layers: &[&'a str],
    m: OffsetDateTime,
    mode: UpdateMode,
) -> FunctionFacts<'a> {
    FunctionFacts {
        runtime: Some(runtime),
        layers: layers.to_vec(),
        last_modified: m,
        mode,
    }
}

fn at(f: &FunctionFacts<'_>, now: OffsetDateTime) -> (ImageId, Rule) {
    let r = resolve(&seed(), f, now);
    (r.image, r.rule)
}

/// Checks `f` at each (instant, image, rule).
fn expect(f: &FunctionFacts<'_>, cases: &[(OffsetDateTime, ImageId, Rule)]) {
    for (now, image, rule) in cases {
        assert_eq!(at(f, *now), (image.clone(), *rule), "at {now} for {f:?}");
    }
}

use Rule::*;

#[test]
fn created_before_t1_without_flags_moves_at_t2() {
    let f = facts("python3.7", &[], OLD, UpdateMode::Auto);
    expect(
        &f,
        &[
            (before(T0), a(), BeforeTesting),
            (T0, a(), NotYet),
            (before(T1), a(), NotYet),
            (T1, a(), NotYet),
            (before(T2), a(), NotYet),
            (T2, b(), GeneralUpdate),
            (before(T3), b(), GeneralUpdate),
            (T3, b(), GeneralUpdate),
            (before(T4), b(), GeneralUpdate),
            (T4, b(), Completed),
            (T4 + Duration::days(365), b(), Completed),
        ],
    );
}

#[test]
fn created_or_updated_exactly_at_t1_moves_at_once() {
    let f = facts("python3.7", &[], T1, UpdateMode::Auto);
    expect(
        &f,
        &[
            (T1, b(), NewOrUpdated),
            (before(T2), b(), NewOrUpdated),
            (T2, b(), GeneralUpdate),
            (T4, b(), Completed),
        ],
    );
}

#[test]
fn updated_just_before_t1_waits_for_t2() {
    let f = facts("python3.7", &[], before(T1), UpdateMode::Auto);
    expect(
        &f,
        &[
            (T1, a(), NotYet),
            (before(T2), a(), NotYet),
            (T2, b(), GeneralUpdate),
        ],
    );
}

#[test]
fn updated_between_t0_and_t1_is_not_new() {
    let f = facts("nodejs8.10", &[], T0 + Duration::days(2), UpdateMode::Auto);
    expect(&f, &[(T1, a(), NotYet), (T2, b(), GeneralUpdate)]);
}

#[test]
fn opt_in_moves_from_t0_exactly() {
    let f = facts("python3.7", &[OPT_IN], OLD, UpdateMode::Auto);
    expect(
        &f,
        &[
            (before(T0), a(), BeforeTesting),
            (T0, b(), OptIn),
            (T1, b(), OptIn),
            (T2, b(), OptIn),
            (T3, b(), OptIn),
            (before(T4), b(), OptIn),
            (T4, b(), Completed),
        ],
    );
}

#[test]
fn delay_keeps_the_old_image_until_the_end_of_june_17() {
    let f = facts("python3.7", &[DELAY], OLD, UpdateMode::Auto);
    expect(
        &f,
        &[
            (before(T0), a(), BeforeTesting),
            (T0, a(), Delayed),
            (T2, a(), Delayed),
            (datetime!(2019-06-17 23:59:59.999 UTC), a(), Delayed),
            (before(T3), a(), Delayed),
            (T3, b(), GeneralUpdate),
            (before(T4), b(), GeneralUpdate),
            (T4, b(), Completed),
        ],
    );
}

#[test]
fn delay_wins_over_a_new_function_until_t3() {
    // The seed's case: a function that must be created or updated after T1 but is not ready.
    let f = facts(
        "python3.7",
        &[DELAY],
        T1 + Duration::days(1),
        UpdateMode::Auto,
    );
    expect(
        &f,
        &[
            (T1 + Duration::days(1), a(), Delayed),
            (before(T3), a(), Delayed),
            (T3, b(), GeneralUpdate),
        ],
    );
}

#[test]
fn both_flags_follow_rule_order_opt_in_first_and_warn() {
    // The API refuses both flags at once; a plan applied later can still meet them.
    let f = facts("python3.7", &[OPT_IN, DELAY], OLD, UpdateMode::Auto);
    expect(
        &f,
        &[
            (before(T0), a(), BeforeTesting),
            (T0, b(), OptIn),
            (T4, b(), Completed),
        ],
    );
    let r = resolve(&seed(), &f, T1);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("both its opt-in and delay")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn flags_after_completion_are_no_ops_with_a_warning() {
    for flag in [OPT_IN, DELAY] {
        let f = facts("python3.7", &[flag], OLD, UpdateMode::Auto);
        let before_end = resolve(&seed(), &f, before(T4));
        assert!(
            !before_end.warnings.iter().any(|w| w.contains("completed")),
            "{:?}",
            before_end.warnings
        );
        let r = resolve(&seed(), &f, T4);
        assert_eq!((r.image.clone(), r.rule), (b(), Completed));
        assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
        assert!(r.warnings[0].contains(flag), "{:?}", r.warnings);
        assert!(
            r.warnings[0]
                .contains("does nothing since the migration completed at 2019-06-24T00:00:00Z"),
            "{:?}",
            r.warnings
        );
    }
    let none = resolve(&seed(), &facts("python3.7", &[], OLD, UpdateMode::Auto), T4);
    assert!(none.warnings.is_empty());
}

#[test]
fn an_expired_delay_warns_between_t3_and_t4() {
    let f = facts("python3.7", &[DELAY], OLD, UpdateMode::Auto);
    assert!(resolve(&seed(), &f, before(T3)).warnings.is_empty());
    let r = resolve(&seed(), &f, T3);
    assert!(r.warnings[0].contains("expired"), "{:?}", r.warnings);
}

#[test]
fn function_update_mode_skips_the_general_update() {
    let old = facts("python3.7", &[], OLD, UpdateMode::FunctionUpdate);
    expect(
        &old,
        &[
            (before(T0), a(), BeforeTesting),
            (T2, a(), NotYet),
            (T3, a(), NotYet),
            (before(T4), a(), NotYet),
            (T4, b(), Completed),
        ],
    );
    let updated = facts(
        "python3.7",
        &[],
        T2 + Duration::days(1),
        UpdateMode::FunctionUpdate,
    );
    expect(&updated, &[(T2 + Duration::days(1), b(), NewOrUpdated)]);
    let delayed = facts("python3.7", &[DELAY], OLD, UpdateMode::FunctionUpdate);
    expect(
        &delayed,
        &[(T2, a(), Delayed), (T3, a(), NotYet), (T4, b(), Completed)],
    );
    let opted = facts("python3.7", &[OPT_IN], OLD, UpdateMode::FunctionUpdate);
    expect(&opted, &[(T0, b(), OptIn)]);
}

#[test]
fn manual_pins_win_over_every_rule() {
    let pin_a = RuntimeVersion::new("us-east-1", "python3.7", &a()).arn;
    let f = facts("python3.7", &[], OLD, UpdateMode::Manual(pin_a.clone()));
    expect(
        &f,
        &[
            (before(T0), a(), Pinned),
            (T2, a(), Pinned),
            (T4, a(), Pinned),
        ],
    );
    assert!(resolve(&seed(), &f, before(T4)).warnings.is_empty());
    let late = resolve(&seed(), &f, T4);
    assert!(late.warnings[0].contains("retired"), "{:?}", late.warnings);
    assert_eq!(late.runtime_version.unwrap().arn, pin_a);

    let pin_b = RuntimeVersion::new("us-east-1", "python3.7", &b()).arn;
    let early = facts("python3.7", &[DELAY], OLD, UpdateMode::Manual(pin_b));
    let r = resolve(&seed(), &early, before(T0));
    assert_eq!((r.image, r.rule), (b(), Pinned));
    assert!(r.warnings[0].contains("Manual"), "{:?}", r.warnings);
}

#[test]
fn an_unknown_pin_falls_back_to_the_rules_with_a_warning() {
    let f = facts(
        "python3.7",
        &[],
        OLD,
        UpdateMode::Manual("arn:aws:lambda:eu-west-1::runtime:python3.7.debian-12".into()),
    );
    let r = resolve(&seed(), &f, T2);
    assert_eq!((r.image, r.rule), (b(), GeneralUpdate));
    assert!(r.warnings[0].contains("not one this server knows"));
}

#[test]
fn uncovered_runtimes_stay_on_the_default_image_and_their_flags_warn() {
    let f = facts("nodejs10.x", &[OPT_IN], OLD, UpdateMode::Auto);
    for now in [before(T0), T0, T2, T4] {
        let r = resolve(&seed(), &f, now);
        assert_eq!((r.image.clone(), r.rule), (ImageId::host(), NoPlan));
        assert!(r.warnings[0].contains("does not move runtime nodejs10.x"));
    }
    let image_function = FunctionFacts {
        runtime: None,
        layers: vec![],
        last_modified: OLD,
        mode: UpdateMode::Auto,
    };
    let r = resolve(&seed(), &image_function, T2);
    assert_eq!(
        (r.image, r.rule, r.runtime_version),
        (ImageId::host(), NoPlan, None)
    );
}

#[test]
fn resolution_names_the_runtime_version_and_plan() {
    let f = facts("python3.7", &[], OLD, UpdateMode::Auto);
    let r = resolve(&seed(), &f, T2);
    let v = r.runtime_version.unwrap();
    assert_eq!(
        v.arn,
        "arn:aws:lambda:us-east-1::runtime:python3.7.debian-13"
    );
    assert_eq!(v.name(), "python3.7.debian-13");
    assert_eq!(r.plan.as_deref(), Some("amazon-linux-2019"));
    assert_eq!(r.rule.number(), Some(5));
}

#[test]
fn upcoming_lists_the_image_at_each_coming_phase() {
    let f = facts("python3.7", &[DELAY], OLD, UpdateMode::Auto);
    let coming = seed().upcoming(&f, T1);
    let got: Vec<(Phase, ImageId)> = coming.iter().map(|u| (u.phase, u.image.clone())).collect();
    assert_eq!(got, [(Phase::T2, a()), (Phase::T3, b()), (Phase::T4, b())]);
    assert!(seed().upcoming(&f, T4).is_empty());
}

#[test]
fn chained_plans_apply_in_order() {
    let first = MigrationPlan {
        name: "to-12".into(),
        from_image: ImageId::host(),
        to_image: a(),
        opt_in_layer_arn: "arn:aws:lambda:::awslayer:To12".into(),
        delay_layer_arn: "arn:aws:lambda:::awslayer:Stay".into(),
        phases: Phases {
            t0: datetime!(2018-01-01 00:00 UTC),
            t1: datetime!(2018-02-01 00:00 UTC),
            t2: datetime!(2018-03-01 00:00 UTC),
            t3: datetime!(2018-03-08 00:00 UTC),
            t4: datetime!(2018-04-01 00:00 UTC),
        },
        ..seed_plan()
    };
    let mut catalog =
        ImageCatalog::with_host(ImageManifest::minimal(ImageId::host(), "debian", "12"));
    catalog.insert(ImageManifest::minimal(a(), "debian", "12"));
    catalog.insert(ImageManifest::minimal(b(), "debian", "13"));
    let set = PlanSet::new(ImageId::host(), "us-east-1").with_plans(vec![first.clone()]);
    set.check(&seed_plan(), &catalog).unwrap();
    let both = set.with_plans(vec![seed_plan(), first]);
    let f = facts("python3.7", &[], OLD, UpdateMode::Auto);
    let r = |now| {
        let r = resolve(&both, &f, now);
        (r.image, r.plan.unwrap())
    };
    assert_eq!(
        r(datetime!(2017-12-31 00:00 UTC)),
        (ImageId::host(), "to-12".into())
    );
    assert_eq!(r(datetime!(2018-03-01 00:00 UTC)), (a(), "to-12".into()));
    assert_eq!(r(before(T0)), (a(), "to-12".into()));
    assert_eq!(r(T0), (a(), "amazon-linux-2019".into()));
    assert_eq!(r(T2), (b(), "amazon-linux-2019".into()));
}

fn catalog() -> ImageCatalog {
    let mut c = ImageCatalog::with_host(ImageManifest::minimal(ImageId::host(), "debian", "12"));
    c.insert(ImageManifest::minimal(a(), "debian", "12"));
    c.insert(ImageManifest::minimal(b(), "debian", "13"));
    c
}

#[test]
fn check_refuses_unknown_images() {
    let mut c = catalog();
    c.remove(&b());
    let empty = PlanSet::new(ImageId::host(), "us-east-1");
    let e = empty.check(&seed_plan(), &c).unwrap_err();
    assert_eq!(
        e,
        EnvironmentError::UnknownImage {
            plan: "amazon-linux-2019".into(),
            image: "debian-13".into()
        }
    );
}

#[test]
fn check_refuses_a_flag_used_by_another_plan_in_either_role() {
    let set = seed();
    for (opt_in, delay) in [
        (OPT_IN, "arn:aws:lambda:::awslayer:X"),
        ("arn:aws:lambda:::awslayer:X", OPT_IN),
        ("arn:aws:lambda:::awslayer:X", DELAY),
    ] {
        let other = MigrationPlan {
            name: "other".into(),
            runtimes: RuntimeSelector::Only(vec!["nodejs10.x".into()]),
            opt_in_layer_arn: opt_in.into(),
            delay_layer_arn: delay.into(),
            ..seed_plan()
        };
        let e = set.check(&other, &catalog()).unwrap_err();
        assert!(
            matches!(e, EnvironmentError::FlagInUse { ref other, .. } if other == "amazon-linux-2019"),
            "{e}"
        );
    }
    // Re-applying the same plan (same name) keeps its own flags.
    set.check(&seed_plan(), &catalog()).unwrap();
}

#[test]
fn check_refuses_overlapping_plans_and_accepts_disjoint_ones() {
    let set = seed();
    let mut other = MigrationPlan {
        name: "other".into(),
        opt_in_layer_arn: "arn:aws:lambda:::awslayer:OtherIn".into(),
        delay_layer_arn: "arn:aws:lambda:::awslayer:OtherDelay".into(),
        runtimes: RuntimeSelector::Only(vec!["python3.7".into()]),
        ..seed_plan()
    };
    let e = set.check(&other, &catalog()).unwrap_err();
    assert!(
        matches!(e, EnvironmentError::Overlap { ref runtime, .. } if runtime == "python3.7"),
        "{e}"
    );
    other.runtimes = RuntimeSelector::Only(vec!["nodejs10.x".into()]);
    set.check(&other, &catalog()).unwrap();
}

#[test]
fn instants_must_be_ordered_but_may_be_equal() {
    let mut plan = seed_plan();
    plan.phases.t3 = before(T2);
    let e = plan.validate().unwrap_err().to_string();
    assert!(e.contains("out of order: T2"), "{e}");
    let mut cut_over = seed_plan();
    cut_over.phases = Phases {
        t0: T2,
        t1: T2,
        t2: T2,
        t3: T2,
        t4: T2,
    };
    cut_over.validate().unwrap();
    let set = PlanSet::new(ImageId::host(), "us-east-1").with_plans(vec![cut_over]);
    let f = facts("python3.7", &[DELAY], OLD, UpdateMode::Auto);
    assert_eq!(resolve(&set, &f, before(T2)).image, a());
    assert_eq!(resolve(&set, &f, T2).rule, Completed);
}

#[test]
fn plans_refuse_same_images_bad_names_and_bad_flags() {
    let mut p = seed_plan();
    p.to_image = a();
    assert!(p.validate().is_err());
    let mut p = seed_plan();
    p.name = "has space".into();
    assert!(p.validate().is_err());
    let mut p = seed_plan();
    p.delay_layer_arn = OPT_IN.into();
    assert!(p.validate().is_err());
    let mut p = seed_plan();
    p.opt_in_layer_arn = "AmazonLinux1803".into();
    assert!(
        p.validate()
            .unwrap_err()
            .to_string()
            .contains("not a layer ARN")
    );
    let mut p = seed_plan();
    p.runtimes = RuntimeSelector::Only(vec![]);
    assert!(p.validate().is_err());
    let mut p = seed_plan();
    p.runtimes = RuntimeSelector::AllExcept(vec!["python9.9".into()]);
    assert!(p.validate().unwrap_err().to_string().contains("python9.9"));
}
