//! Firewall and guard resources on Linux: kept in memory while a plan is applied, then
//! written as the whole `inet jailnet` and `bridge jailnet` tables in ONE `nft -f -`
//! transaction at commit. Observed by listing only jailnet's own two tables and checking
//! each resource's tagged rules.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use jailnet_host::{Host, Invocation, JailEntry, SystemHost};
use jailnet_plan::resource::FwRule;
use jailnet_plan::{Change, Observed, Op, Resource, ResourceId};

use super::LinuxBackend;
use crate::error::{Error, Result};
use crate::nft;

/// Run `nft` with `args` (and `stdin`) in the host namespace.
fn run_nft(b: &LinuxBackend, args: &[&str], stdin: Option<String>) -> Result<jailnet_host::Output> {
    let mut inv = Invocation::new("nft", args.iter().copied());
    if let Some(ns) = &b.opts.host_netns {
        inv = inv.in_jail(ns);
    }
    if let Some(s) = stdin {
        inv = inv.with_stdin(s);
    }
    SystemHost::new(JailEntry::Netns)
        .run(&inv)
        .map_err(|e| Error::Invalid {
            op: format!("run {inv}"),
            reason: format!("{e} (is the nftables package installed?)"),
        })
}

/// Look at tables `inet jailnet` and `bridge jailnet` for the firewall and guard resources
/// in `scope`: report those whose rules are all there and unchanged as they are, others
/// that have rules as changed, and remember what is loaded so commit can rewrite the
/// tables whole. Tagged rules of resources outside `scope` are reported as leftovers
/// (stand-ins the plan deletes; commit then leaves them out).
pub(super) fn observe(b: &mut LinuxBackend, scope: &[&Resource], o: &mut Observed) -> Result<()> {
    let wanted: Vec<&Resource> = scope
        .iter()
        .copied()
        .filter(|r| matches!(r, Resource::Firewall { .. } | Resource::Guard { .. }))
        .collect();
    b.fw.clear();
    b.fw_dirty = false;
    let mut tags: BTreeMap<ResourceId, BTreeMap<String, usize>> = BTreeMap::new();
    // Which of jailnet's tables exist, over netlink: a table that is not there has no
    // rules to read, and `nft` is not run for it. (If the query fails, `nft` decides.)
    let present = {
        let host = b.host()?;
        crate::nftables::tables(host.fd.as_ref()).ok()
    };
    for (family, code) in [
        ("inet", crate::nftables::FAMILY_INET),
        ("bridge", crate::nftables::FAMILY_BRIDGE),
    ] {
        if present
            .as_ref()
            .is_some_and(|p| !p.contains(&(code, nft::TABLE.to_string())))
        {
            continue;
        }
        let out = match run_nft(b, &["-j", "list", "table", family, nft::TABLE], None) {
            Ok(out) => out,
            // Without nft there can be no jailnet table; that only matters when rules are
            // wanted.
            Err(_) if wanted.is_empty() => return Ok(()),
            Err(e) => return Err(e),
        };
        if out.success() {
            tags.extend(nft::observed_tags(&out.stdout).unwrap_or_default());
        }
    }
    for id in tags.keys() {
        o.tagged.insert(id.clone());
    }
    for r in &wanted {
        let id = r.id();
        let Some(seen) = tags.get(&id) else { continue };
        let intact =
            seen.len() == 1 && seen.get(&nft::tag_hash(r)) == Some(&nft::expected_rules(r));
        b.fw.insert(id, (*r).clone());
        if intact {
            o.insert((*r).clone(), true);
        } else {
            // Rules are there but not these: report a value that differs, so the plan
            // rewrites them.
            o.insert(damaged(r), true);
        }
    }
    if tags.is_empty() {
        return Ok(());
    }
    let in_scope: BTreeSet<ResourceId> = scope.iter().map(|r| r.id()).collect();
    for id in tags.keys().filter(|id| !in_scope.contains(*id)) {
        if let Some(r) = leftover(id) {
            o.insert(r, true);
        }
    }
    Ok(())
}

/// A value that differs from `r`, for rules that are there but not `r`'s.
fn damaged(r: &Resource) -> Resource {
    match r {
        Resource::Firewall { anchor, .. } => Resource::Firewall {
            anchor: anchor.clone(),
            rules: Vec::new(),
        },
        Resource::Guard {
            owner, port, mac, ..
        } => super::guard::damaged(owner, port, *mac),
        other => other.clone(),
    }
}

/// A stand-in for tagged rules no resource in scope claims (a lost state file), so the
/// plan can delete them.
fn leftover(id: &ResourceId) -> Option<Resource> {
    let (kind, rest) = id.0.split_once(':')?;
    match kind {
        "firewall" => Some(Resource::Firewall {
            anchor: rest.to_string(),
            rules: Vec::new(),
        }),
        "guard" => super::guard::leftover(rest),
        _ => None,
    }
}

/// Record a firewall or guard change; nothing reaches the kernel until [`commit`].
pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, &change.after) {
        (Op::Delete, _) => {
            b.fw.remove(&change.id);
        }
        (_, Some(after)) => {
            b.fw.insert(change.id.clone(), after.clone());
        }
        _ => {}
    }
    b.fw_dirty = true;
    Ok(())
}

/// Write both tables in one transaction, if anything changed.
pub(super) fn commit(b: &mut LinuxBackend) -> Result<()> {
    if !b.fw_dirty {
        return Ok(());
    }
    let uplinks: BTreeSet<String> =
        b.fw.values()
            .flat_map(|r| match r {
                Resource::Firewall { rules, .. } => rules
                    .iter()
                    .filter_map(|x| match x {
                        FwRule::Rdr { on, dst: None, .. } => Some(on.to_string()),
                        _ => None,
                    })
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            })
            .collect();
    let mut addrs: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    if !uplinks.is_empty() {
        let conn = b.host()?;
        let links = conn.nl.links()?;
        let all = conn.nl.addresses()?;
        for l in links.iter().filter(|l| uplinks.contains(&l.name)) {
            let v: Vec<IpAddr> = all
                .iter()
                .filter(|a| a.index == l.index)
                .map(|a| a.addr)
                .filter(|a| !matches!(a, IpAddr::V6(v) if (v.segments()[0] & 0xffc0) == 0xfe80))
                .collect();
            addrs.insert(l.name.clone(), v);
        }
    }
    let list: Vec<&Resource> = b.fw.values().collect();
    let script = nft::render(&list, &addrs);
    let out = run_nft(b, &["-f", "-"], Some(script))?;
    if !out.success() {
        return Err(Error::Invalid {
            op: "load tables inet jailnet and bridge jailnet (nft -f -)".into(),
            reason: out.stderr.trim().to_string(),
        });
    }
    b.fw_dirty = false;
    Ok(())
}

/// What a firewall change will do, for `plan --commands`.
pub(super) fn commands(change: &Change) -> Vec<String> {
    let what = change.resource().map(|r| r.summary()).unwrap_or_default();
    vec![format!(
        "nft -f - (table inet jailnet rewritten once per apply): {} {what}",
        match change.op {
            Op::Create => "add",
            Op::Update => "replace",
            Op::Delete => "remove",
        }
    )]
}
