//! Demo data: the Futian network (and, as later domains land, demo activities).
//! Every demo row is marked `is_demo = 1`.

use crate::error::ApiResult;
use crate::org;
use crate::state::AppState;
use crate::time::Ts;
use sqlx::Row;

const DEMO_ROOM: &str = "多功能活动室";

/// The place's 多功能活动室 (id, capacity), made (120 seats, open 09:00–21:00) when missing.
async fn demo_room(tx: &mut crate::db::Tx, place: &org::Unit, now: &str) -> ApiResult<(i64, i64)> {
    if let Some(r) = sqlx::query("SELECT id, capacity FROM rooms WHERE unit_id = $1 AND name = $2")
        .bind(place.id)
        .bind(DEMO_ROOM)
        .fetch_optional(&mut **tx)
        .await?
    {
        return Ok((r.get("id"), r.get("capacity")));
    }
    let input = crate::rooms::RoomInput {
        name: Some(DEMO_ROOM.into()),
        kind: Some("多功能厅".into()),
        capacity: Some(120),
        facilities: Some(vec!["投影仪".into(), "音响".into()]),
        hours: Some(
            (1..=7)
                .map(|d| crate::rooms::OpeningHours {
                    weekday: d,
                    opens: "09:00".into(),
                    closes: "21:00".into(),
                })
                .collect(),
        ),
        ..Default::default()
    };
    Ok((crate::rooms::insert(tx, place.id, &input, now).await?, 120))
}

/// Loads the demo network when the database has no units yet. Returns units created.
pub async fn demo_if_empty(st: &AppState) -> ApiResult<usize> {
    if org::count_units(&st.db).await? > 0 {
        return Ok(0);
    }
    let n = demo(st, |_| {}).await?;
    if st.settings.seed_demo_activities {
        demo_activities(st).await?;
        demo_register(st).await?;
    }
    Ok(n)
}

pub async fn demo(st: &AppState, progress: impl FnMut(usize)) -> ApiResult<usize> {
    let existing = org::existing_codes(&st.db).await?;
    if existing.contains_key("ft-main") {
        return Ok(0);
    }
    // Another district is already here: the demo network would be a second main center.
    if org::root(&st.db).await?.is_some() {
        return Err(crate::error::ApiError::conflict(
            "network_exists",
            "数据库里已有另一个区的文化馆网络，演示网络不能与之并存（只能有一个总馆）；请使用新的数据库加载演示数据",
        ));
    }
    let naming = org::Naming::load(&st.db, &st.settings.naming).await?;
    let rows = org::parse_csv(org::FUTIAN_CSV, &Default::default(), &naming).map_err(|errs| {
        crate::error::ApiError::validation(format!("内置演示数据无效：{}", errs.join("；")))
    })?;
    let n = org::import_rows(&st.db, &rows, true, &st.now(), progress).await?;
    tracing::info!(units = n, "loaded the demo Futian network");
    Ok(n)
}

/// Demo staff for development sign-in (`/api/v1/auth/dev`, `/api/v1/console/dev-login`), one per
/// role, on the demo network only: openid `dev:<name>`, which WeChat can never produce.
pub const DEMO_STAFF: [(&str, &str, crate::access::Role, &str); 7] = {
    use crate::access::Role::*;
    [
        ("demo-admin", "演示·总馆管理员", CenterAdmin, "ft-main"),
        ("demo-center", "演示·总馆工作人员", CenterStaff, "ft-main"),
        (
            "demo-branch",
            "演示·园岭分馆工作人员",
            BranchStaff,
            "ft-b-yuanling",
        ),
        (
            "demo-point",
            "演示·红荔服务点协管员",
            PointCoordinator,
            "ft-p-yuanling-hongli",
        ),
        (
            "demo-supervisor",
            "演示·区级督导",
            DistrictSupervisor,
            "ft-main",
        ),
        ("demo-evaluator", "演示·第三方评估", Evaluator, "ft-main"),
        (
            "demo-volunteer",
            "演示·志愿者",
            Volunteer,
            "ft-p-yuanling-hongli",
        ),
    ]
};

