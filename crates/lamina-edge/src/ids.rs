//! Identifiers in CloudFront's shapes: distribution and invalidation ids, ETags, generated
//! `dXXXXXXXXXXXXX.cloudfront.net` domain names and request ids. All random.

use base64::Engine as _;
use rand::Rng;

fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect()
}

const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A distribution id: `E` and 13 upper-case letters or digits (`EDFDVBD6EXAMPLE`'s shape).
pub fn distribution_id() -> String {
    format!("E{}", random_from(UPPER, 13))
}

/// An invalidation id: `I` and 13 upper-case letters or digits.
pub fn invalidation_id() -> String {
    format!("I{}", random_from(UPPER, 13))
}

/// An ETag: `E` and 13 upper-case letters or digits, as CloudFront's look.
pub fn etag() -> String {
    format!("E{}", random_from(UPPER, 13))
}

/// A distribution's domain name: `d` and 13 lower-case letters or digits.
pub fn domain_name() -> String {
    format!("d{}.cloudfront.net", random_from(LOWER, 13))
}

/// An API request id (`x-amz-request-id`): a random UUID.
pub fn request_id() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// An edge request id (`x-amz-cf-id`, the event's `config.requestId`): 56 characters of
/// URL-safe base64, as CloudFront's.
pub fn edge_request_id() -> String {
    let b: [u8; 42] = std::array::from_fn(|_| rand::random());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn shapes() {
        let id = super::distribution_id();
        assert_eq!(id.len(), 14);
        assert!(id.starts_with('E'));
        let d = super::domain_name();
        assert_eq!(d.len(), "d111111abcdef8.cloudfront.net".len());
        assert_eq!(super::edge_request_id().len(), 56);
        assert_eq!(super::request_id().len(), 36);
    }
}
