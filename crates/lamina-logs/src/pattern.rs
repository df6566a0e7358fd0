//! CloudWatch Logs filter patterns: terms (`ERROR`), quoted phrases (`"request failed"`),
//! alternatives (`?ERROR ?WARN`), exclusions (`-DEBUG`) and JSON patterns
//! (`{ $.level = "ERROR" && $.latency > 100 }`). Terms match case-sensitively anywhere in the
//! message, as CloudWatch's do; a JSON pattern matches only messages that are JSON.

use serde_json::Value;

/// A parsed filter pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum Pattern {
    /// The empty pattern: every event.
    All,
    /// Terms and phrases.
    Terms {
        /// Every one must appear.
        all: Vec<String>,
        /// At least one must appear (when any are given).
        any: Vec<String>,
        /// None may appear.
        none: Vec<String>,
    },
    /// `{ … }` over the message parsed as JSON.
    Json(Expr),
}

/// A JSON pattern's expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
    /// `$.path op value`.
    Compare(Vec<Step>, Op, Literal),
    /// `$.path EXISTS` / `$.path NOT EXISTS`.
    Exists(Vec<Step>, bool),
}

/// One step of a `$.a.b[0]` selector.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `.name`
    Key(String),
    /// `[n]`
    Index(usize),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// The right-hand side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string, possibly with `*` wildcards.
    Str(String),
    /// A number.
    Num(f64),
    /// `NULL`
    Null,
    /// `TRUE` / `FALSE`
    Bool(bool),
}

/// Why a pattern could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError(pub String);

