//! Typed settings, loaded in layers: built-in defaults, then an optional TOML file
//! (`CULTUREHUB_CONFIG` or `--config`), then environment variables. Validated once at start.

use serde::Deserialize;
use std::fmt;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address `serve` binds to.
    pub listen: String,
    /// `sqlite://path` (default) or `postgres://…`.
    pub database_url: String,
    /// Redis for shared cache and limits; in-process equivalent when absent.
    pub redis_url: Option<String>,
    pub wechat: WechatSettings,
    /// Development sign-in that bypasses WeChat. Never enable in production.
    pub dev_login: bool,
    /// `json` (production) or `pretty`.
    pub log_format: String,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Seconds a request may take before it is answered with a timeout.
    pub request_timeout_secs: u64,
    /// Seconds a client may take to send its request body (slow clients are cut off).
    pub body_read_timeout_secs: u64,
    /// On stop (SIGTERM), seconds given to requests in flight and to the message being sent;
    /// the process exits within about this long whatever is still running.
    pub shutdown_grace_secs: u64,
    /// Lifetime of a sign-in session, in hours.
    pub session_ttl_hours: i64,
    /// Load the demo Futian network into an empty database on `serve`.
    pub seed_demo_if_empty: bool,
    /// With the demo network, also load demo activities for the coming weeks.
    pub seed_demo_activities: bool,
    pub rate_limit: RateLimitSettings,
    /// Addresses (or CIDR ranges) of the reverse proxies in front of the service. Only a
    /// request arriving from one of them has its `X-Forwarded-For` believed; everyone else's
    /// address is the connection's. Empty: the header is ignored.
    pub trusted_proxies: Vec<String>,
    /// Where `/metrics` is served and who may read it.
    pub metrics: MetricsSettings,
    pub booking: BookingSettings,
    /// The district policy's numbers (annual targets, staffing minimums): data, not code.
    pub policy: PolicySettings,
    /// The unified naming rule for units (统一命名规则), per district.
    pub naming: NamingSettings,
    /// Key that derives ticket QR tokens. Empty: the embedded default keeps a generated key
    /// in its database; production should set `CULTUREHUB_TICKET_KEY`.
    pub ticket_key: String,
    /// Uploaded files (posters, photos, evidence): where they are kept and what is accepted.
    pub storage: StorageSettings,
    /// The staff console: where its built assets are, its browser sessions.
    pub console: ConsoleSettings,
    /// Online programmes and the resource library (issue 17).
    pub online: OnlineSettings,
    /// The culture-cloud connection (国家/广东公共文化云): where aggregate snapshots are pushed.
    pub cloud: CloudSettings,
    /// Public open-data feeds and calendars.
    pub feeds: FeedSettings,
}

/// `[cloud]`: the push to a culture cloud's docking interface (D220–D223). The clouds publish
/// no interface, so the endpoint, credentials and field names are configuration. Empty
/// `endpoint`: nothing is pushed (the file export still works).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CloudSettings {
    /// Name of the receiver, shown in the send log (`guangdong`, `national`, …).
    pub target: String,
    /// `https://…` URL the snapshot is POSTed to. Empty: pushing is off.
    pub endpoint: String,
    /// Sent as `X-CH-Key` so the receiver knows which secret to check with.
    pub key_id: String,
    /// HMAC-SHA256 key: `X-CH-Signature = hex(HMAC(secret, timestamp + "\n" + body))`.
    pub secret: String,
    /// Seconds one push may take before it counts as failed (and is retried).
    pub timeout_secs: u64,
    /// Tries before a push is given up (`failed`).
    pub max_attempts: i64,
    /// Renames of payload field names, `ours = "theirs"` (e.g. `unit_code = "venueCode"`),
    /// applied at every level of the JSON body.
    pub field_map: std::collections::BTreeMap<String, String>,
    /// Queue one snapshot per China day from the background worker.
    pub daily: bool,
}

impl Default for CloudSettings {
    fn default() -> Self {
        CloudSettings {
            target: "culture-cloud".into(),
            endpoint: String::new(),
            key_id: String::new(),
            secret: String::new(),
            timeout_secs: 20,
            max_attempts: 6,
            field_map: Default::default(),
            daily: true,
        }
    }
}

/// `[feeds]`: public open data (D224).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedSettings {
    /// Feed requests per minute per client address.
    pub per_minute_per_ip: u32,
    /// Upcoming activities cover this many days ahead.
    pub days_ahead: i64,
    /// The public base URL of the service (`https://culture.example.gov.cn`), for the
    /// personal calendar link. Empty: the link is given as a path.
    pub public_base_url: String,
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            per_minute_per_ip: 120,
            days_ahead: 60,
            public_base_url: String::new(),
        }
    }
}

