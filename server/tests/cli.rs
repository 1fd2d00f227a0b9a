//! The `culturehub` binary: subcommands, CSV import (all or nothing, errors by line).

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_culturehub"))
}

#[test]
fn help_lists_subcommands() {
    let out = bin().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "serve",
        "migrate",
        "seed",
        "import",
        "fake-wechat",
        "bootstrap-admin",
    ] {
        assert!(text.contains(sub), "missing {sub} in:\n{text}");
    }
}

#[test]
fn import_is_all_or_nothing() {
    let dir = std::env::temp_dir().join(format!("culturehub-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/cli.db", dir.display());
    let bad = dir.join("bad.csv");
    let good = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/network-example.csv"
    );
    let text = std::fs::read_to_string(good).unwrap();
    // Break the last line's parent: the whole file must be refused.
    std::fs::write(
        &bad,
        text.replace(
            "point,sx-b-east,示例市示例区实验小学",
            "point,sx-b-nowhere,示例市示例区实验小学",
        ),
    )
    .unwrap();

    let run = |args: &[&str]| {
        bin()
            .args(args)
            .env("DATABASE_URL", &db)
            .env("CULTUREHUB_SEED_DEMO", "false")
            .env_remove("REDIS_URL")
            .output()
            .unwrap()
    };
    let out = run(&["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("第 5 行：上级单位编码 sx-b-nowhere 不存在"),
        "{err}"
    );
    assert!(err.contains("未写入任何数据"), "{err}");

    let out = run(&["import", good]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("导入完成：4 个单位"));

    // Importing the same file again is refused (codes exist), nothing doubles.
    let out = run(&["import", good]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("已存在于数据库中"));

    let out = run(&["bootstrap-admin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("总馆管理员邀请码"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_configuration_is_explained() {
    let out = bin()
        .args(["migrate"])
        .env("DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

/// One-shot commands start no fake WeChat (which would take — or, taken, move from — the port
/// `serve` needs) and write no colour codes into redirected output; `seed` after another
/// district's import refuses instead of adding a second main center.
#[test]
fn one_shot_commands_are_quiet_and_seed_keeps_one_main_center() {
    let dir = std::env::temp_dir().join(format!("culturehub-cli-oneshot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}/oneshot.db", dir.display());
    // The fake's port is taken: a one-shot command that started a fake would say so.
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let other = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/network-example.csv"
    );
    let run = |args: &[&str]| {
        bin()
            .args(args)
            .env("DATABASE_URL", &db)
            .env("CULTUREHUB_FAKE_WECHAT_PORT", &port)
            .env("RUST_LOG", "info")
            .env_remove("NO_COLOR")
            .env_remove("REDIS_URL")
            .env_remove("CULTUREHUB_CONFIG")
            .output()
            .unwrap()
    };
    for args in [vec!["import", other], vec!["bootstrap-admin"], vec!["seed"]] {
        let out = run(&args);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains('\u{1b}'), "{args:?}: colour codes in {all:?}");
        assert!(
            !all.contains("FAKE WeChat") && !all.contains("模拟微信"),
            "{args:?} started a fake WeChat: {all}"
        );
        if args[0] == "seed" {
            assert!(
                !out.status.success(),
                "seed next to another district: {all}"
            );
            assert!(all.contains("network_exists"), "{all}");
        } else {
            assert!(out.status.success(), "{args:?}: {all}");
        }
    }
    // Still one main center.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mains: i64 = rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&db).await.unwrap();
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM org_units WHERE parent_id IS NULL")
            .fetch_one(&mut c)
            .await
            .unwrap()
    });
    assert_eq!(mains, 1);
    drop(busy);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve` whose fake WeChat port is taken says so loudly on stderr (whatever the log level),
/// naming the consequence, instead of moving silently.
#[test]
fn serve_says_loudly_when_the_fake_wechat_port_is_taken() {
    use std::io::{BufRead, BufReader};
    let dir = std::env::temp_dir().join(format!("culturehub-cli-port-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let mut child = bin()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/port.db", dir.display()),
        )
        .env("CULTUREHUB_SEED_DEMO", "false")
        .env("CULTUREHUB_FAKE_WECHAT_PORT", &port)
        .env("RUST_LOG", "error")
        .env_remove("REDIS_URL")
        .env_remove("CULTUREHUB_CONFIG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            seen.push_str(&line);
            seen.push('\n');
            if seen.contains("wechat_code_invalid") {
                break;
            }
        }
        let _ = tx.send(seen);
    });
    let seen = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    drop(busy);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        seen.contains(&format!("127.0.0.1:{port} 已被占用"))
            && seen.contains("wechat_code_invalid"),
        "no loud notice on stderr: {seen:?}"
    );
}
