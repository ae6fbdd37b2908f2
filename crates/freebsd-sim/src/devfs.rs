//! devfs rulesets (§8): the stock rulesets 1–5, `devfs rule -s N add|del|delall|show`,
//! `rule showsets`, `applyset`, and whether a ruleset unhides a device (used by pfctl in
//! vnet jails).

use crate::exec::{fail, Caller, R};
use crate::state::SimState;
use jailnet_host::Output;
use std::collections::BTreeMap;

/// The rulesets `/etc/defaults/devfs.rules` defines, numbered 100, 200, …
pub(crate) fn stock_rulesets() -> BTreeMap<u32, BTreeMap<u32, String>> {
    let sets: [(u32, &[&str]); 5] = [
        (1, &["hide"]),
        (
            2,
            &[
                "path null unhide",
                "path zero unhide",
                "path crypto unhide",
                "path random unhide",
                "path urandom unhide",
            ],
        ),
        (
            3,
            &[
                "path ptyp* unhide",
                "path ttyp* unhide",
                "path ptmx unhide",
                "path pts unhide",
                "path pts/* unhide",
                "path fd unhide",
                "path fd/* unhide",
                "path stdin unhide",
                "path stdout unhide",
                "path stderr unhide",
            ],
        ),
        (
            4,
            &[
                "include 1",
                "include 2",
                "include 3",
                "path fuse unhide",
                "path zfs unhide",
            ],
        ),
        (
            5,
            &[
                "include 1",
                "include 2",
                "include 3",
                "include 4",
                "path pf unhide",
            ],
        ),
    ];
    sets.iter()
        .map(|(n, rules)| {
            let r = rules
                .iter()
                .enumerate()
                .map(|(i, t)| ((i as u32 + 1) * 100, t.to_string()))
                .collect();
            (*n, r)
        })
        .collect()
}

/// Symbolic names the stock file uses for its rulesets.
fn named(n: &str) -> Option<u32> {
    Some(match n.trim_start_matches('$') {
        "devfsrules_hide_all" => 1,
        "devfsrules_unhide_basic" => 2,
        "devfsrules_unhide_login" => 3,
        "devfsrules_jail" => 4,
        "devfsrules_jail_vnet" => 5,
        other => other.parse().ok()?,
    })
}

/// Whether device `dev` is visible in a devfs mount governed by ruleset `rs`.
pub(crate) fn unhides(st: &SimState, rs: u32, dev: &str) -> bool {
    let mut visible = true;
    walk(st, rs, dev, &mut visible, 0);
    visible
}

fn walk(st: &SimState, rs: u32, dev: &str, visible: &mut bool, depth: u32) {
    let Some(rules) = st.devfs.get(&rs) else {
        return;
    };
    if depth > 8 {
        return;
    }
    for r in rules.values() {
        let w: Vec<&str> = r.split_whitespace().collect();
        match w.as_slice() {
            ["include", n] => {
                if let Some(n) = named(n) {
                    walk(st, n, dev, visible, depth + 1);
                }
            }
            ["hide"] => *visible = false,
            ["unhide"] => *visible = true,
            ["path", p, rest @ ..] if glob(p, dev) => {
                if rest.contains(&"hide") {
                    *visible = false;
                }
                if rest.contains(&"unhide") {
                    *visible = true;
                }
            }
            _ => {}
        }
    }
}

fn glob(pat: &str, s: &str) -> bool {
    match pat.split_once('*') {
        None => pat == s,
        Some((pre, post)) => {
            s.len() >= pre.len() + post.len() && s.starts_with(pre) && s.ends_with(post)
        }
    }
}

/// Runs `devfs ARGS…`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    match devfs(st, caller, args) {
        Ok(o) | Err(o) => o,
    }
}

const USAGE: &str = "usage: devfs [-m mount-point] keyword [arguments]\n";

