//! Diagnostics: a problem at a byte span of the config, rendered as `FILE:LINE:COL: error: …`.

use serde::Serialize;
use std::fmt::Write as _;
use std::ops::Range;

/// One problem found in a config, with the span of the offending text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// A diagnostic with its location resolved against a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Every problem found, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostic {
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Sorted by position, duplicates removed.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| (a.span.start, &a.message).cmp(&(b.span.start, &b.message)));
        self.0.dedup();
        self
    }

    /// Resolve spans to 1-based line and column (in characters) of `text`.
    pub fn locate(&self, file: &str, text: &str) -> Vec<Located> {
        self.0
            .iter()
            .map(|d| {
                let (line, column) = line_col(text, d.span.start);
                Located {
                    file: file.to_string(),
                    line,
                    column,
                    message: d.message.clone(),
                    hint: d.hint.clone(),
                }
            })
            .collect()
    }

    /// `FILE:LINE:COL: error: MESSAGE` lines, each followed by `  hint: …` when there is one.
    pub fn render(&self, file: &str, text: &str) -> String {
        let mut out = String::new();
        for l in self.locate(file, text) {
            out.push_str(&l.to_string());
        }
        out
    }
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}:{}:{}: error: {}",
            self.file,
            self.line,
            self.column,
            Printable(&self.message)
        )?;
        if let Some(h) = &self.hint {
            writeln!(f, "  hint: {}", Printable(h))?;
        }
        Ok(())
    }
}

/// Text with control characters and bidirectional-override marks escaped (`\n`,
/// `\u{202e}`), so a value quoted in a message cannot break the one-line-per-problem
/// format or reorder what the terminal shows.
struct Printable<'a>(&'a str);

impl std::fmt::Display for Printable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `text`.
pub fn line_col(text: &str, at: usize) -> (usize, usize) {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..at].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        assert_eq!(line_col(t, 9), (2, 3)); // after the 2-byte 'é'
        assert_eq!(line_col(t, 999), (3, 1));
    }

    #[test]
    fn render_sorts_and_adds_hints() {
        let t = "x = 1\ny = 2\n";
        let mut d = Diagnostics::default();
        d.push(Diagnostic::new(6..7, "second"));
        d.push(Diagnostic::new(0..1, "first").hint("fix it"));
        let s = d.sorted().render("f.toml", t);
        assert_eq!(
            s,
            "f.toml:1:1: error: first\n  hint: fix it\nf.toml:2:1: error: second\n"
        );
    }
}
