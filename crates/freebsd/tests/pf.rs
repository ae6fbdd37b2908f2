//! pf anchors and `doctor` against the simulated FreeBSD host: the rules of every anchor
//! of the examples (snapshotted in `tests/snapshots/anchors/<example>.txt`;
//! `UPDATE_EXPECT=1` rewrites), one `pfctl` per changed anchor, the main ruleset never
//! touched, flushed or edited anchors re-applied, leftovers removed, `down` leaving no
//! anchor, and doctor's findings on a fresh and on a configured host.

mod common;

use common::*;
use jailnet_freebsd::doctor::{doctor, Needs, PF_HOOKS};
use jailnet_freebsd_sim::{SimHost, VnetId};
use jailnet_host::{Host, Invocation, RecordingHost};
use jailnet_model::alloc::allocate;
use jailnet_plan::doctor::Status;
use jailnet_plan::{desired, Graph, Op, Resource, State};

/// Two shared-IP jails on lo1, each exposing a port, and a NAT switch.
const TWO_JAILS: &str = r#"
[host]
uplink = "em0"

[switch.lan]
address = ["10.7.0.1/24"]
nat = true

[jail.www]
ip4 = ["lo1|172.31.255.17/32"]
nat = true
expose = ["tcp/80", "tcp/8443:443"]

[jail.mail]
ip4 = ["lo1|172.31.255.18/32"]
expose = ["tcp/25"]
"#;

/// An example from text (for variants of a config).
fn from_text(name: &str, text: &str) -> Example {
    let (cfg, diags) = jailnet_model::check(text);
    assert!(diags.is_empty(), "{}", diags.render(name, text));
    let alloc = allocate(&cfg, "testhost", &Default::default()).unwrap();
    let graph = desired(&cfg, &alloc).unwrap();
    Example {
        name: name.into(),
        graph,
        alloc,
    }
}

fn anchors(g: &Graph) -> Vec<String> {
    g.nodes
        .values()
        .filter_map(|r| match r {
            Resource::Firewall { anchor, .. } => Some(anchor.clone()),
            _ => None,
        })
        .collect()
}

