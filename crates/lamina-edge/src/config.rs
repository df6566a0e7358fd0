//! The part of CloudFront's `DistributionConfig` (API 2020-05-31) that Lamina acts on: aliases,
//! origins, cache behaviors with their TTLs, cache key and Lambda@Edge associations. The XML a
//! client sent is kept as it came (so `GetDistributionConfig` hands back exactly what was
//! stored); this module reads the subset into types and checks what CloudFront checks about
//! its shape. Function rules (versions, limits) are `associations.rs`'s.

use serde::Deserialize;

use crate::error::CfError;

/// CloudFront's `Quantity` + `Items` list; the item element's name does not matter here.
#[derive(Debug, Clone, Deserialize)]
struct List<T> {
    #[serde(rename = "Items", default = "Option::default")]
    items: Option<Items<T>>,
}

#[derive(Debug, Clone, Deserialize)]
struct Items<T> {
    #[serde(rename = "$value", default = "Vec::new")]
    items: Vec<T>,
}

impl<T> List<T> {
    fn into_vec(list: Option<Self>) -> Vec<T> {
        list.and_then(|l| l.items)
            .map(|i| i.items)
            .unwrap_or_default()
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    caller_reference: String,
    #[serde(default)]
    aliases: Option<List<String>>,
    #[serde(default)]
    default_root_object: Option<String>,
    origins: List<RawOrigin>,
    default_cache_behavior: RawBehavior,
    #[serde(default)]
    cache_behaviors: Option<List<RawBehavior>>,
    #[serde(default)]
    comment: Option<String>,
    enabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawOrigin {
    id: String,
    domain_name: String,
    #[serde(default)]
    origin_path: Option<String>,
    #[serde(default)]
    custom_headers: Option<List<RawCustomHeader>>,
    #[serde(default)]
    custom_origin_config: Option<RawCustomOrigin>,
    #[serde(default, rename = "S3OriginConfig")]
    s3_origin_config: Option<serde::de::IgnoredAny>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCustomHeader {
    header_name: String,
    header_value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCustomOrigin {
    #[serde(rename = "HTTPPort")]
    http_port: u16,
    #[serde(rename = "HTTPSPort")]
    https_port: u16,
    origin_protocol_policy: String,
    #[serde(default)]
    origin_read_timeout: Option<u32>,
    #[serde(default)]
    origin_keepalive_timeout: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawBehavior {
    #[serde(default)]
    path_pattern: Option<String>,
    target_origin_id: String,
    #[serde(default)]
    lambda_function_associations: Option<List<RawAssociation>>,
    #[serde(default, rename = "MinTTL")]
    min_ttl: Option<u64>,
    #[serde(default, rename = "DefaultTTL")]
    default_ttl: Option<u64>,
    #[serde(default, rename = "MaxTTL")]
    max_ttl: Option<u64>,
    #[serde(default)]
    forwarded_values: Option<RawForwarded>,
    #[serde(default)]
    cache_policy_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawAssociation {
    #[serde(rename = "LambdaFunctionARN")]
    lambda_function_arn: String,
    event_type: String,
    #[serde(default)]
    include_body: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawForwarded {
    query_string: bool,
    #[serde(default)]
    cookies: Option<RawCookies>,
    #[serde(default)]
    headers: Option<List<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RawCookies {
    forward: String,
    #[serde(default)]
    whitelisted_names: Option<List<String>>,
}

/// A distribution's configuration, as the proxy and the checks use it.
#[derive(Debug, Clone)]
pub struct DistributionConfig {
    /// `CallerReference`: makes CreateDistribution idempotent.
    pub caller_reference: String,
    /// Alternate domain names (CNAMEs) the distribution answers to.
    pub aliases: Vec<String>,
    /// Object served for `/`.
    pub default_root_object: Option<String>,
    /// Origins by id.
    pub origins: Vec<Origin>,
    /// `DefaultCacheBehavior`.
    pub default_behavior: Behavior,
    /// `CacheBehaviors`, in the order they are matched.
    pub behaviors: Vec<Behavior>,
    /// `Comment`.
    pub comment: String,
    /// Whether the distribution serves requests.
    pub enabled: bool,
}

/// One origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Its id (`TargetOriginId` names it).
    pub id: String,
    /// Host name to connect to.
    pub domain_name: String,
    /// `OriginPath`: prefix added to every request's path.
    pub path: String,
    /// Headers added to every origin request.
    pub custom_headers: Vec<(String, String)>,
    /// Custom (HTTP) or S3.
    pub kind: OriginKind,
}

/// What kind of origin, with its connection settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginKind {
    /// `CustomOriginConfig`.
    Custom {
        /// `HTTPPort`.
        http_port: u16,
        /// `HTTPSPort`.
        https_port: u16,
        /// `http-only`, `https-only` or `match-viewer`.
        protocol_policy: String,
        /// `OriginReadTimeout` in seconds (default 30).
        read_timeout: u32,
        /// `OriginKeepaliveTimeout` in seconds (default 5).
        keepalive_timeout: u32,
    },
    /// `S3OriginConfig` (accepted and shown in events; Lamina fetches only HTTP origins).
    S3,
}

/// Which trigger an association runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    /// Before the cache, on every request.
    ViewerRequest,
    /// On a miss, before the origin fetch.
    OriginRequest,
    /// After the origin answered, before caching.
    OriginResponse,
    /// Before the answer goes to the viewer.
    ViewerResponse,
}

impl EventType {
    /// Parses CloudFront's name.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "viewer-request" => Self::ViewerRequest,
            "origin-request" => Self::OriginRequest,
            "origin-response" => Self::OriginResponse,
            "viewer-response" => Self::ViewerResponse,
            _ => return None,
        })
    }

    /// CloudFront's name (the event's `config.eventType`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ViewerRequest => "viewer-request",
            Self::OriginRequest => "origin-request",
            Self::OriginResponse => "origin-response",
            Self::ViewerResponse => "viewer-response",
        }
    }