fn devfs(st: &mut SimState, caller: &Caller, args: &[String]) -> R<Output> {
    let mut k = 0;
    if args.first().map(String::as_str) == Some("-m") {
        k = 2;
    }
    let Some(kw) = args.get(k) else {
        return Err(Output::fail(1, USAGE));
    };
    if caller.jail.is_some() {
        return Err(fail(
            "devfs rule",
            "ioctl DEVFSIO_RGETNEXT: Operation not permitted",
        ));
    }
    match kw.as_str() {
        "ruleset" => return Ok(Output::ok("")),
        "rule" => {}
        _ => return Err(Output::fail(1, USAGE)),
    }
    let mut set = 0;
    let mut i = k + 1;
    if args.get(i).map(String::as_str) == Some("-s") {
        let n = args.get(i + 1).ok_or_else(|| Output::fail(1, USAGE))?;
        set = named(n).ok_or_else(|| fail("devfs rule", format!("invalid ruleset: {n}")))?;
        i += 2;
    }
    let cmd = args.get(i).map(String::as_str).unwrap_or("");
    let rest: Vec<&str> = args[(i + 1).min(args.len())..]
        .iter()
        .map(String::as_str)
        .collect();
    match cmd {
        "add" => add(st, set, &rest),
        "del" => {
            let n: u32 = rest
                .first()
                .and_then(|r| r.parse().ok())
                .ok_or_else(|| fail("devfs rule", "invalid rule number"))?;
            let removed = st.devfs.get_mut(&set).and_then(|r| r.remove(&n));
            if removed.is_none() {
                return Err(fail(
                    "devfs rule",
                    "ioctl DEVFSIO_RDEL: No such file or directory",
                ));
            }
            st.devfs.retain(|_, r| !r.is_empty());
            Ok(Output::ok(""))
        }
        "delall" => {
            st.devfs.remove(&set);
            Ok(Output::ok(""))
        }
        "show" => {
            let rules = st.devfs.get(&set);
            Ok(Output::ok(
                rules
                    .map(|r| {
                        r.iter()
                            .map(|(n, t)| format!("{n} {t}\n"))
                            .collect::<String>()
                    })
                    .unwrap_or_default(),
            ))
        }
        "showsets" => Ok(Output::ok(
            st.devfs
                .keys()
                .map(|n| format!("{n}\n"))
                .collect::<String>(),
        )),
        "applyset" | "apply" => {
            if !st.devfs.contains_key(&set) && cmd == "applyset" {
                return Err(fail(
                    "devfs rule",
                    "ioctl DEVFSIO_SAPPLY: No such file or directory",
                ));
            }
            Ok(Output::ok(""))
        }
        _ => Err(Output::fail(1, USAGE)),
    }
}

fn add(st: &mut SimState, set: u32, rest: &[&str]) -> R<Output> {
    if set == 0 {
        return Err(fail("devfs rule", "ruleset 0 is reserved"));
    }
    let (num, body) = match rest.first().and_then(|r| r.parse::<u32>().ok()) {
        Some(n) => (Some(n), &rest[1..]),
        None => (None, rest),
    };
    let body: Vec<String> = body
        .iter()
        .map(|w| w.trim_matches(|c| c == '\'' || c == '"').to_string())
        .collect();
    let ok = match body.first().map(String::as_str) {
        Some("include") => body.len() == 2 && named(&body[1]).is_some(),
        Some("path") => body.len() >= 3,
        Some("type") => body.len() >= 3,
        Some("hide" | "unhide") => body.len() == 1,
        _ => false,
    };
    if !ok {
        return Err(fail(
            "devfs rule",
            format!("unknown argument: {}", body.join(" ")),
        ));
    }
    let mut text = body.join(" ");
    if body[0] == "include" {
        text = format!("include {}", named(&body[1]).unwrap_or(0));
    }
    let rules = st.devfs.entry(set).or_default();
    let num = num.unwrap_or_else(|| rules.keys().next_back().map_or(100, |l| l + 100));
    if rules.contains_key(&num) {
        return Err(fail("devfs rule", "ioctl DEVFSIO_RADD: File exists"));
    }
    rules.insert(num, text);
    Ok(Output::ok(""))
}

#[cfg(test)]
mod tests {
    use crate::SimHost;

    #[test]
    fn custom_ruleset_for_pf_in_a_jail() {
        // §8: ruleset 4 hides pf, 5 unhides it; a custom set including 4 plus pf does too.
        let mut h = SimHost::fresh();
        assert!(!super::unhides(h.state(), 4, "pf"));
        assert!(super::unhides(h.state(), 5, "pf"));
        assert!(!super::unhides(h.state(), 5, "bpf0"));
        for args in [
            &["rule", "-s", "501", "add", "include", "$devfsrules_jail"][..],
            &["rule", "-s", "501", "add", "path", "pf", "unhide"],
            &["rule", "-s", "501", "add", "path", "bpf*", "unhide"],
        ] {
            assert_eq!(h.sh("devfs", args).status, 0);
        }
        assert_eq!(
            h.sh("devfs", &["rule", "-s", "501", "show"]).stdout,
            "100 include 4\n200 path pf unhide\n300 path bpf* unhide\n"
        );
        assert_eq!(
            h.sh("devfs", &["rule", "showsets"]).stdout,
            "1\n2\n3\n4\n5\n501\n"
        );
        assert!(super::unhides(h.state(), 501, "bpf0"));
        assert_eq!(
            h.sh(
                "devfs",
                &["-m", "/jails/www/dev", "rule", "-s", "501", "applyset"]
            )
            .status,
            0
        );
        h.sh("devfs", &["rule", "-s", "501", "delall"]);
        assert_eq!(h, SimHost::fresh());
    }
}
