//! The typed model local commands will run from: functions with Globals applied and
//! intrinsics evaluated, code and layer folders, routes.

// Test helpers panic on a broken fixture, which is the failure a test should show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lamina_sam::{
    ApiKind, Code, Context, EventKind, LayerRef, LayerSource, Model, PackageType, Template,
    parse_parameter_overrides,
};

fn dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str, file: &str) -> Template {
    Template::load(&dir(name).join(file)).unwrap()
}

#[test]
fn hello_python_function_is_ready_to_run() {
    let t = load("hello-python", "template.yaml");
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    let f = model.function("HelloWorldFunction").unwrap();
    assert_eq!(f.handler.as_deref(), Some("app.lambda_handler"));
    assert_eq!(f.runtime.as_deref(), Some("python3.11"));
    assert_eq!((f.memory_size, f.timeout), (128, 3));
    assert_eq!(f.package_type, PackageType::Zip);
    assert_eq!(f.architectures, ["x86_64"]);
    let code = f.code_dir(&dir("hello-python")).unwrap();
    assert!(code.join("app.py").is_file(), "{}", code.display());
    let routes = f.routes();
    assert_eq!(routes.len(), 1);
    assert_eq!(
        (
            routes[0].api,
            routes[0].method.as_str(),
            routes[0].path.as_str()
        ),
        (ApiKind::Rest, "GET", "/hello")
    );
    assert_eq!(routes[0].payload_format_version, "1.0");
}

#[test]
fn hello_node_environment_is_strings() {
    let t = load("hello-node", "template.yaml");
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    let f = &model.functions[0];
    assert_eq!((f.memory_size, f.timeout), (256, 10));
    assert_eq!(f.environment["GREETING"], "hello");
    assert_eq!(f.environment["RETRIES"], "3");
    assert_eq!(f.environment["VERBOSE"], "true");
    assert!(
        f.code_dir(&dir("hello-node"))
            .unwrap()
            .join("app.mjs")
            .is_file()
    );
    let routes = f.routes();
    assert_eq!(
        (
            routes[0].api,
            routes[0].method.as_str(),
            routes[0].path.as_str()
        ),
        (ApiKind::Http, "ANY", "$default")
    );
    assert_eq!(routes[0].payload_format_version, "2.0");
}

#[test]
fn api_and_http_api_routes() {
    let t = load("api-routes", "template.yaml");
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    let routes: Vec<_> = model
        .routes()
        .into_iter()
        .map(|r| {
            (
                r.function,
                r.api,
                r.method,
                r.path,
                r.api_id,
                r.payload_format_version,
            )
        })
        .collect();
    let s = |x: &str| x.to_string();
    assert_eq!(
        routes,
        vec![
            (
                s("ItemsFunction"),
                ApiKind::Rest,
                s("GET"),
                s("/items"),
                None,
                s("1.0")
            ),
            (
                s("ItemsFunction"),
                ApiKind::Rest,
                s("POST"),
                s("/items"),
                Some(s("MyApi")),
                s("1.0")
            ),
            (
                s("ItemsFunction"),
                ApiKind::Rest,
                s("ANY"),
                s("/items/{id}"),
                None,
                s("1.0")
            ),
            (
                s("UsersFunction"),
                ApiKind::Http,
                s("GET"),
                s("/users/{id}"),
                Some(s("MyHttpApi")),
                s("1.0")
            ),
            (
                s("UsersFunction"),
                ApiKind::Http,
                s("ANY"),
                s("/{proxy+}"),
                None,
                s("2.0")
            ),
        ]
    );
    // CodeUri and Runtime come from Globals.
    let f = model.function("UsersFunction").unwrap();
    assert_eq!(f.code, Some(Code::Local("src/".into())));
    assert_eq!(f.runtime.as_deref(), Some("python3.12"));
}