/// Every `jailnet/…` anchor on the host.
fn host_anchors(h: &SimHost) -> Vec<String> {
    h.pf(&VnetId::Host)
        .map(|p| {
            p.anchors
                .keys()
                .filter(|k| k.starts_with("jailnet"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The `pfctl` invocations of a transcript.
fn pfctl_lines(t: &str) -> Vec<&str> {
    t.lines().filter(|l| l.starts_with("pfctl ")).collect()
}

/// A host whose admin already runs pf with a ruleset of their own, hooking jailnet.
const MAIN: &str = "ext_if = \"em0\"\nset skip on lo0\nscrub in all\nnat-anchor \"jailnet/*\"\nrdr-anchor \"jailnet/*\"\nblock in all\npass out quick keep state\nanchor \"jailnet/*\"\npass in on $ext_if proto tcp to port 22\n";

#[test]
fn every_anchor_of_the_examples_is_snapshotted() {
    let dir = root().join("tests/snapshots/anchors");
    let mut seen = 0;
    for ex in examples().into_iter().filter(|e| unsupported(e).is_none()) {
        let names = anchors(&ex.graph);
        if names.is_empty() {
            continue;
        }
        let mut b = backend(base_host(&ex));
        up(&mut b, &ex.graph, &mut state_for(&ex)).unwrap();
        let h = b.into_host();
        let mut got = String::new();
        for a in &names {
            let text = h
                .pf_anchor_text(&VnetId::Host, &format!("jailnet/{a}"))
                .unwrap_or_else(|| panic!("{}: anchor jailnet/{a} missing", ex.name));
            got.push_str(&format!("# pfctl -a jailnet/{a} -s nat; -s rules\n{text}"));
        }
        let path = dir.join(format!("{}.txt", ex.name));
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &got).unwrap();
        } else {
            let want = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("missing {}; run with UPDATE_EXPECT=1", path.display()));
            assert!(
                want == got,
                "{}: anchors differ from {}\n--- got ---\n{got}",
                ex.name,
                path.display()
            );
        }
        // Never `rdr pass`: it would skip the filter (Bastille PR#1565).
        assert!(!got.contains("rdr pass"), "{}", ex.name);
        seen += 1;
    }
    assert!(seen >= 5, "only {seen} examples with anchors");
}

#[test]
fn the_seed_004_loopback_pattern_works_end_to_end() {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "loopback-nat-rdr")
        .unwrap();
    let base = base_host(&ex).with_pf_enabled(true);
    let mut b = backend(base.clone());
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_converged(&ex, &plan(&mut b, &ex.graph, &state), "after up");
    let h = b.host();
    let lo1 = h.iface(&VnetId::Host, "lo1").expect("lo1 created");
    assert!(lo1
        .inet
        .iter()
        .any(|a| a.addr.to_string() == "172.31.255.17"));
    assert_eq!(
        h.pf_anchor_text(&VnetId::Host, "jailnet/jnat-locage")
            .unwrap(),
        "nat on em0 inet from 172.31.255.17 to any -> (em0:0) round-robin\n"
    );
    let rdr = h
        .pf_anchor_text(&VnetId::Host, "jailnet/rdr-locage")
        .unwrap();
    assert!(rdr.starts_with(
        "rdr on em0 inet proto tcp from any to (em0) port = 80 -> 172.31.255.17 port 80\n"
    ));
    assert!(rdr.contains("pass in quick on em0 inet proto tcp from any to 172.31.255.17 port = 80"));
    up(&mut b, &Graph::default(), &mut state).unwrap();
    assert!(b.into_host() == base, "down left something behind");
}

#[test]
fn changing_one_jails_expose_reloads_only_its_anchor_with_one_pfctl() {
    let before = from_text("two", TWO_JAILS);
    let after = from_text(
        "two",
        &TWO_JAILS.replace("tcp/8443:443", "tcp/8443:443\", \"udp/53"),
    );
    let mut b = backend(RecordingHost::new(base_host(&before)));
    let mut state = state_for(&before);
    up(&mut b, &before.graph, &mut state).unwrap();
    // Initial load: exactly one pfctl -f per anchor, nothing else mutating pf.
    let t = b.host().transcript();
    let loads: Vec<&str> = pfctl_lines(&t)
        .into_iter()
        .filter(|l| l.contains(" -f "))
        .collect();
    assert_eq!(loads.len(), anchors(&before.graph).len(), "{t}");
    assert!(!t.contains(" -F "), "{t}");

    let n = b.host().transcript().len();
    let p = up(&mut b, &after.graph, &mut state).unwrap();
    assert_eq!(p.changes.len(), 1, "{}", p.render_text());
    assert_eq!(p.changes[0].op, Op::Update);
    assert_eq!(p.changes[0].id.0, "firewall:rdr-www");
    let t = b.host().transcript();
    let new: Vec<&str> = t[n..].lines().collect();
    let mutating: Vec<&&str> = new
        .iter()
        .filter(|l| l.starts_with("pfctl ") && (l.contains(" -f ") || l.contains(" -F ")))
        .collect();
    assert_eq!(
        mutating,
        [&"pfctl -a jailnet/rdr-www -f - <<EOF"],
        "{}",
        new.join("\n")
    );
    assert_converged(
        &after,
        &plan(&mut b, &after.graph, &state),
        "after the change",
    );
    let h = b.into_host().into_inner();
    let www = h.pf_anchor_text(&VnetId::Host, "jailnet/rdr-www").unwrap();
    assert!(www.contains("inet proto udp from any to (em0) port = 53 -> 172.31.255.17 port 53"));
    assert!(www.contains(
        "pass in quick on em0 inet proto udp from any to 172.31.255.17 port = 53 keep state"
    ));
}

#[test]
fn the_main_ruleset_is_byte_identical_before_and_after_up_and_down() {
    let ex = from_text("two", TWO_JAILS);
    let base = base_host(&ex)
        .with_pf_main(MAIN)
        .unwrap()
        .with_pf_enabled(true);
    fn main_text<H: Host>(h: &mut H) -> String {
        let mut s = String::new();
        for what in ["nat", "rules"] {
            s.push_str(
                &h.run(&Invocation::new("pfctl", ["-s", what]))
                    .unwrap()
                    .stdout,
            );
        }
        s
    }
    let mut probe = base.clone();
    let want = main_text(&mut probe);
    let want_main = base.pf(&VnetId::Host).unwrap().main.clone();

    let mut b = backend(RecordingHost::new(base.clone()));
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_eq!(main_text(b.host_mut()), want);
    assert!(!pfctl_lines(&b.host().transcript()).is_empty());
    up(&mut b, &Graph::default(), &mut state).unwrap();
    // Every pfctl that changes anything names an anchor under jailnet/.
    for l in pfctl_lines(&b.host().transcript()) {
        if l.contains(" -f ") || l.contains(" -F ") {
            assert!(l.starts_with("pfctl -a jailnet/"), "{l}");
        }
    }
    let mut h = b.into_host().into_inner();
    assert_eq!(h.pf(&VnetId::Host).unwrap().main, want_main);
    assert_eq!(main_text(&mut h), want);
    assert!(h == base, "down left the host different:\n{}", h.show());
}

#[test]
fn up_reapplies_a_flushed_or_edited_anchor() {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "showcase")
        .unwrap();
    let mut b = backend(base_host(&ex));
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    let want = b
        .host()
        .pf_anchor_text(&VnetId::Host, "jailnet/nat-lan")
        .unwrap();

    // Someone flushes it: the plan recreates it, and only it.
    let o = b
        .host_mut()
        .sh("pfctl", &["-a", "jailnet/nat-lan", "-F", "all"]);
    assert!(o.success(), "{}", o.stderr);
    let p = plan(&mut b, &ex.graph, &state);
    assert_eq!(p.changes.len(), 1, "{}", p.render_text());
    assert_eq!(
        (p.changes[0].op, p.changes[0].id.0.as_str()),
        (Op::Create, "firewall:nat-lan")
    );
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_eq!(
        b.host()
            .pf_anchor_text(&VnetId::Host, "jailnet/nat-lan")
            .as_deref(),
        Some(want.as_str())
    );
    assert_converged(&ex, &plan(&mut b, &ex.graph, &state), "after re-applying");

    // Someone edits a forward: the plan reloads it.
    let edited = "rdr on up0 inet proto tcp from any to (up0) port 8081 -> 10.88.1.10 port 80\n";
    let o = b
        .host_mut()
        .exec(&Invocation::new("pfctl", ["-a", "jailnet/rdr-web1", "-f", "-"]).with_stdin(edited));
    assert!(o.success(), "{}", o.stderr);
    let p = plan(&mut b, &ex.graph, &state);
    assert_eq!(p.changes.len(), 1, "{}", p.render_text());
    assert_eq!(
        (p.changes[0].op, p.changes[0].id.0.as_str()),
        (Op::Update, "firewall:rdr-web1")
    );
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_converged(&ex, &plan(&mut b, &ex.graph, &state), "after reloading");

    // A rule added to jailnet's anchor by hand is not jailnet's: reloaded too. (Only the
    // sections the anchor should have are read: a NAT anchor's filter rules are not.)
    let text = b
        .host()
        .pf_anchor_text(&VnetId::Host, "jailnet/nat-dmz")
        .unwrap();
    let o = b.host_mut().exec(
        &Invocation::new("pfctl", ["-a", "jailnet/nat-dmz", "-f", "-"])
            .with_stdin(format!("{text}no nat on up0 from 10.88.2.5 to any\n")),
    );
    assert!(o.success(), "{}", o.stderr);
    let p = plan(&mut b, &ex.graph, &state);
    assert_eq!(p.changes.len(), 1, "{}", p.render_text());
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_converged(
        &ex,
        &plan(&mut b, &ex.graph, &state),
        "after the extra rule",
    );
}

