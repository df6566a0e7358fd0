//! Router tests for migration plans, flag layers, runtime management and the migration
//! report: the axum app in-process over a `MemoryStore`, the clock stopped on the seed's
//! 2019 timeline. Each refused request is followed by a check that nothing changed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use axum::Router;
use lamina_api::{AppState, Control, ControlLimits};
use lamina_model::environment::{ImageId, ImageManifest, parse_plan_toml};
use lamina_model::{Account, Clock, FixedClock};
use serde_json::{Value, json};

use common::{call, zip_b64};
use time::macros::datetime;

const SEED: &str = include_str!("../../../docs/examples/amazon-linux-2019.toml");
const OPT_IN: &str = "arn:aws:lambda:::awslayer:AmazonLinux1803";
const DELAY: &str = "arn:aws:lambda:::awslayer:AmazonLinux1703";

struct App {
    router: Router,
    clock: Arc<FixedClock>,
}

fn app() -> App {
    let clock = Arc::new(FixedClock::new(datetime!(2019-05-01 00:00 UTC)));
    let control = Arc::new(Control::new(
        Arc::new(lamina_store::MemoryStore::new()),
        Account::default(),
        ControlLimits::default(),
        Arc::clone(&clock) as Arc<dyn Clock>,
    ));
    let envs = Arc::clone(control.environments());
    for (id, version) in [("debian-12", "12"), ("debian-13", "13")] {
        envs.register_image(
            ImageManifest::minimal(ImageId::new(id).unwrap(), "debian", version),
            None,
        );
    }
    let state = Arc::new(AppState {
        control,
        runtime_versions: envs,
        base_url: "http://127.0.0.1:9001".into(),
        engine: None,
    });
    App {
        router: lamina_api::router(state),
        clock,
    }
}

fn seed_json() -> Value {
    serde_json::to_value(parse_plan_toml(SEED).unwrap()).unwrap()
}

fn function_body(name: &str, layers: &[&str]) -> Value {
    json!({
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::000000000000:role/lambda",
        "Handler": "app.handler",
        "Code": { "ZipFile": zip_b64(&[("app.py", &b"def handler(e, c):\n    return e\n"[..])]) },
        "Layers": layers,
    })
}

