//! `ifconfig(8)`: argument parsing and the per-interface commands (§1). Cloning lives in
//! [`clone`], bridge member commands in [`bridge`], vnet moves in [`vnet`], and the status
//! text in [`status`].

pub(crate) mod bridge;
pub(crate) mod clone;
pub(crate) mod status;
pub(crate) mod tunnel;
pub(crate) mod vnet;

use crate::exec::{fail, Caller, R};
use crate::state::{parse_mac, IfKind, Inet4, Inet6, SimState, VnetId};
use jailnet_host::Output;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Longest interface name (IFNAMSIZ 16 including the NUL).
pub(crate) const IFNAMSIZ_VISIBLE: usize = 15;

/// Runs `ifconfig ARGS…` as `caller`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, args: &[String]) -> Output {
    match ifconfig(st, caller, args) {
        Ok(o) | Err(o) => o,
    }
}

/// One deferred address change (§1.1: applied after every other command on the line).
#[derive(Debug)]
struct AddrOp {
    v6: bool,
    addr: String,
    prefix: Option<u8>,
    mode: AddrMode,
}

#[derive(Debug, PartialEq, Eq)]
enum AddrMode {
    /// No `alias` word: replaces the first IPv4 address.
    Set,
    Alias,
    Delete,
}

fn ifconfig(st: &mut SimState, caller: &Caller, args: &[String]) -> R<Output> {
    let mut caller = caller.clone();
    let mut i = 0;
    if args.first().map(String::as_str) == Some("-j") {
        let key = args.get(1).ok_or_else(usage)?;
        caller = Caller::in_jail(st, key)
            .ok_or_else(|| fail("ifconfig", format!("jail \"{key}\" not found")))?;
        i = 2;
    }
    let args = &args[i..];
    let Some(first) = args.first() else {
        return Ok(Output::ok(status::all(st, &caller)));
    };
    match first.as_str() {
        "-a" | "-au" | "-ad" => return Ok(Output::ok(status::all(st, &caller))),
        "-l" => {
            let names: Vec<&str> = st.in_vnet(&caller.vnet).map(|i| i.name.as_str()).collect();
            return Ok(Output::ok(format!("{}\n", names.join(" "))));
        }
        "-g" => {
            let g = args.get(1).ok_or_else(usage)?;
            let mut out = String::new();
            for i in st.in_vnet(&caller.vnet) {
                if g == "all" || i.groups.iter().any(|x| x == g) {
                    out.push_str(&i.name);
                    out.push('\n');
                }
            }
            return Ok(Output::ok(out));
        }
        f if f.starts_with('-') && f.len() > 1 && args.len() == 1 => {
            return Err(usage());
        }
        _ => {}
    }
    let typed = first.as_str();
    let mut rest: &[String] = &args[1..];
    let mut print_name = false;

    if rest.first().map(String::as_str) == Some("-vnet") {
        let key = rest.get(1).ok_or_else(usage)?;
        denied_in_jail(&caller, "SIOCSIFRVNET")?;
        vnet::reclaim(st, typed, key)?;
        // ifconfig goes on with the words after `-vnet JAIL`, now on the host (§1.4).
        let more = if st.reclaim_ignores_the_rest {
            &rest[..0]
        } else {
            &rest[2..]
        };
        return match st.find(&caller.vnet, typed) {
            Some(idx) if !more.is_empty() => apply(st, &caller, idx, more, false),
            _ => Ok(Output::ok("")),
        };
    }

    let mut created = false;
    let mut idx = st.find(&caller.vnet, typed);
    if matches!(rest.first().map(String::as_str), Some("create" | "plumb")) {
        if idx.is_some() {
            if rest.len() == 1 {
                return Err(fail(
                    "ifconfig",
                    format!("interface {typed} already exists"),
                ));
            }
        } else {
            if typed.len() > IFNAMSIZ_VISIBLE {
                return Err(fail("ifconfig", format!("{typed}: cloning name too long")));
            }
            denied_in_jail(&caller, "SIOCIFCREATE2")?;
            let req = clone::classify(st, &caller.vnet, typed).ok_or_else(|| {
                fail(
                    "ifconfig",
                    format!("SIOCIFCREATE2 ({typed}): Invalid argument"),
                )
            })?;
            clone::load_module(st, &caller, typed, &req)?;
            let new = clone::create(st, &caller.vnet, typed, req)?;
            if st.ifaces.get(&new).map(|i| i.name.as_str()) != Some(typed) {
                print_name = true;
            }
            idx = Some(new);
            created = true;
        }
        rest = &rest[1..];
    }
    let Some(idx) = idx else {
        return Err(fail(
            "ifconfig",
            format!("interface {typed} does not exist"),
        ));
    };
    if rest.is_empty() && !print_name && !created {
        return Ok(Output::ok(status::one(st, &caller, idx)));
    }
    if caller.non_vnet_jail() {
        return Err(fail("ifconfig", "ioctl (SIOCSIFFLAGS): permission denied"));
    }
    apply(st, &caller, idx, rest, print_name)
}

