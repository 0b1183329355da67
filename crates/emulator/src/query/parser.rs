//! The SOQL parser: SELECT fields or COUNT() FROM object, WHERE with comparisons, LIKE, IN, NULL, AND/OR/NOT and parentheses, ORDER BY, LIMIT and OFFSET.

use super::QueryError;
use super::lexer::{Token, TokenKind, tokenize};

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub select: Selection,
    pub object: Name,
    pub filter: Option<Condition>,
    pub order: Vec<OrderKey>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// A name as written, with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Name {
    pub text: String,
    pub row: usize,
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Count,
    CountField(Name),
    Fields(Vec<Name>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Number(f64),
    Bool(bool),
    Null,
    Date(String),
    DateTime(String),
    /// A relative date range in days from today: `TODAY` is (0, 0), `LAST_N_DAYS:7` is (-7, 0).
    Relative(i64, i64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    Compare {
        field: Name,
        op: &'static str,
        value: Literal,
    },
    In {
        field: Name,
        values: Vec<Literal>,
        negated: bool,
    },
    Like {
        field: Name,
        pattern: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub field: Name,
    pub descending: bool,
    pub nulls_last: bool,
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end: (usize, usize),
}

/// Parses a SOQL query.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let tokens = tokenize(text)?;
    let rows: Vec<&str> = text.split('\n').collect();
    let end = (rows.len(), rows.last().map_or(0, |r| r.chars().count()) + 1);
    let mut parser = Parser { tokens, at: 0, end };
    parser.query()
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Result<Token, QueryError> {
        let token = self
            .tokens
            .get(self.at)
            .cloned()
            .ok_or_else(|| QueryError::unexpected_end(self.end))?;
        self.at += 1;
        Ok(token)
    }

    fn is_keyword(&self, word: &str) -> bool {
        self.peek()
            .is_some_and(|t| t.kind == TokenKind::Ident && t.text.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> bool {
        let found = self.is_keyword(word);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect_keyword(&mut self, word: &str) -> Result<(), QueryError> {
        let token = self.next()?;
        if token.kind == TokenKind::Ident && token.text.eq_ignore_ascii_case(word) {
            Ok(())
        } else {
            Err(QueryError::unexpected(token.row, token.column, &token.text))
        }
    }

    fn expect(&mut self, kind: &TokenKind) -> Result<Token, QueryError> {
        let token = self.next()?;
        if &token.kind == kind {
            Ok(token)
        } else {
            Err(QueryError::unexpected(token.row, token.column, &token.text))
        }
    }

    fn name(&mut self) -> Result<Name, QueryError> {
        let token = self.next()?;
        if token.kind != TokenKind::Ident || is_reserved(&token.text) {
            return Err(QueryError::unexpected(token.row, token.column, &token.text));
        }
        Ok(Name {
            text: token.text,
            row: token.row,
            column: token.column,
        })
    }

    fn query(&mut self) -> Result<Query, QueryError> {
        self.expect_keyword("SELECT")?;
        let select = self.selection()?;
        self.expect_keyword("FROM")?;
        let object = self.name()?;
        let filter = if self.eat_keyword("WHERE") {
            Some(self.or()?)
        } else {
            None
        };
        let mut order = Vec::new();
        if self.eat_keyword("ORDER") {
            self.expect_keyword("BY")?;
            loop {
                order.push(self.order_key()?);
                if self.peek().is_some_and(|t| t.kind == TokenKind::Comma) {
                    self.at += 1;
                } else {
                    break;
                }
            }
        }
        let limit = if self.eat_keyword("LIMIT") {
            Some(self.count()?)
        } else {
            None
        };
        let offset = if self.eat_keyword("OFFSET") {
            Some(self.count()?)
        } else {
            None
        };
        if let Some(extra) = self.peek() {
            return Err(QueryError::unexpected(extra.row, extra.column, &extra.text));
        }
        Ok(Query {
            select,
            object,
            filter,
            order,
            limit,
            offset,
        })
    }

    fn selection(&mut self) -> Result<Selection, QueryError> {
        if self.is_keyword("COUNT")
            && self
                .tokens
                .get(self.at + 1)
                .is_some_and(|t| t.kind == TokenKind::LParen)
        {
            self.at += 2;
            if self.peek().is_some_and(|t| t.kind == TokenKind::RParen) {
                self.at += 1;
                return Ok(Selection::Count);
            }
            let field = self.name()?;
            self.expect(&TokenKind::RParen)?;
            return Ok(Selection::CountField(field));
        }
        let mut fields = vec![self.name()?];
        while self.peek().is_some_and(|t| t.kind == TokenKind::Comma) {
            self.at += 1;
            fields.push(self.name()?);
        }
        Ok(Selection::Fields(fields))
    }

    fn order_key(&mut self) -> Result<OrderKey, QueryError> {
        let field = self.name()?;
        let descending = self.eat_keyword("DESC");
        if !descending {
            self.eat_keyword("ASC");
        }
        let mut nulls_last = descending;
        if self.eat_keyword("NULLS") {
            let token = self.next()?;
            nulls_last = match token.text.to_ascii_uppercase().as_str() {
                "FIRST" => false,
                "LAST" => true,
                _ => return Err(QueryError::unexpected(token.row, token.column, &token.text)),
            };
        }
        Ok(OrderKey {
            field,
            descending,
            nulls_last,
        })
    }

    fn count(&mut self) -> Result<usize, QueryError> {
        let token = self.next()?;
        match token.kind {
            TokenKind::Number(n) if n >= 0.0 && n.fract() == 0.0 => Ok(n as usize),
            _ => Err(QueryError::unexpected(token.row, token.column, &token.text)),
        }
    }

    fn or(&mut self) -> Result<Condition, QueryError> {
        let mut left = self.and()?;
        while self.eat_keyword("OR") {
            left = Condition::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Condition, QueryError> {
        let mut left = self.not()?;
        while self.eat_keyword("AND") {
            left = Condition::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Condition, QueryError> {
        if self.eat_keyword("NOT") {
            return Ok(Condition::Not(Box::new(self.not()?)));
        }
        if self.peek().is_some_and(|t| t.kind == TokenKind::LParen) {
            self.at += 1;
            let inner = self.or()?;
            self.expect(&TokenKind::RParen)?;
            return Ok(inner);
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Result<Condition, QueryError> {
        let field = self.name()?;
        if self.eat_keyword("LIKE") {
            let token = self.next()?;
            return match token.kind {
                TokenKind::Str(pattern) => Ok(Condition::Like { field, pattern }),
                _ => Err(QueryError::unexpected(token.row, token.column, &token.text)),
            };
        }
        let negated = self.eat_keyword("NOT");
        if self.eat_keyword("IN") {
            self.expect(&TokenKind::LParen)?;
            let mut values = vec![self.literal()?];
            while self.peek().is_some_and(|t| t.kind == TokenKind::Comma) {
                self.at += 1;
                values.push(self.literal()?);
            }
            self.expect(&TokenKind::RParen)?;
            return Ok(Condition::In {
                field,
                values,
                negated,
            });
        }
        let token = self.next()?;
        let TokenKind::Op(op) = token.kind else {
            return Err(QueryError::unexpected(token.row, token.column, &token.text));
        };
        if negated {
            return Err(QueryError::unexpected(token.row, token.column, &token.text));
        }
        Ok(Condition::Compare {
            field,
            op,
            value: self.literal()?,
        })
    }

    fn literal(&mut self) -> Result<Literal, QueryError> {
        let token = self.next()?;
        let unexpected = || QueryError::unexpected(token.row, token.column, &token.text);
        match &token.kind {
            TokenKind::Str(s) => Ok(Literal::Str(s.clone())),
            TokenKind::Number(n) => Ok(Literal::Number(*n)),
            TokenKind::Date(d) => Ok(Literal::Date(d.clone())),
            TokenKind::DateTime(d) => Ok(Literal::DateTime(d.clone())),
            TokenKind::Ident => match token.text.to_ascii_uppercase().as_str() {
                "NULL" => Ok(Literal::Null),
                "TRUE" => Ok(Literal::Bool(true)),
                "FALSE" => Ok(Literal::Bool(false)),
                "TODAY" => Ok(Literal::Relative(0, 0)),
                "YESTERDAY" => Ok(Literal::Relative(-1, -1)),
                "TOMORROW" => Ok(Literal::Relative(1, 1)),
                word @ ("LAST_N_DAYS" | "NEXT_N_DAYS") => {
                    self.expect(&TokenKind::Colon)?;
                    let days = i64::try_from(self.count()?).map_err(|_| unexpected())?;
                    Ok(if word == "LAST_N_DAYS" {
                        Literal::Relative(-days, 0)
                    } else {
                        Literal::Relative(0, days)
                    })
                }
                _ => Err(unexpected()),
            },
            _ => Err(unexpected()),
        }
    }
}

fn is_reserved(word: &str) -> bool {
    [
        "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "LIMIT", "OFFSET", "LIKE",
        "IN", "NULL", "TRUE", "FALSE",
    ]
    .iter()
    .any(|reserved| word.eq_ignore_ascii_case(reserved))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_query_parses() {
        let query = parse(
            "select Id, Email from Lead where (Email like 'a%' or Rating in ('Hot','Warm')) and not Company = null order by CreatedDate desc, LastName nulls last limit 10 offset 5",
        );
        let query = query.map_err(|e| e.message);
        let query = query.as_ref();
        assert!(matches!(query.map(|q| &q.select), Ok(Selection::Fields(f)) if f.len() == 2));
        assert_eq!(query.map(|q| (q.limit, q.offset)), Ok((Some(10), Some(5))));
        assert_eq!(
            query.map(|q| q
                .order
                .iter()
                .map(|k| (k.descending, k.nulls_last))
                .collect::<Vec<_>>()),
            Ok(vec![(true, true), (false, true)])
        );
    }

    #[test]
    fn errors_name_the_unexpected_token() {
        let error = parse("SELECT Id FROM Lead WHERE").err().map(|e| e.message);
        assert_eq!(error.as_deref(), Some("unexpected token: <EOF>"));
        let error = parse("SELECT Id, FROM Lead")
            .err()
            .map(|e| (e.message, e.column));
        assert_eq!(error, Some(("unexpected token: 'FROM'".into(), 12)));
        let error = parse("SELECT COUNT() FROM Lead LIMIT x")
            .err()
            .map(|e| e.message);
        assert_eq!(error.as_deref(), Some("unexpected token: 'x'"));
    }
}
