//! `jls -n name vnet ip4 ip4.addr ip6 ip6.addr allow.raw_sockets` ⇄ typed [`JailInfo`].
//!
//! `-n` prints `param=value` pairs (values with spaces double-quoted) and booleans as
//! `param` / `noparam`, one jail per line, so the parser needs no column positions.

use crate::error::Error;
use std::collections::BTreeMap;

/// The parameters [`ARGS`] asks for.
pub const PARAMS: &[&str] = &[
    "name",
    "vnet",
    "ip4",
    "ip4.addr",
    "ip6",
    "ip6.addr",
    "allow.raw_sockets",
];

/// The `jls` argv (after the program name).
pub fn args() -> Vec<String> {
    std::iter::once("-n".to_string())
        .chain(PARAMS.iter().map(|p| p.to_string()))
        .collect()
}

/// One running jail as jls reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JailInfo {
    pub name: String,
    /// `vnet=new`: the jail has its own network stack.
    pub vnet: bool,
    /// `ip4` / `ip6`: `inherit`, `new` or `disable`.
    pub ip4: String,
    pub ip6: String,
    pub ip4_addr: Vec<String>,
    pub ip6_addr: Vec<String>,
    pub allow_raw_sockets: bool,
}

impl JailInfo {
    /// The line `jls -n` with [`PARAMS`] prints for this jail.
    pub fn emit(&self) -> String {
        let q = |v: String| {
            if v.is_empty() || v.contains(' ') {
                format!("\"{v}\"")
            } else {
                v
            }
        };
        format!(
            "name={} vnet={} ip4={} ip4.addr={} ip6={} ip6.addr={} {}allow.raw_sockets\n",
            q(self.name.clone()),
            if self.vnet { "new" } else { "inherit" },
            q(self.ip4.clone()),
            q(self.ip4_addr.join(",")),
            q(self.ip6.clone()),
            q(self.ip6_addr.join(",")),
            if self.allow_raw_sockets { "" } else { "no" }
        )
    }
}

/// Parses `jls -n …` output, one jail per non-empty line.
pub fn parse(text: &str) -> Result<Vec<JailInfo>, Error> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

fn parse_line(line: &str) -> Result<JailInfo, Error> {
    let kv = pairs(line);
    let get = |k: &str| kv.get(k).cloned().unwrap_or_default();
    let list = |k: &str| -> Vec<String> {
        get(k)
            .split(',')
            .filter(|a| !a.is_empty() && *a != "-")
            .map(str::to_string)
            .collect()
    };
    let name = get("name");
    if name.is_empty() {
        return Err(Error::parse("jls line", line.to_string()));
    }
    Ok(JailInfo {
        name,
        vnet: get("vnet") == "new",
        ip4: get("ip4"),
        ip6: get("ip6"),
        ip4_addr: list("ip4.addr"),
        ip6_addr: list("ip6.addr"),
        allow_raw_sockets: kv
            .get("allow.raw_sockets")
            .is_some_and(|v| v == "true" || v == "1"),
    })
}

/// `k=v`, `k="v w"`, `flag` (→ "true") and `noflag` (→ "false") words.
fn pairs(line: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let end = rest.find([' ', '=']).unwrap_or(rest.len());
        let key = &rest[..end];
        rest = &rest[end..];
        if let Some(v) = rest.strip_prefix('=') {
            let (val, after) = match v.strip_prefix('"') {
                Some(q) => q.split_once('"').unwrap_or((q, "")),
                None => v.split_once(' ').unwrap_or((v, "")),
            };
            out.insert(key.to_string(), val.to_string());
            rest = after.trim_start();
        } else {
            let (k, v) = match key.strip_prefix("no").filter(|k| PARAMS.contains(k)) {
                Some(k) => (k, "false"),
                None => (key, "true"),
            };
            out.insert(k.to_string(), v.to_string());
            rest = rest.trim_start();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vnet_and_shared_ip_jails_round_trip() {
        let text = "name=www vnet=new ip4=inherit ip4.addr=\"\" ip6=inherit ip6.addr=\"\" allow.raw_sockets\n\
                    name=plain vnet=inherit ip4=new ip4.addr=10.1.1.10,10.1.1.11 ip6=disable ip6.addr=\"\" noallow.raw_sockets\n";
        let j = parse(text).unwrap();
        assert!(j[0].vnet && j[0].allow_raw_sockets && j[0].ip4_addr.is_empty());
        assert_eq!(j[1].ip4_addr, ["10.1.1.10", "10.1.1.11"]);
        assert!(!j[1].vnet && !j[1].allow_raw_sockets);
        let again: String = j.iter().map(JailInfo::emit).collect();
        assert_eq!(again, text);
    }

    #[test]
    fn empty_output_is_no_jails_and_nameless_lines_are_errors() {
        assert!(parse("").unwrap().is_empty());
        assert!(parse("vnet=new\n").is_err());
    }
}
