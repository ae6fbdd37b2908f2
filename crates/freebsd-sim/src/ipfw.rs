//! `ipfw(8)` (§7): numbered rules per vnet — `add [N] …`, `delete N…`, `list`, `show`,
//! `flush` — printed the way `ipfw list` does, with the default rule 65535. A rule's
//! `// comment` (everything after `//`) is kept and printed at the end of the rule.

use crate::exec::{fail, fail_with, Caller, R};
use crate::state::{IpfwRule, SimState};
use jailnet_host::Output;

const EX_USAGE: i32 = 64;
const EX_UNAVAILABLE: i32 = 69;
const DEFAULT_RULE: &str = "65535 deny ip from any to any\n";
const ACTIONS: &[&str] = &[
    "allow",
    "accept",
    "pass",
    "permit",
    "deny",
    "drop",
    "reject",
    "unreach",
    "unreach6",
    "count",
    "skipto",
    "fwd",
    "forward",
    "divert",
    "tee",
    "nat",
    "pipe",
    "queue",
    "netgraph",
    "ngtee",
    "call",
    "return",
    "check-state",
    "setfib",
    "setdscp",
    "reass",
    "tag",
    "untag",
    "altq",
    "abort",
    "abort6",
    "reset",
    "reset6",
    "nat64lsn",
    "nptv6",
];

/// Runs `ipfw ARGS…`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    match ipfw(st, caller, args) {
        Ok(o) | Err(o) => o,
    }
}

fn ipfw(st: &mut SimState, caller: &Caller, args: &[String]) -> R<Output> {
    if caller.non_vnet_jail() {
        return Err(fail("ipfw", "socket: Operation not permitted"));
    }
    let mut quiet = false;
    let mut k = 0;
    while let Some(a) = args.get(k).filter(|a| a.starts_with('-') && a.len() > 1) {
        if a.contains('q') {
            quiet = true;
        }
        k += 1;
    }
    if !st.modules.contains("ipfw") {
        return Err(fail_with(
            EX_UNAVAILABLE,
            "ipfw",
            "socket: Protocol not available",
        ));
    }
    let rules = &mut st
        .net_mut(&caller.vnet)
        .ok_or_else(|| fail("ipfw", "socket: Operation not permitted"))?
        .ipfw;
    let cmd = args.get(k).map(String::as_str).unwrap_or("");
    let rest = &args[(k + 1).min(args.len())..];
    match cmd {
        "add" => add(rules, rest, quiet),
        "delete" | "del" => delete(rules, rest, quiet),
        "list" | "l" => Ok(Output::ok(list(rules, false))),
        "show" | "s" => Ok(Output::ok(list(rules, true))),
        "flush" | "-f" => {
            rules.clear();
            Ok(Output::ok(if quiet { "" } else { "Flushed all rules.\n" }))
        }
        "table" => Ok(Output::ok("")),
        _ => Err(fail_with(EX_USAGE, "ipfw", format!("bad command `{cmd}'"))),
    }
}

fn add(rules: &mut Vec<IpfwRule>, words: &[String], quiet: bool) -> R<Output> {
    let (num, body) = match words.first().and_then(|w| w.parse::<u32>().ok()) {
        Some(n) => (n, &words[1..]),
        None => {
            let last = rules.iter().map(|r| r.num).max().unwrap_or(0);
            ((last / 100 + 1) * 100, words)
        }
    };
    if num == 0 || num >= 65535 {
        return Err(fail_with(
            EX_USAGE,
            "ipfw",
            format!("illegal rule number {num}"),
        ));
    }
    let body = normalize(body)?;
    let pos = rules
        .iter()
        .position(|r| r.num > num)
        .unwrap_or(rules.len());
    rules.insert(
        pos,
        IpfwRule {
            num,
            body: body.clone(),
        },
    );
    Ok(Output::ok(if quiet {
        String::new()
    } else {
        format!("{num:05} {body}\n")
    }))
}

/// Canonical spelling of a rule body: action synonyms and `all` → `ip`.
fn normalize(words: &[String]) -> R<String> {
    // `// text` to the end is the rule's comment, printed back after the rule.
    let (words, comment) = match words.iter().position(|w| w == "//" || w.starts_with("//")) {
        Some(p) => {
            let first = words[p].trim_start_matches("//");
            let mut c: Vec<&str> = Vec::new();
            if !first.is_empty() {
                c.push(first);
            }
            c.extend(words[p + 1..].iter().map(String::as_str));
            (&words[..p], Some(c.join(" ")))
        }
        None => (words, None),
    };
    let body = normalize_body(words)?;
    Ok(match comment {
        Some(c) => format!("{body} // {c}"),
        None => body,
    })
}

