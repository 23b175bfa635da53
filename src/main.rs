//! The `trackstrip` binary: parse the command line, set up logs, run one command.

mod cli;
mod cmd;

use clap::Parser;
use cli::{Cli, Command, LogFormat, RulesCommand};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // `serve` reads its config (which can set the log format) before logging starts.
    if !matches!(cli.command, Command::Serve(_)) {
        init_logs(cli.log_format.unwrap_or(LogFormat::Pretty), "warn,rustls=error");
    }
    let result = match &cli.command {
        Command::Serve(args) => cmd::serve::load(args, cli.log_format).and_then(|loaded| {
            let format = match loaded.settings.logs.format {
                trackstrip::config::LogFormat::Json => LogFormat::Json,
                trackstrip::config::LogFormat::Pretty => LogFormat::Pretty,
            };
            if args.check {
                init_logs(format, "warn,rustls=error");
                return cmd::serve_check::run(&loaded);
            }
            // rustls warns about every client hello it finds odd; under load that is noise.
            init_logs(format, "info,rustls=error");
            cmd::serve::run(loaded)
        }),
        Command::Strip(args) => cmd::strip::run(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Ca { command } => cmd::ca::run(command),
        Command::Rules { command: RulesCommand::Check { paths } } => cmd::rules_check::run(paths),
        Command::Lists { command } => cmd::lists::run(command),
        Command::User { command } => cmd::user::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trackstrip: {}", error_chain(&e));
            ExitCode::from(2)
        }
    }
}

/// The error and every cause under it, on one line.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let msg = c.to_string();
        if !s.contains(&msg) {
            s.push_str(": ");
            s.push_str(&msg);
        }
        cur = c.source();
    }
    s
}

fn init_logs(format: LogFormat, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    // A closed stderr (`serve 2>&1 | head`) must not panic the task that logged: drop the line.
    // Colour only for a terminal: a log file or collector gets plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .log_internal_errors(false);
    match format {
        LogFormat::Pretty => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
