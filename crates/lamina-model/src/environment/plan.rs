//! A migration plan: it moves the runtimes it covers from image A (`from_image`) to image B
//! (`to_image`) in five instants, with an opt-in and a delay flag layer. This module checks a
//! plan on its own; checks against other plans and the image catalog are in `plan_set`.
//!
//! Instants are non-strictly ordered (T0 ≤ T1 ≤ T2 ≤ T3 ≤ T4): equal instants collapse a
//! phase (T2 = T3 gives no delay week; all five equal is an immediate cut-over at T0).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{EnvironmentError, ImageId};

/// Which runtimes a plan moves.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeSelector {
    /// Every runtime.
    #[default]
    All,
    /// Only these.
    Only(Vec<String>),
    /// Every runtime except these (the seed's plan: all but `nodejs10.x`).
    AllExcept(Vec<String>),
}

impl RuntimeSelector {
    /// Whether `runtime` is moved by the plan.
    pub fn covers(&self, runtime: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(list) => list.iter().any(|r| r == runtime),
            Self::AllExcept(list) => !list.iter().any(|r| r == runtime),
        }
    }
}

/// The five instants of a plan, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phases {
    /// T0: testing starts; the opt-in flag works from here.
    #[serde(with = "time::serde::rfc3339")]
    pub t0: OffsetDateTime,
    /// T1: new and updated functions (modified at or after T1) get image B.
    #[serde(with = "time::serde::rfc3339")]
    pub t1: OffsetDateTime,
    /// T2: general update; every function not delayed gets image B.
    #[serde(with = "time::serde::rfc3339")]
    pub t2: OffsetDateTime,
    /// T3: end of delay; the delay flag stops working (it keeps image A while `now < T3`).
    #[serde(with = "time::serde::rfc3339")]
    pub t3: OffsetDateTime,
    /// T4: completion; everything runs on image B and flags are no-ops.
    #[serde(with = "time::serde::rfc3339")]
    pub t4: OffsetDateTime,
}

/// One of the five phase instants, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    /// Testing starts.
    T0,
    /// New and updated functions.
    T1,
    /// General update.
    T2,
    /// End of delay.
    T3,
    /// Completion.
    T4,
}

impl Phase {
    /// What the phase is called in the seed.
    pub fn label(self) -> &'static str {
        match self {
            Self::T0 => "testing starts",
            Self::T1 => "new and updated functions",
            Self::T2 => "general update",
            Self::T3 => "end of delay",
            Self::T4 => "completion",
        }
    }
}

impl Phases {
    /// The instants with their names, in order.
    pub fn all(&self) -> [(Phase, OffsetDateTime); 5] {
        [
            (Phase::T0, self.t0),
            (Phase::T1, self.t1),
            (Phase::T2, self.t2),
            (Phase::T3, self.t3),
            (Phase::T4, self.t4),
        ]
    }

    /// The last phase that has begun at `now`, if any.
    pub fn current(&self, now: OffsetDateTime) -> Option<Phase> {
        self.all()
            .into_iter()
            .rev()
            .find(|(_, t)| now >= *t)
            .map(|(p, _)| p)
    }
}

/// Which flag a layer ARN is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Run on the new image from T0.
    OptIn,
    /// Keep the old image until T3.
    Delay,
}

/// A migration plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationPlan {
    /// Unique name, 1–64 of `[a-zA-Z0-9-_]`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// Image A, the one functions leave.
    pub from_image: ImageId,
    /// Image B, the one they move to.
    pub to_image: ImageId,
    /// The runtimes moved (default: all).
    #[serde(default)]
    pub runtimes: RuntimeSelector,
    /// The opt-in flag layer ARN (the seed's `arn:aws:lambda:::awslayer:AmazonLinux1803`).
    pub opt_in_layer_arn: String,
    /// The delay flag layer ARN (the seed's `arn:aws:lambda:::awslayer:AmazonLinux1703`).
    pub delay_layer_arn: String,
    /// T0–T4.
    pub phases: Phases,
}

