//! Router tests for `/lamina/images`, `/lamina/functions/{name}/scan` and
//! `/lamina/plans/{name}/impact`: the axum app in-process over a `MemoryStore`, with an
//! [`ImageService`] over a temporary data folder and cache. Images are registered as
//! manifests (no root file systems are needed to list, show, remove or scan).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::{Extension, Router};
use lamina_api::control::ImageService;
use lamina_api::{AppState, Control, ControlLimits};
use lamina_model::environment::{ImageId, ImageManifest, parse_plan_toml};
use lamina_model::{Account, Clock, FixedClock};
use serde_json::json;

use common::{call, zip_b64};
use time::macros::datetime;

const SEED: &str = include_str!("../../../docs/examples/amazon-linux-2019.toml");

struct App {
    router: Router,
    data: tempfile::TempDir,
    _cache: tempfile::TempDir,
}

/// debian-12 defines GLIBC up to 2.36, debian-13 up to 2.41 (as the real images do).
fn manifest(id: &str, version: &str, glibc_max: u32) -> ImageManifest {
    let mut m = ImageManifest::minimal(ImageId::new(id).unwrap(), "debian", version);
    // Old releases added versions with a third part (GLIBC_2.2.5, GLIBC_2.3.4).
    let versions: BTreeSet<String> = (0..=glibc_max)
        .map(|n| format!("GLIBC_2.{n}"))
        .chain((0..=4).flat_map(|n| (0..10).map(move |m| format!("GLIBC_2.{n}.{m}"))))
        .collect();
    m.libraries.insert("libc.so.6".into(), versions);
    m.libraries
        .insert("ld-linux-x86-64.so.2".into(), BTreeSet::new());
    m
}

fn app() -> App {
    let clock = Arc::new(FixedClock::new(datetime!(2019-05-01 00:00 UTC)));
    let store: Arc<dyn lamina_store::Store> = Arc::new(lamina_store::MemoryStore::new());
    let control = Arc::new(Control::new(
        Arc::clone(&store),
        Account::default(),
        ControlLimits::default(),
        clock as Arc<dyn Clock>,
    ));
    let envs = Arc::clone(control.environments());
    envs.register_image(manifest("debian-12", "12", 36), None);
    envs.register_image(manifest("debian-13", "13", 41), None);
    envs.set_scanner(Arc::new(lamina_api::control::StoreScanner::new(store)));
    let data = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let service = Arc::new(ImageService {
        catalog: lamina_images::DiskCatalog::new(data.path()),
        cache_dir: cache.path().to_path_buf(),
    });
    let state = Arc::new(AppState {
        control,
        runtime_versions: envs,
        base_url: "http://127.0.0.1:9001".into(),
        engine: None,
    });
    App {
        router: lamina_api::router(state).layer(Extension(service)),
        data,
        _cache: cache,
    }
}

async fn create(app: &App, name: &str, files: &[(&str, &[u8])]) {
    let body = json!({
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": "arn:aws:iam::000000000000:role/lambda",
        "Handler": "app.handler",
        "Code": { "ZipFile": zip_b64(files) },
    });
    let (status, _, body) = call(&app.router, "POST", "/2015-03-31/functions", Some(body)).await;
    assert_eq!(status, 201, "{body}");
}

