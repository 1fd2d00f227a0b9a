//! A fake WeChat server speaking the real wire format, errors included: HTTP 200 with
//! `errcode`/`errmsg` (with a `rid:` suffix), token checks before endpoint logic, token in the
//! query only. Test-control endpoints live under `/__fake/` and are never called in production.
//! Started by `culturehub fake-wechat`, inside `serve` on the embedded default, and by tests.

// Handlers answer early with a ready `Response`; boxing it would only add noise here.
#![allow(clippy::result_large_err)]

use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::{Data, Json, Query};
use poem::{handler, Body, EndpointExt, IntoResponse, Request, Response, Route, Server};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct FakeWechat {
    inner: Arc<Mutex<State>>,
}

struct State {
    appid: String,
    secret: String,
    login_codes: HashMap<String, (String, Instant, bool)>,
    phone_codes: HashMap<String, (String, Instant, bool)>,
    stable: Option<(String, Instant)>,
    token_ttl: Duration,
    code_ttl: Duration,
    /// Tokens issued that are still honoured (value → expiry).
    valid_tokens: HashMap<String, Instant>,
    /// (openid, template_id) → remaining one-time grants.
    grants: HashMap<(String, String), u32>,
    /// openids that opened the mini-program within the last two hours (msg_sec_check rule).
    seen: HashMap<String, Instant>,
    /// Next forced errcodes per endpoint name.
    failures: HashMap<String, VecDeque<i64>>,
    counters: HashMap<String, u64>,
    /// Time an endpoint takes to answer (tests a send still under way).
    delays: HashMap<String, Duration>,
    sent: Vec<Value>,
    known_templates: HashSet<String>,
    next_msgid: i64,
}

fn rid() -> String {
    let n: u64 = rand::thread_rng().gen();
    format!(
        "{:08x}-{:04x}-{:04x}",
        n >> 32,
        (n >> 16) & 0xffff,
        n & 0xffff
    )
}

fn err(code: i64, msg: &str) -> Response {
    Json(json!({ "errcode": code, "errmsg": format!("{msg} rid: {}", rid()) })).into_response()
}

fn random_token(len: usize) -> String {
    let mut r = rand::thread_rng();
    (0..len)
        .map(|_| {
            let c = r.gen_range(0..62u8);
            (match c {
                0..=9 => b'0' + c,
                10..=35 => b'a' + c - 10,
                _ => b'A' + c - 36,
            }) as char
        })
        .collect()
}

impl FakeWechat {
    pub fn new(appid: &str, secret: &str) -> FakeWechat {
        FakeWechat {
            inner: Arc::new(Mutex::new(State {
                appid: appid.into(),
                secret: secret.into(),
                login_codes: HashMap::new(),
                phone_codes: HashMap::new(),
                stable: None,
                token_ttl: Duration::from_secs(7200),
                code_ttl: Duration::from_secs(300),
                valid_tokens: HashMap::new(),
                grants: HashMap::new(),
                seen: HashMap::new(),
                failures: HashMap::new(),
                counters: HashMap::new(),
                delays: HashMap::new(),
                sent: Vec::new(),
                known_templates: HashSet::new(),
                next_msgid: 2_097_683_633_284_153_344,
            })),
        }
    }

    /// Issues a `wx.login` code for an openid (as the WeChat client would).
    pub fn issue_login_code(&self, openid: &str) -> String {
        let code = format!("0{}", random_token(31));
        self.inner
            .lock()
            .unwrap()
            .login_codes
            .insert(code.clone(), (openid.to_string(), Instant::now(), false));
        code
    }

    pub fn issue_phone_code(&self, phone: &str) -> String {
        let code = random_token(64);
        self.inner
            .lock()
            .unwrap()
            .phone_codes
            .insert(code.clone(), (phone.to_string(), Instant::now(), false));
        code
    }

    /// The user tapped "allow" for `count` messages of this template.
    pub fn grant_subscription(&self, openid: &str, template_id: &str, count: u32) {
        let mut s = self.inner.lock().unwrap();
        s.known_templates.insert(template_id.to_string());
        *s.grants
            .entry((openid.to_string(), template_id.to_string()))
            .or_default() += count;
    }

    pub fn register_template(&self, template_id: &str) {
        self.inner
            .lock()
            .unwrap()
            .known_templates
            .insert(template_id.to_string());
    }

    pub fn mark_seen(&self, openid: &str) {
        self.inner
            .lock()
            .unwrap()
            .seen
            .insert(openid.to_string(), Instant::now());
    }

