//! The plan file format: one plan per TOML file, with the same field names as the JSON the
//! API takes (`docs/migration.md` documents it; `docs/examples/amazon-linux-2019.toml` is the
//! seed's plan). Instants may be TOML offset date-times (`t0 = 2019-05-14T00:00:00Z`) or
//! RFC 3339 strings; a local date-time without an offset is refused, since phase instants
//! must be unambiguous.

use super::{EnvironmentError, MigrationPlan};

/// Parses and checks (on its own) a plan file.
pub fn parse_plan_toml(text: &str) -> Result<MigrationPlan, EnvironmentError> {
    let value: toml::Value =
        toml::from_str(text).map_err(|e| EnvironmentError::File(e.to_string()))?;
    let json = to_json(value)?;
    let plan: MigrationPlan =
        serde_json::from_value(json).map_err(|e| EnvironmentError::File(e.to_string()))?;
    plan.validate()?;
    Ok(plan)
}

/// A plan as a TOML file (instants as RFC 3339 strings).
pub fn plan_to_toml(plan: &MigrationPlan) -> Result<String, EnvironmentError> {
    toml::to_string(plan).map_err(|e| EnvironmentError::File(e.to_string()))
}

/// TOML values as JSON, date-times as their RFC 3339 text.
fn to_json(value: toml::Value) -> Result<serde_json::Value, EnvironmentError> {
    Ok(match value {
        toml::Value::String(s) => serde_json::Value::String(s),
        toml::Value::Integer(i) => serde_json::Value::from(i),
        toml::Value::Float(f) => serde_json::Value::from(f),
        toml::Value::Boolean(b) => serde_json::Value::Bool(b),
        toml::Value::Datetime(d) => {
            if d.offset.is_none() || d.date.is_none() || d.time.is_none() {
                return Err(EnvironmentError::File(format!(
                    "date-time {d} has no UTC offset; write it as e.g. 2019-06-18T00:00:00Z"
                )));
            }
            serde_json::Value::String(d.to_string())
        }
        toml::Value::Array(items) => serde_json::Value::Array(
            items
                .into_iter()
                .map(to_json)
                .collect::<Result<Vec<_>, _>>()?,
        ),
        toml::Value::Table(table) => serde_json::Value::Object(
            table
                .into_iter()
                .map(|(k, v)| Ok((k, to_json(v)?)))
                .collect::<Result<serde_json::Map<_, _>, EnvironmentError>>()?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::environment::RuntimeSelector;

    const SEED: &str = include_str!("../../../../docs/examples/amazon-linux-2019.toml");

    #[test]
    fn the_seed_example_parses_with_its_timeline_and_flags() {
        let plan = parse_plan_toml(SEED).unwrap();
        assert_eq!(plan.name, "amazon-linux-2019");
        assert_eq!(plan.from_image.as_str(), "debian-12");
        assert_eq!(plan.to_image.as_str(), "debian-13");
        assert_eq!(
            plan.opt_in_layer_arn,
            "arn:aws:lambda:::awslayer:AmazonLinux1803"
        );
        assert_eq!(
            plan.delay_layer_arn,
            "arn:aws:lambda:::awslayer:AmazonLinux1703"
        );
        assert_eq!(
            plan.runtimes,
            RuntimeSelector::AllExcept(vec!["nodejs10.x".into()])
        );
        let p = plan.phases;
        assert_eq!(p.t0, time::macros::datetime!(2019-05-14 00:00 UTC));
        assert_eq!(p.t1, time::macros::datetime!(2019-05-21 00:00 UTC));
        assert_eq!(p.t2, time::macros::datetime!(2019-06-11 00:00 UTC));
        assert_eq!(p.t3, time::macros::datetime!(2019-06-18 00:00 UTC));
        assert_eq!(p.t4, time::macros::datetime!(2019-06-24 00:00 UTC));
    }

    #[test]
    fn round_trips_through_toml_text() {
        let plan = parse_plan_toml(SEED).unwrap();
        let text = plan_to_toml(&plan).unwrap();
        assert_eq!(parse_plan_toml(&text).unwrap(), plan);
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let local = SEED.replace("2019-05-14T00:00:00Z", "2019-05-14T00:00:00");
        let e = parse_plan_toml(&local).unwrap_err().to_string();
        assert!(e.contains("no UTC offset"), "{e}");
        let unknown_field = format!("{SEED}\ncolour = \"blue\"\n");
        assert!(parse_plan_toml(&unknown_field).is_err());
        let swapped = SEED.replace("2019-06-11T00:00:00Z", "2019-06-30T00:00:00Z");
        let e = parse_plan_toml(&swapped).unwrap_err().to_string();
        assert!(e.contains("out of order"), "{e}");
        assert!(parse_plan_toml("name = ").is_err());
    }
}