/// `[online]`: what the mini-program may open in a `web-view`.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnlineSettings {
    /// The business domains (业务域名) configured for the mini-program in the WeChat admin
    /// console (开发管理 → 开发设置 → 业务域名), e.g. `live.example.cn`. Live pages, replays and
    /// library links must be `https://` on one of them; empty: only WeChat Channels links.
    /// `CULTUREHUB_BUSINESS_DOMAINS`, comma-separated.
    pub business_domains: Vec<String>,
}

/// `[metrics]`: `/metrics` on its own address (reachable only by the monitoring system), or
/// on the main address behind a bearer token. With neither, it is served on the main address
/// only in local development (embedded fake WeChat); in production it answers 404 there.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// A separate `address:port` for `/metrics` (e.g. `127.0.0.1:9091`). Empty: none.
    pub listen: String,
    /// A token scrapers send as `Authorization: Bearer <token>` to the main address. Empty: none.
    pub token: String,
}

impl MetricsSettings {
    /// Whether `/metrics` answers on the main address, and with which token.
    pub fn on_main_address(&self, development: bool) -> bool {
        self.listen.is_empty() && (!self.token.is_empty() || development)
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsoleSettings {
    /// Directory of the built console (`npm run build` in `console/`), served at `/console/`.
    pub assets_dir: String,
    /// A console session ends after this many minutes without a request.
    pub idle_minutes: i64,
    /// … and in any case this many hours after sign-in.
    pub absolute_hours: i64,
    /// `Secure` on the session cookie. Unset: on, except with the embedded fake WeChat (local
    /// development over plain http).
    pub secure_cookie: Option<bool>,
    /// A request header set by the reverse proxy with the client's approximate place (e.g. a
    /// GeoIP city), shown on the scan-to-sign-in confirm page. Empty: not used.
    pub place_header: String,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            assets_dir: "console/dist".into(),
            idle_minutes: 120,
            absolute_hours: 12,
            secure_cookie: None,
            place_header: String::new(),
        }
    }
}

impl Settings {
    /// Whether console cookies carry `Secure` (see `ConsoleSettings::secure_cookie`).
    pub fn console_cookie_secure(&self) -> bool {
        self.console
            .secure_cookie
            .unwrap_or(!self.wechat.embedded_fake)
    }
}

/// `[storage]`: a local directory (default) or S3-compatible object storage, and the limits
/// every upload must meet.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSettings {
    /// `local` (a directory on this machine) or `s3` (S3-compatible object storage).
    pub backend: String,
    /// Directory for `local`. Empty: `files/` next to the SQLite file (`data/files` on the
    /// embedded default), or `data/files` under the working directory with PostgreSQL.
    pub dir: String,
    /// Largest accepted upload, in bytes (the upload route's own body limit).
    pub max_upload_bytes: usize,
    /// Most pixels (width × height) an image may declare; larger ones are refused before
    /// they are decoded (decompression bombs).
    pub max_pixels: u64,
    /// Stored originals are scaled down to fit this many pixels on the long side.
    pub max_edge_px: u32,
    /// Long side of thumbnails, in pixels.
    pub thumb_px: u32,
    /// Uploads per minute per person.
    pub uploads_per_minute: u32,
    pub s3: S3Settings,
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// `https://obs.cn-south-1.myhuaweicloud.com`, `https://oss-cn-shenzhen.aliyuncs.com`,
    /// `http://127.0.0.1:9000` (MinIO or `culturehub fake-s3`), …
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://endpoint/bucket/key` (true) or `https://bucket.endpoint/key` (false).
    pub path_style: bool,
    /// Folder inside the bucket that holds this service's objects (may be empty).
    pub prefix: String,
}

impl Default for StorageSettings {
    fn default() -> Self {
        StorageSettings {
            backend: "local".into(),
            dir: String::new(),
            max_upload_bytes: 8 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_edge_px: 4096,
            thumb_px: 320,
            uploads_per_minute: 20,
            s3: S3Settings::default(),
        }
    }
}

impl Default for S3Settings {
    fn default() -> Self {
        S3Settings {
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            path_style: true,
            prefix: String::new(),
        }
    }
}