    /// The openid has not opened the mini-program for a while (tests the recent-visit rule).
    pub fn forget_seen(&self, openid: &str) {
        self.inner.lock().unwrap().seen.remove(openid);
    }

    /// The next `times` calls to `endpoint` answer with `errcode`.
    pub fn fail_next(&self, endpoint: &str, errcode: i64, times: usize) {
        let mut s = self.inner.lock().unwrap();
        let q = s.failures.entry(endpoint.to_string()).or_default();
        for _ in 0..times {
            q.push_back(errcode);
        }
    }

    /// Every call to `endpoint` takes `d` before it is answered (and, for a send, recorded).
    pub fn set_delay(&self, endpoint: &str, d: Duration) {
        self.inner
            .lock()
            .unwrap()
            .delays
            .insert(endpoint.to_string(), d);
    }

    /// Invalidates every issued access token (tests the 40001 drop-and-retry path).
    pub fn revoke_tokens(&self) {
        let mut s = self.inner.lock().unwrap();
        s.valid_tokens.clear();
        s.stable = None;
    }

    pub fn set_token_ttl(&self, ttl: Duration) {
        self.inner.lock().unwrap().token_ttl = ttl;
    }

    pub fn count(&self, endpoint: &str) -> u64 {
        self.inner
            .lock()
            .unwrap()
            .counters
            .get(endpoint)
            .copied()
            .unwrap_or(0)
    }

    pub fn sent_messages(&self) -> Vec<Value> {
        self.inner.lock().unwrap().sent.clone()
    }

    fn hit(&self, endpoint: &str) -> Option<i64> {
        let mut s = self.inner.lock().unwrap();
        *s.counters.entry(endpoint.to_string()).or_default() += 1;
        s.failures.get_mut(endpoint).and_then(|q| q.pop_front())
    }

    fn check_token(&self, token: Option<&str>) -> Result<(), Response> {
        let s = self.inner.lock().unwrap();
        match token {
            None | Some("") => Err(err(41001, "access_token missing")),
            Some(t) => match s.valid_tokens.get(t) {
                None => Err(err(
                    40001,
                    "invalid credential, access_token is invalid or not latest, could get access_token by getStableAccessToken",
                )),
                Some(exp) if *exp <= Instant::now() => Err(err(42001, "access_token expired")),
                Some(_) => Ok(()),
            },
        }
    }

    pub fn routes(&self) -> impl poem::Endpoint {
        Route::new()
            .at("/sns/jscode2session", poem::get(jscode2session))
            .at("/cgi-bin/token", poem::get(classic_token))
            .at("/cgi-bin/stable_token", poem::post(stable_token))
            .at("/wxa/business/getuserphonenumber", poem::post(phone_number))
            .at(
                "/cgi-bin/message/subscribe/send",
                poem::post(subscribe_send),
            )
            .at("/wxa/msg_sec_check", poem::post(msg_sec_check))
            .at("/wxa/getwxacodeunlimit", poem::post(wxacode))
            .at("/__fake/login_code", poem::post(ctl_login_code))
            .at("/__fake/phone_code", poem::post(ctl_phone_code))
            .at("/__fake/subscribe", poem::post(ctl_subscribe))
            .at("/__fake/seen", poem::post(ctl_seen))
            .at("/__fake/fail", poem::post(ctl_fail))
            .at("/__fake/revoke_tokens", poem::post(ctl_revoke))
            .at("/__fake/messages", poem::get(ctl_messages))
            .at("/__fake/counters", poem::get(ctl_counters))
            .data(self.clone())
    }

    /// Binds 127.0.0.1 on `port` (0 = any free port) and serves in the background.
    pub async fn spawn(&self, port: u16) -> std::io::Result<String> {
        let acceptor = TcpListener::bind(format!("127.0.0.1:{port}"))
            .into_acceptor()
            .await?;
        let addr = acceptor
            .local_addr()
            .first()
            .and_then(|a| a.as_socket_addr().cloned())
            .ok_or_else(|| std::io::Error::other("no local address"))?;
        let app = self.routes();
        tokio::spawn(async move {
            let _ = Server::new_with_acceptor(acceptor).run(app).await;
        });
        Ok(format!("http://{addr}"))
    }
}

#[derive(Deserialize)]
struct LoginQ {
    appid: Option<String>,
    secret: Option<String>,
    js_code: Option<String>,
    grant_type: Option<String>,
}

