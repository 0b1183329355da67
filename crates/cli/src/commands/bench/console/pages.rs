//! Logs in to the console as a browser would and times every page, one request at a time,
//! each page in turn so that none gets a warmer cache than the others.

use std::time::Instant;

use anyhow::Context;
use hdrhistogram::Histogram;
use leadwire_core::config::Config;
use reqwest::header::{COOKIE, SET_COOKIE};

use super::seed::Seeded;
use crate::commands::bench::node::KEY;

/// One page's latencies.
pub struct PageFigures {
    pub name: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Every page a console user opens, with the seeded data's ids in their paths.
fn pages(seeded: &Seeded, config: &Config) -> Vec<(String, String)> {
    let campaign = config
        .campaigns
        .first()
        .map(|c| c.api_id().to_owned())
        .unwrap_or_default();
    let canvas = config.canvases.first();
    let canvas_id = canvas.map(|c| c.api_id().to_owned()).unwrap_or_default();
    let step = canvas
        .and_then(|c| c.steps.last())
        .map(|s| s.name().to_owned())
        .unwrap_or_default();
    let template = config
        .webhook_templates
        .first()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let user = seeded.user_id;
    let encode = |text: &str| text.replace(' ', "%20");
    [
        ("overview", "/console/".to_owned()),
        ("activity log", "/console/log".to_owned()),
        (
            "activity log: errors",
            "/console/log?type=webhook_error".to_owned(),
        ),
        (
            "activity log: one campaign",
            format!("/console/log?campaign={}", encode(&campaign)),
        ),
        (
            "activity log: one step",
            format!(
                "/console/log?canvas={}&step={}",
                encode(&canvas_id),
                encode(&step)
            ),
        ),
        (
            "activity log: one user",
            format!("/console/log?user={user}"),
        ),
        (
            "activity entry",
            format!("/console/log/{}", seeded.success_entry),
        ),
        (
            "activity entry: failed",
            format!("/console/log/{}", seeded.failed_entry),
        ),
        (
            "campaigns (30 days)",
            "/console/campaigns?range=30d".to_owned(),
        ),
        (
            "campaign (30 days)",
            format!("/console/campaigns/{}?range=30d", encode(&campaign)),
        ),
        ("canvases", "/console/canvases".to_owned()),
        (
            "canvas",
            format!("/console/canvases/{}", encode(&canvas_id)),
        ),
        (
            "canvas step",
            format!(
                "/console/canvases/{}/steps/{}",
                encode(&canvas_id),
                encode(&step)
            ),
        ),
        ("user search", format!("/console/users?q={}", seeded.email)),
        ("user profile", format!("/console/users/{user}")),
        ("templates", "/console/templates".to_owned()),
        (
            "template",
            format!("/console/templates/{}", encode(&template)),
        ),
        ("configuration", "/console/config".to_owned()),
    ]
    .into_iter()
    .map(|(name, path)| (name.to_owned(), path))
    .collect()
}

pub async fn measure(
    base: &str,
    seeded: &Seeded,
    config: &Config,
    requests: u32,
) -> anyhow::Result<Vec<PageFigures>> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = log_in(&client, base).await?;
    let pages = pages(seeded, config);
    let mut histograms: Vec<Histogram<u64>> = pages
        .iter()
        .map(|_| Histogram::new_with_bounds(1, 60_000_000, 3))
        .collect::<Result<_, _>>()?;
    for _ in 0..requests {
        for ((name, path), histogram) in pages.iter().zip(&mut histograms) {
            let started = Instant::now();
            let response = client
                .get(format!("{base}{path}"))
                .header(COOKIE, &cookie)
                .send()
                .await?;
            let status = response.status();
            response.bytes().await?;
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            anyhow::ensure!(
                status.is_success() || status.is_redirection(),
                "{name} ({path}) answered {status}"
            );
            histogram.record(micros.max(1))?;
        }
    }
    Ok(pages
        .into_iter()
        .zip(histograms)
        .map(|((name, _), histogram)| PageFigures {
            name,
            p50_ms: histogram.value_at_quantile(0.50) as f64 / 1000.0,
            p99_ms: histogram.value_at_quantile(0.99) as f64 / 1000.0,
            max_ms: histogram.max() as f64 / 1000.0,
        })
        .collect())
}

/// The session cookie after logging in with the bench key through the login form.
async fn log_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let form = client.get(format!("{base}/console/login")).send().await?;
    let login_cookie = cookie(&form, "leadwire_console_login")?;
    let page = form.text().await?;
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker).context("the login form's token")? + marker.len();
    let csrf = &page[start..start + page[start..].find('"').context("a token")?];
    let answer = client
        .post(format!("{base}/console/login"))
        .header(COOKIE, login_cookie)
        .form(&[("key", KEY), ("csrf", csrf), ("next", "/console/")])
        .send()
        .await?;
    anyhow::ensure!(
        answer.status().is_redirection(),
        "the console login answered {}",
        answer.status()
    );
    cookie(&answer, "leadwire_console")
}

fn cookie(response: &reqwest::Response, name: &str) -> anyhow::Result<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
        .with_context(|| format!("no {name} cookie"))
}
