//! `doorstep`: the one binary. Serves the web app and API, and runs the office work from a
//! terminal: areas, imports, exports, demo data, migrations.
#![forbid(unsafe_code)]

/// Prints a line on standard output; when the reader has gone away (`| head`), the command
/// ends quietly instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}

mod backup;
mod checkpoints;
mod commands;
mod custody;
mod daily;
mod emergency;
mod episodes;
mod links;
mod lists;
mod materials;
mod notices;
mod out;
mod policies;
mod rounds;
mod seals;
mod serve;
mod staff;
mod supplies;
mod templates;
mod users;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// mimalloc: an import's rows are allocated on the reading thread and freed on the writing one,
/// which glibc's allocator handles with locks and consolidation (a fifth of an import's CPU).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Doorstep (家门口): a neighbourhood's epidemic response — registry, self-report,
/// quarantine, testing, deliveries, reports.
#[derive(Parser, Debug)]
#[command(name = "doorstep", version, about)]
pub struct Cli {
    /// Database URL: sqlite://FILE (default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "DOORSTEP_DB",
        default_value = "sqlite://doorstep.db"
    )]
    pub db: String,
    /// Language of messages: zh (default) or en.
    #[arg(long, global = true, env = "DOORSTEP_LANG", default_value = "zh")]
    pub lang: String,
    /// Show what the program and its libraries log (-v: info, -vv: debug). `serve` logs
    /// info by default; DOORSTEP_LOG (e.g. `debug,sqlx=warn`) overrides both.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web server (and API).
    Serve {
        /// Address to listen on. Loopback by default: accounts and access control come later.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
        /// Load the demo community first when the database is empty.
        #[arg(long)]
        demo: bool,
        /// The address residents reach this server at, e.g. https://doorstep.example.org:
        /// report links, posters and QR codes print it. Required unless --addr is loopback
        /// (then the listening address is used).
        #[arg(long, env = "DOORSTEP_PUBLIC_URL")]
        public_url: Option<String>,
        /// Reverse proxies and the header they name the client in.
        #[command(flatten)]
        proxies: serve::ProxyArgs,
        /// The public report pages' limits.
        #[command(flatten)]
        limits: serve::LimitArgs,
        /// Where sealing a box is announced to the transport group: an http:// URL that gets
        /// a JSON POST per sealed box, with an Idempotency-Key header, retried until it
        /// answers 2xx (never holding up the seal). None by default.
        #[arg(long, value_name = "URL", env = "DOORSTEP_SEAL_WEBHOOK")]
        seal_webhook: Option<String>,
        /// When the day's retention run starts, HH:MM in China time: the first server to
        /// reach it runs `retention run` over every area (audited, one log line with the
        /// counts); the others skip that day.
        #[arg(long, value_name = "HH:MM", env = "DOORSTEP_RETENTION_AT", default_value = "03:30",
              value_parser = serve::time_of_day)]
        retention_at: time::Time,
        /// Never run retention by itself (then run `doorstep retention run` from cron).
        #[arg(long, env = "DOORSTEP_NO_RETENTION")]
        no_retention: bool,
    },
    /// Bring the database schema up to date.
    Migrate,
    /// Write a consistent copy of the database to FILE while it is in use (SQLite: `VACUUM
    /// INTO`; PostgreSQL: `pg_dump --format=custom`).
    Backup {
        /// The file to write (must not exist).
        file: std::path::PathBuf,
        /// Print what was copied as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Replace the database with a backup from `doorstep backup` (stop the server first), then
    /// migrate it to this version.
    Restore {
        /// The backup file.
        file: std::path::PathBuf,
        /// Print what was restored as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Load the demo community (二七区/京广路街道/祥云社区).
    Demo,
    /// Manage the area tree.
    Area {
        /// The area command.
        #[command(subcommand)]
        command: AreaCommand,
    },
    /// Import a roster.
    Import {
        /// What to import.
        #[command(subcommand)]
        what: ImportWhat,
    },
    /// Manage user accounts.
    User {
        /// The user command.
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Report links (QR codes) for residents' self-report.
    Link {
        /// The link command.
        #[command(subcommand)]
        command: links::LinkCommand,
    },
    /// The working force's roster (工作力量).
    Staff {
        /// The staff command.
        #[command(subcommand)]
        command: staff::StaffCommand,
    },
    /// Duties: who owns which area (分包).
    Duty {
        /// The duty command.
        #[command(subcommand)]
        command: staff::DutyCommand,
    },
    /// Field tasks (door-knocks, sampling, deliveries, calls …).
    Task {
        /// The task command.
        #[command(subcommand)]
        command: staff::TaskCommand,
    },
    /// Home quarantine and health monitoring (居家隔离、健康监测).
    Episode {
        /// The episode command.
        #[command(subcommand)]
        command: episodes::EpisodeCommand,
    },
    /// Quarantine policies and their versions (防控政策).
    Policy {
        /// The policy command.
        #[command(subcommand)]
        command: policies::PolicyCommand,
    },
    /// Export templates (报表模板): list them, import and export template files.
    Template {
        /// The template command.
        #[command(subcommand)]
        command: templates::TemplateCommand,
    },
    /// Sealed areas (封控): seal a compound, building or unit, lift it, list them.
    Seal {
        /// The seal command.
        #[command(subcommand)]
        command: seals::SealCommand,
    },
    /// Notices to residents (温馨提示) and files from above (上级文件).
    Notice {
        /// The notice command.
        #[command(subcommand)]
        command: notices::NoticeCommand,
    },
    /// Investigation lists from above (流调协查): import, return file.
    List {
        /// The list command.
        #[command(subcommand)]
        command: lists::ListCommand,
    },
    /// Supplies and services requests of households at home (后勤供给).
    Supplies {
        /// The supplies command.
        #[command(subcommand)]
        command: supplies::SuppliesCommand,
    },
    /// Checkpoints at compound gates and their counts per hour (卡口值守).
    Checkpoint {
        /// The checkpoint command.
        #[command(subcommand)]
        command: checkpoints::CheckpointCommand,
    },
    /// Reports: the daily report (日报).
    Report {
        /// The report command.
        #[command(subcommand)]
        command: daily::ReportCommand,
    },
    /// Mass-testing rounds (全员核酸).
    Round {
        /// The round command.
        #[command(subcommand)]
        command: rounds::RoundCommand,
    },
    /// Export a roster, the direct report, or an area's rows with a template
    /// (`doorstep export TEMPLATE --area PATH [--format xlsx|csv] -o FILE`).
    /// Peacetime ↔ emergency (平急转换): switch a community in and back, list them.
    Emergency {
        /// The emergency command.
        #[command(subcommand)]
        command: emergency::EmergencyCommand,
    },
    /// Retention of an ended emergency's personal data: `retention run [--dry-run] --json`.
    Retention {
        /// The retention command.
        #[command(subcommand)]
        command: emergency::RetentionCommand,
    },
    /// Export a roster.
    Export {
        /// What to export.
        #[command(subcommand)]
        what: ExportWhat,
    },
}

/// Area commands.
#[derive(Subcommand, Debug)]
pub enum AreaCommand {
    /// Create an area; its parent must exist.
    Add {
        /// district, street, community, grid, compound, building or unit (or 区, 街道, 社区, …).
        #[arg(long)]
        kind: String,
        /// The full path, e.g. 二七区/京广路街道/祥云社区.
        path: String,
    },
    /// Show a subtree with household and person counts.
    List {
        /// The subtree's root; all roots when left out.
        path: Option<String>,
        /// Print JSON instead of a tree.
        #[arg(long)]
        json: bool,
    },
}

/// User commands.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user with one role in one area.
    Add {
        /// Login name (letters, digits, _ - .).
        #[arg(long)]
        username: String,
        /// admin, district_admin, street_admin, community_admin, grid_leader, grid_worker,
        /// volunteer, sampler, transporter, lab or viewer.
        #[arg(long)]
        role: String,
        /// The area the user may act in, e.g. 二七区/京广路街道/祥云社区.
        #[arg(long)]
        area: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// A work phone (mainland mobile), listed in the upper-level export for grid workers.
        #[arg(long)]
        phone: Option<String>,
    },
    /// Set (or clear, with "") a user's work phone.
    Phone {
        /// Login name.
        username: String,
        /// The phone, or "" to clear it.
        phone: String,
    },
    /// List users.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Disable a user (their sessions end at once).
    Disable {
        /// Login name.
        username: String,
    },
    /// Enable a disabled user.
    Enable {
        /// Login name.
        username: String,
    },
    /// Set a new password, read from standard input (their sessions end).
    Passwd {
        /// Login name.
        username: String,
    },
}

/// What to import.
#[derive(Subcommand, Debug)]
pub enum ImportWhat {
    /// Persons from a CSV (UTF-8 or GBK) or XLSX roster.
    Persons {
        /// The community (or lower area) the roster belongs to.
        #[arg(long)]
        into: String,
        /// The roster file.
        file: PathBuf,
        /// Print exactly one JSON object with the outcome on stdout.
        #[arg(long)]
        json: bool,
        /// Write the rejected rows, with a reason column, to this XLSX file.
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Import as this user: only into their area, and a row whose person is on file
        /// outside it is rejected. Without it the command acts for the office that holds the
        /// database, everywhere.
        #[arg(long = "as", value_name = "USERNAME")]
        as_user: Option<String>,
    },
    /// A lab's results (CSV or XLSX: 试管码, 检测结果, 检测时间): each result reaches every
    /// person in its tube; a positive pool flags them and makes home re-sampling tasks.
    Results {
        /// The results file.
        file: PathBuf,
        /// Print exactly one JSON object with the outcome on stdout.
        #[arg(long)]
        json: bool,
    },
}

/// What to export.
#[derive(Subcommand, Debug)]
pub enum ExportWhat {
    /// Every person under an area, in the import template.
    Persons {
        /// The area.
        #[arg(long)]
        area: String,
        /// csv or xlsx.
        #[arg(long, value_enum, default_value = "xlsx")]
        format: FormatArg,
        /// The output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Accepted self-reports in the upper-level direct-report template.
    Reports {
        /// The area.
        #[arg(long)]
        area: String,
        /// Only what no earlier export of this area sent up.
        #[arg(long)]
        since_last: bool,
        /// csv or xlsx.
        #[arg(long, value_enum, default_value = "xlsx")]
        format: FormatArg,
        /// The output file.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Any other word is a template's id or name: `TEMPLATE --area PATH [--format xlsx|csv]
    /// -o FILE`.
    #[command(external_subcommand)]
    Template(Vec<String>),
}

/// A spreadsheet format on the command line.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum FormatArg {
    /// CSV, UTF-8 with BOM.
    Csv,
    /// Excel workbook.
    Xlsx,
}

/// What a person reads of a failed command: the commands write their own messages in the
/// user's language; errors passed up from below get theirs here (the cause goes to the log).
fn user_message(e: &anyhow::Error, lang: doorstep_core::Lang) -> String {
    use doorstep_app::error::AppError;
    if let Some(x) = e.downcast_ref::<doorstep_app::export::ExportError>() {
        x.message(lang)
    } else if let Some(x) = e.downcast_ref::<AppError>() {
        match x {
            AppError::Store(_) => doorstep_app::STORE_FAILED.pick(lang).to_string(),
            AppError::Import(i) => i.message(lang),
            AppError::NotFound => lang.pick("不存在", "not found").to_string(),
            AppError::Forbidden => lang.pick("无权进行此操作", "not allowed").to_string(),
            // Writing the user's own file (an export) is the usual internal failure here.
            AppError::Internal(cause) => {
                if let Some(x) = cause.downcast_ref::<doorstep_app::export::ExportError>() {
                    x.message(lang)
                } else if let Some(io) = cause.downcast_ref::<std::io::Error>() {
                    doorstep_app::io_message(io, lang)
                } else {
                    lang.pick(
                        "内部错误（加 -v 查看原因）",
                        "internal error (-v shows why)",
                    )
                    .to_string()
                }
            }
            other => other.to_string(),
        }
    } else if e.downcast_ref::<doorstep_store::StoreError>().is_some() {
        doorstep_app::STORE_FAILED.pick(lang).to_string()
    } else if let Some(io) = e.downcast_ref::<std::io::Error>() {
        doorstep_app::io_message(io, lang)
    } else {
        e.to_string()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A terminal command prints its outcome, not library notices; a server logs its requests.
    let default = match (cli.verbose, &cli.command) {
        (0, Command::Serve { .. }) => "info,sqlx=warn",
        (0, _) => "warn,sqlx=error",
        (1, _) => "info",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOORSTEP_LOG")
                .unwrap_or_else(|_| default.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let lang = doorstep_core::Lang::from_tag(&cli.lang);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            // Messages are written for the user in their language; the causes behind them
            // are in the log (-v).
            eprintln!(
                "{}{}",
                lang.pick("错误：", "error: "),
                user_message(&e, lang)
            );
            tracing::info!(error = %format!("{e:#}"), "the command failed");
            ExitCode::FAILURE
        }
    }
}
