//! jailnet-linux: the kernel-facing layer of jailnet's Linux backend.
//!
//! Everything here talks to the kernel directly — rtnetlink over a synchronous
//! socket, `setns`/`unshare`/`mount` for namespaces, `/proc/sys`, and the
//! `/dev/net/tun` ioctls. The only processes are spawned by the backend through
//! `jailnet-host` (argv only): `nft -f`, and the DHCP daemons (dnsmasq, dhclient).
//! The layers, bottom up:
//!
//! - [`netns`]: named network namespaces compatible with iproute2 (`/run/netns/NAME`
//!   bind mounts, so `ip netns list|exec` see them), and [`NsFd::run`] to run a
//!   closure on a short-lived thread inside a namespace. The caller's thread
//!   never changes namespace.
//! - [`conn`]: [`Netlink`], one NETLINK_ROUTE socket opened inside one namespace
//!   (a socket stays bound to the namespace it was created in), with acks,
//!   extended-ack error text, multipart dumps, and batches of many requests per
//!   datagram; and [`Request`], one typed request that can be executed alone or
//!   in a batch.
//! - Resources, one module each, each adding `Request` constructors (one kernel
//!   request apiece) and `Netlink` convenience methods: [`link`] (dump, delete,
//!   up/down, MTU, MAC, alias, master, bridge-port `isolated`, rename, move to a
//!   netns), [`veth`] (peer born in another namespace), [`bridge`], [`vxlan`],
//!   [`tap`] (ioctl-based: netlink cannot create tun/tap), [`address`], [`route`],
//!   [`fdb`], [`ra_filter`] (a tc filter keeping router advertisements from a link),
//!   [`settings`] (several settings of one link in one request).
//! - [`sysctl`]: `/proc/sys` reads and writes, optionally inside a namespace.
//! - [`backend`]: [`LinuxBackend`], jailnet's plan `Backend` on top of all the
//!   above: namespaces for VNET jails, bridges, veths, taps, vxlan, routes,
//!   resolver files, nft tables, dnsmasq per DHCP switch, dhclient per DHCP NIC;
//!   observe by one dump per namespace.
//!
//! Rules: every failure is a typed [`Error`] naming the operation; names are
//! checked before they reach the kernel; nothing here decides *what* to change —
//! that is the plan's job, this crate only carries it out.

pub mod address;
pub mod backend;
pub mod bridge;
pub mod conn;
pub mod doctor;
pub mod error;
pub mod fdb;
pub mod link;
pub mod netns;
pub mod nft;
pub mod nftables;
pub mod ra_filter;
mod raw;
pub mod route;
pub mod settings;
pub mod snapshot;
pub mod sysctl;
pub mod tap;
pub mod types;
pub mod veth;
pub mod vxlan;

pub use address::{AddrOptions, Address};
pub use backend::{jail_netns_name, LinuxBackend, LinuxOptions};
pub use bridge::BridgeSpec;
pub use conn::{Netlink, Request};
pub use error::{Error, Result};
pub use fdb::FdbEntry;
pub use link::{Link, VxlanInfo};
pub use netns::{Netns, NsFd, NETNS_RUN_DIR};
pub use route::{Route, TABLE_MAIN};
pub use settings::LinkSettings;
pub use tap::{create_tap, create_tap_in};
pub use types::{check_ifname, LinkRef, MacAddr, IFNAME_MAX};
pub use veth::VethSpec;
pub use vxlan::{VxlanSpec, VXLAN_PORT};
