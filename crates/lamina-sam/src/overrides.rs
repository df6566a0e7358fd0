//! `--parameter-overrides` in SAM CLI's syntax: `Key=Value Key2=Value2`, or CloudFormation's
//! `ParameterKey=Key,ParameterValue=Value`, the two mixed freely; values may be quoted
//! (`Key="a b"`, `Key='a b'`) and a backslash escapes the next character.

use std::collections::BTreeMap;

/// Why an overrides string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OverrideError {
    /// A token is neither `Key=Value` nor `ParameterKey=K,ParameterValue=V`.
    #[error(
        "invalid parameter override '{0}': expected Key=Value or ParameterKey=Key,ParameterValue=Value"
    )]
    Invalid(String),
    /// A quote was opened and never closed.
    #[error("unterminated quote in parameter overrides")]
    UnterminatedQuote,
}

/// Parses one or more override strings into name → value (a later value for the same name
/// wins). Several strings are read as if joined by spaces, so `--parameter-overrides A=1 B=2`
/// given as separate shell words works too.
pub fn parse_parameter_overrides<S: AsRef<str>>(
    inputs: &[S],
) -> Result<BTreeMap<String, String>, OverrideError> {
    let mut out = BTreeMap::new();
    for input in inputs {
        for token in tokens(input.as_ref())? {
            let (key, value) = split_token(&token)?;
            out.insert(key, value);
        }
    }
    Ok(out)
}

/// One token: the raw text (quotes kept, so `ParameterValue="a,b"` can still be split) and
/// its unquoted form.
struct Token {
    raw: String,
}

fn tokens(input: &str) -> Result<Vec<Token>, OverrideError> {
    let mut out = Vec::new();
    let mut raw = String::new();
    let mut quote: Option<char> = None;
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                raw.push('\\');
                if let Some(next) = chars.next() {
                    raw.push(next);
                }
            }
            (None, '"' | '\'') => {
                quote = Some(c);
                raw.push(c);
            }
            (Some(q), _) if c == q => {
                quote = None;
                raw.push(c);
            }
            (None, c) if c.is_whitespace() => {
                if !raw.is_empty() {
                    out.push(Token {
                        raw: std::mem::take(&mut raw),
                    });
                }
            }
            _ => raw.push(c),
        }
    }
    if quote.is_some() {
        return Err(OverrideError::UnterminatedQuote);
    }
    if !raw.is_empty() {
        out.push(Token { raw });
    }
    Ok(out)
}

/// Removes quotes and backslash escapes.
fn unquote(text: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (_, '\\') => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            _ => out.push(c),
        }
    }
    out
}

fn split_token(token: &Token) -> Result<(String, String), OverrideError> {
    let invalid = || OverrideError::Invalid(token.raw.clone());
    if let Some(rest) = token.raw.strip_prefix("ParameterKey=") {
        let (key, value) = rest.split_once(",ParameterValue=").ok_or_else(invalid)?;
        let key = unquote(key);
        if key.is_empty() {
            return Err(invalid());
        }
        return Ok((key, unquote(value)));
    }
    let (key, value) = token.raw.split_once('=').ok_or_else(invalid)?;
    let key = unquote(key);
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(invalid());
    }
    Ok((key, unquote(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_syntaxes_and_quotes() {
        let got = parse_parameter_overrides(&[
            "Stage=prod ParameterKey=Memory,ParameterValue=512 Name=\"hello world\" Empty=",
            "Csv='a,b'",
        ])
        .unwrap();
        assert_eq!(got["Stage"], "prod");
        assert_eq!(got["Memory"], "512");
        assert_eq!(got["Name"], "hello world");
        assert_eq!(got["Empty"], "");
        assert_eq!(got["Csv"], "a,b");
    }

    #[test]
    fn rejects_tokens_without_equals_and_open_quotes() {
        assert!(matches!(
            parse_parameter_overrides(&["Stage"]),
            Err(OverrideError::Invalid(t)) if t == "Stage"
        ));
        assert_eq!(
            parse_parameter_overrides(&["A=\"open"]),
            Err(OverrideError::UnterminatedQuote)
        );
    }
}
