//! Debian's Chromium driven through ChromeDriver (WebDriver), headless, one session per
//! test, with a screenshot of each page saved under `target/browser-screens/`.
//!
//! Sessions run one at a time (a test waits in `Browser::open` for the one before it to
//! close): several browsers at once on a small machine make every wait a race.
//!
//! Without `chromedriver` and `chromium` on the machine the tests say loudly that they
//! skipped; with `LEADWIRE_REQUIRE_BROWSER=1` (set by `.ci/run`) a missing browser fails them.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// Held by the open session, so that sessions run one at a time.
static ONE_AT_A_TIME: LazyLock<Arc<Mutex<()>>> = LazyLock::new(|| Arc::new(Mutex::new(())));
/// The longest wait for an element: a page load or an htmx poll on a busy machine.
const WAIT: Duration = Duration::from_secs(60);

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The browser itself, not Debian's wrapper script (which adds flags of its own).
const CHROMIUM: &str = "/usr/lib/chromium/chromium";

/// A headless browser session and the ChromeDriver behind it (killed on drop).
pub struct Browser {
    pub client: Client,
    _driver: Child,
    screens: PathBuf,
    _turn: OwnedMutexGuard<()>,
}

impl Browser {
    /// A new session, or `None` after a loud notice when the browser is not installed.
    pub async fn open(test: &str) -> Option<Self> {
        if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
            let message = format!(
                "SKIPPED {test}: {CHROMEDRIVER} or {CHROMIUM} is missing; install Debian's chromium and chromium-driver (.ci/run does)"
            );
            assert!(
                std::env::var_os("LEADWIRE_REQUIRE_BROWSER").is_none(),
                "{message}"
            );
            eprintln!("\n*** {message} ***\n");
            return None;
        }
        let turn = ONE_AT_A_TIME.clone().lock_owned().await;
        let (driver, port) = start_driver().await;
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        let screens = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/browser-screens");
        std::fs::create_dir_all(&screens).expect("the screenshot directory");
        Some(Self {
            client,
            _driver: driver,
            screens,
            _turn: turn,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("the page loads");
    }

    /// Waits for the element `css` (a page load or an htmx swap) and returns its text.
    pub async fn text(&self, css: &str) -> String {
        let found = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(element) => element.text().await.expect("its text"),
            Err(error) => self.missing(css, &error.to_string()).await,
        }
    }

    /// Fails a test whose element never came, with the page it was on (also saved as the
    /// screenshot `missing-element.png`).
    async fn missing(&self, css: &str, error: &str) -> ! {
        self.screenshot("missing-element").await;
        let path = self.current_path().await;
        let page = self.client.source().await.unwrap_or_default();
        let excerpt: String = page.chars().take(3000).collect();
        panic!("no element {css} on {path}: {error}\n{excerpt}");
    }

    pub async fn current_path(&self) -> String {
        let url = self.client.current_url().await.expect("a URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the page's path (and query) starts with `prefix`.
    pub async fn wait_for_path(&self, prefix: &str) {
        for _ in 0..1200 {
            if self.current_path().await.starts_with(prefix) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the browser never reached {prefix}; it is at {}",
            self.current_path().await
        );
    }

    /// Types `text` into the field `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("no field {css}: {error}"));
        field.clear().await.ok();
        field.send_keys(text).await.expect("typed");
    }

    pub async fn click(&self, css: &str) {
        let element = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("nothing to click at {css}: {error}"));
        element.click().await.expect("clicked");
    }

    /// Saves the whole window as `target/browser-screens/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("a screenshot");
        std::fs::write(self.screens.join(format!("{name}.png")), png).expect("saved");
    }

    pub async fn close(self) {
        self.client.close().await.expect("the session ends");
    }
}

/// Starts ChromeDriver on a free port; returns it and the port.
async fn start_driver() -> (Child, u16) {
    let mut driver = Command::new(CHROMEDRIVER)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let stdout = driver.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let marker = "was started successfully on port ";
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some((_, rest)) = line.split_once(marker) {
            let port = rest.trim_end_matches('.').parse().expect("a port number");
            // Keep reading (and dropping) its output so the pipe never fills.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (driver, port);
        }
    }
    panic!("chromedriver exited without saying its port");
}

fn capabilities() -> serde_json::Map<String, serde_json::Value> {
    let capabilities = serde_json::json!({
        "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=en-US", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-default-apps", "--disable-extensions"
            ]
        }
    });
    match capabilities {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object literal"),
    }
}