fn normalize_body(words: &[String]) -> R<String> {
    let mut w: Vec<String> = words.to_vec();
    // optional `set N`, `prob P`
    let mut i = 0;
    while matches!(w.get(i).map(String::as_str), Some("set" | "prob")) {
        i += 2;
    }
    let Some(action) = w.get(i).cloned() else {
        return Err(fail_with(EX_USAGE, "ipfw", "missing action"));
    };
    if !ACTIONS.contains(&action.as_str()) {
        return Err(fail_with(
            EX_USAGE,
            "ipfw",
            format!("invalid action {action}"),
        ));
    }
    w[i] = match action.as_str() {
        "accept" | "pass" | "permit" => "allow".into(),
        "drop" => "deny".into(),
        "forward" => "fwd".into(),
        a => a.into(),
    };
    let rest = &w[i + 1..];
    let has_from = rest.iter().any(|x| x == "from");
    let is_mac_only = rest.first().is_some_and(|x| x == "MAC" || x == "mac");
    if !has_from
        && !is_mac_only
        && !rest.is_empty()
        && !matches!(w[i].as_str(), "check-state" | "return")
    {
        let proto_ok = rest.first().is_some_and(|p| {
            matches!(
                p.as_str(),
                "ip" | "all" | "tcp" | "udp" | "icmp" | "icmp6" | "ip4" | "ip6" | "ipv4" | "ipv6"
            )
        });
        if !proto_ok {
            return Err(fail_with(
                EX_USAGE,
                "ipfw",
                format!("invalid protocol ``{}''", rest[0]),
            ));
        }
    }
    for x in w.iter_mut().skip(i + 1) {
        if x == "all" {
            *x = "ip".into();
        }
        if x == "mac" {
            *x = "MAC".into();
        }
    }
    Ok(w.join(" "))
}

fn delete(rules: &mut Vec<IpfwRule>, nums: &[String], quiet: bool) -> R<Output> {
    let mut out = Output::ok("");
    for n in nums {
        let num: u32 = n
            .parse()
            .map_err(|_| fail_with(EX_USAGE, "ipfw", format!("rule {n}: invalid rule number")))?;
        let before = rules.len();
        rules.retain(|r| r.num != num);
        if rules.len() == before {
            out.status = EX_UNAVAILABLE;
            if !quiet {
                out.stderr.push_str(&format!(
                    "ipfw: rule {num}: setsockopt(IP_FW_XDEL): No such process\n"
                ));
            }
        }
    }
    Ok(out)
}

fn list(rules: &[IpfwRule], counters: bool) -> String {
    let mut s = String::new();
    for r in rules {
        if counters {
            s.push_str(&format!("{:05} 0 0 {}\n", r.num, r.body));
        } else {
            s.push_str(&format!("{:05} {}\n", r.num, r.body));
        }
    }
    if counters {
        s.push_str("65535 0 0 deny ip from any to any\n");
    } else {
        s.push_str(DEFAULT_RULE);
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};

    #[test]
    fn add_list_delete() {
        let mut h = SimHost::fresh();
        let o = h.sh(
            "ipfw",
            &[
                "add",
                "1000",
                "allow",
                "ip",
                "from",
                "10.1.1.10",
                "to",
                "any",
                "MAC",
                "any",
                "02:aa:bb:cc:dd:0b",
                "via",
                "epair1a",
                "layer2",
                "in",
            ],
        );
        assert_eq!(o.stdout, "01000 allow ip from 10.1.1.10 to any MAC any 02:aa:bb:cc:dd:0b via epair1a layer2 in\n");
        h.sh(
            "ipfw",
            &[
                "-q", "add", "1099", "deny", "all", "from", "any", "to", "any", "via", "epair1a",
                "layer2", "in",
            ],
        );
        h.sh(
            "ipfw",
            &[
                "add",
                "1001",
                "allow",
                "MAC",
                "any",
                "02:aa:bb:cc:dd:0b",
                "mac-type",
                "arp",
                "via",
                "epair1a",
                "layer2",
                "in",
            ],
        );
        assert_eq!(
            h.sh("ipfw", &["list"]).stdout,
            "01000 allow ip from 10.1.1.10 to any MAC any 02:aa:bb:cc:dd:0b via epair1a layer2 in\n\
             01001 allow MAC any 02:aa:bb:cc:dd:0b mac-type arp via epair1a layer2 in\n\
             01099 deny ip from any to any via epair1a layer2 in\n\
             65535 deny ip from any to any\n"
        );
        assert_eq!(h.sh("ipfw", &["delete", "1000", "1001", "1099"]).status, 0);
        assert!(h.ipfw_rules(&VnetId::Host).is_empty());
        let o = h.sh("ipfw", &["delete", "1000"]);
        assert_eq!(o.status, 69);
        let o = h.sh(
            "ipfw",
            &["add", "100", "frobnicate", "ip", "from", "any", "to", "any"],
        );
        assert_eq!(o.status, 64);
    }

    #[test]
    fn comments_are_kept_and_listed_last() {
        let mut h = SimHost::fresh();
        let o = h.sh(
            "ipfw",
            &[
                "-q",
                "add",
                "60000",
                "deny",
                "ip",
                "from",
                "any",
                "to",
                "any",
                "not",
                "MAC",
                "any",
                "02:00:00:00:00:01",
                "recv",
                "epair0a",
                "layer2",
                "//",
                "jailnet:guard:epair0a",
            ],
        );
        assert_eq!(o.status, 0, "{}", o.stderr);
        assert_eq!(
            h.sh("ipfw", &["list"]).stdout,
            "60000 deny ip from any to any not MAC any 02:00:00:00:00:01 recv epair0a layer2 // jailnet:guard:epair0a\n\
             65535 deny ip from any to any\n"
        );
    }

    #[test]
    fn auto_numbering_steps_by_100() {
        let mut h = SimHost::fresh();
        assert_eq!(
            h.sh("ipfw", &["add", "allow", "ip", "from", "any", "to", "any"])
                .stdout,
            "00100 allow ip from any to any\n"
        );
        assert_eq!(
            h.sh("ipfw", &["add", "pass", "ip", "from", "any", "to", "any"])
                .stdout,
            "00200 allow ip from any to any\n"
        );
    }
}
