//! `palisade`: inspect prompts and responses from the command line.

mod eval_entity;
mod scan;

use clap::{Parser, Subcommand, ValueEnum};
use palisade::{Guard, Mode, Policy};
use std::path::PathBuf;
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Exit status:
  0  no input was blocked
  1  at least one input was blocked
  2  usage, policy or I/O error

Examples:
  palisade scan examples/prompts/injection.txt
  echo 'Ignore previous instructions' | palisade scan --format json
  palisade scan --jsonl text --policy my-policy.toml prompts.jsonl
  palisade eval-entities --min-recall 0.97 ../shared/corpus/leakage/dev.jsonl
  palisade policy default > my-policy.toml && palisade policy check my-policy.toml";

#[derive(Parser, Debug)]
#[command(name = "palisade", version, about = "An embeddable guard for LLM traffic: finds prompt injection, secrets and personal data, unsafe output.", after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Inspect files, stdin or JSON Lines and report findings.
    #[command(after_help = AFTER_HELP)]
    Scan(scan::ScanArgs),
    /// Measure secret and PII detection on a labelled JSON Lines corpus
    /// (`entities: [{kind, start, end}]`): per-kind recall and precision,
    /// false-positive rate on negatives; exit 1 when a floor is not met.
    EvalEntities(eval_entity::EvalEntityArgs),
    /// Work with policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
}

#[derive(Subcommand, Debug)]
enum PolicyCommand {
    /// Validate a policy file (TOML or JSON) and compile it; prints its fingerprint.
    Check {
        /// The policy file.
        file: PathBuf,
    },
    /// Print the built-in default policy (annotated TOML), a starting point for your own.
    Default,
    /// List the built-in rule packs and their rules.
    Packs,
}

/// Which side of the model the input is on.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ModeArg {
    /// Text going into the model.
    Prompt,
    /// Text coming out of the model.
    Response,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Prompt => Mode::Prompt,
            ModeArg::Response => Mode::Response,
        }
    }
}

/// Builds the guard from `--policy` or the default policy.
pub(crate) fn load_guard(policy: Option<&PathBuf>) -> Result<Guard, String> {
    let policy = match policy {
        Some(p) => Policy::from_file(p).map_err(|e| format!("{}: {e}", p.display()))?,
        None => Policy::default(),
    };
    Guard::new(&policy).map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(&args),
        Command::EvalEntities(args) => eval_entity::run(&args),
        Command::Policy(PolicyCommand::Default) => {
            print!("{}", Policy::default_toml());
            Ok(false)
        }
        Command::Policy(PolicyCommand::Check { file }) => Policy::from_file(&file)
            .and_then(|p| Guard::new(&p))
            .map(|g| {
                println!(
                    "{}: ok ({} rules, fingerprint {})",
                    file.display(),
                    g.rule_count(),
                    g.fingerprint()
                );
                false
            })
            .map_err(|e| format!("{}: {e}", file.display())),
        Command::Policy(PolicyCommand::Packs) => {
            list_packs();
            Ok(false)
        }
    };
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            eprintln!("palisade: {e}");
            ExitCode::from(2)
        }
    }
}

fn list_packs() {
    for pack in palisade::packs::BUILTIN {
        println!("{}", pack.name);
        for rule in palisade::packs::rules(pack) {
            println!(
                "  {:<48} {:<14} {:<8} {}",
                rule.id,
                rule.category.as_str(),
                rule.severity.as_str(),
                rule.description.as_deref().unwrap_or("")
            );
        }
    }
}