#[test]
fn down_removes_every_anchor_and_leftovers_are_found_without_state() {
    let ex = from_text("two", TWO_JAILS);
    let mut b = backend(base_host(&ex));
    let mut state = state_for(&ex);
    up(&mut b, &ex.graph, &mut state).unwrap();
    assert_eq!(host_anchors(b.host()).len(), anchors(&ex.graph).len());

    // With the state file lost, the anchors are still found as jailnet's.
    let scope: Vec<&Resource> = Vec::new();
    let observed = jailnet_plan::Backend::observe(&mut b, &scope).unwrap();
    for a in anchors(&ex.graph) {
        let id = jailnet_plan::ResourceId(format!("firewall:{a}"));
        assert!(observed.tagged.contains(&id), "{id} not tagged");
        assert!(observed.resources.get(&id).is_some(), "{id} not reported");
    }

    up(&mut b, &Graph::default(), &mut state).unwrap();
    assert!(
        host_anchors(b.host()).is_empty(),
        "{:?}",
        host_anchors(b.host())
    );

    // A leftover anchor (made by an earlier run whose state is gone) is removed by `up`.
    let o = b.host_mut().exec(
        &Invocation::new("pfctl", ["-a", "jailnet/nat-old", "-f", "-"])
            .with_stdin("nat on em0 inet from 10.9.0.0/24 to any -> (em0:0)\n"),
    );
    assert!(o.success(), "{}", o.stderr);
    let mut fresh = State::default();
    let p = up(&mut b, &Graph::default(), &mut fresh).unwrap();
    assert_eq!(p.changes.len(), 1, "{}", p.render_text());
    assert_eq!(p.changes[0].op, Op::Delete);
    assert!(host_anchors(b.host()).is_empty());
}

