//! `validate` on the fixtures: every valid template passes clean (lint included), and every
//! broken one gives exactly the expected errors, each with its logical id, line and message.

// Test helpers panic on a broken fixture, which is the failure a test should show.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use lamina_sam::{
    Diagnostic, Options, Severity, has_errors, render, render_streams, validate_source,
};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn check(relative: &str, lint: bool) -> Vec<Diagnostic> {
    let path = fixtures().join(relative);
    let text = std::fs::read_to_string(&path).unwrap();
    let base_dir = path.parent().unwrap().to_path_buf();
    validate_source(
        &text,
        &Options {
            lint,
            base_dir,
            ..Options::default()
        },
    )
}

#[test]
fn valid_templates_pass_clean_even_with_lint() {
    for name in [
        "hello-python/template.yaml",
        "hello-node/template.yaml",
        "api-routes/template.yaml",
        "layers/template.yaml",
        "events/template.yaml",
        "params-conditions/template.yaml",
        "json/template.json",
    ] {
        let diagnostics = check(name, true);
        assert!(diagnostics.is_empty(), "{name}: {diagnostics:#?}");
        assert_eq!(
            render(&diagnostics, name),
            format!("{name} is a valid SAM Template\n")
        );
    }
}

/// (fixture, [(line, logical id, message substring)]) — exactly these errors, no others.
/// One expected error: line, logical id, message substring.
type Expected = (usize, Option<&'static str>, &'static str);

const BROKEN: &[(&str, &[Expected])] = &[
    (
        "unknown-runtime.yaml",
        &[(
            9,
            Some("HelloFunction"),
            "Runtime 'python9.9' is not a Lambda runtime",
        )],
    ),
    (
        "runtime-from-parameter.yaml",
        &[(
            12,
            Some("ParamRuntimeFunction"),
            "Runtime 'python9.9' is not a Lambda runtime",
        )],
    ),
    (
        "memory-out-of-bounds.yaml",
        &[(
            9,
            Some("BigFunction"),
            "MemorySize must be between 128 and 10240 MB, found 20000",
        )],
    ),
    (
        "timeout-out-of-bounds.yaml",
        &[(
            4,
            Some("SlowFunction"),
            "Timeout must be between 1 and 900 seconds, found 901",
        )],
    ),
    (
        "missing-handler.yaml",
        &[(3, Some("NoHandlerFunction"), "'Handler' is missing")],
    ),
    (
        "undefined-ref.yaml",
        &[
            (
                11,
                Some("RefFunction"),
                "Ref 'MissingTable' refers to an undefined parameter or resource",
            ),
            (
                12,
                Some("RefFunction"),
                "'${MissingApi}' refers to an undefined parameter or resource",
            ),
            (
                13,
                Some("RefFunction"),
                "Fn::GetAtt refers to undefined resource 'MissingQueue'",
            ),
        ],
    ),
    (
        "undefined-ref.json",
        &[
            (
                10,
                Some("JsonFunction"),
                "MemorySize must be between 128 and 10240 MB, found 64",
            ),
            (
                11,
                Some("JsonFunction"),
                "Ref 'Nowhere' refers to an undefined parameter or resource",
            ),
        ],
    ),
    (
        "api-missing-path.yaml",
        &[(
            13,
            Some("ApiFunction"),
            "Event with id [Hello] is invalid. Property 'Path' is required.",
        )],
    ),
    (
        "bad-transform.yaml",
        &[
            (
                2,
                None,
                "Transform 'AWS::Serverless-2016-10-32' is not a known transform",
            ),
            (
                4,
                Some("HelloFunction"),
                "needs 'Transform: AWS::Serverless-2016-10-31'",
            ),
        ],
    ),
    (
        "no-transform.yaml",
        &[(
            3,
            Some("HelloFunction"),
            "needs 'Transform: AWS::Serverless-2016-10-31'",
        )],
    ),
    (
        "bad-format-version.yaml",
        &[(
            1,
            None,
            "AWSTemplateFormatVersion must be '2010-09-09', found '2012-01-01'",
        )],
    ),
    (
        "bad-globals.yaml",
        &[
            (
                5,
                Some("Globals"),
                "'Role' is not a supported property of 'Function'",
            ),
            (6, Some("Globals"), "'Table' is not supported"),
        ],
    ),
    (
        "too-many-layers.yaml",
        &[(16, Some("LayeredFunction"), "at most 5 layers, found 6")],
    ),
    (
        "undefined-condition.yaml",
        &[
            (
                7,
                Some("CondFunction"),
                "Condition 'IsStaging' is not defined",
            ),
            (
                11,
                Some("CondFunction"),
                "Condition 'IsTest' is not defined",
            ),
        ],
    ),
    (
        "bad-environment.yaml",
        &[
            (
                12,
                Some("EnvFunction"),
                "environment variable 'NESTED' must be a string, found a map",
            ),
            (
                13,
                Some("EnvFunction"),
                "environment variable name '1BAD' is not valid",
            ),
        ],
    ),
    (
        "unknown-event-type.yaml",
        &[
            (
                11,
                Some("EventFunction"),
                "Event with id [Carrier] is invalid. Resource dict has missing or invalid value for key Type. Event Type is: Pigeon.",
            ),
            (
                16,
                Some("EventFunction"),
                "Event with id [Queue] is invalid. Property 'Queue' is required.",
            ),
            (
                19,
                Some("EventFunction"),
                "Event with id [Ticks] is invalid. Property 'Schedule' is required.",
            ),
            (
                23,
                Some("EventFunction"),
                "Event with id [Stream] is invalid. Property 'StartingPosition' is required.",
            ),
        ],
    ),
    (
        "missing-type.yaml",
        &[(
            3,
            Some("NoTypeResource"),
            "Resource dict missing key 'Type'.",
        )],
    ),
    (
        "no-resources.yaml",
        &[(1, None, "'Resources' section is required")],
    ),
    (
        "not-well-formed.yaml",
        &[(5, None, "template is not well-formed")],
    ),
    (
        "bad-parameters.yaml",
        &[
            (
                5,
                Some("Stage"),
                "Default 'test' is not one of AllowedValues [dev, prod]",
            ),
            (8, Some("Size"), "parameter Type 'Integer' is not valid"),
        ],
    ),
    (
        "unknown-property.yaml",
        &[(
            9,
            Some("TypoFunction"),
            "property Memory not defined for resource of type AWS::Serverless::Function",
        )],
    ),
    (
        "duplicate-route.yaml",
        &[(
            19,
            Some("OtherAddFunction"),
            "Event with id [AddAgain] is invalid. API method \"post\" defined multiple times for path \"/add\".",
        )],
    ),
    (
        "s3-bucket-not-in-template.yaml",
        &[(
            13,
            Some("UploadFunction"),
            "Event with id [Upload] is invalid. S3 events must reference an S3 bucket in the same template.",
        )],
    ),
    (
        "bad-alias.yaml",
        &[
            (
                9,
                Some("AliasFunction"),
                "AutoPublishAlias name ('live@prod') must contain only alphanumeric characters",
            ),
            (
                17,
                Some("CanaryFunction"),
                "'DeploymentPreference' requires AutoPublishAlias property to be specified.",
            ),
        ],
    ),
    (
        "http-api-path-without-method.yaml",
        &[(
            13,
            Some("HttpFunction"),
            "Event with id [Proxy] is invalid. Property 'Method' is required.",
        )],
    ),
    (
        "unknown-tag.yaml",
        &[(8, Some("TagFunction"), "unknown tag '!Bogus'")],
    ),
];

