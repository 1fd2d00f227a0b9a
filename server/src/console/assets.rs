//! Serves the built console (`console/dist` by default) at `/console/`: files by path, every
//! other path falls back to `index.html` (the console routes in the browser), hashed assets
//! under `assets/` are cached for a year as immutable, everything else is revalidated with an
//! ETag. Text is sent gzip- or brotli-compressed when the browser accepts it; compressed bodies
//! are made once per file version and kept in memory. Every answer carries the console's
//! Content-Security-Policy and the usual protective headers.

use bytes::Bytes;
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Endpoint, Request, Response};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// No inline script, no eval, nothing fetched from elsewhere. Styles may be inline because
/// Element Plus and ECharts set element styles at run time.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; \
base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
pub const REVALIDATE: &str = "no-cache";

struct Asset {
    modified: Option<SystemTime>,
    len: u64,
    content_type: &'static str,
    etag: String,
    body: Bytes,
    gzip: Option<Bytes>,
    br: Option<Bytes>,
}

/// The `/console` endpoint.
pub struct ConsoleAssets {
    dir: PathBuf,
    secure: bool,
    cache: Mutex<HashMap<PathBuf, Arc<Asset>>>,
}

impl ConsoleAssets {
    pub fn new(dir: impl Into<PathBuf>, secure: bool) -> Self {
        ConsoleAssets {
            dir: dir.into(),
            secure,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn headers(&self, resp: &mut Response) {
        let h = resp.headers_mut();
        let mut set = |k: &'static str, v: &'static str| {
            h.insert(k, HeaderValue::from_static(v));
        };
        set("content-security-policy", CSP);
        set("x-content-type-options", "nosniff");
        set("x-frame-options", "DENY");
        set("referrer-policy", "same-origin");
        set("cross-origin-opener-policy", "same-origin");
        set("cross-origin-resource-policy", "same-origin");
        set(
            "permissions-policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
        );
        if self.secure {
            set("strict-transport-security", "max-age=31536000");
        }
    }

    async fn load(&self, path: &Path) -> Option<Arc<Asset>> {
        let meta = tokio::fs::metadata(path).await.ok()?;
        if !meta.is_file() {
            return None;
        }
        let modified = meta.modified().ok();
        if let Some(a) = self.cache.lock().ok()?.get(path) {
            if a.modified == modified && a.len == meta.len() {
                return Some(a.clone());
            }
        }
        let body = Bytes::from(tokio::fs::read(path).await.ok()?);
        let content_type = content_type(path);
        let (gzip, br) = if compressible(content_type) && body.len() >= 512 {
            let raw = body.clone();
            tokio::task::spawn_blocking(move || (gzip(&raw), brotli(&raw)))
                .await
                .unwrap_or((None, None))
        } else {
            (None, None)
        };
        let asset = Arc::new(Asset {
            modified,
            len: meta.len(),
            content_type,
            etag: format!("\"{}\"", &hex::encode(Sha256::digest(&body))[..20]),
            body,
            gzip,
            br,
        });
        if let Ok(mut c) = self.cache.lock() {
            c.insert(path.to_path_buf(), asset.clone());
        }
        Some(asset)
    }

    fn serve(&self, req: &Request, asset: &Asset, cache_control: &'static str) -> Response {
        let head = req.method() == Method::HEAD;
        let mut resp = if req
            .headers()
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|t| t.trim() == asset.etag))
        {
            Response::builder()
                .status(StatusCode::NOT_MODIFIED)
                .finish()
        } else {
            let accepts = req
                .headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let (body, encoding) = match (&asset.br, &asset.gzip) {
                (Some(b), _) if accepts_encoding(accepts, "br") => (b.clone(), Some("br")),
                (_, Some(g)) if accepts_encoding(accepts, "gzip") => (g.clone(), Some("gzip")),
                _ => (asset.body.clone(), None),
            };
            let mut b = Response::builder()
                .status(StatusCode::OK)
                .content_type(asset.content_type)
                .header(header::CONTENT_LENGTH, body.len().to_string());
            if let Some(e) = encoding {
                b = b.header(header::CONTENT_ENCODING, e);
            }
            if head {
                b.finish()
            } else {
                b.body(body)
            }
        };
        let h = resp.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&asset.etag) {
            h.insert(header::ETAG, v);
        }
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(cache_control),
        );
        if asset.gzip.is_some() || asset.br.is_some() {
            h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
        }
        resp
    }

    async fn answer(&self, req: &Request) -> Response {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(header::ALLOW, "GET, HEAD")
                .content_type("text/plain; charset=utf-8")
                .body("只支持 GET 和 HEAD");
        }
        let path = req.uri().path();
        // `/console` itself: the console lives under `/console/`, where its relative URLs work.
        if !req.original_uri().path().ends_with('/') && (path.is_empty() || path == "/") {
            return Response::builder()
                .status(StatusCode::PERMANENT_REDIRECT)
                .header(header::LOCATION, "/console/")
                .finish();
        }
        let Some(rel) = safe_relative(path) else {
            return not_found();
        };
        if !rel.as_os_str().is_empty() {
            if let Some(a) = self.load(&self.dir.join(&rel)).await {
                let cc = if rel.starts_with("assets") {
                    IMMUTABLE
                } else {
                    REVALIDATE
                };
                return self.serve(req, &a, cc);
            }
            // A missing file is a 404; any other path is a route of the console.
            let last = rel
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if last.contains('.') {
                return not_found();
            }
        }
        match self.load(&self.dir.join("index.html")).await {
            Some(a) => self.serve(req, &a, REVALIDATE),
            None => not_built(&self.dir),
        }
    }
}

