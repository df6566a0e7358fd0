//! Tests of the binary payloads embedded in the Kinesis templates (KPL aggregates, gzip,
//! base64), which no typed parser looks inside. Test-only module.

use std::collections::BTreeMap;

use base64::Engine;

use crate::md5::md5_hex;

fn varint(bytes: &[u8], pos: &mut usize) -> u64 {
    let mut value = 0u64;
    let mut shift = 0;
    loop {
        let byte = bytes[*pos];
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return value;
        }
        shift += 7;
    }
}

/// The protobuf fields of `bytes` as (field number, payload of a length-delimited field,
/// value of a varint field).
fn fields(bytes: &[u8]) -> Vec<(u64, Vec<u8>, u64)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < bytes.len() {
        let key = varint(bytes, &mut pos);
        match key & 7 {
            0 => out.push((key >> 3, Vec::new(), varint(bytes, &mut pos))),
            2 => {
                let len = varint(bytes, &mut pos) as usize;
                out.push((key >> 3, bytes[pos..pos + len].to_vec(), 0));
                pos += len;
            }
            other => panic!("unexpected wire type {other}"),
        }
    }
    out
}

/// The KPL sample holds a real aggregated record: magic, protobuf `AggregatedRecord`,
/// MD5 of the protobuf, with every user record pointing at a partition key.
#[test]
fn analytics_kpl_record_is_a_valid_kpl_aggregate() {
    let v = crate::generate("kinesis", "analytics-kpl", &BTreeMap::new()).unwrap();
    let data = v["records"][0]["data"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert_eq!(&bytes[..4], &[0xf3, 0x89, 0x9a, 0xc2]);
    let (body, digest) = bytes[4..].split_at(bytes.len() - 4 - 16);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, md5_hex(body));
    let top = fields(body);
    let keys: Vec<String> = top
        .iter()
        .filter(|f| f.0 == 1)
        .map(|f| String::from_utf8(f.1.clone()).unwrap())
        .collect();
    assert_eq!(keys, ["sensor-17", "sensor-42"]);
    let records: Vec<_> = top.iter().filter(|f| f.0 == 3).collect();
    assert_eq!(records.len(), 3);
    for record in records {
        let inner = fields(&record.1);
        let index = inner.iter().find(|f| f.0 == 1).unwrap().2 as usize;
        assert!(index < keys.len());
        let payload = &inner.iter().find(|f| f.0 == 3).unwrap().1;
        let json: serde_json::Value = serde_json::from_slice(payload).unwrap();
        assert!(json["sensor"].is_string());
    }
}

#[test]
fn analytics_compressed_default_is_gzip() {
    let v = crate::generate("kinesis", "analytics-compressed", &BTreeMap::new()).unwrap();
    let data = v["records"][0]["data"].as_str().unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b]);
}

/// Every default that lands in a base64 `data` field decodes.
#[test]
fn firehose_and_analytics_data_defaults_are_base64() {
    for spec in crate::catalog().iter().filter(|s| s.service == "kinesis") {
        let v = crate::generate(spec.service, spec.name, &BTreeMap::new()).unwrap();
        let records = v
            .get("records")
            .or_else(|| v.get("Records"))
            .and_then(|r| r.as_array())
            .unwrap();
        for record in records {
            let data = record
                .get("data")
                .or_else(|| record.pointer("/kinesis/data"))
                .and_then(|d| d.as_str())
                .unwrap();
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap_or_else(|e| panic!("kinesis {}: {e}", spec.name));
        }
    }
}
