//! Choosing the unit of a cloned interface (`epairN`, `bridgeN`, `tapN`) before creating
//! it under that exact name, so a failed change knows what to destroy.
//!
//! Units are read off the observed host: `<cloner><N>` names hold N; an interface in the
//! cloner's group under another name (renamed, like every interface jailnet makes) holds
//! some unit nobody can see, so that many of the lowest free-looking units are skipped.
//! A guess that still collides fails with "already exists" and the next unit is tried.

use crate::observe::HostView;
use std::collections::{BTreeMap, BTreeSet};

/// Cloners whose units jailnet chooses.
pub const CLONERS: &[&str] = &["epair", "bridge", "tap", "vxlan", "vlan"];

/// Units known to be taken, and how many hidden ones each cloner has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Units {
    used: BTreeMap<String, BTreeSet<u32>>,
    hidden: BTreeMap<String, usize>,
    /// Interfaces created in this session: name → (cloner, unit).
    made: BTreeMap<String, (String, u32)>,
}

impl Units {
    /// What `view` shows: host interfaces (visible and hidden units) and the epair ends
    /// inside jails that still have their kernel names.
    pub fn from_view(view: &HostView) -> Self {
        let mut u = Units::default();
        for i in &view.ifaces {
            for g in i.groups().iter().filter(|g| CLONERS.contains(&g.as_str())) {
                match unit_in(&i.name, g) {
                    Some(n) => u.mark(g, n),
                    None => *u.hidden.entry(g.clone()).or_default() += 1,
                }
            }
        }
        for i in view.jail_ifaces.values().flatten() {
            if let Some(n) = unit_in(&i.name, "epair") {
                u.mark("epair", n);
            }
        }
        u
    }

    /// The unit to try next for `cloner`.
    pub fn pick(&self, cloner: &str) -> u32 {
        let used = self.used.get(cloner);
        let mut skip = self.hidden.get(cloner).copied().unwrap_or(0);
        let mut n = 0u32;
        loop {
            if !used.is_some_and(|s| s.contains(&n)) {
                if skip == 0 {
                    return n;
                }
                skip -= 1;
            }
            n = n.saturating_add(1);
            if n == u32::MAX {
                return n;
            }
        }
    }

    /// Unit `n` of `cloner` is taken.
    pub fn mark(&mut self, cloner: &str, n: u32) {
        self.used.entry(cloner.to_string()).or_default().insert(n);
    }

    /// This session made `ifname` from unit `n` of `cloner`.
    pub fn made(&mut self, cloner: &str, n: u32, ifname: &str) {
        self.mark(cloner, n);
        self.made
            .insert(ifname.to_string(), (cloner.to_string(), n));
    }

    /// `ifname` was destroyed: its unit is free again if this session knows it.
    pub fn destroyed(&mut self, ifname: &str) {
        if let Some((c, n)) = self.made.remove(ifname) {
            if let Some(s) = self.used.get_mut(&c) {
                s.remove(&n);
            }
        }
    }
}

/// N in `<cloner>N` (and `epairNa` / `epairNb`).
fn unit_in(name: &str, cloner: &str) -> Option<u32> {
    let rest = name.strip_prefix(cloner)?;
    let rest = if cloner == "epair" {
        rest.strip_suffix(['a', 'b'])?
    } else {
        rest
    };
    crate::lower::unit_of(&format!("{cloner}{rest}"), cloner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::ifconfig::parse;

    #[test]
    fn renamed_clones_push_the_guess_up() {
        let text = "epair0a: flags=8843<UP> metric 0 mtu 1500\n\tgroups: epair\n\
                    www-vnet0: flags=8843<UP> metric 0 mtu 1500\n\tgroups: epair jailnet\n\
                    lan: flags=8843<UP> metric 0 mtu 1500\n\tgroups: bridge jailnet\n";
        let view = HostView {
            ifaces: parse(text).unwrap(),
            ..HostView::default()
        };
        let mut u = Units::from_view(&view);
        // epair0 is visible, one epair unit is hidden: 1 is skipped as probably taken.
        assert_eq!(u.pick("epair"), 2);
        assert_eq!(u.pick("bridge"), 1);
        assert_eq!(u.pick("tap"), 0);
        u.made("epair", 2, "db-vnet0");
        assert_eq!(u.pick("epair"), 3);
        u.destroyed("db-vnet0");
        assert_eq!(u.pick("epair"), 2);
    }
}
