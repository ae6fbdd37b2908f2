//! The one place jailnet spawns processes.
//!
//! Everything above this crate describes a process as an [`Invocation`] (an optional jail to
//! run it in, a program, its argv and its stdin) and gets an [`Output`] back (exit status,
//! stdout, stderr). Nothing here knows about networking:
//!
//! - [`SystemHost`] really runs the program, never through a shell. A jail is entered with
//!   `jexec` ([`JailEntry::Jexec`], FreeBSD) or by `setns(2)` into `/run/netns/NAME`
//!   ([`JailEntry::Netns`], Linux).
//! - [`RecordingHost`] wraps any host and keeps a transcript of what was run.
//! - [`FaultyHost`] wraps any host and fails the Nth call, for rollback tests.
//!
//! Simulators implement [`Host`] themselves (see `jailnet-freebsd-sim`).

mod fault;
mod record;
mod system;

pub use fault::FaultyHost;
pub use record::RecordingHost;
pub use system::{JailEntry, SystemHost};

use serde::{Deserialize, Serialize};
use std::fmt;

/// One process to run: `program args…`, optionally inside a jail, with optional stdin.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invocation {
    /// Run inside this jail (FreeBSD: `jexec JAIL …`; Linux: inside netns JAIL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jail: Option<String>,
    pub program: String,
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
}

/// What a finished process left behind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Why an invocation could not produce an [`Output`] at all.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot enter jail {jail}: {source}")]
    Enter {
        jail: String,
        #[source]
        source: std::io::Error,
    },
    #[error("injected fault at call {call}: {invocation}")]
    Injected { call: usize, invocation: String },
}

/// Something that runs invocations: the real system, a simulator, or a wrapper of either.
pub trait Host {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError>;
}

impl<H: Host + ?Sized> Host for &mut H {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
        (**self).run(inv)
    }
}

impl<H: Host + ?Sized> Host for Box<H> {
    fn run(&mut self, inv: &Invocation) -> Result<Output, HostError> {
        (**self).run(inv)
    }
}

impl Invocation {
    /// `program args…` on the host itself.
    pub fn new<I, S>(program: &str, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Invocation {
            jail: None,
            program: program.to_string(),
            args: args.into_iter().map(Into::into).collect(),
            stdin: None,
        }
    }

    /// The same invocation, run inside `jail`.
    pub fn in_jail(mut self, jail: &str) -> Self {
        self.jail = Some(jail.to_string());
        self
    }

    /// The same invocation, fed `stdin`.
    pub fn with_stdin(mut self, stdin: impl Into<String>) -> Self {
        self.stdin = Some(stdin.into());
        self
    }

    /// The full argv as FreeBSD would run it (`jexec JAIL program args…` inside a jail).
    pub fn argv(&self) -> Vec<String> {
        let mut v = Vec::with_capacity(self.args.len() + 3);
        if let Some(j) = &self.jail {
            v.push("jexec".to_string());
            v.push(j.clone());
        }
        v.push(self.program.clone());
        v.extend(self.args.iter().cloned());
        v
    }
}

impl Output {
    pub fn ok(stdout: impl Into<String>) -> Self {
        Output {
            status: 0,
            stdout: stdout.into(),
            stderr: String::new(),
        }
    }

    pub fn fail(status: i32, stderr: impl Into<String>) -> Self {
        Output {
            status,
            stdout: String::new(),
            stderr: stderr.into(),
        }
    }

    pub fn success(&self) -> bool {
        self.status == 0
    }
}

impl fmt::Display for Invocation {
    /// Shell-like rendering for transcripts and `plan --commands`: words that need it are
    /// single-quoted. Only for people to read; nothing ever passes this to a shell.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<String> = self.argv().iter().map(|w| quote(w)).collect();
        write!(f, "{}", words.join(" "))?;
        if let Some(stdin) = &self.stdin {
            write!(f, " <<EOF\n{}", stdin)?;
            if !stdin.ends_with('\n') {
                writeln!(f)?;
            }
            write!(f, "EOF")?;
        }
        Ok(())
    }
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+|[]".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_prefixes_jexec_inside_a_jail() {
        let inv = Invocation::new("ifconfig", ["epair0b", "up"]).in_jail("www");
        assert_eq!(inv.argv(), ["jexec", "www", "ifconfig", "epair0b", "up"]);
    }

    #[test]
    fn display_quotes_words_a_shell_would_split() {
        let inv = Invocation::new("ifconfig", ["e0a", "description", "jailnet www vnet0"]);
        assert_eq!(
            inv.to_string(),
            "ifconfig e0a description 'jailnet www vnet0'"
        );
        let inv = Invocation::new("pfctl", ["-a", "jailnet/nat", "-f", "-"]).with_stdin("pass\n");
        assert_eq!(
            inv.to_string(),
            "pfctl -a jailnet/nat -f - <<EOF\npass\nEOF"
        );
    }
}
