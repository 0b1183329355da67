//! The node under soak: `leadwire serve` as a child process on a fixed port, its log
//! appended to a file, killed with SIGKILL or stopped with SIGTERM, its memory read from
//! /proc.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::commands::bench::node::EMULATOR_CLIENT_ID;

/// How long a started node may take to answer `/readyz`.
const START_DEADLINE: Duration = Duration::from_secs(120);

/// How to start the node; each start appends to the same log.
pub struct NodeCommand {
    pub config: PathBuf,
    pub log: PathBuf,
    pub client_secret: String,
    pub base_url: String,
}

/// A running `leadwire serve`.
pub struct Node {
    child: Child,
}

/// The upsert example (create a lead, or update the one with the user's id), which the soak
/// runs with its API key, emulator address, data directory and a fixed port filled in.
const EXAMPLE: &str = include_str!("../../../../../../examples/create-lead-upsert.toml");

impl NodeCommand {
    /// Writes the node's config into `scratch`, on a port free now and kept across restarts
    /// so the load's URL never changes.
    pub fn prepare(
        scratch: &Path,
        emulator_url: &str,
        client_secret: &str,
    ) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let source = EXAMPLE
            .replace(
                "key_env = \"LEADWIRE_API_KEY\"",
                &format!("key = \"{}\"", super::load::KEY),
            )
            .replace("http://127.0.0.1:8443", emulator_url)
            .replace(
                "client_id = \"leadwire-emulator-client\"",
                &format!("client_id = \"{EMULATOR_CLIENT_ID}\""),
            )
            // A killed node's claimed sends come back after the lease; keep it short.
            .replace(
                "[delivery]\n",
                "[delivery]\ntimeout = \"10s\"\nlease = \"30s\"\n",
            );
        anyhow::ensure!(
            source.contains(emulator_url)
                && source.contains(super::load::KEY)
                && source.contains(EMULATOR_CLIENT_ID),
            "the upsert example no longer has the lines the soak fills in"
        );
        let text = format!(
            "{source}\n[server]\nlisten = \"127.0.0.1:{port}\"\n\n[store]\ndata_dir = {:?}\n",
            scratch.join("data").display().to_string()
        );
        let config = scratch.join("leadwire.toml");
        std::fs::write(&config, text)?;
        Ok(Self {
            config,
            log: scratch.join("leadwire.log"),
            client_secret: client_secret.to_owned(),
            base_url: format!("http://127.0.0.1:{port}"),
        })
    }

    /// The node's SQLite database.
    pub fn database(&self) -> PathBuf {
        self.config.with_file_name("data").join("leadwire.db")
    }

    /// Starts the node and waits until it is ready.
    pub async fn start(&self) -> anyhow::Result<Node> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        let child = Command::new(std::env::current_exe().context("the leadwire binary")?)
            .args(["serve", "--config"])
            .arg(&self.config)
            .env("SALESFORCE_CLIENT_SECRET", &self.client_secret)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("cannot start leadwire serve")?;
        let mut node = Node { child };
        node.wait_ready(&self.base_url, &self.log).await?;
        Ok(node)
    }
}

impl Node {
    async fn wait_ready(&mut self, base_url: &str, log: &Path) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!("leadwire serve exited with {status}; see {}", log.display());
            }
            let ready = http.get(format!("{base_url}/readyz")).send().await;
            if ready.is_ok_and(|response| response.status().is_success()) {
                return Ok(());
            }
            if started.elapsed() > START_DEADLINE {
                bail!("leadwire serve was not ready within {START_DEADLINE:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resident memory now, in kB (VmRSS).
    pub fn rss_kb(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?;
        line.trim().trim_end_matches("kB").trim().parse().ok()
    }

    /// SIGKILL: no drain, no flush.
    pub fn kill(mut self) -> anyhow::Result<()> {
        self.child.kill().context("SIGKILL")?;
        self.child.wait().context("reaping the killed node")?;
        Ok(())
    }

    /// SIGTERM and a clean exit.
    pub async fn terminate(mut self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .context("kill -TERM")?;
        anyhow::ensure!(status.success(), "kill -TERM failed");
        let started = Instant::now();
        loop {
            if let Some(exit) = self.child.try_wait()? {
                anyhow::ensure!(
                    exit.success(),
                    "leadwire serve exited with {exit} after SIGTERM"
                );
                return Ok(());
            }
            if started.elapsed() > START_DEADLINE {
                bail!("leadwire serve did not stop within {START_DEADLINE:?} of SIGTERM");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A node left behind by an error does not outlive the bench.
impl Drop for Node {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
