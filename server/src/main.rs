use clap::Parser;

#[tokio::main]
async fn main() {
    let cli = culturehub::cli::Cli::parse();
    if let Err(e) = culturehub::cli::run(cli).await {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}
