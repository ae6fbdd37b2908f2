//! `pfctl(8)` (§6): enable/disable, loading rules into anchors from stdin with a light syntax
//! check and pfctl-style normalization, flushing, `-s rules|nat|Anchors|info|Tables`, tables.

use crate::exec::{fail, Caller, R};
use crate::state::{Pf, Ruleset, SimState};
use jailnet_host::Output;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
struct Opts {
    anchor: Option<String>,
    file: Option<String>,
    flush: Vec<String>,
    show: Vec<String>,
    enable: bool,
    disable: bool,
    quiet: bool,
    noop: bool,
    table: Option<String>,
    table_cmd: Option<String>,
    rest: Vec<String>,
}

const USAGE: &str = "usage: pfctl [-AdeghMmNnOPqRSrvz] [-a anchor] [-D macro=value] [-F modifier]\n\t[-f file] [-i interface] [-K host | network]\n\t[-k host | network | gateway | label | id] [-o level] [-p device]\n\t[-s modifier] [-t table -T command [address ...]] [-x level]\n";

fn parse_opts(args: &[String]) -> R<Opts> {
    let mut o = Opts::default();
    let mut k = 0;
    while k < args.len() {
        let a = &args[k];
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            o.rest.push(a.clone());
            k += 1;
            continue;
        };
        let chars: Vec<char> = flags.chars().collect();
        let mut c = 0;
        while c < chars.len() {
            let f = chars[c];
            if "afFstTkKDopx".contains(f) {
                let inline: String = chars[c + 1..].iter().collect();
                let val = if inline.is_empty() {
                    k += 1;
                    args.get(k)
                        .cloned()
                        .ok_or_else(|| Output::fail(64, USAGE))?
                } else {
                    inline
                };
                match f {
                    'a' => o.anchor = Some(val),
                    'f' => o.file = Some(val),
                    'F' => o.flush.push(val),
                    's' => o.show.push(val),
                    't' => o.table = Some(val),
                    'T' => o.table_cmd = Some(val),
                    _ => {}
                }
                break;
            }
            match f {
                'e' => o.enable = true,
                'd' => o.disable = true,
                'q' => o.quiet = true,
                'n' => o.noop = true,
                'v' | 'g' | 'r' | 'N' | 'O' | 'R' | 'A' | 'm' | 'z' | 'P' | 'S' | 'h' | 'M' => {}
                _ => return Err(Output::fail(64, USAGE)),
            }
            c += 1;
        }
        k += 1;
    }
    Ok(o)
}

/// Runs `pfctl ARGS…` with `stdin`.
pub(crate) fn run(
    st: &mut SimState,
    caller: &Caller,
    args: &[String],
    stdin: Option<&str>,
) -> Output {
    match pfctl(st, caller, args, stdin) {
        Ok(o) | Err(o) => o,
    }
}

fn pfctl(st: &mut SimState, caller: &Caller, args: &[String], stdin: Option<&str>) -> R<Output> {
    let o = parse_opts(args)?;
    if !dev_pf_visible(st, caller) {
        return Err(fail("pfctl", "/dev/pf: No such file or directory"));
    }
    let vnet = caller.vnet.clone();
    let pf = st
        .net_mut(&vnet)
        .map(|n| &mut n.pf)
        .ok_or_else(|| fail("pfctl", "/dev/pf: No such file or directory"))?;
    let anchor = o.anchor.clone().unwrap_or_default();
    let anchor = anchor.trim_matches('/').to_string();
    let mut out = Output::ok("");
    if o.disable {
        if !pf.enabled {
            return Err(fail("pfctl", "pf not enabled"));
        }
        pf.enabled = false;
        out.stderr.push_str("pf disabled\n");
    }
    for what in &o.flush {
        let msg = flush(pf, &anchor, what)?;
        if !o.quiet {
            out.stderr.push_str(&msg);
        }
    }
    if let Some(f) = &o.file {
        if f != "-" {
            return Err(fail("pfctl", format!("{f}: No such file or directory")));
        }
        let rs = parse_ruleset(stdin.unwrap_or("")).map_err(|e| {
            Output::fail(
                1,
                format!("{e}\npfctl: Syntax error in config file: pf rules not loaded\n"),
            )
        })?;
        if !o.noop {
            if anchor.is_empty() {
                pf.main = rs;
            } else if anchor.contains('*') {
                return Err(fail("pfctl", "anchor names may not contain '*'"));
            } else {
                pf.anchors.insert(anchor.clone(), rs);
                gc(pf);
            }
        }
    }
    if let (Some(t), Some(cmd)) = (&o.table, &o.table_cmd) {
        let (so, se) = table(pf, &anchor, t, cmd, &o.rest)?;
        out.stdout.push_str(&so);
        if !o.quiet {
            out.stderr.push_str(&se);
        }
    }
    for what in &o.show {
        match show(pf, &anchor, what) {
            Ok(s) => out.stdout.push_str(&s),
            Err(e) => {
                out.status = e.status;
                out.stderr.push_str(&e.stderr);
                out.stdout.push_str(&e.stdout);
            }
        }
    }
    if o.enable {
        if pf.enabled {
            out.status = 1;
            out.stderr.push_str("pfctl: pf already enabled\n");
            return Ok(out);
        }
        pf.enabled = true;
        out.stderr.push_str("pf enabled\n");
    }
    Ok(out)
}

