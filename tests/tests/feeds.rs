//! Open data and calendars (issue 17): public feeds of units and upcoming activities per unit,
//! branch and district in JSON, CSV and iCalendar, with ETag / Last-Modified and 304, rate
//! limits, and each resident's own calendar link (hashed at rest, reset, exported, erased).
//!
//! The iCalendar output is checked by a strict parser written here from RFC 5545 (no parser
//! crate is in the offline build): CRLF line ends, lines of at most 75 octets, unfolding,
//! BEGIN/END nesting, required properties, TEXT unescaping, and TZID references that resolve
//! to a VTIMEZONE.

use culturehub_tests::{both, error_code, Act, TestApp};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// One parsed component: its properties (name → [(params, value)]) and sub-components.
#[derive(Debug, Default)]
struct Component {
    name: String,
    props: BTreeMap<String, Vec<(String, String)>>,
    children: Vec<Component>,
}

impl Component {
    fn get(&self, name: &str) -> Option<&str> {
        self.props
            .get(name)
            .and_then(|v| v.first())
            .map(|(_, v)| v.as_str())
    }
    fn param(&self, name: &str) -> Option<&str> {
        self.props
            .get(name)
            .and_then(|v| v.first())
            .map(|(p, _)| p.as_str())
    }
    fn all(&self, name: &str) -> Vec<&Component> {
        self.children.iter().filter(|c| c.name == name).collect()
    }
}

fn unescape(v: &str) -> String {
    let mut out = String::new();
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(x @ ('\\' | ';' | ',')) => out.push(x),
                other => panic!("bad escape \\{other:?} in {v}"),
            }
        } else {
            assert!(c != ';' && c != ',', "unescaped {c} in TEXT value {v}");
            out.push(c);
        }
    }
    out
}

/// Parses an iCalendar stream strictly; panics on anything RFC 5545 does not allow.
fn parse_ics(text: &str) -> Component {
    assert!(text.ends_with("\r\n"), "must end with CRLF");
    let raw: Vec<&str> = text[..text.len() - 2].split("\r\n").collect();
    let mut lines: Vec<String> = Vec::new();
    for l in raw {
        assert!(!l.contains('\n') && !l.contains('\r'), "bare LF/CR: {l:?}");
        assert!(l.len() <= 75, "line over 75 octets ({}): {l}", l.len());
        if let Some(rest) = l.strip_prefix(' ').or_else(|| l.strip_prefix('\t')) {
            lines.last_mut().expect("continuation first").push_str(rest);
        } else {
            lines.push(l.to_string());
        }
    }
    let mut stack: Vec<Component> = vec![Component::default()];
    for l in lines {
        let colon = l.find(':').unwrap_or_else(|| panic!("no colon: {l}"));
        let (head, value) = (&l[..colon], &l[colon + 1..]);
        let (name, params) = head.split_once(';').unwrap_or((head, ""));
        assert!(
            name.chars().all(|c| c.is_ascii_uppercase() || c == '-'),
            "bad name {name}"
        );
        match name {
            "BEGIN" => stack.push(Component {
                name: value.to_string(),
                ..Default::default()
            }),
            "END" => {
                let c = stack.pop().expect("END without BEGIN");
                assert_eq!(c.name, value, "END:{value} closes {}", c.name);
                stack.last_mut().expect("outside").children.push(c);
            }
            _ => {
                let top = stack.last_mut().unwrap();
                assert!(!top.name.is_empty(), "property outside a component: {l}");
                top.props
                    .entry(name.to_string())
                    .or_default()
                    .push((params.to_string(), value.to_string()));
            }
        }
    }
    assert_eq!(stack.len(), 1, "unclosed component");
    let mut root = stack.pop().unwrap();
    assert_eq!(root.children.len(), 1, "one VCALENDAR");
    let cal = root.children.pop().unwrap();
    assert_eq!(cal.name, "VCALENDAR");
    assert_eq!(cal.get("VERSION"), Some("2.0"));
    assert!(cal.get("PRODID").is_some());
    let zones: Vec<String> = cal
        .all("VTIMEZONE")
        .iter()
        .map(|z| z.get("TZID").unwrap().to_string())
        .collect();
    for z in cal.all("VTIMEZONE") {
        assert!(!z.all("STANDARD").is_empty() || !z.all("DAYLIGHT").is_empty());
    }
    for e in cal.all("VEVENT") {
        for p in ["UID", "DTSTAMP", "DTSTART", "SUMMARY"] {
            assert!(e.get(p).is_some(), "VEVENT without {p}");
        }
        assert!(e.get("DTSTAMP").unwrap().ends_with('Z'));
        for p in ["DTSTART", "DTEND"] {
            let tzid = e.param(p).unwrap().strip_prefix("TZID=").unwrap();
            assert!(zones.iter().any(|z| z == tzid), "{tzid} has no VTIMEZONE");
            chrono::NaiveDateTime::parse_from_str(e.get(p).unwrap(), "%Y%m%dT%H%M%S")
                .unwrap_or_else(|_| panic!("bad {p}"));
        }
        unescape(e.get("SUMMARY").unwrap());
    }
    cal
}

