//! `sysrc(8)` (§9) over the in-memory rc.conf of the host or of a jail (`-j`): read,
//! `=`, `+=`, `-=`, `-x`, `-n`.

use crate::exec::{fail, Caller};
use crate::state::SimState;
use jailnet_host::Output;
use std::collections::BTreeMap;

/// Runs `sysrc ARGS…`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    let (mut value_only, mut delete, mut quiet) = (false, false, false);
    let mut jail = caller.jail.clone();
    let mut k = 0;
    while let Some(a) = args.get(k).filter(|a| a.starts_with('-') && a.len() > 1) {
        match a.as_str() {
            "-j" => {
                jail = args.get(k + 1).cloned();
                k += 1;
            }
            "-f" | "-R" => k += 1,
            _ => {
                for c in a.chars().skip(1) {
                    match c {
                        'n' => value_only = true,
                        'x' => delete = true,
                        'q' | 'i' => quiet = true,
                        _ => {}
                    }
                }
            }
        }
        k += 1;
    }
    let rc: &mut BTreeMap<String, String> = match &jail {
        None => &mut st.rc_conf,
        Some(j) => match st.jails.get_mut(j) {
            Some(j) => &mut j.rc_conf,
            None => return fail("sysrc", format!("{j}: jail not found")),
        },
    };
    let mut out = Output::ok("");
    for w in &args[k..] {
        if delete {
            if rc.remove(w.as_str()).is_none() {
                out.status = 1;
            }
            continue;
        }
        let (name, op, value) = if let Some((n, v)) = w.split_once("+=") {
            (n, "+=", Some(v))
        } else if let Some((n, v)) = w.split_once("-=") {
            (n, "-=", Some(v))
        } else if let Some((n, v)) = w.split_once('=') {
            (n, "=", Some(v))
        } else {
            (w.as_str(), "", None)
        };
        let old = rc.get(name).cloned();
        let Some(value) = value else {
            match old {
                Some(v) if value_only => out.stdout.push_str(&format!("{v}\n")),
                Some(v) => out.stdout.push_str(&format!("{name}: {v}\n")),
                None => {
                    out.status = 1;
                    if !quiet {
                        out.stderr
                            .push_str(&format!("sysrc: unknown variable '{name}'\n"));
                    }
                }
            }
            continue;
        };
        let before = old.clone().unwrap_or_default();
        let new = match op {
            "+=" | "-=" => {
                let sep = value
                    .chars()
                    .next()
                    .filter(|c| !c.is_alphanumeric() && !".,/ \t".contains(*c))
                    .unwrap_or(' ');
                let words: Vec<&str> = value.split(sep).filter(|x| !x.is_empty()).collect();
                let mut cur: Vec<String> = before
                    .split(sep)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect();
                if op == "+=" {
                    for x in words {
                        if !cur.iter().any(|c| c == x) {
                            cur.push(x.to_string());
                        }
                    }
                } else {
                    cur.retain(|c| !words.contains(&c.as_str()));
                }
                cur.join(&sep.to_string())
            }
            _ => value.to_string(),
        };
        rc.insert(name.to_string(), new.clone());
        if !value_only {
            out.stdout.push_str(&format!("{name}: {before} -> {new}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::SimHost;

    #[test]
    fn set_append_remove_delete() {
        // §9 [V: usr.sbin/sysrc/sysrc]
        let mut h = SimHost::fresh();
        assert_eq!(
            h.sh("sysrc", &["cloned_interfaces+=lo1"]).stdout,
            "cloned_interfaces:  -> lo1\n"
        );
        assert_eq!(
            h.sh("sysrc", &["cloned_interfaces+=bridge0 lo1"]).stdout,
            "cloned_interfaces: lo1 -> lo1 bridge0\n"
        );
        assert_eq!(
            h.sh("sysrc", &["cloned_interfaces-=lo1"]).stdout,
            "cloned_interfaces: lo1 bridge0 -> bridge0\n"
        );
        assert_eq!(
            h.sh("sysrc", &["-n", "cloned_interfaces"]).stdout,
            "bridge0\n"
        );
        let o = h.sh("sysrc", &["nope"]);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "sysrc: unknown variable 'nope'\n")
        );
        h.sh("sysrc", &["-x", "cloned_interfaces"]);
        assert_eq!(h, SimHost::fresh());
    }
}