fn needs_everything() -> Needs {
    let ex = examples()
        .into_iter()
        .find(|e| e.name == "showcase")
        .unwrap();
    let n = Needs::from_graph(&ex.graph);
    assert!(n.nat && n.rdr && n.vnet && n.bridges && n.forward4, "{n:?}");
    n
}

#[test]
fn doctor_on_a_fresh_host_fails_with_the_exact_fixes() {
    let needs = needs_everything();
    let mut h = RecordingHost::new(SimHost::fresh());
    let found = doctor(&mut h, &needs);
    let by = |check: &str| {
        found
            .iter()
            .find(|f| f.check.contains(check))
            .unwrap_or_else(|| panic!("no `{check}` in {found:#?}"))
    };
    assert_eq!(by("VIMAGE").status, Status::Ok);
    let pf = by("pf is enabled");
    assert_eq!(pf.status, Status::Fail);
    assert_eq!(pf.detail, "Status: Disabled");
    assert_eq!(
        pf.fix.as_deref(),
        Some("sysrc pf_enable=YES && service pf start")
    );
    let conf = by("/etc/pf.conf");
    assert_eq!(conf.status, Status::Fail);
    let fix = conf.fix.as_deref().unwrap();
    for hook in PF_HOOKS {
        assert!(fix.contains(hook), "{fix}");
    }
    let fwd = by("net.inet.ip.forwarding");
    assert_eq!(fwd.status, Status::Warn);
    assert_eq!(
        fwd.fix.as_deref(),
        Some(
            "sysctl net.inet.ip.forwarding=1\necho 'net.inet.ip.forwarding=1' >> /etc/sysctl.conf"
        )
    );
    assert_eq!(by("bridges").status, Status::Ok);
    // Secure NICs (dmz2): ipfw is loaded on the sim; its layer-2 sysctls are off.
    assert_eq!(by("ipfw is loaded").status, Status::Ok);
    assert_eq!(by("ng_ether is loaded").status, Status::Ok);
    let l2 = by("net.link.bridge.ipfw is 1");
    assert_eq!(l2.status, Status::Fail);
    assert_eq!(
        l2.fix.as_deref(),
        Some("sysctl net.link.bridge.ipfw=1\necho 'net.link.bridge.ipfw=1' >> /etc/sysctl.conf")
    );
    assert_eq!(by("net.link.ether.ipfw is 1").status, Status::Fail);
    // …and traffic to the host is not checked on the jail's port yet.
    assert_eq!(by("net.link.bridge.ipfw_arp is 1").status, Status::Warn);
    let local = by("net.link.bridge.pfil_local_phys and pfil_member are 1");
    assert_eq!(local.status, Status::Warn);
    assert_eq!(
        local.detail.split(':').next(),
        Some("pfil_local_phys=0 pfil_member=1")
    );
    assert_eq!(
        local.fix.as_deref(),
        Some(
            "sysctl net.link.bridge.pfil_local_phys=1 net.link.bridge.pfil_member=1\n\
              echo 'net.link.bridge.pfil_local_phys=1' >> /etc/sysctl.conf\n\
              echo 'net.link.bridge.pfil_member=1' >> /etc/sysctl.conf"
        )
    );
    // Read-only: nothing but queries ran.
    for l in h.transcript().lines() {
        assert!(
            l.starts_with("sysctl -n")
                || l.starts_with("pfctl -s")
                || l.starts_with("cat ")
                || l.starts_with("kldstat -q")
                || l.starts_with("sysrc -n"),
            "{l}"
        );
    }
    // A pf.conf without the hooks: the exact lines, and where they go.
    let mut h = SimHost::fresh().with_pf_enabled(true);
    h.state_mut().files.insert(
        "/etc/pf.conf".into(),
        "set skip on lo0\nblock in all\npass out all\n".into(),
    );
    let found = doctor(&mut h, &needs);
    let conf = found
        .iter()
        .find(|f| f.check.contains("/etc/pf.conf"))
        .unwrap();
    assert_eq!(conf.status, Status::Fail);
    assert_eq!(
        conf.fix.as_deref(),
        Some(
            "add to /etc/pf.conf with the translation rules (after options and scrub, before the first pass/block/anchor rule):\n\
             nat-anchor \"jailnet/*\"\nrdr-anchor \"jailnet/*\"\n\
             add to /etc/pf.conf with the filter rules (its pass rules are `quick`: put it before any `block quick` that would match forwarded ports):\n\
             anchor \"jailnet/*\"\n\
             then: service pf reload"
        )
    );
    // Hooks after the filter rules are refused by pf: reported as misplaced.
    h.state_mut().files.insert(
        "/etc/pf.conf".into(),
        "block in all\nnat-anchor \"jailnet/*\"\nrdr-anchor \"jailnet/*\"\nanchor \"jailnet/*\"\n"
            .into(),
    );
    let found = doctor(&mut h, &needs);
    let conf = found
        .iter()
        .find(|f| f.check.contains("/etc/pf.conf"))
        .unwrap();
    assert_eq!(conf.status, Status::Fail);
    assert!(
        conf.detail.contains("after the first filter rule"),
        "{}",
        conf.detail
    );
}