impl StorageSettings {
    /// The directory of the local store: `dir`, or `files/` beside the SQLite file.
    pub fn local_dir(&self, database_url: &str) -> std::path::PathBuf {
        if !self.dir.is_empty() {
            return self.dir.clone().into();
        }
        if let Some(rest) = database_url.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or(path);
            if let Some(parent) = std::path::Path::new(path).parent() {
                return parent.join("files");
            }
        }
        std::path::PathBuf::from("data/files")
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid = |key: &'static str, why: &str| {
            Err(ConfigError::Invalid {
                key,
                why: why.to_string(),
            })
        };
        if !(64 * 1024..=64 * 1024 * 1024).contains(&self.max_upload_bytes) {
            return invalid(
                "storage.max_upload_bytes",
                "上传大小上限应在 64 KB 到 64 MB 之间",
            );
        }
        if !(1_000_000..=200_000_000).contains(&self.max_pixels) {
            return invalid("storage.max_pixels", "图片像素上限应在 100 万到 2 亿之间");
        }
        if !(64..=1024).contains(&self.thumb_px) {
            return invalid("storage.thumb_px", "缩略图边长应在 64 到 1024 像素之间");
        }
        if self.max_edge_px < 1024 || self.max_edge_px < self.thumb_px {
            return invalid(
                "storage.max_edge_px",
                "原图长边上限至少为 1024 像素（且不小于缩略图边长）",
            );
        }
        if self.uploads_per_minute < 1 {
            return invalid(
                "storage.uploads_per_minute",
                "上传限流值至少为 1（限流不能关闭）",
            );
        }
        match self.backend.as_str() {
            "local" => Ok(()),
            "s3" => {
                let s3 = &self.s3;
                if !(s3.endpoint.starts_with("http://") || s3.endpoint.starts_with("https://")) {
                    return invalid(
                        "storage.s3.endpoint (CULTUREHUB_S3_ENDPOINT)",
                        "使用 S3 存储时必须设置服务地址，以 http:// 或 https:// 开头",
                    );
                }
                let bucket_ok = (3..=63).contains(&s3.bucket.len())
                    && s3.bucket.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                    })
                    && !s3.bucket.starts_with(['-', '.'])
                    && !s3.bucket.ends_with(['-', '.']);
                if !bucket_ok {
                    return invalid(
                        "storage.s3.bucket (CULTUREHUB_S3_BUCKET)",
                        "存储桶名称应为 3 到 63 个小写字母、数字、连字符或点",
                    );
                }
                if s3.region.trim().is_empty() {
                    return invalid(
                        "storage.s3.region (CULTUREHUB_S3_REGION)",
                        "使用 S3 存储时必须设置区域，例如 cn-south-1",
                    );
                }
                if s3.access_key_id.is_empty() || s3.secret_access_key.is_empty() {
                    return invalid(
                        "storage.s3.access_key_id / secret_access_key",
                        "使用 S3 存储时必须设置访问密钥（CULTUREHUB_S3_ACCESS_KEY_ID、CULTUREHUB_S3_SECRET_ACCESS_KEY）",
                    );
                }
                if !s3.prefix.is_empty() && !crate::storage::valid_key(s3.prefix.trim_matches('/'))
                {
                    return invalid(
                        "storage.s3.prefix",
                        "前缀只能包含小写字母、数字、/、-、_ 和 .",
                    );
                }
                Ok(())
            }
            _ => invalid(
                "storage.backend (CULTUREHUB_STORAGE)",
                "只能是 local（本机目录）或 s3（S3 兼容对象存储）",
            ),
        }
    }
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WechatSettings {
    /// Base URL of the WeChat server API (`https://api.weixin.qq.com`), or the fake's.
    pub base_url: String,
    pub appid: String,
    pub secret: String,
    /// Start the fake WeChat server inside `serve` and point `base_url` at it.
    pub embedded_fake: bool,
    /// Port of the embedded fake (127.0.0.1 only). The mini-program's development build asks it
    /// for login codes here; 0 picks any free port (tests).
    pub embedded_fake_port: u16,
    /// Subscribe-message template ids, from the mini-program admin console.
    pub templates: Templates,
    /// The URL prefix registered in the admin console under 扫普通链接二维码打开小程序; share
    /// posters encode `<prefix>/activity?id=N` and `<prefix>/unit?id=N` (D111).
    pub share_link_prefix: String,
}

/// One template per kind of message. Each template's fields are `thing1` (activity, ≤20
/// characters), `time2` (when), `thing3` (where) and `thing4` (what happened).
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    pub booking_confirmed: String,
    pub waitlist_promoted: String,
    pub lottery_result: String,
    pub session_reminder: String,
    pub activity_changed: String,
    pub demand_update: String,
}

impl Default for Templates {
    fn default() -> Self {
        Templates {
            booking_confirmed: "tmpl_booking_confirmed".into(),
            waitlist_promoted: "tmpl_waitlist_promoted".into(),
            lottery_result: "tmpl_lottery_result".into(),
            session_reminder: "tmpl_session_reminder".into(),
            activity_changed: "tmpl_activity_changed".into(),
            demand_update: "tmpl_demand_update".into(),
        }
    }
}

