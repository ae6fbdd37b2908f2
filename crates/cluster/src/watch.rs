//! Following the VTEPs: an etcd watch on `/jailnet/v1/vteps/`, and, while waiting on it,
//! keep-alives for this host's VTEP lease — so a host stays in the cluster exactly as
//! long as its `jailnet watch` runs.

use crate::client::Client;
use crate::error::{Error, Result};
use crate::keys;
use etcd_client::{LeaseKeepAliveStream, LeaseKeeper, WatchOptions, WatchStream, Watcher};
use std::time::Duration;
use tokio::time::Instant;

/// An open watch on every VTEP key.
pub struct VtepWatch {
    // Kept so the watch is not cancelled; never read.
    _watcher: Watcher,
    stream: WatchStream,
    keep: Option<Keep>,
}

/// The lease being kept alive, and when to refresh it next.
struct Keep {
    id: i64,
    every: Duration,
    next: Instant,
    keeper: LeaseKeeper,
    stream: LeaseKeepAliveStream,
}

/// Why [`Client::wait`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wake {
    /// VTEP keys changed: `(switch, host)` of each, in order.
    Changed(Vec<(String, String)>),
    /// Nothing changed within the time given.
    Quiet,
    /// The kept lease is gone (revoked, or expired while etcd was unreachable): this
    /// host's VTEPs were removed and must be registered again.
    LeaseLost(i64),
}

impl Client {
    /// Watch every VTEP key for changes after `revision` (as returned with
    /// [`crate::Vteps`], so nothing between that read and the watch is missed).
    pub fn watch_vteps(&mut self, revision: i64) -> Result<VtepWatch> {
        let prefix = keys::vteps();
        let opts = WatchOptions::new()
            .with_prefix()
            .with_start_revision(revision + 1);
        let mut wc = self.etcd.watch_client();
        let (watcher, stream) = self.call(
            &format!("watch {prefix}"),
            wc.watch(prefix.as_str(), Some(opts)),
        )?;
        Ok(VtepWatch {
            _watcher: watcher,
            stream,
            keep: None,
        })
    }

    /// While `w` waits, refresh etcd lease `id` (granted with `ttl` seconds) every third
    /// of its TTL. Replaces any lease kept before.
    pub fn keep_alive(&mut self, w: &mut VtepWatch, id: i64, ttl: i64) -> Result<()> {
        let mut lc = self.etcd.lease_client();
        let (keeper, stream) = self.call("lease keep-alive", lc.keep_alive(id))?;
        let every = Duration::from_millis(u64::try_from(ttl.max(1)).unwrap_or(1) * 1000 / 3);
        w.keep = Some(Keep {
            id,
            every,
            next: Instant::now(),
            keeper,
            stream,
        });
        Ok(())
    }

    /// Wait up to `max` for VTEP changes, keeping the lease alive meanwhile.
    pub fn wait(&mut self, w: &mut VtepWatch, max: Duration) -> Result<Wake> {
        let timeout = self.timeout;
        let deadline = Instant::now() + max;
        self.rt.block_on(async {
            loop {
                let wake_at = match &w.keep {
                    Some(k) => k.next.min(deadline),
                    None => deadline,
                };
                tokio::select! {
                    msg = w.stream.message() => {
                        let resp = msg
                            .map_err(Error::etcd("watch"))?
                            .ok_or_else(|| Error::WatchEnded("etcd closed the watch stream".into()))?;
                        if resp.canceled() {
                            return Err(Error::WatchEnded(format!(
                                "cancelled by etcd: {}",
                                resp.cancel_reason()
                            )));
                        }
                        let prefix = keys::vteps();
                        let changed: Vec<(String, String)> = resp
                            .events()
                            .iter()
                            .filter_map(|e| e.kv())
                            .filter_map(|kv| {
                                let key = String::from_utf8_lossy(kv.key()).into_owned();
                                keys::split2(&prefix, &key)
                                    .map(|(s, h)| (s.to_string(), h.to_string()))
                            })
                            .collect();
                        if !changed.is_empty() {
                            return Ok(Wake::Changed(changed));
                        }
                        // A progress or creation notice: keep waiting.
                    }
                    _ = tokio::time::sleep_until(wake_at) => {
                        if Instant::now() >= deadline {
                            return Ok(Wake::Quiet);
                        }
                        if let Some(k) = &mut w.keep {
                            let alive = tokio::time::timeout(timeout, async {
                                k.keeper.keep_alive().await?;
                                Ok::<_, etcd_client::Error>(
                                    k.stream.message().await?.is_some_and(|r| r.ttl() > 0),
                                )
                            })
                            .await
                            .map_err(|_| Error::Timeout {
                                op: "lease keep-alive".into(),
                                secs: timeout.as_secs(),
                            })?
                            .map_err(Error::etcd("lease keep-alive"))?;
                            if !alive {
                                let id = k.id;
                                w.keep = None;
                                return Ok(Wake::LeaseLost(id));
                            }
                            k.next = Instant::now() + k.every;
                        }
                    }
                }
            }
        })
    }
}
