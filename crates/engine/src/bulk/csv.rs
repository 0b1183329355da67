//! Bulk API 2.0 CSV: writing an upload (header of field names, LF, a value quoted when it
//! holds a comma, a quote, a line break or edge spaces, inner quotes doubled) and reading
//! the result files by header name, and the key a row is matched to its user by.

/// Appends one cell.
pub fn push_cell(out: &mut String, value: &str) {
    let needs_quotes =
        value.contains([',', '"', '\n', '\r']) || value.starts_with(' ') || value.ends_with(' ');
    if needs_quotes {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// Appends one record of `cells` and its line end.
pub fn push_record<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (index, cell) in cells.into_iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_cell(out, cell);
    }
    out.push('\n');
}

/// Why a result file does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a result CSV does not read: {0}")]
pub struct CsvError(pub String);

/// A CSV file's records (the header first), quoted fields unquoted; LF or CRLF.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut started = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                other => field.push(other),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                started = true;
            }
            ',' => {
                record.push(std::mem::take(&mut field));
                started = true;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
                started = false;
            }
            other => {
                field.push(other);
                started = true;
            }
        }
    }
    if quoted {
        return Err(CsvError("a quoted value is not closed".into()));
    }
    if started || !field.is_empty() {
        record.push(field);
        records.push(record);
    }
    Ok(records)
}

/// FNV-1a over the values, each ended by a unit separator: stable across runs and builds.
pub fn row_key<'a>(values: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for value in values {
        for byte in value.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_salesforce_needs_it_and_read_back() {
        let mut out = String::new();
        push_record(
            &mut out,
            [
                "plain",
                "a,b",
                "say \"hi\"",
                "two\nlines",
                " edge",
                "#N/A",
                "",
            ],
        );
        assert_eq!(
            out,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\" edge\",#N/A,\n"
        );
        let read = parse(&format!("\"sf__Id\",\"sf__Error\",A\r\n{out}")).expect("reads");
        assert_eq!(read[0], ["sf__Id", "sf__Error", "A"]);
        assert_eq!(
            read[1],
            [
                "plain",
                "a,b",
                "say \"hi\"",
                "two\nlines",
                " edge",
                "#N/A",
                ""
            ]
        );
        assert!(parse("\"open").is_err());
        assert_eq!(parse("").expect("empty"), Vec::<Vec<String>>::new());
        assert_ne!(row_key(["ab", "c"]), row_key(["a", "bc"]));
        assert_eq!(row_key(["x"]), row_key(["x"]));
    }
}