fn local(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y%m%dT%H%M%S")
        .to_string()
}

async fn get_with(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut req = app.http.get(format!("{}{}", app.url, path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let s = r.status().as_u16();
    let h = r.headers().clone();
    (s, h, r.bytes().await.unwrap().to_vec())
}

const TITLE: &str = "书法讲座, 第一期; 含\\反斜杠";

async fn public_feeds(app: &TestApp) {
    let (_, session) = app
        .activity(Act {
            title: TITLE,
            ..Default::default()
        })
        .await;
    let point = app.unit_id("ft-p-yuanling-hongli").await;
    let branch = app.unit_id("ft-b-yuanling").await;
    let starts: String = sqlx::query_scalar("SELECT starts_at FROM sessions WHERE id = $1")
        .bind(session)
        .fetch_one(app.state().db.pool())
        .await
        .unwrap();

    // JSON: the district, the branch with its points, the branch alone, another branch.
    let ids = |v: &Value| -> Vec<i64> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["session_id"].as_i64().unwrap())
            .collect()
    };
    let (s, v) = app.get("/api/v1/open/activities", None).await;
    assert_eq!(s, 200, "{v}");
    assert!(ids(&v).contains(&session));
    assert_eq!(v["items"][0]["title"], TITLE);
    let (_, v) = app
        .get(&format!("/api/v1/open/activities?unit_id={branch}"), None)
        .await;
    assert!(ids(&v).contains(&session));
    let (_, v) = app
        .get(
            &format!("/api/v1/open/activities?unit_id={branch}&subtree=false"),
            None,
        )
        .await;
    assert!(!ids(&v).contains(&session));
    let (_, v) = app
        .get(
            &format!("/api/v1/open/activities?unit_id={point}&subtree=false"),
            None,
        )
        .await;
    assert!(ids(&v).contains(&session));
    let other = app.unit_id("ft-b-nanyuan").await;
    let (_, v) = app
        .get(&format!("/api/v1/open/activities?unit_id={other}"), None)
        .await;
    assert!(!ids(&v).contains(&session));

    // CSV.
    let (s, h, body) = get_with(app, "/api/v1/open/activities?format=csv", &[]).await;
    assert_eq!(s, 200);
    assert!(h["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = String::from_utf8(body).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let titles: Vec<String> = r.records().map(|rec| rec.unwrap()[2].to_string()).collect();
    assert!(titles.iter().any(|t| t == TITLE), "{titles:?}");

    // iCalendar, parsed strictly.
    let (s, h, body) = get_with(
        app,
        &format!("/api/v1/open/activities?unit_id={branch}&format=ics"),
        &[],
    )
    .await;
    assert_eq!(s, 200);
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    let cal = parse_ics(std::str::from_utf8(&body).unwrap());
    let tz = &cal.all("VTIMEZONE")[0];
    assert_eq!(tz.get("TZID"), Some("Asia/Shanghai"));
    assert_eq!(tz.all("STANDARD")[0].get("TZOFFSETTO"), Some("+0800"));
    let ev = cal
        .all("VEVENT")
        .into_iter()
        .find(|e| {
            e.get("UID")
                .unwrap()
                .starts_with(&format!("session-{session}@"))
        })
        .expect("the session is an event");
    assert_eq!(unescape(ev.get("SUMMARY").unwrap()), TITLE);
    assert_eq!(ev.get("DTSTART"), Some(local(&starts).as_str()));
    assert!(unescape(ev.get("LOCATION").unwrap()).contains("红荔"));

    // Units.
    let (s, v) = app
        .get(&format!("/api/v1/open/units?unit_id={branch}"), None)
        .await;
    assert_eq!(s, 200);
    let codes: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"ft-b-yuanling") && codes.contains(&"ft-p-yuanling-hongli"));
    assert!(!codes.contains(&"ft-main"));
    let (s, _, body) = get_with(app, "/api/v1/open/units?format=csv", &[]).await;
    assert_eq!(s, 200);
    assert!(String::from_utf8(body).unwrap().contains("ft-main"));

    // Bad input.
    let (s, v) = app.get("/api/v1/open/units?format=ics", None).await;
    assert_eq!(error_code(s, &v), "feed_format_invalid");
    let (s, v) = app.get("/api/v1/open/activities?format=xml", None).await;
    assert_eq!(error_code(s, &v), "feed_format_invalid");
    let (s, v) = app
        .get("/api/v1/open/activities?unit_id=999999", None)
        .await;
    assert_eq!(error_code(s, &v), "not_found");
}