/// Applies the commands after the interface name, in order, then the deferred addresses.
fn apply(
    st: &mut SimState,
    caller: &Caller,
    idx: u32,
    words: &[String],
    mut print_name: bool,
) -> R<Output> {
    let vnet = caller.vnet.clone();
    let mut addrs: Vec<AddrOp> = Vec::new();
    let mut k = 0;
    let arg = |k: usize| -> R<&String> {
        words
            .get(k + 1)
            .ok_or_else(|| fail("ifconfig", format!("'{}' requires argument", words[k])))
    };
    while k < words.len() {
        let w = words[k].as_str();
        let mut used = 1;
        match w {
            "up" => set_iface(st, idx, |i| i.up = true),
            "down" => set_iface(st, idx, |i| i.up = false),
            "name" => {
                let new = arg(k)?;
                used = 2;
                rename(st, &vnet, idx, new)?;
                print_name = true;
            }
            "destroy" | "unplumb" => {
                clone::destroy(st, idx)?;
                return Ok(Output::ok(""));
            }
            "mtu" => {
                let n = arg(k)?;
                used = 2;
                set_mtu(st, idx, n)?;
            }
            "ether" | "lladdr" | "link" => {
                let m = arg(k)?;
                used = 2;
                let mac = parse_mac(m).ok_or_else(|| {
                    fail("ifconfig", format!("malformed link-level address: {m}"))
                })?;
                set_iface(st, idx, |i| i.mac = Some(mac));
            }
            "description" | "descr" => {
                let d = arg(k)?.clone();
                used = 2;
                set_iface(st, idx, |i| {
                    i.description = if d.is_empty() { None } else { Some(d) }
                });
            }
            "-description" | "-descr" => set_iface(st, idx, |i| i.description = None),
            "group" => {
                let g = arg(k)?.clone();
                used = 2;
                add_group(st, idx, &g)?;
            }
            "-group" => {
                let g = arg(k)?.clone();
                used = 2;
                let has = st.ifaces.get(&idx).is_some_and(|i| i.groups.contains(&g));
                if !has {
                    return Err(fail("ifconfig", "SIOCDIFGROUP: No such file or directory"));
                }
                set_iface(st, idx, |i| i.groups.retain(|x| *x != g));
            }
            "vnet" => {
                let key = arg(k)?.clone();
                vnet::give(st, caller, idx, &key)?;
                // The interface has left this vnet: nothing more can be done to it here.
                return Ok(Output::ok(""));
            }
            "inet" | "inet6" => {
                let v6 = w == "inet6";
                match words.get(k + 1) {
                    Some(a) if !is_keyword(a) => {
                        used = 2;
                        addrs.push(parse_addr(a, v6)?);
                    }
                    _ => {}
                }
            }
            "alias" | "add" => last_op(&mut addrs, w)?.mode = AddrMode::Alias,
            "-alias" | "delete" | "remove" => last_op(&mut addrs, w)?.mode = AddrMode::Delete,
            "netmask" => {
                let m = arg(k)?;
                used = 2;
                let p = parse_netmask(m)?;
                last_op(&mut addrs, w)?.prefix = Some(p);
            }
            "prefixlen" => {
                let m = arg(k)?;
                used = 2;
                let p: u8 = m
                    .parse()
                    .ok()
                    .filter(|p| *p <= 128)
                    .ok_or_else(|| fail("ifconfig", format!("{m}: bad value")))?;
                last_op(&mut addrs, w)?.prefix = Some(p);
            }
            "broadcast" => used = 2,
            "metric" => used = 2,
            _ if bridge::arity(w).is_some() => {
                let n = bridge::arity(w).unwrap_or(0);
                if words.len() < k + 1 + n {
                    return Err(fail("ifconfig", format!("'{w}' requires argument")));
                }
                bridge::apply(st, &vnet, idx, w, &words[k + 1..k + 1 + n])?;
                used = 1 + n;
            }
            _ if tunnel::arity(w).is_some() => {
                let n = tunnel::arity(w).unwrap_or(0);
                if words.len() < k + 1 + n {
                    return Err(fail("ifconfig", format!("'{w}' requires argument")));
                }
                tunnel::apply(st, &vnet, idx, w, &words[k + 1..k + 1 + n])?;
                used = 1 + n;
            }
            _ if is_silent_flag(w) => {}
            _ => {
                if looks_like_addr(w) {
                    addrs.push(parse_addr(w, w.contains(':'))?);
                } else {
                    return Err(fail("ifconfig", format!("{w}: bad value")));
                }
            }
        }
        k += used;
    }
    for op in addrs {
        apply_addr(st, &vnet, idx, op)?;
    }
    crate::route::prune_all(st);
    let mut out = String::new();
    if print_name {
        if let Some(i) = st.ifaces.get(&idx) {
            out = format!("{}\n", i.name);
        }
    }
    Ok(Output::ok(out))
}

