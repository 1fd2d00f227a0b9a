//! An S3-compatible object store (Amazon S3, Aliyun OSS, Tencent COS, Huawei OBS, MinIO, …)
//! spoken with reqwest and our own SigV4 signing: PUT, GET and DELETE of one object, the
//! only calls the service needs. Errors come back as S3's XML error documents; their `Code`
//! decides whether the failure is the configuration's (`Rejected`) or passing (`Unavailable`).

use super::sigv4::{self, Scope};
use super::StorageError;
use crate::config::S3Settings;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct S3Store {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    /// `http://127.0.0.1:9000` — scheme and authority of the endpoint.
    origin_scheme: String,
    /// `127.0.0.1:9000` — what reqwest sends as `Host` (port only when not the default).
    authority: String,
    /// Path of the endpoint itself, without a trailing `/` (usually empty).
    base_path: String,
    bucket: String,
    region: String,
    access_key_id: String,
    secret: String,
    path_style: bool,
    prefix: String,
}

/// (URL, Host header, canonical URI) of one object.
#[derive(Debug, PartialEq, Eq)]
pub struct Target {
    pub url: String,
    pub host: String,
    pub canonical_uri: String,
}

impl S3Store {
    pub fn new(s: &S3Settings) -> Result<S3Store, String> {
        let url = reqwest::Url::parse(&s.endpoint)
            .map_err(|e| format!("S3 endpoint {} 不是有效的网址: {e}", s.endpoint))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("S3 endpoint 应以 http:// 或 https:// 开头".into());
        }
        let host = url
            .host_str()
            .ok_or_else(|| "S3 endpoint 缺少主机名".to_string())?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(S3Store {
            inner: Arc::new(Inner {
                http,
                origin_scheme: url.scheme().to_string(),
                authority,
                base_path: url.path().trim_end_matches('/').to_string(),
                bucket: s.bucket.clone(),
                region: s.region.clone(),
                access_key_id: s.access_key_id.clone(),
                secret: s.secret_access_key.clone(),
                path_style: s.path_style,
                prefix: s.prefix.trim_matches('/').to_string(),
            }),
        })
    }

    pub fn target(&self, key: &str) -> Target {
        let i = &self.inner;
        let object = if i.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}/{key}", i.prefix)
        };
        let encoded = sigv4::uri_encode(&object, true);
        let (host, canonical_uri) = if i.path_style {
            (
                i.authority.clone(),
                format!("{}/{}/{encoded}", i.base_path, i.bucket),
            )
        } else {
            (
                format!("{}.{}", i.bucket, i.authority),
                format!("{}/{encoded}", i.base_path),
            )
        };
        Target {
            url: format!("{}://{host}{canonical_uri}", i.origin_scheme),
            host,
            canonical_uri,
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        key: &str,
        body: Option<(&[u8], &str)>,
    ) -> Result<reqwest::Response, StorageError> {
        let i = &self.inner;
        let t = self.target(key);
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let payload_hash = sigv4::sha256_hex(body.map(|b| b.0).unwrap_or_default());
        let mut headers = vec![
            ("host".to_string(), t.host.clone()),
            ("x-amz-content-sha256".to_string(), payload_hash.clone()),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        if let Some((_, ct)) = body {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        let signed = sigv4::sign(
            &sigv4::Request {
                method: method.as_str(),
                canonical_uri: &t.canonical_uri,
                query: &[],
                headers: &headers,
                payload_hash: &payload_hash,
            },
            &Scope {
                access_key_id: &i.access_key_id,
                secret: &i.secret,
                region: &i.region,
                service: "s3",
                amz_date: &amz_date,
            },
        );
        let mut req = i
            .http
            .request(method, &t.url)
            .header("x-amz-content-sha256", payload_hash)
            .header("x-amz-date", amz_date)
            .header("authorization", signed.authorization);
        if let Some((bytes, ct)) = body {
            req = req.header("content-type", ct).body(bytes.to_vec());
        }
        req.send()
            .await
            .map_err(|e| StorageError::Unavailable(format!("{} {}: {e}", t.url, kind(&e))))
    }

    pub async fn put(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> Result<(), StorageError> {
        let resp = self
            .send(reqwest::Method::PUT, key, Some((bytes, content_type)))
            .await?;
        check(resp).await.map(|_| ())
    }

    pub async fn get(&self, key: &str) -> Result<Vec<u8>, StorageError> {
        let resp = self.send(reqwest::Method::GET, key, None).await?;
        let resp = check(resp).await?;
        resp.bytes()
            .await
            .map(|b| b.to_vec())
            .map_err(|e| StorageError::Unavailable(e.to_string()))
    }

    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let resp = self.send(reqwest::Method::DELETE, key, None).await?;
        match check(resp).await {
            Ok(_) | Err(StorageError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else {
        "request"
    }
}

/// The text of `<Tag>…</Tag>` in an S3 XML error document.
pub fn xml_field<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&close)? + start;
    Some(&xml[start..end])
}

async fn check(resp: reqwest::Response) -> Result<reqwest::Response, StorageError> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let text = resp.text().await.unwrap_or_default();
    let code = xml_field(&text, "Code").unwrap_or("").to_string();
    let message = xml_field(&text, "Message").unwrap_or("").to_string();
    let what = format!("HTTP {} {code}: {message}", status.as_u16());
    Err(match (status.as_u16(), code.as_str()) {
        (404, "NoSuchKey") => StorageError::NotFound,
        (_, "SlowDown" | "ServiceUnavailable" | "InternalError" | "RequestTimeout") => {
            StorageError::Unavailable(what)
        }
        (s, _) if s >= 500 => StorageError::Unavailable(what),
        _ => StorageError::Rejected(what),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: &str, path_style: bool, prefix: &str) -> S3Settings {
        S3Settings {
            endpoint: endpoint.into(),
            bucket: "culturehub".into(),
            region: "cn-south-1".into(),
            access_key_id: "AK".into(),
            secret_access_key: "SK".into(),
            path_style,
            prefix: prefix.into(),
        }
    }

    #[test]
    fn addresses_objects_both_ways() {
        let s = S3Store::new(&settings("http://127.0.0.1:9000", true, "")).unwrap();
        assert_eq!(
            s.target("ab/abc.jpg"),
            Target {
                url: "http://127.0.0.1:9000/culturehub/ab/abc.jpg".into(),
                host: "127.0.0.1:9000".into(),
                canonical_uri: "/culturehub/ab/abc.jpg".into(),
            }
        );
        let s = S3Store::new(&settings(
            "https://obs.cn-south-1.example.com/",
            false,
            "/prod/",
        ))
        .unwrap();
        assert_eq!(
            s.target("ab/abc.jpg"),
            Target {
                url: "https://culturehub.obs.cn-south-1.example.com/prod/ab/abc.jpg".into(),
                host: "culturehub.obs.cn-south-1.example.com".into(),
                canonical_uri: "/prod/ab/abc.jpg".into(),
            }
        );
        assert!(S3Store::new(&settings("ftp://x", true, "")).is_err());
        assert!(S3Store::new(&settings("not a url", true, "")).is_err());
    }

    #[test]
    fn reads_error_documents() {
        let xml = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>";
        assert_eq!(xml_field(xml, "Code"), Some("NoSuchKey"));
        assert_eq!(
            xml_field(xml, "Message"),
            Some("The specified key does not exist.")
        );
        assert_eq!(xml_field(xml, "Key"), None);
    }
}
