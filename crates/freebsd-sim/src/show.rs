//! The text behind `jailnet sim show`: per vnet `ifconfig -a`, routes, pf and ipfw; then
//! `jls`, the devfs rulesets that differ from the stock ones, and running daemons.

use crate::exec::{dispatch, Caller};
use crate::state::{SimState, VnetId};

/// Renders the whole simulated host. Read-only: it runs the read-only tools on a copy.
pub(crate) fn render(st: &SimState) -> String {
    let mut st = st.clone();
    let mut s = String::new();
    let run = |st: &mut SimState, c: &Caller, prog: &str, args: &[&str]| -> String {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        dispatch(st, c, prog, &args, None).stdout
    };
    for vnet in st.vnets() {
        let caller = match &vnet {
            VnetId::Host => Caller::host(),
            VnetId::Jail(j) => match Caller::in_jail(&st, j) {
                Some(c) => c,
                None => continue,
            },
        };
        let title = match &vnet {
            VnetId::Host => "host".to_string(),
            VnetId::Jail(j) => format!("vnet jail {j}"),
        };
        s.push_str(&format!("=== {title}: ifconfig -a ===\n"));
        s.push_str(&run(&mut st, &caller, "ifconfig", &["-a"]));
        if let Some(net) = st.net(&vnet) {
            s.push_str(&format!("=== {title}: routes ===\n"));
            for r in net.routes.values() {
                s.push_str(&format!(
                    "{} {} via {} ({})\n",
                    if r.inet6 { "inet6" } else { "inet" },
                    r.dest,
                    r.gateway,
                    r.iface
                ));
            }
            let pf = net.pf.clone();
            s.push_str(&format!(
                "=== {title}: pf ({}) ===\n",
                if pf.enabled { "enabled" } else { "disabled" }
            ));
            for l in pf.main.nat.iter().chain(pf.main.filter.iter()) {
                s.push_str(&format!("{l}\n"));
            }
            for (name, rs) in &pf.anchors {
                s.push_str(&format!("anchor {name}:\n"));
                for l in rs.nat.iter().chain(rs.filter.iter()) {
                    s.push_str(&format!("  {l}\n"));
                }
                for (t, addrs) in &rs.tables {
                    let a: Vec<&str> = addrs.iter().map(String::as_str).collect();
                    s.push_str(&format!("  table <{t}> {{ {} }}\n", a.join(", ")));
                }
            }
            s.push_str(&format!("=== {title}: ipfw list ===\n"));
            s.push_str(&run(&mut st, &caller, "ipfw", &["list"]));
        }
    }
    s.push_str("=== jls ===\n");
    s.push_str(&run(&mut st, &Caller::host(), "jls", &["-N"]));
    let stock = crate::devfs::stock_rulesets();
    s.push_str("=== devfs rulesets (non-stock) ===\n");
    for (n, rules) in &st.devfs {
        if stock.get(n) == Some(rules) {
            continue;
        }
        s.push_str(&format!("[{n}]\n"));
        for (num, r) in rules {
            s.push_str(&format!("{num} {r}\n"));
        }
    }
    if !st.procs.is_empty() {
        s.push_str("=== processes ===\n");
        for (pid, p) in &st.procs {
            let at = p.jail.as_deref().unwrap_or("host");
            s.push_str(&format!("{pid:>5} {at:<10} {}\n", p.argv.join(" ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use crate::SimHost;

    #[test]
    fn show_has_every_section_and_does_not_change_the_host() {
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        let before = h.clone();
        let s = h.show();
        for part in ["=== host: ifconfig -a ===\nem0: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n", "\nlo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384\n", "=== vnet jail www: ifconfig -a ===", "=== jls ===\n JID", "=== host: ipfw list ===\n65535 deny ip from any to any\n"] {
            assert!(s.contains(part), "missing {part:?} in\n{s}");
        }
        assert_eq!(h, before);
    }
}
