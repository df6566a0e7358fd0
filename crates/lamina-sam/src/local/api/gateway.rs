//! What the template's APIs configure for `start-api`, read once at start: each API's stage
//! name and stage variables, its CORS settings and its authorizers, and which authorizer
//! guards each route (the event's `Auth.Authorizer`, else the API's `DefaultAuthorizer`).
//!
//! An API is the implicit REST or HTTP API (configured by `Globals`) or an explicit
//! `AWS::Serverless::Api`/`HttpApi` named by a route's `RestApiId`/`ApiId`.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::event::{ApiKind, Route};
use crate::globals;
use crate::intrinsic::{Context, stringify};
use crate::local::project::Project;
use crate::node::Node;

/// CORS settings of an API, as the headers API Gateway answers with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// `Access-Control-Allow-Origin` values (`*` or origins).
    pub allow_origins: Vec<String>,
    /// `Access-Control-Allow-Methods`.
    pub allow_methods: Option<String>,
    /// `Access-Control-Allow-Headers`.
    pub allow_headers: Option<String>,
    /// `Access-Control-Expose-Headers` (HTTP APIs).
    pub expose_headers: Option<String>,
    /// `Access-Control-Max-Age`.
    pub max_age: Option<String>,
    /// `Access-Control-Allow-Credentials: true`.
    pub allow_credentials: bool,
}

impl Cors {
    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if allowed.
    pub fn origin_for(&self, origin: Option<&str>) -> Option<String> {
        if self.allow_origins.iter().any(|o| o == "*") {
            return Some("*".into());
        }
        let origin = origin?;
        self.allow_origins
            .iter()
            .find(|o| o.as_str() == origin)
            .cloned()
    }
}

/// What an authorizer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizerKind {
    /// A REST API Lambda authorizer with a token in one header.
    Token {
        /// The header carrying the token.
        header: String,
    },
    /// A REST API Lambda authorizer given the request's identity sources.
    Request,
    /// An HTTP API Lambda authorizer.
    HttpLambda {
        /// `AuthorizerPayloadFormatVersion`: `1.0` or `2.0`.
        payload_version: String,
        /// `EnableSimpleResponses`: `{"isAuthorized": …}` instead of an IAM policy.
        simple_responses: bool,
    },
    /// An HTTP API JWT authorizer (the token is decoded, not verified: no network).
    Jwt {
        /// `JwtConfiguration.issuer`.
        issuer: Option<String>,
        /// `JwtConfiguration.audience`.
        audience: Vec<String>,
    },
}

/// Where an authorizer takes its identity from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentitySources {
    /// Header names (lower case).
    pub headers: Vec<String>,
    /// Query string parameter names.
    pub query_strings: Vec<String>,
    /// Stage variable names.
    pub stage_variables: Vec<String>,
}

/// One authorizer of an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// Its name in `Authorizers`.
    pub name: String,
    /// What it is.
    pub kind: AuthorizerKind,
    /// The function that decides (Lambda authorizers), by logical id.
    pub function: Option<String>,
    /// Its identity sources.
    pub identity: IdentitySources,
    /// How long a decision is cached, in seconds (0: not cached).
    pub ttl_seconds: u64,
}

/// One API's configuration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiConfig {
    /// The stage name (REST: `StageName`, default `Prod`; HTTP: `StageName`, default
    /// `$default`).
    pub stage: String,
    /// Stage variables (REST `Variables`, HTTP `StageVariables`).
    pub stage_variables: BTreeMap<String, String>,
    /// CORS, if configured.
    pub cors: Option<Cors>,
    /// The API's authorizers by name.
    pub authorizers: BTreeMap<String, Authorizer>,
    /// `DefaultAuthorizer`.
    pub default_authorizer: Option<String>,
}

/// The configuration of every API the routes use.
#[derive(Debug, Clone, Default)]
pub struct Gateway {
    apis: BTreeMap<(bool, Option<String>), ApiConfig>,
    route_auth: BTreeMap<(String, String), Option<String>>,
}

impl Gateway {
    /// Reads the APIs of a project for its routes; `rest_stage` is the REST stage when the
    /// template names none.
    pub fn new(project: &Project, routes: &[Route], rest_stage: &str) -> Gateway {
        let t = &project.template;
        let ctx = Context::new(t, &project.overrides);
        let mut g = Gateway::default();
        for route in routes {
            let http = route.api == ApiKind::Http;
            let key = (http, route.api_id.clone());
            if let std::collections::btree_map::Entry::Vacant(slot) = g.apis.entry(key) {
                let section = if http { "HttpApi" } else { "Api" };
                let props = match &route.api_id {
                    Some(id) => t
                        .resource(id)
                        .and_then(|r| globals::resource_properties(t, r, section)),
                    None => t.globals.as_ref().and_then(|gl| gl.get(section)).cloned(),
                };
                slot.insert(api_config(&ctx, props.as_ref(), http, rest_stage));
            }
            let auth = t
                .resource(&route.function)
                .and_then(|r| r.properties.as_ref())
                .and_then(|p| p.get("Events"))
                .and_then(|e| e.get(&route.event))
                .and_then(|e| e.get("Properties"))
                .and_then(|p| p.get("Auth"))
                .and_then(|a| a.get("Authorizer"))
                .and_then(|a| text(&ctx, a));
            g.route_auth
                .insert((route.function.clone(), route.event.clone()), auth);
        }
        g
    }

