//! A jail's /etc/resolv.conf, written without a shell: `jexec J tee /etc/resolv.conf` with
//! the content on stdin (tee's echo on stdout is ignored); removed with `rm -f`. An
//! inheriting resolver gets the host's file, read by the backend with `cat`.

use super::Ctx;
use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::resource::ResolvConf;

/// Where the resolver configuration lives, on the host and in a jail.
pub const RESOLV_CONF: &str = "/etc/resolv.conf";

/// The file content for `conf` (`None` when it inherits a host file not read yet).
pub fn content(conf: &ResolvConf, host: Option<&str>) -> Option<String> {
    match conf {
        ResolvConf::Inherit => host.map(str::to_string),
        ResolvConf::Lines(l) => Some(l.iter().map(|x| format!("{x}\n")).collect()),
    }
}

pub(crate) fn write(jail: &str, conf: &ResolvConf, ctx: &Ctx) -> Vec<Step> {
    let mut steps = Vec::new();
    let text = match content(conf, ctx.host_resolv.as_deref()) {
        Some(t) => t,
        None => {
            // Dry run: show the read of the host's file, then the write.
            steps.push(Step::new(Invocation::new("cat", [RESOLV_CONF])));
            "(the host's /etc/resolv.conf)\n".to_string()
        }
    };
    steps.push(Step::new(
        Invocation::new("tee", [RESOLV_CONF])
            .in_jail(jail)
            .with_stdin(text),
    ));
    steps
}

pub(crate) fn remove(jail: &str) -> Vec<Step> {
    vec![Step::new(
        Invocation::new("rm", ["-f", RESOLV_CONF]).in_jail(jail),
    )]
}
