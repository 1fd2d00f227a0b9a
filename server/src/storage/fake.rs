//! A fake S3-compatible object store for tests and local development, speaking the real wire
//! format: path-style (`/bucket/key`) or virtual-hosted (`Host: bucket.…`) PUT, GET, HEAD and
//! DELETE of objects; XML error documents (`NoSuchKey`, `NoSuchBucket`, `AccessDenied`,
//! `InvalidAccessKeyId`, `SignatureDoesNotMatch`, `RequestTimeTooSkewed`,
//! `XAmzContentSHA256Mismatch`, `AuthorizationHeaderMalformed`); and it verifies every
//! request's SigV4 signature against its own secret, so a client with the wrong secret fails
//! as it would against the real thing. Objects live in memory.
//! Started by `culturehub fake-s3` and by tests; never part of production.

// Checks answer early with a ready `Response`; boxing it would only add noise here.
#![allow(clippy::result_large_err)]

use super::sigv4::{self, Scope};
use poem::http::{HeaderMap, Method, StatusCode};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::{Body, Request, Response, Server};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct FakeS3 {
    inner: Arc<Mutex<State>>,
}

struct State {
    access_key_id: String,
    secret: String,
    region: String,
    bucket: String,
    objects: BTreeMap<String, Object>,
    /// Every request answered `AccessDenied` (as a bucket policy that denies the key would).
    deny_all: bool,
    requests: u64,
}

#[derive(Clone)]
pub struct Object {
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// How far a request's `x-amz-date` may be from the server's clock (S3: 15 minutes).
const MAX_SKEW_SECS: i64 = 15 * 60;

impl FakeS3 {
    pub fn new(access_key_id: &str, secret: &str, region: &str, bucket: &str) -> FakeS3 {
        FakeS3 {
            inner: Arc::new(Mutex::new(State {
                access_key_id: access_key_id.into(),
                secret: secret.into(),
                region: region.into(),
                bucket: bucket.into(),
                objects: BTreeMap::new(),
                deny_all: false,
                requests: 0,
            })),
        }
    }

    /// Listens on 127.0.0.1:`port` (0: any free port); returns the endpoint URL.
    pub async fn spawn(&self, port: u16) -> std::io::Result<String> {
        let acceptor = TcpListener::bind(format!("127.0.0.1:{port}"))
            .into_acceptor()
            .await?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().cloned())
            .ok_or_else(|| std::io::Error::other("no local address"))?;
        let me = self.clone();
        let app = poem::endpoint::make(move |req: Request| {
            let me = me.clone();
            async move { me.handle(req).await }
        });
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Ok(format!("http://{addr}"))
    }

    pub fn object(&self, key: &str) -> Option<Object> {
        self.inner.lock().unwrap().objects.get(key).cloned()
    }

    pub fn keys(&self) -> Vec<String> {
        self.inner.lock().unwrap().objects.keys().cloned().collect()
    }

    /// Loses an object behind the service's back (tests a missing blob).
    pub fn remove(&self, key: &str) {
        self.inner.lock().unwrap().objects.remove(key);
    }

    pub fn set_deny_all(&self, deny: bool) {
        self.inner.lock().unwrap().deny_all = deny;
    }

    /// Requests received, signed correctly or not.
    pub fn requests(&self) -> u64 {
        self.inner.lock().unwrap().requests
    }

    async fn handle(&self, mut req: Request) -> Response {
        let body = match req.take_body().into_vec().await {
            Ok(b) => b,
            Err(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "IncompleteBody",
                    "The request body could not be read.",
                    &[],
                )
            }
        };
        let mut s = self.inner.lock().unwrap();
        s.requests += 1;
        let headers = req.headers();
        let path = req.uri().path().to_string();
        let host = header(headers, "host").unwrap_or_default();

