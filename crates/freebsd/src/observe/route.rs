//! `netstat -rn` output → the default gateways of a network stack (IPv4 and IPv6).

use std::net::IpAddr;

/// The default routes found: (IPv4 gateway, IPv6 gateway).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Defaults {
    pub v4: Option<IpAddr>,
    pub v6: Option<IpAddr>,
}

/// Reads the `default` rows of the `Internet:` and `Internet6:` tables. Gateways that are
/// not addresses (`link#2`) and zoned link-local gateways keep their address part.
pub fn parse(text: &str) -> Defaults {
    let mut d = Defaults::default();
    let mut v6 = false;
    for line in text.lines() {
        match line.trim() {
            "Internet:" => v6 = false,
            "Internet6:" => v6 = true,
            _ => {}
        }
        let mut w = line.split_whitespace();
        if w.next() != Some("default") {
            continue;
        }
        let gw = w
            .next()
            .and_then(|g| g.split('%').next())
            .and_then(|g| g.parse::<IpAddr>().ok());
        if v6 {
            d.v6 = d.v6.or(gw);
        } else {
            d.v4 = d.v4.or(gw);
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_both_defaults() {
        let text = "Routing tables\n\nInternet:\nDestination        Gateway            Flags         Netif Expire\n\
default            10.1.1.1           UGS           vnet0\n10.1.1.0/24        link#2             U             vnet0\n\n\
Internet6:\nDestination                       Gateway                       Flags         Netif Expire\n\
default                           fd00:1::1                     UGS           vnet0\n";
        let d = parse(text);
        assert_eq!(d.v4, Some("10.1.1.1".parse().unwrap()));
        assert_eq!(d.v6, Some("fd00:1::1".parse().unwrap()));
        assert_eq!(parse("Internet:\n"), Defaults::default());
    }
}
