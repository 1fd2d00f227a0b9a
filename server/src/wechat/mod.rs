//! WeChat server API client (reqwest, configurable base URL) and a fake server that speaks
//! the same wire format for tests and local development (`fake.rs`).
//!
//! Wire rules we rely on (see docs/operations.md, "The fake WeChat server"): business errors arrive with HTTP 200 as
//! `{"errcode":…, "errmsg":"… rid: …"}`; `errcode` may be missing (success), a number or a
//! numeric string; `access_token` travels in the query string only; the errmsg is never compared.

pub mod fake;

use crate::cache::Cache;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

#[derive(Clone)]
pub struct WechatClient {
    http: reqwest::Client,
    base: Arc<str>,
    appid: Arc<str>,
    secret: Arc<str>,
    cache: Cache,
    /// Single-flight guard: only one task fetches a new access token at a time.
    refresh: Arc<Mutex<()>>,
}

/// Errors as the rest of the service needs to tell them apart.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WxError {
    /// WeChat answered with an errcode.
    #[error("wechat errcode {errcode}")]
    Api { errcode: i64, errmsg: String },
    /// Timeout, non-200 status or an unreadable body: WeChat may have acted on it.
    #[error("wechat transport: {0}")]
    Transport(String),
    /// The connection could not be made: WeChat never saw the request.
    #[error("wechat unreachable: {0}")]
    Unreached(String),
}

impl WxError {
    pub fn errcode(&self) -> Option<i64> {
        match self {
            WxError::Api { errcode, .. } => Some(*errcode),
            WxError::Transport(_) | WxError::Unreached(_) => None,
        }
    }
    fn is_token_error(&self) -> bool {
        matches!(self.errcode(), Some(40001 | 40014 | 42001))
    }
}

fn errcode_of(v: &Value) -> i64 {
    match v.get("errcode") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
        _ => 0,
    }
}

fn check(v: Value) -> Result<Value, WxError> {
    let code = errcode_of(&v);
    if code != 0 {
        return Err(WxError::Api {
            errcode: code,
            errmsg: v
                .get("errmsg")
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_string(),
        });
    }
    Ok(v)
}

fn parse<T: DeserializeOwned>(v: Value) -> Result<T, WxError> {
    serde_json::from_value(v).map_err(|e| WxError::Transport(format!("unexpected body: {e}")))
}

