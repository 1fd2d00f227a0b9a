//! Who may do what, where. The one place every handler and every scoped query goes through.
//!
//! Deny by default: an action is allowed when the caller holds a grant whose role includes the
//! action, at the target unit or one of its ancestors (grants cover a subtree of the network).
//! List queries ask `scope` for the subtree filter instead of filtering themselves.

use crate::error::ApiError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, poem_openapi::Enum)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
pub enum Role {
    Volunteer,
    PointCoordinator,
    BranchStaff,
    CenterStaff,
    CenterAdmin,
    DistrictSupervisor,
    Evaluator,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Volunteer,
        Role::PointCoordinator,
        Role::BranchStaff,
        Role::CenterStaff,
        Role::CenterAdmin,
        Role::DistrictSupervisor,
        Role::Evaluator,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Volunteer => "volunteer",
            Role::PointCoordinator => "point_coordinator",
            Role::BranchStaff => "branch_staff",
            Role::CenterStaff => "center_staff",
            Role::CenterAdmin => "center_admin",
            Role::DistrictSupervisor => "district_supervisor",
            Role::Evaluator => "evaluator",
        }
    }
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Role::Volunteer => "志愿者",
            Role::PointCoordinator => "服务点文体协管员",
            Role::BranchStaff => "分馆工作人员",
            Role::CenterStaff => "总馆工作人员",
            Role::CenterAdmin => "总馆管理员",
            Role::DistrictSupervisor => "区级督导（考核验收）",
            Role::Evaluator => "第三方评估",
        }
    }
    /// Roles that must be granted at the root of the network (they see everything).
    pub fn needs_root(self) -> bool {
        matches!(
            self,
            Role::CenterStaff | Role::CenterAdmin | Role::DistrictSupervisor | Role::Evaluator
        )
    }
}

/// Everything a staff member or volunteer can be allowed to do at a unit.
/// Residents' own data (bookings, family, ratings) is checked by ownership, not here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Edit a unit's public information and rooms.
    EditUnit,
    /// Read the unit's audit trail.
    ReadAudit,
    /// See the unit's staff and volunteers with their roles.
    ReadStaff,
    /// Grant or revoke this role at the unit, directly or by invitation.
    Grant(Role),
    /// Create, edit, publish and cancel activities at the unit.
    ManageActivities,
    /// Read staff-only activity data: bookings, attendance, rosters.
    ReadActivityData,
    /// Scan tickets (volunteers additionally need an assignment to the session).
    ScanTickets,
    /// Approve volunteers, assign them, correct check-ins, look residents up at the door.
    ManageCheckin,
    /// Waive a no-show.
    WaiveNoShow,
    ReadFeedback,
    ReplyFeedback,
    TriageDemand,
    /// Order from the main center's cultural menu for the unit.
    OrderMenu,
    /// Publish the menu, approve and deliver orders.
    ManageMenu,
    ReadStats,
    ExportLedger,
    /// Keep the staff register and dispatch (双派) records of the unit (people, not app roles).
    ManageStaff,
    /// Upload images (posters, photos, evidence) that belong to the unit: whoever may run
    /// the unit's activities. Reading a staff-only file needs `ReadActivityData`.
    UploadFiles,
    /// Set the district's yearly plan: targets, allocations, work-plan items (main center).
    ManagePlan,
    /// See residents' reports (举报) of the unit's comments and demands and decide them:
    /// whoever may moderate the unit's feedback.
    ModerateReports,
    /// Keep the unit's rooms (场地): create, edit, close, opening hours, closures on the
    /// room's calendar. Whoever runs the unit's activities, since sessions go into the rooms.
    ManageRooms,
    /// Verify or decline the unit's art teams (群众文艺团队), set their photos, record their
    /// guidance sessions (艺术指导) and awards. A branch manages its own and its points' teams,
    /// the main center all of them.
    ManageTeams,
    /// Read evaluation rounds, scores, spot checks and reports of the unit (考核评估).
    ReadEvaluation,
    /// Fill in the unit's own self-assessment and record its rectifications (自评、整改).
    SelfAssess,
    /// Score (or return) a point's self-assessment: its branch only (逐级考评).
    ScorePoints,
    /// Score (or return) a branch's self-assessment: the main center only.
    ScoreBranches,
    /// The district's part: indicator templates, rounds, publishing and reopening, scoring and
    /// accepting (验收) the main center, granting third-party evaluators.
    ManageEvaluation,
    /// Record a supervision visit or unannounced check (督导/暗访) at the unit.
    SpotCheck,
    /// Record a third-party assessment and report; also needs an assignment to the round or
    /// object (`check_assigned`).
    ThirdPartyAssess,
    /// Curate the unit's resource library (数字资源库): create, edit, publish or withdraw,
    /// feature and order resources. Whoever runs the unit's activities (D237).
    ManageLibrary,
    /// Read the culture-cloud send log and download the export file (main center, district).
    ReadCloudLog,
    /// Push a snapshot to the culture cloud now (main center).
    ManageCloud,
    /// Review providers and their offerings (供给方审核): approve, return, suspend. Main center.
    ReviewProviders,
    /// Browse the procurement catalogue and request an offering for the unit (采购申请); see
    /// the unit's procurement orders.
    Procure,
    /// Approve and record a purchase against a budget held at the unit, and deliver it. The
    /// main center for any unit; a branch within the budget the main center gave it.
    ApprovePurchase,
    /// Give units their procurement budgets (main center).
    ManageBudgets,
    /// Post volunteer opportunities and shifts at the unit, approve sign-ups, confirm hours,
    /// keep its volunteer teams and export hours: whoever approves the unit's volunteers.
    ManageVolunteering,
    /// Record the unit's sponsors and partners and what they gave (社会力量参与).
    ManageSponsors,
    /// Record the operator of a contracted unit, its term and obligations: the main center.
    ManageOperators,
    /// See contracted operators and how they perform: the main center and the district.
    ReadOperators,
}

