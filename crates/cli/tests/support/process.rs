//! `leadwire serve` as a child process: started with a config and the emulator secret,
//! its log read line by line, stopped with SIGTERM (a clean exit) or SIGKILL (a crash).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a wait for a log line lasts before the test gives up (a stuck process).
const LOG_DEADLINE: Duration = Duration::from_secs(900);

/// A running `leadwire serve` and the lines it has logged so far.
pub struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Serve {
    /// Starts `leadwire serve --config CONFIG` with `SALESFORCE_CLIENT_SECRET` set.
    pub fn start(config: &Path, client_secret: &str) -> Self {
        Self::start_with(config, Some(client_secret))
    }

    /// Starts `leadwire serve --config CONFIG`, with `SALESFORCE_CLIENT_SECRET` set to
    /// `client_secret` or unset, and the log's settings left to the defaults (its output is
    /// a pipe, not a terminal).
    pub fn start_with(config: &Path, client_secret: Option<&str>) -> Self {
        Self::start_with_env(config, client_secret, &[])
    }

    /// As [`Self::start_with`], with extra environment variables.
    pub fn start_with_env(
        config: &Path,
        client_secret: Option<&str>,
        variables: &[(&str, &str)],
    ) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_leadwire"));
        command.envs(variables.iter().copied());
        command
            .args(["serve", "--config"])
            .arg(config)
            .env_remove("RUST_LOG")
            .env_remove("SALESFORCE_CLIENT_SECRET");
        if let Some(secret) = client_secret {
            command.env("SALESFORCE_CLIENT_SECRET", secret);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("leadwire starts");
        let (sender, lines) = mpsc::channel();
        let streams: [Option<Box<dyn std::io::Read + Send>>; 2] = [
            child.stdout.take().map(|s| Box::new(s) as _),
            child.stderr.take().map(|s| Box::new(s) as _),
        ];
        for stream in streams.into_iter().flatten() {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            child,
            lines,
            log: Vec::new(),
        }
    }

    /// The word after `marker` on the first logged line that has it.
    pub fn wait_for(&mut self, marker: &str) -> String {
        loop {
            if let Some(rest) = self.log.iter().find_map(|line| {
                line.split_once(marker)
                    .map(|(_, rest)| rest.split_whitespace().next().unwrap_or("").to_owned())
            }) {
                return rest;
            }
            match self.lines.recv_timeout(LOG_DEADLINE) {
                Ok(line) => self.log.push(line),
                Err(_) => panic!("no `{marker}` in the log:\n{}", self.log.join("\n")),
            }
        }
    }

    /// SIGKILL: no shutdown, no drain, no flush.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL delivered");
        self.child.wait().expect("the killed process is reaped");
    }

    /// SIGTERM, then a clean exit and the log's last word, `stopped`; returns the log.
    pub fn terminate(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("leadwire exits");
        self.wait_for("stopped");
        assert!(
            exit.success(),
            "exit status {exit:?}:\n{}",
            self.log.join("\n")
        );
        std::mem::take(&mut self.log)
    }
}

/// A test that fails half-way does not leave the process running.
impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.child.kill().ok();
            self.child.wait().ok();
        }
    }
}
