//! `kanri-loadgen` command: parses the arguments and calls [`kanri_loadgen::run`].

use std::process::ExitCode;

use clap::Parser;
use kanri_loadgen::cli::Cli;

fn main() -> ExitCode {
    match kanri_loadgen::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kanri-loadgen: {error:#}");
            ExitCode::FAILURE
        }
    }
}