    /// The configuration of the API serving `route`.
    pub fn api(&self, route: &Route) -> Option<&ApiConfig> {
        self.apis
            .get(&(route.api == ApiKind::Http, route.api_id.clone()))
    }

    /// The authorizer guarding `route`, if any (`NONE` and `AWS_IAM` guard nothing locally).
    pub fn authorizer(&self, route: &Route) -> Option<&Authorizer> {
        let api = self.api(route)?;
        let named = self
            .route_auth
            .get(&(route.function.clone(), route.event.clone()))
            .cloned()
            .flatten()
            .or_else(|| api.default_authorizer.clone())?;
        api.authorizers.get(&named)
    }

    /// CORS of any API of the given kind (for preflight requests no route matches).
    pub fn cors_for_kind(&self, http: bool) -> Option<&Cors> {
        self.apis
            .iter()
            .filter(|((h, _), _)| *h == http)
            .find_map(|(_, api)| api.cors.as_ref())
    }
}

fn text(ctx: &Context<'_>, node: &Node) -> Option<String> {
    ctx.resolve(node).ok().as_ref().and_then(stringify)
}

fn strings(ctx: &Context<'_>, node: Option<&Node>) -> Vec<String> {
    match node.and_then(|n| ctx.resolve(n).ok()) {
        Some(J::Array(items)) => items.iter().filter_map(stringify).collect(),
        Some(J::String(s)) => vec![s],
        _ => Vec::new(),
    }
}

/// REST CORS values are quoted header values (`"'*'"`).
fn unquote(s: String) -> String {
    s.strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .map(str::to_string)
        .unwrap_or(s)
}

fn api_config(ctx: &Context<'_>, props: Option<&Node>, http: bool, rest_stage: &str) -> ApiConfig {
    let get = |k: &str| props.and_then(|p| p.get(k));
    let stage = get("StageName")
        .and_then(|n| text(ctx, n))
        .unwrap_or_else(|| {
            if http {
                "$default".into()
            } else {
                rest_stage.into()
            }
        });
    let vars_key = if http { "StageVariables" } else { "Variables" };
    let stage_variables = match get(vars_key).and_then(|n| ctx.resolve(n).ok()) {
        Some(J::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), stringify(v)?)))
            .collect(),
        _ => BTreeMap::new(),
    };
    let cors = if http {
        get("CorsConfiguration").and_then(|n| http_cors(ctx, n))
    } else {
        get("Cors").and_then(|n| rest_cors(ctx, n))
    };
    let auth = get("Auth");
    let default_authorizer = auth
        .and_then(|a| a.get("DefaultAuthorizer"))
        .and_then(|n| text(ctx, n));
    let mut authorizers = BTreeMap::new();
    if let Some(list) = auth
        .and_then(|a| a.get("Authorizers"))
        .and_then(Node::as_map)
    {
        for (key, a) in list {
            if let Some(found) = authorizer(ctx, &key.name, a, http) {
                authorizers.insert(key.name.clone(), found);
            }
        }
    }
    ApiConfig {
        stage,
        stage_variables,
        cors,
        authorizers,
        default_authorizer,
    }
}

fn rest_cors(ctx: &Context<'_>, node: &Node) -> Option<Cors> {
    if let Some(origin) = node.as_str().filter(|_| node.as_map().is_none()) {
        return Some(Cors {
            allow_origins: vec![unquote(origin.to_string())],
            allow_methods: Some("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT".into()),
            allow_headers: None,
            ..Cors::default()
        });
    }
    let value = |k: &str| node.get(k).and_then(|n| text(ctx, n)).map(unquote);
    Some(Cors {
        allow_origins: vec![value("AllowOrigin")?],
        allow_methods: value("AllowMethods")
            .or_else(|| Some("DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT".into())),
        allow_headers: value("AllowHeaders"),
        expose_headers: None,
        max_age: value("MaxAge"),
        allow_credentials: value("AllowCredentials").as_deref() == Some("true"),
    })
}

