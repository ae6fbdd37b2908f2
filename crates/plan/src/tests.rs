//! Plan engine tests over an in-memory host of resources.

use crate::*;
use jailnet_model::alloc::{allocate, Allocations};
use std::collections::BTreeMap;

/// A host that stores resources as they are, failing the Nth apply when asked.
#[derive(Default)]
struct MemHost {
    have: BTreeMap<ResourceId, Resource>,
    calls: usize,
    fail_at: Option<usize>,
}

impl Backend for MemHost {
    fn observe(&mut self, scope: &[&Resource]) -> Result<Observed, BackendError> {
        let mut o = Observed::default();
        for r in scope {
            if let Some(h) = self.have.get(&r.id()) {
                o.insert(h.clone(), false);
            }
        }
        Ok(o)
    }
    fn apply(&mut self, c: &Change) -> Result<(), BackendError> {
        self.calls += 1;
        if Some(self.calls) == self.fail_at {
            return Err(BackendError(format!("boom at {}", c.id)));
        }
        match (&c.before, &c.after) {
            (_, Some(a)) => {
                self.have.insert(a.id(), a.clone());
            }
            (Some(b), None) => {
                self.have.remove(&b.id());
            }
            _ => {}
        }
        Ok(())
    }
    fn commands(&self, c: &Change) -> Vec<String> {
        vec![c.line()]
    }
}

fn cfg(text: &str) -> jailnet_model::Config {
    let (c, d) = jailnet_model::check(text);
    assert!(d.is_empty(), "{}", d.render("t.toml", text));
    c
}

fn graph(text: &str, prev: &Allocations) -> (Graph, Allocations) {
    let c = cfg(text);
    let a = allocate(&c, "hosta", prev).unwrap();
    (desired(&c, &a).unwrap(), a)
}

fn plan_on(host: &mut MemHost, g: &Graph, state: &State) -> Plan {
    let scope: Vec<&Resource> = g.nodes.values().chain(state.scope()).collect();
    let o = host.observe(&scope).unwrap();
    diff(g, &o, state)
}

const TWO: &str = r#"
[switch.lan]
address = ["10.1.1.1/24", "fd00:1::1/64"]
private = true

[jail.www]
[[jail.www.nic]]
switch = "lan"
ip4 = ["10.1.1.2/24"]
ip6 = ["fd00:1::2/64"]

[jail.db]
resolver = ["nameserver 10.1.1.1"]
[[jail.db.nic]]
switch = "lan"
ip4 = ["auto"]

[jail.plain]
ip4 = ["em0|192.0.2.3/32"]
"#;

#[test]
fn creates_in_dependency_order_then_nothing_left() {
    let (g, a) = graph(TWO, &Allocations::default());
    let mut host = MemHost::default();
    let mut state = State {
        allocations: a,
        ..State::default()
    };
    let plan = plan_on(&mut host, &g, &state);
    let ids: Vec<&str> = plan.changes.iter().map(|c| c.id.0.as_str()).collect();
    let pos = |s: &str| {
        ids.iter()
            .position(|i| *i == s)
            .unwrap_or_else(|| panic!("{s} missing from {ids:?}"))
    };
    assert!(pos("sysctl:ipv4-forwarding") < pos("switch:lan"));
    assert!(pos("switch:lan") < pos("nic:www/vnet0"));
    assert!(pos("jail:www") < pos("nic:www/vnet0"));
    assert!(pos("nic:www/vnet0") < pos("route4:www"));
    assert!(pos("alias:em0/192.0.2.3") < pos("jail:plain"));
    assert!(pos("jail:db") < pos("resolver:db"));
    assert_eq!(plan.count(Op::Create), plan.changes.len());

    let n = apply(&plan, &mut host, &mut state, &mut |_, _| {}).unwrap();
    assert_eq!(n, plan.changes.len());
    assert!(plan_on(&mut host, &g, &state).is_empty());
    // db got the first free address after the gateway and www's static one.
    let db = &host.have[&ResourceId("nic:db/vnet0".into())];
    assert!(
        matches!(db, Resource::Nic { addrs, private: true, .. } if addrs[0].to_string() == "10.1.1.3/24"),
        "{db:?}"
    );
}

