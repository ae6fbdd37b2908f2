//! iocage / libioc jails (`config.json` properties) → jailnet: one `[jail.NAME]` each,
//! the bridges they name as `kind = "manual"` switches (they exist on the host; iocage
//! never owned them), shared-IP aliases, `nat_forwards` → `expose`, `resolver`,
//! `defaultrouter*`. iocage's NAT mode (`nat=1`) becomes a NAT switch `iocnat` whose
//! subnet comes from `nat_prefix`, with `auto` addresses (iocage allocates them too).

use super::{jail_name, new_switch, other_keys_note, truthy, Annotated, ImportError};
use crate::config::*;
use crate::iocage::jail_from_props;
use crate::names::IfName;
use crate::net::Cidr;
use std::collections::BTreeMap;

/// One iocage jail as read from disk.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// The jail's name when its properties do not carry one (the directory name).
    pub name: String,
    /// Where it was read from (for the comments).
    pub origin: String,
    pub props: BTreeMap<String, String>,
}

/// Properties this importer reads (directly or through [`jail_from_props`]).
const READ: &[&str] = &[
    "host_hostuuid",
    "id",
    "vnet",
    "interfaces",
    "ip4_addr",
    "ip6_addr",
    "ip4",
    "ip6",
    "dhcp",
    "bpf",
    "defaultrouter",
    "defaultrouter6",
    "resolver",
    "nat",
    "nat_forwards",
    "nat_prefix",
    "nat_interface",
    "nat_backend",
    "allow_raw_sockets",
    "vnet_default_interface",
    "vnet_interfaces",
    "exec_fib",
    "mac_prefix",
    "vnet0_mac",
    "vnet1_mac",
    "vnet2_mac",
    "vnet3_mac",
];

/// Networking properties jailnet has no equivalent for, with iocage's default (a value
/// equal to the default is not worth a note).
const UNMAPPED: &[(&str, &str)] = &[
    ("ip4_saddrsel", "1"),
    ("ip6_saddrsel", "1"),
    ("rtsold", "0"),
    ("allow_tun", "0"),
    ("vnet0_mtu", "auto"),
    ("vnet1_mtu", "auto"),
    ("vnet2_mtu", "auto"),
    ("vnet3_mtu", "auto"),
    ("vnet_default_mtu", "1500"),
    ("assign_localhost", "0"),
    ("localhost_ip", "none"),
    ("devfs_ruleset", "4"),
    ("min_dyn_devfs_ruleset", "1000"),
    ("ip_hostname", "0"),
    ("allow_socket_af", "0"),
];

/// Defaults whose presence `jail_from_props` would otherwise note.
const DEFAULTS: &[(&str, &str)] = &[
    ("nat_prefix", "172.16"),
    ("nat_backend", "ipfw"),
    ("nat_interface", "none"),
    ("vnet_default_interface", "auto"),
    ("vnet_default_interface", "none"),
    ("exec_fib", "0"),
];

/// The switch iocage's NAT mode becomes.
pub const NAT_SWITCH: &str = "iocnat";