fn http_cors(ctx: &Context<'_>, node: &Node) -> Option<Cors> {
    match ctx.resolve(node).ok()? {
        J::Bool(false) => None,
        J::Bool(true) => Some(Cors {
            allow_origins: vec!["*".into()],
            allow_methods: Some("*".into()),
            allow_headers: Some("*".into()),
            ..Cors::default()
        }),
        J::Object(_) => {
            let join = |k: &str| {
                let v = strings(ctx, node.get(k));
                (!v.is_empty()).then(|| v.join(","))
            };
            Some(Cors {
                allow_origins: strings(ctx, node.get("AllowOrigins")),
                allow_methods: join("AllowMethods"),
                allow_headers: join("AllowHeaders"),
                expose_headers: join("ExposeHeaders"),
                max_age: node.get("MaxAge").and_then(|n| text(ctx, n)),
                allow_credentials: node
                    .get("AllowCredentials")
                    .and_then(|n| text(ctx, n))
                    .as_deref()
                    == Some("true"),
            })
        }
        _ => None,
    }
}

/// The function a `FunctionArn` names: `!GetAtt Fn.Arn`, `!Ref Fn` or `!Sub ${Fn.Arn}`.
fn function_of(node: &Node) -> Option<String> {
    match node.intrinsic()? {
        ("Fn::GetAtt", target) => match &target.value {
            crate::node::Value::Seq(items) => items.first()?.as_str().map(str::to_string),
            _ => target.as_str()?.split('.').next().map(str::to_string),
        },
        ("Ref", target) => target.as_str().map(str::to_string),
        ("Fn::Sub", target) => {
            let s = target.as_str()?;
            let start = s.find("${")? + 2;
            let end = s[start..].find(['.', '}'])? + start;
            Some(s[start..end].to_string())
        }
        _ => None,
    }
}

fn authorizer(ctx: &Context<'_>, name: &str, a: &Node, http: bool) -> Option<Authorizer> {
    let identity = a.get("Identity");
    let lower = |v: Vec<String>| v.into_iter().map(|h| h.to_ascii_lowercase()).collect();
    let ttl = |default: u64| {
        identity
            .and_then(|i| i.get("ReauthorizeEvery"))
            .and_then(|n| text(ctx, n))
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    if http {
        if let Some(jwt) = a.get("JwtConfiguration") {
            let source = a
                .get("IdentitySource")
                .and_then(|n| text(ctx, n))
                .unwrap_or_else(|| "$request.header.Authorization".into());
            let header = source
                .strip_prefix("$request.header.")
                .unwrap_or("Authorization")
                .to_ascii_lowercase();
            return Some(Authorizer {
                name: name.into(),
                kind: AuthorizerKind::Jwt {
                    issuer: jwt.get("issuer").and_then(|n| text(ctx, n)),
                    audience: strings(ctx, jwt.get("audience")),
                },
                function: None,
                identity: IdentitySources {
                    headers: vec![header],
                    ..IdentitySources::default()
                },
                ttl_seconds: 0,
            });
        }
        let function = a.get("FunctionArn").and_then(function_of)?;
        let sources = IdentitySources {
            headers: lower(strings(ctx, identity.and_then(|i| i.get("Headers")))),
            query_strings: strings(ctx, identity.and_then(|i| i.get("QueryStrings"))),
            stage_variables: strings(ctx, identity.and_then(|i| i.get("StageVariables"))),
        };
        let cached = !sources.headers.is_empty() || !sources.query_strings.is_empty();
        return Some(Authorizer {
            name: name.into(),
            kind: AuthorizerKind::HttpLambda {
                payload_version: a
                    .get("AuthorizerPayloadFormatVersion")
                    .and_then(|n| text(ctx, n))
                    .unwrap_or_else(|| "2.0".into()),
                simple_responses: a
                    .get("EnableSimpleResponses")
                    .and_then(|n| text(ctx, n))
                    .as_deref()
                    == Some("true"),
            },
            function: Some(function),
            identity: sources,
            ttl_seconds: if cached { ttl(300) } else { 0 },
        });
    }
    let function = a.get("FunctionArn").and_then(function_of)?;
    let request = a
        .get("FunctionPayloadType")
        .and_then(|n| text(ctx, n))
        .as_deref()
        == Some("REQUEST");
    if request {
        Some(Authorizer {
            name: name.into(),
            kind: AuthorizerKind::Request,
            function: Some(function),
            identity: IdentitySources {
                headers: lower(strings(ctx, identity.and_then(|i| i.get("Headers")))),
                query_strings: strings(ctx, identity.and_then(|i| i.get("QueryStrings"))),
                stage_variables: strings(ctx, identity.and_then(|i| i.get("StageVariables"))),
            },
            ttl_seconds: ttl(300),
        })
    } else {
        let header = identity
            .and_then(|i| i.get("Header"))
            .and_then(|n| text(ctx, n))
            .unwrap_or_else(|| "Authorization".into())
            .to_ascii_lowercase();
        Some(Authorizer {
            name: name.into(),
            kind: AuthorizerKind::Token {
                header: header.clone(),
            },
            function: Some(function),
            identity: IdentitySources {
                headers: vec![header],
                ..IdentitySources::default()
            },
            ttl_seconds: ttl(300),
        })
    }
}