async fn conditional_requests(app: &TestApp) {
    app.activity(Act::default()).await;
    let path = "/api/v1/open/activities?format=ics";
    let (s, h, first) = get_with(app, path, &[]).await;
    assert_eq!(s, 200);
    let etag = h["etag"].to_str().unwrap().to_string();
    let lm = h["last-modified"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && lm.ends_with("GMT"));
    // The same content: 304, without a body.
    let (s, h2, body) = get_with(app, path, &[("if-none-match", &etag)]).await;
    assert_eq!(s, 304);
    assert!(body.is_empty());
    assert_eq!(h2["etag"].to_str().unwrap(), etag);
    let (s, _, _) = get_with(app, path, &[("if-modified-since", &lm)]).await;
    assert_eq!(s, 304);
    // If-None-Match wins over If-Modified-Since.
    let (s, _, _) = get_with(
        app,
        path,
        &[("if-none-match", "\"other\""), ("if-modified-since", &lm)],
    )
    .await;
    assert_eq!(s, 200);
    // A change: new bytes, a new validator, a full answer to the old one.
    app.clock().advance(2);
    app.activity(Act {
        title: "新的一场",
        starts_in_min: 5 * 24 * 60,
        ..Default::default()
    })
    .await;
    let (s, h3, second) = get_with(app, path, &[("if-none-match", &etag)]).await;
    assert_eq!(s, 200);
    assert_ne!(first, second);
    assert_ne!(h3["etag"].to_str().unwrap(), etag);
    let (s, _, _) = get_with(app, path, &[("if-modified-since", &lm)]).await;
    assert_eq!(s, 200, "changed after Last-Modified");
}

