//! VM NICs: a persistent tap in the host namespace with its MAC, MTU and tag, a
//! port of the switch, `isolated` on a private switch before it comes up.

use jailnet_plan::{Change, Op, Resource};

use super::observe::HostView;
use super::{
    ensure_free, first_error, ignore_missing, mac_addr, model_mac, observed_mtu, tag, LinuxBackend,
};
use crate::conn::Request;
use crate::error::Result;
use crate::tap::{create_tap, create_tap_in};
use crate::types::LinkRef;

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, &change.before, &change.after) {
        (Op::Create, _, Some(r)) => create(b, r, &tag(&change.id)),
        (Op::Delete, Some(Resource::Tap { ifname, .. }), _) => {
            ignore_missing(b.host()?.nl.delete_link(ifname.as_str()))?;
            b.host_removed(ifname.as_str());
            Ok(())
        }
        _ => Ok(()),
    }
}

fn create(b: &mut LinuxBackend, r: &Resource, alias: &str) -> Result<()> {
    let Resource::Tap {
        ifname,
        switch,
        mac,
        private,
        mtu,
        ..
    } = r
    else {
        return Ok(());
    };
    let name = ifname.as_str();
    ensure_free(b, "tap", name)?;
    let br = b.host_index(switch.as_str())?;
    let host = b.host()?;
    match &host.fd {
        Some(fd) => create_tap_in(fd, name)?,
        None => create_tap(name)?,
    }
    let rest = (|| -> Result<u32> {
        let index = host.nl.index_of(LinkRef::Name(name))?;
        let mut reqs = vec![Request::set_mac(index.into(), mac_addr(mac))];
        if let Some(m) = mtu {
            reqs.push(Request::set_mtu(index.into(), *m));
        }
        reqs.push(Request::set_master(index.into(), Some(br)));
        reqs.push(Request::set_alias(index.into(), alias));
        if *private {
            reqs.push(Request::set_isolated(index, true));
        }
        reqs.push(Request::set_up(index.into(), true));
        first_error(host.nl.execute_batch(reqs))?;
        Ok(index)
    })();
    match rest {
        Ok(index) => {
            b.host_created(name, Some(index));
            Ok(())
        }
        Err(e) => {
            let _ = host.nl.delete_link(name);
            Err(e)
        }
    }
}

/// The tap `want` as the host has it.
pub(super) fn observe(want: &Resource, host: &HostView) -> Option<Resource> {
    let Resource::Tap {
        vm,
        index,
        ifname,
        mtu,
        ..
    } = want
    else {
        return None;
    };
    let link = host.link(ifname.as_str())?;
    if link.kind.as_deref() != Some("tun") {
        return None;
    }
    Some(Resource::Tap {
        vm: vm.clone(),
        index: *index,
        ifname: ifname.clone(),
        switch: host
            .master_name(link)
            .and_then(super::ifname)
            .unwrap_or_else(|| ifname.clone()),
        mac: link
            .mac
            .map(model_mac)
            .unwrap_or(jailnet_model::net::Mac([0; 6])),
        private: link.isolated.unwrap_or(false),
        mtu: observed_mtu(*mtu, link.mtu),
    })
}

pub(super) fn commands(change: &Change) -> Vec<String> {
    match (change.op, &change.before, &change.after) {
        (
            Op::Create,
            _,
            Some(Resource::Tap {
                ifname,
                switch,
                mac,
                private,
                mtu,
                ..
            }),
        ) => {
            let n = LinkRef::Name(ifname.as_str());
            let mut out = vec![format!(
                "create tap {ifname} (ioctl TUNSETIFF + TUNSETPERSIST)"
            )];
            out.push(Request::set_mac(n, mac_addr(mac)).describe().to_string());
            if let Some(m) = mtu {
                out.push(Request::set_mtu(n, *m).describe().to_string());
            }
            out.push(format!("set link {ifname} master {switch}"));
            out.push(
                Request::set_alias(n, &tag(&change.id))
                    .describe()
                    .to_string(),
            );
            if *private {
                out.push(Request::set_port_isolated(n, true).describe().to_string());
            }
            out.push(Request::set_up(n, true).describe().to_string());
            out
        }
        (Op::Delete, Some(Resource::Tap { ifname, .. }), _) => {
            vec![Request::delete_link(LinkRef::Name(ifname.as_str()))
                .describe()
                .to_string()]
        }
        _ => Vec::new(),
    }
}
