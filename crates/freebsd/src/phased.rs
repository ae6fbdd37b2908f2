//! Changes whose later steps need the kernel's answers to earlier ones: creating netgraph
//! switches, their uplinks and their NICs (the phases are in [`crate::lower::netgraph`]).
//! Phases run one after the other through [`crate::exec`]; if any step fails, every step
//! that already ran is undone, newest first — a batch that stopped half-way only the lines
//! before the one that failed — so the change is all or nothing, like the others.

use crate::error::Error;
use crate::exec::{self, Step};
use crate::lower::netgraph::{
    bridge_node, failed_line, free_links, member_batch, nic_batch, nic_rest, show, switch_batch,
    switch_host, Batch,
};
use crate::observe::ngctl::{node, parse_ifname, parse_list, used_links};
use jailnet_host::{Host, Output};
use jailnet_plan::Resource;

/// Creates `r`, a netgraph switch, NIC or uplink, all or nothing. `used` is what the
/// caller knows of the links in use on the switch's bridge (from `ngctl list -l` and what
/// it created since); without it the bridge is asked (`ngctl show`, one spawn more).
/// Returns the links in use on that bridge afterwards.
pub fn create<H: Host + ?Sized>(
    host: &mut H,
    r: &Resource,
    used: Option<Vec<u32>>,
) -> Result<Vec<u32>, Error> {
    let mut run = Phases {
        host,
        done: Vec::new(),
        used,
    };
    let result = phases(&mut run, r);
    match result {
        Ok(()) => Ok(run.used.unwrap_or_default()),
        Err(e) => {
            let done: Vec<&Step> = run.done.iter().collect();
            Err(exec::undo(run.host, &done, e))
        }
    }
}

/// Steps that ran, for undo.
struct Phases<'h, H: Host + ?Sized> {
    host: &'h mut H,
    done: Vec<Step>,
    /// Links in use on the bridge, once known.
    used: Option<Vec<u32>>,
}

impl<H: Host + ?Sized> Phases<'_, H> {
    fn step(&mut self, s: Step) -> Result<Output, Error> {
        let o = exec::run(self.host, &s.inv)?;
        self.done.push(s);
        Ok(o)
    }

    fn batch(&mut self, b: &Batch) -> Result<Output, Error> {
        let s = b.step();
        match exec::run(self.host, &s.inv) {
            Ok(o) => {
                self.done.push(s);
                Ok(o)
            }
            Err(e) => {
                // ngctl stopped at line N: lines before it took effect.
                if let Error::Tool { stderr, .. } = &e {
                    if let Some(n) = failed_line(stderr) {
                        self.done.push(Step {
                            inv: s.inv,
                            undo: b.undo_before(n),
                        });
                    }
                }
                Err(e)
            }
        }
    }

    /// The `n` lowest free links of the bridge of switch `switch`, taken (`ngctl show`
    /// when the links in use are not known yet).
    fn free_links(&mut self, switch: &str, n: usize) -> Result<Vec<u32>, Error> {
        let mut used = match self.used.take() {
            Some(u) => u,
            None => {
                let br = bridge_node(switch);
                let out = self.step(show(&br))?;
                let nodes = parse_list(&out.stdout)?;
                node(&nodes, &br).map(used_links).unwrap_or_default()
            }
        };
        let free = free_links(&used, n);
        used.extend(&free);
        self.used = Some(used);
        Ok(free)
    }
}

fn phases<H: Host + ?Sized>(run: &mut Phases<'_, H>, r: &Resource) -> Result<(), Error> {
    match r {
        Resource::Switch { ifname, .. } => {
            let out = run.batch(&switch_batch(ifname.as_str()))?;
            // The switch's own eiface sits on link0.
            run.used = Some(vec![0]);
            let ngeth = parse_ifname(&out.stdout)?;
            for s in switch_host(r, Some(&ngeth)) {
                run.step(s)?;
            }
        }
        Resource::Member { switch, member } => {
            let links = run.free_links(switch.as_str(), 2)?;
            let pair = match links.as_slice() {
                [a, b] => (*a, *b),
                _ => return Err(Error::parse("ngctl show", "no free bridge links")),
            };
            run.batch(&member_batch(switch.as_str(), member.as_str(), Some(pair)))?;
        }
        Resource::Nic { switch, .. } => {
            let at = run.free_links(switch.as_str(), 1)?.first().copied();
            let out = run.batch(&nic_batch(r, at))?;
            let ngeth = parse_ifname(&out.stdout)?;
            for s in nic_rest(r, Some(&ngeth)) {
                run.step(s)?;
            }
        }
        _ => {
            return Err(Error::Unsupported(format!(
                "{}: not a netgraph resource",
                r.id()
            )))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jailnet_host::{Invocation, RecordingHost};

    /// ngctl that stops a batch at line 4, as if the eiface's name were taken.
    struct Line4Fails;
    impl Host for Line4Fails {
        fn run(&mut self, inv: &Invocation) -> Result<Output, jailnet_host::HostError> {
            Ok(if inv.args.first().map(String::as_str) == Some("-f") {
                Output::fail(
                    1,
                    "ngctl: send msg: File exists\nngctl: line 4: error in file\n",
                )
            } else {
                Output::ok("")
            })
        }
    }

    #[test]
    fn a_batch_that_stopped_half_way_undoes_the_lines_that_ran() {
        let sw = Resource::Switch {
            name: "lan".into(),
            ifname: jailnet_model::names::IfName::new("lan").unwrap(),
            imp: jailnet_plan::resource::SwitchImpl::Netgraph,
            mtu: None,
            addrs: Vec::new(),
        };
        let mut h = RecordingHost::new(Line4Fails);
        let e = create(&mut h, &sw, None).unwrap_err();
        assert!(e.to_string().contains("line 4"), "{e}");
        let t = h.transcript();
        assert!(t.ends_with("ngctl shutdown jailnet_br_lan:link0\n"), "{t}");
    }
}
