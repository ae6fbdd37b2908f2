//! The synchronous facade over the async `etcd-client`: one current-thread tokio runtime
//! per [`Client`], every call bounded by a timeout, every failure a typed [`Error`].
//! The primitives the cluster is built from live here: switch definitions (create once,
//! compare after), address leases (compare-and-swap on `create_revision == 0`), VTEPs
//! (put under an etcd lease with a TTL), and reading prefixes.

use crate::error::{Error, Result};
use crate::keys::{self, Owner};
use etcd_client::{Compare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn, TxnOp};
use jailnet_model::net::Cidr;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;
use tokio::runtime::Runtime;

/// How long one request may take before it fails with [`Error::Timeout`].
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times [`Client::lease_auto`] retries after losing a race for an address.
pub const MAX_TRIES: u32 = 64;

/// A connection to the etcd cluster, usable from synchronous code.
pub struct Client {
    pub(crate) rt: Runtime,
    pub(crate) etcd: etcd_client::Client,
    pub(crate) timeout: Duration,
}

/// A cluster switch's definition at `/jailnet/v1/switches/<name>`: what every host that
/// joins it must agree on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchDef {
    pub vni: u32,
    /// The IPv4 subnet `auto` addresses are leased from (network/prefix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<Cidr>,
    /// The IPv6 subnet, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet6: Option<Cidr>,
}

/// The outcome of claiming one address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// The lease is (now or already) this owner's.
    Mine,
    /// Someone else holds it.
    Taken(String),
}

/// One key read from etcd: its value (UTF-8) and the etcd lease it lives under (0: none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kv {
    pub key: String,
    pub value: String,
    pub lease: i64,
}

/// Every VTEP: switch → host → underlay address, and the revision they were read at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vteps {
    pub by_switch: BTreeMap<String, BTreeMap<String, IpAddr>>,
    pub revision: i64,
}

impl Client {
    /// Connect to `endpoints` (`http://HOST:PORT`). The connection is made lazily; an
    /// unreachable cluster shows up as [`Error::Timeout`] on the first request.
    pub fn connect(endpoints: &[String]) -> Result<Client> {
        Client::connect_with_timeout(endpoints, REQUEST_TIMEOUT)
    }