#[test]
fn down_deletes_in_reverse_and_keeps_what_it_did_not_make() {
    let (g, a) = graph(TWO, &Allocations::default());
    let mut host = MemHost::default();
    // The admin already had the alias: jailnet must use it and never remove it.
    let alias = g.nodes[&ResourceId("alias:em0/192.0.2.3".into())].clone();
    host.have.insert(alias.id(), alias.clone());
    let before_sysctl = Resource::Sysctl {
        knob: resource::Knob::Ipv4Forwarding,
        value: "0".into(),
    };
    host.have.insert(before_sysctl.id(), before_sysctl.clone());
    let mut state = State {
        allocations: a,
        ..State::default()
    };
    let plan = plan_on(&mut host, &g, &state);
    assert!(!plan.changes.iter().any(|c| c.id == alias.id()));
    assert!(plan
        .changes
        .iter()
        .any(|c| c.op == Op::Update && c.id == before_sysctl.id()));
    apply(&plan, &mut host, &mut state, &mut |_, _| {}).unwrap();

    let down = plan_on(&mut host, &Graph::default(), &state);
    assert!(down.changes.iter().all(|c| c.op != Op::Create));
    let ids: Vec<&str> = down.changes.iter().map(|c| c.id.0.as_str()).collect();
    let pos = |s: &str| ids.iter().position(|i| *i == s).unwrap();
    assert!(pos("route4:www") < pos("nic:www/vnet0"));
    assert!(pos("nic:www/vnet0") < pos("switch:lan"));
    assert!(pos("nic:www/vnet0") < pos("jail:www"));
    apply(&down, &mut host, &mut state, &mut |_, _| {}).unwrap();
    let left: Vec<&Resource> = host.have.values().collect();
    assert_eq!(
        left,
        vec![&alias, &before_sysctl],
        "only the admin's things remain, as they were"
    );
    assert!(state.owned.is_empty() && state.restore.is_empty());
}

#[test]
fn a_failure_at_any_step_rolls_back_to_the_exact_prior_host() {
    let (g, a) = graph(TWO, &Allocations::default());
    let base = MemHost::default();
    let steps = {
        let mut h = MemHost::default();
        plan_on(&mut h, &g, &State::default()).changes.len()
    };
    assert!(steps > 5);
    for n in 1..=steps {
        let mut host = MemHost {
            have: base.have.clone(),
            ..MemHost::default()
        };
        let mut state = State {
            allocations: a.clone(),
            ..State::default()
        };
        let plan = plan_on(&mut host, &g, &state);
        host.fail_at = Some(n);
        let err = apply(&plan, &mut host, &mut state, &mut |_, _| {}).unwrap_err();
        assert_eq!(err.undone, n - 1);
        assert!(err.rollback_errors.is_empty());
        assert_eq!(host.have, base.have, "failure at {n} left changes behind");
        assert!(
            state.owned.is_empty(),
            "state still claims {:?}",
            state.owned.keys()
        );
    }
}

/// TWO applied to a fresh host: the host, the state and the allocations.
fn up_two() -> (MemHost, State, Allocations) {
    let (g, a) = graph(TWO, &Allocations::default());
    let mut host = MemHost::default();
    let mut state = State {
        allocations: a.clone(),
        ..State::default()
    };
    apply(
        &plan_on(&mut host, &g, &state),
        &mut host,
        &mut state,
        &mut |_, _| {},
    )
    .unwrap();
    (host, state, a)
}

#[test]
fn moving_a_nic_replaces_it_and_its_route_but_nothing_else() {
    let (mut host, mut state, a) = up_two();
    let moved = TWO
        .replace(
            "[switch.lan]",
            "[switch.other]\naddress = [\"10.2.2.1/24\"]\n\n[switch.lan]",
        )
        .replace(
            "switch = \"lan\"\nip4 = [\"auto\"]",
            "switch = \"other\"\nip4 = [\"auto\"]",
        );
    let (g2, _) = graph(&moved, &a);
    let plan = plan_on(&mut host, &g2, &state);
    let touched: Vec<(Op, &str)> = plan
        .changes
        .iter()
        .map(|c| (c.op, c.id.0.as_str()))
        .collect();
    assert!(
        touched.contains(&(Op::Delete, "nic:db/vnet0")),
        "{touched:?}"
    );
    assert!(touched.contains(&(Op::Create, "nic:db/vnet0")));
    assert!(touched.contains(&(Op::Create, "switch:other")));
    assert!(
        !touched
            .iter()
            .any(|(_, id)| id.starts_with("nic:www") || *id == "switch:lan"),
        "{touched:?}"
    );
    apply(&plan, &mut host, &mut state, &mut |_, _| {}).unwrap();
    assert!(plan_on(&mut host, &g2, &state).is_empty());
}

#[test]
fn changing_an_address_updates_in_place() {
    let (mut host, state, a) = up_two();
    let (g2, _) = graph(&TWO.replace("10.1.1.2/24", "10.1.1.9/24"), &a);
    let plan = plan_on(&mut host, &g2, &state);
    assert_eq!(plan.changes.len(), 1, "{}", plan.render_text());
    assert_eq!(plan.changes[0].op, Op::Update);
    assert!(plan
        .render_text()
        .contains("Plan: 0 to create, 1 to change, 0 to delete."));
}