#[test]
fn layers_resolve_to_local_folders_remote_layers_and_arns() {
    let t = load("layers", "template.yaml");
    let model =
        Model::build(&Context::new(&t, &BTreeMap::new()).with_pseudo("AWS::Region", "eu-west-1"))
            .unwrap();
    let f = model.function("LayeredFunction").unwrap();
    assert_eq!(
        f.layers,
        vec![
            LayerRef::Local("CommonLayer".into()),
            LayerRef::Local("RemoteLayer".into()),
            LayerRef::Arn("arn:aws:lambda:::awslayer:AmazonLinux1803".into()),
            LayerRef::Arn("arn:aws:lambda:eu-west-1:123456789012:layer:shared:4".into()),
        ]
    );
    let sources = model.layer_sources(f, &dir("layers"));
    match &sources[0] {
        LayerSource::Local { logical_id, path } => {
            assert_eq!(logical_id, "CommonLayer");
            assert!(path.join("python/common.py").is_file());
        }
        other => panic!("expected a local layer, got {other:?}"),
    }
    assert_eq!(sources[1], LayerSource::Remote("RemoteLayer".into()));
    assert_eq!(
        sources[2],
        LayerSource::Arn("arn:aws:lambda:::awslayer:AmazonLinux1803".into())
    );
    let common = model.layer("CommonLayer").unwrap();
    assert_eq!(common.compatible_runtimes, ["python3.11", "python3.12"]);
    assert_eq!(common.layer_name.as_deref(), Some("common"));
}

#[test]
fn events_are_typed() {
    let t = load("events", "template.yaml");
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    let f = model.function("Worker").unwrap();
    let kinds: Vec<_> = f
        .events
        .iter()
        .map(|e| (e.name.as_str(), &e.kind))
        .collect();
    assert!(
        matches!(kinds[0], ("Upload", EventKind::S3 { bucket, events }) if bucket == "Uploads" && events == &["s3:ObjectCreated:*"])
    );
    // GetAtt needs a deployed stack: kept in long form.
    assert!(
        matches!(kinds[1], ("Job", EventKind::Sqs { queue }) if queue["Fn::GetAtt"][0] == "Jobs")
    );
    assert!(matches!(kinds[2], ("Alert", EventKind::Sns { topic }) if topic == "Alerts"));
    assert!(
        matches!(kinds[3], ("Nightly", EventKind::Schedule { schedule }) if schedule == "cron(0 3 * * ? *)")
    );
    assert!(
        matches!(kinds[4], ("Hourly", EventKind::ScheduleV2 { schedule_expression }) if schedule_expression == "rate(1 hour)")
    );
    assert!(
        matches!(kinds[5], ("Changes", EventKind::DynamoDb { starting_position: Some(p), .. }) if p == "LATEST")
    );
    assert!(
        matches!(kinds[6], ("Rule", EventKind::EventBridgeRule { pattern: Some(p) }) if p["source"][0] == "aws.ec2")
    );
    assert!(f.routes().is_empty());
}

