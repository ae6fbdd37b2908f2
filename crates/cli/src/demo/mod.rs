//! `jailnet demo`: build `examples/showcase.toml` in a sandbox (a host namespace and an
//! upstream namespace), prove it works with live traffic, draw it, tear it down, and
//! check the sandbox is exactly as before. Exit 1 if any check fails.

mod checks;
mod draw;
mod freebsd;
mod overlay;
mod sandbox;

use crate::engine::{converge, prepare, ApplyOpts, Scope};

const DEMO: ApplyOpts<'static> = ApplyOpts {
    host: "demo",
    verbose: false,
    journal: None,
};
use crate::exit::Invalid;
use anyhow::{Context, Result};
use checks::{fact, ping, tcp, tcp_source, udp_from, Check};
use jailnet_linux::{LinuxBackend, LinuxOptions};
use jailnet_plan::State;
use sandbox::Sandbox;

const SHOWCASE: &str = include_str!("../../../../examples/showcase.toml");

pub fn run(json: bool) -> Result<i32> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Err(Invalid(
            "jailnet demo builds network namespaces and needs root (try: sudo make demo)".into(),
        )
        .into());
    }
    let (cfg, d) = jailnet_model::check(SHOWCASE);
    if !d.is_empty() {
        anyhow::bail!(
            "showcase.toml is invalid:\n{}",
            d.render("examples/showcase.toml", SHOWCASE)
        );
    }
    println!("== jailnet demo: examples/showcase.toml in a sandbox ==\n");
    let sb = Sandbox::create()?;
    println!(
        "sandbox: host namespace {}, upstream namespace {} (internet stand-in {})",
        sb.host,
        sb.upstream,
        sandbox::INTERNET_ADDR
    );
    let before = sb.snapshot()?;
    let etc = std::env::temp_dir().join(format!("jailnet-demo-{}", std::process::id()));
    let mut be = LinuxBackend::new(LinuxOptions {
        host_netns: Some(sb.host.clone()),
        etc_netns_dir: etc.join("netns"),
        run_dir: etc.join("run"),
    });
    let mut state = State::default();
    let mut results: Vec<Check> = Vec::new();

    // up
    let t = std::time::Instant::now();
    let prepared = prepare(&cfg, &state, &mut be, &Scope::All)?;
    let n = converge(
        &prepared,
        &mut state,
        &mut be,
        &Scope::All,
        &DEMO,
        &mut |_| Ok(()),
    )
    .context("up failed")?;
    println!(
        "up: {n} changes applied in {:.1} ms\n",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("{}", draw::draw(&cfg, &prepared.alloc));

    let again = prepare(&cfg, &state, &mut be, &Scope::All)?;
    results.push(fact(
        "plan again after up".into(),
        "no changes",
        if again.plan.is_empty() {
            "no changes".into()
        } else {
            format!("{} changes", again.plan.changes.len())
        },
    ));
    // DHCP: dnsmasq on switch pool leased dhcp1 an address from its range.
    let lease = be.leases("dhcp1", "vnet0").unwrap_or_default();
    let pooled = lease.iter().find(|c| match c.addr {
        std::net::IpAddr::V4(a) => {
            (100..=150).contains(&a.octets()[3]) && a.octets()[..3] == [10, 88, 3]
        }
        std::net::IpAddr::V6(_) => false,
    });
    results.push(Check {
        tried: "dhcp1 lease from switch pool (dnsmasq)".into(),
        expected: "10.88.3.100-150",
        seen: match (pooled, lease.first()) {
            (Some(c), _) | (None, Some(c)) => c.to_string(),
            (None, None) => "no lease".into(),
        },
        ok: pooled.is_some(),
    });
    let ns = |j: &str| be.jail_netns(j);
    let app_addr = prepared
        .alloc
        .nics
        .get("jail/app/vnet0")
        .and_then(|a| a.ip4)
        .map(|c| c.addr.to_string())
        .unwrap_or_default();
    results.push(fact("auto address of app".into(), "10.88.1.2", app_addr));
    results.push(ping(&ns("web1"), "web1", "10.88.1.1", true));
    results.push(ping(&ns("web1"), "web1", "10.88.1.11", true));
    results.push(ping(&ns("web1"), "web1", "fd00:88:1::11", true));
    results.push(tcp(
        &ns("web1"),
        &ns("web2"),
        "web1",
        "0.0.0.0:80".parse()?,
        "10.88.1.11:80".parse()?,
        true,
    ));
    results.push(ping(&ns("app"), "app", "10.88.1.10", true));
    results.push(ping(
        &ns("dhcp1"),
        "dhcp1 (leased address)",
        "10.88.3.1",
        true,
    ));
    results.push(ping(
        &ns("dmz1"),
        "dmz1 (private switch)",
        "10.88.2.1",
        true,
    ));
    results.push(ping(
        &ns("dmz1"),
        "dmz1 (private switch)",
        "10.88.2.11",
        false,
    ));
    results.push(tcp(
        &ns("dmz1"),
        &ns("dmz2"),
        "dmz1 (private switch)",
        "0.0.0.0:22".parse()?,
        "10.88.2.11:22".parse()?,
        false,
    ));
    results.push(ping(
        &ns("web1"),
        "web1 (other switch, routed)",
        "10.88.2.10",
        true,
    ));
    // Secure NIC (table bridge jailnet): dmz2 may send from its own address only.
    let gw = "10.88.2.1:7353".parse()?;
    results.push(udp_from(
        &ns("dmz2"),
        "dmz2 (secure nic)",
        "vnet0",
        "10.88.2.11".parse()?,
        &sb.host,
        gw,
        true,
    ));
    results.push(udp_from(
        &ns("dmz2"),
        "dmz2 (foreign source)",
        "vnet0",
        "10.88.2.99".parse()?,
        &sb.host,
        gw,
        false,
    ));
    // NAT and port forwarding (table inet jailnet).
    let internet = format!("{}:9000", sandbox::INTERNET_ADDR).parse()?;
    results.push(ping(
        &ns("dmz1"),
        "dmz1 -> internet (NAT)",
        sandbox::INTERNET_ADDR,
        true,
    ));
    results.push(tcp_source(
        &ns("web2"),
        &sb.upstream,
        "web2 -> internet (NAT)",
        internet,
        sandbox::HOST_UPLINK,
    ));
    let exposed = format!("{}:8080", sandbox::HOST_UPLINK).parse()?;
    let any80 = "0.0.0.0:80".parse()?;
    results.push(tcp(
        &sb.upstream,
        &ns("web1"),
        "upstream (expose tcp/8080:80)",
        any80,
        exposed,
        true,
    ));
    results.push(tcp(
        &sb.host,
        &ns("web1"),
        "host itself (hairpin)",
        any80,
        exposed,
        true,
    ));
    results.push(tcp(
        &ns("web2"),
        &ns("web1"),
        "web2 via the uplink (hairpin)",
        any80,
        exposed,
        true,
    ));
    let closed = format!("{}:81", sandbox::HOST_UPLINK).parse()?;
    results.push(tcp(
        &sb.upstream,
        &ns("web1"),
        "upstream (port 81 not exposed)",
        "0.0.0.0:81".parse()?,
        closed,
        false,
    ));

    // down
    let t = std::time::Instant::now();
    let prepared = prepare(&cfg, &state, &mut be, &Scope::Nothing)?;
    let n = converge(
        &prepared,
        &mut state,
        &mut be,
        &Scope::Nothing,
        &DEMO,
        &mut |_| Ok(()),
    )
    .context("down failed")?;
    println!(
        "down: {n} changes applied in {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let after = sb.snapshot()?;
    results.push(fact(
        "sandbox host after down".into(),
        "as before up",
        if after == before {
            "as before up".into()
        } else {
            diff_lines(&before.0, &after.0)
        },
    ));
    let tables = sb.nft_tables();
    results.push(fact(
        "nft tables in the sandbox host after down".into(),
        "none",
        if tables.is_empty() {
            "none".into()
        } else {
            tables
        },
    ));
    let left = sb.jail_namespaces();
    results.push(fact(
        "jail namespaces after down".into(),
        "none",
        if left.is_empty() {
            "none".into()
        } else {
            left.join(" ")
        },
    ));
    let run: Vec<String> = std::fs::read_dir(etc.join("run"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    results.push(fact(
        "dnsmasq/dhclient files after down".into(),
        "none",
        if run.is_empty() {
            "none".into()
        } else {
            run.join(" ")
        },
    ));
    let _ = std::fs::remove_dir_all(&etc);
    drop(be);
    drop(sb);
    overlay::run(&mut results)?;
    freebsd::run(&cfg, &mut results)?;

    let failed = results.iter().filter(|c| !c.ok).count();
    if json {
        let v: Vec<_> = results.iter().map(|c| serde_json::json!({"tried": c.tried, "expected": c.expected, "seen": c.seen, "ok": c.ok})).collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("\n{}", table(&results));
        println!("{} passed, {} failed", results.len() - failed, failed);
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

fn table(rows: &[Check]) -> String {
    let w0 = rows.iter().map(|r| r.tried.len()).max().unwrap_or(5).max(5);
    let w1 = rows
        .iter()
        .map(|r| r.expected.len())
        .max()
        .unwrap_or(8)
        .max(8);
    let mut s = format!(
        "{:<4} {:<w0$}  {:<w1$}  {}\n",
        "", "check", "expected", "seen"
    );
    for r in rows {
        s.push_str(&format!(
            "{:<4} {:<w0$}  {:<w1$}  {}\n",
            if r.ok { "ok" } else { "FAIL" },
            r.tried,
            r.expected,
            r.seen
        ));
    }
    s
}

fn diff_lines(a: &[String], b: &[String]) -> String {
    let gone: Vec<&String> = a.iter().filter(|x| !b.contains(x)).collect();
    let new: Vec<&String> = b.iter().filter(|x| !a.contains(x)).collect();
    format!("differs: gone {gone:?}, new {new:?}")
}
