//! A jail's own devfs ruleset (`Resource::Devfs`): `pf`/`pflog` for pf inside the jail,
//! `bpf*` for its DHCP client (libioc#733). Built in the kernel with `devfs rule`, never by
//! editing /etc/devfs.rules:
//!
//! ```text
//! devfs rule -s N add path jailnet hide     (jailnet's mark: no device is named so)
//! devfs rule -s N add include 4             ($devfsrules_jail; devfs(8) takes numbers)
//! devfs rule -s N add path pf unhide        (one per device pattern)
//! devfs -m ROOT/dev rule -s N applyset      (a running jail with its own root)
//! ```
//!
//! A jail jailnet creates gets `devfs_ruleset=N` on its `jail -c` line (see `jail.rs`).
//! A ruleset without the mark is not jailnet's: it is never changed or deleted (observe
//! reports it untagged, and creating over one is refused). Delete: `devfs rule -s N
//! delall`.

use super::Ctx;
use crate::error::Error;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::Resource;

/// The rule that marks a ruleset as jailnet's.
pub const MARK: &str = "path jailnet hide";

/// The stock ruleset jailnet's include (`devfsrules_jail`).
pub const BASE: u16 = 4;

fn rule(n: u16, words: &[&str]) -> Invocation {
    let mut args = vec!["rule".to_string(), "-s".into(), n.to_string()];
    args.extend(words.iter().map(|w| w.to_string()));
    Invocation::new("devfs", args)
}

/// The rule texts of ruleset `r`, as `devfs rule show` prints them without numbers.
pub fn texts(unhide: &[String]) -> Vec<String> {
    let mut v = vec![MARK.to_string(), format!("include {BASE}")];
    v.extend(unhide.iter().map(|p| format!("path {p} unhide")));
    v
}

pub(crate) fn create(r: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let Resource::Devfs {
        ruleset, unhide, ..
    } = r
    else {
        return Ok(Vec::new());
    };
    let n = *ruleset;
    if ctx.devfs_sets.as_ref().is_some_and(|s| s.contains(&n)) {
        return Err(Error::Unsupported(format!(
            "{}: devfs ruleset {n} exists and is not jailnet's; it is left alone \
             (remove it, or free the number)",
            r.id()
        )));
    }
    let mut steps = Vec::new();
    for (i, t) in texts(unhide).iter().enumerate() {
        let mut words = vec!["add"];
        words.extend(t.split(' '));
        let s = Step::new(rule(n, &words));
        steps.push(if i == 0 {
            s.undo(rule(n, &["delall"]))
        } else {
            s
        });
    }
    steps.extend(apply(n, ctx));
    Ok(steps)
}

/// `devfs -m ROOT/dev rule -s N applyset` for a running jail with its own root (never for
/// a jail whose root is the host's `/`: that would hide the host's devices).
fn apply(n: u16, ctx: &Ctx) -> Vec<Step> {
    match &ctx.jail_root {
        Some((root, old)) if root != "/" && !root.is_empty() => {
            let dev = format!("{}/dev", root.trim_end_matches('/'));
            let inv = |k: u16| {
                Invocation::new(
                    "devfs",
                    [
                        "-m".to_string(),
                        dev.clone(),
                        "rule".into(),
                        "-s".into(),
                        k.to_string(),
                        "applyset".into(),
                    ],
                )
            };
            let s = Step::new(inv(n));
            vec![if *old != 0 { s.undo(inv(*old)) } else { s }]
        }
        _ => Vec::new(),
    }
}

pub(crate) fn delete(r: &Resource) -> Vec<Step> {
    match r {
        Resource::Devfs { ruleset, .. } => vec![Step::new(rule(*ruleset, &["delall"]))],
        _ => Vec::new(),
    }
}

/// In place: the ruleset is emptied and built again.
pub(crate) fn update(after: &Resource, ctx: &Ctx) -> Result<Vec<Step>, Error> {
    let mut steps = delete(after);
    let ctx = Ctx {
        devfs_sets: None,
        ..ctx.clone()
    };
    steps.extend(create(after, &ctx)?);
    Ok(steps)
}

/// The ruleset `devfs rule -s N show` describes, for jail `jail`; `None` when it holds no
/// rules. The second value says whether it carries jailnet's mark.
pub fn parse(
    jail: &jailnet_model::names::JailName,
    n: u16,
    show: &str,
) -> Option<(Resource, bool)> {
    let rules: Vec<String> = show
        .lines()
        .filter_map(|l| l.split_once(' ').map(|(_, t)| t.trim().to_string()))
        .collect();
    if rules.is_empty() {
        return None;
    }
    let ours = rules.iter().any(|t| t == MARK);
    let mut unhide: Vec<String> = rules
        .iter()
        .filter_map(|t| {
            let w: Vec<&str> = t.split_whitespace().collect();
            match w.as_slice() {
                ["path", p, "unhide"] => Some(p.trim_matches('\'').to_string()),
                _ => None,
            }
        })
        .collect();
    // Anything else than jailnet's own layout shows as a difference.
    let expected: Vec<String> = texts(&unhide);
    if ours && rules != expected {
        unhide.push("(edited)".into());
    }
    Some((
        Resource::Devfs {
            jail: jail.clone(),
            ruleset: n,
            unhide,
        },
        ours,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_model::names::JailName;

    #[test]
    fn marked_rulesets_are_jailnets_and_parse_back() {
        let j = JailName::new("j0").unwrap();
        let show = "100 path jailnet hide\n200 include 4\n300 path bpf* unhide\n";
        let (r, ours) = parse(&j, 5000, show).unwrap();
        assert!(ours);
        assert_eq!(
            r,
            Resource::Devfs {
                jail: j.clone(),
                ruleset: 5000,
                unhide: vec!["bpf*".into()]
            }
        );
        let (_, ours) = parse(&j, 5000, "100 include 4\n200 path pf unhide\n").unwrap();
        assert!(!ours);
        assert!(parse(&j, 5000, "").is_none());
        let e = create(
            &r,
            &Ctx {
                devfs_sets: Some([5000].into_iter().collect()),
                ..Ctx::default()
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("not jailnet's"), "{e}");
    }
}
