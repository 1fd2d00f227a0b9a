//! Prometheus text metrics: request counts and latency histograms by route and status, plus
//! pool usage. Routes are normalised (numeric segments become `{id}`) to bound label cardinality.

use std::collections::BTreeMap;
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
    series: Mutex<BTreeMap<(String, String, u16), Series>>,
}

pub fn route_label(path: &str) -> String {
    if path == "unmatched" {
        return "unmatched".into();
    }
    if !path.starts_with("/api/") {
        return match path {
            "/healthz" | "/readyz" | "/metrics" | "/openapi.json" => path.to_string(),
            p if p.starts_with("/docs") => "/docs".into(),
            _ => "other".into(),
        };
    }
    path.split('/')
        .map(|s| {
            if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
                "{id}"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl Metrics {
    pub fn observe(&self, method: &str, path: &str, status: u16, secs: f64) {
        let key = (route_label(path), method.to_string(), status);
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
            let _ = writeln!(
                out,
                "culturehub_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP culturehub_http_request_duration_seconds Request latency.\n");
        out.push_str("# TYPE culturehub_http_request_duration_seconds histogram\n");
        for ((route, method, status), s) in m.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\",status=\"{status}\"");
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
                "culturehub_db_pool_connections{{pool=\"{name}\",state=\"open\"}} {size}"
            );
            let _ = writeln!(
                out,
                "culturehub_db_pool_connections{{pool=\"{name}\",state=\"idle\"}} {idle}"
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
    #[test]
    fn labels_normalise_ids() {
        assert_eq!(
            route_label("/api/v1/org/units/42"),
            "/api/v1/org/units/{id}"
        );
        assert_eq!(route_label("/wp-admin"), "other");
    }
    #[test]
    fn renders_counts() {
        let m = Metrics::default();
        m.observe("GET", "/healthz", 200, 0.002);
        let text = m.render(&[("read", 2, 1)], "memory", 0);
        assert!(text.contains(
            "culturehub_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1"
        ));
        assert!(text.contains("le=\"0.0025\"} 1"));
    }
}