#[tokio::test]
async fn list_show_and_unknown_images() {
    let app = app();
    let (status, _, body) = call(&app.router, "GET", "/lamina/images", None).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = body["Images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["debian-12", "debian-13", "host"]);
    assert_eq!(body["Images"][0]["library_count"], 2);
    let (status, _, body) = call(&app.router, "GET", "/lamina/images/debian-12", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["os_version"], "12");
    let (status, kind, body) = call(&app.router, "GET", "/lamina/images/debian-99", None).await;
    assert_eq!((status, kind.as_str()), (404, "ResourceNotFoundException"));
    assert_eq!(body["Message"], "no image debian-99 in the catalog");
    let (status, _, _) = call(&app.router, "GET", "/lamina/images/Not_An_Id", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn removal_is_refused_while_a_plan_or_function_needs_the_image() {
    let app = app();
    let plan = serde_json::to_value(parse_plan_toml(SEED).unwrap()).unwrap();
    let (status, _, _) = call(&app.router, "POST", "/lamina/plans", Some(plan)).await;
    assert_eq!(status, 201);
    let (status, kind, body) = call(&app.router, "DELETE", "/lamina/images/debian-12", None).await;
    assert_eq!((status, kind.as_str()), (409, "ResourceConflictException"));
    let msg = body["Message"].as_str().unwrap();
    assert!(msg.contains("migration plan amazon-linux-2019"), "{msg}");
    // Nothing changed.
    let (status, _, _) = call(&app.router, "GET", "/lamina/images/debian-12", None).await;
    assert_eq!(status, 200);
    let (status, _, _) = call(
        &app.router,
        "DELETE",
        "/lamina/plans/amazon-linux-2019",
        None,
    )
    .await;
    assert_eq!(status, 204);
    // Now free: removed (it was registered without a folder, so only the catalog changes).
    let (status, _, _) = call(&app.router, "DELETE", "/lamina/images/debian-12", None).await;
    assert_eq!(status, 204);
    let (status, _, _) = call(&app.router, "GET", "/lamina/images/debian-12", None).await;
    assert_eq!(status, 404);
    let (status, _, body) = call(&app.router, "DELETE", "/lamina/images/host", None).await;
    assert_eq!(status, 400, "{body}");
    assert!(app.data.path().exists());
}

#[tokio::test]
async fn bad_build_requests_change_nothing() {
    let app = app();
    for (body, want) in [
        (json!({"Base": "debian-11"}), "unknown base image"),
        (
            json!({"Base": "debian-12", "Packages": ["--force-yes"]}),
            "invalid Debian package name",
        ),
        (json!({"Base": "debian-12", "Name": "Bad Name"}), "image id"),
        (json!({"Base": "debian-12"}), "exists already"),
    ] {
        let (status, _, got) =
            call(&app.router, "POST", "/lamina/images", Some(body.clone())).await;
        assert!(status == 400 || status == 409, "{body} → {status} {got}");
        let msg = got["Message"].as_str().unwrap().to_lowercase();
        assert!(msg.contains(&want.to_lowercase()), "{body} → {msg}");
    }
    let (_, _, body) = call(&app.router, "GET", "/lamina/images", None).await;
    assert_eq!(body["Images"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn scanner_routes_and_migrate_status_verdicts() {
    let app = app();
    // The host's /bin/true needs some GLIBC_2.x versions: compatible with both fake images.
    let true_bin = std::fs::read("/bin/true").unwrap();
    create(
        &app,
        "native",
        &[("bin/true", &true_bin), ("app.py", b"x=1")],
    )
    .await;
    create(&app, "scripts", &[("app.py", b"x=1")]).await;
    let (status, _, r) = call(
        &app.router,
        "GET",
        "/lamina/functions/native/scan?image=debian-12",
        None,
    )
    .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["verdict"], "compatible");
    assert_eq!(r["elf_files"], json!(["/var/task/bin/true"]));
    let (_, _, r) = call(
        &app.router,
        "GET",
        "/lamina/functions/scripts/scan?image=debian-12",
        None,
    )
    .await;
    assert_eq!(r["verdict"], "no native code");
    let (status, _, _) = call(
        &app.router,
        "GET",
        "/lamina/functions/native/scan?image=debian-99",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = call(
        &app.router,
        "GET",
        "/lamina/functions/missing/scan?image=debian-12",
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = call(&app.router, "GET", "/lamina/functions/native/scan", None).await;
    assert_eq!(status, 400);

    let plan = serde_json::to_value(parse_plan_toml(SEED).unwrap()).unwrap();
    call(&app.router, "POST", "/lamina/plans", Some(plan)).await;
    let (status, _, impact) = call(
        &app.router,
        "GET",
        "/lamina/plans/amazon-linux-2019/impact",
        None,
    )
    .await;
    assert_eq!(status, 200, "{impact}");
    assert_eq!(impact["image"], "debian-13");
    assert_eq!(impact["affected"], 0);
    assert_eq!(impact["functions"].as_array().unwrap().len(), 2);
    let (status, _, _) = call(&app.router, "GET", "/lamina/plans/nope/impact", None).await;
    assert_eq!(status, 404);

    let (_, _, st) = call(&app.router, "GET", "/lamina/migration/status", None).await;
    let native = st["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["function"] == "native")
        .unwrap()
        .clone();
    assert_eq!(native["scan"]["debian-12"], "compatible");
    assert_eq!(native["scan"]["debian-13"], "compatible");
}
