//! The config as a spanned TOML tree, and a reader that records every problem it meets.
//!
//! `parse` turns text into [`Node`]s that keep the byte span of every key and value. A
//! [`TableReader`] then takes keys out of a table one by one; whatever is left when it is
//! finished is reported as an unknown key with a "did you mean" hint. Wrong types are
//! reported and read as absent, so one run finds every problem.

use crate::diag::{Diagnostic, Diagnostics};
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// A TOML value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub value: Value,
}

/// A key with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
}

/// Parse a TOML document. A syntax error is one diagnostic at the error's position.
pub fn parse(text: &str) -> Result<Node, Diagnostic> {
    match DeTable::parse(text) {
        Ok(t) => {
            let span = t.span();
            Ok(Node {
                span,
                value: Value::Table(table(t.get_ref())),
            })
        }
        Err(e) => {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().replace('\n', " ");
            Err(Diagnostic::new(span, format!("TOML syntax: {msg}"))
                .hint("see https://toml.io for the syntax; strings need double quotes"))
        }
    }
}

fn table(t: &DeTable<'_>) -> Vec<(Key, Node)> {
    t.iter()
        .map(|(k, v)| {
            (
                Key {
                    name: k.get_ref().to_string(),
                    span: k.span(),
                },
                node(v.span(), v.get_ref()),
            )
        })
        .collect()
}

fn node(span: Range<usize>, v: &DeValue<'_>) -> Node {
    let value = match v {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Float(f64::INFINITY),
        },
        DeValue::Float(f) => Value::Float(f.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Datetime(d.to_string()),
        DeValue::Array(a) => Value::Array(a.iter().map(|e| node(e.span(), e.get_ref())).collect()),
        DeValue::Table(t) => Value::Table(table(t)),
    };
    Node { span, value }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "a string",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Bool(_) => "a boolean",
            Value::Datetime(_) => "a date",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// Strings with the span each was written at.
pub type SpannedStrings = Vec<(String, Range<usize>)>;

/// Takes keys out of one table, recording problems in a shared [`Diagnostics`].
pub struct TableReader<'a> {
    path: String,
    span: Range<usize>,
    entries: Vec<Option<&'a (Key, Node)>>,
    known: &'static [&'static str],
}

impl<'a> TableReader<'a> {
    /// Read `node` as a table named `path` (for messages) whose allowed keys are `known`.
    /// A node that is not a table is reported and read as empty.
    pub fn new(
        node: &'a Node,
        path: impl Into<String>,
        known: &'static [&'static str],
        d: &mut Diagnostics,
    ) -> Self {
        let path = path.into();
        let entries = match &node.value {
            Value::Table(t) => t.iter().map(Some).collect(),
            other => {
                d.push(Diagnostic::new(
                    node.span.clone(),
                    format!("{path} must be a table, not {}", other.type_name()),
                ));
                Vec::new()
            }
        };
        TableReader {
            path,
            span: node.span.clone(),
            entries,
            known,
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// Take key `name` if present.
    pub fn take(&mut self, name: &str) -> Option<&'a (Key, Node)> {
        debug_assert!(self.known.contains(&name), "{name} not declared as known");
        self.entries
            .iter_mut()
            .find(|e| e.is_some_and(|(k, _)| k.name == name))
            .and_then(Option::take)
    }

    /// Whether key `name` is present and not yet taken.
    pub fn has(&self, name: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.is_some_and(|(k, _)| k.name == name))
    }

    /// Whether a key not taken (so reported as unknown by [`finish`](Self::finish)) looks
    /// like a misspelling of `name`: "did you mean" would suggest `name` for it.
    pub fn misspelled(&self, name: &str) -> bool {
        self.entries.iter().flatten().any(|(k, _)| {
            !self.known.contains(&k.name.as_str())
                && did_you_mean(&k.name, self.known) == Some(name)
        })
    }

    /// Take every remaining entry (for tables whose keys are names, like `[switch.*]`).
    pub fn take_all(&mut self) -> Vec<&'a (Key, Node)> {
        self.entries.iter_mut().filter_map(Option::take).collect()
    }

    pub fn string(&mut self, name: &str, d: &mut Diagnostics) -> Option<(String, Range<usize>)> {
        let (_, n) = self.take(name)?;
        match &n.value {
            Value::Str(s) => Some((s.clone(), n.span.clone())),
            other => {
                d.push(type_error(&self.path, name, "a string", other, &n.span));
                None
            }
        }
    }

    pub fn bool(&mut self, name: &str, d: &mut Diagnostics) -> Option<bool> {
        let (_, n) = self.take(name)?;
        match &n.value {
            Value::Bool(b) => Some(*b),
            other => {
                d.push(
                    type_error(&self.path, name, "true or false", other, &n.span).hint(format!(
                        "write `{name} = true` or `{name} = false`, without quotes"
                    )),
                );
                None
            }
        }
    }

    pub fn int(&mut self, name: &str, d: &mut Diagnostics) -> Option<(i64, Range<usize>)> {
        let (_, n) = self.take(name)?;
        match &n.value {
            Value::Int(i) => Some((*i, n.span.clone())),
            other => {
                d.push(
                    type_error(&self.path, name, "an integer", other, &n.span).hint(format!(
                        "write the number without quotes, e.g. `{name} = {}`",
                        example_int(name)
                    )),
                );
                None
            }
        }
    }

    /// A string or an array of strings, as a list of spanned strings. Non-string elements
    /// are reported and skipped.
    pub fn strings(
        &mut self,
        name: &str,
        d: &mut Diagnostics,
    ) -> Option<(SpannedStrings, Range<usize>)> {
        let (_, n) = self.take(name)?;
        Some((strings_of(&self.path, name, n, d), n.span.clone()))
    }

    /// Report every key not taken, with a "did you mean" hint from the known keys.
    pub fn finish(self, d: &mut Diagnostics) {
        for (k, _) in self.entries.into_iter().flatten() {
            let mut diag = Diagnostic::new(
                k.span.clone(),
                format!("unknown key '{}' in {}", k.name, self.path),
            );
            diag = match did_you_mean(&k.name, self.known) {
                Some(s) => diag.hint(format!("did you mean '{s}'?")),
                None => diag.hint(format!("known keys here: {}", self.known.join(", "))),
            };
            d.push(diag);
        }
    }
}