#[derive(Debug, Clone, Deserialize)]
pub struct Code2Session {
    pub openid: String,
    /// Secret; we do not store it (we never decrypt user data).
    #[serde(default)]
    pub session_key: String,
    #[serde(default)]
    pub unionid: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhoneInfo {
    #[serde(rename = "phoneNumber")]
    pub phone_number: String,
    #[serde(rename = "purePhoneNumber")]
    pub pure_phone_number: String,
    #[serde(rename = "countryCode", deserialize_with = "string_or_number")]
    pub country_code: String,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(match v {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct SubscribeMessage {
    pub touser: String,
    pub template_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// `{"thing1": {"value": "…"}, …}` — an object, never a JSON-encoded string.
    pub data: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub miniprogram_state: Option<String>,
}

/// Outcome of the text security check (`msg_sec_check` v2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggest {
    Pass,
    Review,
    Risky,
}

impl WechatClient {
    pub fn new(base: &str, appid: &str, secret: &str, cache: Cache) -> WechatClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(3))
            .build()
            .expect("reqwest client");
        WechatClient {
            http,
            base: base.trim_end_matches('/').into(),
            appid: appid.into(),
            secret: secret.into(),
            cache,
            refresh: Arc::new(Mutex::new(())),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    // reqwest errors print the URL, which may carry the secret or token: strip it.
    fn transport(e: reqwest::Error) -> WxError {
        // A refused or failed connection never reached WeChat: safe to try again. Anything
        // else (a timeout mid-request, a broken reply) may have been acted on.
        if e.is_connect() {
            WxError::Unreached(e.without_url().to_string())
        } else {
            WxError::Transport(e.without_url().to_string())
        }
    }

    async fn get_json(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, WxError> {
        let resp = self
            .http
            .get(format!("{}{}", self.base, path))
            .query(query)
            .send()
            .await
            .map_err(Self::transport)?;
        if !resp.status().is_success() {
            return Err(WxError::Transport(format!(
                "HTTP {}",
                resp.status().as_u16()
            )));
        }
        resp.json::<Value>().await.map_err(Self::transport)
    }

    async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<reqwest::Response, WxError> {
        let mut req = self.http.post(format!("{}{}", self.base, path)).json(body);
        if let Some(t) = token {
            req = req.query(&[("access_token", t)]);
        }
        let resp = req.send().await.map_err(Self::transport)?;
        if !resp.status().is_success() {
            return Err(WxError::Transport(format!(
                "HTTP {}",
                resp.status().as_u16()
            )));
        }
        Ok(resp)
    }

    /// `GET /sns/jscode2session`.
    pub async fn code2session(&self, js_code: &str) -> Result<Code2Session, WxError> {
        let v = self
            .get_json(
                "/sns/jscode2session",
                &[
                    ("appid", &self.appid),
                    ("secret", &self.secret),
                    ("js_code", js_code),
                    ("grant_type", "authorization_code"),
                ],
            )
            .await?;
        parse(check(v)?)
    }

    const TOKEN_KEY: &'static str = "wechat:access_token";

    /// A valid access token: from the shared cache, or fetched once through `stable_token`
    /// (normal mode, which never rotates a live token, so several instances may call it).
    pub async fn access_token(&self) -> Result<String, WxError> {
        if let Some(t) = self.cache.get(Self::TOKEN_KEY).await {
            return Ok(t);
        }
        let _guard = self.refresh.lock().await;
        // Another task may have refreshed while we waited.
        if let Some(t) = self.cache.get(Self::TOKEN_KEY).await {
            return Ok(t);
        }
        let body = serde_json::json!({
            "grant_type": "client_credential",
            "appid": &*self.appid,
            "secret": &*self.secret,
        });
        let v: Value = self
            .post_raw("/cgi-bin/stable_token", None, &body)
            .await?
            .json()
            .await
            .map_err(Self::transport)?;
        let v = check(v)?;
        let token = v
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| WxError::Transport("token missing".into()))?
            .to_string();
        let expires = v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(300);
        // Refresh when fewer than five minutes remain (stable tokens overlap for five minutes).
        let ttl = expires.saturating_sub(300).max(30);
        self.cache
            .set(Self::TOKEN_KEY, &token, Duration::from_secs(ttl))
            .await;
        Ok(token)
    }

    async fn drop_token_if(&self, token: &str) {
        if self.cache.get(Self::TOKEN_KEY).await.as_deref() == Some(token) {
            self.cache.del(Self::TOKEN_KEY).await;
        }
    }

    /// POST with the access token; on a token error, drop the cached token and retry once.
    async fn call_with_token(&self, path: &str, body: &Value) -> Result<Reply, WxError> {
        let mut retried = false;
        loop {
            let token = self.access_token().await?;
            let resp = self.post_raw(path, Some(&token), body).await?;
            let ctype = resp
                .headers()
                .get(reqwest::header::CONTENT_TYPE)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_string();
            let bytes = resp.bytes().await.map_err(Self::transport)?;
            if ctype.starts_with("image/") {
                return Ok(Reply::Binary(bytes.to_vec()));
            }
            let v: Value = serde_json::from_slice(&bytes)
                .map_err(|e| WxError::Transport(format!("unreadable body: {e}")))?;
            match check(v) {
                Err(e) if e.is_token_error() && !retried => {
                    retried = true;
                    self.drop_token_if(&token).await;
                }
                Err(e) => return Err(e),
                Ok(v) => return Ok(Reply::Json(v)),
            }
        }
    }

    async fn call_json(&self, path: &str, body: &Value) -> Result<Value, WxError> {
        match self.call_with_token(path, body).await? {
            Reply::Json(v) => Ok(v),
            Reply::Binary(_) => Err(WxError::Transport("expected JSON".into())),
        }
    }

    /// `POST /wxa/business/getuserphonenumber`.
    pub async fn phone_number(&self, code: &str) -> Result<PhoneInfo, WxError> {
        let v = self
            .call_json(
                "/wxa/business/getuserphonenumber",
                &serde_json::json!({ "code": code }),
            )
            .await?;
        let info = v
            .get("phone_info")
            .cloned()
            .ok_or_else(|| WxError::Transport("phone_info missing".into()))?;
        parse(info)
    }

    /// `POST /cgi-bin/message/subscribe/send`; returns the msgid.
    pub async fn send_subscribe(&self, msg: &SubscribeMessage) -> Result<i64, WxError> {
        let body = serde_json::to_value(msg).map_err(|e| WxError::Transport(e.to_string()))?;
        let v = self
            .call_json("/cgi-bin/message/subscribe/send", &body)
            .await?;
        Ok(v.get("msgid").and_then(|m| m.as_i64()).unwrap_or(0))
    }

    /// `POST /wxa/msg_sec_check` (version 2). `scene` 2 = comment.
    pub async fn msg_sec_check(
        &self,
        openid: &str,
        content: &str,
        scene: u8,
    ) -> Result<Suggest, WxError> {
        let v = self
            .call_json(
                "/wxa/msg_sec_check",
                &serde_json::json!({ "content": content, "version": 2, "scene": scene, "openid": openid }),
            )
            .await?;
        let s = v
            .pointer("/result/suggest")
            .and_then(|s| s.as_str())
            .unwrap_or("review");
        Ok(match s {
            "pass" => Suggest::Pass,
            "risky" => Suggest::Risky,
            _ => Suggest::Review,
        })
    }

    /// `POST /wxa/getwxacodeunlimit`: image bytes on success, a JSON error otherwise.
    pub async fn wxacode_unlimit(&self, scene: &str, page: &str) -> Result<Vec<u8>, WxError> {
        match self
            .call_with_token(
                "/wxa/getwxacodeunlimit",
                &serde_json::json!({ "scene": scene, "page": page, "check_path": false }),
            )
            .await?
        {
            Reply::Binary(b) => Ok(b),
            Reply::Json(_) => Err(WxError::Transport("expected an image".into())),
        }
    }
}

enum Reply {
    Json(Value),
    Binary(Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errcode_accepts_number_string_and_missing() {
        assert_eq!(errcode_of(&serde_json::json!({"errcode": 40029})), 40029);
        assert_eq!(errcode_of(&serde_json::json!({"errcode": "40029"})), 40029);
        assert_eq!(errcode_of(&serde_json::json!({"openid": "x"})), 0);
    }

    #[test]
    fn phone_country_code_string_or_number() {
        let a: PhoneInfo = serde_json::from_value(serde_json::json!(
            {"phoneNumber":"13800138000","purePhoneNumber":"13800138000","countryCode":86}))
        .unwrap();
        assert_eq!(a.country_code, "86");
    }
}
