//! Demo data: the Futian network (and, as later domains land, demo activities).
//! Every demo row is marked `is_demo = 1`.

use crate::error::ApiResult;
use crate::org;
use crate::state::AppState;
use std::collections::HashSet;

/// Loads the demo network when the database has no units yet. Returns units created.
pub async fn demo_if_empty(st: &AppState) -> ApiResult<usize> {
    if org::count_units(&st.db).await? > 0 {
        return Ok(0);
    }
    demo(st, |_| {}).await
}

pub async fn demo(st: &AppState, progress: impl FnMut(usize)) -> ApiResult<usize> {
    let existing = org::existing_codes(&st.db).await?;
    if existing.contains("ft-main") {
        return Ok(0);
    }
    let rows = org::parse_csv(org::FUTIAN_CSV, &HashSet::new()).map_err(|errs| {
        crate::error::ApiError::validation(format!("内置演示数据无效：{}", errs.join("；")))
    })?;
    let n = org::import_rows(&st.db, &rows, true, &st.now(), progress).await?;
    tracing::info!(units = n, "loaded the demo Futian network");
    Ok(n)
}
