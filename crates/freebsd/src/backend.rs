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
use std::collections::{BTreeMap, BTreeSet};

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
    /// The vxlans of the last observed scope and the switches they are members of.
    vxlans: BTreeMap<String, Resource>,
    vxlan_switch: BTreeMap<String, String>,
    /// ipfw rules as last observed, kept up to date with the guards applied since.
    ipfw: Option<Vec<(u32, String)>>,
    /// Secure ports' ARP filter nodes as last observed, kept up to date likewise.
    arp_filters: Option<BTreeSet<String>>,
    /// The devfs ruleset of each jail in the last observed scope.
    jail_devfs: BTreeMap<String, u16>,
    /// Where dnsmasq's config, pid and lease files live.
    run_dir: String,
    /// Why the observed scope cannot be built on FreeBSD, if it cannot (see
    /// [`refusal`]); creating and updating are refused then, removing is not.
    refuse: Option<String>,
    /// Switch MACs looked up (`ifconfig SW`) since the last observation, for pinning
    /// jails' gateways.
    switch_macs: BTreeMap<String, String>,
    /// Links in use on the bridge node of each netgraph switch, by switch interface, as
    /// observed (`ngctl list -l`) and kept up to date with what was created since.
    ng_links: BTreeMap<String, Vec<u32>>,
    /// Creating a NIC's pair inside its running jail failed once (no `if_epair` loaded,
    /// or a kernel that will not `-vnet` an interface born in a jail): from then on pairs
    /// are born on the host (see `lower/nic.rs`).
    host_born_nic: bool,
}

impl<H: Host> FreebsdBackend<H> {
    pub fn new(host: H) -> Self {
        FreebsdBackend {
            host,
            view: None,
            units: Units::default(),
            netgraph: BTreeSet::new(),
            vxlans: BTreeMap::new(),
            vxlan_switch: BTreeMap::new(),
            ipfw: None,
            arp_filters: None,
            jail_devfs: BTreeMap::new(),
            run_dir: lower::dhcp::RUN_DIR.to_string(),
            host_born_nic: false,
            ng_links: BTreeMap::new(),
            refuse: None,
            switch_macs: BTreeMap::new(),
        }
    }