    /// Viewer triggers have the tighter limits.
    pub fn is_viewer(self) -> bool {
        matches!(self, Self::ViewerRequest | Self::ViewerResponse)
    }
}

/// A Lambda@Edge association.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Association {
    /// The function version's ARN.
    pub function_arn: String,
    /// The trigger.
    pub event_type: EventType,
    /// Whether the request body is exposed to the function.
    pub include_body: bool,
}

/// What goes into the cache key besides the path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheKey {
    /// The query string is part of the key (and forwarded to the origin).
    pub query_string: bool,
    /// Header names (lower case) that are part of the key.
    pub headers: Vec<String>,
    /// Cookie names in the key; `None` for none, `Some(empty)` with `all_cookies` for all.
    pub cookies: Vec<String>,
    /// `Forward: all`.
    pub all_cookies: bool,
}

/// One cache behavior.
#[derive(Debug, Clone)]
pub struct Behavior {
    /// `PathPattern` (`None` for the default behavior).
    pub path_pattern: Option<String>,
    /// The origin it fetches from.
    pub target_origin_id: String,
    /// Its triggers.
    pub associations: Vec<Association>,
    /// TTL bounds in seconds.
    pub min_ttl: u64,
    /// TTL when the origin says nothing.
    pub default_ttl: u64,
    /// Upper TTL bound.
    pub max_ttl: u64,
    /// The cache key.
    pub cache_key: CacheKey,
}

impl Behavior {
    /// The association for `event`, if any.
    pub fn association(&self, event: EventType) -> Option<&Association> {
        self.associations.iter().find(|a| a.event_type == event)
    }
}

/// Managed cache policy `CachingOptimized`.
pub const CACHING_OPTIMIZED: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// Managed cache policy `CachingDisabled`.
pub const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";