impl Templates {
    pub fn id_for(&self, kind: &str) -> Option<&str> {
        Some(match kind {
            "booking_confirmed" => &self.booking_confirmed,
            "waitlist_promoted" => &self.waitlist_promoted,
            "lottery_result" => &self.lottery_result,
            "session_reminder" => &self.session_reminder,
            "activity_changed" => &self.activity_changed,
            "demand_update" => &self.demand_update,
            _ => return None,
        })
    }
    pub const KINDS: [&'static str; 6] = [
        "booking_confirmed",
        "waitlist_promoted",
        "lottery_result",
        "session_reminder",
        "activity_changed",
        "demand_update",
    ];
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    /// Failed sign-ins (wrong or used codes) per minute per client address before that address
    /// must wait; also successful sign-ins per minute per person (WeChat openid).
    pub signin_per_minute: u32,
    /// Every sign-in attempt per minute per client address: a generous ceiling.
    pub signin_per_minute_per_ip: u32,
    /// Demand requests one person may post per hour.
    pub demands_per_hour: u32,
    /// Demand supports (“我也想要”) one person may give per minute.
    pub supports_per_minute: u32,
    /// Writes per minute per user.
    pub writes_per_minute: u32,
    /// Writes per minute per client address (covers anonymous writes).
    pub writes_per_minute_per_ip: u32,
}

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BookingSettings {
    /// Active (future, confirmed or waiting) bookings one person may hold.
    pub max_active_per_person: i64,
    /// Cancelling is allowed until this many minutes before the session starts.
    pub cancel_deadline_minutes: i64,
    /// No-show rule: this many no-shows …
    pub no_show_limit: i64,
    /// … within this many days …
    pub no_show_window_days: i64,
    /// … suspend booking for this many days.
    pub suspension_days: i64,
    /// Check-in opens this many minutes before a session starts.
    pub checkin_opens_minutes: i64,
    /// Reminders are sent this many minutes before a session starts.
    pub reminder_minutes: Vec<i64>,
    /// Seconds between background worker passes (outbox, draws, reminders).
    pub worker_interval_secs: u64,
    /// An attendee may rate a session within this many days after it ends.
    pub rating_window_days: i64,
    /// A rating can be edited for this many hours after it was given.
    pub rating_edit_hours: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: "127.0.0.1:8080".into(),
            database_url: "sqlite://data/culturehub.db".into(),
            redis_url: None,
            wechat: WechatSettings::default(),
            dev_login: false,
            log_format: "pretty".into(),
            body_limit: 256 * 1024,
            request_timeout_secs: 15,
            body_read_timeout_secs: 30,
            shutdown_grace_secs: 10,
            session_ttl_hours: 24 * 30,
            seed_demo_if_empty: true,
            seed_demo_activities: true,
            rate_limit: RateLimitSettings::default(),
            trusted_proxies: Vec::new(),
            metrics: MetricsSettings::default(),
            booking: BookingSettings::default(),
            ticket_key: String::new(),
            policy: PolicySettings::default(),
            naming: NamingSettings::default(),
            storage: StorageSettings::default(),
            console: ConsoleSettings::default(),
            online: OnlineSettings::default(),
            cloud: CloudSettings::default(),
            feeds: FeedSettings::default(),
        }
    }
}

/// Defaults are the Futian plan's: at least 20 performances sent to the grassroots, 20
/// lectures or exhibitions and 20 free art trainings a year; at least 15 full-time staff at the
/// main center, 4 per branch and 1 culture-sports coordinator per point.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicySettings {
    pub annual_performances: i64,
    pub annual_lectures_exhibitions: i64,
    pub annual_trainings: i64,
    pub min_staff_main: i64,
    pub min_staff_branch: i64,
    pub min_staff_point: i64,
    /// The district's posts (岗位) a staff register entry may hold.
    pub staff_posts: Vec<String>,
    /// The post that counts towards a point's minimum (any employment).
    pub coordinator_post: String,
    /// The post of a main-center cadre dispatched to a branch (双派).
    pub deputy_head_post: String,
    /// The post of a branch instructor dispatched to a point (双派).
    pub instructor_post: String,
    /// The kinds a unit's rooms (场地) may be of.
    pub room_kinds: Vec<String>,
    /// Staff training a year (policy: 1–2 management trainings from the district, regular
    /// business trainings by the main center, each branch training its point coordinators).
    pub min_district_management_trainings: i64,
    pub min_main_business_trainings: i64,
    pub min_branch_coordinator_trainings: i64,
}

/// Names units must have, by level. `{center}` is the district cultural center's name (e.g.
/// 福田区文化馆), `{x}` the part that tells units apart (园岭, 非遗, 红荔).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NamingSettings {
    /// The center's name. Empty: the main unit's name without its trailing `总馆`.
    pub center: String,
    pub main: String,
    pub direct_branch: String,
    pub branch: String,
    pub point: String,
}