/// Creates the demo staff when development sign-in is on and the demo network is loaded;
/// safe to run at every start (existing accounts and grants are kept). Returns accounts made.
pub async fn demo_staff(st: &AppState) -> ApiResult<usize> {
    use sqlx::Row;
    let demo_main = sqlx::query("SELECT is_demo FROM org_units WHERE code = 'ft-main'")
        .fetch_optional(st.db.pool())
        .await?
        .is_some_and(|r| r.get::<i64, _>("is_demo") != 0);
    if !st.settings.dev_login || !demo_main {
        return Ok(0);
    }
    let now = st.now();
    let mut made = 0;
    let mut tx = st.db.begin().await?;
    for (name, display, role, unit) in DEMO_STAFF {
        let openid = format!("dev:{name}");
        let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE openid = $1")
            .bind(&openid)
            .fetch_optional(&mut *tx)
            .await?;
        let id = match existing {
            Some(id) => id,
            None => {
                made += 1;
                sqlx::query_scalar(
                    "INSERT INTO users (openid, display_name, is_demo, created_at) VALUES ($1, $2, 1, $3) RETURNING id",
                )
                .bind(&openid)
                .bind(display)
                .bind(&now)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        let unit_id: Option<i64> = sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
            .bind(unit)
            .fetch_optional(&mut *tx)
            .await?;
        if let (Some(unit_id), None) = (unit_id, existing) {
            crate::identity::grant_role(&mut tx, id, role, unit_id, None, &now).await?;
        }
    }
    tx.commit().await?;
    if made > 0 {
        tracing::info!(
            accounts = made,
            "created demo staff for development sign-in"
        );
    }
    Ok(made)
}

/// Demo activities over the next four weeks across the network: performances sent to the
/// grassroots, lectures, exhibitions, free art trainings (courses, one by lottery), art-team
/// activities. Deterministic, marked as demo. Skipped when demo activities already exist.
pub async fn demo_activities(st: &AppState) -> ApiResult<usize> {
    use rand::{Rng, SeedableRng};
    let existing: i64 =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM activities WHERE is_demo = 1")
            .fetch_one(st.db.pool())
            .await?;
    if existing > 0 {
        return Ok(0);
    }
    let units = org::all_units(&st.db).await?;
    if units.is_empty() {
        return Ok(0);
    }
    let root = units.iter().find(|u| u.parent_id.is_none()).map(|u| u.id);
    let mut rng = rand::rngs::StdRng::seed_from_u64(2018);
    let now = st.clock.now();
    // Midnight today in China, as UTC.
    let today = crate::family::china_date(now)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default()
        .and_utc()
        - chrono::Duration::hours(8);
    const TITLES: [(&str, &str, &str); 12] = [
        (
            "performance",
            "粤剧折子戏专场（送演出下基层）",
            "由总馆配送的粤剧名家折子戏，适合全家观看。",
        ),
        (
            "performance",
            "社区音乐会：岭南民乐之夜",
            "广东音乐经典曲目演奏，现场互动。",
        ),
        (
            "lecture",
            "非遗讲座：广绣的针法与故事",
            "非遗传承人讲解广绣历史与基本针法。",
        ),
        (
            "lecture",
            "书法入门公益讲座",
            "从执笔到结构，零基础也能听懂。",
        ),
        (
            "exhibition",
            "福田摄影家协会作品展",
            "免预约，开放时间内可直接参观。",
        ),
        (
            "exhibition",
            "少儿绘画作品展",
            "展出辖区中小学生优秀绘画作品。",
        ),
        (
            "training",
            "少儿舞蹈公益培训班（8 课时）",
            "面向 6–12 岁儿童，每周一课。",
        ),
        (
            "training",
            "长者智能手机课堂（4 课时）",
            "教长者使用微信、挂号与出行小程序。",
        ),
        (
            "training",
            "合唱公益培训班（6 课时）",
            "报名人数多时以摇号确定名额。",
        ),
        (
            "art_team",
            "社区广场舞队公开排练",
            "欢迎居民加入社区文艺团队。",
        ),
        ("art_team", "粤曲私伙局雅集", "粤曲爱好者交流演唱。"),
        (
            "other",
            "亲子手工坊：剪纸迎新春",
            "家长与孩子一起完成剪纸作品。",
        ),
    ];
    let places: Vec<&crate::org::Unit> = units.iter().filter(|u| u.level != "main").collect();
    let mut created = 0;
    let mut taken: std::collections::HashMap<i64, Vec<(Ts, Ts)>> = Default::default();
    let mut tx = st.db.begin().await?;
    let now_s = crate::time::fmt(now);
    for i in 0..60 {
        let (kind, title, desc) = TITLES[i % TITLES.len()];
        let place = places[rng.gen_range(0..places.len())];
        let organizer = if kind == "performance" {
            place.parent_id.unwrap_or(place.id)
        } else {
            place.id
        };
        let is_course = kind == "training";
        let lottery = desc.contains("摇号");
        let mode = if kind == "exhibition" {
            "none"
        } else if lottery {
            "lottery"
        } else {
            "fcfs"
        };
        let mut day = rng.gen_range(1..28);
        let hour = [9, 10, 14, 15, 19][rng.gen_range(0..5)];
        let lessons = if is_course {
            if title.contains("8 课时") {
                8
            } else if title.contains("6 课时") {
                6
            } else {
                4
            }
        } else {
            1
        };
        let capacity: Option<i64> = if mode == "none" {
            None
        } else {
            Some([20, 30, 40, 60, 120][rng.gen_range(0..5)])
        };
        // Sessions go in the place's 多功能活动室 (made for units without one), on days its
        // calendar is free: the demo never holds two sessions in one room at once.
        let room = demo_room(&mut tx, place, &now_s).await?;
        let room_cap = room.1;
        let slot = |d: i64, n: usize| {
            let s =
                today + chrono::Duration::days(d + 7 * n as i64) + chrono::Duration::hours(hour);
            (s, s + chrono::Duration::minutes(90))
        };
        while !(0..lessons).all(|n| {
            let (s, e) = slot(day, n);
            taken
                .get(&room.0)
                .is_none_or(|v: &Vec<(Ts, Ts)>| v.iter().all(|(a, b)| *b <= s || e <= *a))
        }) {
            day += 1;
        }
        for n in 0..lessons {
            taken.entry(room.0).or_default().push(slot(day, n));
        }
        let start = slot(day, 0).0;
        let capacity = capacity.map(|c| c.min(room_cap));
        let (age_min, age_max) = if title.contains("少儿") {
            (Some(6), Some(12))
        } else {
            (None, None)
        };
        let draw_at = lottery.then(|| crate::time::fmt(start - chrono::Duration::days(1)));
        let seed = lottery.then(crate::identity::new_secret);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO activities (title, kind, organizer_unit_id, description, booking_mode, is_course, status, delivered_by_unit_id, \
             age_min, age_max, lottery_draw_at, lottery_seed, lottery_seed_hash, is_demo, created_at, updated_at, published_at) \
             VALUES ($1,$2,$3,$4,$5,$6,'published',$7,$8,$9,$10,$11,$12,1,$13,$13,$13) RETURNING id",
        )
        .bind(title)
        .bind(kind)
        .bind(organizer)
        .bind(desc)
        .bind(mode)
        .bind(is_course as i64)
        .bind(if kind == "performance" { root } else { None })
        .bind(age_min)
        .bind(age_max)
        .bind(&draw_at)
        .bind(&seed)
        .bind(seed.as_deref().map(crate::rules::seed_commitment))
        .bind(&now_s)
        .fetch_one(&mut *tx)
        .await?;
        for n in 0..lessons {
            let s = start + chrono::Duration::days(7 * n as i64);
            let closes = if lottery {
                start - chrono::Duration::days(2)
            } else {
                s
            };
            let sid: i64 = sqlx::query_scalar(
                "INSERT INTO sessions (activity_id, lesson_no, unit_id, unit_path, room, starts_at, ends_at, capacity, booking_closes_at, room_id) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id",
            )
            .bind(id)
            .bind(n as i64 + 1)
            .bind(place.id)
            .bind(&place.path)
            .bind(DEMO_ROOM)
            .bind(crate::time::fmt(s))
            .bind(crate::time::fmt(s + chrono::Duration::minutes(90)))
            .bind(if n == 0 { capacity } else { None })
            .bind(crate::time::fmt(closes))
            .bind(room.0)
            .fetch_one(&mut *tx)
            .await?;
            crate::rooms::sync_session(&mut tx, sid, &now_s).await?;
        }
        created += 1;
    }
    tx.commit().await?;
    tracing::info!(activities = created, "loaded demo activities");
    Ok(created)
}

/// A demo person's name: a surname, 某 and a serial character, so it reads like a masked
/// entry and can never be a real person's name (shown masked anyway).
fn demo_person(i: usize) -> String {
    const SURNAMES: [char; 20] = [
        '陈', '李', '张', '黄', '王', '林', '吴', '刘', '郑', '何', '梁', '周', '罗', '谢', '杨',
        '钟', '许', '蔡', '邓', '曾',
    ];
    const SERIAL: [char; 10] = ['甲', '乙', '丙', '丁', '戊', '己', '庚', '辛', '壬', '癸'];
    format!(
        "{}某{}{}",
        SURNAMES[i % SURNAMES.len()],
        SERIAL[(i / SURNAMES.len()) % SERIAL.len()],
        SERIAL[(i / (SURNAMES.len() * SERIAL.len())) % SERIAL.len()]
    )
}

struct Demo<'a> {
    serial: &'a mut usize,
    now: &'a str,
}

