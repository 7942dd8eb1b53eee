use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = kanri_server::cli::Cli::parse();
    match kanri_server::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kanri-server: {error:#}");
            match error.downcast_ref::<kanri_server::cli::Refused>() {
                Some(refused) => ExitCode::from(refused.code),
                None => ExitCode::FAILURE,
            }
        }
    }
}