#[test]
fn doctor_on_a_configured_host_is_all_ok() {
    let needs = needs_everything();
    let mut h = SimHost::fresh()
        .with_pf_main(MAIN)
        .unwrap()
        .with_pf_enabled(true);
    h.state_mut()
        .files
        .insert("/etc/pf.conf".into(), MAIN.into());
    h.state_mut().files.insert(
        "/etc/sysctl.conf".into(),
        "net.inet.ip.forwarding=1\nnet.inet6.ip6.forwarding=1\n\
         net.link.bridge.ipfw=1\nnet.link.ether.ipfw=1\nnet.link.bridge.pfil_bridge=1\n\
         net.link.bridge.pfil_local_phys=1\nnet.link.bridge.pfil_member=1\n\
         net.link.bridge.ipfw_arp=1\n"
            .into(),
    );
    // bridge.ipfw=1 turns pfil_bridge and pfil_member off (if_bridge does); pf and the
    // guards' checks of traffic to the host need them back on.
    for s in [
        "net.inet.ip.forwarding=1",
        "net.inet6.ip6.forwarding=1",
        "net.link.bridge.ipfw=1",
        "net.link.ether.ipfw=1",
        "net.link.bridge.pfil_bridge=1",
        "net.link.bridge.pfil_member=1",
        "net.link.bridge.pfil_local_phys=1",
        "net.link.bridge.ipfw_arp=1",
    ] {
        assert!(h.sh("sysctl", &[s]).success());
    }
    let found = doctor(&mut h, &needs);
    assert!(found.iter().all(|f| f.status == Status::Ok), "{found:#?}");
    assert!(found.iter().any(|f| f.check.contains("running pf ruleset")));

    // pf.conf edited but not reloaded: the running ruleset lacks the hooks.
    let mut h = SimHost::fresh().with_pf_enabled(true);
    h.state_mut()
        .files
        .insert("/etc/pf.conf".into(), MAIN.into());
    let found = doctor(&mut h, &needs);
    let live = found
        .iter()
        .find(|f| f.check.contains("running pf ruleset"))
        .unwrap();
    assert_eq!(
        (live.status, live.fix.as_deref()),
        (Status::Fail, Some("service pf reload"))
    );
}

#[test]
fn needs_follow_the_config() {
    let ex = from_text(
        "plain",
        "[host]\nuplink = \"em0\"\n[jail.a]\nip4 = [\"em0|192.168.0.3/32\"]\n",
    );
    let n = Needs::from_graph(&ex.graph);
    assert_eq!(n, Needs::default());
    let mut h = RecordingHost::new(SimHost::fresh());
    assert!(doctor(&mut h, &n).is_empty());
    assert_eq!(h.count(), 0);
}
