//! Bulk API 2.0 CSV, the one codec of it: splitting a file into records (quotes, the
//! delimiter, the line ending, with Salesforce's job-failing messages), reading a record's
//! fields, and writing cells (quoted only when Salesforce needs it, as in an upload, or
//! always, as in a result file).

use std::borrow::Cow;
use std::ops::Range;

/// The line ending a job declares (`lineEnding`); every record must end with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    Crlf,
}

impl LineEnding {
    /// The name Salesforce uses (`LF`, `CRLF`).
    pub fn name(self) -> &'static str {
        match self {
            Self::Lf => "LF",
            Self::Crlf => "CRLF",
        }
    }
}

/// Why a CSV file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    #[error("a line does not end with {}, the line ending it must have", .0.name())]
    LineEnding(LineEnding),
    #[error(
        "a quote stands inside a value that is not quoted, or a quoted value is not closed (a value with a quote must be in quotes, its quotes doubled)"
    )]
    UnescapedQuote,
}

impl CsvError {
    /// The job's `errorMessage`, as Salesforce words it.
    pub fn job_message(&self) -> String {
        match self {
            Self::LineEnding(ending) => format!(
                "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is {}",
                ending.name()
            ),
            Self::UnescapedQuote => "InvalidBatch : Failed to parse CSV. Found unescaped quote. A value with quote should be within a quote".to_owned(),
        }
    }
}

/// Splits `data` into records: byte ranges without their line ending. Every line must end
/// with `ending` when one is given, and may end with either otherwise. Blank lines are
/// skipped. A quoted value may hold the delimiter, line breaks and doubled quotes.
pub fn split_records(
    data: &[u8],
    delimiter: u8,
    ending: Option<LineEnding>,
) -> Result<Vec<Range<usize>>, CsvError> {
    let mut records = Vec::new();
    let mut start = 0;
    let mut at = 0;
    let mut field_start = true;
    while at < data.len() {
        let byte = data[at];
        if field_start && byte == b'"' {
            at = closing_quote(data, at + 1, delimiter)?;
            field_start = false;
            continue;
        }
        field_start = false;
        match byte {
            b'\n' => {
                let end = if at > start && data[at - 1] == b'\r' {
                    at - 1
                } else {
                    at
                };
                let crlf = end != at;
                if let Some(ending) = ending
                    && crlf != (ending == LineEnding::Crlf)
                {
                    return Err(CsvError::LineEnding(ending));
                }
                if end > start {
                    records.push(start..end);
                }
                start = at + 1;
                field_start = true;
            }
            byte if byte == delimiter => field_start = true,
            _ => {}
        }
        at += 1;
    }
    if start < data.len() {
        let trims_cr = ending != Some(LineEnding::Lf);
        let end = if data[data.len() - 1] == b'\r' && trims_cr {
            data.len() - 1
        } else {
            data.len()
        };
        if end > start {
            records.push(start..end);
        }
    }
    Ok(records)
}

/// The position after the quote that closes a value opened just before `from`.
fn closing_quote(data: &[u8], from: usize, delimiter: u8) -> Result<usize, CsvError> {
    let mut at = from;
    while at < data.len() {
        if data[at] == b'"' {
            match data.get(at + 1) {
                Some(b'"') => at += 2,
                None | Some(b'\n' | b'\r') => return Ok(at + 1),
                Some(next) if *next == delimiter => return Ok(at + 1),
                Some(_) => return Err(CsvError::UnescapedQuote),
            }
        } else {
            at += 1;
        }
    }
    Err(CsvError::UnescapedQuote)
}

/// The fields of one record that [`split_records`] accepted.
pub fn fields(record: &[u8], delimiter: u8) -> Vec<Cow<'_, str>> {
    let mut values = Vec::new();
    let mut at = 0;
    loop {
        if record.get(at) == Some(&b'"') {
            let mut value = Vec::new();
            at += 1;
            while at < record.len() {
                if record[at] == b'"' {
                    if record.get(at + 1) == Some(&b'"') {
                        value.push(b'"');
                        at += 2;
                        continue;
                    }
                    at += 1;
                    break;
                }
                value.push(record[at]);
                at += 1;
            }
            values.push(Cow::Owned(String::from_utf8_lossy(&value).into_owned()));
        } else {
            let end = record[at..]
                .iter()
                .position(|b| *b == delimiter)
                .map_or(record.len(), |offset| at + offset);
            values.push(String::from_utf8_lossy(&record[at..end]));
            at = end;
        }
        if at >= record.len() {
            return values;
        }
        // `at` is on a delimiter.
        at += 1;
        if at == record.len() {
            values.push(Cow::Borrowed(""));
            return values;
        }
    }
}