impl Default for NamingSettings {
    fn default() -> Self {
        NamingSettings {
            center: String::new(),
            main: "{center}总馆".into(),
            direct_branch: "{center}{x}分馆".into(),
            branch: "{center}{x}分馆".into(),
            point: "{center}{x}服务点".into(),
        }
    }
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            annual_performances: 20,
            annual_lectures_exhibitions: 20,
            annual_trainings: 20,
            min_staff_main: 15,
            min_staff_branch: 4,
            min_staff_point: 1,
            staff_posts: [
                "馆长",
                "副馆长",
                "业务干部",
                "业务指导员",
                "文体协管员",
                "工作人员",
            ]
            .map(String::from)
            .to_vec(),
            coordinator_post: "文体协管员".into(),
            deputy_head_post: "副馆长".into(),
            instructor_post: "业务指导员".into(),
            room_kinds: [
                "多功能厅",
                "排练厅",
                "舞蹈室",
                "琴房",
                "书画室",
                "展厅",
                "户外场地",
                "其他",
            ]
            .map(String::from)
            .to_vec(),
            min_district_management_trainings: 1,
            min_main_business_trainings: 4,
            min_branch_coordinator_trainings: 1,
        }
    }
}

impl Default for WechatSettings {
    fn default() -> Self {
        WechatSettings {
            base_url: "https://api.weixin.qq.com".into(),
            appid: "wxdemo0000000000".into(),
            secret: String::new(),
            embedded_fake: true,
            embedded_fake_port: 9080,
            templates: Templates::default(),
            share_link_prefix: "https://culturehub.example.gov.cn/mp".into(),
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        RateLimitSettings {
            signin_per_minute: 30,
            signin_per_minute_per_ip: 300,
            demands_per_hour: 10,
            supports_per_minute: 30,
            writes_per_minute: 60,
            writes_per_minute_per_ip: 600,
        }
    }
}

impl Default for BookingSettings {
    fn default() -> Self {
        BookingSettings {
            max_active_per_person: 10,
            cancel_deadline_minutes: 120,
            no_show_limit: 3,
            no_show_window_days: 90,
            suspension_days: 30,
            checkin_opens_minutes: 60,
            reminder_minutes: vec![24 * 60, 120],
            worker_interval_secs: 5,
            rating_window_days: 14,
            rating_edit_hours: 24,
        }
    }
}

// Secrets never reach a log line, even through `{:?}`.
impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database_url", &redact_url(&self.database_url))
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("wechat.base_url", &self.wechat.base_url)
            .field("wechat.appid", &self.wechat.appid)
            .field(
                "wechat.secret",
                &if self.wechat.secret.is_empty() {
                    "(empty)"
                } else {
                    "(set)"
                },
            )
            .field("wechat.embedded_fake", &self.wechat.embedded_fake)
            .field("dev_login", &self.dev_login)
            .field("metrics.listen", &self.metrics.listen)
            .field(
                "metrics.token",
                &if self.metrics.token.is_empty() {
                    "(empty)"
                } else {
                    "(set)"
                },
            )
            .field("storage.backend", &self.storage.backend)
            .field("storage.dir", &self.storage.dir)
            .field("storage.s3.endpoint", &self.storage.s3.endpoint)
            .field("storage.s3.bucket", &self.storage.s3.bucket)
            .field("storage.s3.access_key_id", &self.storage.s3.access_key_id)
            .field(
                "storage.s3.secret_access_key",
                &if self.storage.s3.secret_access_key.is_empty() {
                    "(empty)"
                } else {
                    "(set)"
                },
            )
            .field("cloud.endpoint", &self.cloud.endpoint)
            .field(
                "cloud.secret",
                &if self.cloud.secret.is_empty() {
                    "(empty)"
                } else {
                    "(set)"
                },
            )
            .field(
                "ticket_key",
                &if self.ticket_key.is_empty() {
                    "(generated)"
                } else {
                    "(set)"
                },
            )
            .finish_non_exhaustive()
    }
}

/// Hides the password part of a connection URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("配置文件 {path} 读取失败: {cause}")]
    File { path: String, cause: String },
    #[error("配置项 {key} 无效: {why}")]
    Invalid { key: &'static str, why: String },
}