impl std::fmt::Display for PatternError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Pattern {
    /// Parses `text`.
    pub fn parse(text: &str) -> Result<Pattern, PatternError> {
        let t = text.trim();
        if t.is_empty() || t == "\"\"" {
            return Ok(Pattern::All);
        }
        if t.starts_with('{') {
            let inner = t
                .strip_prefix('{')
                .and_then(|s| s.strip_suffix('}'))
                .ok_or_else(|| PatternError("Invalid filter pattern: unbalanced braces".into()))?;
            let tokens = lex(inner)?;
            let mut p = Parser { tokens, at: 0 };
            let e = p.or()?;
            if p.at != p.tokens.len() {
                return Err(PatternError(
                    "Invalid filter pattern: unexpected text after the expression".into(),
                ));
            }
            return Ok(Pattern::Json(e));
        }
        if t.starts_with('[') {
            return Err(PatternError(
                "Invalid filter pattern: space-delimited patterns are not supported by Lamina"
                    .into(),
            ));
        }
        let (mut all, mut any, mut none) = (Vec::new(), Vec::new(), Vec::new());
        let mut chars = t.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let Some(&c) = chars.peek() else { break };
            let kind = match c {
                '?' => {
                    chars.next();
                    1
                }
                '-' => {
                    chars.next();
                    2
                }
                _ => 0,
            };
            let mut word = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                word.push(n);
                            }
                        }
                        '"' => {
                            closed = true;
                            break;
                        }
                        c => word.push(c),
                    }
                }
                if !closed {
                    return Err(PatternError(
                        "Invalid filter pattern: unterminated quoted phrase".into(),
                    ));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
            }
            if word.is_empty() {
                continue;
            }
            match kind {
                1 => any.push(word),
                2 => none.push(word),
                _ => all.push(word),
            }
        }
        Ok(Pattern::Terms { all, any, none })
    }

    /// Whether `message` matches.
    pub fn matches(&self, message: &str) -> bool {
        match self {
            Pattern::All => true,
            Pattern::Terms { all, any, none } => {
                all.iter().all(|w| message.contains(w.as_str()))
                    && (any.is_empty() || any.iter().any(|w| message.contains(w.as_str())))
                    && !none.iter().any(|w| message.contains(w.as_str()))
            }
            Pattern::Json(e) => {
                let trimmed = message.trim_start();
                if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
                    return false;
                }
                match serde_json::from_str::<Value>(trimmed) {
                    Ok(v) => eval(e, &v),
                    Err(_) => false,
                }
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Sel(Vec<Step>),
    Op(Op),
    And,
    Or,
    Open,
    Close,
    Str(String),
    Word(String),
}

fn lex(s: &str) -> Result<Vec<Tok>, PatternError> {
    let err = |m: &str| PatternError(format!("Invalid filter pattern: {m}"));
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let two: String = cs[i..cs.len().min(i + 2)].iter().collect();
        match (c, two.as_str()) {
            (_, "&&") => {
                out.push(Tok::And);
                i += 2;
            }
            (_, "||") => {
                out.push(Tok::Or);
                i += 2;
            }
            (_, "!=") => {
                out.push(Tok::Op(Op::Ne));
                i += 2;
            }
            (_, "<=") => {
                out.push(Tok::Op(Op::Le));
                i += 2;
            }
            (_, ">=") => {
                out.push(Tok::Op(Op::Ge));
                i += 2;
            }
            ('=', _) => {
                out.push(Tok::Op(Op::Eq));
                i += if two == "==" { 2 } else { 1 };
            }
            ('<', _) => {
                out.push(Tok::Op(Op::Lt));
                i += 1;
            }
            ('>', _) => {
                out.push(Tok::Op(Op::Gt));
                i += 1;
            }
            ('(', _) => {
                out.push(Tok::Open);
                i += 1;
            }
            (')', _) => {
                out.push(Tok::Close);
                i += 1;
            }
            ('"', _) => {
                i += 1;
                let mut v = String::new();
                let mut closed = false;
                while i < cs.len() {
                    match cs[i] {
                        '\\' if i + 1 < cs.len() => {
                            v.push(cs[i + 1]);
                            i += 2;
                        }
                        '"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        ch => {
                            v.push(ch);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(err("unterminated string"));
                }
                out.push(Tok::Str(v));
            }
            ('$', _) => {
                i += 1;
                let mut steps = Vec::new();
                while i < cs.len() {
                    match cs[i] {
                        '.' => {
                            i += 1;
                            let mut k = String::new();
                            while i < cs.len()
                                && (cs[i].is_alphanumeric() || cs[i] == '_' || cs[i] == '-')
                            {
                                k.push(cs[i]);
                                i += 1;
                            }
                            if k.is_empty() {
                                return Err(err("empty selector step"));
                            }
                            steps.push(Step::Key(k));
                        }
                        '[' => {
                            i += 1;
                            let mut n = String::new();
                            while i < cs.len() && cs[i] != ']' {
                                n.push(cs[i]);
                                i += 1;
                            }
                            i += 1;
                            let idx = n.trim().parse().map_err(|_| err("bad array index"))?;
                            steps.push(Step::Index(idx));
                        }
                        _ => break,
                    }
                }
                if steps.is_empty() {
                    return Err(err("a selector needs a path such as $.level"));
                }
                out.push(Tok::Sel(steps));
            }
            _ => {
                let mut w = String::new();
                while i < cs.len()
                    && !cs[i].is_whitespace()
                    && !matches!(cs[i], '(' | ')' | '=' | '!' | '<' | '>' | '&' | '|')
                {
                    w.push(cs[i]);
                    i += 1;
                }
                if w.is_empty() {
                    return Err(err(&format!("unexpected character {c:?}")));
                }
                out.push(Tok::Word(w));
            }
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<Tok>,
    at: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.at)
    }

    fn or(&mut self) -> Result<Expr, PatternError> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.at += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, PatternError> {
        let mut e = self.primary()?;
        while self.peek() == Some(&Tok::And) {
            self.at += 1;
            e = Expr::And(Box::new(e), Box::new(self.primary()?));
        }
        Ok(e)
    }

    fn primary(&mut self) -> Result<Expr, PatternError> {
        let err = |m: &str| PatternError(format!("Invalid filter pattern: {m}"));
        match self.next() {
            Some(Tok::Open) => {
                let e = self.or()?;
                if self.next() != Some(Tok::Close) {
                    return Err(err("missing )"));
                }
                Ok(e)
            }
            Some(Tok::Sel(path)) => match self.next() {
                Some(Tok::Op(op)) => {
                    let lit = match self.next() {
                        Some(Tok::Str(s)) => Literal::Str(s),
                        Some(Tok::Word(w)) => match w.as_str() {
                            "NULL" | "null" => Literal::Null,
                            "TRUE" | "true" => Literal::Bool(true),
                            "FALSE" | "false" => Literal::Bool(false),
                            _ => match w.parse::<f64>() {
                                Ok(n) => Literal::Num(n),
                                Err(_) => Literal::Str(w),
                            },
                        },
                        _ => return Err(err("a comparison needs a value")),
                    };
                    if matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge)
                        && !matches!(lit, Literal::Num(_))
                    {
                        return Err(err("<, <=, > and >= compare numbers only"));
                    }
                    Ok(Expr::Compare(path, op, lit))
                }
                Some(Tok::Word(w)) if w == "IS" => match self.next() {
                    Some(Tok::Word(v)) => Ok(Expr::Compare(
                        path,
                        Op::Eq,
                        match v.as_str() {
                            "NULL" => Literal::Null,
                            "TRUE" => Literal::Bool(true),
                            "FALSE" => Literal::Bool(false),
                            _ => return Err(err("IS takes NULL, TRUE or FALSE")),
                        },
                    )),
                    _ => Err(err("IS takes NULL, TRUE or FALSE")),
                },
                Some(Tok::Word(w)) if w == "EXISTS" => Ok(Expr::Exists(path, true)),
                Some(Tok::Word(w)) if w == "NOT" => match self.next() {
                    Some(Tok::Word(x)) if x == "EXISTS" => Ok(Expr::Exists(path, false)),
                    _ => Err(err("expected EXISTS after NOT")),
                },
                _ => Err(err("a selector needs a comparison")),
            },
            _ => Err(err("expected a selector such as $.level")),
        }
    }
}

