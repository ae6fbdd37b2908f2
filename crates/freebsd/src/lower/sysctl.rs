//! Host settings: the sysctl behind each knob, set with `sysctl NAME=VALUE`.

use crate::exec::Step;
use jailnet_host::Invocation;
use jailnet_plan::resource::Knob;

/// The sysctl that holds `knob`.
pub fn sysctl_name(knob: Knob) -> &'static str {
    match knob {
        Knob::Ipv4Forwarding => "net.inet.ip.forwarding",
        Knob::Ipv6Forwarding => "net.inet6.ip6.forwarding",
    }
}

/// `sysctl NAME=VALUE`.
pub(crate) fn set(knob: Knob, value: &str) -> Vec<Step> {
    vec![Step::new(Invocation::new(
        "sysctl",
        [format!("{}={value}", sysctl_name(knob))],
    ))]
}