impl Endpoint for ConsoleAssets {
    type Output = Response;

    async fn call(&self, req: Request) -> poem::Result<Response> {
        let mut resp = self.answer(&req).await;
        self.headers(&mut resp);
        Ok(resp)
    }
}

/// The request path as a path below the assets directory, or None for anything that tries to
/// leave it (`..`, hidden files, backslashes, NUL).
pub fn safe_relative(path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(path.trim_start_matches('/'))?;
    let mut out = PathBuf::new();
    for seg in decoded.split('/') {
        if seg.is_empty() {
            continue;
        }
        if seg == "."
            || seg == ".."
            || seg.starts_with('.')
            || seg.contains('\\')
            || seg.contains('\0')
            || seg.contains(':')
        {
            return None;
        }
        out.push(seg);
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn accepts_encoding(header: &str, enc: &str) -> bool {
    header.split(',').any(|part| {
        let mut it = part.split(';');
        let name = it.next().unwrap_or("").trim();
        let q_zero = it.any(|p| {
            let p = p.trim();
            p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
        });
        name.eq_ignore_ascii_case(enc) && !q_zero
    })
}

fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "woff" => "font/woff",
        "woff2" => "font/woff2",
        "ttf" => "font/ttf",
        "txt" => "text/plain; charset=utf-8",
        "wasm" => "application/wasm",
        "xlsx" => crate::export::XLSX_MIME,
        _ => "application/octet-stream",
    }
}

fn compressible(ct: &str) -> bool {
    ct.starts_with("text/")
        || ct.starts_with("application/json")
        || ct.starts_with("application/manifest")
        || ct == "image/svg+xml"
        || ct == "application/wasm"
        || ct == "image/x-icon"
}

fn gzip(raw: &[u8]) -> Option<Bytes> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(raw).ok()?;
    let out = e.finish().ok()?;
    (out.len() < raw.len()).then(|| Bytes::from(out))
}

fn brotli(raw: &[u8]) -> Option<Bytes> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 9,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut std::io::Cursor::new(raw), &mut out, &params).ok()?;
    (out.len() < raw.len()).then(|| Bytes::from(out))
}

fn not_found() -> Response {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .content_type("text/plain; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body("文件不存在")
}

/// What a newcomer sees at `/console/` before the console was built.
fn not_built(dir: &Path) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>管理后台尚未构建</title></head>\
         <body style=\"font-family:sans-serif;font-size:18px;max-width:44em;margin:3em auto;line-height:1.7\">\
         <h1>管理后台尚未构建</h1>\
         <p>服务在 <code>{}</code> 没有找到构建好的管理后台。</p>\
         <p>安装 Node.js 20 或更新版本（含 npm）后重新运行 <code>scripts/run</code>，它会自动构建；\
         或在 <code>console/</code> 目录中运行 <code>npm ci &amp;&amp; npm run build</code>。</p>\
         <p>生产环境请把构建结果放到配置项 <code>console.assets_dir</code>（环境变量 <code>CULTUREHUB_CONSOLE_DIR</code>）指向的目录。</p>\
         </body></html>",
        html_escape(&dir.display().to_string())
    );
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .content_type("text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_directory() {
        assert_eq!(
            safe_relative("/assets/index-abc.js"),
            Some(PathBuf::from("assets/index-abc.js"))
        );
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
        assert_eq!(
            safe_relative("/activities/12"),
            Some(PathBuf::from("activities/12"))
        );
        for bad in [
            "/../secret",
            "/assets/../../x",
            "/%2e%2e/x",
            "/.env",
            "/a\\b",
            "/%00",
            "/c:/x",
            "/%zz",
        ] {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }

    #[test]
    fn encodings_are_negotiated() {
        assert!(accepts_encoding("gzip, deflate, br", "br"));
        assert!(accepts_encoding("gzip;q=1.0, br;q=0.5", "br"));
        assert!(!accepts_encoding("gzip, br;q=0", "br"));
        assert!(!accepts_encoding("identity", "gzip"));
    }

    #[test]
    fn compression_round_trips() {
        let text = "const a = 1;\n".repeat(200);
        let g = gzip(text.as_bytes()).expect("smaller");
        let mut d = flate2::read::GzDecoder::new(&g[..]);
        let mut back = String::new();
        std::io::Read::read_to_string(&mut d, &mut back).unwrap();
        assert_eq!(back, text);
        let b = brotli(text.as_bytes()).expect("smaller");
        let mut out = Vec::new();
        brotli::BrotliDecompress(&mut std::io::Cursor::new(&b[..]), &mut out).unwrap();
        assert_eq!(out, text.as_bytes());
    }

    #[test]
    fn the_policy_forbids_inline_script() {
        assert!(CSP.contains("script-src 'self';"));
        assert!(!CSP.contains("unsafe-eval"));
        assert!(CSP.contains("connect-src 'self'"));
        assert!(CSP.contains("frame-ancestors 'none'"));
    }
}
