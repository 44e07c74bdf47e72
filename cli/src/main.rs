//! `modicum`: the command line for people who run or check Modicum.

mod demo;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "modicum", version, about = "Modicum: telemetry that collects only a modicum")]
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo { devices } => demo::run(devices),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("modicum: {message}");
            ExitCode::FAILURE
        }
    }
}