impl Action {
    /// Every action, for listing what a role may do (the console shows only the controls a
    /// person's grants allow, without a copy of this table).
    pub const ALL: [Action; 45] = [
        Action::EditUnit,
        Action::ReadAudit,
        Action::ReadStaff,
        Action::Grant(Role::Volunteer),
        Action::Grant(Role::PointCoordinator),
        Action::Grant(Role::BranchStaff),
        Action::Grant(Role::CenterStaff),
        Action::Grant(Role::CenterAdmin),
        Action::Grant(Role::DistrictSupervisor),
        Action::Grant(Role::Evaluator),
        Action::ManageActivities,
        Action::ReadActivityData,
        Action::ScanTickets,
        Action::ManageCheckin,
        Action::WaiveNoShow,
        Action::ReadFeedback,
        Action::ReplyFeedback,
        Action::TriageDemand,
        Action::OrderMenu,
        Action::ManageMenu,
        Action::ReadStats,
        Action::ExportLedger,
        Action::ManagePlan,
        Action::ManageStaff,
        Action::ModerateReports,
        Action::ManageRooms,
        Action::ManageTeams,
        Action::ReadEvaluation,
        Action::SelfAssess,
        Action::ScorePoints,
        Action::ScoreBranches,
        Action::ManageEvaluation,
        Action::SpotCheck,
        Action::ThirdPartyAssess,
        Action::ManageLibrary,
        Action::ReadCloudLog,
        Action::ManageCloud,
        Action::ReviewProviders,
        Action::Procure,
        Action::ApprovePurchase,
        Action::ManageBudgets,
        Action::ManageVolunteering,
        Action::ManageSponsors,
        Action::ManageOperators,
        Action::ReadOperators,
    ];

    /// `manage_activities`, `grant_volunteer`, …
    pub fn name(self) -> String {
        match self {
            Action::Grant(r) => format!("grant_{}", r.as_str()),
            other => {
                let debug = format!("{other:?}");
                let mut out = String::new();
                for (i, ch) in debug.chars().enumerate() {
                    if ch.is_ascii_uppercase() {
                        if i > 0 {
                            out.push('_');
                        }
                        out.push(ch.to_ascii_lowercase());
                    } else {
                        out.push(ch);
                    }
                }
                out
            }
        }
    }
}

/// What a role may do, by name, in the order of `Action::ALL`.
pub fn action_names(role: Role) -> Vec<String> {
    Action::ALL
        .iter()
        .filter(|a| allows(role, **a))
        .map(|a| a.name())
        .collect()
}

fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match role {
        Volunteer => matches!(action, ScanTickets),
        PointCoordinator => matches!(
            action,
            ScanTickets
                | ManageActivities
                | ReadActivityData
                | ManageCheckin
                | ReadFeedback
                | ReplyFeedback
                | TriageDemand
                | OrderMenu
                | ReadStats
                | ReadStaff
                | ReadAudit
                | Grant(Volunteer)
                | UploadFiles
                | ModerateReports
                | ManageRooms
                | ManageTeams
                | ManageLibrary
                | ReadEvaluation
                | SelfAssess
                | Procure
                | ManageVolunteering
        ),
        BranchStaff => {
            allows(PointCoordinator, action)
                || matches!(
                    action,
                    EditUnit
                        | ScorePoints
                        | ManageStaff
                        | WaiveNoShow
                        | ExportLedger
                        | ManageSponsors
                        | Grant(PointCoordinator)
                        | Grant(BranchStaff)
                        | ManageMenu
                        | ApprovePurchase
                )
        }
        // The main center scores branches, not points: each level scores only the one below.
        CenterStaff => {
            (allows(BranchStaff, action) && action != ScorePoints)
                || matches!(
                    action,
                    ManageMenu
                        | ManagePlan
                        | ScoreBranches
                        | SpotCheck
                        | ReadCloudLog
                        | ManageCloud
                        | ReviewProviders
                        | ManageBudgets
                        | ManageOperators
                        | ReadOperators
                )
        }
        CenterAdmin => allows(CenterStaff, action) || matches!(action, Grant(_)),
        DistrictSupervisor => matches!(
            action,
            ReadActivityData
                | ReadFeedback
                | ReadStats
                | ExportLedger
                | ReadAudit
                | ReadStaff
                | ReadEvaluation
                | ManageEvaluation
                | SpotCheck
                | ReadCloudLog
                | ReadOperators
        ),
        Evaluator => matches!(
            action,
            ReadActivityData
                | ReadFeedback
                | ReadStats
                | ExportLedger
                | ReadEvaluation
                | ThirdPartyAssess
        ),
    }
}

#[derive(Debug, Clone)]
pub struct Grant {
    pub id: i64,
    pub role: Role,
    pub unit_id: i64,
    /// Materialised path of the granted unit (`/1/4/`).
    pub unit_path: String,
}

/// The signed-in person behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i64,
    pub openid: Option<String>,
    pub grants: Vec<Grant>,
}

/// A unit as authorization needs it.
#[derive(Debug, Clone)]
pub struct UnitRef {
    pub id: i64,
    pub path: String,
}

