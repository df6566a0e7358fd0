//! `lamina auth`: access keys of a data folder. Works whether or not a server runs on it:
//! the key file is replaced atomically and a running server reloads it at its next request.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use lamina_auth::{KeyStatus, Keys};

/// `lamina auth …`.
#[derive(Debug, clap::Args)]
pub struct AuthArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: AuthCommand,
}

/// The key commands.
#[derive(Debug, clap::Subcommand)]
pub enum AuthCommand {
    /// Create an access key for an account; prints its AccessKeyId and SecretAccessKey
    /// (the only time the secret is shown).
    CreateKey {
        /// The twelve-digit account the key acts as (the server's --account-id owns the
        /// resources; other accounts reach only what resource policies grant them).
        #[arg(long)]
        account: String,
        /// Allow reads only (Get/List); no change and no invoke.
        #[arg(long)]
        read_only: bool,
        /// The server's data folder.
        #[arg(long, env = "LAMINA_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// List every key (never secrets).
    ListKeys {
        /// The server's data folder.
        #[arg(long, env = "LAMINA_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Refuse a key from now on (it can be enabled again).
    DisableKey {
        /// The access key id.
        access_key_id: String,
        /// The server's data folder.
        #[arg(long, env = "LAMINA_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Accept a disabled key again.
    EnableKey {
        /// The access key id.
        access_key_id: String,
        /// The server's data folder.
        #[arg(long, env = "LAMINA_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
    /// Delete a key for good.
    DeleteKey {
        /// The access key id.
        access_key_id: String,
        /// The server's data folder.
        #[arg(long, env = "LAMINA_DATA_DIR")]
        data_dir: Option<PathBuf>,
    },
}

fn keys(data_dir: Option<PathBuf>) -> Keys {
    Keys::new(&data_dir.unwrap_or_else(super::server::default_data_dir))
}

/// Runs one key command.
pub fn run(args: AuthArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuthCommand::CreateKey {
            account,
            read_only,
            data_dir,
        } => {
            let now = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .context("formatting the date")?;
            let key = keys(data_dir).create(&account, read_only, &now)?;
            println!("{}", serde_json::to_string_pretty(&key)?);
        }
        AuthCommand::ListKeys { data_dir } => {
            let list = keys(data_dir).list()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "AccessKeys": list }))?
            );
        }
        AuthCommand::DisableKey {
            access_key_id,
            data_dir,
        } => keys(data_dir).set_status(&access_key_id, KeyStatus::Inactive)?,
        AuthCommand::EnableKey {
            access_key_id,
            data_dir,
        } => keys(data_dir).set_status(&access_key_id, KeyStatus::Active)?,
        AuthCommand::DeleteKey {
            access_key_id,
            data_dir,
        } => keys(data_dir).delete(&access_key_id)?,
    }
    Ok(ExitCode::SUCCESS)
}
