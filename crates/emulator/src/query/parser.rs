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
    /// Every one holds; a chain `a AND b AND c` is one flat list, so its length costs no depth.
    And(Vec<Condition>),
    /// One holds; flat like `And`.
    Or(Vec<Condition>),
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

/// How deep parentheses and `NOT` may nest in a WHERE clause. Parsing and evaluating
/// recurse once per level, so the bound keeps a hostile query from exhausting the stack.
pub const MAX_NESTING: usize = 100;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    end: (usize, usize),
    /// Parentheses and `NOT`s open around the current token.
    depth: usize,
}

/// Parses a SOQL query.
pub fn parse(text: &str) -> Result<Query, QueryError> {
    let tokens = tokenize(text)?;
    let rows: Vec<&str> = text.split('\n').collect();
    let end = (rows.len(), rows.last().map_or(0, |r| r.chars().count()) + 1);
    let mut parser = Parser {
        tokens,
        at: 0,
        end,
        depth: 0,
    };
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
        let mut terms = vec![self.and()?];
        while self.eat_keyword("OR") {
            terms.push(self.and()?);
        }
        Ok(joined(terms, Condition::Or))
    }

    fn and(&mut self) -> Result<Condition, QueryError> {
        let mut terms = vec![self.not()?];
        while self.eat_keyword("AND") {
            terms.push(self.not()?);
        }
        Ok(joined(terms, Condition::And))
    }

    fn not(&mut self) -> Result<Condition, QueryError> {
        let opens_a_level =
            self.is_keyword("NOT") || self.peek().is_some_and(|t| t.kind == TokenKind::LParen);
        if !opens_a_level {
            return self.comparison();
        }
        self.enter()?;
        let condition = if self.eat_keyword("NOT") {
            self.not().map(|inner| Condition::Not(Box::new(inner)))
        } else {
            self.at += 1;
            self.or()
                .and_then(|inner| self.expect(&TokenKind::RParen).map(|_| inner))
        };
        self.depth -= 1;
        condition
    }

    /// One level deeper, refused past [`MAX_NESTING`] at the token that opens it.
    fn enter(&mut self) -> Result<(), QueryError> {
        if self.depth >= MAX_NESTING {
            let (row, column) = self
                .peek()
                .map_or(self.end, |token| (token.row, token.column));
            return Err(QueryError::malformed(
                row,
                column,
                format!(
                    "the WHERE clause nests parentheses and NOT more than {MAX_NESTING} levels deep"
                ),
            ));
        }
        self.depth += 1;
        Ok(())
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

/// `terms` joined by `join`, or the only term alone.
fn joined(mut terms: Vec<Condition>, join: fn(Vec<Condition>) -> Condition) -> Condition {
    if terms.len() == 1
        && let Some(only) = terms.pop()
    {
        return only;
    }
    join(terms)
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

    fn nesting_error(query: &str) -> Option<(&'static str, usize, String)> {
        parse(query).err().map(|e| (e.code, e.column, e.message))
    }

    #[test]
    fn nesting_past_the_limit_is_a_malformed_query_not_a_stack_overflow() {
        let prefix = "SELECT Id FROM Lead WHERE ";
        let deepest = format!("{prefix}{}", "(".repeat(10_000));
        let message = format!(
            "the WHERE clause nests parentheses and NOT more than {MAX_NESTING} levels deep"
        );
        let column = prefix.len() + MAX_NESTING + 1;
        assert_eq!(
            nesting_error(&deepest),
            Some(("MALFORMED_QUERY", column, message.clone()))
        );
        let nots = format!("{prefix}{}Email = 'x'", "NOT ".repeat(10_000));
        let column = prefix.len() + 4 * MAX_NESTING + 1;
        assert_eq!(
            nesting_error(&nots),
            Some(("MALFORMED_QUERY", column, message))
        );
    }

    #[test]
    fn nesting_up_to_the_limit_parses() {
        let levels = MAX_NESTING / 2;
        let query = format!(
            "SELECT Id FROM Lead WHERE {}Email = 'x'{}",
            "NOT (".repeat(levels),
            ")".repeat(levels)
        );
        assert!(parse(&query).is_ok(), "{:?}", parse(&query).err());
    }

    #[test]
    fn a_long_chain_of_and_and_or_is_flat() {
        let chain = " AND Email = 'x' OR Email = 'y'".repeat(20_000);
        let query = parse(&format!("SELECT Id FROM Lead WHERE Email = 'x'{chain}"));
        let Ok(Query {
            filter: Some(Condition::Or(terms)),
            ..
        }) = query
        else {
            panic!("an OR of ANDs: {query:?}");
        };
        assert_eq!(terms.len(), 20_001);
        assert!(matches!(&terms[0], Condition::And(pair) if pair.len() == 2));
    }
}