    /// Keeps dnsmasq's files in `dir` instead of `/var/db/jailnet/run`.
    pub fn with_run_dir(mut self, dir: impl Into<String>) -> Self {
        self.run_dir = dir.into();
        self
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
            vxlans: self.vxlans.clone(),
            vxlan_switch: self.vxlan_switch.clone(),
            ipfw: self.ipfw.clone(),
            arp_filters: self.arp_filters.clone(),
            devfs_sets: self.view.as_ref().map(foreign_devfs),
            // Never point a jail at a ruleset that is not jailnet's.
            jail_devfs: self
                .jail_devfs
                .iter()
                .filter(|(_, n)| {
                    !self
                        .view
                        .as_ref()
                        .is_some_and(|v| foreign_devfs(v).contains(n))
                })
                .map(|(j, n)| (j.clone(), *n))
                .collect(),
            jail_root: None,
            run_dir: Some(self.run_dir.clone()),
            host_born_nic: self.host_born_nic,
            switch_macs: self.switch_macs.clone(),
        }
    }

    /// The MAC of switch interface `sw` (`ifconfig SW`, once until the next observe).
    fn look_up_mac(&mut self, sw: &str) -> Result<(), Error> {
        if self.switch_macs.contains_key(sw) {
            return Ok(());
        }
        let out = crate::exec::run(&mut self.host, &lower::ifconfig([sw]))?;
        let mac = crate::observe::ifconfig::parse(&out.stdout)?
            .first()
            .and_then(|i| i.ether())
            .ok_or_else(|| Error::parse("ifconfig", format!("{sw} has no MAC")))?;
        self.switch_macs.insert(sw.to_string(), mac.to_string());
        Ok(())
    }

    /// `jls -j J path devfs_ruleset` of a running jail (for applying a devfs ruleset).
    fn jail_root(&mut self, jail: &str) -> Result<Option<(String, u16)>, Error> {
        let out = self.host.run(&jailnet_host::Invocation::new(
            "jls",
            ["-j", jail, "path", "devfs_ruleset"],
        ))?;
        if !out.success() {
            return Ok(None);
        }
        let mut w = out.stdout.split_whitespace();
        Ok(match (w.next(), w.next().and_then(|n| n.parse().ok())) {
            (Some(p), Some(n)) => Some((p.to_string(), n)),
            _ => None,
        })
    }

    /// Keeps the ipfw rule list current after `steps` ran (`ipfw -q add N …`, `delete N…`).
    fn note_ipfw(&mut self, steps: &[crate::exec::Step]) {
        let Some(rules) = &mut self.ipfw else { return };
        for s in steps.iter().filter(|s| s.inv.program == "ipfw") {
            let a: Vec<&str> = s.inv.args.iter().map(String::as_str).collect();
            match a.as_slice() {
                ["-q", "add", n, body @ ..] => {
                    if let Ok(n) = n.parse() {
                        rules.push((n, body.join(" ")));
                    }
                }
                ["-q", "delete", nums @ ..] => {
                    rules.retain(|(n, _)| !nums.contains(&n.to_string().as_str()));
                }
                _ => {}
            }
        }
    }

    /// Keeps the ARP filter list current after a guard's change ran.
    fn note_arp_filter(&mut self, change: &Change) {
        let Some(filters) = &mut self.arp_filters else {
            return;
        };
        if let Some(Resource::Guard { port, .. }) = change.before.as_ref() {
            filters.remove(&lower::arp_filter::node_name(port.as_str()));
        }
        if let Some(g @ Resource::Guard { port, .. }) = change.after.as_ref() {
            if lower::arp_filter::wanted(g) {
                filters.insert(lower::arp_filter::node_name(port.as_str()));
            }
        }
    }

    /// Units come from an observation; apply without one looks at `ifconfig -a` first.
    fn ensure_view(&mut self) -> Result<(), Error> {
        if self.view.is_none() {
            let v = observe::gather(&mut self.host, &[], &self.run_dir)?;
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
        if let (Some(why), false) = (&self.refuse, change.op == Op::Delete) {
            return Err(Error::Unsupported(why.clone()));
        }
        self.apply_lowered(change, r)
    }

    fn apply_lowered(&mut self, change: &Change, r: &Resource) -> Result<(), Error> {
        if change.op == Op::Create && self.is_netgraph(r) {
            let switch = match r {
                Resource::Switch { ifname, .. } => ifname.to_string(),
                Resource::Nic { switch, .. } | Resource::Member { switch, .. } => {
                    switch.to_string()
                }
                _ => String::new(),
            };
            let known = self.ng_links.remove(&switch);
            let used = match crate::phased::create(&mut self.host, r, known.clone()) {
                // What we knew was stale (someone else hooked a link): ask the bridge.
                Err(Error::Tool { .. }) if known.is_some() => {
                    crate::phased::create(&mut self.host, r, None)?
                }
                other => other?,
            };
            self.ng_links.insert(switch.clone(), used);
            if let Resource::Switch { .. } = r {
                self.netgraph.insert(switch);
            }
            return Ok(());
        }
        if let (Op::Create | Op::Update, Some(Resource::GatewayPin { switch, .. })) =
            (change.op, change.after.as_ref())
        {
            self.look_up_mac(switch.as_str())?;
        }
        let mut ctx = self.ctx();
        if let Some(Resource::Resolver {
            conf: ResolvConf::Inherit,
            ..
        }) = change.after.as_ref()
        {
            ctx.host_resolv = Some(observe::read_host_resolv(&mut self.host)?);
        }
        if let (Op::Create | Op::Update, Some(Resource::Devfs { jail, .. })) =
            (change.op, change.after.as_ref())
        {
            ctx.jail_root = self.jail_root(jail.as_str())?;
        }
        if matches!(r, Resource::Guard { .. }) && ctx.ipfw.is_none() {
            // Applied without an observation: the rule numbers in use decide the block.
            let out = self
                .host
                .run(&jailnet_host::Invocation::new("ipfw", ["list"]))?;
            let rules = if out.success() {
                observe::ipfw_list(&out.stdout)
            } else {
                Vec::new()
            };
            self.ipfw = Some(rules.clone());
            ctx.ipfw = Some(rules);
        }
        if matches!(r, Resource::Guard { .. }) && ctx.arp_filters.is_none() {
            let out = self.host.run(&observe::ngctl::list_long())?;
            let nodes = observe::ngctl::parse_list(&out.stdout)?;
            let filters = observe::ngctl::arp_filters(&nodes);
            self.arp_filters = Some(filters.clone());
            ctx.arp_filters = Some(filters);
        }
        match cloner_of(change) {
            None => {
                let steps = lower::lower(change, &ctx)?;
                run_steps(&mut self.host, &steps)?;
                self.note_ipfw(&steps);
                self.note_arp_filter(change);
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
                Err(e @ Error::Tool { .. }) if born_in_jail(change, &ctx) => {
                    // A tool refused (not a failure to run it); everything was undone.
                    // Try again with the pair born on the host.
                    self.host_born_nic = true;
                    ctx.host_born_nic = true;
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
        let view = observe::gather(&mut self.host, scope, &self.run_dir)?;
        self.ipfw = view.ipfw.clone();
        self.arp_filters = view.ipfw.is_some().then(|| view.arp_filters.clone());
        self.jail_devfs = BTreeMap::new();
        for r in scope {
            if let Resource::Devfs { jail, ruleset, .. } = r {
                self.jail_devfs.entry(jail.to_string()).or_insert(*ruleset);
            }
        }
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
        // The scope lists the wanted resources first, then the remembered ones.
        self.vxlans = BTreeMap::new();
        for r in scope {
            if let Resource::Vxlan { ifname, .. } = r {
                self.vxlans
                    .entry(ifname.to_string())
                    .or_insert_with(|| (*r).clone());
            }
        }
        self.vxlan_switch = scope
            .iter()
            .filter_map(|r| match r {
                Resource::Member { switch, member }
                    if self.vxlans.contains_key(member.as_str()) =>
                {
                    Some((member.to_string(), switch.to_string()))
                }
                _ => None,
            })
            .collect();
        self.ng_links = self
            .netgraph
            .iter()
            .filter_map(|sw| {
                let br = lower::netgraph::bridge_node(sw);
                let n = observe::ngctl::node(&view.netgraph, &br)?;
                Some((sw.clone(), observe::ngctl::used_links(n)))
            })
            .collect();
        self.refuse = refusal(scope, &self.vxlan_switch);
        self.switch_macs = BTreeMap::new();
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

/// What FreeBSD's if_bridge cannot build: a switch whose jail/VM ports are private and
/// whose vxlan has several unicast peers. The peers must be private ports too (split
/// horizon: one peer's frames are never relayed to another, or a full mesh loops), and
/// private ports never talk to each other — so the jails would be cut off the overlay.
fn refusal(scope: &[&Resource], vxlan_switch: &BTreeMap<String, String>) -> Option<String> {
    let private_on = |sw: &str| {
        scope.iter().any(|r| match r {
            Resource::Nic {
                switch, private, ..
            }
            | Resource::Tap {
                switch, private, ..
            } => *private && switch.as_str() == sw,
            _ => false,
        })
    };
    scope.iter().find_map(|r| match r {
        Resource::Vxlan {
            ifname, remotes, ..
        } if lower::vxlan::split_horizon(r) => {
            let sw = vxlan_switch.get(ifname.as_str())?;
            private_on(sw).then(|| {
                format!(
                    "switch {sw} is private and its vxlan {ifname} has {} unicast peers: on \
                     FreeBSD each peer is a private bridge port (so frames are never relayed \
                     between peers), and private ports cannot talk to the jails' private \
                     ports; give the vxlan a multicast `group`, or make the switch not private",
                    remotes.len()
                )
            })
        }
        _ => None,
    })
}

/// devfs rulesets that exist and do not carry jailnet's mark (as far as observed).
fn foreign_devfs(v: &HostView) -> BTreeSet<u16> {
    v.devfs_sets
        .iter()
        .copied()
        .filter(|n| {
            !v.devfs
                .get(n)
                .is_some_and(|t| t.lines().any(|l| l.ends_with(lower::devfs::MARK)))
        })
        .collect()
}

/// Whether `change` creates a NIC whose pair `ctx` has born inside a running jail.
fn born_in_jail(change: &Change, ctx: &Ctx) -> bool {
    !ctx.host_born_nic
        && matches!(
            change.after,
            Some(Resource::Nic {
                switch_imp: SwitchImpl::Bridge,
                ..
            })
        )
}

/// The first step (the clone itself) failed because its unit is taken: nothing was made.
fn unit_taken(e: &Error, steps: &[crate::exec::Step]) -> bool {
    let Error::Tool { argv, stderr, .. } = e else {
        return false;
    };
    let first = steps.first().map(|s| s.inv.argv().join(" "));
    first.as_deref() == Some(argv.as_str())
        && (stderr.contains("already exists")
            || (stderr.contains("SIOCIFCREATE") && stderr.contains("File exists")))
        && !stderr.contains("SIOCSIFNAME")
}
