//! A measurement, not a timed test: 1000 veth pairs, each peer born inside its
//! own jail namespace, sequentially (one request + ack each) and batched.
//! Run with `cargo test -p jailnet-linux --release --test bench -- --ignored --nocapture`.

mod util;

use std::time::Instant;

use jailnet_linux::{LinkRef, MacAddr, Request, VethSpec};
use util::Sandbox;

const N: usize = 1000;

#[test]
#[ignore = "measurement: creates 1000 namespaces"]
fn thousand_veths_into_thousand_namespaces() {
    let Some(mut sb) = Sandbox::new("thousand_veths") else {
        return;
    };
    let host = sb.ns();
    let t = Instant::now();
    let jails: Vec<util::Ns> = (0..N).map(|_| sb.ns()).collect();
    let ns_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "create {N} namespaces: {:.3} ms per namespace",
        ns_ms / N as f64
    );

    let mut nl = host.netlink();
    let names: Vec<String> = (0..N).map(|i| format!("jh{i}")).collect();
    let spec = |i: usize| VethSpec {
        mac: Some(MacAddr([2, 0, 0, 0, (i >> 8) as u8, i as u8])),
        peer_mac: Some(MacAddr([0x58, 0x9c, 0xfc, 0, (i >> 8) as u8, i as u8])),
        peer_netns: Some(&jails[i].fd),
        ..VethSpec::new(&names[i], "eth0")
    };

    let t = Instant::now();
    for i in 0..N {
        nl.create_veth(&spec(i)).unwrap();
    }
    let seq_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "sequential: {N} veth pairs in {seq_ms:.0} ms = {:.3} ms per pair",
        seq_ms / N as f64
    );

    let t = Instant::now();
    nl.execute_all(
        names
            .iter()
            .map(|n| Request::delete_link(LinkRef::Name(n)))
            .collect(),
    )
    .unwrap();
    let del_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!("batched delete: {:.3} ms per pair", del_ms / N as f64);

    let t = Instant::now();
    let reqs: Vec<Request> = (0..N)
        .map(|i| Request::create_veth(&spec(i)).unwrap())
        .collect();
    nl.execute_all(reqs).unwrap();
    let batch_ms = t.elapsed().as_secs_f64() * 1000.0;
    eprintln!(
        "batched: {N} veth pairs in {batch_ms:.0} ms = {:.3} ms per pair",
        batch_ms / N as f64
    );

    let veths = nl
        .links()
        .unwrap()
        .into_iter()
        .filter(|l| l.kind.as_deref() == Some("veth"))
        .count();
    assert_eq!(veths, N);

    let t = Instant::now();
    drop(jails);
    drop(nl);
    drop(sb);
    eprintln!(
        "delete {N} namespaces: {:.3} ms per namespace",
        t.elapsed().as_secs_f64() * 1000.0 / N as f64
    );
}
