//! `palisade`: inspect prompts and responses from the command line.

mod eval;
mod eval_entity;
mod obfuscate;
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
  palisade eval --obfuscate all attacks.jsonl benign.jsonl
  palisade eval ../shared/corpus/leakage/dev.jsonl   (entity mode: lines with `entities`)
  palisade policy default > my-policy.toml && palisade policy check my-policy.toml
  palisade scan --mode response --system-prompt prompt.txt --canary \"$TOKEN\" --chunk-size 16 reply.txt";

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
    /// Measure detection quality on labelled JSON Lines. Lines with `text`,
    /// `label` (attack|benign) and optional `family`: recall per attack
    /// family, false-positive rate per benign family, latency, robustness
    /// to obfuscation. Lines with `entities: [{kind, start, end}]` (byte
    /// offsets; entity mode): recall and precision per secret/PII kind,
    /// false-positive rate on negative lines. Exits 1 when a --min-*/--max-*
    /// floor is crossed.
    Eval(eval::EvalArgs),
    /// Work with policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print a new random canary token to plant in a system prompt (then
    /// pass it to `scan --canary`).
    Canary,
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
        Command::Eval(args) => eval::run(&args),
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
        Command::Canary => {
            println!("{}", palisade::canary::generate());
            Ok(false)
        }
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