impl DistributionConfig {
    /// Reads a `DistributionConfig` document and checks its shape as CloudFront does.
    pub fn parse(xml: &str) -> Result<Self, CfError> {
        let raw: RawConfig = quick_xml::de::from_str(xml).map_err(|e| {
            CfError::malformed(format!(
                "1 validation error detected: the DistributionConfig document is not valid: {e}"
            ))
        })?;
        let origins = List::into_vec(Some(raw.origins))
            .into_iter()
            .map(origin)
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            return Err(CfError::invalid_argument(
                "The parameter Origins must contain at least one origin.",
            ));
        }
        let default_behavior = behavior(raw.default_cache_behavior, false)?;
        let behaviors = List::into_vec(raw.cache_behaviors)
            .into_iter()
            .map(|b| behavior(b, true))
            .collect::<Result<Vec<_>, _>>()?;
        for b in std::iter::once(&default_behavior).chain(&behaviors) {
            if !origins.iter().any(|o| o.id == b.target_origin_id) {
                return Err(CfError::no_such_origin());
            }
        }
        Ok(Self {
            caller_reference: raw.caller_reference,
            aliases: List::into_vec(raw.aliases)
                .into_iter()
                .map(|a| a.to_ascii_lowercase())
                .collect(),
            default_root_object: raw.default_root_object.filter(|o| !o.is_empty()),
            origins,
            default_behavior,
            behaviors,
            comment: raw.comment.unwrap_or_default(),
            enabled: raw.enabled,
        })
    }

    /// Every behavior: the path-pattern ones in order, then the default.
    pub fn all_behaviors(&self) -> impl Iterator<Item = &Behavior> {
        self.behaviors
            .iter()
            .chain(std::iter::once(&self.default_behavior))
    }

    /// The behavior whose path pattern matches `path` first, else the default one.
    pub fn behavior_for(&self, path: &str) -> &Behavior {
        self.behaviors
            .iter()
            .find(|b| {
                b.path_pattern
                    .as_deref()
                    .is_some_and(|p| path_matches(p, path))
            })
            .unwrap_or(&self.default_behavior)
    }

    /// The origin called `id`.
    pub fn origin(&self, id: &str) -> Option<&Origin> {
        self.origins.iter().find(|o| o.id == id)
    }
}

fn origin(raw: RawOrigin) -> Result<Origin, CfError> {
    let path = raw.origin_path.unwrap_or_default();
    if !path.is_empty() && (!path.starts_with('/') || path.ends_with('/') || path.len() > 255) {
        return Err(CfError::invalid_argument(
            "The parameter origin path must start with a slash, must not end with a slash and must be at most 255 characters.",
        ));
    }
    if raw.domain_name.is_empty() || raw.domain_name.len() > 253 {
        return Err(CfError::invalid_argument(
            "The parameter origin name must be a domain name.",
        ));
    }
    let kind = match (raw.custom_origin_config, raw.s3_origin_config) {
        (Some(c), None) => {
            let read_timeout = c.origin_read_timeout.unwrap_or(30);
            let keepalive_timeout = c.origin_keepalive_timeout.unwrap_or(5);
            if !(1..=180).contains(&read_timeout) || !(1..=60).contains(&keepalive_timeout) {
                return Err(CfError::invalid_argument(
                    "The parameter OriginReadTimeout or OriginKeepaliveTimeout is out of range.",
                ));
            }
            if !matches!(
                c.origin_protocol_policy.as_str(),
                "http-only" | "https-only" | "match-viewer"
            ) {
                return Err(CfError::invalid_argument(
                    "The parameter OriginProtocolPolicy must be http-only, https-only or match-viewer.",
                ));
            }
            OriginKind::Custom {
                http_port: c.http_port,
                https_port: c.https_port,
                protocol_policy: c.origin_protocol_policy,
                read_timeout,
                keepalive_timeout,
            }
        }
        (None, Some(_)) => OriginKind::S3,
        _ => {
            return Err(CfError::invalid_origin(
                "Exactly one of CustomOriginConfig and S3OriginConfig must be specified",
            ));
        }
    };
    Ok(Origin {
        id: raw.id,
        domain_name: raw.domain_name.to_ascii_lowercase(),
        path,
        custom_headers: List::into_vec(raw.custom_headers)
            .into_iter()
            .map(|h| (h.header_name, h.header_value))
            .collect(),
        kind,
    })
}

