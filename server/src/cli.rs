//! `culturehub` subcommands.

use crate::app;
use crate::config::Settings;
use crate::time::Clock;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "culturehub",
    version,
    about = "Culture Hub：文化馆总分馆制一体化服务"
)]
pub struct Cli {
    /// TOML settings file (also `CULTUREHUB_CONFIG`).
    #[arg(long, global = true)]
    pub config: Option<String>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand)]
pub enum Cmd {
    /// Run the HTTP service (applies migrations; loads demo data into an empty embedded database).
    Serve {
        /// Address to bind, default 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo data: the Futian network and a spread of demo activities (marked as demo).
    Seed {
        /// Accepted for clarity; demo data is the only seed there is.
        #[arg(long)]
        demo: bool,
    },
    /// Import a district's network from CSV: validated, all or nothing, errors by line.
    Import {
        file: String,
        /// Mark the imported units as demo data.
        #[arg(long)]
        demo: bool,
    },
    /// Run a local fake WeChat server that speaks the real wire format.
    FakeWechat {
        #[arg(long, default_value = "127.0.0.1:9080")]
        listen: String,
        #[arg(long, default_value = "wxdemo0000000000")]
        appid: String,
        #[arg(long, default_value = "local-fake-wechat-secret")]
        secret: String,
    },
    /// Run a local fake S3-compatible object store (objects in memory) that checks SigV4
    /// signatures like the real thing; point `[storage]` at it with `backend = "s3"`.
    FakeS3 {
        #[arg(long, default_value = "127.0.0.1:9000")]
        listen: String,
        #[arg(long, default_value = "culturehub")]
        bucket: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        #[arg(long, default_value = "local-fake-s3-key")]
        access_key_id: String,
        #[arg(long, default_value = "local-fake-s3-secret")]
        secret: String,
    },
    /// Print a one-time invitation code that makes whoever redeems it the main-center admin.
    BootstrapAdmin {
        /// Hours the code stays valid.
        #[arg(long, default_value_t = 24)]
        valid_hours: i64,
    },
}

pub fn init_tracing(format: &str) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,poem=warn"));
    // Colour only for a person at a terminal: redirected output and files get plain text.
    let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Cmd::FakeWechat {
        listen,
        appid,
        secret,
    } = &cli.cmd
    {
        init_tracing("pretty");
        let fake = crate::wechat::fake::FakeWechat::new(appid, secret);
        let port: u16 = listen
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("--listen 应为 127.0.0.1:端口"))?;
        let url = fake.spawn(port).await?;
        println!("模拟微信服务已启动：{url}（仅绑定 127.0.0.1，测试控制接口在 /__fake/ 下）");
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }
    if let Cmd::FakeS3 {
        listen,
        bucket,
        region,
        access_key_id,
        secret,
    } = &cli.cmd
    {
        init_tracing("pretty");
        let fake = crate::storage::fake::FakeS3::new(access_key_id, secret, region, bucket);
        let port: u16 = listen
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("--listen 应为 127.0.0.1:端口"))?;
        let url = fake.spawn(port).await?;
        println!("模拟 S3 对象存储已启动：{url}（存储桶 {bucket}，区域 {region}，数据只在内存中）");
        tokio::signal::ctrl_c().await?;
        return Ok(());
    }
    let mut settings = Settings::load(cli.config.as_deref())?;
    init_tracing(&settings.log_format);
    match cli.cmd {
        Cmd::Serve { listen } => {
            if let Some(l) = listen {
                settings.listen = l;
                settings.validate()?;
            }
            let listen = settings.listen.clone();
            tracing::info!(settings = ?settings, "starting");
            let state = app::build_state(settings, Clock::default()).await?;
            let running = app::start(state, &listen).await?;
            println!(
                "Culture Hub 已启动：{url}  接口文档：{url}/docs  健康检查：{url}/healthz",
                url = running.url()
            );
            if running.state.fake_wechat.is_some() {
                println!(
                    "（使用内置模拟微信服务：{}，小程序开发版从这里取登录凭证）",
                    running.state.wechat.base_url()
                );
            }
            shutdown_signal().await;
            println!("正在停止服务…");
            running.shutdown().await;
        }
        Cmd::Migrate => {
            let db = crate::db::Db::connect(&settings.database_url).await?;
            db.migrate().await?;
            println!("数据库迁移完成（{}）", db.backend.name());
        }
        Cmd::Seed { demo: _ } => {
            one_shot(&mut settings);
            let state = app::build_state(settings, Clock::default()).await?;
            let bar = progress(109);
            let n = crate::seed::demo(&state, |i| bar.set_position(i as u64)).await?;
            bar.finish_and_clear();
            let a = crate::seed::demo_activities(&state).await?;
            if a > 0 {
                println!("已加载演示活动：{a} 个");
            }
            let r = crate::seed::demo_register(&state).await?;
            if r > 0 {
                println!("已加载演示人员名册：{r} 人（含双派记录）");
            }
            if n == 0 {
                println!("演示网络已存在，未重复加载");
            } else {
                println!("已加载福田区演示网络：{n} 个单位");
            }
        }
        Cmd::Import { file, demo } => {
            one_shot(&mut settings);
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("无法读取 {file}: {e}"))?;
            let state = app::build_state(settings, Clock::default()).await?;
            let existing = crate::org::existing_codes(&state.db).await?;
            // The unified naming rule (settings `naming.*`) applies to every imported unit.
            let naming = crate::org::Naming::load(&state.db, &state.settings.naming).await?;
            match crate::org::parse_csv(&text, &existing, &naming) {
                Err(errors) => {
                    for e in &errors {
                        eprintln!("{e}");
                    }
                    anyhow::bail!("导入失败：{} 处错误，未写入任何数据", errors.len());
                }
                Ok(rows) => {
                    let bar = progress(rows.len() as u64);
                    let n = crate::org::import_rows(&state.db, &rows, demo, &state.now(), |i| {
                        bar.set_position(i as u64)
                    })
                    .await?;
                    bar.finish_and_clear();
                    println!("导入完成：{n} 个单位");
                }
            }
        }
        Cmd::BootstrapAdmin { valid_hours } => {
            one_shot(&mut settings);
            let state = app::build_state(settings, Clock::default()).await?;
            let root = crate::org::root(&state.db)
                .await?
                .ok_or_else(|| anyhow::anyhow!("还没有任何单位：请先 import 或 seed"))?;
            let now = state.clock.now();
            let expires = crate::time::fmt(now + chrono::Duration::hours(valid_hours));
            let mut tx = state.db.begin().await?;
            let code = crate::identity::create_invitation(
                &mut tx,
                crate::access::Role::CenterAdmin,
                root.id,
                None,
                1,
                &expires,
                &crate::time::fmt(now),
            )
            .await?;
            sqlx::query("INSERT INTO audit_log (at, action, unit_id, target) VALUES ($1, 'admin_bootstrap', $2, 'center_admin invitation')")
                .bind(crate::time::fmt(now))
                .bind(root.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            println!("总馆管理员邀请码（一次有效，{expires} 前使用）：{code}");
        }
        Cmd::FakeWechat { .. } | Cmd::FakeS3 { .. } => unreachable!("handled above"),
    }
    Ok(())
}

/// A command that runs and exits: no demo data loaded behind its back, and no embedded fake
/// WeChat (nothing would ever sign in through it, and it would take the port `serve` needs).
fn one_shot(settings: &mut Settings) {
    settings.seed_demo_if_empty = false;
    settings.wechat.embedded_fake = false;
}

fn progress(n: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(n);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 个单位")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
