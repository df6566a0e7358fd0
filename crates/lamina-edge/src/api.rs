//! CloudFront's REST-XML API (2020-05-31) on Lamina's port, for the operations Lamina serves:
//! Create/Get/GetConfig/Update/Delete/ListDistributions and Create/Get/ListInvalidation(s).
//! Also `GET /lamina/edge/triggers` (Lamina's own, JSON) for `lamina migrate status`.
//! Handlers only translate: headers and bodies in, one `Edge` operation, CloudFront's XML,
//! status and `ETag`/`Location` headers out.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;

use crate::error::CfError;
use crate::store::Record;
use crate::{Edge, xml};

/// Path prefix of every operation.
const PREFIX: &str = "/2020-05-31/distribution";
/// Largest request document accepted.
const MAX_DOCUMENT: usize = 1 << 20;

/// The API's routes, to merge into Lamina's router.
pub fn router(edge: Arc<Edge>) -> Router {
    Router::new()
        .route(PREFIX, post(create).get(list))
        .route(&format!("{PREFIX}/{{id}}"), get(fetch).delete(delete))
        .route(
            &format!("{PREFIX}/{{id}}/config"),
            get(fetch_config).put(update),
        )
        .route(
            &format!("{PREFIX}/{{id}}/invalidation"),
            post(create_invalidation).get(list_invalidations),
        )
        .route(
            &format!("{PREFIX}/{{id}}/invalidation/{{invalidation}}"),
            get(fetch_invalidation),
        )
        .route("/lamina/edge/triggers", get(triggers))
        .with_state(edge)
}

/// `GET /lamina/edge/triggers`: every Lambda@Edge association of every distribution, with the
/// function and version it runs (for `lamina migrate status`, which names the distributions
/// a migration reaches).
async fn triggers(State(edge): State<Arc<Edge>>) -> Result<Response, CfError> {
    let views = edge.distributions().map_err(|e| {
        tracing::error!(error = %e, "edge store failed");
        CfError::internal()
    })?;
    let mut out = Vec::new();
    for view in &views {
        let Some(config) = &view.config else {
            continue;
        };
        for behavior in config.all_behaviors() {
            for a in &behavior.associations {
                let mut parts = a.function_arn.rsplitn(3, ':');
                let version = parts.next().unwrap_or("");
                let function = parts.next().unwrap_or("");
                out.push(serde_json::json!({
                    "distributionId": view.record.id,
                    "domainName": view.record.domain,
                    "enabled": view.record.enabled,
                    "pathPattern": behavior.path_pattern.as_deref().unwrap_or("*"),
                    "eventType": a.event_type.as_str(),
                    "functionArn": a.function_arn,
                    "function": function,
                    "version": version,
                }));
            }
        }
    }
    let mut response = axum::Json(serde_json::json!({ "triggers": out })).into_response();
    response
        .headers_mut()
        .insert("cache-control", HeaderValue::from_static("no-store"));
    Ok(response)
}

fn document(body: &Bytes) -> Result<&str, CfError> {
    if body.len() > MAX_DOCUMENT {
        return Err(CfError::malformed("the request document is too large"));
    }
    std::str::from_utf8(body).map_err(|_| CfError::malformed("the request document is not UTF-8"))
}

fn xml_response(status: StatusCode, body: String, extra: &[(&'static str, &str)]) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert("content-type", HeaderValue::from_static("text/xml"));
    if let Ok(v) = HeaderValue::from_str(&crate::ids::request_id()) {
        headers.insert("x-amz-request-id", v);
    }
    for (name, value) in extra {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(*name, v);
        }
    }
    response
}

fn location(path: &str) -> String {
    format!("https://cloudfront.amazonaws.com{path}")
}

fn with_distribution(
    edge: &Edge,
    status: StatusCode,
    record: &Record,
    location_header: bool,
) -> Response {
    let body = xml::distribution(record, edge.account_id());
    let loc = location(&format!("{PREFIX}/{}", record.id));
    let mut extra = vec![("etag", record.etag.as_str())];
    if location_header {
        extra.push(("location", loc.as_str()));
    }
    xml_response(status, body, &extra)
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get("if-match").and_then(|v| v.to_str().ok())
}

async fn create(State(edge): State<Arc<Edge>>, body: Bytes) -> Result<Response, CfError> {
    let record = edge.create_distribution(document(&body)?).await?;
    Ok(with_distribution(&edge, StatusCode::CREATED, &record, true))
}

#[derive(Debug, serde::Deserialize)]
struct ListQuery {
    #[serde(rename = "Marker", default)]
    marker: String,
    #[serde(rename = "MaxItems", default)]
    max_items: Option<String>,
}

async fn list(
    State(edge): State<Arc<Edge>>,
    Query(q): Query<ListQuery>,
) -> Result<Response, CfError> {
    let max_items = match q.max_items.as_deref() {
        None => 100,
        Some(raw) => raw.parse::<usize>().map_err(|_| {
            CfError::invalid_argument(format!("The parameter MaxItems {raw:?} is not a number."))
        })?,
    };
    let records = edge.list_distributions()?;
    Ok(xml_response(
        StatusCode::OK,
        xml::distribution_list(&records, edge.account_id(), &q.marker, max_items),
        &[],
    ))
}

async fn fetch(State(edge): State<Arc<Edge>>, Path(id): Path<String>) -> Result<Response, CfError> {
    let record = edge.get_distribution(&id)?;
    Ok(with_distribution(&edge, StatusCode::OK, &record, false))
}

async fn fetch_config(
    State(edge): State<Arc<Edge>>,
    Path(id): Path<String>,
) -> Result<Response, CfError> {
    let record = edge.get_distribution(&id)?;
    Ok(xml_response(
        StatusCode::OK,
        xml::distribution_config(&record),
        &[("etag", record.etag.as_str())],
    ))
}

async fn update(
    State(edge): State<Arc<Edge>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, CfError> {
    let record = edge
        .update_distribution(&id, if_match(&headers), document(&body)?)
        .await?;
    Ok(with_distribution(&edge, StatusCode::OK, &record, false))
}

async fn delete(
    State(edge): State<Arc<Edge>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, CfError> {
    edge.delete_distribution(&id, if_match(&headers)).await?;
    Ok(xml_response(StatusCode::NO_CONTENT, String::new(), &[]))
}

async fn create_invalidation(
    State(edge): State<Arc<Edge>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, CfError> {
    let record = edge.create_invalidation(&id, document(&body)?).await?;
    let loc = location(&format!("{PREFIX}/{id}/invalidation/{}", record.id));
    Ok(xml_response(
        StatusCode::CREATED,
        xml::invalidation(&record),
        &[("location", loc.as_str())],
    ))
}

async fn fetch_invalidation(
    State(edge): State<Arc<Edge>>,
    Path((id, invalidation)): Path<(String, String)>,
) -> Result<Response, CfError> {
    let record = edge.get_invalidation(&id, &invalidation)?;
    Ok(xml_response(
        StatusCode::OK,
        xml::invalidation(&record),
        &[],
    ))
}

async fn list_invalidations(
    State(edge): State<Arc<Edge>>,
    Path(id): Path<String>,
) -> Result<Response, CfError> {
    let records = edge.list_invalidations(&id)?;
    Ok(xml_response(
        StatusCode::OK,
        xml::invalidation_list(&records),
        &[],
    ))
}
