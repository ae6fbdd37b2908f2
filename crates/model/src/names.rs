//! Validated names: kernel interface names (`IfName`) and jail names (`JailName`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest interface name the kernel accepts: `IFNAMSIZ` (16) minus the NUL.
pub const IFNAME_MAX: usize = 15;

/// A kernel interface name: 1–15 ASCII characters from `[A-Za-z0-9_.-]`, not starting with
/// a dash, not `.`/`..`. Valid on FreeBSD and Linux alike.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IfName(String);

/// A jail name jail(8) accepts and jailnet can use as a namespace and file name: 1–63
/// characters from `[A-Za-z0-9_-]`, starting with a letter or digit, not all digits (an
/// all-digit name is taken as a JID).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct JailName(String);

/// Why a name was rejected; the message reads well after "invalid interface name 'x': ".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("it is empty")]
    Empty,
    #[error("it is {len} characters long; the limit is {max}")]
    TooLong { len: usize, max: usize },
    #[error("character {ch:?} is not allowed (use letters, digits{extra})")]
    BadChar { ch: char, extra: &'static str },
    #[error("it may not start with {0:?}")]
    BadStart(char),
    #[error("an all-digit name is taken as a jail ID (JID) by jail(8)")]
    AllDigits,
    #[error("'.' and '..' are reserved")]
    Dots,
}

impl IfName {
    pub fn new(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let len = s.chars().count();
        if len > IFNAME_MAX {
            return Err(NameError::TooLong {
                len,
                max: IFNAME_MAX,
            });
        }
        if let Some(ch) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        {
            return Err(NameError::BadChar {
                ch,
                extra: ", '_', '.' and '-'",
            });
        }
        if s.starts_with('-') {
            return Err(NameError::BadStart('-'));
        }
        if s == "." || s == ".." {
            return Err(NameError::Dots);
        }
        Ok(IfName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest jail name jailnet accepts (it also names a netns and state files).
pub const JAILNAME_MAX: usize = 63;

impl JailName {
    pub fn new(s: &str) -> Result<Self, NameError> {
        if s.is_empty() {
            return Err(NameError::Empty);
        }
        let len = s.chars().count();
        if len > JAILNAME_MAX {
            return Err(NameError::TooLong {
                len,
                max: JAILNAME_MAX,
            });
        }
        if let Some(ch) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
        {
            let extra = if ch == '.' {
                ", '_' and '-'; jail(8) reads '.' as a parent.child hierarchy"
            } else {
                ", '_' and '-'"
            };
            return Err(NameError::BadChar { ch, extra });
        }
        if let Some(c) = s.chars().next().filter(|c| !c.is_ascii_alphanumeric()) {
            return Err(NameError::BadStart(c));
        }
        if s.chars().all(|c| c.is_ascii_digit()) {
            return Err(NameError::AllDigits);
        }
        Ok(JailName(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Longest name jailnet accepts for objects that are only labels (switches with an
/// explicit `ifname`): they still end up in descriptions, pf anchors and state files.
pub const LABEL_MAX: usize = 63;

/// Checks a label: 1–[`LABEL_MAX`] characters from `[A-Za-z0-9_.-]`, not starting with a
/// dash. No whitespace, control characters or non-ASCII, so it prints and parses back
/// unchanged in `ifconfig` descriptions and `pfctl` anchor names.
pub fn check_label(s: &str) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    let len = s.chars().count();
    if len > LABEL_MAX {
        return Err(NameError::TooLong {
            len,
            max: LABEL_MAX,
        });
    }
    if let Some(ch) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(NameError::BadChar {
            ch,
            extra: ", '_', '.' and '-'",
        });
    }
    if s.starts_with('-') {
        return Err(NameError::BadStart('-'));
    }
    Ok(())
}

macro_rules! string_newtype {
    ($t:ident) => {
        impl TryFrom<String> for $t {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                $t::new(&s)
            }
        }
        impl From<$t> for String {
            fn from(n: $t) -> String {
                n.0
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
string_newtype!(IfName);
string_newtype!(JailName);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifname_limits() {
        assert!(IfName::new("vm-services").is_ok());
        assert!(IfName::new("em0.101").is_ok());
        assert!(IfName::new("abcdefghijklmno").is_ok());
        assert_eq!(
            IfName::new("abcdefghijklmnop"),
            Err(NameError::TooLong { len: 16, max: 15 })
        );
        assert!(matches!(
            IfName::new("a b"),
            Err(NameError::BadChar { ch: ' ', .. })
        ));
        assert!(matches!(IfName::new("ä"), Err(NameError::BadChar { .. })));
        assert_eq!(IfName::new("-x"), Err(NameError::BadStart('-')));
        assert_eq!(IfName::new(".."), Err(NameError::Dots));
        assert_eq!(IfName::new(""), Err(NameError::Empty));
    }

    #[test]
    fn jailname_rules() {
        assert!(JailName::new("www").is_ok());
        assert!(JailName::new("web-1_a").is_ok());
        assert_eq!(JailName::new("42"), Err(NameError::AllDigits));
        assert!(matches!(
            JailName::new("a.b"),
            Err(NameError::BadChar { ch: '.', .. })
        ));
        assert_eq!(JailName::new("_x"), Err(NameError::BadStart('_')));
        assert!(matches!(
            JailName::new("a\nb"),
            Err(NameError::BadChar { ch: '\n', .. })
        ));
        assert!(JailName::new(&"a".repeat(64)).is_err());
    }
}
