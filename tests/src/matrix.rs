//! The permission matrix: every operation × every role × (own unit, other unit).
//!
//! The people: one of each role. Unit-bound roles sit on side A (a branch and one of its
//! points); root roles sit at the main center. "Own" targets are on side A, "other" targets on
//! side B, a different branch. Each case names who may act on its own target and who may also
//! act on the other side; everyone else must get 403 (401 when anonymous) and change nothing.
//! Later issues add their operations as cases here rather than writing their own checks.

use crate::TestApp;
use culturehub::access::Role;
use serde_json::Value;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Who {
    Anonymous,
    Resident,
    Volunteer,
    PointCoordinator,
    BranchStaff,
    CenterStaff,
    CenterAdmin,
    DistrictSupervisor,
    Evaluator,
}

pub const EVERYONE: [Who; 9] = [
    Who::Anonymous,
    Who::Resident,
    Who::Volunteer,
    Who::PointCoordinator,
    Who::BranchStaff,
    Who::CenterStaff,
    Who::CenterAdmin,
    Who::DistrictSupervisor,
    Who::Evaluator,
];

/// Roles held at the root, which therefore reach side B too.
pub const ROOT: [Who; 4] = [
    Who::CenterStaff,
    Who::CenterAdmin,
    Who::DistrictSupervisor,
    Who::Evaluator,
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Own,
    Other,
}

pub struct World<'a> {
    pub app: &'a TestApp,
    pub tokens: HashMap<Who, String>,
    pub users: HashMap<Who, i64>,
    /// Side A and side B: (branch code, point code).
    pub a: (&'static str, &'static str),
    pub b: (&'static str, &'static str),
}

impl World<'_> {
    pub fn token(&self, who: Who) -> Option<&str> {
        self.tokens.get(&who).map(String::as_str)
    }
    pub fn branch(&self, side: Side) -> &'static str {
        match side {
            Side::Own => self.a.0,
            Side::Other => self.b.0,
        }
    }
    pub fn point(&self, side: Side) -> &'static str {
        match side {
            Side::Own => self.a.1,
            Side::Other => self.b.1,
        }
    }
}

pub async fn world(app: &TestApp) -> World<'_> {
    let a = ("ft-b-yuanling", "ft-p-yuanling-hongli");
    let b = ("ft-b-nanyuan", "ft-p-nanyuan-nanyuan");
    let root = "ft-main";
    let mut w = World {
        app,
        tokens: HashMap::new(),
        users: HashMap::new(),
        a,
        b,
    };
    let people: [(Who, Option<(Role, &str)>); 8] = [
        (Who::Resident, None),
        (Who::Volunteer, Some((Role::Volunteer, a.1))),
        (Who::PointCoordinator, Some((Role::PointCoordinator, a.1))),
        (Who::BranchStaff, Some((Role::BranchStaff, a.0))),
        (Who::CenterStaff, Some((Role::CenterStaff, root))),
        (Who::CenterAdmin, Some((Role::CenterAdmin, root))),
        (
            Who::DistrictSupervisor,
            Some((Role::DistrictSupervisor, root)),
        ),
        (Who::Evaluator, Some((Role::Evaluator, root))),
    ];
    for (who, grant) in people {
        let (token, id) = app.sign_in(&format!("matrix-{who:?}")).await;
        if let Some((role, unit)) = grant {
            app.grant(id, role, unit).await;
        }
        w.tokens.insert(who, token);
        w.users.insert(who, id);
    }
    w
}

pub struct Req {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
}

/// Marks a `Req` body that is sent as raw bytes (an upload) instead of JSON.
const RAW: &str = "__raw_upload";

impl Req {
    /// A request whose body is `bytes` sent as `content_type` (file uploads).
    pub fn upload(method: &'static str, path: String, content_type: &str, bytes: &[u8]) -> Req {
        use base64::Engine;
        Req {
            method,
            path,
            body: Some(serde_json::json!({ RAW: {
                "content_type": content_type,
                "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
            }})),
        }
    }

    fn raw(&self) -> Option<(String, Vec<u8>)> {
        use base64::Engine;
        let r = self.body.as_ref()?.get(RAW)?;
        Some((
            r["content_type"].as_str()?.to_string(),
            base64::engine::general_purpose::STANDARD
                .decode(r["base64"].as_str()?)
                .ok()?,
        ))
    }
}

pub type Build = for<'a> fn(&'a World<'a>, Side) -> Pin<Box<dyn Future<Output = Req> + Send + 'a>>;

pub struct Case {
    /// The OpenAPI operationId this case covers.
    pub op: &'static str,
    /// Who may do it on side A.
    pub allowed: &'static [Who],
    /// Of those, who may also do it on side B.
    pub also_other: &'static [Who],
    /// The success status.
    pub ok: u16,
    pub build: Build,
}

/// Runs every case for every person on both sides; returns the failures.
pub async fn run(w: &World<'_>, cases: &[Case]) -> Vec<String> {
    let mut failures = Vec::new();
    for case in cases {
        for who in EVERYONE {
            for side in [Side::Own, Side::Other] {
                let may = case.allowed.contains(&who)
                    && (side == Side::Own || case.also_other.contains(&who));
                let expected = if may {
                    case.ok
                } else if who == Who::Anonymous {
                    401
                } else {
                    403
                };
                let req = (case.build)(w, side).await;
                let (status, body) = match req.raw() {
                    Some((ct, bytes)) => {
                        w.app
                            .send_bytes(req.method, &req.path, w.token(who), &ct, bytes)
                            .await
                    }
                    None => {
                        w.app
                            .call(req.method, &req.path, w.token(who), req.body)
                            .await
                    }
                };
                if status != expected {
                    failures.push(format!(
                        "{} as {who:?} on {side:?}: expected {expected}, got {status} ({body})",
                        case.op
                    ));
                } else if !may {
                    crate::error_code(status, &body);
                }
            }
        }
    }
    failures
}

/// operationIds in the service's OpenAPI document.
pub async fn operation_ids(app: &TestApp) -> Vec<String> {
    let (_, doc) = app.get("/openapi.json", None).await;
    let mut ids = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for item in paths.values() {
            if let Some(ops) = item.as_object() {
                for op in ops.values() {
                    if let Some(id) = op["operationId"].as_str() {
                        ids.push(id.to_string());
                    }
                }
            }
        }
    }
    ids.sort();
    ids
}
