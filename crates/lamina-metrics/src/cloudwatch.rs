//! The CloudWatch metrics operations Lamina serves — GetMetricStatistics, GetMetricData
//! (metric queries, no math) and ListMetrics — as typed requests and answers with
//! CloudWatch's validation and error codes. The wire protocols (JSON 1.0 and the query
//! protocol with XML) are the API's; this module decides.

use crate::query::{Dimensions, Metric, Statistic};
use crate::{Listed, Metrics, StatsQuery, StoreError};

/// Most datapoints one GetMetricStatistics may ask for.
pub const MAX_DATAPOINTS: i64 = 1440;
/// Most metrics per ListMetrics page.
pub const LIST_PAGE: usize = 500;
/// Most queries in one GetMetricData.
pub const MAX_QUERIES: usize = 500;

/// A refusal, in CloudWatch's codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudWatchError {
    /// `InvalidParameterValue`.
    #[error("{0}")]
    InvalidParameterValue(String),
    /// `MissingParameter`.
    #[error("{0}")]
    MissingParameter(String),
    /// `InvalidParameterCombination`.
    #[error("{0}")]
    InvalidParameterCombination(String),
    /// `InvalidNextToken`.
    #[error("{0}")]
    InvalidNextToken(String),
    /// `InternalServiceError` (the metrics database failed; details are logged).
    #[error("{0}")]
    Internal(String),
}

impl CloudWatchError {
    /// The query-protocol code (`x-amzn-query-error`, XML `Code`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValue",
            Self::MissingParameter(_) => "MissingParameter",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombination",
            Self::InvalidNextToken(_) => "InvalidNextToken",
            Self::Internal(_) => "InternalServiceError",
        }
    }

    /// The model's shape name (JSON `__type`).
    pub fn shape(&self) -> &'static str {
        match self {
            Self::InvalidParameterValue(_) => "InvalidParameterValueException",
            Self::MissingParameter(_) => "MissingRequiredParameterException",
            Self::InvalidParameterCombination(_) => "InvalidParameterCombinationException",
            Self::InvalidNextToken(_) => "InvalidNextToken",
            Self::Internal(_) => "InternalServiceFault",
        }
    }

    /// HTTP status.
    pub fn status(&self) -> u16 {
        match self {
            Self::Internal(_) => 500,
            _ => 400,
        }
    }

    /// Whether the caller is at fault (`Sender`) rather than the service (`Receiver`).
    pub fn sender_fault(&self) -> bool {
        !matches!(self, Self::Internal(_))
    }
}

impl From<StoreError> for CloudWatchError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "reading metrics failed");
        Self::Internal("Lamina could not read its metrics; see the server log".into())
    }
}

fn missing(name: &str) -> CloudWatchError {
    CloudWatchError::MissingParameter(format!("The parameter {name} is required."))
}

fn invalid(message: impl Into<String>) -> CloudWatchError {
    CloudWatchError::InvalidParameterValue(message.into())
}

