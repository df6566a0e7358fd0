//! CloudFront's REST-XML documents: the configuration a client sent is kept as the inner XML
//! of its `DistributionConfig` element (cut out with quick-xml's reader), and responses wrap it
//! in the elements CloudFront adds (`Distribution`, `DistributionSummary`, …).

use quick_xml::Reader;
use quick_xml::events::Event;
use time::OffsetDateTime;

use crate::error::CfError;
use crate::store::{InvalidationRecord, Record};

/// The 2020-05-31 API's namespace.
pub const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// XML text escaping.
pub fn escape(text: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(text)
}

/// The inner XML of `document`'s root element, which must be called `root`.
pub fn root_inner<'a>(document: &'a str, root: &str) -> Result<&'a str, CfError> {
    let mut reader = Reader::from_str(document);
    let mut depth = 0usize;
    let mut start = None;
    loop {
        let before = position(&reader);
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if depth == 0 {
                    if e.local_name().into_inner() != root {
                        return Err(CfError::malformed(format!(
                            "the document's root element must be {root}"
                        )));
                    }
                    start = Some(position(&reader));
                }
                depth += 1;
            }
            Ok(Event::Empty(e)) if depth == 0 => {
                if e.local_name().into_inner() != root {
                    return Err(CfError::malformed(format!(
                        "the document's root element must be {root}"
                    )));
                }
                return Ok("");
            }
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let start = start.unwrap_or(before);
                    return Ok(&document[start..before]);
                }
            }
            Ok(Event::Eof) => {
                return Err(CfError::malformed(format!(
                    "the document has no complete {root} element"
                )));
            }
            Err(e) => return Err(CfError::malformed(format!("the XML is not valid: {e}"))),
            Ok(_) => {}
        }
    }
}

fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX)
}

/// The top-level elements of an inner XML fragment, by local name, each as written.
pub fn children(inner: &str) -> Vec<(String, &str)> {
    let mut reader = Reader::from_str(inner);
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut name = String::new();
    loop {
        let before = position(&reader);
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                if depth == 0 {
                    start = before;
                    name = e.local_name().into_inner().to_string();
                }
                depth += 1;
            }
            Ok(Event::Empty(e)) if depth == 0 => {
                let n = e.local_name().into_inner().to_string();
                out.push((n, &inner[before..position(&reader)]));
            }
            Ok(Event::End(_)) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.push((name.clone(), &inner[start..position(&reader)]));
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

/// ISO 8601 with milliseconds, as CloudFront writes times.
pub fn timestamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

fn head(record: &Record, account_id: &str) -> String {
    format!(
        "<Id>{id}</Id><ARN>arn:aws:cloudfront::{account_id}:distribution/{id}</ARN><Status>Deployed</Status><LastModifiedTime>{at}</LastModifiedTime>",
        id = escape(&record.id),
        at = timestamp(record.last_modified),
    )
}

/// `<Distribution>` for Create/Get/UpdateDistribution.
pub fn distribution(record: &Record, account_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<Distribution xmlns=\"{NAMESPACE}\">{head}<InProgressInvalidationBatches>0</InProgressInvalidationBatches><DomainName>{domain}</DomainName><ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners><ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups><DistributionConfig>{config}</DistributionConfig></Distribution>",
        head = head(record, account_id),
        domain = escape(&record.domain),
        config = record.config_xml,
    )
}

/// `<DistributionConfig>` for GetDistributionConfig.
pub fn distribution_config(record: &Record) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<DistributionConfig xmlns=\"{NAMESPACE}\">{}</DistributionConfig>",
        record.config_xml
    )
}

/// Elements of a `DistributionSummary` taken from the configuration, in botocore's order.
const SUMMARY_FROM_CONFIG: &[&str] = &[
    "Aliases",
    "Origins",
    "OriginGroups",
    "DefaultCacheBehavior",
    "CacheBehaviors",
    "CustomErrorResponses",
    "Comment",
    "PriceClass",
    "Enabled",
    "ViewerCertificate",
    "Restrictions",
    "WebACLId",
    "HttpVersion",
    "IsIPV6Enabled",
    "Staging",
];

/// `<DistributionList>` for ListDistributions (one page: Lamina returns all).
pub fn distribution_list(
    records: &[Record],
    account_id: &str,
    marker: &str,
    max_items: usize,
) -> String {
    let mut items = String::new();
    for record in records {
        let children = children(&record.config_xml);
        items.push_str("<DistributionSummary>");
        items.push_str(&head(record, account_id));
        items.push_str(&format!(
            "<DomainName>{}</DomainName>",
            escape(&record.domain)
        ));
        for name in SUMMARY_FROM_CONFIG {
            if let Some((_, raw)) = children.iter().find(|(n, _)| n == name) {
                items.push_str(raw);
            }
        }
        items.push_str("</DistributionSummary>");
    }
    format!(
        "<?xml version=\"1.0\"?>\n<DistributionList xmlns=\"{NAMESPACE}\"><Marker>{marker}</Marker><MaxItems>{max_items}</MaxItems><IsTruncated>false</IsTruncated><Quantity>{n}</Quantity>{items}</DistributionList>",
        marker = escape(marker),
        n = records.len(),
        items = if records.is_empty() {
            String::new()
        } else {
            format!("<Items>{items}</Items>")
        },
    )
}

/// `<Invalidation>` for Create/GetInvalidation.
pub fn invalidation(record: &InvalidationRecord) -> String {
    let paths: String = record
        .paths
        .iter()
        .map(|p| format!("<Path>{}</Path>", escape(p)))
        .collect();
    format!(
        "<?xml version=\"1.0\"?>\n<Invalidation xmlns=\"{NAMESPACE}\"><Id>{id}</Id><Status>Completed</Status><CreateTime>{at}</CreateTime><InvalidationBatch><Paths><Quantity>{n}</Quantity><Items>{paths}</Items></Paths><CallerReference>{cr}</CallerReference></InvalidationBatch></Invalidation>",
        id = escape(&record.id),
        at = timestamp(record.create_time),
        n = record.paths.len(),
        cr = escape(&record.caller_reference),
    )
}

/// `<InvalidationList>` for ListInvalidations.
pub fn invalidation_list(records: &[InvalidationRecord]) -> String {
    let items: String = records
        .iter()
        .map(|r| {
            format!(
                "<InvalidationSummary><Id>{}</Id><CreateTime>{}</CreateTime><Status>Completed</Status></InvalidationSummary>",
                escape(&r.id),
                timestamp(r.create_time)
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?>\n<InvalidationList xmlns=\"{NAMESPACE}\"><Marker></Marker><MaxItems>100</MaxItems><IsTruncated>false</IsTruncated><Quantity>{n}</Quantity>{items}</InvalidationList>",
        n = records.len(),
        items = if records.is_empty() {
            String::new()
        } else {
            format!("<Items>{items}</Items>")
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_the_root_and_its_children() {
        let doc = "<?xml version=\"1.0\"?>\n<DistributionConfig xmlns=\"x\"><A>1</A><B><C/></B><Comment/></DistributionConfig>";
        let inner = root_inner(doc, "DistributionConfig").unwrap();
        assert_eq!(inner, "<A>1</A><B><C/></B><Comment/>");
        let kids = children(inner);
        let names: Vec<&str> = kids.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["A", "B", "Comment"]);
        assert_eq!(kids[1].1, "<B><C/></B>");
        assert_eq!(root_inner(doc, "Other").unwrap_err().code, "MalformedInput");
        assert_eq!(
            root_inner("<DistributionConfig><A>", "DistributionConfig")
                .unwrap_err()
                .code,
            "MalformedInput"
        );
    }
}
