//! `modicum`: the command line for people who run or check Modicum.

mod demo;
mod policy;
mod scrub;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "modicum",
    version,
    about = "Modicum: telemetry that collects only a modicum"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a simulated fleet of devices under mixed consent and summarize what was kept.
    Demo {
        /// How many simulated devices.
        #[arg(long, default_value_t = 50)]
        devices: u32,
    },
    /// Scrub text lines from stdin with the default rules; one output line per input line.
    Scrub,
    /// Check or show policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validate a policy document (JSON, or TOML if the name ends in .toml); exit 1 if invalid.
    Check { file: PathBuf },
    /// Print what leaves the device per data class and age band, as a Markdown table.
    Table {
        /// A policy document; the built-in policy if omitted.
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Demo { devices } => demo::run(devices),
        Command::Scrub => scrub::run(),
        Command::Policy {
            command: PolicyCommand::Check { file },
        } => policy::check(&file),
        Command::Policy {
            command: PolicyCommand::Table { file },
        } => policy::table(file.as_deref()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("modicum: {message}");
            ExitCode::FAILURE
        }
    }
}