impl Settings {
    /// Defaults, then the TOML file if given, then the environment.
    pub fn load(file: Option<&str>) -> Result<Settings, ConfigError> {
        let file = file
            .map(str::to_string)
            .or_else(|| std::env::var("CULTUREHUB_CONFIG").ok());
        let mut s = match file {
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::File {
                    path: path.clone(),
                    cause: e.to_string(),
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::File {
                    path,
                    cause: e.to_string(),
                })?
            }
            None => Settings::default(),
        };
        s.apply_env(|k| std::env::var(k).ok())?;
        s.validate()?;
        Ok(s)
    }

    /// Environment overrides. `DATABASE_URL` and `REDIS_URL` are the conventional names;
    /// everything else is `CULTUREHUB_*`.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        if let Some(v) = get("DATABASE_URL") {
            self.database_url = v;
        }
        if let Some(v) = get("REDIS_URL") {
            self.redis_url = if v.trim().is_empty() { None } else { Some(v) };
        }
        if let Some(v) = get("CULTUREHUB_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("WECHAT_API_BASE") {
            self.wechat.base_url = v;
            self.wechat.embedded_fake = false;
        }
        if let Some(v) = get("WECHAT_APPID") {
            self.wechat.appid = v;
        }
        if let Some(v) = get("WECHAT_SECRET") {
            self.wechat.secret = v;
        }
        if let Some(v) = get("CULTUREHUB_EMBEDDED_FAKE_WECHAT") {
            self.wechat.embedded_fake = parse_bool("CULTUREHUB_EMBEDDED_FAKE_WECHAT", &v)?;
        }
        if let Some(v) = get("CULTUREHUB_FAKE_WECHAT_PORT") {
            self.wechat.embedded_fake_port =
                v.trim().parse().map_err(|_| ConfigError::Invalid {
                    key: "CULTUREHUB_FAKE_WECHAT_PORT",
                    why: format!("'{v}' 不是端口号（0–65535，0 表示任选空闲端口）"),
                })?;
        }
        if let Some(v) = get("CULTUREHUB_DEV_LOGIN") {
            self.dev_login = parse_bool("CULTUREHUB_DEV_LOGIN", &v)?;
        }
        if let Some(v) = get("CULTUREHUB_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("CULTUREHUB_TICKET_KEY") {
            self.ticket_key = v;
        }
        if let Some(v) = get("CULTUREHUB_CLOUD_ENDPOINT") {
            self.cloud.endpoint = v.trim().to_string();
        }
        if let Some(v) = get("CULTUREHUB_CLOUD_KEY_ID") {
            self.cloud.key_id = v.trim().to_string();
        }
        if let Some(v) = get("CULTUREHUB_CLOUD_SECRET") {
            self.cloud.secret = v;
        }
        if let Some(v) = get("CULTUREHUB_PUBLIC_BASE_URL") {
            self.feeds.public_base_url = v.trim().trim_end_matches('/').to_string();
        }
        if let Some(v) = get("CULTUREHUB_TRUSTED_PROXIES") {
            self.trusted_proxies = v
                .split(',')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
        }
        if let Some(v) = get("CULTUREHUB_BUSINESS_DOMAINS") {
            self.online.business_domains = v
                .split(',')
                .map(|d| d.trim().to_ascii_lowercase())
                .filter(|d| !d.is_empty())
                .collect();
        }
        if let Some(v) = get("CULTUREHUB_METRICS_LISTEN") {
            self.metrics.listen = v.trim().to_string();
        }
        if let Some(v) = get("CULTUREHUB_METRICS_TOKEN") {
            self.metrics.token = v.trim().to_string();
        }
        if let Some(v) = get("CULTUREHUB_CONSOLE_DIR") {
            self.console.assets_dir = v;
        }
        if let Some(v) = get("CULTUREHUB_COOKIE_SECURE") {
            self.console.secure_cookie = Some(parse_bool("CULTUREHUB_COOKIE_SECURE", &v)?);
        }
        if let Some(v) = get("CULTUREHUB_SEED_DEMO") {
            self.seed_demo_if_empty = parse_bool("CULTUREHUB_SEED_DEMO", &v)?;
        }
        let st = &mut self.storage;
        if let Some(v) = get("CULTUREHUB_STORAGE") {
            st.backend = v.trim().to_string();
        }
        if let Some(v) = get("CULTUREHUB_STORAGE_DIR") {
            st.dir = v;
        }
        if let Some(v) = get("CULTUREHUB_UPLOAD_MAX_BYTES") {
            st.max_upload_bytes = v.trim().parse().map_err(|_| ConfigError::Invalid {
                key: "CULTUREHUB_UPLOAD_MAX_BYTES",
                why: format!("'{v}' 不是字节数"),
            })?;
        }
        if let Some(v) = get("CULTUREHUB_S3_ENDPOINT") {
            st.s3.endpoint = v;
        }
        if let Some(v) = get("CULTUREHUB_S3_BUCKET") {
            st.s3.bucket = v;
        }
        if let Some(v) = get("CULTUREHUB_S3_REGION") {
            st.s3.region = v;
        }
        if let Some(v) = get("CULTUREHUB_S3_ACCESS_KEY_ID") {
            st.s3.access_key_id = v;
        }
        if let Some(v) = get("CULTUREHUB_S3_SECRET_ACCESS_KEY") {
            st.s3.secret_access_key = v;
        }
        if let Some(v) = get("CULTUREHUB_S3_PATH_STYLE") {
            st.s3.path_style = parse_bool("CULTUREHUB_S3_PATH_STYLE", &v)?;
        }
        if let Some(v) = get("CULTUREHUB_S3_PREFIX") {
            st.s3.prefix = v;
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, pattern) in [
            ("naming.direct_branch", &self.naming.direct_branch),
            ("naming.branch", &self.naming.branch),
            ("naming.point", &self.naming.point),
        ] {
            if pattern.matches("{x}").count() != 1 {
                return Err(ConfigError::Invalid {
                    key,
                    why: "命名规则必须恰好包含一个 {x}（单位的区分名）".into(),
                });
            }
        }
        if self.naming.main.contains("{x}") {
            return Err(ConfigError::Invalid {
                key: "naming.main",
                why: "总馆的命名规则不能包含 {x}".into(),
            });
        }
        if self.listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::Invalid {
                key: "listen",
                why: format!("'{}' 不是 地址:端口 形式，例如 127.0.0.1:8080", self.listen),
            });
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                key: "DATABASE_URL",
                why: "只支持 sqlite:// 或 postgres:// 地址".into(),
            });
        }
        if let Some(r) = &self.redis_url {
            if !(r.starts_with("redis://") || r.starts_with("rediss://")) {
                return Err(ConfigError::Invalid {
                    key: "REDIS_URL",
                    why: "应以 redis:// 或 rediss:// 开头".into(),
                });
            }
        }
        if !self.wechat.embedded_fake && self.wechat.secret.is_empty() {
            return Err(ConfigError::Invalid {
                key: "WECHAT_SECRET",
                why: "未使用内置的模拟微信服务时，必须设置小程序 AppSecret".into(),
            });
        }
        if self.wechat.appid.is_empty() {
            return Err(ConfigError::Invalid {
                key: "WECHAT_APPID",
                why: "小程序 AppID 不能为空".into(),
            });
        }
        if !matches!(self.log_format.as_str(), "json" | "pretty") {
            return Err(ConfigError::Invalid {
                key: "log_format",
                why: "只能是 json 或 pretty".into(),
            });
        }
        if self.database_url.contains(":memory:") {
            return Err(ConfigError::Invalid {
                key: "DATABASE_URL",
                why: "不支持内存数据库：读写分开的连接会看到不同的数据库，请使用文件，例如 sqlite://data/culturehub.db".into(),
            });
        }
        if self.session_ttl_hours < 1
            || self.request_timeout_secs < 1
            || self.body_read_timeout_secs < 1
        {
            return Err(ConfigError::Invalid {
                key: "session_ttl_hours / request_timeout_secs / body_read_timeout_secs",
                why: "都至少为 1".into(),
            });
        }
        if !self.metrics.listen.is_empty()
            && self.metrics.listen.parse::<std::net::SocketAddr>().is_err()
        {
            return Err(ConfigError::Invalid {
                key: "metrics.listen (CULTUREHUB_METRICS_LISTEN)",
                why: format!(
                    "'{}' 不是 地址:端口 形式，例如 127.0.0.1:9091",
                    self.metrics.listen
                ),
            });
        }
        if !self.metrics.token.is_empty() && self.metrics.token.len() < 16 {
            return Err(ConfigError::Invalid {
                key: "metrics.token (CULTUREHUB_METRICS_TOKEN)",
                why: "至少 16 个字符".into(),
            });
        }
        if let Some(bad) = self
            .trusted_proxies
            .iter()
            .find(|p| crate::client_ip::Net::parse(p).is_none())
        {
            return Err(ConfigError::Invalid {
                key: "trusted_proxies (CULTUREHUB_TRUSTED_PROXIES)",
                why: format!("'{bad}' 不是 IP 地址或网段，例如 127.0.0.1、10.0.0.0/8"),
            });
        }
        if self.rate_limit.signin_per_minute < 1
            || self.rate_limit.signin_per_minute_per_ip < 1
            || self.rate_limit.demands_per_hour < 1
            || self.rate_limit.supports_per_minute < 1
            || self.rate_limit.writes_per_minute < 1
            || self.rate_limit.writes_per_minute_per_ip < 1
        {
            return Err(ConfigError::Invalid {
                key: "rate_limit",
                why: "限流值至少为 1（限流不能关闭）".into(),
            });
        }
        if self.body_limit < 1024 {
            return Err(ConfigError::Invalid {
                key: "body_limit",
                why: "至少 1024 字节".into(),
            });
        }
        if self.console.idle_minutes < 1
            || self.console.absolute_hours < 1
            || self.console.idle_minutes > self.console.absolute_hours * 60
        {
            return Err(ConfigError::Invalid {
                key: "console",
                why: "idle_minutes 和 absolute_hours 至少为 1，且空闲时限不能长于总时限".into(),
            });
        }
        if self.booking.no_show_limit < 1 || self.booking.max_active_per_person < 1 {
            return Err(ConfigError::Invalid {
                key: "booking",
                why: "爽约次数上限和可同时预约数量都至少为 1".into(),
            });
        }
        if self.booking.cancel_deadline_minutes < self.booking.checkin_opens_minutes {
            return Err(ConfigError::Invalid {
                key: "booking.cancel_deadline_minutes",
                why: format!(
                    "取消截止（开始前 {} 分钟）晚于签到开始（开始前 {} 分钟）：已入场的人还能取消，名额会被再次分出。请让 cancel_deadline_minutes 不小于 checkin_opens_minutes",
                    self.booking.cancel_deadline_minutes, self.booking.checkin_opens_minutes
                ),
            });
        }
        self.storage.validate()?;
        let c = &self.cloud;
        if !c.endpoint.is_empty() {
            if !(c.endpoint.starts_with("https://") || c.endpoint.starts_with("http://")) {
                return Err(ConfigError::Invalid {
                    key: "cloud.endpoint",
                    why: format!("'{}' 不是 http(s) 地址", c.endpoint),
                });
            }
            if c.secret.is_empty() {
                return Err(ConfigError::Invalid {
                    key: "cloud.secret",
                    why: "设置了 cloud.endpoint 却没有签名密钥（CULTUREHUB_CLOUD_SECRET）".into(),
                });
            }
        }
        if c.max_attempts < 1 || c.timeout_secs == 0 {
            return Err(ConfigError::Invalid {
                key: "cloud.max_attempts",
                why: "max_attempts 与 timeout_secs 至少为 1".into(),
            });
        }
        Ok(())
    }
}