/// A metric as a request names it.
#[derive(Debug, Clone, Default)]
pub struct MetricRef {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Dimensions`: (Name, Value).
    pub dimensions: Vec<(String, String)>,
}

/// GetMetricStatistics' input.
#[derive(Debug, Clone, Default)]
pub struct GetMetricStatistics {
    /// The metric.
    pub metric: MetricRef,
    /// `StartTime`, seconds.
    pub start_s: Option<i64>,
    /// `EndTime`, seconds.
    pub end_s: Option<i64>,
    /// `Period`, seconds.
    pub period_s: Option<i64>,
    /// `Statistics`.
    pub statistics: Vec<String>,
    /// `ExtendedStatistics`.
    pub extended_statistics: Vec<String>,
    /// `Unit`.
    pub unit: Option<String>,
}

/// One datapoint of GetMetricStatistics.
#[derive(Debug, Clone, PartialEq)]
pub struct Datapoint {
    /// The period's start, seconds.
    pub timestamp_s: i64,
    /// The plain statistics asked for, by name.
    pub statistics: Vec<(&'static str, f64)>,
    /// The percentiles asked for, by the name they were asked with.
    pub extended: Vec<(String, f64)>,
    /// The metric's unit.
    pub unit: &'static str,
}

/// GetMetricStatistics' answer.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStatistics {
    /// `Label`: the metric's name.
    pub label: String,
    /// The datapoints, oldest first.
    pub datapoints: Vec<Datapoint>,
}

/// One query of GetMetricData.
#[derive(Debug, Clone, Default)]
pub struct MetricDataQuery {
    /// `Id`.
    pub id: Option<String>,
    /// `MetricStat.Metric`, when the query has a `MetricStat`.
    pub metric: Option<MetricRef>,
    /// `MetricStat.Period`.
    pub period_s: Option<i64>,
    /// `MetricStat.Stat`.
    pub stat: Option<String>,
    /// `MetricStat.Unit`.
    pub unit: Option<String>,
    /// `Expression` (metric math: not served).
    pub expression: Option<String>,
    /// `Label`.
    pub label: Option<String>,
    /// `ReturnData` (default true).
    pub return_data: Option<bool>,
}

/// GetMetricData's input.
#[derive(Debug, Clone, Default)]
pub struct GetMetricData {
    /// `MetricDataQueries`.
    pub queries: Vec<MetricDataQuery>,
    /// `StartTime`, seconds.
    pub start_s: Option<i64>,
    /// `EndTime`, seconds.
    pub end_s: Option<i64>,
    /// `ScanBy`: `TimestampAscending`, or descending (the default).
    pub scan_by: Option<String>,
    /// `MaxDatapoints`.
    pub max_datapoints: Option<i64>,
}

/// One result of GetMetricData.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricDataResult {
    /// `Id`.
    pub id: String,
    /// `Label` (the query's, or the metric's name).
    pub label: String,
    /// Period starts, seconds, in `ScanBy` order.
    pub timestamps: Vec<i64>,
    /// Values, beside `timestamps`.
    pub values: Vec<f64>,
}

/// ListMetrics' input.
#[derive(Debug, Clone, Default)]
pub struct ListMetrics {
    /// `Namespace`.
    pub namespace: Option<String>,
    /// `MetricName`.
    pub metric_name: Option<String>,
    /// `Dimensions`: (Name, optional Value).
    pub dimensions: Vec<(String, Option<String>)>,
    /// `NextToken`.
    pub next_token: Option<String>,
}

/// ListMetrics' answer.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricList {
    /// A page of metrics.
    pub metrics: Vec<Listed>,
    /// The next page's token.
    pub next_token: Option<String>,
}

fn parse_statistic(name: &str, param: &str) -> Result<Statistic, CloudWatchError> {
    let s = Statistic::parse(name).ok_or_else(|| {
        invalid(format!(
            "The parameter {param} contains invalid value {name}."
        ))
    })?;
    let is_percentile = matches!(s, Statistic::Percentile(_));
    if is_percentile != (param != "Statistics") {
        return Err(invalid(format!(
            "The parameter {param} contains invalid value {name}."
        )));
    }
    Ok(s)
}

fn range(start: Option<i64>, end: Option<i64>) -> Result<(i64, i64), CloudWatchError> {
    let start = start.ok_or_else(|| missing("StartTime"))?;
    let end = end.ok_or_else(|| missing("EndTime"))?;
    if start >= end {
        return Err(invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    Ok((start, end))
}

fn period(p: Option<i64>) -> Result<i64, CloudWatchError> {
    let p = p.ok_or_else(|| missing("Period"))?;
    // Lamina keeps 1-minute rows: no high-resolution periods.
    if p < 60 || p % 60 != 0 {
        return Err(invalid("The parameter Period must be a multiple of 60."));
    }
    Ok(p)
}

/// The query of a metric reference, or `None` when it names nothing Lamina keeps (CloudWatch
/// answers those with no data).
fn stats_query(
    m: &MetricRef,
    start_s: i64,
    end_s: i64,
    period_s: i64,
) -> Result<Option<StatsQuery>, CloudWatchError> {
    let namespace = m.namespace.as_deref().ok_or_else(|| missing("Namespace"))?;
    let name = m
        .metric_name
        .as_deref()
        .ok_or_else(|| missing("MetricName"))?;
    let Some(metric) = Metric::parse(namespace, name) else {
        return Ok(None);
    };
    let Ok(dimensions) =
        Dimensions::from_pairs(m.dimensions.iter().map(|(n, v)| (n.as_str(), v.as_str())))
    else {
        return Ok(None);
    };
    Ok(Some(StatsQuery {
        namespace: namespace.to_string(),
        metric,
        dimensions,
        start_s,
        end_s,
        period_s,
    }))
}

fn unit_matches(unit: Option<&str>, metric: Metric) -> bool {
    unit.is_none_or(|u| u == metric.unit())
}

impl Metrics {
    /// GetMetricStatistics (blocking).
    pub fn get_metric_statistics(
        &self,
        req: &GetMetricStatistics,
    ) -> Result<MetricStatistics, CloudWatchError> {
        let label = req
            .metric
            .metric_name
            .clone()
            .ok_or_else(|| missing("MetricName"))?;
        req.metric
            .namespace
            .as_ref()
            .ok_or_else(|| missing("Namespace"))?;
        let (start_s, end_s) = range(req.start_s, req.end_s)?;
        let period_s = period(req.period_s)?;
        if req.statistics.is_empty() == req.extended_statistics.is_empty() {
            return Err(CloudWatchError::InvalidParameterCombination(
                "Must specify either Statistics or ExtendedStatistics, but not both.".into(),
            ));
        }
        let plain: Vec<(&'static str, Statistic)> = req
            .statistics
            .iter()
            .map(|s| {
                let parsed = parse_statistic(s, "Statistics")?;
                let name = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"]
                    .into_iter()
                    .find(|n| *n == s)
                    .unwrap_or("Sum");
                Ok((name, parsed))
            })
            .collect::<Result<_, CloudWatchError>>()?;
        let extended: Vec<(String, Statistic)> = req
            .extended_statistics
            .iter()
            .map(|s| Ok((s.clone(), parse_statistic(s, "ExtendedStatistics")?)))
            .collect::<Result<_, CloudWatchError>>()?;
        let wanted = (end_s - start_s).div_euclid(period_s)
            + i64::from((end_s - start_s).rem_euclid(period_s) != 0);
        if wanted > MAX_DATAPOINTS {
            return Err(CloudWatchError::InvalidParameterCombination(format!(
                "You have requested up to {wanted} datapoints, which exceeds the limit of {MAX_DATAPOINTS}. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
            )));
        }
        let Some(q) = stats_query(&req.metric, start_s, end_s, period_s)? else {
            return Ok(MetricStatistics {
                label,
                datapoints: Vec::new(),
            });
        };
        if !unit_matches(req.unit.as_deref(), q.metric) {
            return Ok(MetricStatistics {
                label,
                datapoints: Vec::new(),
            });
        }
        let datapoints = self
            .periods(&q)?
            .into_iter()
            .map(|(timestamp_s, folded)| Datapoint {
                timestamp_s,
                statistics: plain
                    .iter()
                    .filter_map(|(n, s)| Some((*n, folded.value(q.metric, *s)?)))
                    .collect(),
                extended: extended
                    .iter()
                    .filter_map(|(n, s)| Some((n.clone(), folded.value(q.metric, *s)?)))
                    .collect(),
                unit: q.metric.unit(),
            })
            .collect();
        Ok(MetricStatistics { label, datapoints })
    }

    /// GetMetricData (blocking): metric queries only; an `Expression` is refused.
    pub fn get_metric_data(
        &self,
        req: &GetMetricData,
    ) -> Result<Vec<MetricDataResult>, CloudWatchError> {
        let (start_s, end_s) = range(req.start_s, req.end_s)?;
        if req.queries.is_empty() {
            return Err(missing("MetricDataQueries"));
        }
        if req.queries.len() > MAX_QUERIES {
            return Err(invalid(format!(
                "The collection MetricDataQueries must not have a size greater than {MAX_QUERIES}."
            )));
        }
        let ascending = match req.scan_by.as_deref() {
            None | Some("TimestampDescending") => false,
            Some("TimestampAscending") => true,
            Some(other) => {
                return Err(invalid(format!(
                    "The parameter ScanBy must be TimestampAscending or TimestampDescending, not {other}."
                )));
            }
        };
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for q in &req.queries {
            let id =
                q.id.clone()
                    .ok_or_else(|| missing("MetricDataQueries.member.Id"))?;
            let valid_id = id.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_id {
                return Err(invalid(format!(
                    "The value {id} for parameter MetricDataQueries.member.Id is not valid: it must start with a lowercase letter and hold only letters, digits and underscores."
                )));
            }
            if !seen.insert(id.clone()) {
                return Err(invalid(format!(
                    "The value {id} for parameter MetricDataQueries.member.Id is non-unique."
                )));
            }
            if q.expression.is_some() {
                return Err(invalid(
                    "Metric math expressions are not supported by Lamina; use MetricStat queries.",
                ));
            }
            let metric = q.metric.as_ref().ok_or_else(|| {
                CloudWatchError::InvalidParameterCombination(format!(
                    "Exactly one of MetricStat and Expression must be given for query {id}."
                ))
            })?;
            let period_s = period(q.period_s)?;
            let stat_name = q
                .stat
                .as_deref()
                .ok_or_else(|| missing("MetricStat.Stat"))?;
            let stat = Statistic::parse(stat_name).ok_or_else(|| {
                invalid(format!(
                    "The value {stat_name} for parameter MetricStat.Stat is not valid."
                ))
            })?;
            let label = q
                .label
                .clone()
                .or_else(|| metric.metric_name.clone())
                .unwrap_or_default();
            let mut points: Vec<(i64, f64)> = match stats_query(metric, start_s, end_s, period_s)? {
                Some(sq) if unit_matches(q.unit.as_deref(), sq.metric) => self
                    .periods(&sq)?
                    .into_iter()
                    .filter_map(|(t, f)| Some((t, f.value(sq.metric, stat)?)))
                    .collect(),
                _ => Vec::new(),
            };
            if q.return_data == Some(false) {
                continue;
            }
            if !ascending {
                points.reverse();
            }
            if let Some(max) = req.max_datapoints.and_then(|m| usize::try_from(m).ok()) {
                points.truncate(max);
            }
            out.push(MetricDataResult {
                id,
                label,
                timestamps: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
            });
        }
        Ok(out)
    }

    /// ListMetrics (blocking), in pages of [`LIST_PAGE`].
    pub fn list_metrics(&self, req: &ListMetrics) -> Result<MetricList, CloudWatchError> {
        let start = match req.next_token.as_deref() {
            None => 0,
            Some(t) => t.parse::<usize>().map_err(|_| {
                CloudWatchError::InvalidNextToken("The NextToken is not valid.".into())
            })?,
        };
        let all: Vec<Listed> = self
            .list()?
            .into_iter()
            .filter(|l| req.namespace.as_deref().is_none_or(|n| n == l.namespace))
            .filter(|l| {
                req.metric_name
                    .as_deref()
                    .is_none_or(|n| n == l.metric.name())
            })
            .filter(|l| {
                req.dimensions.iter().all(|(name, value)| {
                    l.dimensions
                        .iter()
                        .any(|(n, v)| n == name && value.as_ref().is_none_or(|want| want == v))
                })
            })
            .collect();
        if start > all.len() {
            return Err(CloudWatchError::InvalidNextToken(
                "The NextToken is not valid.".into(),
            ));
        }
        let end = (start + LIST_PAGE).min(all.len());
        Ok(MetricList {
            metrics: all[start..end].to_vec(),
            next_token: (end < all.len()).then(|| end.to_string()),
        })
    }
}