async fn plans(app: &App) -> Vec<String> {
    let (status, _, body) = call(&app.router, "GET", "/lamina/plans", None).await;
    assert_eq!(status, 200);
    body["Plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect()
}

async fn configuration(app: &App, name: &str) -> Value {
    let (status, _, body) = call(
        &app.router,
        "GET",
        &format!("/2015-03-31/functions/{name}/configuration"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn the_seed_plan_applies_reads_back_and_replaces() {
    let app = app();
    let (status, _, body) = call(&app.router, "POST", "/lamina/plans", Some(seed_json())).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, seed_json());
    let (status, _, got) = call(&app.router, "GET", "/lamina/plans/amazon-linux-2019", None).await;
    assert_eq!((status, got), (200, seed_json()));
    let mut changed = seed_json();
    changed["description"] = json!("moved");
    let (status, _, _) = call(&app.router, "POST", "/lamina/plans", Some(changed.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(plans(&app).await, ["amazon-linux-2019"]);
    let (_, _, got) = call(&app.router, "GET", "/lamina/plans/amazon-linux-2019", None).await;
    assert_eq!(got["description"], "moved");
    let (status, _, _) = call(
        &app.router,
        "DELETE",
        "/lamina/plans/amazon-linux-2019",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, kind, _) = call(
        &app.router,
        "DELETE",
        "/lamina/plans/amazon-linux-2019",
        None,
    )
    .await;
    assert_eq!((status, kind.as_str()), (404, "ResourceNotFoundException"));
    assert!(plans(&app).await.is_empty());
}

#[tokio::test]
async fn instants_out_of_order_are_refused_and_nothing_is_stored() {
    let app = app();
    let mut bad = seed_json();
    bad["phases"]["t3"] = json!("2019-06-10T00:00:00Z");
    let (status, kind, body) = call(&app.router, "POST", "/lamina/plans", Some(bad)).await;
    assert_eq!(
        (status, kind.as_str()),
        (400, "InvalidParameterValueException")
    );
    let message = body["Message"].as_str().unwrap();
    assert!(message.contains("instants out of order: T2"), "{message}");
    assert!(plans(&app).await.is_empty());
    let (status, _, _) = call(&app.router, "GET", "/lamina/plans/amazon-linux-2019", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_unknown_image_is_refused_and_nothing_is_stored() {
    let app = app();
    let mut bad = seed_json();
    bad["to_image"] = json!("debian-99");
    let (status, kind, body) = call(&app.router, "POST", "/lamina/plans", Some(bad)).await;
    assert_eq!(
        (status, kind.as_str()),
        (400, "InvalidParameterValueException")
    );
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("unknown image debian-99"),
        "{body}"
    );
    assert!(plans(&app).await.is_empty());
}

#[tokio::test]
async fn a_flag_arn_used_by_two_plans_is_refused_and_the_first_plan_stays() {
    let app = app();
    assert_eq!(
        call(&app.router, "POST", "/lamina/plans", Some(seed_json()))
            .await
            .0,
        201
    );
    let mut other = seed_json();
    other["name"] = json!("node-only");
    other["runtimes"] = json!({ "only": ["nodejs10.x"] });
    other["opt_in_layer_arn"] = json!(DELAY);
    other["delay_layer_arn"] = json!("arn:aws:lambda:::awslayer:NodeDelay");
    let (status, kind, body) = call(&app.router, "POST", "/lamina/plans", Some(other)).await;
    assert_eq!(
        (status, kind.as_str()),
        (409, "ResourceConflictException"),
        "{body}"
    );
    let message = body["Message"].as_str().unwrap();
    assert!(
        message.contains(DELAY) && message.contains("already used by plan amazon-linux-2019"),
        "{message}"
    );
    assert_eq!(plans(&app).await, ["amazon-linux-2019"]);
    let (_, _, seed) = call(&app.router, "GET", "/lamina/plans/amazon-linux-2019", None).await;
    assert_eq!(seed, seed_json());
}

#[tokio::test]
async fn bad_plan_bodies_and_non_layer_flags_are_refused() {
    let app = app();
    let mut bad = seed_json();
    bad["opt_in_layer_arn"] = json!("AmazonLinux1803");
    let (status, _, body) = call(&app.router, "POST", "/lamina/plans", Some(bad)).await;
    assert_eq!(status, 400);
    assert!(
        body["Message"]
            .as_str()
            .unwrap()
            .contains("not a layer ARN")
    );
    let mut unknown_field = seed_json();
    unknown_field["colour"] = json!("blue");
    assert_eq!(
        call(&app.router, "POST", "/lamina/plans", Some(unknown_field))
            .await
            .0,
        400
    );
    assert!(plans(&app).await.is_empty());
}

#[tokio::test]
async fn flag_layers_carry_no_content_count_towards_five_and_never_both() {
    let app = app();
    assert_eq!(
        call(&app.router, "POST", "/lamina/plans", Some(seed_json()))
            .await
            .0,
        201
    );

    // Both flags: refused, and the function does not exist afterwards.
    let (status, kind, body) = call(
        &app.router,
        "POST",
        "/2015-03-31/functions",
        Some(function_body("both", &[OPT_IN, DELAY])),
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (400, "InvalidParameterValueException")
    );
    assert!(
        body["Message"].as_str().unwrap().contains("not both"),
        "{body}"
    );
    let (status, _, _) = call(&app.router, "GET", "/2015-03-31/functions/both", None).await;
    assert_eq!(status, 404);

    // A flag beside a real layer: the flag has CodeSize 0, the order is kept.
    let (status, _, layer) = call(
        &app.router,
        "POST",
        "/2018-10-31/layers/deps/versions",
        Some(json!({ "Content": { "ZipFile": zip_b64(&[("python/deps.py", &b"X = 1\n"[..])]) } })),
    )
    .await;
    assert_eq!(status, 201, "{layer}");
    let real = layer["LayerVersionArn"].as_str().unwrap().to_string();
    let (status, _, created) = call(
        &app.router,
        "POST",
        "/2015-03-31/functions",
        Some(function_body("opted", &[OPT_IN, &real])),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["Layers"][0],
        json!({ "Arn": OPT_IN, "CodeSize": 0 })
    );
    assert_eq!(created["Layers"][1]["Arn"], real.as_str());
    assert!(created["Layers"][1]["CodeSize"].as_u64().unwrap() > 0);

    // Six layers, one of them a flag: over the limit.
    let six = [OPT_IN, &real, "a", "b", "c", "d"];
    let (status, _, body) = call(
        &app.router,
        "POST",
        "/2015-03-31/functions",
        Some(function_body("six", &six)),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["Message"], "Cannot reference more than 5 layers.");

    // Adding the delay flag by an update is refused; the configuration is unchanged.
    let before = configuration(&app, "opted").await;
    let (status, kind, _) = call(
        &app.router,
        "PUT",
        "/2015-03-31/functions/opted/configuration",
        Some(json!({ "Layers": [OPT_IN, DELAY] })),
    )
    .await;
    assert_eq!(
        (status, kind.as_str()),
        (400, "InvalidParameterValueException")
    );
    assert_eq!(configuration(&app, "opted").await, before);

    // A flag-looking ARN that is no plan's flag is an unknown layer.
    let (status, _, body) = call(
        &app.router,
        "POST",
        "/2015-03-31/functions",
        Some(function_body(
            "stray",
            &["arn:aws:lambda:::awslayer:AmazonLinux9999"],
        )),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["Message"].as_str().unwrap().contains("does not exist"));
}

#[tokio::test]
async fn runtime_version_config_follows_the_plan_and_the_clock() {
    let app = app();
    assert_eq!(
        call(&app.router, "POST", "/lamina/plans", Some(seed_json()))
            .await
            .0,
        201
    );
    for (name, layers) in [
        ("plain", vec![]),
        ("delayed", vec![DELAY]),
        ("opted", vec![OPT_IN]),
    ] {
        let (status, _, _) = call(
            &app.router,
            "POST",
            "/2015-03-31/functions",
            Some(function_body(name, &layers)),
        )
        .await;
        assert_eq!(status, 201);
    }
    let arn_of = |body: &Value| {
        body["RuntimeVersionConfig"]["RuntimeVersionArn"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let d12 = "arn:aws:lambda:us-east-1::runtime:python3.12.debian-12";
    let d13 = "arn:aws:lambda:us-east-1::runtime:python3.12.debian-13";
    let expectations = [
        (datetime!(2019-05-13 23:59:59 UTC), [d12, d12, d12]),
        (datetime!(2019-05-14 00:00 UTC), [d12, d12, d13]),
        (datetime!(2019-06-11 00:00 UTC), [d13, d12, d13]),
        (datetime!(2019-06-17 23:59:59 UTC), [d13, d12, d13]),
        (datetime!(2019-06-18 00:00 UTC), [d13, d13, d13]),
    ];
    for (now, want) in expectations {
        app.clock.set(now);
        for (name, arn) in ["plain", "delayed", "opted"].iter().zip(want) {
            let got = configuration(&app, name).await;
            assert_eq!(arn_of(&got), arn, "{name} at {now}");
            let error = got["RuntimeVersionConfig"].get("Error");
            if *name == "delayed" && now >= datetime!(2019-06-18 00:00 UTC) {
                // Between T3 and T4 the delay flag has expired: said, not silent.
                let message = error.unwrap()["Message"].as_str().unwrap();
                assert!(
                    message.contains("expired at 2019-06-18T00:00:00Z"),
                    "{message}"
                );
            } else {
                assert!(error.is_none(), "{got}");
            }
        }
    }
    // After completion the flags do nothing, and GetFunctionConfiguration says so.
    app.clock.set(datetime!(2019-06-24 00:00 UTC));
    for name in ["delayed", "opted"] {
        let got = configuration(&app, name).await;
        assert_eq!(arn_of(&got), d13);
        let error = &got["RuntimeVersionConfig"]["Error"];
        assert_eq!(error["ErrorCode"], "MigrationWarning");
        assert!(
            error["Message"]
                .as_str()
                .unwrap()
                .contains("does nothing since the migration completed"),
            "{error}"
        );
    }
    assert!(
        configuration(&app, "plain").await["RuntimeVersionConfig"]
            .get("Error")
            .is_none()
    );
}

#[tokio::test]
async fn manual_pins_must_name_a_known_runtime_version() {
    let app = app();
    assert_eq!(
        call(&app.router, "POST", "/lamina/plans", Some(seed_json()))
            .await
            .0,
        201
    );
    assert_eq!(
        call(
            &app.router,
            "POST",
            "/2015-03-31/functions",
            Some(function_body("pinned", &[]))
        )
        .await
        .0,
        201
    );
    let path = "/2021-07-20/functions/pinned/runtime-management-config";
    for bad in [
        "arn:aws:lambda:us-east-1::runtime:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "arn:aws:lambda:us-east-1::runtime:python3.12.debian-99",
        "arn:aws:lambda:us-east-1::runtime:nodejs20.x.debian-12",
        "arn:aws:lambda:eu-west-1::runtime:python3.12.debian-12",
    ] {
        let (status, kind, body) = call(
            &app.router,
            "PUT",
            path,
            Some(json!({ "UpdateRuntimeOn": "Manual", "RuntimeVersionArn": bad })),
        )
        .await;
        assert_eq!(
            (status, kind.as_str()),
            (400, "InvalidParameterValueException"),
            "{bad}"
        );
        assert!(body["Message"].as_str().unwrap().contains(bad), "{body}");
        let (_, _, current) = call(&app.router, "GET", path, None).await;
        assert_eq!(current["UpdateRuntimeOn"], "Auto");
    }
    let pin = "arn:aws:lambda:us-east-1::runtime:python3.12.debian-12";
    let (status, _, body) = call(
        &app.router,
        "PUT",
        path,
        Some(json!({ "UpdateRuntimeOn": "Manual", "RuntimeVersionArn": pin })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app.clock.set(datetime!(2019-07-01 00:00 UTC));
    let got = configuration(&app, "pinned").await;
    assert_eq!(got["RuntimeVersionConfig"]["RuntimeVersionArn"], pin);
    assert!(
        got["RuntimeVersionConfig"]["Error"]["Message"]
            .as_str()
            .unwrap()
            .contains("retired"),
        "{got}"
    );
}

#[tokio::test]
async fn the_migration_report_shows_images_phases_flags_and_warnings() {
    let app = app();
    assert_eq!(
        call(&app.router, "POST", "/lamina/plans", Some(seed_json()))
            .await
            .0,
        201
    );
    app.clock.set(datetime!(2019-05-01 00:00 UTC));
    for (name, layers) in [("plain", vec![]), ("delayed", vec![DELAY])] {
        call(
            &app.router,
            "POST",
            "/2015-03-31/functions",
            Some(function_body(name, &layers)),
        )
        .await;
    }
    let (status, _, report) = call(
        &app.router,
        "GET",
        "/lamina/migration/status?at=2019-06-12T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["at"], "2019-06-12T00:00:00Z");
    assert_eq!(report["plans"][0]["phase"], "T2");
    assert_eq!(report["plans"][0]["next_phase"]["phase"], "T3");
    let functions = report["functions"].as_array().unwrap();
    let delayed = functions
        .iter()
        .find(|f| f["function"] == "delayed")
        .unwrap();
    assert_eq!(delayed["image"], "debian-12");
    assert_eq!(delayed["rule"], "delayed");
    assert_eq!(delayed["rule_number"], 4);
    assert_eq!(delayed["flags"][0]["kind"], "delay");
    assert_eq!(delayed["scan"]["debian-12"], "not scanned");
    let coming: Vec<(&str, &str)> = delayed["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["phase"].as_str().unwrap(), u["image"].as_str().unwrap()))
        .collect();
    assert_eq!(coming, [("T3", "debian-13"), ("T4", "debian-13")]);
    let plain = functions.iter().find(|f| f["function"] == "plain").unwrap();
    assert_eq!(
        (plain["image"].as_str(), plain["rule_number"].as_u64()),
        (Some("debian-13"), Some(5))
    );

    let (_, _, after) = call(
        &app.router,
        "GET",
        "/lamina/migration/status?at=2019-07-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(after["plans"][0]["completed"], true);
    let warnings = after["plans"][0]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .starts_with("delayed:$LATEST: flag layer")
    );

    let (status, _, sim) = call(
        &app.router,
        "GET",
        "/lamina/migration/simulate?at=2019-06-11T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let sim_plain = sim["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == "plain")
        .unwrap();
    assert_eq!(
        (
            sim_plain["image_now"].as_str(),
            sim_plain["image_at"].as_str(),
            sim_plain["changes"].as_bool()
        ),
        (Some("debian-12"), Some("debian-13"), Some(true))
    );
    let (status, _, _) = call(
        &app.router,
        "GET",
        "/lamina/migration/simulate?at=tomorrow",
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, _, _) = call(&app.router, "GET", "/lamina/migration/simulate", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn image_dependents_name_plans_pins_and_functions() {
    let clock = Arc::new(FixedClock::new(datetime!(2019-05-01 00:00 UTC)));
    let control = Control::new(
        Arc::new(lamina_store::MemoryStore::new()),
        Account::default(),
        ControlLimits::default(),
        Arc::clone(&clock) as Arc<dyn Clock>,
    );
    let d12 = ImageId::new("debian-12").unwrap();
    for (id, version) in [("debian-12", "12"), ("debian-13", "13")] {
        control.environments().register_image(
            ImageManifest::minimal(ImageId::new(id).unwrap(), "debian", version),
            None,
        );
    }
    assert!(control.image_dependents(&d12).await.unwrap().is_empty());
    control
        .apply_plan(parse_plan_toml(SEED).unwrap())
        .await
        .unwrap();
    let input: lamina_api::requests::CreateFunctionInput =
        serde_json::from_value(function_body("f", &[])).unwrap();
    control.create_function(input).await.unwrap();
    let reasons = control.image_dependents(&d12).await.unwrap();
    assert_eq!(
        reasons,
        [
            "migration plan amazon-linux-2019 names it",
            "function f:$LATEST runs on it now"
        ]
    );
    let refused = control.environments().remove_image(&d12).unwrap_err();
    assert!(refused.message.contains("amazon-linux-2019"), "{refused}");
    assert!(control.environments().catalog().contains(&d12));
}

/// The environments are the one registry of images: what `lamina env build`, `--image-root`
/// and preparation register (manifest and root folder) is what the engine finds through its
/// resolver, and a removal forgets both; `host` and catalog-only images have no folder.
#[test]
fn an_image_is_registered_and_removed_once_for_the_catalog_and_the_engine() {
    use lamina_engine::EnvironmentResolver;
    let control = Control::new(
        Arc::new(lamina_store::MemoryStore::new()),
        Account::default(),
        ControlLimits::default(),
        Arc::new(FixedClock::new(datetime!(2019-05-01 00:00 UTC))) as Arc<dyn Clock>,
    );
    let envs = control.environments();
    let d12 = ImageId::new("debian-12").unwrap();
    let d13 = ImageId::new("debian-13").unwrap();
    let root = std::path::PathBuf::from("/var/lib/lamina/images/debian-12/rootfs");
    envs.register_image(
        ImageManifest::minimal(d12.clone(), "debian", "12"),
        Some(root.clone()),
    );
    envs.register_image(ImageManifest::minimal(d13.clone(), "debian", "13"), None);
    assert!(envs.catalog().contains(&d12) && envs.catalog().contains(&d13));
    assert_eq!(envs.image_dir(&d12), Some(root));
    assert_eq!(
        envs.image_dir(&d13),
        None,
        "catalog only: the engine cannot start it"
    );
    assert_eq!(envs.image_dir(&ImageId::host()), None);
    // Registered again without a root: the old folder is not kept.
    envs.register_image(ImageManifest::minimal(d12.clone(), "debian", "12"), None);
    assert_eq!(envs.image_dir(&d12), None);
    envs.register_image(
        ImageManifest::minimal(d12.clone(), "debian", "12"),
        Some("/srv/d12".into()),
    );
    envs.remove_image(&d12).unwrap();
    assert!(!envs.catalog().contains(&d12));
    assert_eq!(envs.image_dir(&d12), None);
}