impl Demo<'_> {
    /// A register entry for the next demo person.
    async fn staff(
        &mut self,
        tx: &mut crate::db::Tx,
        unit: i64,
        post: &str,
        employment: &str,
        from: &str,
    ) -> ApiResult<i64> {
        *self.serial += 1;
        let name = demo_person(*self.serial);
        crate::people::insert_staff(
            tx,
            &crate::people::NewStaff {
                unit_id: unit,
                name: &name,
                phone: None,
                post,
                employment,
                from_date: from,
                to_date: None,
                user_id: None,
            },
            self.now,
        )
        .await
    }
}

/// A demo staff register and dual dispatch for the demo network, so the staffing, coverage
/// and ledger screens have something to show: the main center over its minimum, most
/// branches at theirs and a few short, most points with a coordinator, a deputy head at all
/// but the last branch, instructors at most points. Deterministic (no randomness, fixed
/// dates) and one transaction. Skipped unless the demo network is loaded and the register is
/// empty. Returns register entries made.
pub async fn demo_register(st: &AppState) -> ApiResult<usize> {
    let has: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM staff_members")
        .fetch_one(st.db.pool())
        .await?;
    let units = org::all_units(&st.db).await?;
    let Some(main) = units.iter().find(|u| u.code == "ft-main") else {
        return Ok(0);
    };
    if has > 0 {
        return Ok(0);
    }
    let p = &st.settings.policy;
    let now = st.now();
    let mut tx = st.db.begin().await?;
    let mut n = 0usize;
    let mut add = Demo {
        serial: &mut n,
        now: &now,
    };
    // Main center: a head, two deputies, cadres (one per branch, less one: a coverage gap),
    // and a part-timer who does not count towards the minimum.
    let branches: Vec<&org::Unit> = units
        .iter()
        .filter(|u| matches!(u.level.as_str(), "branch" | "direct_branch"))
        .collect();
    add.staff(&mut tx, main.id, "馆长", "full_time", "2018-03-01")
        .await?;
    for _ in 0..2 {
        add.staff(&mut tx, main.id, "副馆长", "full_time", "2019-07-01")
            .await?;
    }
    let mut cadres = Vec::new();
    for _ in 0..branches.len().max(p.min_staff_main as usize - 3) {
        cadres.push(
            add.staff(&mut tx, main.id, "业务干部", "full_time", "2020-09-01")
                .await?,
        );
    }
    add.staff(&mut tx, main.id, "工作人员", "part_time", "2024-02-01")
        .await?;
    for (bi, b) in branches.iter().enumerate() {
        // Every fourth branch is one full-timer short (a part-timer instead): a staffing gap.
        let short = bi % 4 == 3;
        add.staff(&mut tx, b.id, "馆长", "full_time", "2019-01-01")
            .await?;
        let mut own = Vec::new();
        for k in 0..3 {
            let employment = if short && k == 2 {
                "part_time"
            } else {
                "full_time"
            };
            own.push(
                add.staff(&mut tx, b.id, "业务干部", employment, "2021-04-01")
                    .await?,
            );
        }
        if let Some(&cadre) = cadres.get(bi).filter(|_| bi + 1 < branches.len()) {
            crate::people::insert_dispatch(
                &mut tx,
                cadre,
                main.id,
                b.id,
                "deputy_head",
                &p.deputy_head_post,
                "2024-01-01",
                None,
                &now,
            )
            .await?;
        }
        let points: Vec<&org::Unit> = units
            .iter()
            .filter(|u| u.parent_id == Some(b.id) && u.level == "point")
            .collect();
        for (pi, pt) in points.iter().enumerate() {
            // Every seventh point has no coordinator yet, every fifth no instructor: gaps.
            if pi % 7 != 6 {
                add.staff(
                    &mut tx,
                    pt.id,
                    &p.coordinator_post,
                    "part_time",
                    "2022-05-01",
                )
                .await?;
            }
            if pi % 5 != 4 {
                crate::people::insert_dispatch(
                    &mut tx,
                    own[pi % own.len()],
                    b.id,
                    pt.id,
                    "instructor",
                    &p.instructor_post,
                    "2025-03-01",
                    None,
                    &now,
                )
                .await?;
            }
        }
    }
    let made = *add.serial;
    tx.commit().await?;
    tracing::info!(
        entries = made,
        "loaded a demo staff register and dual dispatch"
    );
    Ok(made)
}
