//! AWS Signature Version 4 (header form, `AWS4-HMAC-SHA256`), as S3-compatible object stores
//! expect it: the canonical request, the string to sign, the derived signing key. The client
//! signs with it and the fake server verifies with it, so both are checked here against the
//! published AWS test vectors (see the tests at the end).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// `x-amz-content-sha256` of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// RFC 3986 percent-encoding as SigV4 wants it: unreserved characters stay, everything else
/// is `%XX` in upper case; `/` stays only when `keep_slash` (object key paths).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` sequences (the inverse of `uri_encode`); invalid sequences stay as they are.
pub fn uri_decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(hi), Some(lo)) = (hex_digit(b[i + 1]), hex_digit(b[i + 2])) {
                out.push(hi << 4 | lo);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// The parts of a request that are signed.
pub struct Request<'a> {
    pub method: &'a str,
    /// The canonical URI: the path, each segment URI-encoded once (S3 does not normalise).
    pub canonical_uri: &'a str,
    /// Decoded query parameters.
    pub query: &'a [(String, String)],
    /// Headers to sign (any case; values are trimmed and inner runs of spaces folded).
    pub headers: &'a [(String, String)],
    /// Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`.
    pub payload_hash: &'a str,
}

/// Who signs, where, when.
pub struct Scope<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
}

pub struct Signed {
    pub canonical_request: String,
    pub string_to_sign: String,
    pub signed_headers: String,
    pub signature: String,
    /// The whole `Authorization` header value.
    pub authorization: String,
}

fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn fold_spaces(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// (canonical headers block, signed header names).
fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut merged: Vec<(String, Vec<String>)> = Vec::new();
    for (k, v) in headers {
        let name = k.trim().to_ascii_lowercase();
        let value = fold_spaces(v);
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, vals)) => vals.push(value),
            None => merged.push((name, vec![value])),
        }
    }
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    let block: String = merged
        .iter()
        .map(|(n, vals)| format!("{n}:{}\n", vals.join(",")))
        .collect();
    let names = merged
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(";");
    (block, names)
}

pub fn sign(req: &Request<'_>, scope: &Scope<'_>) -> Signed {
    let (headers_block, signed_headers) = canonical_headers(req.headers);
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.canonical_uri,
        canonical_query(req.query),
        headers_block,
        signed_headers,
        req.payload_hash
    );
    let date = scope.amz_date.get(..8).unwrap_or(scope.amz_date);
    let credential_scope = format!("{date}/{}/{}/aws4_request", scope.region, scope.service);
    let string_to_sign = format!(
        "{ALGORITHM}\n{}\n{credential_scope}\n{}",
        scope.amz_date,
        sha256_hex(canonical_request.as_bytes())
    );
    let key = signing_key(scope.secret, date, scope.region, scope.service);
    let signature = hex::encode(hmac(&key, string_to_sign.as_bytes()));
    let authorization = format!(
        "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}",
        scope.access_key_id
    );
    Signed {
        canonical_request,
        string_to_sign,
        signed_headers,
        signature,
        authorization,
    }
}

/// The fields of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.strip_prefix(ALGORITHM)?.trim_start();
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    let cred: Vec<&str> = credential?.split('/').collect();
    if cred.len() != 5 || cred[4] != "aws4_request" {
        return None;
    }
    Some(ParsedAuthorization {
        access_key_id: cred[0].into(),
        date: cred[1].into(),
        region: cred[2].into(),
        service: cred[3].into(),
        signed_headers: signed?.split(';').map(str::to_string).collect(),
        signature: signature?.to_string(),
    })
}

/// Constant-time comparison of two signatures.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    /// `get-vanilla` from the AWS Signature Version 4 test suite.
    #[test]
    fn aws_test_suite_get_vanilla() {
        let headers = [
            h("Host", "example.amazonaws.com"),
            h("X-Amz-Date", "20150830T123600Z"),
        ];
        let s = sign(
            &Request {
                method: "GET",
                canonical_uri: "/",
                query: &[],
                headers: &headers,
                payload_hash: EMPTY_SHA256,
            },
            &Scope {
                access_key_id: "AKIDEXAMPLE",
                secret: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                region: "us-east-1",
                service: "service",
                amz_date: "20150830T123600Z",
            },
        );
        assert_eq!(
            s.canonical_request,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            s.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    const S3_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
    const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn s3_scope() -> Scope<'static> {
        Scope {
            access_key_id: S3_KEY,
            secret: S3_SECRET,
            region: "us-east-1",
            service: "s3",
            amz_date: "20130524T000000Z",
        }
    }

    /// Amazon S3 API reference, "Example: GET Object" (header-based SigV4).
    #[test]
    fn s3_reference_get_object() {
        let headers = [
            h("Host", "examplebucket.s3.amazonaws.com"),
            h("Range", "bytes=0-9"),
            h("x-amz-content-sha256", EMPTY_SHA256),
            h("x-amz-date", "20130524T000000Z"),
        ];
        let s = sign(
            &Request {
                method: "GET",
                canonical_uri: "/test.txt",
                query: &[],
                headers: &headers,
                payload_hash: EMPTY_SHA256,
            },
            &s3_scope(),
        );
        assert_eq!(
            s.signed_headers,
            "host;range;x-amz-content-sha256;x-amz-date"
        );
        assert_eq!(
            s.signature,
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    /// Amazon S3 API reference, "Example: PUT Object": a key that needs encoding (`$`).
    #[test]
    fn s3_reference_put_object() {
        let body = b"Welcome to Amazon S3.";
        let hash = sha256_hex(body);
        assert_eq!(
            hash,
            "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
        );
        let uri = format!("/{}", uri_encode("test$file.text", true));
        assert_eq!(uri, "/test%24file.text");
        let headers = [
            h("Host", "examplebucket.s3.amazonaws.com"),
            h("Date", "Fri, 24 May 2013 00:00:00 GMT"),
            h("x-amz-content-sha256", &hash),
            h("x-amz-date", "20130524T000000Z"),
            h("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ];
        let s = sign(
            &Request {
                method: "PUT",
                canonical_uri: &uri,
                query: &[],
                headers: &headers,
                payload_hash: &hash,
            },
            &s3_scope(),
        );
        assert_eq!(
            s.signature,
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"
        );
    }

    #[test]
    fn parses_what_it_writes() {
        let headers = [h("host", "x"), h("x-amz-date", "20240101T000000Z")];
        let s = sign(
            &Request {
                method: "DELETE",
                canonical_uri: "/b/k",
                query: &[],
                headers: &headers,
                payload_hash: EMPTY_SHA256,
            },
            &Scope {
                access_key_id: "AK",
                secret: "S",
                region: "cn-south-1",
                service: "s3",
                amz_date: "20240101T000000Z",
            },
        );
        let p = parse_authorization(&s.authorization).unwrap();
        assert_eq!(p.access_key_id, "AK");
        assert_eq!(p.date, "20240101");
        assert_eq!(p.region, "cn-south-1");
        assert_eq!(p.signed_headers, vec!["host", "x-amz-date"]);
        assert!(same(&p.signature, &s.signature));
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=a/b").is_none());
        assert!(parse_authorization("Basic abc").is_none());
    }

    #[test]
    fn encoding_round_trips() {
        assert_eq!(uri_encode("a b/ü~", false), "a%20b%2F%C3%BC~");
        assert_eq!(uri_encode("a b/ü~", true), "a%20b/%C3%BC~");
        assert_eq!(uri_decode("a%20b%2F%C3%BC~"), "a b/ü~".as_bytes());
        assert_eq!(uri_decode("100%"), b"100%");
    }
}