/// A comma-separated file's records (the header first), each line ending LF or CRLF: how a
/// result file is read.
pub fn read(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let data = text.as_bytes();
    Ok(split_records(data, b',', None)?
        .into_iter()
        .map(|record| {
            fields(&data[record], b',')
                .into_iter()
                .map(Cow::into_owned)
                .collect()
        })
        .collect())
}

/// Appends one cell of an upload, quoted when it holds a comma, a quote, a line break or
/// edge spaces (inner quotes doubled).
pub fn push_cell(out: &mut String, value: &str) {
    let needs_quotes =
        value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ');
    if needs_quotes {
        push_quoted(out, value);
    } else {
        out.push_str(value);
    }
}

/// Appends one record of `cells` (each as [`push_cell`] writes it) and its LF.
pub fn push_record<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (index, cell) in cells.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_cell(out, cell);
    }
    out.push('\n');
}

/// Appends `value` in double quotes, inner quotes doubled.
pub fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &str, ending: LineEnding) -> Result<Vec<String>, CsvError> {
        split_records(data.as_bytes(), b',', Some(ending))
            .map(|ranges| ranges.into_iter().map(|r| data[r].to_owned()).collect())
    }

    #[test]
    fn records_respect_quotes_and_skip_blank_lines() {
        let data = "A,B\n\"x,\ny\",\"say \"\"hi\"\"\"\n\n1,2";
        assert_eq!(
            split(data, LineEnding::Lf),
            Ok(vec![
                "A,B".to_owned(),
                "\"x,\ny\",\"say \"\"hi\"\"\"".to_owned(),
                "1,2".to_owned()
            ])
        );
        let record = "\"x,\ny\",\"say \"\"hi\"\"\",,z,";
        assert_eq!(
            fields(record.as_bytes(), b','),
            vec!["x,\ny", "say \"hi\"", "", "z", ""]
        );
    }

    #[test]
    fn line_endings_must_match_the_job() {
        assert_eq!(
            split("A\r\nb\r\n", LineEnding::Crlf),
            Ok(vec!["A".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            split("A\r\nb\r\n", LineEnding::Lf),
            Err(CsvError::LineEnding(LineEnding::Lf))
        );
        assert_eq!(
            split("A\nb", LineEnding::Crlf),
            Err(CsvError::LineEnding(LineEnding::Crlf))
        );
        assert_eq!(
            CsvError::LineEnding(LineEnding::Lf).job_message(),
            "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
        );
    }

    #[test]
    fn stray_quotes_fail_the_upload() {
        assert_eq!(
            split("A,B\n\"a\" ,b\n", LineEnding::Lf),
            Err(CsvError::UnescapedQuote)
        );
        assert_eq!(
            split("A\n\"open", LineEnding::Lf),
            Err(CsvError::UnescapedQuote)
        );
        assert_eq!(
            CsvError::UnescapedQuote.job_message(),
            "InvalidBatch : Failed to parse CSV. Found unescaped quote. A value with quote should be within a quote"
        );
    }

    #[test]
    fn quoting_doubles_inner_quotes() {
        let mut out = String::new();
        push_quoted(&mut out, "a \"b\", c");
        assert_eq!(out, "\"a \"\"b\"\", c\"");
    }

    #[test]
    fn upload_cells_are_quoted_only_when_salesforce_needs_it_and_read_back() {
        let mut out = String::new();
        let cells = [
            "plain",
            "a,b",
            "say \"hi\"",
            "two\nlines",
            " edge",
            "#N/A",
            "",
        ];
        push_record(&mut out, cells);
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" edge\",#N/A,\n"
        );
        let read_back = read(&format!("\"sf__Id\",\"sf__Error\",A\r\n{out}")).expect("reads");
        assert_eq!(read_back[0], ["sf__Id", "sf__Error", "A"]);
        assert_eq!(read_back[1], cells);
        assert_eq!(read("\"open"), Err(CsvError::UnescapedQuote));
        assert_eq!(read("").expect("empty"), Vec::<Vec<String>>::new());
        assert_eq!(read("A\r\n1\r").expect("read"), [["A"], ["1"]]);
    }
}
