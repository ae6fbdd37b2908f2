//! The cluster's errors: what failed talking to etcd, and what the cluster refused.

use std::net::IpAddr;

/// Everything [`crate::Client`] and [`crate::sync`] can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The current-thread runtime the synchronous facade runs on could not start.
    #[error("cannot start the etcd client runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// etcd answered with an error, or could not be reached.
    #[error("etcd {op}: {source}")]
    Etcd {
        op: String,
        #[source]
        source: Box<etcd_client::Error>,
    },
    /// etcd did not answer in time (unreachable endpoints, no leader).
    #[error(
        "etcd {op}: no answer within {secs}s (is etcd running at the [cluster] etcd endpoints?)"
    )]
    Timeout { op: String, secs: u64 },
    /// A key holds something jailnet cannot read.
    #[error("etcd key {key}: {reason}")]
    Corrupt { key: String, reason: String },
    /// Another host defined the switch differently (another VNI or subnet).
    #[error(
        "switch '{switch}' is defined differently in the cluster: {theirs} (this host: {ours})"
    )]
    SwitchMismatch {
        switch: String,
        ours: String,
        theirs: String,
    },
    /// A static address (or the host's own address on a switch) is leased to someone else.
    #[error("{ip} on switch '{switch}' is leased to {holder}, so {owner} cannot have it")]
    Taken {
        switch: String,
        ip: IpAddr,
        holder: String,
        owner: String,
    },
    /// Every address of the subnet is leased or reserved.
    #[error("switch '{switch}' has no free {family} address left in the cluster for {owner}")]
    Exhausted {
        switch: String,
        family: &'static str,
        owner: String,
    },
    /// Other hosts kept taking the address just chosen.
    #[error("gave up leasing an address on switch '{switch}' for {owner} after {tries} conflicting attempts")]
    Contention {
        switch: String,
        owner: String,
        tries: u32,
    },
    /// The watch ended: etcd cancelled it (e.g. compaction) or closed the stream.
    #[error("etcd watch ended: {0}")]
    WatchEnded(String),
    /// The config asks for something the cluster needs more information for.
    #[error("{0}")]
    Config(String),
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn etcd(op: impl Into<String>) -> impl FnOnce(etcd_client::Error) -> Error {
        let op = op.into();
        move |source| Error::Etcd {
            op,
            source: Box::new(source),
        }
    }
}