/// pf is reachable on the host when loaded; in a vnet jail only when its devfs ruleset
/// unhides `pf` (§8: ruleset 5 does, 4 does not); never in a non-vnet jail.
fn dev_pf_visible(st: &SimState, caller: &Caller) -> bool {
    let loaded = st.host_net.pf.loaded;
    match caller.jail.as_ref().and_then(|j| st.jails.get(j)) {
        None => loaded,
        Some(j) if j.net.is_none() => false,
        Some(j) => {
            let rs = if j.devfs_ruleset == 0 {
                4
            } else {
                j.devfs_ruleset
            };
            loaded && crate::devfs::unhides(st, rs, "pf")
        }
    }
}

/// Whether anchor `a` exists (loaded, or an ancestor of a loaded one).
fn exists(pf: &Pf, a: &str) -> bool {
    a.is_empty()
        || pf
            .anchors
            .keys()
            .any(|k| k == a || k.starts_with(&format!("{a}/")))
}

fn ruleset_mut<'a>(pf: &'a mut Pf, a: &str) -> Option<&'a mut Ruleset> {
    if a.is_empty() {
        Some(&mut pf.main)
    } else {
        pf.anchors.get_mut(a)
    }
}

/// pf forgets anchors that hold nothing.
fn gc(pf: &mut Pf) {
    pf.anchors
        .retain(|_, r| !(r.nat.is_empty() && r.filter.is_empty() && r.tables.is_empty()));
}

fn flush(pf: &mut Pf, anchor: &str, what: &str) -> R<String> {
    let what = match what {
        "a" | "all" => "all",
        "r" | "rules" => "rules",
        "n" | "nat" => "nat",
        "T" | "Tables" => "Tables",
        "s" | "states" | "S" | "Sources" | "i" | "info" | "o" | "osfp" | "e" | "ethernet" | "k"
        | "Reset" => "other",
        _ => return Err(fail("pfctl", format!("Unknown flush modifier '{what}'"))),
    };
    let targets: Vec<String> = if anchor == "*" {
        let mut v: Vec<String> = pf.anchors.keys().cloned().collect();
        v.push(String::new());
        v
    } else if let Some(base) = anchor.strip_suffix("/*") {
        pf.anchors
            .keys()
            .filter(|k| k.starts_with(&format!("{base}/")))
            .cloned()
            .collect()
    } else {
        vec![anchor.to_string()]
    };
    let mut tables = 0;
    for t in &targets {
        if let Some(rs) = ruleset_mut(pf, t) {
            match what {
                "all" => {
                    tables += rs.tables.len();
                    *rs = Ruleset::default();
                }
                "rules" => rs.filter.clear(),
                "nat" => rs.nat.clear(),
                "Tables" => {
                    tables += rs.tables.len();
                    rs.tables.clear();
                }
                _ => {}
            }
        }
    }
    gc(pf);
    Ok(match what {
        "all" => {
            let mut s = format!("rules cleared\nnat cleared\n{tables} tables deleted.\n");
            if anchor.is_empty() {
                s.push_str("0 states cleared\nsource tracking entries cleared\npf: statistics cleared\npf: interface flags reset\n");
            }
            s
        }
        "rules" => "rules cleared\n".into(),
        "nat" => "nat cleared\n".into(),
        "Tables" => format!("{tables} tables deleted.\n"),
        _ => String::new(),
    })
}