#[test]
fn turning_slaac_on_or_off_makes_the_nic_anew() {
    let (mut host, mut state, a) = up_two();
    let slaac = TWO.replace(r#"ip6 = ["fd00:1::2/64"]"#, r#"ip6 = ["slaac"]"#);
    let (g2, _) = graph(&slaac, &a);
    let plan = plan_on(&mut host, &g2, &state);
    let nic: Vec<Op> = plan
        .changes
        .iter()
        .filter(|c| c.id.0 == "nic:www/vnet0")
        .map(|c| c.op)
        .collect();
    assert_eq!(nic, [Op::Delete, Op::Create], "{}", plan.render_text());
    apply(&plan, &mut host, &mut state, &mut |_, _| {}).unwrap();
    assert!(plan_on(&mut host, &g2, &state).is_empty());
}

#[test]
fn a_foreign_resource_in_the_way_is_left_alone_with_a_warning() {
    let (g, _) = graph(TWO, &Allocations::default());
    let mut host = MemHost::default();
    let mut foreign = g.nodes[&ResourceId("switch:lan".into())].clone();
    if let Resource::Switch { mtu, .. } = &mut foreign {
        *mtu = Some(9000);
    }
    host.have.insert(foreign.id(), foreign);
    let plan = plan_on(&mut host, &g, &State::default());
    assert!(!plan.changes.iter().any(|c| c.id.0 == "switch:lan"));
    assert!(plan
        .warnings
        .iter()
        .any(|w| w.contains("switch:lan") && w.contains("not made by jailnet")));
}

#[test]
fn plan_renders_as_text_and_json() {
    let (g, _) = graph(TWO, &Allocations::default());
    let plan = plan_on(&mut MemHost::default(), &g, &State::default());
    let text = plan.render_text();
    assert!(text.contains("+ switch:lan"), "{text}");
    assert!(
        text.contains("bridge lan, 10.1.1.1/24 fd00:1::1/64"),
        "{text}"
    );
    let json: serde_json::Value = serde_json::from_str(&plan.render_json()).unwrap();
    assert_eq!(json["changes"][0]["op"], "create");
    let back: Plan = serde_json::from_str(&plan.render_json()).unwrap();
    assert_eq!(back, plan);
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A config with `n` jails spread over `s` switches, in a shuffled declaration order,
    /// mixing static and auto addresses.
    fn config(n: usize, s: usize, order: &[usize], statics: &[bool]) -> String {
        let mut t = String::new();
        for i in 0..s {
            t.push_str(&format!(
                "[switch.sw{i}]\naddress = [\"10.{i}.0.1/24\", \"fd00:{i}::1/64\"]\n\n"
            ));
        }
        for &j in order.iter().take(n) {
            let sw = j % s;
            let ip4 = if statics[j] {
                format!("\"10.{sw}.0.{}/24\"", 200 + j % 50)
            } else {
                "\"auto\"".into()
            };
            t.push_str(&format!("[jail.j{j}]\n[[jail.j{j}.nic]]\nswitch = \"sw{sw}\"\nip4 = [{ip4}]\nip6 = [\"auto\"]\n\n"));
        }
        t
    }

    fn arb() -> impl Strategy<Value = (usize, usize, Vec<usize>, Vec<bool>)> {
        (1usize..40, 1usize..4).prop_flat_map(|(n, s)| {
            (
                Just(n),
                Just(s),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
                proptest::collection::vec(any::<bool>(), n),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn planning_again_after_apply_is_empty((n, s, order, statics) in arb()) {
            // Statics must not collide: keep the first jail per static slot.
            let mut seen = std::collections::BTreeSet::new();
            let statics: Vec<bool> = statics.iter().enumerate().map(|(j, &st)| st && seen.insert((j % s, j % 50))).collect();
            let text = config(n, s, &order, &statics);
            let (g, a) = graph(&text, &Allocations::default());
            let mut host = MemHost::default();
            let mut state = State { allocations: a, ..State::default() };
            let plan = plan_on(&mut host, &g, &state);
            apply(&plan, &mut host, &mut state, &mut |_, _| {}).unwrap();
            prop_assert!(plan_on(&mut host, &g, &state).is_empty());
            let down = plan_on(&mut host, &Graph::default(), &state);
            apply(&down, &mut host, &mut state, &mut |_, _| {}).unwrap();
            prop_assert!(host.have.is_empty());
        }

        #[test]
        fn allocation_is_collision_free_and_order_independent((n, s, order, statics) in arb()) {
            let mut seen = std::collections::BTreeSet::new();
            let statics: Vec<bool> = statics.iter().enumerate().map(|(j, &st)| st && seen.insert((j % s, j % 50))).collect();
            let mut sorted = order.clone();
            sorted.sort();
            let a1 = allocate(&cfg(&config(n, s, &order, &statics)), "h", &Allocations::default()).unwrap();
            let a2 = allocate(&cfg(&config(n, s, &sorted, &statics)), "h", &Allocations::default()).unwrap();
            prop_assert_eq!(&a1, &a2);
            let macs: std::collections::BTreeSet<_> = a1.nics.values().map(|x| x.mac).collect();
            let names: std::collections::BTreeSet<_> = a1.nics.values().map(|x| x.host_ifname.clone()).collect();
            let ips: Vec<_> = a1.nics.values().flat_map(|x| x.ip4.iter().chain(x.ip6.iter())).collect();
            let uniq: std::collections::BTreeSet<_> = ips.iter().collect();
            prop_assert_eq!(macs.len(), a1.nics.len());
            prop_assert_eq!(names.len(), a1.nics.len());
            prop_assert_eq!(uniq.len(), ips.len());
            for m in &macs {
                prop_assert!(m.is_locally_administered() && !m.is_multicast());
            }
            // Adding a jail renumbers no one.
            let more = format!("{}[jail.extra]\n[[jail.extra.nic]]\nswitch = \"sw0\"\nip4 = [\"auto\"]\n", config(n, s, &order, &statics));
            let a3 = allocate(&cfg(&more), "h", &a1).unwrap();
            for (k, v) in &a1.nics {
                prop_assert_eq!(Some(v), a3.nics.get(k));
            }
        }
    }
}

#[test]
fn different_hosts_get_different_macs_for_the_same_jail() {
    let c = cfg(TWO);
    let a = allocate(&c, "jailhost-a", &Allocations::default()).unwrap();
    let b = allocate(&c, "jailhost-b", &Allocations::default()).unwrap();
    let k = "jail/www/vnet0";
    assert_ne!(a.nics[k].mac, b.nics[k].mac);
    assert_eq!(a.nics[k].host_ifname.as_str(), "www-vnet0");
}

#[test]
fn long_jail_names_get_short_unique_host_names() {
    let text = r#"
[switch.lan]
address = ["10.1.1.1/24"]
[jail.averyveryverylongjailname]
[[jail.averyveryverylongjailname.nic]]
switch = "lan"
[jail.averyveryverylongjailname2]
[[jail.averyveryverylongjailname2.nic]]
switch = "lan"
"#;
    let a = allocate(&cfg(text), "h", &Allocations::default()).unwrap();
    let names: Vec<String> = a.nics.values().map(|n| n.host_ifname.to_string()).collect();
    assert_eq!(names.len(), 2);
    assert_ne!(names[0], names[1]);
    assert!(
        names
            .iter()
            .all(|n| n.len() <= 15 && n.starts_with("averyvery")),
        "{names:?}"
    );
}

#[test]
fn attach_and_detach_scopes_carry_the_jails_own_firewall_anchors() {
    let text = r#"
[host]
uplink = "em0"
[switch.lan]
address = ["10.1.1.1/24"]
nat = true
[jail.www]
expose = ["tcp/8080:80"]
[[jail.www.nic]]
switch = "lan"
ip4 = ["10.1.1.2/24"]
[jail.db]
[[jail.db.nic]]
switch = "lan"
ip4 = ["10.1.1.3/24"]
[jail.lo]
ip4 = ["lo1|172.31.255.17/32"]
nat = true
expose = ["tcp/8081:80"]
"#;
    let (g, _) = graph(text, &Allocations::default());
    let ids = |g: &Graph| g.nodes.keys().map(|k| k.0.clone()).collect::<Vec<_>>();
    let www = ids(&g.for_jail("www"));
    assert!(www.contains(&"firewall:rdr-www".to_string()), "{www:?}");
    assert!(
        !www.iter().any(|i| i.contains("db") || i.contains("lo")),
        "{www:?}"
    );
    let lo = ids(&g.for_jail("lo"));
    assert!(
        lo.contains(&"firewall:jnat-lo".into()) && lo.contains(&"firewall:rdr-lo".into()),
        "{lo:?}"
    );
    let rest = ids(&g.without_jail("www"));
    assert!(!rest.contains(&"firewall:rdr-www".to_string()));
    assert!(
        rest.contains(&"firewall:nat-lan".to_string()),
        "the switch's NAT stays"
    );
    assert!(rest.contains(&"firewall:rdr-lo".to_string()));
}
