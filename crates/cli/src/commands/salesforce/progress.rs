//! What `salesforce backfill` shows as it goes, on stderr: on a terminal, a line of totals
//! (users rendered, jobs recorded, records written) above a bar of the running job's rows
//! with its state; otherwise one plain line per event (a page rendered, a job's state or
//! counts moving at a poll, a job recorded), for logs.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use leadwire_engine::bulk::Progress;
use leadwire_engine::bulk::client::JobInfo;

/// The progress of one backfill, drawn as bars or written as lines.
pub enum Shown {
    Bars(Bars),
    Lines(Lines<std::io::Stderr>),
}

impl Shown {
    /// Bars when stderr is a terminal, lines otherwise.
    pub fn on_stderr() -> Self {
        if std::io::stderr().is_terminal() {
            Self::Bars(Bars::new())
        } else {
            Self::Lines(Lines::new(std::io::stderr()))
        }
    }

    fn progress(&self) -> &dyn Progress {
        match self {
            Self::Bars(bars) => bars,
            Self::Lines(lines) => lines,
        }
    }

    /// Ends the display (the bars stay on screen with their last figures).
    pub fn done(&self) {
        if let Self::Bars(bars) = self {
            bars.done();
        }
    }
}

impl Progress for Shown {
    fn rendered(&self, count: u64) {
        self.progress().rendered(count);
    }

    fn polled(&self, sf_job_id: &str, info: &JobInfo, rows: u64) {
        self.progress().polled(sf_job_id, info, rows);
    }

    fn recorded(&self, succeeded: u64, failed: u64) {
        self.progress().recorded(succeeded, failed);
    }
}

/// The figures of a whole run.
#[derive(Default)]
struct Totals {
    rendered: AtomicU64,
    jobs: AtomicU64,
    succeeded: AtomicU64,
    failed: AtomicU64,
}

impl Totals {
    fn line(&self) -> String {
        format!(
            "{} users rendered, {} jobs recorded, {} records succeeded, {} failed",
            self.rendered.load(Ordering::Relaxed),
            self.jobs.load(Ordering::Relaxed),
            self.succeeded.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        )
    }

    fn add_recorded(&self, succeeded: u64, failed: u64) {
        self.jobs.fetch_add(1, Ordering::Relaxed);
        self.succeeded.fetch_add(succeeded, Ordering::Relaxed);
        self.failed.fetch_add(failed, Ordering::Relaxed);
    }
}

fn job_state(info: &JobInfo) -> String {
    format!("{}, {} failed", info.state, info.failed)
}

/// indicatif bars on a terminal: the totals, and a bar per job polled.
pub struct Bars {
    bars: MultiProgress,
    totals_bar: ProgressBar,
    job_style: ProgressStyle,
    jobs: Mutex<HashMap<String, ProgressBar>>,
    totals: Totals,
}

impl Bars {
    fn new() -> Self {
        let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let totals_bar = bars.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            totals_bar.set_style(style);
        }
        totals_bar.enable_steady_tick(Duration::from_millis(200));
        let job_style = ProgressStyle::with_template(
            "  job {prefix} [{bar:30}] {pos}/{len} rows processed, {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#>-");
        let shown = Self {
            bars,
            totals_bar,
            job_style,
            jobs: Mutex::new(HashMap::new()),
            totals: Totals::default(),
        };
        shown.totals_bar.set_message(shown.totals.line());
        shown
    }

    fn done(&self) {
        self.totals_bar.finish_with_message(self.totals.line());
    }
}

impl Progress for Bars {
    fn rendered(&self, count: u64) {
        self.totals.rendered.fetch_add(count, Ordering::Relaxed);
        self.totals_bar.set_message(self.totals.line());
    }

    fn polled(&self, sf_job_id: &str, info: &JobInfo, rows: u64) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let bar = jobs.entry(sf_job_id.to_owned()).or_insert_with(|| {
            let bar = self.bars.add(ProgressBar::new(rows));
            bar.set_style(self.job_style.clone());
            bar.set_prefix(sf_job_id.to_owned());
            bar
        });
        bar.set_position(info.processed.min(rows));
        bar.set_message(job_state(info));
        if info.is_terminal() {
            bar.finish();
        }
    }

    fn recorded(&self, succeeded: u64, failed: u64) {
        self.totals.add_recorded(succeeded, failed);
        self.totals_bar.set_message(self.totals.line());
    }
}

/// One line per event, for a log.
pub struct Lines<W> {
    out: Mutex<W>,
    totals: Totals,
    /// Each job's state and counts at its last poll, to write a line only when they move.
    last_poll: Mutex<HashMap<String, (String, u64, u64)>>,
}

impl<W: Write> Lines<W> {
    pub fn new(out: W) -> Self {
        Self {
            out: Mutex::new(out),
            totals: Totals::default(),
            last_poll: Mutex::new(HashMap::new()),
        }
    }

    fn write(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A closed stderr leaves nothing to tell.
        let _ = writeln!(out, "{line}");
    }

    #[cfg(test)]
    fn into_inner(self) -> W {
        self.out
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl<W: Write + Send> Progress for Lines<W> {
    fn rendered(&self, count: u64) {
        if count == 0 {
            return;
        }
        let total = self.totals.rendered.fetch_add(count, Ordering::Relaxed) + count;
        self.write(&format!("rendered {count} users ({total} in all)"));
    }

    fn polled(&self, sf_job_id: &str, info: &JobInfo, rows: u64) {
        let now = (info.state.clone(), info.processed, info.failed);
        let mut last = self
            .last_poll
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if last.get(sf_job_id) == Some(&now) {
            return;
        }
        last.insert(sf_job_id.to_owned(), now);
        drop(last);
        self.write(&format!(
            "job {sf_job_id}: {}/{rows} rows processed, {}",
            info.processed,
            job_state(info)
        ));
    }

    fn recorded(&self, succeeded: u64, failed: u64) {
        self.totals.add_recorded(succeeded, failed);
        self.write(&format!(
            "job recorded: {succeeded} records succeeded, {failed} failed; {}",
            self.totals.line()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(state: &str, processed: u64, failed: u64) -> JobInfo {
        JobInfo {
            id: "750x".into(),
            state: state.into(),
            processed,
            failed,
            error_message: None,
        }
    }

    #[test]
    fn without_a_terminal_each_event_is_one_line_and_repeated_polls_are_not() {
        let lines = Lines::new(Vec::new());
        lines.rendered(500);
        lines.rendered(20);
        lines.rendered(0);
        lines.polled("750x", &info("UploadComplete", 0, 0), 520);
        lines.polled("750x", &info("InProgress", 200, 1), 520);
        lines.polled("750x", &info("InProgress", 200, 1), 520);
        lines.polled("750x", &info("JobComplete", 520, 3), 520);
        lines.recorded(517, 3);
        let text = String::from_utf8(lines.into_inner()).expect("utf-8");
        assert_eq!(
            text,
            "rendered 500 users (500 in all)\n\
             rendered 20 users (520 in all)\n\
             job 750x: 0/520 rows processed, UploadComplete, 0 failed\n\
             job 750x: 200/520 rows processed, InProgress, 1 failed\n\
             job 750x: 520/520 rows processed, JobComplete, 3 failed\n\
             job recorded: 517 records succeeded, 3 failed; 520 users rendered, 1 jobs recorded, 517 records succeeded, 3 failed\n"
        );
    }
}