fn show(pf: &Pf, anchor: &str, what: &str) -> R<String> {
    let lines = |f: &dyn Fn(&Ruleset) -> &Vec<String>| -> R<String> {
        let sets: Vec<&Ruleset> = if let Some(base) = anchor.strip_suffix("/*") {
            pf.anchors
                .iter()
                .filter(|(k, _)| k.starts_with(&format!("{base}/")))
                .map(|(_, v)| v)
                .collect()
        } else if anchor.is_empty() {
            vec![&pf.main]
        } else if let Some(r) = pf.anchors.get(anchor) {
            vec![r]
        } else if exists(pf, anchor) {
            vec![]
        } else {
            return Err(fail("pfctl", "DIOCGETRULES: Invalid argument"));
        };
        Ok(sets
            .iter()
            .flat_map(|r| f(r).iter())
            .map(|l| format!("{l}\n"))
            .collect())
    };
    match what {
        "r" | "rules" => lines(&|r: &Ruleset| &r.filter),
        "n" | "nat" => lines(&|r: &Ruleset| &r.nat),
        "A" | "Anchors" => {
            if !exists(pf, anchor) {
                return Err(fail("pfctl", "DIOCGETRULESETS: Invalid argument"));
            }
            let prefix = if anchor.is_empty() { String::new() } else { format!("{anchor}/") };
            let kids: BTreeSet<String> = pf
                .anchors
                .keys()
                .filter_map(|k| k.strip_prefix(&prefix))
                .filter_map(|rest| rest.split('/').next())
                .map(|c| format!("  {prefix}{c}\n"))
                .collect();
            Ok(kids.into_iter().collect())
        }
        "T" | "Tables" => {
            let rs = if anchor.is_empty() { Some(&pf.main) } else { pf.anchors.get(anchor) };
            Ok(rs
                .map(|r| r.tables.keys().map(|t| format!("{t}\n")).collect())
                .unwrap_or_default())
        }
        "i" | "info" => Ok(format!(
            "Status: {} for 0 days 00:00:00           Debug: Urgent\n\nState Table                          Total             Rate\n  current entries                        0               \n  searches                               0            0.0/s\n  inserts                                0            0.0/s\n  removals                               0            0.0/s\n",
            if pf.enabled { "Enabled" } else { "Disabled" }
        )),
        "Running" => {
            if pf.enabled {
                Ok("Enabled\n".into())
            } else {
                Err(Output { status: 1, stdout: "Disabled\n".into(), stderr: String::new() })
            }
        }
        "s" | "states" | "S" | "Sources" | "l" | "labels" | "m" | "memory" | "t" | "timeouts" | "I" | "Interfaces" => Ok(String::new()),
        "a" | "all" => {
            let mut s = String::new();
            s.push_str("TRANSLATION RULES:\n");
            s.push_str(&lines(&|r: &Ruleset| &r.nat)?);
            s.push_str("\nFILTER RULES:\n");
            s.push_str(&lines(&|r: &Ruleset| &r.filter)?);
            Ok(s)
        }
        _ => Err(fail("pfctl", format!("Unknown show modifier '{what}'"))),
    }
}

