//! [`FreebsdBackend`]: the [`Backend`] over any [`Host`] that speaks the FreeBSD tools.
//!
//! `observe` runs the queries the scope needs once and keeps what it saw (for choosing
//! units and vxlan local addresses); `apply` lowers one change and runs its steps, undoing
//! the change's earlier steps if a later one fails (netgraph creation goes through
//! [`crate::phased`], as it needs the kernel's answers between steps); `commands` lowers
//! without a host (units show as `N`, netgraph's answers as `ngethN` and `linkL`).

use crate::error::Error;
use crate::exec::run_steps;
use crate::lower::{self, cloner_of, Ctx};
use crate::observe::{self, HostView};
use crate::units::Units;
use jailnet_host::Host;
use jailnet_plan::resource::{ResolvConf, SwitchImpl};
use jailnet_plan::{Backend, BackendError, Change, Observed, Op, Resource};
use std::collections::BTreeSet;

/// How often a cloned interface is retried on the next unit when its unit was taken.
const UNIT_ATTEMPTS: usize = 16;

/// The FreeBSD backend over host `H` (the real system, the simulator, or a wrapper).
#[derive(Debug)]
pub struct FreebsdBackend<H: Host> {
    host: H,
    view: Option<HostView>,
    units: Units,
    /// Host interfaces of the netgraph switches in the last observed scope, and of those
    /// created since.
    netgraph: BTreeSet<String>,
}

impl<H: Host> FreebsdBackend<H> {
    pub fn new(host: H) -> Self {
        FreebsdBackend {
            host,
            view: None,
            units: Units::default(),
            netgraph: BTreeSet::new(),
        }
    }

    pub fn host(&self) -> &H {
        &self.host
    }

    pub fn host_mut(&mut self) -> &mut H {
        &mut self.host
    }

    pub fn into_host(self) -> H {
        self.host
    }

    /// What the last `observe` saw.
    pub fn view(&self) -> Option<&HostView> {
        self.view.as_ref()
    }

    fn ctx(&self) -> Ctx {
        Ctx {
            unit: None,
            host_resolv: None,
            local_addrs: self
                .view
                .as_ref()
                .map(HostView::local_addrs)
                .unwrap_or_default(),
            netgraph: self.netgraph.clone(),
        }
    }

    /// Units come from an observation; apply without one looks at `ifconfig -a` first.
    fn ensure_view(&mut self) -> Result<(), Error> {
        if self.view.is_none() {
            let v = observe::gather(&mut self.host, &[])?;
            self.units = Units::from_view(&v);
            self.view = Some(v);
        }
        Ok(())
    }

    /// A netgraph switch or NIC, or an uplink of a netgraph switch.
    fn is_netgraph(&self, r: &Resource) -> bool {
        match r {
            Resource::Switch { imp, .. } => *imp == SwitchImpl::Netgraph,
            Resource::Nic { switch_imp, .. } => *switch_imp == SwitchImpl::Netgraph,
            Resource::Member { switch, .. } => self.netgraph.contains(switch.as_str()),
            _ => false,
        }
    }

    fn apply_change(&mut self, change: &Change) -> Result<(), Error> {
        let r = change
            .resource()
            .ok_or_else(|| Error::Unsupported(format!("{}: empty change", change.id)))?;
        if change.op == Op::Create && self.is_netgraph(r) {
            crate::phased::create(&mut self.host, r)?;
            if let Resource::Switch { ifname, .. } = r {
                self.netgraph.insert(ifname.to_string());
            }
            return Ok(());
        }
        let mut ctx = self.ctx();
        if let Some(Resource::Resolver {
            conf: ResolvConf::Inherit,
            ..
        }) = change.after.as_ref()
        {
            ctx.host_resolv = Some(observe::read_host_resolv(&mut self.host)?);
        }
        match cloner_of(change) {
            None => {
                run_steps(&mut self.host, &lower::lower(change, &ctx)?)?;
            }
            Some(cloner) => self.create_clone(change, cloner, ctx)?,
        }
        if change.op == Op::Delete {
            if let Some(name) = r.host_ifname() {
                self.units.destroyed(name.as_str());
            }
        }
        Ok(())
    }

    /// A change that clones an interface under a chosen unit; on "already exists" the
    /// next unit is tried.
    fn create_clone(&mut self, change: &Change, cloner: &str, mut ctx: Ctx) -> Result<(), Error> {
        self.ensure_view()?;
        let mut last = None;
        for _ in 0..UNIT_ATTEMPTS {
            let unit = self.units.pick(cloner);
            ctx.unit = Some(unit);
            let steps = lower::lower(change, &ctx)?;
            match run_steps(&mut self.host, &steps) {
                Ok(_) => {
                    let name = change
                        .resource()
                        .and_then(Resource::host_ifname)
                        .map(|n| n.to_string());
                    self.units
                        .made(cloner, unit, name.as_deref().unwrap_or_default());
                    return Ok(());
                }
                Err(e) if unit_taken(&e, &steps) => {
                    self.units.mark(cloner, unit);
                    last = Some(e);
                }
                Err(e) => return Err(e),
            }
        }
        Err(last
            .unwrap_or_else(|| Error::Unsupported(format!("{}: no free {cloner} unit", change.id))))
    }
}

impl<H: Host> Backend for FreebsdBackend<H> {
    fn observe(&mut self, scope: &[&Resource]) -> Result<Observed, BackendError> {
        let view = observe::gather(&mut self.host, scope)?;
        self.netgraph = scope
            .iter()
            .filter_map(|r| match r {
                Resource::Switch {
                    ifname,
                    imp: SwitchImpl::Netgraph,
                    ..
                } => Some(ifname.to_string()),
                _ => None,
            })
            .collect();
        self.units = Units::from_view(&view);
        let observed = observe::map(&view, scope);
        self.view = Some(view);
        Ok(observed)
    }

    fn apply(&mut self, change: &Change) -> Result<(), BackendError> {
        self.apply_change(change).map_err(BackendError::from)
    }

    fn commands(&self, change: &Change) -> Vec<String> {
        match lower::lower(change, &self.ctx()) {
            Ok(steps) => steps.iter().map(|s| s.inv.to_string()).collect(),
            Err(e) => vec![format!("# {e}")],
        }
    }
}

/// The first step (the clone itself) failed because its unit is taken: nothing was made.
fn unit_taken(e: &Error, steps: &[crate::exec::Step]) -> bool {
    let Error::Tool { argv, stderr, .. } = e else {
        return false;
    };
    let first = steps.first().map(|s| s.inv.argv().join(" "));
    first.as_deref() == Some(argv.as_str())
        && (stderr.contains("already exists") || stderr.contains("SIOCIFCREATE"))
        && !stderr.contains("SIOCSIFNAME")
}
