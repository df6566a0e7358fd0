//! Options of the `edge` service's events (Lambda@Edge is not in SAM; option names follow the
//! fields they fill). SAM's events carry their options inline in the catalog, exactly as SAM
//! CLI's event mapping defines them.

use crate::spec::{ParamSpec, p};

/// No options.
pub(crate) const NONE: &[ParamSpec] = &[];

const EDGE_URI: ParamSpec = p("uri", "/index.html", "request URI (must start with /)");
const EDGE_METHOD: ParamSpec = p("method", "GET", "HTTP method");
const EDGE_QUERYSTRING: ParamSpec = p(
    "querystring",
    "",
    "query string without the leading ?, empty if none",
);
const EDGE_CLIENT_IP: ParamSpec = p("client-ip", "203.0.113.178", "viewer IP address");
const EDGE_DOMAIN: ParamSpec = p(
    "distribution-domain",
    "d111111abcdef8.cloudfront.net",
    "distribution domain name (also the Host header)",
);
const EDGE_ID: ParamSpec = p("distribution-id", "EDFDVBD6EXAMPLE", "distribution id");
const EDGE_STATUS: ParamSpec = p("status", "200", "HTTP status of the response");
const EDGE_STATUS_DESCRIPTION: ParamSpec = p(
    "status-description",
    "OK",
    "HTTP status description of the response",
);

pub(crate) const EDGE_VIEWER_REQUEST: &[ParamSpec] = &[
    EDGE_URI,
    EDGE_METHOD,
    EDGE_QUERYSTRING,
    EDGE_CLIENT_IP,
    EDGE_DOMAIN,
    EDGE_ID,
];

pub(crate) const EDGE_ORIGIN_REQUEST: &[ParamSpec] = &[
    EDGE_URI,
    EDGE_METHOD,
    EDGE_QUERYSTRING,
    EDGE_CLIENT_IP,
    EDGE_DOMAIN,
    EDGE_ID,
    p(
        "origin-domain",
        "example.org",
        "domain name of the custom origin",
    ),
];

pub(crate) const EDGE_RESPONSE: &[ParamSpec] = &[
    EDGE_URI,
    EDGE_METHOD,
    EDGE_QUERYSTRING,
    EDGE_CLIENT_IP,
    EDGE_DOMAIN,
    EDGE_ID,
    EDGE_STATUS,
    EDGE_STATUS_DESCRIPTION,
];