impl Caller {
    pub fn is_staff(&self) -> bool {
        self.grants.iter().any(|g| g.role != Role::Volunteer)
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
}

/// Allowed, or `forbidden`. Handlers go through `AppState::authorize`, which also records the
/// denial in the audit trail.
pub fn check(caller: &Caller, action: Action, unit: &UnitRef) -> Result<(), ApiError> {
    if caller
        .grants
        .iter()
        .any(|g| allows(g.role, action) && unit.path.starts_with(&g.unit_path))
    {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The part of the network where `caller` may do `action`, for list queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    prefixes: Vec<String>,
}

pub fn scope(caller: &Caller, action: Action) -> Scope {
    let mut prefixes: Vec<String> = caller
        .grants
        .iter()
        .filter(|g| allows(g.role, action))
        .map(|g| g.unit_path.clone())
        .collect();
    prefixes.sort();
    // Drop prefixes covered by a shorter one.
    let mut kept: Vec<String> = Vec::new();
    for p in prefixes {
        if !kept.iter().any(|k| p.starts_with(k.as_str())) {
            kept.push(p);
        }
    }
    Scope { prefixes: kept }
}

impl Scope {
    /// One whole subtree, for figures computed by the system itself (evaluation's automatic
    /// indicators read a unit's own data whoever looks at them; reading the result is checked).
    pub fn subtree(path: &str) -> Scope {
        Scope {
            prefixes: vec![path.to_string()],
        }
    }
    pub fn is_empty(&self) -> bool {
        self.prefixes.is_empty()
    }
    /// The scope as a cache key part (its subtrees, sorted, covered ones dropped).
    pub fn key(&self) -> String {
        self.prefixes.join(",")
    }
    pub fn covers(&self, unit_path: &str) -> bool {
        self.prefixes
            .iter()
            .any(|p| unit_path.starts_with(p.as_str()))
    }
    /// `(subtree of '/1/4/' OR …)` as index-friendly ranges, or `1=0` when empty.
    pub fn sql(&self, path_col: &str) -> String {
        if self.prefixes.is_empty() {
            return "1=0".into();
        }
        let parts: Vec<String> = self
            .prefixes
            .iter()
            .map(|p| subtree_sql(path_col, p))
            .collect();
        if parts.is_empty() {
            "1=0".into()
        } else {
            format!("({})", parts.join(" OR "))
        }
    }
    /// `sql` evaluated in memory (the same paths pass), for filtering cached facts.
    pub fn holds(&self, path: &str) -> bool {
        self.prefixes.iter().any(|p| in_subtree(path, p))
    }
    /// The one subtree this scope covers, when it is exactly one.
    pub fn single(&self) -> Option<&str> {
        match self.prefixes.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        }
    }

    pub fn require(self) -> Result<Scope, ApiError> {
        if self.is_empty() {
            Err(ApiError::forbidden())
        } else {
            Ok(self)
        }
    }
}

/// The exclusive upper bound of the subtree under `prefix`. Paths are '/'-separated digits,
/// and '/' sorts just before '0', so ['/1/5/', '/1/50') holds exactly the subtree of unit 5.
pub fn path_upper(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.pop();
    s.push('0');
    s
}

/// `(col >= '/1/5/' AND col < '/1/50')`: the subtree under `prefix` as a range an index can
/// serve (a LIKE prefix cannot use a B-tree under every collation). Paths are built by us
/// from integer ids only; anything else becomes an empty condition rather than inlined SQL.
/// Path columns are `COLLATE "C"` on PostgreSQL so the range means byte order.
pub fn subtree_sql(col: &str, prefix: &str) -> String {
    if !valid_prefix(prefix) {
        return "1=0".into();
    }
    format!("({col} >= '{prefix}' AND {col} < '{}')", path_upper(prefix))
}

fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.starts_with('/')
        && prefix.ends_with('/')
        && prefix.chars().all(|c| c.is_ascii_digit() || c == '/')
}

/// `subtree_sql` evaluated in memory: the same rows, for filtering cached facts.
pub fn in_subtree(path: &str, prefix: &str) -> bool {
    valid_prefix(prefix) && path.starts_with(prefix)
}