    /// [`Client::connect`] with another per-request timeout.
    pub fn connect_with_timeout(endpoints: &[String], timeout: Duration) -> Result<Client> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let opts = etcd_client::ConnectOptions::new()
            .with_connect_timeout(timeout.min(Duration::from_secs(5)));
        let etcd = block(
            &rt,
            timeout,
            "connect",
            etcd_client::Client::connect(endpoints, Some(opts)),
        )?;
        Ok(Client { rt, etcd, timeout })
    }

    /// Run `fut` on this client's runtime, bounded by its timeout.
    pub(crate) fn call<T, F>(&self, op: &str, fut: F) -> Result<T>
    where
        F: Future<Output = Result<T, etcd_client::Error>>,
    {
        block(&self.rt, self.timeout, op, fut)
    }

    /// Every key under `prefix` with its value and etcd lease id, and the revision read at.
    pub fn get_prefix(&mut self, prefix: &str) -> Result<(Vec<Kv>, i64)> {
        let mut kv = self.etcd.kv_client();
        let resp = self.call(
            &format!("get {prefix}"),
            kv.get(prefix, Some(GetOptions::new().with_prefix())),
        )?;
        let rev = resp.header().map_or(0, |h| h.revision());
        let mut out = Vec::with_capacity(resp.kvs().len());
        for kv in resp.kvs() {
            let key = String::from_utf8_lossy(kv.key()).into_owned();
            let value = std::str::from_utf8(kv.value())
                .map_err(|e| Error::Corrupt {
                    key: key.clone(),
                    reason: format!("not UTF-8: {e}"),
                })?
                .to_string();
            out.push(Kv {
                key,
                value,
                lease: kv.lease(),
            });
        }
        Ok((out, rev))
    }

    /// Define switch `name` as `def` unless it is defined already; then the stored
    /// definition must equal `def` ([`Error::SwitchMismatch`] otherwise).
    pub fn define_switch(&mut self, name: &str, def: &SwitchDef) -> Result<()> {
        let key = keys::switch(name);
        let json = serde_json::to_string(def).map_err(|e| Error::Corrupt {
            key: key.clone(),
            reason: e.to_string(),
        })?;
        let txn = Txn::new()
            .when([Compare::create_revision(key.as_str(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key.as_str(), json.as_str(), None)]);
        let mut kv = self.etcd.kv_client();
        let resp = self.call(&format!("define {key}"), kv.txn(txn))?;
        if resp.succeeded() {
            return Ok(());
        }
        match self.switch(name)? {
            Some(theirs) if theirs == *def => Ok(()),
            Some(theirs) => Err(Error::SwitchMismatch {
                switch: name.into(),
                ours: describe(def),
                theirs: describe(&theirs),
            }),
            // Deleted between the two calls: try again.
            None => self.define_switch(name, def),
        }
    }

    /// The stored definition of switch `name`.
    pub fn switch(&mut self, name: &str) -> Result<Option<SwitchDef>> {
        let key = keys::switch(name);
        let mut kv = self.etcd.kv_client();
        let resp = self.call(&format!("get {key}"), kv.get(key.as_str(), None))?;
        let Some(kv) = resp.kvs().first() else {
            return Ok(None);
        };
        serde_json::from_slice(kv.value())
            .map(Some)
            .map_err(|e| Error::Corrupt {
                key,
                reason: e.to_string(),
            })
    }

    /// The leases of `switch`: address → owner (as stored).
    pub fn leases(&mut self, switch: &str) -> Result<BTreeMap<IpAddr, String>> {
        let prefix = keys::switch_leases(switch);
        let (kvs, _) = self.get_prefix(&prefix)?;
        let mut out = BTreeMap::new();
        for Kv { key, value, .. } in kvs {
            let ip = key
                .strip_prefix(&prefix)
                .and_then(|s| s.parse::<IpAddr>().ok())
                .ok_or_else(|| Error::Corrupt {
                    key: key.clone(),
                    reason: "the last part is not an IP address".into(),
                })?;
            out.insert(ip, value);
        }
        Ok(out)
    }

    /// Claim `ip` on `switch` for `owner`: created only if nobody holds it
    /// (`create_revision == 0`); already `owner`'s is fine too.
    pub fn claim(&mut self, switch: &str, ip: &IpAddr, owner: &Owner) -> Result<Claim> {
        let key = keys::lease(switch, ip);
        let me = owner.to_string();
        let txn = Txn::new()
            .when([Compare::create_revision(key.as_str(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(key.as_str(), me.as_str(), None)])
            .or_else([TxnOp::get(key.as_str(), None)]);
        let mut kv = self.etcd.kv_client();
        let resp = self.call(&format!("lease {key}"), kv.txn(txn))?;
        if resp.succeeded() {
            return Ok(Claim::Mine);
        }
        let holder = resp
            .op_responses()
            .into_iter()
            .find_map(|r| match r {
                etcd_client::TxnOpResponse::Get(g) => g
                    .kvs()
                    .first()
                    .map(|kv| String::from_utf8_lossy(kv.value()).into_owned()),
                _ => None,
            })
            .unwrap_or_default();
        if holder == me {
            Ok(Claim::Mine)
        } else {
            Ok(Claim::Taken(holder))
        }
    }

    /// Lease an address of `subnet` on `switch` for `owner`: the one it already holds of
    /// that family, else `prefer` when free, else the lowest free address that `skip`
    /// does not reserve. Losing a race for an address moves on to the next one.
    pub fn lease_auto(
        &mut self,
        switch: &str,
        subnet: &Cidr,
        owner: &Owner,
        prefer: Option<IpAddr>,
        skip: &dyn Fn(&IpAddr) -> bool,
    ) -> Result<IpAddr> {
        let me = owner.to_string();
        let family = if subnet.is_v4() { "IPv4" } else { "IPv6" };
        let ok = |ip: &IpAddr| {
            subnet.contains(ip)
                && *ip != subnet.network()
                && subnet.broadcast() != Some(*ip)
                && !skip(ip)
        };
        for _ in 0..MAX_TRIES {
            let taken = self.leases(switch)?;
            if let Some(ip) = taken
                .iter()
                .find(|(ip, o)| **o == me && subnet.contains(ip))
                .map(|(ip, _)| *ip)
            {
                return Ok(ip);
            }
            let free = |ip: &IpAddr| ok(ip) && !taken.contains_key(ip);
            let pick = prefer.filter(free).or_else(|| {
                // The lowest free one: at most taken.len() + a few are skipped before it.
                (1..subnet.size())
                    .map_while(|n| subnet.nth(n))
                    .find(|ip| free(ip))
            });
            let Some(ip) = pick else {
                return Err(Error::Exhausted {
                    switch: switch.into(),
                    family,
                    owner: me,
                });
            };
            if self.claim(switch, &ip, owner)? == Claim::Mine {
                return Ok(ip);
            }
        }
        Err(Error::Contention {
            switch: switch.into(),
            owner: me,
            tries: MAX_TRIES,
        })
    }

    /// Delete the lease of `ip` on `switch` if `owner` still holds it.
    pub fn unlease(&mut self, switch: &str, ip: &IpAddr, owner: &Owner) -> Result<bool> {
        let key = keys::lease(switch, ip);
        let me = owner.to_string();
        self.delete_if(&key, &me)
    }

    /// Delete `key` if it still holds `value` (someone may have re-leased it meanwhile).
    pub(crate) fn delete_if(&mut self, key: &str, value: &str) -> Result<bool> {
        let txn = Txn::new()
            .when([Compare::value(key, CompareOp::Equal, value)])
            .and_then([TxnOp::delete(key, None)]);
        let mut kv = self.etcd.kv_client();
        Ok(self
            .call(&format!("delete {key}"), kv.txn(txn))?
            .succeeded())
    }

    /// Every lease held by `host`: (switch, address, owner).
    pub fn host_leases(&mut self, host: &str) -> Result<Vec<(String, IpAddr, Owner)>> {
        let prefix = keys::leases();
        let (kvs, _) = self.get_prefix(&prefix)?;
        let mut out = Vec::new();
        for Kv { key, value, .. } in kvs {
            let Some(owner) = Owner::parse(&value).filter(|o| o.host == host) else {
                continue;
            };
            if let Some((sw, ip)) = keys::split2(&prefix, &key) {
                if let Ok(ip) = ip.parse() {
                    out.push((sw.to_string(), ip, owner));
                }
            }
        }
        Ok(out)
    }

    /// Release every lease `host` holds; returns how many went.
    pub fn release_host(&mut self, host: &str) -> Result<usize> {
        let mut n = 0;
        for (sw, ip, owner) in self.host_leases(host)? {
            n += usize::from(self.unlease(&sw, &ip, &owner)?);
        }
        Ok(n)
    }

    /// Register `host`'s VTEP `addr` on every switch of `switches`, all under one etcd
    /// lease of `ttl` seconds, and drop its VTEP keys on other switches. An existing
    /// live lease with the same TTL that already carries every key is reused (so `up`
    /// keeps the lease a running `watch` refreshes); otherwise a new lease is granted
    /// and the old ones revoked. Returns the lease id.
    pub fn register_vtep(
        &mut self,
        host: &str,
        switches: &[String],
        addr: IpAddr,
        ttl: i64,
    ) -> Result<i64> {
        let mine = self.host_vteps(host)?;
        let value = addr.to_string();
        let leases: std::collections::BTreeSet<i64> = mine.iter().map(|(_, _, l)| *l).collect();
        let complete = switches
            .iter()
            .all(|s| mine.iter().any(|(sw, v, _)| sw == s && *v == value));
        let reusable = match (leases.len(), leases.first()) {
            (1, Some(&l)) if complete && l != 0 => {
                let (left, granted) = self.lease_ttl(l)?;
                (left > 0 && granted == ttl).then_some(l)
            }
            _ => None,
        };
        let stale = mine.iter().any(|(sw, _, _)| !switches.contains(sw));
        if let Some(l) = reusable.filter(|_| !stale) {
            // Nothing to write: a put would only wake every watcher for no change.
            return Ok(l);
        }
        let lease = match reusable {
            Some(l) => l,
            None => {
                let mut lc = self.etcd.lease_client();
                self.call("lease grant", lc.grant(ttl, None))?.id()
            }
        };
        let mut ops: Vec<TxnOp> = switches
            .iter()
            .map(|s| {
                TxnOp::put(
                    keys::vtep(s, host),
                    value.as_str(),
                    Some(PutOptions::new().with_lease(lease)),
                )
            })
            .collect();
        ops.extend(
            mine.iter()
                .filter(|(sw, _, _)| !switches.contains(sw))
                .map(|(sw, _, _)| TxnOp::delete(keys::vtep(sw, host), None)),
        );
        if !ops.is_empty() {
            let mut kv = self.etcd.kv_client();
            self.call(
                &format!("register the VTEP of {host}"),
                kv.txn(Txn::new().and_then(ops)),
            )?;
        }
        for old in leases.into_iter().filter(|l| *l != lease && *l != 0) {
            self.revoke(old)?;
        }
        Ok(lease)
    }

    /// (switch, address, etcd lease) of every VTEP key of `host`.
    pub fn host_vteps(&mut self, host: &str) -> Result<Vec<(String, String, i64)>> {
        let prefix = keys::vteps();
        let (kvs, _) = self.get_prefix(&prefix)?;
        Ok(kvs
            .into_iter()
            .filter_map(|kv| {
                let (sw, h) = keys::split2(&prefix, &kv.key)?;
                (h == host).then(|| (sw.to_string(), kv.value.clone(), kv.lease))
            })
            .collect())
    }

    /// Remove `host` from every switch: revoke the leases its VTEP keys live under (and
    /// delete any key without one). Returns how many keys went.
    pub fn unregister_vtep(&mut self, host: &str) -> Result<usize> {
        let mine = self.host_vteps(host)?;
        let mut leases: Vec<i64> = mine.iter().map(|(_, _, l)| *l).collect();
        leases.sort_unstable();
        leases.dedup();
        for l in leases {
            if l != 0 {
                self.revoke(l)?;
            }
        }
        for (sw, _, l) in &mine {
            if *l == 0 {
                let key = keys::vtep(sw, host);
                let mut kv = self.etcd.kv_client();
                self.call(
                    &format!("delete {key}"),
                    kv.delete(key.as_str(), None::<DeleteOptions>),
                )?;
            }
        }
        Ok(mine.len())
    }

    /// Every VTEP of every switch.
    pub fn vteps(&mut self) -> Result<Vteps> {
        let prefix = keys::vteps();
        let (kvs, revision) = self.get_prefix(&prefix)?;
        let mut out = Vteps {
            by_switch: BTreeMap::new(),
            revision,
        };
        for Kv { key, value, .. } in kvs {
            let Some((sw, host)) = keys::split2(&prefix, &key) else {
                continue;
            };
            let ip = value.parse::<IpAddr>().map_err(|e| Error::Corrupt {
                key: key.clone(),
                reason: format!("not an address: {e}"),
            })?;
            out.by_switch
                .entry(sw.to_string())
                .or_default()
                .insert(host.to_string(), ip);
        }
        Ok(out)
    }

    /// Grant an etcd lease of `ttl` seconds.
    pub fn grant(&mut self, ttl: i64) -> Result<i64> {
        let mut lc = self.etcd.lease_client();
        Ok(self.call("lease grant", lc.grant(ttl, None))?.id())
    }

    /// Revoke etcd lease `id`: every key under it is deleted. A lease that is already
    /// gone (expired) is not an error.
    pub fn revoke(&mut self, id: i64) -> Result<()> {
        let mut lc = self.etcd.lease_client();
        match block(&self.rt, self.timeout, "lease revoke", lc.revoke(id)) {
            Ok(_) => Ok(()),
            Err(Error::Etcd { source, .. })
                if matches!(&*source, etcd_client::Error::GRpcStatus(s)
                    if s.message().contains("lease not found")) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// (seconds left, seconds granted) of etcd lease `id`; left is ≤ 0 when it is gone.
    pub fn lease_ttl(&mut self, id: i64) -> Result<(i64, i64)> {
        let mut lc = self.etcd.lease_client();
        let r = self.call("lease ttl", lc.time_to_live(id, None))?;
        Ok((r.ttl(), r.granted_ttl()))
    }

    /// Refresh etcd lease `id` once; false when it no longer exists.
    pub fn keep_alive_once(&mut self, id: i64) -> Result<bool> {
        let mut lc = self.etcd.lease_client();
        let timeout = self.timeout;
        block(&self.rt, timeout, "lease keep-alive", async move {
            let (mut keeper, mut stream) = lc.keep_alive(id).await?;
            keeper.keep_alive().await?;
            Ok(stream.message().await?.is_some_and(|r| r.ttl() > 0))
        })
    }
}

/// Run `fut` on `rt`, failing with [`Error::Timeout`] after `timeout`.
pub(crate) fn block<T, F>(rt: &Runtime, timeout: Duration, op: &str, fut: F) -> Result<T>
where
    F: Future<Output = Result<T, etcd_client::Error>>,
{
    // The timer must be made inside the runtime.
    match rt.block_on(async move { tokio::time::timeout(timeout, fut).await }) {
        Ok(r) => r.map_err(Error::etcd(op)),
        Err(_) => Err(Error::Timeout {
            op: op.into(),
            secs: timeout.as_secs(),
        }),
    }
}

fn describe(d: &SwitchDef) -> String {
    let mut s = format!("vni {}", d.vni);
    for c in d.subnet.iter().chain(&d.subnet6) {
        s.push_str(&format!(", subnet {c}"));
    }
    s
}