fn parse_bool(key: &'static str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        _ => Err(ConfigError::Invalid {
            key,
            why: format!("'{v}' 不是布尔值 (true/false)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut s = Settings::default();
        s.apply_env(|k| match k {
            "DATABASE_URL" => Some("postgres://u:pw@127.0.0.1/db".into()),
            "REDIS_URL" => Some("redis://127.0.0.1:6379".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.database_url, "postgres://u:pw@127.0.0.1/db");
        assert!(s.validate().is_ok());
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("pw@"), "password leaked into Debug: {dbg}");
    }

    #[test]
    fn missing_secret_without_fake_is_rejected() {
        let mut s = Settings::default();
        s.wechat.embedded_fake = false;
        let e = s.validate().unwrap_err().to_string();
        assert!(e.contains("WECHAT_SECRET"), "{e}");
    }

    #[test]
    fn bad_listen_and_bool_are_rejected() {
        let s = Settings {
            listen: "nowhere".into(),
            ..Settings::default()
        };
        assert!(s.validate().is_err());
        let mut s = Settings::default();
        assert!(s
            .apply_env(|k| (k == "CULTUREHUB_DEV_LOGIN").then(|| "maybe".into()))
            .is_err());
    }

    #[test]
    fn storage_settings_from_env_validated_and_redacted() {
        let mut s = Settings::default();
        assert_eq!(
            s.storage.local_dir(&s.database_url),
            std::path::PathBuf::from("data/files")
        );
        assert_eq!(
            s.storage.local_dir("sqlite:///var/lib/ch/hub.db?mode=rwc"),
            std::path::PathBuf::from("/var/lib/ch/files")
        );
        s.apply_env(|k| (k == "CULTUREHUB_STORAGE").then(|| "s3".into()))
            .unwrap();
        let e = s.validate().unwrap_err().to_string();
        assert!(
            e.contains("CULTUREHUB_S3_ENDPOINT") && e.contains("必须"),
            "{e}"
        );
        s.apply_env(|k| {
            Some(
                match k {
                    "CULTUREHUB_S3_ENDPOINT" => "https://obs.example.com",
                    "CULTUREHUB_S3_BUCKET" => "culture-hub",
                    "CULTUREHUB_S3_REGION" => "cn-south-1",
                    "CULTUREHUB_S3_ACCESS_KEY_ID" => "AKID",
                    "CULTUREHUB_S3_SECRET_ACCESS_KEY" => "very-secret-value",
                    "CULTUREHUB_S3_PATH_STYLE" => "false",
                    _ => return None,
                }
                .to_string(),
            )
        })
        .unwrap();
        assert!(s.validate().is_ok(), "{:?}", s.validate());
        assert!(!s.storage.s3.path_style);
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("very-secret-value"), "secret leaked: {dbg}");
        assert!(
            dbg.contains("storage.s3.secret_access_key: \"(set)\""),
            "{dbg}"
        );

        s.storage.s3.bucket = "Bad_Bucket".into();
        assert!(s.validate().unwrap_err().to_string().contains("存储桶"));
        s.storage.backend = "ftp".into();
        assert!(s.validate().unwrap_err().to_string().contains("local"));
        let mut s = Settings::default();
        s.storage.max_upload_bytes = 10;
        assert!(s.validate().is_err());
        assert!(s
            .apply_env(|k| (k == "CULTUREHUB_UPLOAD_MAX_BYTES").then(|| "8MB".into()))
            .is_err());
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact_url("postgres://a:b@h/d"), "postgres://a:***@h/d");
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