#[test]
fn parameters_conditions_and_overrides_drive_the_model() {
    let t = load("params-conditions", "template.yaml");
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    assert!(
        model.function("ProdOnlyFunction").is_none(),
        "IsProd is false by default"
    );
    let f = model.function("ApiFunction").unwrap();
    assert_eq!(f.function_name.as_deref(), Some("local-api-dev"));
    assert_eq!((f.memory_size, f.timeout), (256, 10));
    assert_eq!(f.runtime.as_deref(), Some("python3.12"));
    let env = &f.environment;
    assert_eq!(env["STAGE"], "dev", "from Globals");
    assert_eq!(env["LOG_LEVEL"], "DEBUG");
    assert_eq!(env["ZONES"], "a|b|c");
    assert_eq!(env["SECOND_ZONE"], "b");
    assert_eq!(env["FIRST_PART"], "alpha");
    assert_eq!(env["REGION"], "us-east-1");
    assert_eq!(env["ACCOUNT"], "123456789012");
    assert_eq!(
        env["TABLE_ARN"], "",
        "GetAtt is unknown locally, as in SAM CLI"
    );
    assert_eq!(env["DEBUG"], "1");
    assert_eq!(env["PROD_EAST"], "no");

    let overrides =
        parse_parameter_overrides(&["Stage=prod ParameterKey=Zones,ParameterValue=x,y"]).unwrap();
    let model = Model::build(&Context::new(&t, &overrides)).unwrap();
    let f = model.function("ApiFunction").unwrap();
    assert_eq!(f.function_name.as_deref(), Some("local-api-prod"));
    assert_eq!((f.memory_size, f.timeout), (1024, 30));
    assert_eq!(f.environment["LOG_LEVEL"], "WARN");
    assert_eq!(f.environment["ZONES"], "x|y");
    assert!(
        !f.environment.contains_key("DEBUG"),
        "AWS::NoValue removes the variable"
    );
    assert_eq!(f.environment["PROD_EAST"], "yes");
    let prod = model.function("ProdOnlyFunction").unwrap();
    assert!(matches!(&prod.code, Some(Code::Inline(src)) if src.contains("def handler")));
    assert_eq!(prod.runtime.as_deref(), Some("python3.12"));

    let model = Model::build(&Context::new(&t, &overrides).with_pseudo("AWS::Region", "eu-west-1"))
        .unwrap();
    assert_eq!(
        model.function("ApiFunction").unwrap().environment["PROD_EAST"],
        "no"
    );
}

#[test]
fn json_template_gives_the_same_model_as_yaml() {
    let t = load("json", "template.json");
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    let f = model.function("JsonFunction").unwrap();
    assert_eq!(f.memory_size, 512);
    assert_eq!(f.environment["GREETING"], "hello from json");
    assert_eq!(f.code_dir(&dir("json")), Some(dir("json").join("src/")));
    assert_eq!(f.routes()[0].path, "/json");
    assert_eq!((f.line, f.col), (8, 3));
}

#[test]
fn cloudformation_functions_and_image_functions_are_modelled_too() {
    let t = Template::parse(
        "Resources:\n\
         \x20 Plain:\n    Type: AWS::Lambda::Function\n    Properties: {Code: ./build, Handler: h.main, Runtime: provided.al2023, MemorySize: 512}\n\
         \x20 Zip:\n    Type: AWS::Lambda::Function\n    Properties: {Code: {ZipFile: 'exports.handler = async () => 1'}, Handler: index.handler, Runtime: nodejs20.x}\n\
         \x20 Bucketed:\n    Type: AWS::Lambda::Function\n    Properties: {Code: {S3Bucket: b, S3Key: k.zip}, Handler: a.b, Runtime: python3.12}\n\
         \x20 Img:\n    Type: AWS::Serverless::Function\n    Properties: {PackageType: Image, ImageUri: repo/img:1}\n",
    )
    .unwrap();
    let model = Model::build(&Context::new(&t, &BTreeMap::new())).unwrap();
    let plain = model.function("Plain").unwrap();
    assert_eq!(
        plain.code_dir(Path::new("/t")),
        Some(PathBuf::from("/t/./build"))
    );
    assert_eq!(plain.memory_size, 512);
    let zip = model.function("Zip").unwrap();
    assert!(matches!(&zip.code, Some(Code::Inline(src)) if src.starts_with("exports.handler")));
    assert_eq!(zip.code_dir(Path::new("/t")), None);
    let bucketed = model.function("Bucketed").unwrap();
    assert_eq!(
        bucketed.code,
        Some(Code::S3 {
            bucket: "b".into(),
            key: "k.zip".into(),
            version: None
        })
    );
    let img = model.function("Img").unwrap();
    assert_eq!(img.package_type, PackageType::Image);
    assert_eq!(img.code, Some(Code::Image("repo/img:1".into())));
    assert_eq!(img.code_dir(Path::new("/t")), None);
}