fn behavior(raw: RawBehavior, needs_pattern: bool) -> Result<Behavior, CfError> {
    if needs_pattern && raw.path_pattern.as_deref().unwrap_or("").is_empty() {
        return Err(CfError::invalid_argument(
            "The parameter PathPattern is required for a cache behavior.",
        ));
    }
    let mut associations: Vec<Association> = Vec::new();
    for a in List::into_vec(raw.lambda_function_associations) {
        let event_type = EventType::parse(&a.event_type).ok_or_else(|| {
            CfError::invalid_association(format!(
                "The event type {} is not valid. Valid event types are viewer-request, origin-request, origin-response and viewer-response.",
                a.event_type
            ))
        })?;
        if associations.iter().any(|x| x.event_type == event_type) {
            return Err(CfError::invalid_association(format!(
                "A cache behavior can have only one Lambda function association for the event type {}.",
                event_type.as_str()
            )));
        }
        if a.include_body == Some(true)
            && !matches!(
                event_type,
                EventType::ViewerRequest | EventType::OriginRequest
            )
        {
            return Err(CfError::invalid_association(
                "IncludeBody is only valid for viewer-request and origin-request event types.",
            ));
        }
        associations.push(Association {
            function_arn: a.lambda_function_arn,
            event_type,
            include_body: a.include_body.unwrap_or(false),
        });
    }
    let (min_ttl, default_ttl, max_ttl, cache_key) = match (
        raw.cache_policy_id.as_deref(),
        raw.forwarded_values,
    ) {
        (Some(CACHING_OPTIMIZED), None) => (1, 86_400, 31_536_000, CacheKey::default()),
        (Some(CACHING_DISABLED), None) => (0, 0, 0, CacheKey::default()),
        (Some(id), None) => {
            return Err(CfError::no_such_cache_policy(id));
        }
        (None, Some(f)) => {
            let min = raw.min_ttl.unwrap_or(0);
            let default = raw.default_ttl.unwrap_or(86_400);
            let max = raw.max_ttl.unwrap_or(31_536_000);
            if !(min <= default && default <= max) {
                return Err(CfError::invalid_ttl_order());
            }
            let (all_cookies, cookies) = match f.cookies {
                Some(c) if c.forward == "all" => (true, Vec::new()),
                Some(c) if c.forward == "whitelist" => (false, List::into_vec(c.whitelisted_names)),
                _ => (false, Vec::new()),
            };
            let key = CacheKey {
                query_string: f.query_string,
                headers: List::into_vec(f.headers)
                    .into_iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect(),
                cookies,
                all_cookies,
            };
            (min, default, max, key)
        }
        (Some(_), Some(_)) => {
            return Err(CfError::invalid_argument(
                "The parameter ForwardedValues cannot be used when a cache policy is associated to the cache behavior.",
            ));
        }
        (None, None) => {
            return Err(CfError::invalid_argument(
                "The parameter ForwardedValues is required.",
            ));
        }
    };
    Ok(Behavior {
        path_pattern: raw.path_pattern.filter(|p| !p.is_empty()),
        target_origin_id: raw.target_origin_id,
        associations,
        min_ttl,
        default_ttl,
        max_ttl,
        cache_key,
    })
}

/// CloudFront's path patterns: `*` matches any run of characters (slashes included), `?`
/// exactly one; matching is case-sensitive and a pattern without a leading `/` still matches
/// from the root.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix('/').unwrap_or(pattern);
    let path = path.strip_prefix('/').unwrap_or(path);
    glob(pattern.as_bytes(), path.as_bytes())
}

