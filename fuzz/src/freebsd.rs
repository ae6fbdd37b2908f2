//! Properties of `jailnet-freebsd`'s tool-output parsers (`crates/freebsd/src/observe`).
//! Also compiled into `crates/freebsd/tests/fuzz_replay.rs`.

use jailnet_freebsd::lower::firewall::{rule_lines, FOREIGN};
use jailnet_freebsd::observe::{ifconfig, jls, ngctl, pf, route, sysctl};

/// Checks a target by name; `false` when `target` is not one of this module's.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "ifconfig" => ifconfig(data),
        "jls" => jls(data),
        "sysctl" => sysctl(data),
        "route" => route(data),
        "ngctl" => ngctl(data),
        "pf" => pf(data),
        _ => return false,
    }
    true
}

/// `ifconfig -a` text: parsing never panics, and what parses survives emit → parse
/// unchanged (`IfStatus::emit` claims to print it back as ifconfig does).
pub fn ifconfig(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(blocks) = ifconfig::parse(&text) else {
        return;
    };
    for b in &blocks {
        // The accessors the observer uses must not panic either.
        let _ = (
            b.ether(),
            b.inet(),
            b.inet6_global(),
            b.members(),
            b.vxlan(),
        );
        let _ = (b.vlan(), b.is_bridge(), b.description(), b.groups());
    }
    let emitted: String = blocks.iter().map(ifconfig::IfStatus::emit).collect();
    let again = ifconfig::parse(&emitted);
    assert_eq!(
        again.as_ref().ok(),
        Some(&blocks),
        "emit did not parse back:\n{emitted:?}"
    );
}

/// `jls -n …` text: parsing never panics.
pub fn jls(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(jails) = jls::parse(&text) {
        for j in &jails {
            let _ = j.emit();
        }
    }
}

/// `sysctl -n` text against as many keys as its first byte says: never panics.
pub fn sysctl(data: &[u8]) {
    let n = data.first().map_or(0, |b| usize::from(b % 8));
    let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
    let keys: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    if let Ok(v) = sysctl::parse(&keys, &text) {
        assert_eq!(v.len(), keys.len());
    }
}

/// `netstat -rn` text: never panics.
pub fn route(data: &[u8]) {
    let _ = route::parse(&String::from_utf8_lossy(data));
}

/// `ngctl list -l` and `getifname` responses: never panic.
pub fn ngctl(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(nodes) = ngctl::parse_list(&text) {
        for n in &nodes {
            let _ = ngctl::used_links(n);
        }
    }
    let _ = ngctl::parse_ifname(&text);
}

/// `pfctl -s Anchors` / `-s nat` / `-s rules` text: never panics; every line matches itself;
/// a rule read back ([`pf::parse_rule`]) renders as jailnet loads it and reads back the same.
pub fn pf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = pf::parse_anchors(&text);
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    assert!(pf::same_rules(&lines, &lines));
    for line in &lines {
        let _ = pf::canon(line);
        let Some(rule) = pf::parse_rule(line).filter(|r| *r != FOREIGN) else {
            continue;
        };
        let (nat, filter) = rule_lines("fuzz", std::slice::from_ref(&rule));
        for l in nat.iter().chain(&filter) {
            assert_eq!(pf::parse_rule(l).as_ref(), Some(&rule), "{line:?} → {l:?}");
        }
    }
}