impl MigrationPlan {
    /// Checks the plan on its own: name, distinct images, instants in order, flag ARNs
    /// layer-shaped and distinct, runtimes known and a non-empty `only` list.
    pub fn validate(&self) -> Result<(), EnvironmentError> {
        let invalid = |reason: String| EnvironmentError::InvalidPlan {
            plan: self.name.clone(),
            reason,
        };
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 64
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !name_ok {
            return Err(invalid(
                "the name must be 1-64 letters, digits, '-' or '_'".into(),
            ));
        }
        if self.description.len() > 256 {
            return Err(invalid(
                "the description is longer than 256 characters".into(),
            ));
        }
        if self.from_image == self.to_image {
            return Err(invalid(format!(
                "from_image and to_image are both {}",
                self.from_image
            )));
        }
        let all = self.phases.all();
        for pair in all.windows(2) {
            let ((pa, ta), (pb, tb)) = (pair[0], pair[1]);
            if ta > tb {
                return Err(invalid(format!(
                    "instants out of order: {pa:?} ({}) is after {pb:?} ({}); they must satisfy T0 <= T1 <= T2 <= T3 <= T4",
                    rfc3339(ta),
                    rfc3339(tb)
                )));
            }
        }
        for (field, arn) in [
            ("opt_in_layer_arn", &self.opt_in_layer_arn),
            ("delay_layer_arn", &self.delay_layer_arn),
        ] {
            if !is_flag_layer_arn(arn) {
                return Err(invalid(format!(
                    "{field} {arn:?} is not a layer ARN (arn:aws:lambda:[region]:[account]:layer|awslayer:<name>[:<version>])"
                )));
            }
        }
        if self.opt_in_layer_arn == self.delay_layer_arn {
            return Err(invalid(
                "the opt-in and delay flags must be different layer ARNs".into(),
            ));
        }
        let list = match &self.runtimes {
            RuntimeSelector::All => &[][..],
            RuntimeSelector::Only(list) => {
                if list.is_empty() {
                    return Err(invalid("runtimes.only lists no runtime".into()));
                }
                list.as_slice()
            }
            RuntimeSelector::AllExcept(list) => list.as_slice(),
        };
        if let Some(unknown) = list.iter().find(|r| crate::runtime::lookup(r).is_none()) {
            return Err(invalid(format!("unknown runtime {unknown}")));
        }
        Ok(())
    }

    /// Which flag of this plan `arn` is.
    pub fn flag_kind(&self, arn: &str) -> Option<FlagKind> {
        if arn == self.opt_in_layer_arn {
            Some(FlagKind::OptIn)
        } else if arn == self.delay_layer_arn {
            Some(FlagKind::Delay)
        } else {
            None
        }
    }
}

/// Whether `arn` has a layer ARN's shape, as flags must: `arn:aws…:lambda:<region or
/// empty>:<12 digits or empty>:layer|awslayer:<name>[:<version>]`. The seed's
/// `arn:aws:lambda:::awslayer:AmazonLinux1803` has an empty region and account.
pub fn is_flag_layer_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.split(':').collect();
    let (head, version) = match parts.len() {
        7 => (&parts[..], None),
        8 => (&parts[..7], Some(parts[7])),
        _ => return false,
    };
    let [prefix, partition, service, region, account, kind, name] = head else {
        return false;
    };
    let region_ok = region.is_empty()
        || (region.len() <= 32
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
    let account_ok =
        account.is_empty() || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = !name.is_empty()
        && name.len() <= 140
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    let version_ok = version.is_none_or(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()));
    *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "lambda"
        && region_ok
        && account_ok
        && matches!(*kind, "layer" | "awslayer")
        && name_ok
        && version_ok
}

/// Parses an RFC 3339 instant (`2019-06-11T00:00:00Z`), as `--now`, `--at` and `?at=` take.
pub fn parse_instant(raw: &str) -> Result<OffsetDateTime, EnvironmentError> {
    OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map_err(|_| EnvironmentError::InvalidInstant(raw.to_string()))
}

/// Formats an instant as RFC 3339.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_arns_must_be_layer_shaped() {
        for good in [
            "arn:aws:lambda:::awslayer:AmazonLinux1803",
            "arn:aws:lambda:::awslayer:AmazonLinux1703",
            "arn:aws:lambda:us-east-1:000000000000:layer:optin:1",
            "arn:aws:lambda:us-east-1:000000000000:layer:optin",
        ] {
            assert!(is_flag_layer_arn(good), "{good}");
        }
        for bad in [
            "",
            "AmazonLinux1803",
            "arn:aws:lambda:::function:AmazonLinux1803",
            "arn:aws:s3:::awslayer:AmazonLinux1803",
            "arn:aws:lambda:::awslayer:",
            "arn:aws:lambda::123:layer:x",
            "arn:aws:lambda:::layer:x:v1",
            "arn:aws:lambda:::layer:a b",
        ] {
            assert!(!is_flag_layer_arn(bad), "{bad}");
        }
    }

    #[test]
    fn instants_parse_as_rfc3339_only() {
        assert_eq!(
            parse_instant("2019-06-18T00:00:00Z").unwrap(),
            time::macros::datetime!(2019-06-18 00:00 UTC)
        );
        assert_eq!(
            parse_instant("2019-06-18T02:00:00+02:00").unwrap(),
            time::macros::datetime!(2019-06-18 00:00 UTC)
        );
        for bad in ["2019-06-18", "2019-06-18T00:00:00", "tomorrow", ""] {
            assert!(parse_instant(bad).is_err(), "{bad}");
        }
        assert_eq!(
            rfc3339(time::macros::datetime!(2019-06-18 00:00 UTC)),
            "2019-06-18T00:00:00Z"
        );
    }

    #[test]
    fn selectors_cover() {
        assert!(RuntimeSelector::All.covers("python3.12"));
        assert!(RuntimeSelector::Only(vec!["python3.12".into()]).covers("python3.12"));
        assert!(!RuntimeSelector::Only(vec!["python3.12".into()]).covers("nodejs20.x"));
        assert!(!RuntimeSelector::AllExcept(vec!["nodejs10.x".into()]).covers("nodejs10.x"));
        assert!(RuntimeSelector::AllExcept(vec!["nodejs10.x".into()]).covers("python3.7"));
    }
}
