//! Default routes inside a VNET jail's namespace, via the jail's gateway.

use jailnet_plan::{Change, Op, Resource};

use super::observe::Views;
use super::{ignore_missing, LinuxBackend};
use crate::conn::Request;
use crate::error::Result;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    if let (Op::Delete | Op::Update, Some(Resource::Route { jail, gateway, .. })) =
        (change.op, &change.before)
    {
        // A jail whose namespace is gone has no route left to delete.
        if change.op == Op::Update || crate::netns::Netns::exists(&b.jail_netns(jail.as_str())) {
            ignore_missing(b.jail(jail.as_str())?.nl.delete_default_route(*gateway))?;
        }
    }
    if let (Op::Create | Op::Update, Some(Resource::Route { jail, gateway, .. })) =
        (change.op, &change.after)
    {
        b.jail(jail.as_str())?
            .nl
            .execute(Request::add_default_route(*gateway, None))?;
    }
    Ok(())
}

/// The jail's default route of `want`'s family (the desired gateway if present).
pub(super) fn observe(want: &Resource, v: &Views) -> Option<Resource> {
    let Resource::Route { jail, v6, gateway } = want else {
        return None;
    };
    let routes = &v.jails.get(jail.as_str())?.routes;
    let gws: Vec<_> = routes
        .iter()
        .filter(|r| r.is_default() && r.dst.is_ipv6() == *v6)
        .filter_map(|r| r.gateway)
        .collect();
    let gw = gws.iter().find(|g| *g == gateway).or(gws.first())?;
    Some(Resource::Route {
        jail: jail.clone(),
        v6: *v6,
        gateway: *gw,
    })
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    let mut out = Vec::new();
    if let (Op::Delete | Op::Update, Some(Resource::Route { jail, gateway, .. })) =
        (change.op, &change.before)
    {
        let ns = b.jail_netns(jail.as_str());
        out.push(format!(
            "{} in netns {ns}",
            Request::delete_default_route(*gateway, None).describe()
        ));
    }
    if let (Op::Create | Op::Update, Some(Resource::Route { jail, gateway, .. })) =
        (change.op, &change.after)
    {
        let ns = b.jail_netns(jail.as_str());
        out.push(format!(
            "{} in netns {ns}",
            Request::add_default_route(*gateway, None).describe()
        ));
    }
    out
}
