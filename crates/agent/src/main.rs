//! `kanri-agent`: parses the command line and hands over to [`kanri_agent::run`].

use std::process::ExitCode;

use clap::Parser;
use kanri_agent::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match kanri_agent::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kanri-agent: {error:#}");
            ExitCode::from(kanri_agent::exit_code(&error))
        }
    }
}