/// Convert iocage jails. `uplink` overrides the host's outside interface (iocage uses the
/// default route's; `nat_interface` or `vnet_default_interface` when a jail names one).
pub fn import(sources: &[Source], uplink: Option<&IfName>) -> Result<Annotated, Vec<ImportError>> {
    let mut doc = Annotated::default();
    let mut errs = Vec::new();
    doc.header
        .push("jailnet.toml converted from iocage by `jailnet import iocage`.".into());
    let uplink = match uplink.cloned().or_else(|| guess_uplink(sources)) {
        Some(u) => u,
        None => {
            doc.header.push(
                "[host] uplink em0 is assumed (iocage uses the default route's interface);".into(),
            );
            doc.header
                .push("pass --uplink IF to name the host's outside interface.".into());
            IfName::new("em0").map_err(|e| vec![ImportError::new("em0", e.to_string())])?
        }
    };
    doc.cfg.host.uplink = Some(uplink.clone());
    for src in sources {
        // iocage keeps the name in host_hostuuid, libioc in id.
        let raw_name = ["host_hostuuid", "id"]
            .iter()
            .find_map(|k| src.props.get(*k).filter(|n| !n.is_empty()))
            .unwrap_or(&src.name);
        let (name, renamed) = match jail_name(raw_name) {
            Ok(x) => x,
            Err(e) => {
                errs.push(e);
                continue;
            }
        };
        let table = format!("jail.{}", crate::export::key(name.as_str()));
        // Values equal to iocage's defaults say nothing; drop them before conversion.
        let mut props = src.props.clone();
        props.retain(|k, v| !DEFAULTS.iter().any(|(dk, dv)| dk == k && dv == v));
        // The NAT interface is [host] uplink now.
        props.retain(|k, v| !(k == "nat_interface" && v.as_str() == uplink.as_str()));
        let nat = props.get("nat").is_some_and(|v| truthy(v));
        let mut ij = match jail_from_props(name.as_str(), &props, Some(&uplink)) {
            Ok(j) => j,
            Err(es) => {
                errs.extend(es.into_iter().map(|e| {
                    ImportError::new(format!("{} ({})", src.origin, e.key), e.to_string())
                }));
                continue;
            }
        };
        doc.comment(&table, format!("from {}", src.origin));
        if let Some(n) = renamed {
            doc.comment(&table, n);
        }
        if nat && ij.jail.is_vnet() {
            nat_mode(&mut doc, &mut ij, &props, &uplink);
        }
        for n in ij.notes {
            if !n.starts_with("nat=1:") {
                let n = n.strip_suffix(" is not carried over").unwrap_or(&n);
                doc.not_carried(&table, n);
            }
        }
        for b in &ij.bridges {
            if ij.jail.nics.iter().any(|n| n.switch.value == b.as_str()) {
                let t = format!("switch.{b}");
                if !doc.cfg.switches.contains_key(b.as_str()) {
                    doc.cfg
                        .switches
                        .insert(b.to_string(), new_switch(b, SwitchKind::Manual));
                    doc.comment(
                        &t,
                        "exists on the host (iocage never creates it): jailnet uses it, never removes it",
                    );
                }
            }
        }
        for (k, default) in UNMAPPED {
            if let Some(v) = props
                .get(*k)
                .filter(|v| v.as_str() != *default && !v.is_empty())
            {
                doc.not_carried(&table, format!("{k}={v}"));
            }
        }
        let mut others: Vec<&str> = props
            .keys()
            .map(String::as_str)
            .filter(|k| !READ.contains(k) && !UNMAPPED.iter().any(|(u, _)| u == k))
            .collect();
        others.sort_unstable();
        for n in other_keys_note(&others, "properties") {
            doc.not_carried(&table, n);
        }
        doc.cfg.jails.insert(name, ij.jail);
    }
    if errs.is_empty() {
        Ok(doc)
    } else {
        Err(errs)
    }
}

/// iocage NAT mode: the jail gets an address from `nat_prefix` behind NAT on the host;
/// in jailnet that is a NAT switch with an `auto` address for the jail.
fn nat_mode(
    doc: &mut Annotated,
    ij: &mut crate::iocage::IocageJail,
    props: &BTreeMap<String, String>,
    uplink: &IfName,
) {
    let prefix = props
        .get("nat_prefix")
        .map(String::as_str)
        .unwrap_or("172.16");
    let gw = format!("{prefix}.0.1/24")
        .parse::<Cidr>()
        .ok()
        .unwrap_or(Cidr {
            addr: std::net::IpAddr::V4(std::net::Ipv4Addr::new(172, 16, 0, 1)),
            prefix: 24,
        });
    let Ok(swname) = IfName::new(NAT_SWITCH) else {
        return;
    };
    if !doc.cfg.switches.contains_key(NAT_SWITCH) {
        let mut sw = new_switch(&swname, SwitchKind::Bridge);
        sw.addresses.push(Spanned::new(gw, 0..0));
        sw.nat = true;
        doc.cfg.switches.insert(NAT_SWITCH.into(), sw);
        doc.comment(
            &format!("switch.{NAT_SWITCH}"),
            format!(
                "iocage's NAT mode (nat=1): jails behind NAT on {uplink}, addresses from nat_prefix {prefix}"
            ),
        );
    }
    if let Some(n) = ij.jail.nics.first_mut() {
        n.switch = Spanned::new(NAT_SWITCH.into(), 0..0);
        if n.ip4.is_empty() {
            n.ip4.push(Spanned::new(AddrSpec::Auto, 0..0));
        }
    }
    // iocage's /30 per jail is one /24 switch here; the router is the switch's address.
    ij.jail.defaultrouter = Router::Auto;
}

/// The interface a jail names as its outside one, if any.
fn guess_uplink(sources: &[Source]) -> Option<IfName> {
    for key in ["nat_interface", "vnet_default_interface"] {
        for s in sources {
            if let Some(v) = s.props.get(key) {
                if !matches!(v.as_str(), "" | "auto" | "none" | "-") {
                    if let Ok(n) = IfName::new(v) {
                        return Some(n);
                    }
                }
            }
        }
    }
    None
}