        // Authenticate first, as S3 does: nothing about buckets or keys leaks to a stranger.
        if let Err(resp) = verify(&s, &req, &body) {
            return resp;
        }
        if s.deny_all {
            return error(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied", &[]);
        }
        // Path-style `/bucket/key` or virtual-hosted `Host: bucket.endpoint` + `/key`.
        let virtual_prefix = format!("{}.", s.bucket);
        let (bucket, raw_key) = if host.starts_with(&virtual_prefix) {
            (s.bucket.clone(), path.trim_start_matches('/').to_string())
        } else {
            let p = path.trim_start_matches('/');
            match p.split_once('/') {
                Some((b, k)) => (b.to_string(), k.to_string()),
                None => (p.to_string(), String::new()),
            }
        };
        if bucket != s.bucket {
            return error(
                StatusCode::NOT_FOUND,
                "NoSuchBucket",
                "The specified bucket does not exist",
                &[("BucketName", &bucket)],
            );
        }
        let key = String::from_utf8_lossy(&sigv4::uri_decode(&raw_key)).into_owned();
        if key.is_empty() {
            return error(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
                &[],
            );
        }
        let etag = format!("\"{}\"", &sigv4::sha256_hex(&body)[..32]);
        match *req.method() {
            Method::PUT => {
                let content_type =
                    header(headers, "content-type").unwrap_or_else(|| "binary/octet-stream".into());
                s.objects.insert(
                    key,
                    Object {
                        content_type,
                        bytes: body,
                    },
                );
                Response::builder()
                    .header("ETag", etag)
                    .header("x-amz-request-id", request_id())
                    .body(Body::empty())
            }
            Method::GET | Method::HEAD => match s.objects.get(&key) {
                None if req.method() == Method::HEAD => Response::builder()
                    .status(StatusCode::NOT_FOUND)
                    .body(Body::empty()),
                None => error(
                    StatusCode::NOT_FOUND,
                    "NoSuchKey",
                    "The specified key does not exist.",
                    &[("Key", &key)],
                ),
                Some(o) => {
                    let b = Response::builder()
                        .header("Content-Type", o.content_type.clone())
                        .header(
                            "ETag",
                            format!("\"{}\"", &sigv4::sha256_hex(&o.bytes)[..32]),
                        )
                        .header("x-amz-request-id", request_id());
                    if req.method() == Method::HEAD {
                        b.header("Content-Length", o.bytes.len())
                            .body(Body::empty())
                    } else {
                        b.body(o.bytes.clone())
                    }
                }
            },
            Method::DELETE => {
                s.objects.remove(&key);
                Response::builder()
                    .status(StatusCode::NO_CONTENT)
                    .header("x-amz-request-id", request_id())
                    .body(Body::empty())
            }
            _ => error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "The specified method is not allowed against this resource.",
                &[("Method", req.method().as_str())],
            ),
        }
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn request_id() -> String {
    use rand::Rng;
    format!("{:016X}", rand::thread_rng().gen::<u64>())
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// An S3 error document.
fn error(status: StatusCode, code: &str, message: &str, extra: &[(&str, &str)]) -> Response {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{}</Message>",
        xml_escape(message)
    );
    for (k, v) in extra {
        xml.push_str(&format!("<{k}>{}</{k}>", xml_escape(v)));
    }
    let rid = request_id();
    xml.push_str(&format!(
        "<RequestId>{rid}</RequestId><HostId>fake-s3</HostId></Error>"
    ));
    Response::builder()
        .status(status)
        .content_type("application/xml")
        .header("x-amz-request-id", rid)
        .body(xml)
}

/// Checks the request's SigV4 signature the way S3 does; the error response otherwise.
fn verify(s: &State, req: &Request, body: &[u8]) -> Result<(), Response> {
    let headers = req.headers();
    let Some(auth) = header(headers, "authorization") else {
        return Err(error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Access Denied",
            &[],
        ));
    };
    let Some(p) = sigv4::parse_authorization(&auth) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed.",
            &[],
        ));
    };
    if p.access_key_id != s.access_key_id {
        return Err(error(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
            &[("AWSAccessKeyId", &p.access_key_id)],
        ));
    }
    if p.region != s.region || p.service != "s3" {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "AuthorizationHeaderMalformed",
            &format!(
                "The authorization header is malformed; the region '{}' is wrong; expecting '{}'",
                p.region, s.region
            ),
            &[("Region", &s.region)],
        ));
    }
    let amz_date = header(headers, "x-amz-date").unwrap_or_default();
    let Ok(at) = chrono::NaiveDateTime::parse_from_str(&amz_date, "%Y%m%dT%H%M%SZ") else {
        return Err(error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
            &[],
        ));
    };
    let skew = (chrono::Utc::now().naive_utc() - at).num_seconds().abs();
    if skew > MAX_SKEW_SECS {
        return Err(error(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            &[("RequestTime", &amz_date)],
        ));
    }
    if !amz_date.starts_with(&p.date) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.",
            &[],
        ));
    }
    let Some(content_sha) = header(headers, "x-amz-content-sha256") else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256",
            &[],
        ));
    };
    if content_sha != "UNSIGNED-PAYLOAD" && content_sha != sigv4::sha256_hex(body) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            &[],
        ));
    }
    // `host` and every `x-amz-*` header sent must be signed.
    let signed: Vec<&str> = p.signed_headers.iter().map(String::as_str).collect();
    let unsigned = headers
        .keys()
        .map(|k| k.as_str())
        .filter(|k| *k == "host" || k.starts_with("x-amz-"))
        .any(|k| !signed.contains(&k));
    if unsigned {
        return Err(error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "There were headers present in the request which were not signed",
            &[],
        ));
    }
    let mut to_sign = Vec::new();
    for name in &signed {
        for v in headers.get_all(*name) {
            to_sign.push((name.to_string(), v.to_str().unwrap_or_default().to_string()));
        }
    }
    // S3 signs the path as the encoding of the decoded key, so recompute it from the bytes.
    let decoded = String::from_utf8_lossy(&sigv4::uri_decode(req.uri().path())).into_owned();
    let canonical_uri = sigv4::uri_encode(&decoded, true);
    let query: Vec<(String, String)> = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                String::from_utf8_lossy(&sigv4::uri_decode(k)).into_owned(),
                String::from_utf8_lossy(&sigv4::uri_decode(v)).into_owned(),
            )
        })
        .collect();
    let expected = sigv4::sign(
        &sigv4::Request {
            method: req.method().as_str(),
            canonical_uri: &canonical_uri,
            query: &query,
            headers: &to_sign,
            payload_hash: &content_sha,
        },
        &Scope {
            access_key_id: &s.access_key_id,
            secret: &s.secret,
            region: &s.region,
            service: "s3",
            amz_date: &amz_date,
        },
    );
    if expected.signed_headers != p.signed_headers.join(";")
        || !sigv4::same(&expected.signature, &p.signature)
    {
        return Err(error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
            &[
                ("AWSAccessKeyId", &p.access_key_id),
                ("StringToSign", &expected.string_to_sign),
                ("SignatureProvided", &p.signature),
                ("CanonicalRequest", &expected.canonical_request),
            ],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::S3Settings;
    use crate::storage::s3::S3Store;
    use crate::storage::StorageError;

    fn client(endpoint: &str, secret: &str, bucket: &str) -> S3Store {
        S3Store::new(&S3Settings {
            endpoint: endpoint.into(),
            bucket: bucket.into(),
            region: "cn-south-1".into(),
            access_key_id: "AKFAKE".into(),
            secret_access_key: secret.into(),
            path_style: true,
            prefix: "uploads".into(),
        })
        .unwrap()
    }

    #[tokio::test]
    async fn signed_round_trip_and_refusals() {
        let fake = FakeS3::new("AKFAKE", "right-secret", "cn-south-1", "culturehub");
        let url = fake.spawn(0).await.unwrap();
        let good = client(&url, "right-secret", "culturehub");
        good.put("ab/x y$.jpg", b"jpeg bytes", "image/jpeg")
            .await
            .unwrap();
        let o = fake
            .object("uploads/ab/x y$.jpg")
            .expect("stored under the prefix");
        assert_eq!(o.bytes, b"jpeg bytes");
        assert_eq!(o.content_type, "image/jpeg");
        assert_eq!(good.get("ab/x y$.jpg").await.unwrap(), b"jpeg bytes");
        assert!(matches!(
            good.get("ab/none.jpg").await,
            Err(StorageError::NotFound)
        ));

        // A wrong secret is refused with SignatureDoesNotMatch, and nothing changes.
        let wrong = client(&url, "wrong-secret", "culturehub");
        match wrong.put("ab/evil.jpg", b"x", "image/jpeg").await {
            Err(StorageError::Rejected(why)) => {
                assert!(why.contains("SignatureDoesNotMatch"), "{why}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(fake.object("uploads/ab/evil.jpg").is_none());
        match wrong.get("ab/x y$.jpg").await {
            Err(StorageError::Rejected(why)) => {
                assert!(why.contains("SignatureDoesNotMatch"), "{why}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Unknown bucket, denied key.
        match client(&url, "right-secret", "other").get("a.jpg").await {
            Err(StorageError::Rejected(why)) => assert!(why.contains("NoSuchBucket"), "{why}"),
            other => panic!("{other:?}"),
        }
        fake.set_deny_all(true);
        match good.put("ab/y.jpg", b"x", "image/jpeg").await {
            Err(StorageError::Rejected(why)) => assert!(why.contains("AccessDenied"), "{why}"),
            other => panic!("{other:?}"),
        }
        fake.set_deny_all(false);

        good.delete("ab/x y$.jpg").await.unwrap();
        good.delete("ab/x y$.jpg").await.unwrap();
        assert!(fake.keys().is_empty());
    }

    #[tokio::test]
    async fn rejects_unsigned_and_tampered_requests() {
        let fake = FakeS3::new("AKFAKE", "s", "cn-south-1", "b");
        let url = fake.spawn(0).await.unwrap();
        let http = reqwest::Client::new();
        let r = http.get(format!("{url}/b/k")).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let text = r.text().await.unwrap();
        assert!(text.contains("<Code>AccessDenied</Code>"), "{text}");

        // A body that is not the one signed.
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let host = url.trim_start_matches("http://").to_string();
        let hash = sigv4::sha256_hex(b"signed body");
        let headers = vec![
            ("host".to_string(), host),
            ("x-amz-content-sha256".to_string(), hash.clone()),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        let signed = sigv4::sign(
            &sigv4::Request {
                method: "PUT",
                canonical_uri: "/b/k",
                query: &[],
                headers: &headers,
                payload_hash: &hash,
            },
            &Scope {
                access_key_id: "AKFAKE",
                secret: "s",
                region: "cn-south-1",
                service: "s3",
                amz_date: &amz_date,
            },
        );
        let r = http
            .put(format!("{url}/b/k"))
            .header("x-amz-content-sha256", hash)
            .header("x-amz-date", amz_date)
            .header("authorization", signed.authorization)
            .body("another body")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("XAmzContentSHA256Mismatch"));
        assert!(fake.keys().is_empty());
    }

    #[tokio::test]
    async fn unreachable_store_is_unavailable() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        let c = client(&format!("http://127.0.0.1:{port}"), "s", "b");
        assert!(matches!(
            c.put("a/b.jpg", b"x", "image/jpeg").await,
            Err(StorageError::Unavailable(_))
        ));
    }
}
