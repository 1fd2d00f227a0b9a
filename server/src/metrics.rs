//! Prometheus text metrics: request counts and latency histograms by route, method and
//! status, plus pool usage.
//!
//! Labels are bounded and never taken from the request as sent: the route is the matched
//! route template of the API (`/api/v1/activities/{id}`), one of the fixed service paths, or
//! `unmatched`; the method is a standard one or `OTHER`. So probes cannot add series, and a `"`
//! in a path cannot break the text format (label values are escaped all the same).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::Mutex;

const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
struct Series {
    count: u64,
    sum: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<BTreeMap<(String, &'static str, u16), Series>>,
    /// The API's route templates, split into segments (`{…}` matches any one segment), by
    /// their number of segments and their key segment (`route_key`): every request is labelled,
    /// and comparing it with all ~400 templates cost more than some whole answers (issue 18).
    templates: HashMap<(usize, String), Vec<Template>>,
}

/// A route template and its segments.
type Template = (String, Vec<String>);

/// The segment templates are filed under: the first after `/api/v1` (`activities`,
/// `bookings` …), or `*` when that one is a parameter or missing.
const KEY_SEGMENT: usize = 3;

fn route_key(segs: &[&str]) -> String {
    match segs.get(KEY_SEGMENT) {
        Some(s) if !s.starts_with('{') => s.to_string(),
        _ => "*".to_string(),
    }
}

/// The label for paths that match no route.
pub const UNMATCHED: &str = "unmatched";

/// Paths outside the API that have their own label.
const FIXED: [&str; 4] = ["/healthz", "/readyz", "/metrics", "/openapi.json"];

/// A standard method, or `OTHER`.
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("OTHER")
}

/// A label value in the text format: backslash, double quote and newline escaped.
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// Metrics labelled by these route templates (from the OpenAPI description).
    pub fn with_routes(templates: impl IntoIterator<Item = String>) -> Metrics {
        let mut templates: Vec<(String, Vec<String>)> = templates
            .into_iter()
            .map(|t| {
                let segs = t.split('/').map(str::to_string).collect();
                (t, segs)
            })
            .collect();
        templates.sort();
        templates.dedup();
        let mut by_key: HashMap<(usize, String), Vec<Template>> = HashMap::new();
        for (t, segs) in templates {
            let key = {
                let s: Vec<&str> = segs.iter().map(String::as_str).collect();
                (s.len(), route_key(&s))
            };
            by_key.entry(key).or_default().push((t, segs));
        }
        Metrics {
            series: Mutex::default(),
            templates: by_key,
        }
    }

    /// The route label of a request path: its template, a fixed path, or `unmatched`.
    pub fn route_label(&self, path: &str) -> String {
        if FIXED.contains(&path) {
            return path.to_string();
        }
        if path == "/docs" || path.starts_with("/docs/") {
            return "/docs".into();
        }
        if path == "/console" || path.starts_with("/console/") {
            return "/console".into();
        }
        let segs: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, &str)> = None;
        // Templates with this key segment, and those with a parameter there.
        let filed = self.templates.get(&(segs.len(), route_key(&segs)));
        let open = self.templates.get(&(segs.len(), "*".to_string()));
        for (t, tsegs) in filed.into_iter().chain(open).flatten() {
            let mut literal = 0;
            let fits = tsegs.iter().zip(&segs).all(|(t, s)| {
                if t.starts_with('{') {
                    !s.is_empty()
                } else if t == s {
                    literal += 1;
                    true
                } else {
                    false
                }
            });
            // The most specific template wins (`/activities/browse` over `/activities/{id}`).
            if fits && best.is_none_or(|(l, _)| literal > l) {
                best = Some((literal, t));
            }
        }
        best.map(|(_, t)| t.to_string())
            .unwrap_or_else(|| UNMATCHED.into())
    }

    /// Counts a request. `path` is the request's path, or `UNMATCHED` when no route took it.
    pub fn observe(&self, method: &str, path: &str, status: u16, secs: f64) {
        let route = if path == UNMATCHED {
            UNMATCHED.to_string()
        } else {
            self.route_label(path)
        };
        let key = (route, method_label(method), status);
        let mut m = self.series.lock().unwrap();
        let s = m.entry(key).or_default();
        s.count += 1;
        s.sum += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    pub fn render(
        &self,
        pools: &[(&str, u32, usize)],
        cache_backend: &str,
        redis_errors: u64,
    ) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP culturehub_http_requests_total HTTP requests by route, method and status.\n",
        );
        out.push_str("# TYPE culturehub_http_requests_total counter\n");
        let m = self.series.lock().unwrap();
        for ((route, method, status), s) in m.iter() {
            let route = escape_label(route);
            let _ = writeln!(
                out,
                "culturehub_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP culturehub_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE culturehub_http_request_duration_seconds histogram\n");
        for ((route, method, status), s) in m.iter() {
            let labels = format!(
                "route=\"{}\",method=\"{method}\",status=\"{status}\"",
                escape_label(route)
            );
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "culturehub_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(
                out,
                "culturehub_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "culturehub_http_request_duration_seconds_sum{{{labels}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "culturehub_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out.push_str("# HELP culturehub_db_pool_connections Database pool connections.\n");
        out.push_str("# TYPE culturehub_db_pool_connections gauge\n");
        for (name, size, idle) in pools {
            let _ = writeln!(
                out,
                "culturehub_db_pool_connections{{pool=\"{}\",state=\"open\"}} {size}",
                escape_label(name)
            );
            let _ = writeln!(
                out,
                "culturehub_db_pool_connections{{pool=\"{}\",state=\"idle\"}} {idle}",
                escape_label(name)
            );
        }
        let _ = writeln!(out, "# TYPE culturehub_cache_backend gauge\nculturehub_cache_backend{{backend=\"{cache_backend}\"}} 1");
        let _ = writeln!(out, "# TYPE culturehub_redis_errors_total counter\nculturehub_redis_errors_total {redis_errors}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        Metrics::with_routes([
            "/api/v1/org/units/{id}".to_string(),
            "/api/v1/activities/{id}".to_string(),
            "/api/v1/activities/browse".to_string(),
        ])
    }

    #[test]
    fn labels_are_route_templates() {
        let m = metrics();
        assert_eq!(
            m.route_label("/api/v1/org/units/42"),
            "/api/v1/org/units/{id}"
        );
        assert_eq!(
            m.route_label("/api/v1/org/units/abc\""),
            "/api/v1/org/units/{id}"
        );
        assert_eq!(
            m.route_label("/api/v1/activities/browse"),
            "/api/v1/activities/browse"
        );
        assert_eq!(m.route_label("/api/v1/nope/1"), UNMATCHED);
        assert_eq!(m.route_label("/wp-admin"), UNMATCHED);
        assert_eq!(m.route_label("/docs/index.html"), "/docs");
        assert_eq!(method_label("PROPFIND"), "OTHER");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn renders_counts() {
        let m = metrics();
        m.observe("GET", "/healthz", 200, 0.002);
        let text = m.render(&[("read", 2, 1)], "memory", 0);
        assert!(text.contains(
            "culturehub_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
    }
}