fn usage() -> Output {
    Output::fail(
        1,
        "usage: ifconfig [-j jail] [-f type:format] %sinterface address_family\n\t[address [dest_address]] [parameters]\n",
    )
}

/// A non-vnet jail may look at the host's interfaces but not change them.
fn denied_in_jail(caller: &Caller, what: &str) -> R<()> {
    if caller.jail.is_some() && caller.vnet == VnetId::Host {
        return Err(fail("ifconfig", format!("{what}: permission denied")));
    }
    Ok(())
}

pub(crate) fn set_iface(st: &mut SimState, idx: u32, f: impl FnOnce(&mut crate::state::Iface)) {
    if let Some(i) = st.ifaces.get_mut(&idx) {
        f(i);
    }
}

fn rename(st: &mut SimState, vnet: &VnetId, idx: u32, new: &str) -> R<()> {
    if new.is_empty() || new.len() > IFNAMSIZ_VISIBLE {
        return Err(fail(
            "ifconfig",
            "ioctl SIOCSIFNAME (set name): Invalid argument",
        ));
    }
    if let Some(other) = st.find(vnet, new) {
        if other != idx {
            return Err(fail(
                "ifconfig",
                "ioctl SIOCSIFNAME (set name): File exists",
            ));
        }
    }
    set_iface(st, idx, |i| i.name = new.to_string());
    Ok(())
}

fn set_mtu(st: &mut SimState, idx: u32, n: &str) -> R<()> {
    let mtu: u32 = n
        .parse()
        .map_err(|_| fail("ifconfig", format!("{n}: bad value")))?;
    if !(72..=65535).contains(&mtu) {
        return Err(fail(
            "ifconfig",
            "ioctl SIOCSIFMTU (set mtu): Invalid argument",
        ));
    }
    // §1.5 (15.x): a bridge member's MTU is locked; a bridge's MTU propagates.
    if st.bridge_of(idx).is_some() {
        return Err(fail(
            "ifconfig",
            "ioctl SIOCSIFMTU (set mtu): Operation not supported",
        ));
    }
    let members: Vec<u32> = match st.ifaces.get(&idx).map(|i| &i.kind) {
        Some(IfKind::Bridge { members }) => members.iter().map(|m| m.index).collect(),
        _ => Vec::new(),
    };
    set_iface(st, idx, |i| {
        i.mtu = mtu;
        i.mtu_locked = true;
    });
    for m in members {
        set_iface(st, m, |i| i.mtu = mtu);
    }
    Ok(())
}

fn add_group(st: &mut SimState, idx: u32, g: &str) -> R<()> {
    if g.is_empty() || g.len() > IFNAMSIZ_VISIBLE || g.ends_with(|c: char| c.is_ascii_digit()) {
        return Err(fail("ifconfig", "SIOCAIFGROUP: Invalid argument"));
    }
    if st
        .ifaces
        .get(&idx)
        .is_some_and(|i| i.groups.iter().any(|x| x == g))
    {
        return Err(fail("ifconfig", "SIOCAIFGROUP: File exists"));
    }
    set_iface(st, idx, |i| i.groups.push(g.to_string()));
    Ok(())
}

fn last_op<'a>(ops: &'a mut [AddrOp], w: &str) -> R<&'a mut AddrOp> {
    ops.last_mut()
        .ok_or_else(|| fail("ifconfig", format!("{w}: no address given")))
}

/// Words that are commands, so `inet` followed by one of them carries no address.
fn is_keyword(w: &str) -> bool {
    !looks_like_addr(w)
}