#[handler]
fn jscode2session(Data(f): Data<&FakeWechat>, Query(q): Query<LoginQ>) -> Response {
    if let Some(code) = f.hit("jscode2session") {
        return err(code, "forced error");
    }
    let mut s = f.inner.lock().unwrap();
    if q.appid.as_deref() != Some(s.appid.as_str()) {
        return err(40013, "invalid appid");
    }
    if q.secret.as_deref() != Some(s.secret.as_str()) {
        return err(40125, "invalid appsecret");
    }
    if q.grant_type.as_deref() != Some("authorization_code") {
        return err(40002, "invalid grant_type");
    }
    let ttl = s.code_ttl;
    let Some(code) = q.js_code else {
        return err(40029, "invalid code");
    };
    match s.login_codes.get_mut(&code) {
        None => err(40029, "invalid code"),
        Some((_, issued, _)) if issued.elapsed() > ttl => err(40029, "invalid code"),
        Some((_, _, true)) => err(40163, "code been used"),
        Some((openid, _, used)) => {
            *used = true;
            let openid = openid.clone();
            // Signing in is a visit: msg_sec_check's recent-visit rule is satisfied for two hours.
            s.seen.insert(openid.clone(), Instant::now());
            Json(json!({ "openid": openid, "session_key": random_token(24) })).into_response()
        }
    }
}

#[derive(Deserialize)]
struct ClassicQ {
    grant_type: Option<String>,
    appid: Option<String>,
    secret: Option<String>,
}

#[handler]
fn classic_token(Data(f): Data<&FakeWechat>, Query(q): Query<ClassicQ>) -> Response {
    if let Some(code) = f.hit("token") {
        return err(code, "forced error");
    }
    let mut s = f.inner.lock().unwrap();
    if q.grant_type.as_deref() != Some("client_credential") {
        return err(40002, "invalid grant_type");
    }
    if q.appid.as_deref() != Some(s.appid.as_str()) {
        return err(40013, "invalid appid");
    }
    if q.secret.as_deref() != Some(s.secret.as_str()) {
        return err(40125, "invalid appsecret");
    }
    // Each classic fetch mints a new token; earlier ones live five more minutes at most.
    let now = Instant::now();
    let grace = now + Duration::from_secs(300);
    for exp in s.valid_tokens.values_mut() {
        if *exp > grace {
            *exp = grace;
        }
    }
    let t = random_token(136);
    let ttl = s.token_ttl;
    s.valid_tokens.insert(t.clone(), now + ttl);
    Json(json!({ "access_token": t, "expires_in": ttl.as_secs() })).into_response()
}

#[handler]
async fn stable_token(Data(f): Data<&FakeWechat>, body: Body) -> Response {
    if let Some(code) = f.hit("stable_token") {
        return err(code, "forced error");
    }
    let bytes = body.into_vec().await.unwrap_or_default();
    let Ok(v) = serde_json::from_slice::<Value>(&bytes) else {
        return err(41002, "appid missing");
    };
    let mut s = f.inner.lock().unwrap();
    if v.get("grant_type").and_then(|x| x.as_str()) != Some("client_credential") {
        return err(40002, "invalid grant_type");
    }
    match v.get("appid").and_then(|x| x.as_str()) {
        None => return err(41002, "appid missing"),
        Some(a) if a != s.appid => return err(40013, "invalid appid"),
        _ => {}
    }
    match v.get("secret").and_then(|x| x.as_str()) {
        None => return err(41004, "appsecret missing"),
        Some(x) if x != s.secret => return err(40125, "invalid appsecret"),
        _ => {}
    }
    let force = v
        .get("force_refresh")
        .and_then(|x| x.as_bool())
        .unwrap_or(false);
    let now = Instant::now();
    let ttl = s.token_ttl;
    let reuse = match &s.stable {
        Some((t, exp)) if !force && *exp > now + Duration::from_secs(300).min(ttl / 2) => {
            Some((t.clone(), *exp))
        }
        _ => None,
    };
    let (t, exp) = match reuse {
        Some(x) => x,
        None => {
            let t = random_token(136);
            let exp = now + ttl;
            s.stable = Some((t.clone(), exp));
            s.valid_tokens.insert(t.clone(), exp);
            (t, exp)
        }
    };
    Json(json!({ "access_token": t, "expires_in": exp.saturating_duration_since(now).as_secs() }))
        .into_response()
}

#[derive(Deserialize)]
struct TokenQ {
    access_token: Option<String>,
}