fn select<'a>(v: &'a Value, path: &[Step]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, s| match s {
        Step::Key(k) => v.get(k.as_str()),
        Step::Index(i) => v.get(*i),
    })
}

fn eval(e: &Expr, v: &Value) -> bool {
    match e {
        Expr::And(a, b) => eval(a, v) && eval(b, v),
        Expr::Or(a, b) => eval(a, v) || eval(b, v),
        Expr::Exists(path, want) => select(v, path).is_some() == *want,
        Expr::Compare(path, op, lit) => {
            let Some(found) = select(v, path) else {
                return false;
            };
            let equal = match (lit, found) {
                (Literal::Null, Value::Null) => true,
                (Literal::Bool(b), Value::Bool(x)) => b == x,
                (Literal::Num(n), Value::Number(x)) => x.as_f64() == Some(*n),
                (Literal::Str(s), Value::String(x)) => wildcard(s, x),
                (Literal::Str(s), Value::Number(x)) => wildcard(s, &x.to_string()),
                (Literal::Num(n), Value::String(x)) => x.parse::<f64>().ok() == Some(*n),
                _ => false,
            };
            match op {
                Op::Eq => equal,
                Op::Ne => !equal,
                Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                    let (Literal::Num(n), Some(x)) = (lit, found.as_f64()) else {
                        return false;
                    };
                    match op {
                        Op::Lt => x < *n,
                        Op::Le => x <= *n,
                        Op::Gt => x > *n,
                        _ => x >= *n,
                    }
                }
            }
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn wildcard(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else if let Some(pos) = rest.find(part) {
            rest = &rest[pos + part.len()..];
        } else {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        Pattern::parse(p).unwrap().matches(s)
    }

    #[test]
    fn terms_phrases_alternatives_exclusions() {
        assert!(m("", "anything"));
        assert!(m("ERROR", "an ERROR here"));
        assert!(!m("ERROR", "an error here"));
        assert!(m("ERROR timeout", "timeout ERROR"));
        assert!(!m("ERROR timeout", "ERROR only"));
        assert!(m("\"request failed\"", "the request failed now"));
        assert!(!m("\"request failed\"", "failed request"));
        assert!(m("?ERROR ?WARN", "WARN x"));
        assert!(!m("?ERROR ?WARN", "INFO x"));
        assert!(m("ERROR -retry", "ERROR final"));
        assert!(!m("ERROR -retry", "ERROR will retry"));
    }

    #[test]
    fn json_patterns() {
        let line =
            r#"{"level":"ERROR","latency":120,"user":{"id":"u-17"},"tags":["a","b"],"ok":false}"#;
        assert!(m(r#"{ $.level = "ERROR" }"#, line));
        assert!(!m(r#"{ $.level = "INFO" }"#, line));
        assert!(m(r#"{ $.level != "INFO" }"#, line));
        assert!(m("{ $.latency > 100 && $.user.id = u-* }", line));
        assert!(!m("{ $.latency > 200 }", line));
        assert!(m(r#"{ ($.latency < 5) || $.tags[1] = "b" }"#, line));
        assert!(m("{ $.ok IS FALSE }", line));
        assert!(m("{ $.missing NOT EXISTS }", line));
        assert!(!m(r#"{ $.level = "ERROR" }"#, "ERROR plain text"));
        assert!(Pattern::parse("{ $.level = }").is_err());
        assert!(Pattern::parse("{ $.level > \"x\" }").is_err());
        assert!(Pattern::parse("[ip, user]").is_err());
    }
}