fn table(pf: &mut Pf, anchor: &str, t: &str, cmd: &str, addrs: &[String]) -> R<(String, String)> {
    let missing = || fail("pfctl", "Table does not exist.");
    if matches!(cmd, "add" | "replace" | "r" | "a") && ruleset_mut(pf, anchor).is_none() {
        pf.anchors.insert(anchor.to_string(), Ruleset::default());
    }
    let rs = ruleset_mut(pf, anchor).ok_or_else(missing)?;
    let res = match cmd {
        "add" | "a" => {
            let set = rs.tables.entry(t.to_string()).or_default();
            let n = addrs.iter().filter(|a| set.insert((*a).clone())).count();
            (
                String::new(),
                format!("{n}/{} addresses added.\n", addrs.len()),
            )
        }
        "replace" | "r" => {
            let new: BTreeSet<String> = addrs.iter().cloned().collect();
            rs.tables.insert(t.to_string(), new);
            (
                String::new(),
                format!("{} addresses replaced.\n", addrs.len()),
            )
        }
        "delete" | "d" => {
            let set = rs.tables.get_mut(t).ok_or_else(missing)?;
            let n = addrs.iter().filter(|a| set.remove(*a)).count();
            (
                String::new(),
                format!("{n}/{} addresses deleted.\n", addrs.len()),
            )
        }
        "flush" | "F" => {
            let set = rs.tables.get_mut(t).ok_or_else(missing)?;
            let n = set.len();
            set.clear();
            (String::new(), format!("{n} addresses deleted.\n"))
        }
        "kill" | "k" => {
            rs.tables.remove(t).ok_or_else(missing)?;
            (String::new(), "1 table deleted.\n".into())
        }
        "show" | "s" => {
            let set = rs.tables.get(t).ok_or_else(missing)?;
            (
                set.iter().map(|a| format!("   {a}\n")).collect(),
                String::new(),
            )
        }
        _ => return Err(fail("pfctl", format!("unknown command: {cmd}"))),
    };
    gc(pf);
    Ok(res)
}

/// Rule sections, in the order pf.conf requires them.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Options,
    Normalization,
    Translation,
    Filtering,
}

/// Parses pf.conf text into a ruleset. Errors are `stdin:LINE: …` lines.
pub(crate) fn parse_ruleset(text: &str) -> Result<Ruleset, String> {
    let mut rs = Ruleset::default();
    let mut macros: BTreeMap<String, String> = BTreeMap::new();
    let mut section = Section::Options;
    let mut errors = Vec::new();
    let mut pending = String::new();
    let mut start_line = 0;
    for (n, raw) in text.lines().enumerate() {
        if pending.is_empty() {
            start_line = n + 1;
        }
        let line = raw.split('#').next().unwrap_or("");
        if let Some(cont) = line.strip_suffix('\\') {
            pending.push_str(cont);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let lineno = start_line;
        let words: Vec<&str> = full.split_whitespace().collect();
        let Some(first) = words.first() else { continue };
        // macro definition
        if words.get(1) == Some(&"=")
            && first.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let v = words[2..].join(" ");
            macros.insert(first.to_string(), v.trim_matches('"').to_string());
            continue;
        }
        let expanded = match expand(&words.join(" "), &macros) {
            Ok(e) => e,
            Err(m) => {
                errors.push(format!("stdin:{lineno}: macro '{m}' not defined"));
                continue;
            }
        };
        let sec = match *first {
            "set" => Section::Options,
            "scrub" => Section::Normalization,
            "nat" | "rdr" | "binat" | "nat-anchor" | "rdr-anchor" | "binat-anchor" | "no" => {
                Section::Translation
            }
            "pass" | "block" | "match" | "anchor" | "antispoof" => Section::Filtering,
            "table" => {
                match parse_table(&expanded) {
                    Some((name, addrs)) => {
                        rs.tables.insert(name, addrs);
                    }
                    None => errors.push(format!("stdin:{lineno}: syntax error")),
                }
                continue;
            }
            "load" | "ether" | "altq" | "queue" => continue,
            _ => {
                errors.push(format!("stdin:{lineno}: syntax error"));
                continue;
            }
        };
        if !rule_syntax_ok(&expanded) {
            errors.push(format!("stdin:{lineno}: syntax error"));
            continue;
        }
        if sec < section && sec != Section::Options {
            errors.push(format!(
                "stdin:{lineno}: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering"
            ));
            continue;
        }
        section = section.max(sec);
        match sec {
            Section::Options => {}
            Section::Translation => rs.nat.push(normalize(&expanded)),
            Section::Normalization | Section::Filtering => rs.filter.push(normalize(&expanded)),
        }
    }
    if errors.is_empty() {
        Ok(rs)
    } else {
        Err(errors.join("\n"))
    }
}

fn expand(line: &str, macros: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let mut name = String::new();
        while let Some(&d) = chars.peek() {
            if d.is_ascii_alphanumeric() || d == '_' {
                name.push(d);
                chars.next();
            } else {
                break;
            }
        }
        match macros.get(&name) {
            Some(v) => out.push_str(v),
            None => return Err(name),
        }
    }
    Ok(out)
}