/// A string, or the strings of an array, from node `n` at `path.name`.
pub fn strings_of(
    path: &str,
    name: &str,
    n: &Node,
    d: &mut Diagnostics,
) -> Vec<(String, Range<usize>)> {
    match &n.value {
        Value::Str(s) => vec![(s.clone(), n.span.clone())],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| match &i.value {
                Value::Str(s) => Some((s.clone(), i.span.clone())),
                other => {
                    d.push(type_error(path, name, "a string", other, &i.span));
                    None
                }
            })
            .collect(),
        other => {
            d.push(
                type_error(path, name, "a list of strings", other, &n.span)
                    .hint(format!("quote each value: {name} = [\"…\", \"…\"]")),
            );
            Vec::new()
        }
    }
}

/// A plausible value for an integer key, for hints.
fn example_int(name: &str) -> &'static str {
    match name {
        "mtu" => "9000",
        "tag" => "101",
        "vni" => "111",
        _ => "1",
    }
}

pub fn type_error(
    path: &str,
    name: &str,
    want: &str,
    got: &Value,
    span: &Range<usize>,
) -> Diagnostic {
    Diagnostic::new(
        span.clone(),
        format!("{path}.{name} must be {want}, not {}", got.type_name()),
    )
}

/// The known word closest to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'k>(word: &str, known: &[&'k str]) -> Option<&'k str> {
    let w = word.to_ascii_lowercase();
    known
        .iter()
        .map(|k| (levenshtein(&w, k), *k))
        .filter(|(dist, k)| {
            *dist <= (k.len().max(w.len()) / 3).max(1)
                || k.starts_with(&w)
                // iocage spellings: ip4_addr → ip4
                || (k.len() >= 3 && w.starts_with(*k) && !w[k.len()..].starts_with(char::is_alphanumeric))
        })
        .min()
        .map(|(_, k)| k)
}

/// Edit distance with adjacent transpositions (optimal string alignment).
fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(w).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let t = "[host]\nuplink = \"em0\"\n";
        let n = parse(t).unwrap();
        let Value::Table(top) = &n.value else {
            panic!()
        };
        let (k, host) = &top[0];
        assert_eq!(k.name, "host");
        let Value::Table(h) = &host.value else {
            panic!()
        };
        assert_eq!(&t[h[0].0.span.clone()], "uplink");
        assert_eq!(&t[h[0].1.span.clone()], "\"em0\"");
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let d = parse("[host]\nuplink = em0\n").unwrap_err();
        assert!(d.message.starts_with("TOML syntax"), "{}", d.message);
        assert!(d.span.start >= 7, "{:?}", d.span);
    }

    #[test]
    fn unknown_keys_get_a_suggestion() {
        let n = parse("uplnk = \"em0\"\nzzz = 1\n").unwrap();
        let mut d = Diagnostics::default();
        let mut r = TableReader::new(&n, "[host]", &["uplink", "name"], &mut d);
        assert!(r.string("uplink", &mut d).is_none());
        r.finish(&mut d);
        assert_eq!(d.0.len(), 2);
        assert_eq!(d.0[0].message, "unknown key 'uplnk' in [host]");
        assert_eq!(d.0[0].hint.as_deref(), Some("did you mean 'uplink'?"));
        assert_eq!(
            d.0[1].hint.as_deref(),
            Some("known keys here: uplink, name")
        );
    }

    #[test]
    fn wrong_types_are_reported_and_read_as_absent() {
        let n = parse("private = \"yes\"\nmtu = \"1500\"\n").unwrap();
        let mut d = Diagnostics::default();
        let mut r = TableReader::new(&n, "[switch.a]", &["private", "mtu"], &mut d);
        assert_eq!(r.bool("private", &mut d), None);
        assert_eq!(r.int("mtu", &mut d), None);
        r.finish(&mut d);
        assert_eq!(d.0.len(), 2);
        assert_eq!(
            d.0[0].message,
            "[switch.a].private must be true or false, not a string"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            did_you_mean("adress", &["address", "uplinks"]),
            Some("address")
        );
        assert_eq!(did_you_mean("ip", &["ip4", "ip6", "mac"]), Some("ip4"));
        assert_eq!(did_you_mean("zzzzzz", &["address"]), None);
        assert_eq!(
            did_you_mean("ip4_addr", &["nic", "ip4", "ip6"]),
            Some("ip4")
        );
        assert_eq!(did_you_mean("nicname", &["nic", "name"]), None);
        assert_eq!(did_you_mean("lna", &["lan", "dmz"]), Some("lan"));
    }
}
