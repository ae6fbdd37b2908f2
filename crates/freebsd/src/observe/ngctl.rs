//! `ngctl list` and `ngctl msg NODE: getifname` output.

use crate::error::Error;

/// One node line of `ngctl list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NgNode {
    /// `None` for `<unnamed>`.
    pub name: Option<String>,
    pub kind: String,
    pub id: u32,
    pub hooks: u32,
}

/// `  Name: NAME   Type: TYPE   ID: 0000001e   Num hooks: 1` lines.
pub fn parse_list(text: &str) -> Result<Vec<NgNode>, Error> {
    let mut out = Vec::new();
    for line in text.lines().filter(|l| l.trim_start().starts_with("Name:")) {
        let w: Vec<&str> = line.split_whitespace().collect();
        let bad = || Error::parse("ngctl list line", line.to_string());
        let [_, name, _, kind, _, id, _, _, hooks] = w.as_slice() else {
            return Err(bad());
        };
        out.push(NgNode {
            name: (*name != "<unnamed>").then(|| name.to_string()),
            kind: kind.to_string(),
            id: u32::from_str_radix(id, 16).map_err(|_| bad())?,
            hooks: hooks.parse().map_err(|_| bad())?,
        });
    }
    Ok(out)
}

/// The interface name in a `getifname` response (`Args:\t"ngeth0"`).
pub fn parse_ifname(text: &str) -> Result<String, Error> {
    text.lines()
        .find_map(|l| l.trim().strip_prefix("Args:"))
        .map(|a| a.trim().trim_matches('"').to_string())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::parse("ngctl getifname response", text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_from_the_seed_002_session() {
        let text = "There are 6 total nodes:\n  Name: ng_host         Type: eiface          ID: 00000007   Num hooks: 1\n  Name: <unnamed>       Type: bridge          ID: 0000001e   Num hooks: 1\n";
        let n = parse_list(text).unwrap();
        assert_eq!(n[0].name.as_deref(), Some("ng_host"));
        assert_eq!(
            (n[1].name.clone(), n[1].id, n[1].kind.as_str()),
            (None, 0x1e, "bridge")
        );
        let r = "Rec'd response \"getifname\" (1) from \"[7]:\":\nArgs:\t\"ngeth0\"\n";
        assert_eq!(parse_ifname(r).unwrap(), "ngeth0");
        assert!(parse_ifname("nothing").is_err());
    }
}