fn parse_table(line: &str) -> Option<(String, BTreeSet<String>)> {
    let rest = line.strip_prefix("table")?.trim();
    let name_end = rest.find('>')?;
    let name = rest.strip_prefix('<')?.get(..name_end - 1)?.to_string();
    let mut addrs = BTreeSet::new();
    if let (Some(a), Some(b)) = (rest.find('{'), rest.rfind('}')) {
        for x in rest[a + 1..b].split(|c: char| c == ',' || c.is_whitespace()) {
            if !x.is_empty() {
                addrs.insert(x.to_string());
            }
        }
    }
    Some((name, addrs))
}

/// Balanced quotes, parentheses and braces; translation rules need `->` (except `no …`
/// and the anchor forms).
fn rule_syntax_ok(l: &str) -> bool {
    let quotes = l.matches('"').count() & 1 == 0;
    let parens = l.matches('(').count() == l.matches(')').count();
    let braces = l.matches('{').count() == l.matches('}').count();
    let first = l.split_whitespace().next().unwrap_or("");
    let arrow = !matches!(first, "nat" | "rdr" | "binat") || l.contains("->");
    quotes && parens && braces && arrow
}

/// A light version of how pfctl prints rules back: single spaces, `port = N` in match
/// parts, `all` for `from any to any`, a default pool for `-> (if)`, and implicit state.
fn normalize(l: &str) -> String {
    let words: Vec<&str> = l.split_whitespace().collect();
    let mut out: Vec<String> = Vec::new();
    let mut after_arrow = false;
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        if w == "->" {
            after_arrow = true;
        }
        if w == "port" && !after_arrow {
            if let Some(n) = words.get(i + 1) {
                if !matches!(*n, "=" | "!=" | "<" | ">" | "<=" | ">=" | "{") && !n.contains(':') {
                    out.push("port".into());
                    out.push("=".into());
                    out.push(n.to_string());
                    i += 2;
                    continue;
                }
            }
        }
        out.push(w.to_string());
        i += 1;
    }
    let mut s = out.join(" ").replace("from any to any", "all");
    let first = words.first().copied().unwrap_or("");
    if matches!(
        first,
        "anchor" | "nat-anchor" | "rdr-anchor" | "binat-anchor"
    ) && !s.contains(" from ")
        && !s.contains(" all")
        && !s.contains(" on ")
        && !s.contains('{')
    {
        s.push_str(" all");
    }
    if matches!(first, "nat" | "rdr" | "binat") {
        if let Some(target) = s.split("-> ").nth(1) {
            let pool = [
                "round-robin",
                "random",
                "bitmask",
                "source-hash",
                "static-port",
            ];
            if target.starts_with('(') && !pool.iter().any(|p| target.contains(p)) {
                s.push_str(" round-robin");
            }
        }
    }
    if first == "pass" {
        let stateful = ["keep state", "no state", "modulate state", "synproxy state"];
        if !stateful.iter().any(|k| s.contains(k)) {
            let tcpish = !s.contains(" proto ") || s.contains(" proto tcp");
            if tcpish && !s.contains(" flags ") {
                s.push_str(" flags S/SA");
            }
            s.push_str(" keep state");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};
    use jailnet_host::Invocation;

    fn pf(h: &mut SimHost, args: &[&str], stdin: Option<&str>) -> jailnet_host::Output {
        let mut inv = Invocation::new("pfctl", args.iter().copied());
        if let Some(s) = stdin {
            inv = inv.with_stdin(s);
        }
        h.exec(&inv)
    }

    #[test]
    fn enable_disable_messages() {
        // §6 [V: pfctl.c]
        let mut h = SimHost::fresh();
        let o = pf(&mut h, &["-e"], None);
        assert_eq!((o.status, o.stderr.as_str()), (0, "pf enabled\n"));
        let o = pf(&mut h, &["-e"], None);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "pfctl: pf already enabled\n")
        );
        let o = pf(&mut h, &["-d"], None);
        assert_eq!((o.status, o.stderr.as_str()), (0, "pf disabled\n"));
        let o = pf(&mut h, &["-d"], None);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "pfctl: pf not enabled\n")
        );
        assert!(pf(&mut h, &["-s", "info"], None)
            .stdout
            .starts_with("Status: Disabled"));
    }

    #[test]
    fn anchors_load_show_list_flush() {
        let mut h = SimHost::fresh();
        let before = h.clone();
        let rules = "ext_if = \"em0\"\nnat on $ext_if from 10.1.1.0/24 to any -> ($ext_if)\n";
        let o = pf(&mut h, &["-a", "jailnet/nat", "-f", "-"], Some(rules));
        assert_eq!(o.status, 0, "{}", o.stderr);
        let o = pf(&mut h, &["-a", "jailnet/rdr", "-f", "-"], Some("rdr pass on em0 inet proto tcp from any to 192.168.0.10 port 8080 -> 10.1.1.2 port 80\n"));
        assert_eq!(o.status, 0, "{}", o.stderr);
        assert_eq!(
            pf(&mut h, &["-a", "jailnet/nat", "-s", "nat"], None).stdout,
            "nat on em0 from 10.1.1.0/24 to any -> (em0) round-robin\n"
        );
        assert_eq!(
            pf(&mut h, &["-a", "jailnet/rdr", "-sn"], None).stdout,
            "rdr pass on em0 inet proto tcp from any to 192.168.0.10 port = 8080 -> 10.1.1.2 port 80\n"
        );
        assert_eq!(
            pf(&mut h, &["-a", "jailnet", "-s", "Anchors"], None).stdout,
            "  jailnet/nat\n  jailnet/rdr\n"
        );
        assert_eq!(pf(&mut h, &["-s", "Anchors"], None).stdout, "  jailnet\n");
        let o = pf(&mut h, &["-a", "jailnet/nat", "-F", "all"], None);
        assert_eq!(o.stderr, "rules cleared\nnat cleared\n0 tables deleted.\n");
        pf(&mut h, &["-a", "jailnet/rdr", "-F", "nat"], None);
        assert_eq!(h, before);
        let o = pf(&mut h, &["-a", "jailnet/nat", "-s", "nat"], None);
        assert_eq!(o.status, 1);
    }

    #[test]
    fn syntax_errors_leave_the_anchor_unchanged() {
        let mut h = SimHost::fresh();
        pf(&mut h, &["-a", "a", "-f", "-"], Some("pass in all\n"));
        let o = pf(
            &mut h,
            &["-a", "a", "-f", "-"],
            Some("pass in all\nfrobnicate everything\n"),
        );
        assert_eq!(o.status, 1);
        assert!(
            o.stderr.starts_with("stdin:2: syntax error\n"),
            "{}",
            o.stderr
        );
        assert_eq!(
            pf(&mut h, &["-a", "a", "-s", "rules"], None).stdout,
            "pass in all flags S/SA keep state\n"
        );
        // translation after filtering is out of order (§6 -f ordering [V])
        let o = pf(
            &mut h,
            &["-a", "b", "-f", "-"],
            Some("pass out all\nnat on em0 from any to any -> (em0)\n"),
        );
        assert_eq!(o.status, 1);
    }

    #[test]
    fn pf_in_vnet_jail_needs_a_ruleset_that_unhides_it() {
        // §8 [V]: ruleset 4 has no pf, 5 does.
        let mut h = SimHost::fresh();
        h.sh(
            "jail",
            &["-c", "name=a", "vnet", "persist", "devfs_ruleset=4"],
        );
        h.sh(
            "jail",
            &["-c", "name=b", "vnet", "persist", "devfs_ruleset=5"],
        );
        let o = h.exec(&Invocation::new("pfctl", ["-e"]).in_jail("a"));
        assert_eq!(o.status, 1);
        let o = h.exec(&Invocation::new("pfctl", ["-e"]).in_jail("b"));
        assert_eq!(o.status, 0, "{}", o.stderr);
        assert!(h.pf(&VnetId::Jail("b".into())).is_some_and(|p| p.enabled));
        assert!(h.pf(&VnetId::Host).is_some_and(|p| !p.enabled));
    }

    #[test]
    fn tables() {
        let mut h = SimHost::fresh();
        let o = pf(
            &mut h,
            &[
                "-a", "jailnet", "-t", "jails", "-T", "add", "10.1.1.2", "10.1.1.3",
            ],
            None,
        );
        assert_eq!(o.stderr, "2/2 addresses added.\n");
        assert_eq!(
            pf(
                &mut h,
                &["-a", "jailnet", "-t", "jails", "-T", "show"],
                None
            )
            .stdout,
            "   10.1.1.2\n   10.1.1.3\n"
        );
    }
}