fn looks_like_addr(w: &str) -> bool {
    let a = w.split_once('/').map_or(w, |(a, _)| a);
    a.parse::<Ipv4Addr>().is_ok()
        || a.split('%')
            .next()
            .is_some_and(|a| a.parse::<Ipv6Addr>().is_ok())
}

/// Capability and misc flags ifconfig accepts that the simulator does not model.
fn is_silent_flag(w: &str) -> bool {
    let w = w.trim_start_matches('-');
    matches!(
        w,
        "txcsum"
            | "rxcsum"
            | "txcsum6"
            | "rxcsum6"
            | "tso"
            | "tso4"
            | "tso6"
            | "lro"
            | "vlanhwtso"
            | "vlanhwtag"
            | "vlanhwcsum"
            | "vlanhwfilter"
            | "vlanmtu"
            | "promisc"
            | "monitor"
            | "arp"
            | "polling"
            | "wol"
            | "debug"
            | "link0"
            | "link1"
            | "link2"
            | "staticarp"
            | "auto_linklocal"
            | "ifdisabled"
            | "accept_rtadv"
            | "nud"
            | "perfnud"
    )
}

fn parse_addr(w: &str, v6: bool) -> R<AddrOp> {
    let (a, p) = match w.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (w, None),
    };
    let max = if v6 { 128 } else { 32 };
    let prefix = match p {
        Some(p) => Some(
            p.parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| fail("ifconfig", format!("{w}: bad value")))?,
        ),
        None => None,
    };
    let ok = if v6 {
        a.split('%')
            .next()
            .is_some_and(|x| x.parse::<Ipv6Addr>().is_ok())
    } else {
        a.parse::<Ipv4Addr>().is_ok()
    };
    if !ok {
        return Err(fail("ifconfig", format!("{w}: bad value")));
    }
    Ok(AddrOp {
        v6,
        addr: a.to_string(),
        prefix,
        mode: AddrMode::Set,
    })
}

/// `255.255.255.0` or `0xffffff00` → 24.
fn parse_netmask(m: &str) -> R<u8> {
    let bits = if let Some(h) = m.strip_prefix("0x") {
        u32::from_str_radix(h, 16).ok()
    } else {
        m.parse::<Ipv4Addr>().ok().map(u32::from)
    };
    match bits {
        Some(b) if b.leading_ones() + b.trailing_zeros() == 32 => Ok(b.leading_ones() as u8),
        Some(0) => Ok(0),
        _ => Err(fail("ifconfig", format!("{m}: bad value"))),
    }
}

/// Classful default mask when none is given.
fn classful(a: Ipv4Addr) -> u8 {
    match a.octets()[0] {
        0..=127 => 8,
        128..=191 => 16,
        _ => 24,
    }
}