/// Common preamble of token-protected POSTs: forced failure, token check, JSON body with
/// no `access_token` inside it.
async fn preamble(f: &FakeWechat, name: &str, q: &TokenQ, body: Body) -> Result<Value, Response> {
    if let Some(code) = f.hit(name) {
        return Err(err(code, "forced error"));
    }
    f.check_token(q.access_token.as_deref())?;
    let bytes = body.into_vec().await.unwrap_or_default();
    if bytes.is_empty() {
        return Err(err(44002, "empty post data"));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| err(47001, "data format error"))?;
    if v.get("access_token").is_some() {
        return Err(err(47001, "data format error"));
    }
    let delay = f.inner.lock().unwrap().delays.get(name).copied();
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    Ok(v)
}

#[handler]
async fn phone_number(Data(f): Data<&FakeWechat>, Query(q): Query<TokenQ>, body: Body) -> Response {
    let v = match preamble(f, "getuserphonenumber", &q, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = f.inner.lock().unwrap();
    let ttl = s.code_ttl;
    let appid = s.appid.clone();
    let code = v.get("code").and_then(|c| c.as_str()).unwrap_or("");
    match s.phone_codes.get_mut(code) {
        Some((phone, issued, used)) if !*used && issued.elapsed() <= ttl => {
            *used = true;
            Json(json!({
                "errcode": 0, "errmsg": "ok",
                "phone_info": {
                    "phoneNumber": phone.clone(), "purePhoneNumber": phone.clone(), "countryCode": 86,
                    "watermark": { "timestamp": chrono::Utc::now().timestamp(), "appid": appid }
                }
            }))
            .into_response()
        }
        _ => err(40029, "invalid code"),
    }
}

fn value_ok(key: &str, value: &str) -> bool {
    let n = value.chars().count();
    let kind: String = key
        .chars()
        .take_while(|c| c.is_ascii_alphabetic() || *c == '_')
        .collect();
    match kind.as_str() {
        "thing" => (1..=20).contains(&n),
        "number" => (1..=32).contains(&n) && value.chars().all(|c| c.is_ascii_digit() || c == '.'),
        "letter" => (1..=32).contains(&n) && value.chars().all(|c| c.is_ascii_alphabetic()),
        "symbol" => (1..=5).contains(&n),
        "character_string" => (1..=32).contains(&n) && value.is_ascii(),
        "phrase" => (1..=5).contains(&n),
        "name" => (1..=10).contains(&n),
        "time" | "date" => (1..=40).contains(&n),
        _ => n >= 1,
    }
}

#[handler]
async fn subscribe_send(
    Data(f): Data<&FakeWechat>,
    Query(q): Query<TokenQ>,
    body: Body,
) -> Response {
    let v = match preamble(f, "subscribe_send", &q, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let mut s = f.inner.lock().unwrap();
    let touser = v
        .get("touser")
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .to_string();
    let template = v
        .get("template_id")
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .to_string();
    if touser.is_empty() {
        return err(40003, "invalid openid");
    }
    if template.is_empty() || !s.known_templates.contains(&template) {
        return err(40037, "invalid template_id");
    }
    if let Some(page) = v.get("page").and_then(|p| p.as_str()) {
        if !page.starts_with("pages/") {
            return err(41030, "invalid page");
        }
    }
    let Some(data) = v.get("data").and_then(|d| d.as_object()) else {
        return err(47003, "argument invalid! data is not an object");
    };
    for (k, val) in data {
        let text = val.get("value").and_then(|x| x.as_str()).unwrap_or("");
        if text.is_empty() {
            return err(47003, &format!("argument invalid! data.{k}.value is empty"));
        }
        if !value_ok(k, text) {
            return err(47003, &format!("argument invalid! data.{k}.value invalid"));
        }
    }
    let key = (touser, template);
    match s.grants.get_mut(&key) {
        Some(n) if *n > 0 => *n -= 1,
        _ => return err(43101, "user refuse to accept the msg"),
    }
    s.next_msgid += 1;
    let msgid = s.next_msgid;
    s.sent.push(v);
    Json(json!({ "errcode": 0, "errmsg": "ok", "msgid": msgid })).into_response()
}

#[handler]
async fn msg_sec_check(
    Data(f): Data<&FakeWechat>,
    Query(q): Query<TokenQ>,
    body: Body,
) -> Response {
    let v = match preamble(f, "msg_sec_check", &q, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let s = f.inner.lock().unwrap();
    let openid = v.get("openid").and_then(|x| x.as_str()).unwrap_or("");
    if v.get("version").and_then(|x| x.as_i64()) != Some(2) {
        return err(40003, "invalid version");
    }
    if openid.is_empty() {
        return err(40003, "invalid openid");
    }
    let recently = s
        .seen
        .get(openid)
        .map(|t| t.elapsed() < Duration::from_secs(7200))
        .unwrap_or(false);
    if !recently {
        return err(61010, "user is not visited in recent two hours");
    }
    let content = v.get("content").and_then(|x| x.as_str()).unwrap_or("");
    if content.chars().count() > 2500 {
        return err(87014, "content too long");
    }
    // Deterministic stand-in for the classifier: marker words choose the verdict.
    let (suggest, label) = if content.contains("违规") || content.contains("[risky]") {
        ("risky", 20001)
    } else if content.contains("可疑") || content.contains("[review]") {
        ("review", 21000)
    } else {
        ("pass", 100)
    };
    Json(json!({
        "errcode": 0, "errmsg": "ok", "trace_id": rid(),
        "result": { "suggest": suggest, "label": label },
        "detail": [{ "strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90 }]
    }))
    .into_response()
}

#[handler]
async fn wxacode(Data(f): Data<&FakeWechat>, Query(q): Query<TokenQ>, body: Body) -> Response {
    let v = match preamble(f, "getwxacodeunlimit", &q, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let scene = v.get("scene").and_then(|x| x.as_str()).unwrap_or("");
    if scene.is_empty() || scene.len() > 32 {
        return err(40169, "invalid length for scene");
    }
    if let Some(page) = v.get("page").and_then(|x| x.as_str()) {
        if page.starts_with('/') || !page.starts_with("pages/") {
            return err(41030, "invalid page");
        }
    }
    // A real JPEG image, as WeChat sends: here a QR code carrying the page and the scene, so a
    // test (or a person with a phone) can read back what the code opens.
    let width = v
        .get("width")
        .and_then(|w| w.as_u64())
        .unwrap_or(430)
        .clamp(280, 1280) as u32;
    let page = v.get("page").and_then(|x| x.as_str()).unwrap_or("");
    match code_image(&format!("{page}?scene={scene}"), width) {
        Some(bytes) => Response::builder()
            .status(StatusCode::OK)
            .content_type("image/jpeg")
            .body(bytes),
        None => err(-1, "system error"),
    }
}

/// A QR code of `text` as a JPEG about `width` pixels wide.
pub fn code_image(text: &str, width: u32) -> Option<Vec<u8>> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let img = code
        .render::<image::Luma<u8>>()
        .min_dimensions(width, width)
        .build();
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(out.into_inner())
}

#[derive(Deserialize)]
struct CtlLogin {
    openid: Option<String>,
}
#[handler]
fn ctl_login_code(Data(f): Data<&FakeWechat>, Json(b): Json<CtlLogin>) -> Json<Value> {
    let openid = b.openid.unwrap_or_else(|| format!("o{}", random_token(27)));
    let code = f.issue_login_code(&openid);
    Json(json!({ "code": code, "openid": openid }))
}

#[derive(Deserialize)]
struct CtlPhone {
    phone: String,
}
#[handler]
fn ctl_phone_code(Data(f): Data<&FakeWechat>, Json(b): Json<CtlPhone>) -> Json<Value> {
    Json(json!({ "code": f.issue_phone_code(&b.phone) }))
}

#[derive(Deserialize)]
struct CtlSub {
    openid: String,
    template_id: String,
    count: Option<u32>,
}
#[handler]
fn ctl_subscribe(Data(f): Data<&FakeWechat>, Json(b): Json<CtlSub>) -> Json<Value> {
    f.grant_subscription(&b.openid, &b.template_id, b.count.unwrap_or(1));
    Json(json!({ "ok": true }))
}

#[handler]
fn ctl_seen(Data(f): Data<&FakeWechat>, Json(b): Json<CtlLogin>) -> Json<Value> {
    f.mark_seen(b.openid.as_deref().unwrap_or(""));
    Json(json!({ "ok": true }))
}

#[derive(Deserialize)]
struct CtlFail {
    endpoint: String,
    errcode: i64,
    times: Option<usize>,
}
#[handler]
fn ctl_fail(Data(f): Data<&FakeWechat>, Json(b): Json<CtlFail>) -> Json<Value> {
    f.fail_next(&b.endpoint, b.errcode, b.times.unwrap_or(1));
    Json(json!({ "ok": true }))
}

#[handler]
fn ctl_revoke(Data(f): Data<&FakeWechat>) -> Json<Value> {
    f.revoke_tokens();
    Json(json!({ "ok": true }))
}

#[handler]
fn ctl_messages(Data(f): Data<&FakeWechat>) -> Json<Value> {
    Json(json!({ "messages": f.sent_messages() }))
}

#[handler]
fn ctl_counters(Data(f): Data<&FakeWechat>, _req: &Request) -> Json<Value> {
    Json(json!(f.inner.lock().unwrap().counters.clone()))
}
