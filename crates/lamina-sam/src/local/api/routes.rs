//! The route table of `start-api`: the template's `Api` and `HttpApi` routes matched against
//! a request's method and path as API Gateway matches them — a literal segment beats a
//! `{param}`, which beats a greedy `{proxy+}`; a named method beats `ANY`; an HTTP API's
//! `$default` route catches what nothing else matches.

use std::collections::BTreeMap;

use crate::event::Route;

/// One segment of a route's path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

/// A route ready for matching.
#[derive(Debug, Clone)]
struct Compiled {
    route: Route,
    segments: Vec<Segment>,
    catch_all: bool,
}

/// A matched route and the path parameters it captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// The route.
    pub route: Route,
    /// `{name}` → value (URL-decoded), greedy parameters included.
    pub path_parameters: BTreeMap<String, String>,
}

/// Every route of a template.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    routes: Vec<Compiled>,
}

impl RouteTable {
    /// A table of `routes`.
    pub fn new(routes: Vec<Route>) -> RouteTable {
        let routes = routes
            .into_iter()
            .map(|route| Compiled {
                catch_all: route.path == "$default",
                segments: segments(&route.path),
                route,
            })
            .collect();
        RouteTable { routes }
    }

    /// The routes, in template order.
    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter().map(|c| &c.route)
    }

    /// The best route for `method` and `path`, if any.
    pub fn find(&self, method: &str, path: &str) -> Option<Matched> {
        let parts: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let mut best: Option<((u8, usize, usize, u8), Matched)> = None;
        for c in &self.routes {
            let method_rank = if c.route.method.eq_ignore_ascii_case(method) {
                1
            } else if c.route.method == "ANY" {
                0
            } else {
                continue;
            };
            let (score, params) = if c.catch_all {
                ((0, 0, 0, method_rank), BTreeMap::new())
            } else {
                let Some((literals, params_count, params)) = match_segments(&c.segments, &parts)
                else {
                    continue;
                };
                let greedy = c
                    .segments
                    .last()
                    .is_some_and(|s| matches!(s, Segment::Greedy(_)));
                (
                    (
                        if greedy { 1 } else { 2 },
                        literals,
                        params_count,
                        method_rank,
                    ),
                    params,
                )
            };
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((
                    score,
                    Matched {
                        route: c.route.clone(),
                        path_parameters: params,
                    },
                ));
            }
        }
        best.map(|(_, m)| m)
    }
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(greedy) => Segment::Greedy(greedy.to_string()),
                    None => Segment::Param(name.to_string()),
                },
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect()
}

/// (literal segments matched, parameters matched, captured values) when `parts` fits.
fn match_segments(
    segments: &[Segment],
    parts: &[&str],
) -> Option<(usize, usize, BTreeMap<String, String>)> {
    let mut params = BTreeMap::new();
    let mut literals = 0;
    for (i, seg) in segments.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                // A greedy parameter needs at least one segment.
                if parts.len() <= i {
                    return None;
                }
                let rest: Vec<String> = parts[i..].iter().map(|p| decode(p)).collect();
                params.insert(name.clone(), rest.join("/"));
                return Some((literals, params.len(), params));
            }
            Segment::Literal(text) => {
                if parts.get(i) != Some(&text.as_str()) {
                    return None;
                }
                literals += 1;
            }
            Segment::Param(name) => {
                let value = parts.get(i)?;
                params.insert(name.clone(), decode(value));
            }
        }
    }
    let count = params.len();
    (segments.len() == parts.len()).then_some((literals, count, params))
}

fn decode(segment: &str) -> String {
    form_urlencoded::parse(format!("x={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| segment.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ApiKind;

    fn route(method: &str, path: &str) -> Route {
        Route {
            function: format!("{method} {path}"),
            event: "E".into(),
            api: ApiKind::Rest,
            method: method.into(),
            path: path.into(),
            api_id: None,
            payload_format_version: "1.0".into(),
        }
    }

    #[test]
    fn literal_beats_param_beats_greedy_and_method_beats_any() {
        let t = RouteTable::new(vec![
            route("ANY", "/{proxy+}"),
            route("GET", "/items/{id}"),
            route("GET", "/items/special"),
            route("ANY", "/items/{id}"),
            route("ANY", "$default"),
        ]);
        let m = t.find("GET", "/items/special").unwrap();
        assert_eq!(m.route.path, "/items/special");
        let m = t.find("GET", "/items/a%20b").unwrap();
        assert_eq!(m.route.method, "GET");
        assert_eq!(m.path_parameters["id"], "a b");
        let m = t.find("DELETE", "/items/7").unwrap();
        assert_eq!(m.route.method, "ANY");
        assert_eq!(m.route.path, "/items/{id}");
        let m = t.find("POST", "/a/b/c").unwrap();
        assert_eq!(m.path_parameters["proxy"], "a/b/c");
        let m = t.find("POST", "/").unwrap();
        assert_eq!(m.route.path, "$default");
    }

    #[test]
    fn nothing_matches_without_a_route() {
        let t = RouteTable::new(vec![route("GET", "/hello")]);
        assert!(t.find("POST", "/hello").is_none());
        assert!(t.find("GET", "/hello/x").is_none());
        assert!(t.find("GET", "/hello/").is_some());
    }
}
