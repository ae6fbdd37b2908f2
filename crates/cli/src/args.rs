//! The command line: global options and one subcommand each, as in DESIGN.md's CLI contract.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Declarative networking for FreeBSD jails and bhyve VMs, from one TOML file.
///
/// Exit codes: 0 ok, 1 runtime failure (after rollback), 2 invalid input or usage.
#[derive(Debug, Parser)]
#[command(
    name = "jailnet",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// Config file [default: ./jailnet.toml if present, else /usr/local/etc/jailnet.toml
    /// on FreeBSD and /etc/jailnet.toml elsewhere]
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Which host to act on: the real FreeBSD tools, Linux netlink, or the simulated
    /// FreeBSD host kept in the state dir
    #[arg(long, global = true, value_enum, default_value_t = BackendKind::Auto)]
    pub backend: BackendKind,

    /// Where jailnet keeps its state [default: /var/db/jailnet on FreeBSD, /var/lib/jailnet
    /// elsewhere]
    #[arg(long, global = true, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// (linux) Treat network namespace NS as the host; jail namespaces are made for it
    /// only and the real root namespace is never touched
    #[arg(long, global = true, value_name = "NS")]
    pub host_netns: Option<String>,

    /// Machine-readable output
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BackendKind {
    /// freebsd on FreeBSD, linux on Linux
    Auto,
    Freebsd,
    Linux,
    Sim,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Check the config; print `FILE:LINE:COL: error: …` for every problem (exit 2)
    Validate,
    /// Show what would change on the host
    Plan {
        /// Print the exact commands (argv) or kernel requests for each change
        #[arg(long)]
        commands: bool,
    },
    /// Make the host match the config
    Up,
    /// Remove everything jailnet made
    Down,
    /// Bring up one jail's networking (for jail.conf exec.created / exec.prestart)
    Attach {
        /// Jail name as in the config
        jail: String,
    },
    /// Take down one jail's networking (for jail.conf exec.poststop); works when the jail
    /// is already gone
    Detach {
        /// Jail name as in the config
        jail: String,
    },
    /// (cluster) Keep this host's VTEP registered in etcd and follow the other hosts':
    /// on every change re-plan and apply (the vxlan peers' FDB entries change in place)
    Watch {
        /// Stop after SECS seconds [default: run until SIGINT/SIGTERM]
        #[arg(long, value_name = "SECS")]
        timeout: Option<u64>,
        /// Stop after the first change from the cluster has been applied
        #[arg(long)]
        once_after_change: bool,
        /// TTL of the etcd lease the VTEP lives under: peers drop this host this long
        /// after its watch stops
        #[arg(long, value_name = "SECS", default_value_t = 60,
              value_parser = clap::value_parser!(i64).range(2..=86400))]
        ttl: i64,
    },
    /// Show switches, jails, NICs, addresses and their live state
    Status,
    /// Draw the topology: switches, jails, VMs, uplinks, NAT, exposed ports and VXLAN
    /// peers, coloured by live state when the backend can observe the host
    Graph {
        /// Output format (svg uses graphviz's dot when installed, else a built-in layout)
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Check host prerequisites and drift, each with the exact fix
    Doctor,
    /// Remove leftovers that jailnet owns but the config no longer declares
    Gc,
    /// (linux) Run a command inside a jail's network namespace
    Exec {
        /// Jail name as in the config
        jail: String,
        /// The command and its arguments
        #[arg(last = true, required = true)]
        cmd: Vec<String>,
    },
    /// (sim) Inspect the simulated FreeBSD host
    Sim {
        #[command(subcommand)]
        cmd: SimCmd,
    },
    /// Convert iocage / pot / bastille configs to jailnet.toml (printed on stdout; what
    /// cannot be carried over becomes `# not carried over: …` comments)
    Import {
        #[arg(value_enum)]
        from: ImportFrom,
        /// iocage: a jail's config.json, a jail directory, or a directory of jails
        /// (iocage/jails/*/config.json). pot: a pot's conf/pot.conf, a pot directory or
        /// the jails directory, plus optionally the global pot.conf. bastille: a jail's
        /// jail.conf, a jail directory or the jails directory
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// The host's outside interface ([host] uplink) when the configs do not name it
        #[arg(long, value_name = "IF")]
        uplink: Option<String>,
    },
    /// Print the host's base networking as rc.conf(5) settings (`sysrc` lines), for
    /// admins who want it in plain rc.conf rather than from `jailnet up`
    Export {
        #[arg(value_enum)]
        what: ExportWhat,
    },
    /// Print a shell completion script
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the JSON Schema of jailnet.toml
    Schema,
    /// Build a showcase topology in a sandbox, prove it works, tear it down
    Demo,
    /// Print configuration for other tools (jail.conf lines that hook jailnet in)
    Emit {
        #[command(subcommand)]
        what: EmitWhat,
    },
}

#[derive(Debug, Subcommand)]
pub enum EmitWhat {
    /// jail.conf(5) lines for one jail: vnet / ip4.addr and the exec.created /
    /// exec.poststop hooks that run `jailnet attach` / `jailnet detach`
    JailConf {
        /// Jail name as in the config
        jail: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum SimCmd {
    /// The simulated host: ifconfig -a, jls, pf anchors, ipfw
    Show,
    /// Forget the simulated host (start again from a fresh one)
    Reset,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Svg,
    Dot,
    Mermaid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportWhat {
    /// sysrc lines: cloned_interfaces, ifconfig_bridgeN="… addm … up", gateway_enable, …
    RcConf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFrom {
    Iocage,
    Pot,
    Bastille,
}