/// Broken fixtures the SAM translator accepts (CloudFormation or Lambda would reject them at
/// deploy time): valid for `validate`, and each problem is a `--lint` warning.
const DEPLOY_ONLY: &[&str] = &[
    "bad-environment.yaml",
    "bad-format-version.yaml",
    "bad-parameters.yaml",
    "bad-transform.yaml",
    "memory-out-of-bounds.yaml",
    "missing-type.yaml",
    "no-transform.yaml",
    "runtime-from-parameter.yaml",
    "timeout-out-of-bounds.yaml",
    "too-many-layers.yaml",
    "undefined-condition.yaml",
    "undefined-ref.json",
    "undefined-ref.yaml",
    "unknown-runtime.yaml",
    "unknown-tag.yaml",
];

#[test]
fn broken_templates_give_exactly_the_expected_errors() {
    let mut seen = Vec::new();
    for (name, expected) in BROKEN {
        if DEPLOY_ONLY.contains(name) {
            assert!(
                !has_errors(&check(&format!("broken/{name}"), false)),
                "{name} is rejected"
            );
            let warnings = check(&format!("broken/{name}"), true);
            for (line, id, text) in *expected {
                assert!(
                    warnings.iter().any(|d| d.severity == Severity::Warning
                        && d.line == *line
                        && d.logical_id.as_deref() == *id
                        && d.message.contains(text)),
                    "{name}: no warning at line {line} [{id:?}] containing {text:?} in {warnings:#?}"
                );
            }
            seen.push(*name);
            continue;
        }
        let diagnostics = check(&format!("broken/{name}"), false);
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(has_errors(&diagnostics), "{name} passed");
        assert_eq!(errors.len(), expected.len(), "{name}: {errors:#?}");
        for (line, id, text) in *expected {
            assert!(
                errors.iter().any(|d| d.line == *line
                    && d.logical_id.as_deref() == *id
                    && d.message.contains(text)),
                "{name}: no error at line {line} [{id:?}] containing {text:?} in {errors:#?}"
            );
        }
        seen.push(*name);
    }
    // Every broken fixture is in the table.
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures().join("broken"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    seen.sort();
    assert_eq!(on_disk, seen);
}

#[test]
fn render_lists_problems_as_path_line_col_id_message() {
    let diagnostics = check("broken/unknown-property.yaml", false);
    let out = render(&diagnostics, "template.yaml");
    assert_eq!(
        out,
        "template.yaml:9:7: [TypoFunction] property Memory not defined for resource of type AWS::Serverless::Function\n\
         Template provided at 'template.yaml' was invalid SAM Template. 1 error found.\n"
    );
}

#[test]
fn streams_are_split_as_sam_validate_splits_them() {
    let (stdout, stderr) = render_streams(&check("broken/unknown-property.yaml", false), "t.yaml");
    assert_eq!(
        stdout,
        "Template provided at 't.yaml' was invalid SAM Template. 1 error found.\n"
    );
    assert_eq!(
        stderr,
        "t.yaml:9:7: [TypoFunction] property Memory not defined for resource of type AWS::Serverless::Function\n"
    );
    let (stdout, stderr) = render_streams(&[], "ok.yaml");
    assert_eq!(
        (stdout.as_str(), stderr.as_str()),
        ("ok.yaml is a valid SAM Template\n", "")
    );
}

#[test]
fn lint_warns_without_failing() {
    let diagnostics = check("lint/template.yaml", true);
    assert!(!has_errors(&diagnostics), "{diagnostics:#?}");
    let expect = [
        (4, "Unused", "parameter 'Unused' is declared but never used"),
        (16, "OldFunction", "runtime 'python3.8' is deprecated"),
        (
            23,
            "JavaFunction",
            "CodeUri 'target/missing/' does not exist",
        ),
        (25, "JavaFunction", "runtime 'java21' cannot run locally"),
        (27, "JavaFunction", "event 'Rule' has no Pattern"),
        (
            31,
            "BothFunction",
            "both InlineCode and CodeUri are set: InlineCode is used",
        ),
        (
            38,
            "NoCodeFunction",
            "neither CodeUri nor InlineCode is set",
        ),
        (43, "NoContentLayer", "ContentUri is not set"),
        (
            47,
            "",
            "duplicate key 'LayerName': the earlier value is ignored",
        ),
    ];
    assert_eq!(diagnostics.len(), expect.len(), "{diagnostics:#?}");
    for (line, id, text) in expect {
        assert!(
            diagnostics.iter().any(|d| d.severity == Severity::Warning
                && d.line == line
                && d.logical_id.as_deref() == Some(id).filter(|id| !id.is_empty())
                && d.message.contains(text)),
            "no warning at {line} [{id}] {text:?}: {diagnostics:#?}"
        );
    }
    // Without --lint the same template is simply valid.
    assert!(check("lint/template.yaml", false).is_empty());
    let out = render(&diagnostics, "t.yaml");
    assert!(out.contains("t.yaml:16:16: [OldFunction] warning: runtime 'python3.8' is deprecated"));
    assert!(out.ends_with("t.yaml is a valid SAM Template\n"));
}

#[test]
fn a_deprecated_runtime_is_valid_and_an_override_is_checked() {
    let text = "Transform: AWS::Serverless-2016-10-31\nParameters:\n  Rt: {Type: String, Default: python3.12, AllowedValues: [python3.12, nodejs4.3-edge]}\n\
                Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {InlineCode: x, Handler: i.h, Runtime: !Ref Rt}\n";
    let mut options = Options::default();
    assert!(validate_source(text, &options).is_empty());
    options
        .parameter_overrides
        .insert("Rt".into(), "nodejs4.3-edge".into());
    assert!(validate_source(text, &options).is_empty());
    options
        .parameter_overrides
        .insert("Rt".into(), "python9.9".into());
    // The translator accepts it; CloudFormation and Lambda would not, which `--lint` says.
    assert!(!has_errors(&validate_source(text, &options)));
    options.lint = true;
    let d = validate_source(text, &options);
    assert!(
        d.iter().any(|d| d
            .message
            .contains("override 'python9.9' is not one of AllowedValues")),
        "{d:#?}"
    );
    assert!(
        d.iter().any(|d| d.line == 7
            && d.message
                .contains("Runtime 'python9.9' is not a Lambda runtime")),
        "{d:#?}"
    );
}