fn apply_addr(st: &mut SimState, vnet: &VnetId, idx: u32, op: AddrOp) -> R<()> {
    if op.v6 {
        let addr: Ipv6Addr = op
            .addr
            .split('%')
            .next()
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| fail("ifconfig", format!("{}: bad value", op.addr)))?;
        if op.mode == AddrMode::Delete {
            let has = st
                .ifaces
                .get(&idx)
                .is_some_and(|i| i.inet6.iter().any(|x| x.addr == addr));
            if !has {
                return Err(fail(
                    "ifconfig",
                    "ioctl (SIOCDIFADDR_IN6): Can't assign requested address",
                ));
            }
            set_iface(st, idx, |i| i.inet6.retain(|x| x.addr != addr));
            return Ok(());
        }
        let clash = st
            .in_vnet(vnet)
            .any(|i| i.index != idx && i.inet6.iter().any(|x| x.addr == addr));
        if clash {
            return Err(fail("ifconfig", "ioctl (SIOCAIFADDR_IN6): File exists"));
        }
        let prefix = op.prefix.unwrap_or(64);
        set_iface(st, idx, |i| {
            if let Some(x) = i.inet6.iter_mut().find(|x| x.addr == addr) {
                x.prefix = prefix;
            } else {
                i.inet6.push(Inet6 { addr, prefix });
            }
        });
        return Ok(());
    }
    let addr: Ipv4Addr = op
        .addr
        .parse()
        .map_err(|_| fail("ifconfig", format!("{}: bad value", op.addr)))?;
    if op.mode == AddrMode::Delete {
        let has = st
            .ifaces
            .get(&idx)
            .is_some_and(|i| i.inet.iter().any(|x| x.addr == addr));
        if !has {
            return Err(fail(
                "ifconfig",
                "ioctl (SIOCDIFADDR): Can't assign requested address",
            ));
        }
        set_iface(st, idx, |i| i.inet.retain(|x| x.addr != addr));
        return Ok(());
    }
    let clash = st
        .in_vnet(vnet)
        .any(|i| i.index != idx && i.inet.iter().any(|x| x.addr == addr));
    if clash {
        return Err(fail("ifconfig", "ioctl (SIOCAIFADDR): File exists"));
    }
    let prefix = op.prefix.unwrap_or_else(|| classful(addr));
    let replace_first = op.mode == AddrMode::Set;
    set_iface(st, idx, |i| {
        if replace_first && !i.inet.is_empty() {
            i.inet.remove(0);
        }
        if let Some(x) = i.inet.iter_mut().find(|x| x.addr == addr) {
            x.prefix = prefix;
        } else if replace_first {
            i.inet.insert(0, Inet4 { addr, prefix });
        } else {
            i.inet.push(Inet4 { addr, prefix });
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};

    fn ok(h: &mut SimHost, args: &[&str]) -> String {
        let o = h.sh("ifconfig", args);
        assert_eq!(o.status, 0, "ifconfig {args:?}: {}", o.stderr);
        o.stdout
    }

    #[test]
    fn epair_create_prints_the_a_end_and_makes_both() {
        // §1.2: `ifconfig epair create` prints `epairNa`, both ends exist, admin-down.
        let mut h = SimHost::fresh();
        assert_eq!(ok(&mut h, &["epair", "create"]), "epair0a\n");
        assert_eq!(ok(&mut h, &["epair", "create"]), "epair1a\n");
        let b = h.iface(&VnetId::Host, "epair0b").expect("b end");
        assert!(!b.up);
        assert_eq!(b.groups, ["epair"]);
        assert!(b.mac.as_deref().is_some_and(|m| m.ends_with(":0b")));
    }

    #[test]
    fn explicit_unit_and_existing_names() {
        let mut h = SimHost::fresh();
        // §1.2: `bridge3 create` prints nothing (name unchanged); `epair7 create` → `epair7a`.
        assert_eq!(ok(&mut h, &["bridge3", "create"]), "");
        assert_eq!(ok(&mut h, &["epair7", "create"]), "epair7a\n");
        let o = h.sh("ifconfig", &["bridge3", "create"]);
        assert_eq!(
            (o.status, o.stderr.as_str()),
            (1, "ifconfig: interface bridge3 already exists\n")
        );
        // `create` followed by more words configures the existing interface.
        assert_eq!(ok(&mut h, &["bridge3", "create", "up"]), "");
        assert!(h.iface(&VnetId::Host, "bridge3").is_some_and(|b| b.up));
    }

    #[test]
    fn unknown_interface_is_an_error() {
        // §1.1 [V]
        let mut h = SimHost::fresh();
        let o = h.sh("ifconfig", &["nope0", "up"]);
        assert_eq!(o.status, 1);
        assert_eq!(o.stderr, "ifconfig: interface nope0 does not exist\n");
    }

    #[test]
    fn lowest_free_unit_is_reused_but_renamed_clones_keep_theirs() {
        // §1.2 unit recycling [T]
        let mut h = SimHost::fresh();
        ok(&mut h, &["vxlan", "create"]);
        assert_eq!(ok(&mut h, &["vxlan0", "name", "vx111"]), "vx111\n");
        assert_eq!(ok(&mut h, &["vxlan", "create"]), "vxlan1\n");
        ok(&mut h, &["vxlan1", "destroy"]);
        assert_eq!(ok(&mut h, &["vxlan", "create"]), "vxlan1\n");
    }

    #[test]
    fn destroying_either_epair_end_takes_both() {
        // §3 [V]: pair-wide destroy, unit freed.
        let mut h = SimHost::fresh();
        ok(&mut h, &["epair", "create"]);
        ok(&mut h, &["epair0b", "destroy"]);
        assert!(h.iface(&VnetId::Host, "epair0a").is_none());
        assert!(h.iface(&VnetId::Host, "epair0b").is_none());
        assert_eq!(ok(&mut h, &["epair", "create"]), "epair0a\n");
    }

    #[test]
    fn inet_without_alias_replaces_and_alias_adds() {
        // §1.3 [V]
        let mut h = SimHost::fresh();
        ok(&mut h, &["bridge0", "create"]);
        ok(&mut h, &["bridge0", "inet", "10.0.0.1/24"]);
        ok(&mut h, &["bridge0", "inet", "10.0.1.1/24"]);
        ok(&mut h, &["bridge0", "inet", "10.0.2.1/24", "alias"]);
        let b = h.iface(&VnetId::Host, "bridge0").expect("bridge0");
        let a: Vec<String> = b
            .inet
            .iter()
            .map(|a| format!("{}/{}", a.addr, a.prefix))
            .collect();
        assert_eq!(a, ["10.0.1.1/24", "10.0.2.1/24"]);
        let o = h.sh("ifconfig", &["bridge0", "inet", "10.9.9.9", "-alias"]);
        assert_eq!(
            o.stderr,
            "ifconfig: ioctl (SIOCDIFADDR): Can't assign requested address\n"
        );
        assert_eq!(o.status, 1);
        ok(&mut h, &["bridge0", "inet", "10.0.2.1", "-alias"]);
        assert_eq!(
            h.iface(&VnetId::Host, "bridge0").map(|b| b.inet.len()),
            Some(1)
        );
    }

    #[test]
    fn netmask_words_and_inet6() {
        let mut h = SimHost::fresh();
        ok(&mut h, &["lo1", "create"]);
        ok(
            &mut h,
            &[
                "lo1",
                "inet",
                "172.31.255.17",
                "netmask",
                "255.255.255.255",
                "alias",
            ],
        );
        ok(&mut h, &["lo1", "inet6", "fd00::1/64", "alias"]);
        let lo = h.iface(&VnetId::Host, "lo1").expect("lo1");
        assert_eq!(lo.inet[0].prefix, 32);
        assert_eq!(lo.inet6[0].prefix, 64);
        ok(&mut h, &["lo1", "inet6", "fd00::1", "-alias"]);
        assert!(h
            .iface(&VnetId::Host, "lo1")
            .is_some_and(|l| l.inet6.is_empty()));
    }

    #[test]
    fn rename_collision_and_length() {
        // §1.3 [V message]
        let mut h = SimHost::fresh();
        ok(&mut h, &["bridge", "create"]);
        let o = h.sh("ifconfig", &["bridge0", "name", "em0"]);
        assert_eq!(
            o.stderr,
            "ifconfig: ioctl SIOCSIFNAME (set name): File exists\n"
        );
        let o = h.sh("ifconfig", &["bridge0", "name", "a_name_longer_than_15"]);
        assert_eq!(o.status, 1);
        // creating and naming in one call prints the final name once
        assert_eq!(
            ok(&mut h, &["bridge", "create", "name", "vm-services", "up"]),
            "vm-services\n"
        );
    }

    #[test]
    fn groups_and_description() {
        let mut h = SimHost::fresh();
        ok(
            &mut h,
            &[
                "epair",
                "create",
                "group",
                "jailnet",
                "description",
                "jailnet www vnet0",
            ],
        );
        assert_eq!(ok(&mut h, &["-g", "jailnet"]), "epair0a\n");
        assert_eq!(ok(&mut h, &["-g", "epair"]), "epair0a\nepair0b\n");
        ok(&mut h, &["epair0a", "-group", "jailnet"]);
        assert_eq!(ok(&mut h, &["-g", "jailnet"]), "");
        let o = h.sh("ifconfig", &["epair0a", "-group", "jailnet"]);
        assert_eq!(o.status, 1);
        assert_eq!(
            h.iface(&VnetId::Host, "epair0a")
                .and_then(|i| i.description.clone())
                .as_deref(),
            Some("jailnet www vnet0")
        );
    }

    #[test]
    fn dot_vlan_and_vlan_create() {
        let mut h = SimHost::fresh();
        assert_eq!(ok(&mut h, &["em0.101", "create"]), "");
        assert_eq!(
            ok(&mut h, &["vlan", "create", "vlan", "102", "vlandev", "em0"]),
            "vlan1\n"
        );
        assert_eq!(ok(&mut h, &["-g", "vlan"]), "em0.101\nvlan1\n");
        let o = h.sh("ifconfig", &["em9.5", "create"]);
        assert_eq!(o.status, 1);
    }

    #[test]
    fn addresses_are_applied_after_flags() {
        // §1.1: `inet A/24 alias up` sets UP and adds the address; both persist.
        let mut h = SimHost::fresh();
        ok(&mut h, &["tap", "create"]);
        ok(&mut h, &["tap0", "inet", "10.5.0.1/24", "alias", "up"]);
        let t = h.iface(&VnetId::Host, "tap0").expect("tap0");
        assert!(t.up);
        assert_eq!(t.inet.len(), 1);
    }
}