async fn personal_calendar(app: &TestApp) {
    let (_, session) = app.activity(Act::default()).await;
    let (_, other_session) = app
        .activity(Act {
            title: "别人预约的活动",
            ..Default::default()
        })
        .await;
    let (me, _) = app.sign_in("o-cal-me").await;
    let (someone, _) = app.sign_in("o-cal-other").await;
    assert_eq!(app.book(&me, session, json!({})).await.0, 200);
    assert_eq!(app.book(&someone, other_session, json!({})).await.0, 200);

    let (s, v) = app.get("/api/v1/me/calendar", Some(&me)).await;
    assert_eq!(s, 200);
    assert_eq!(v["active"], false);
    let (s, v) = app
        .call("POST", "/api/v1/me/calendar", Some(&me), None)
        .await;
    assert_eq!(s, 200, "{v}");
    let url = v["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/api/v1/calendar/") && url.ends_with(".ics"));
    let token = url
        .trim_start_matches("/api/v1/calendar/")
        .trim_end_matches(".ics");
    assert_eq!(token.len(), 64);
    // Only the hash is kept.
    let stored = app
        .count(&format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM calendar_tokens WHERE token_hash = '{token}'"
        ))
        .await;
    assert_eq!(stored, 0);
    let (_, v) = app.get("/api/v1/me/calendar", Some(&me)).await;
    assert_eq!(v["active"], true);
    assert!(v["url"].is_null());

    let (s, h, body) = get_with(app, &url, &[]).await;
    assert_eq!(s, 200);
    assert!(h["cache-control"].to_str().unwrap().contains("private"));
    let cal = parse_ics(std::str::from_utf8(&body).unwrap());
    let events = cal.all("VEVENT");
    assert_eq!(events.len(), 1, "only my own booking");
    assert!(events[0].get("UID").unwrap().starts_with("booking-"));
    // Without `.ics` too.
    assert_eq!(get_with(app, &url.replace(".ics", ""), &[]).await.0, 200);

    // Reset: the old link stops working, the new one works.
    let (_, v) = app
        .call("POST", "/api/v1/me/calendar", Some(&me), None)
        .await;
    let new_url = v["url"].as_str().unwrap().to_string();
    assert_ne!(new_url, url);
    let (s, _, body) = get_with(app, &url, &[]).await;
    assert_eq!(s, 404);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(404, &v), "not_found");
    assert_eq!(get_with(app, &new_url, &[]).await.0, 200);
    assert_eq!(
        get_with(app, "/api/v1/calendar/not-a-token.ics", &[])
            .await
            .0,
        404
    );

    // In my export; gone with my account.
    let (_, export) = app.get("/api/v1/me/export", Some(&me)).await;
    assert!(
        export["calendar_feed"]["created_at"].is_string(),
        "{export}"
    );
    let (s, _) = app.call("DELETE", "/api/v1/me", Some(&me), None).await;
    assert_eq!(s, 200);
    assert_eq!(get_with(app, &new_url, &[]).await.0, 404);
    assert_eq!(
        app.count("SELECT CAST(COUNT(*) AS BIGINT) FROM calendar_tokens")
            .await,
        0
    );
}

async fn rate_limited(app: &TestApp) {
    let mut last = 0;
    for _ in 0..6 {
        let (s, _, _) = get_with(app, "/api/v1/open/units", &[]).await;
        last = s;
    }
    assert_eq!(last, 429);
    let (s, h, body) = get_with(app, "/api/v1/open/activities", &[]).await;
    assert_eq!(s, 429);
    assert!(h.get("retry-after").is_some());
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(error_code(429, &v), "rate_limited");
}

both!(open_feeds_by_unit_branch_and_district, public_feeds);
both!(feeds_answer_304_for_current_copies, conditional_requests);
both!(personal_calendar_link, personal_calendar);

mod limits {
    use super::*;
    async fn run(backend: culturehub_tests::Backend) {
        let Some(app) = TestApp::start_with(backend, "feeds_limits", |s| {
            s.feeds.per_minute_per_ip = 5;
        })
        .await
        else {
            return;
        };
        rate_limited(&app).await;
        app.finish().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        run(culturehub_tests::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        run(culturehub_tests::Backend::Postgres).await
    }
}
