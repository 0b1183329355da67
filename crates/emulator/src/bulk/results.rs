//! A processed job's outcomes, kept compactly (the upload once, plus a small outcome per
//! row), and the three result CSVs rendered from them on request.

use std::ops::Range;
use std::sync::Arc;

use leadwire_salesforce::bulk_csv::{fields, push_quoted};
use leadwire_salesforce::ids::RecordId;

/// What happened to one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Never attempted (the job failed or was aborted first).
    Unprocessed,
    Succeeded {
        id: RecordId,
        created: bool,
    },
    /// `error` is the `sf__Error` text: `CODE:message:fields --`.
    Failed {
        id: Option<RecordId>,
        error: Box<str>,
    },
}

/// The uploaded CSV split into its header and records.
#[derive(Debug)]
pub struct Parsed {
    pub data: Arc<[u8]>,
    pub delimiter: u8,
    /// The header's column names, as uploaded.
    pub columns: Vec<String>,
    /// The data records (header excluded), in upload order.
    pub records: Vec<Range<usize>>,
}

impl Parsed {
    /// The text of record `index`.
    pub fn record(&self, index: usize) -> &[u8] {
        &self.data[self.records[index].clone()]
    }
}

/// What the result resources read once a job has stopped.
#[derive(Debug)]
pub enum Finished {
    /// The upload was never split into rows (no data, a CSV or header error, or an abort
    /// before processing): every row is unprocessed and is returned as uploaded.
    Unread {
        data: Option<Arc<[u8]>>,
        columns: Vec<String>,
    },
    /// Rows with their outcomes, one per record of `parsed`.
    Rows {
        parsed: Arc<Parsed>,
        outcomes: Vec<RowOutcome>,
    },
}

impl Finished {
    /// Outcomes of a job whose rows never ran: the upload is returned as unprocessed, and
    /// the other results carry its header.
    pub fn unread(data: Option<Arc<[u8]>>, delimiter: u8) -> Self {
        let columns = data
            .as_deref()
            .map(|bytes| {
                let line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                fields(line, delimiter)
                    .into_iter()
                    .map(|name| name.into_owned())
                    .collect()
            })
            .unwrap_or_default();
        Self::Unread { data, columns }
    }
}

/// Which result resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultKind {
    Successful,
    Failed,
    Unprocessed,
}

impl ResultKind {
    /// The resource a path segment names (any case: clients spell `unprocessedRecords` too).
    pub fn from_segment(segment: &str) -> Option<Self> {
        match segment.to_ascii_lowercase().as_str() {
            "successfulresults" => Some(Self::Successful),
            "failedresults" => Some(Self::Failed),
            "unprocessedrecords" => Some(Self::Unprocessed),
            _ => None,
        }
    }

    fn header_prefix(self) -> &'static str {
        match self {
            Self::Successful => "\"sf__Id\",\"sf__Created\"",
            Self::Failed => "\"sf__Id\",\"sf__Error\"",
            Self::Unprocessed => "",
        }
    }
}

fn header_line(kind: ResultKind, columns: &[String]) -> String {
    let mut line = kind.header_prefix().to_owned();
    for column in columns {
        if !line.is_empty() {
            line.push(',');
        }
        line.push_str(column);
    }
    line.push('\n');
    line
}

/// Renders one result CSV: quoted `sf__` columns and values, uploaded header names bare,
/// commas and LF whatever the job's own format.
pub fn render(finished: &Finished, kind: ResultKind) -> String {
    match finished {
        Finished::Unread { data, columns } => {
            if kind == ResultKind::Unprocessed
                && let Some(data) = data
            {
                return String::from_utf8_lossy(data).into_owned();
            }
            header_line(kind, columns)
        }
        Finished::Rows { parsed, outcomes } => render_rows(parsed, outcomes, kind),
    }
}

fn render_rows(parsed: &Parsed, outcomes: &[RowOutcome], kind: ResultKind) -> String {
    let mut out = header_line(kind, &parsed.columns);
    for (index, outcome) in outcomes.iter().enumerate() {
        let started = out.len();
        match (kind, outcome) {
            (ResultKind::Successful, RowOutcome::Succeeded { id, created }) => {
                push_quoted(&mut out, id.as_str());
                out.push(',');
                push_quoted(&mut out, if *created { "true" } else { "false" });
            }
            (ResultKind::Failed, RowOutcome::Failed { id, error }) => {
                push_quoted(&mut out, id.as_ref().map_or("", RecordId::as_str));
                out.push(',');
                push_quoted(&mut out, error);
            }
            (ResultKind::Unprocessed, RowOutcome::Unprocessed) => {}
            _ => continue,
        }
        for value in fields(parsed.record(index), parsed.delimiter) {
            if out.len() > started {
                out.push(',');
            }
            push_quoted(&mut out, &value);
        }
        out.push('\n');
    }
    out
}