/// A provider (供给方) holds no grant: it is a signed-in person linked to one provider record,
/// and may see and answer only what belongs to that record (D240). `mine` is the caller's own
/// provider id, if any; `owner` the provider the offering or order belongs to.
pub fn check_provider(mine: Option<i64>, owner: i64) -> Result<(), ApiError> {
    if mine == Some(owner) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// A role-level permission narrowed to what the caller was personally assigned: a third-party
/// evaluator may assess only the round or object (unit) it was granted (`assigned`).
pub fn check_assigned(
    caller: &Caller,
    action: Action,
    unit: &UnitRef,
    assigned: bool,
) -> Result<(), ApiError> {
    check(caller, action, unit)?;
    if assigned {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Can `granter` hand out `role` at `unit`? Root-only roles must be granted at the root.
pub fn check_grant(
    caller: &Caller,
    role: Role,
    unit: &UnitRef,
    unit_is_root: bool,
) -> Result<(), ApiError> {
    if role.needs_root() && !unit_is_root {
        return Err(ApiError::validation("该角色只能授予在总馆（全区）"));
    }
    check(caller, Action::Grant(role), unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role, path: &str) -> Caller {
        Caller {
            user_id: 1,
            openid: None,
            grants: vec![Grant {
                id: 1,
                role,
                unit_id: 0,
                unit_path: path.into(),
            }],
        }
    }
    fn unit(path: &str) -> UnitRef {
        UnitRef {
            id: 0,
            path: path.into(),
        }
    }

    #[test]
    fn grants_cover_subtree_only() {
        let c = caller(Role::BranchStaff, "/1/4/");
        assert!(check(&c, Action::ReadFeedback, &unit("/1/4/")).is_ok());
        assert!(check(&c, Action::ReadFeedback, &unit("/1/4/17/")).is_ok());
        assert!(check(&c, Action::ReadFeedback, &unit("/1/5/")).is_err());
        assert!(check(&c, Action::ReadFeedback, &unit("/1/")).is_err());
        // '/1/4/' must not match '/1/45/'.
        assert!(check(&c, Action::ReadFeedback, &unit("/1/45/")).is_err());
    }

    #[test]
    fn read_only_roles_cannot_write() {
        for r in [Role::DistrictSupervisor, Role::Evaluator] {
            let c = caller(r, "/1/");
            assert!(check(&c, Action::ReadStats, &unit("/1/9/")).is_ok());
            for a in [
                Action::ManageActivities,
                Action::ReplyFeedback,
                Action::EditUnit,
                Action::Grant(Role::Volunteer),
            ] {
                assert!(check(&c, a, &unit("/1/9/")).is_err(), "{r:?} {a:?}");
            }
        }
    }

    #[test]
    fn culture_cloud_is_the_main_centers_and_the_districts() {
        for r in Role::ALL {
            let c = caller(r, "/1/");
            let read = matches!(
                r,
                Role::CenterStaff | Role::CenterAdmin | Role::DistrictSupervisor
            );
            assert_eq!(
                check(&c, Action::ReadCloudLog, &unit("/1/")).is_ok(),
                read,
                "{r:?}"
            );
            assert_eq!(
                check(&c, Action::ManageCloud, &unit("/1/")).is_ok(),
                matches!(r, Role::CenterStaff | Role::CenterAdmin),
                "{r:?}"
            );
        }
    }

    #[test]
    fn uploads_follow_activity_management() {
        for r in Role::ALL {
            let c = caller(r, "/1/");
            assert_eq!(
                check(&c, Action::UploadFiles, &unit("/1/4/")).is_ok(),
                check(&c, Action::ManageActivities, &unit("/1/4/")).is_ok(),
                "{r:?}"
            );
        }
    }

    #[test]
    fn reports_follow_feedback_moderation() {
        for r in Role::ALL {
            let c = caller(r, "/1/");
            assert_eq!(
                check(&c, Action::ModerateReports, &unit("/1/4/")).is_ok(),
                check(&c, Action::ReplyFeedback, &unit("/1/4/")).is_ok(),
                "{r:?}"
            );
        }
        let b = caller(Role::BranchStaff, "/1/4/");
        assert!(check(&b, Action::ModerateReports, &unit("/1/5/")).is_err());
    }

    #[test]
    fn volunteers_only_scan() {
        let c = caller(Role::Volunteer, "/1/4/");
        assert!(check(&c, Action::ScanTickets, &unit("/1/4/")).is_ok());
        assert!(check(&c, Action::ReadFeedback, &unit("/1/4/")).is_err());
    }

    #[test]
    fn scope_merges_and_renders() {
        let mut c = caller(Role::BranchStaff, "/1/4/");
        c.grants.push(Grant {
            id: 2,
            role: Role::PointCoordinator,
            unit_id: 0,
            unit_path: "/1/4/17/".into(),
        });
        c.grants.push(Grant {
            id: 3,
            role: Role::PointCoordinator,
            unit_id: 0,
            unit_path: "/1/5/20/".into(),
        });
        let s = scope(&c, Action::ReadFeedback);
        assert_eq!(
            s.sql("u.path"),
            "((u.path >= '/1/4/' AND u.path < '/1/40') OR (u.path >= '/1/5/20/' AND u.path < '/1/5/200'))"
        );
        assert_eq!(subtree_sql("p", "/1/'; DROP TABLE x; --/"), "1=0");
        assert!(scope(&c, Action::ReviewProviders).is_empty());
        assert_eq!(scope(&c, Action::ReviewProviders).sql("p"), "1=0");
    }

    #[test]
    fn actions_are_named_for_clients() {
        assert_eq!(Action::ManageActivities.name(), "manage_activities");
        assert_eq!(
            Action::Grant(Role::PointCoordinator).name(),
            "grant_point_coordinator"
        );
        let ev = action_names(Role::Evaluator);
        assert_eq!(
            ev,
            [
                "read_activity_data",
                "read_feedback",
                "read_stats",
                "export_ledger",
                "read_evaluation",
                "third_party_assess"
            ]
        );
        assert_eq!(action_names(Role::Volunteer), ["scan_tickets"]);
        assert!(action_names(Role::CenterAdmin).contains(&"grant_evaluator".to_string()));
    }

    #[test]
    fn each_level_scores_only_the_one_below() {
        let branch = caller(Role::BranchStaff, "/1/4/");
        assert!(check(&branch, Action::ScorePoints, &unit("/1/4/17/")).is_ok());
        assert!(check(&branch, Action::ScorePoints, &unit("/1/5/20/")).is_err());
        assert!(check(&branch, Action::ScoreBranches, &unit("/1/4/")).is_err());
        let center = caller(Role::CenterAdmin, "/1/");
        assert!(check(&center, Action::ScoreBranches, &unit("/1/4/")).is_ok());
        assert!(check(&center, Action::ScorePoints, &unit("/1/4/17/")).is_err());
        assert!(check(&center, Action::ManageEvaluation, &unit("/1/")).is_err());
        let district = caller(Role::DistrictSupervisor, "/1/");
        assert!(check(&district, Action::ManageEvaluation, &unit("/1/")).is_ok());
        assert!(check(&district, Action::SelfAssess, &unit("/1/")).is_err());
        let ev = caller(Role::Evaluator, "/1/");
        assert!(check_assigned(&ev, Action::ThirdPartyAssess, &unit("/1/4/"), true).is_ok());
        assert!(check_assigned(&ev, Action::ThirdPartyAssess, &unit("/1/4/"), false).is_err());
        assert!(check_assigned(&center, Action::ThirdPartyAssess, &unit("/1/4/"), true).is_err());
    }

    #[test]
    fn library_is_curated_by_activity_runners() {
        let point = caller(Role::PointCoordinator, "/1/4/17/");
        assert!(check(&point, Action::ManageLibrary, &unit("/1/4/17/")).is_ok());
        assert!(check(&point, Action::ManageLibrary, &unit("/1/4/")).is_err());
        let district = caller(Role::DistrictSupervisor, "/1/");
        assert!(check(&district, Action::ManageLibrary, &unit("/1/4/")).is_err());
        assert!(action_names(Role::CenterStaff).contains(&"manage_library".to_string()));
    }

    #[test]
    fn branches_run_their_own_menu_and_buy_within_their_subtree() {
        let b = caller(Role::BranchStaff, "/1/4/");
        assert!(check(&b, Action::ManageMenu, &unit("/1/4/")).is_ok());
        assert!(check(&b, Action::ManageMenu, &unit("/1/")).is_err());
        assert!(check(&b, Action::ManageMenu, &unit("/1/5/")).is_err());
        assert!(check(&b, Action::ApprovePurchase, &unit("/1/4/")).is_ok());
        assert!(check(&b, Action::ApprovePurchase, &unit("/1/5/")).is_err());
        assert!(check(&b, Action::ManageBudgets, &unit("/1/4/")).is_err());
        assert!(check(&b, Action::ReviewProviders, &unit("/1/")).is_err());
        let p = caller(Role::PointCoordinator, "/1/4/17/");
        assert!(check(&p, Action::Procure, &unit("/1/4/17/")).is_ok());
        assert!(check(&p, Action::ApprovePurchase, &unit("/1/4/17/")).is_err());
        assert!(check(&p, Action::ManageMenu, &unit("/1/4/17/")).is_err());
        let c = caller(Role::CenterStaff, "/1/");
        assert!(check(&c, Action::ManageBudgets, &unit("/1/")).is_ok());
        assert!(check(&c, Action::ReviewProviders, &unit("/1/")).is_ok());
        let d = caller(Role::DistrictSupervisor, "/1/");
        assert!(check(&d, Action::ApprovePurchase, &unit("/1/")).is_err());
        assert!(check_provider(Some(3), 3).is_ok());
        assert!(check_provider(Some(3), 4).is_err());
        assert!(check_provider(None, 4).is_err());
    }

    #[test]
    fn root_roles_only_at_root() {
        let c = caller(Role::CenterAdmin, "/1/");
        assert!(check_grant(&c, Role::Evaluator, &unit("/1/4/"), false).is_err());
        assert!(check_grant(&c, Role::Evaluator, &unit("/1/"), true).is_ok());
        let b = caller(Role::BranchStaff, "/1/4/");
        assert!(check_grant(&b, Role::Volunteer, &unit("/1/4/17/"), false).is_ok());
        assert!(check_grant(&b, Role::CenterStaff, &unit("/1/"), true).is_err());
    }
}
