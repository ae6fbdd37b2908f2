//! `arp(8)` and `ndp(8)`, the permanent entries only: `arp -S A MAC` / `ndp -s A MAC`
//! add one (replacing any), `arp -d A` / `ndp -d A` delete it, `arp -an` / `ndp -an`
//! list them, per vnet. Dynamic entries are not kept; the reachability queries decide
//! from the permanent ones whether a forged ARP/NDP answer would be believed (a
//! permanent entry is never changed by what arrives). Output forms are arp.8/ndp.8's
//! usual ones ([I]: not pinned by the reference).

use crate::exec::{fail, Caller, R};
use crate::state::{Neighbour, SimState, VnetId};
use jailnet_host::Output;
use std::net::IpAddr;

/// Runs `arp ARGS…` or `ndp ARGS…`.
pub(crate) fn run(st: &mut SimState, caller: &Caller, prog: &str, args: &[String]) -> Output {
    match neigh(st, caller, prog, args) {
        Ok(o) | Err(o) => o,
    }
}

fn neigh(st: &mut SimState, caller: &Caller, prog: &str, args: &[String]) -> R<Output> {
    let v6 = prog == "ndp";
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let usage = || Output::fail(1, format!("usage: {prog} …\n"));
    let vnet = caller.vnet.clone();
    match a.as_slice() {
        ["-an"] | ["-a", "-n"] | ["-na"] => Ok(Output::ok(list(st, &vnet, v6))),
        [set, ip, mac] if (!v6 && *set == "-S") || (v6 && *set == "-s") => {
            if caller.non_vnet_jail() {
                return Err(fail(
                    prog,
                    "writing to routing socket: Operation not permitted",
                ));
            }
            let addr: IpAddr = ip
                .parse()
                .ok()
                .filter(|a: &IpAddr| a.is_ipv6() == v6)
                .ok_or_else(|| fail(prog, format!("{ip}: Unknown host")))?;
            let mac = crate::state::parse_mac(mac)
                .ok_or_else(|| fail(prog, format!("invalid Ethernet address '{mac}'")))?;
            let ifname = on_link(st, &vnet, addr).ok_or_else(|| {
                fail(
                    prog,
                    format!("cannot intuit interface index and type for {ip}"),
                )
            })?;
            let net = st
                .net_mut(&vnet)
                .ok_or_else(|| fail(prog, "no network stack"))?;
            net.neighbours.insert(addr, Neighbour { mac, ifname });
            Ok(Output::ok(""))
        }
        ["-d", ip] => {
            let addr: IpAddr = ip
                .parse()
                .map_err(|_| fail(prog, format!("{ip}: Unknown host")))?;
            let gone = st
                .net_mut(&vnet)
                .and_then(|n| n.neighbours.remove(&addr))
                .is_some();
            if gone {
                Ok(Output::ok(if v6 {
                    String::new()
                } else {
                    format!("{ip} ({ip}) deleted\n")
                }))
            } else {
                Err(fail(prog, format!("delete: cannot locate {ip}")))
            }
        }
        _ => Err(usage()),
    }
}

/// Drops the entries whose interface is gone or no longer has the entry's subnet (the
/// kernel frees an interface's table with it, and a prefix's entries with its address).
pub(crate) fn prune(st: &mut SimState) {
    for vnet in st.vnets() {
        let Some(net) = st.net(&vnet) else { continue };
        let dead: Vec<IpAddr> = net
            .neighbours
            .iter()
            .filter(|(a, n)| on_link(st, &vnet, **a).as_deref() != Some(n.ifname.as_str()))
            .map(|(a, _)| *a)
            .collect();
        if let Some(net) = st.net_mut(&vnet) {
            for a in dead {
                net.neighbours.remove(&a);
            }
        }
    }
}

/// The interface of `vnet` with an address whose subnet holds `addr`.
fn on_link(st: &SimState, vnet: &VnetId, addr: IpAddr) -> Option<String> {
    st.in_vnet(vnet).find_map(|i| {
        let hit = match addr {
            IpAddr::V4(a) => i.inet.iter().any(|x| x.contains(a)),
            IpAddr::V6(a) => i.inet6.iter().any(|x| x.contains(a)),
        };
        hit.then(|| i.name.clone())
    })
}

fn list(st: &SimState, vnet: &VnetId, v6: bool) -> String {
    let mut out = String::new();
    if v6 {
        out.push_str(
            "Neighbor                             Linklayer Address  Netif Expire    S Flags\n",
        );
    }
    for (a, n) in st.net(vnet).map(|n| &n.neighbours).into_iter().flatten() {
        if a.is_ipv6() != v6 {
            continue;
        }
        if v6 {
            out.push_str(&format!(
                "{a:<36} {:<18} {:<5} permanent R\n",
                n.mac, n.ifname
            ));
        } else {
            out.push_str(&format!(
                "? ({a}) at {} on {} permanent [ethernet]\n",
                n.mac, n.ifname
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{SimHost, VnetId};

    #[test]
    fn permanent_entries_on_link_only() {
        let mut h = SimHost::fresh();
        let ok = |h: &mut SimHost, p: &str, a: &[&str]| {
            let o = h.sh(p, a);
            assert!(o.success(), "{p} {a:?}: {}", o.stderr);
            o.stdout
        };
        ok(&mut h, "arp", &["-S", "192.168.0.7", "02:00:00:00:00:07"]);
        assert_eq!(
            ok(&mut h, "arp", &["-an"]),
            "? (192.168.0.7) at 02:00:00:00:00:07 on em0 permanent [ethernet]\n"
        );
        let o = h.sh("arp", &["-S", "10.9.9.9", "02:00:00:00:00:07"]);
        assert_eq!(
            o.stderr,
            "arp: cannot intuit interface index and type for 10.9.9.9\n"
        );
        ok(&mut h, "arp", &["-d", "192.168.0.7"]);
        assert!(!h.sh("arp", &["-d", "192.168.0.7"]).success());
        assert_eq!(h.state(), SimHost::fresh().state());
        let _ = VnetId::Host;
    }
}