fn glob(p: &[u8], s: &[u8]) -> bool {
    // Iterative wildcard matching with one backtrack point (the last `*`).
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<DistributionConfig xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><CallerReference>ref-1</CallerReference><Aliases><Quantity>2</Quantity><Items><CNAME>www.Example.test</CNAME><CNAME>cdn.example.test</CNAME></Items></Aliases><Origins><Quantity>1</Quantity><Items><Origin><Id>web</Id><DomainName>localhost</DomainName><OriginPath>/base</OriginPath><CustomHeaders><Quantity>1</Quantity><Items><OriginCustomHeader><HeaderName>X-Origin-Key</HeaderName><HeaderValue>k1</HeaderValue></OriginCustomHeader></Items></CustomHeaders><CustomOriginConfig><HTTPPort>8080</HTTPPort><HTTPSPort>443</HTTPSPort><OriginProtocolPolicy>http-only</OriginProtocolPolicy></CustomOriginConfig></Origin></Items></Origins><DefaultCacheBehavior><TargetOriginId>web</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><LambdaFunctionAssociations><Quantity>1</Quantity><Items><LambdaFunctionAssociation><LambdaFunctionARN>arn:aws:lambda:us-east-1:000000000000:function:f:1</LambdaFunctionARN><EventType>viewer-request</EventType><IncludeBody>true</IncludeBody></LambdaFunctionAssociation></Items></LambdaFunctionAssociations><MinTTL>0</MinTTL><ForwardedValues><QueryString>true</QueryString><Cookies><Forward>none</Forward></Cookies><Headers><Quantity>1</Quantity><Items><Name>Accept-Language</Name></Items></Headers></ForwardedValues><DefaultTTL>60</DefaultTTL><MaxTTL>600</MaxTTL></DefaultCacheBehavior><CacheBehaviors><Quantity>1</Quantity><Items><CacheBehavior><PathPattern>/api/*</PathPattern><TargetOriginId>web</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><CachePolicyId>4135ea2d-6df8-44a3-9df3-4b5a84be39ad</CachePolicyId></CacheBehavior></Items></CacheBehaviors><Comment></Comment><Enabled>true</Enabled></DistributionConfig>"#;

    #[test]
    fn reads_the_subset_lamina_uses() {
        let c = DistributionConfig::parse(CONFIG).unwrap();
        assert_eq!(c.caller_reference, "ref-1");
        assert_eq!(c.aliases, ["www.example.test", "cdn.example.test"]);
        assert_eq!(c.origins.len(), 1);
        assert_eq!(c.origins[0].path, "/base");
        assert_eq!(
            c.origins[0].custom_headers,
            [("X-Origin-Key".to_string(), "k1".to_string())]
        );
        assert!(matches!(
            c.origins[0].kind,
            OriginKind::Custom {
                http_port: 8080,
                read_timeout: 30,
                ..
            }
        ));
        let d = &c.default_behavior;
        assert_eq!((d.min_ttl, d.default_ttl, d.max_ttl), (0, 60, 600));
        assert!(d.cache_key.query_string);
        assert_eq!(d.cache_key.headers, ["accept-language"]);
        let a = d.association(EventType::ViewerRequest).unwrap();
        assert!(a.include_body);
        assert!(a.function_arn.ends_with(":f:1"));
        assert_eq!(c.behaviors.len(), 1);
        assert_eq!(c.behaviors[0].max_ttl, 0);
        assert_eq!(
            c.behavior_for("/api/x/y").path_pattern.as_deref(),
            Some("/api/*")
        );
        assert!(c.behavior_for("/index.html").path_pattern.is_none());
        assert!(c.enabled);
    }

    #[test]
    fn unknown_origin_and_bad_event_type_are_refused() {
        let bad = CONFIG.replace("<TargetOriginId>web</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><CachePolicyId>", "<TargetOriginId>nope</TargetOriginId><ViewerProtocolPolicy>allow-all</ViewerProtocolPolicy><CachePolicyId>");
        assert_eq!(
            DistributionConfig::parse(&bad).unwrap_err().code,
            "NoSuchOrigin"
        );
        let bad = CONFIG.replace("<EventType>viewer-request", "<EventType>viewer-sideways");
        assert_eq!(
            DistributionConfig::parse(&bad).unwrap_err().code,
            "InvalidLambdaFunctionAssociation"
        );
        assert_eq!(
            DistributionConfig::parse("<DistributionConfig>")
                .unwrap_err()
                .code,
            "MalformedInput"
        );
    }

    #[test]
    fn path_patterns_match_as_cloudfront_does() {
        assert!(path_matches("/images/*.jpg", "/images/a/b.jpg"));
        assert!(path_matches("images/*", "/images/x"));
        assert!(path_matches("/a?c", "/abc"));
        assert!(!path_matches("/a?c", "/abbc"));
        assert!(!path_matches("/images/*.jpg", "/images/a.png"));
        assert!(path_matches("*", "/anything"));
        assert!(!path_matches("/Images/*", "/images/x"));
    }
}
