//! The SOQL lexer: identifiers, quoted strings with backslash escapes, numbers, date and datetime literals, operators and punctuation, each with its row and column.

use super::QueryError;

/// One token and where it starts (1-based row and column).
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub row: usize,
    pub column: usize,
    /// The text as written.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    Ident,
    Str(String),
    Number(f64),
    Date(String),
    DateTime(String),
    Op(&'static str),
    Comma,
    LParen,
    RParen,
    Colon,
}

/// Splits a SOQL text into tokens.
pub fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut at, mut row, mut column) = (0usize, 1usize, 1usize);
    while at < chars.len() {
        let c = chars[at];
        if c == '\n' {
            at += 1;
            row += 1;
            column = 1;
            continue;
        }
        if c.is_whitespace() {
            at += 1;
            column += 1;
            continue;
        }
        let start = at;
        let kind = match c {
            ',' => single(&mut at, TokenKind::Comma),
            '(' => single(&mut at, TokenKind::LParen),
            ')' => single(&mut at, TokenKind::RParen),
            ':' => single(&mut at, TokenKind::Colon),
            '=' => single(&mut at, TokenKind::Op("=")),
            '!' if chars.get(at + 1) == Some(&'=') => {
                at += 2;
                TokenKind::Op("!=")
            }
            '<' | '>' => {
                let next = chars.get(at + 1).copied();
                at += 1;
                match (c, next) {
                    ('<', Some('=')) => {
                        at += 1;
                        TokenKind::Op("<=")
                    }
                    ('>', Some('=')) => {
                        at += 1;
                        TokenKind::Op(">=")
                    }
                    ('<', Some('>')) => {
                        at += 1;
                        TokenKind::Op("!=")
                    }
                    ('<', _) => TokenKind::Op("<"),
                    _ => TokenKind::Op(">"),
                }
            }
            '\'' => string(&chars, &mut at).ok_or_else(|| {
                QueryError::malformed(row, column, "unterminated string literal".to_owned())
            })?,
            c if c.is_ascii_digit()
                || (c == '-' && chars.get(at + 1).is_some_and(char::is_ascii_digit)) =>
            {
                at += 1;
                while at < chars.len()
                    && (chars[at].is_ascii_alphanumeric()
                        || matches!(chars[at], '-' | ':' | '.' | '+'))
                {
                    at += 1;
                }
                let word: String = chars[start..at].iter().collect();
                literal(&word).ok_or_else(|| QueryError::unexpected(row, column, &word))?
            }
            c if c.is_alphabetic() || c == '_' => {
                while at < chars.len()
                    && (chars[at].is_alphanumeric() || matches!(chars[at], '_' | '.'))
                {
                    at += 1;
                }
                TokenKind::Ident
            }
            other => return Err(QueryError::unexpected(row, column, &other.to_string())),
        };
        let text: String = chars[start..at].iter().collect();
        tokens.push(Token {
            kind,
            row,
            column,
            text,
        });
        // A string literal may hold a line break: the next token is on a later row.
        for &c in &chars[start..at] {
            (row, column) = if c == '\n' {
                (row + 1, 1)
            } else {
                (row, column + 1)
            };
        }
    }
    Ok(tokens)
}

fn single(at: &mut usize, kind: TokenKind) -> TokenKind {
    *at += 1;
    kind
}

fn string(chars: &[char], at: &mut usize) -> Option<TokenKind> {
    let mut value = String::new();
    *at += 1;
    while let Some(&c) = chars.get(*at) {
        *at += 1;
        match c {
            '\'' => return Some(TokenKind::Str(value)),
            '\\' => {
                let escaped = *chars.get(*at)?;
                *at += 1;
                if matches!(escaped, '%' | '_') {
                    // `\%` and `\_` stay escaped for LIKE patterns.
                    value.push('\\');
                }
                value.push(match escaped {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    other => other,
                });
            }
            other => value.push(other),
        }
    }
    None
}

fn literal(word: &str) -> Option<TokenKind> {
    if let Ok(number) = word.parse::<f64>() {
        return Some(TokenKind::Number(number));
    }
    if chrono::NaiveDate::parse_from_str(word, "%Y-%m-%d").is_ok() {
        return Some(TokenKind::Date(word.to_owned()));
    }
    crate::validate::parse_datetime(word)
        .map(|time| TokenKind::DateTime(crate::record::format_datetime(&time)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text)
            .map(|t| t.into_iter().map(|t| t.kind).collect())
            .unwrap_or_default()
    }

    #[test]
    fn tokens_of_a_query() {
        assert_eq!(
            kinds("Email = 'o\\'k' AND n >= -2.5 OR d < 2024-01-02T03:04:05+00:00"),
            vec![
                TokenKind::Ident,
                TokenKind::Op("="),
                TokenKind::Str("o'k".into()),
                TokenKind::Ident,
                TokenKind::Ident,
                TokenKind::Op(">="),
                TokenKind::Number(-2.5),
                TokenKind::Ident,
                TokenKind::Ident,
                TokenKind::Op("<"),
                TokenKind::DateTime("2024-01-02T03:04:05.000+0000".into()),
            ]
        );
    }

    #[test]
    fn positions_count_rows_and_columns() {
        let tokens = tokenize("SELECT Id\nFROM Lead").unwrap_or_default();
        let from = tokens.get(2).map(|t| (t.row, t.column));
        assert_eq!(from, Some((2, 1)));
    }

    #[test]
    fn a_line_break_inside_a_string_moves_the_next_token_to_the_next_row() {
        let tokens = tokenize("Name = 'a\nbc' AND").unwrap_or_default();
        let and = tokens.get(3).map(|t| (t.row, t.column));
        assert_eq!(and, Some((2, 5)));
        let error = tokenize("'\n' #").err().map(|e| (e.row, e.column));
        assert_eq!(error, Some((2, 3)));
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(tokenize("Email = 'open").is_err());
        assert!(tokenize("Id = #").is_err());
    }
}
