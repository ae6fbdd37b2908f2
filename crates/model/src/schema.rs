//! The JSON Schema (draft 2020-12) of jailnet.toml, for editors (taplo, VS Code's Even
//! Better TOML) and for `jailnet schema`. Shapes and value syntax only; what spans objects
//! (references, subnets, duplicates) is `validate`'s. A test keeps its keys equal to
//! the keys `load` accepts; `dist/jailnet.schema.json` is a copy kept in sync by the
//! CLI's tests.

/// The schema as JSON text.
pub const JSON_SCHEMA: &str = r##"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://jailnet.invalid/jailnet.schema.json",
  "title": "jailnet.toml",
  "description": "Declarative networking for FreeBSD jails and bhyve VMs: switches, jails, VMs, NAT, port forwards, isolation, DHCP and VXLAN overlays.",
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "host": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "uplink": { "$ref": "#/$defs/ifname", "description": "Outside interface: NAT source, port-forward target, default interface for bare shared-IP aliases." },
        "name": { "type": "string", "pattern": "^[A-Za-z0-9._-]{1,255}$", "description": "Identity for MAC derivation and the cluster (default: the hostname)." }
      }
    },
    "switch": {
      "type": "object",
      "description": "One L2 segment on this host per table.",
      "additionalProperties": { "$ref": "#/$defs/switch" }
    },
    "jail": {
      "type": "object",
      "additionalProperties": { "$ref": "#/$defs/jail" },
      "propertyNames": { "$ref": "#/$defs/jailname" }
    },
    "vm": {
      "type": "object",
      "additionalProperties": { "$ref": "#/$defs/vm" },
      "propertyNames": { "$ref": "#/$defs/jailname" }
    },
    "cluster": {
      "type": "object",
      "additionalProperties": false,
      "required": ["etcd"],
      "properties": {
        "etcd": { "type": "array", "minItems": 1, "items": { "type": "string", "pattern": "^https?://" }, "description": "etcd endpoints." },
        "vtep": { "$ref": "#/$defs/ip", "description": "This host's underlay address." }
      }
    }
  },
  "$defs": {
    "ifname": { "type": "string", "pattern": "^[A-Za-z0-9_.-]{1,15}$" },
    "jailname": { "type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$" },
    "ip": { "type": "string", "description": "An IPv4 or IPv6 address without a prefix length." },
    "cidr": { "type": "string", "pattern": "^[0-9A-Fa-f.:]+/[0-9]{1,3}$" },
    "mac": { "type": "string", "pattern": "^(auto|[0-9A-Fa-f]{2}([:-][0-9A-Fa-f]{2}){5})$" },
    "router": { "type": "string", "description": "auto (the switch's address), none, or an address." },
    "switch": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "kind": { "enum": ["bridge", "netgraph", "manual"], "default": "bridge" },
        "ifname": { "$ref": "#/$defs/ifname", "description": "Kernel name (default: the switch name)." },
        "address": { "type": "array", "items": { "$ref": "#/$defs/cidr" }, "description": "Host addresses on the switch; the default router of its jails." },
        "uplinks": { "type": "array", "items": { "$ref": "#/$defs/ifname" }, "description": "Interfaces bridged in." },
        "private": { "type": "boolean", "default": false, "description": "Jail/VM ports cannot talk to each other." },
        "nat": { "type": "boolean", "default": false, "description": "Outbound NAT of the switch's subnets through host.uplink." },
        "mtu": { "type": "integer", "minimum": 576, "maximum": 16000 },
        "dhcp": {
          "type": "object",
          "additionalProperties": false,
          "properties": {
            "range": { "type": "string", "pattern": "^[^-]+-[^-]+$", "description": "FIRST-LAST." },
            "hosts": { "type": "object", "additionalProperties": { "$ref": "#/$defs/ip" }, "description": "MAC = address static leases." }
          }
        },
        "vlan": {
          "type": "object",
          "additionalProperties": false,
          "required": ["parent", "tag"],
          "properties": {
            "parent": { "$ref": "#/$defs/ifname" },
            "tag": { "type": "integer", "minimum": 1, "maximum": 4094 }
          }
        },
        "vxlan": {
          "type": "object",
          "additionalProperties": false,
          "required": ["vni"],
          "properties": {
            "vni": { "type": "integer", "minimum": 1, "maximum": 16777215 },
            "group": { "$ref": "#/$defs/ip", "description": "Multicast group (needs dev)." },
            "dev": { "$ref": "#/$defs/ifname" },
            "remotes": { "type": "array", "items": { "$ref": "#/$defs/ip" }, "description": "Unicast peers." },
            "cluster": { "type": "boolean", "description": "Peers from the cluster's VTEPs." }
          }
        }
      }
    },
    "jail": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "nic": { "type": "array", "items": { "$ref": "#/$defs/nic" }, "description": "VNET interfaces: one per interface inside the jail." },
        "ip4": { "$ref": "#/$defs/sharedip", "description": "Shared-IP jail: IF|ADDR/LEN aliases, or inherit." },
        "ip6": { "$ref": "#/$defs/sharedip" },
        "resolver": {
          "oneOf": [
            { "enum": ["inherit", "none"] },
            { "type": "string", "description": "resolv.conf lines separated by ';'." },
            { "type": "array", "items": { "type": "string" } }
          ]
        },
        "defaultrouter": { "$ref": "#/$defs/router" },
        "defaultrouter6": { "$ref": "#/$defs/router" },
        "allow_raw_sockets": { "type": "boolean", "default": false },
        "firewall": { "type": "boolean", "default": false, "description": "The jail runs its own pf." },
        "nat": { "type": "boolean", "default": false, "description": "Outbound NAT for a shared-IP jail's addresses." },
        "expose": { "type": "array", "items": { "type": "string", "pattern": "^(tcp|udp)/" }, "description": "PROTO/[ADDR:]HOSTPORT[:JAILPORT] on host.uplink forwarded to the jail." }
      }
    },
    "sharedip": {
      "oneOf": [
        { "enum": ["inherit", "none"] },
        { "type": "string" },
        { "type": "array", "items": { "type": "string" } }
      ]
    },
    "nic": {
      "type": "object",
      "additionalProperties": false,
      "required": ["switch"],
      "properties": {
        "name": { "$ref": "#/$defs/ifname", "description": "Interface name inside the jail (default: vnetN)." },
        "switch": { "type": "string" },
        "ip4": { "type": "array", "items": { "type": "string" }, "description": "Addresses, dhcp, or auto." },
        "ip6": { "type": "array", "items": { "type": "string" }, "description": "Addresses, slaac, dhcp, or auto." },
        "mac": { "$ref": "#/$defs/mac" },
        "secure": { "type": "boolean", "default": false, "description": "Anti-spoofing: only this NIC's own IP/MAC may leave it." }
      }
    },
    "vm": {
      "type": "object",
      "additionalProperties": false,
      "properties": {
        "nic": {
          "type": "array",
          "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["switch"],
            "properties": {
              "switch": { "type": "string" },
              "mac": { "$ref": "#/$defs/mac" },
              "secure": { "type": "boolean", "default": false }
            }
          }
        }
      }
    }
  }
}
"##;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load;
    use serde_json::Value;

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    }

    fn sorted(k: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = k.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schema_keys_are_the_keys_load_accepts() {
        let s: Value = serde_json::from_str(JSON_SCHEMA).unwrap();
        let d = &s["$defs"];
        assert_eq!(keys(&s), sorted(load::TOP));
        assert_eq!(keys(&s["properties"]["host"]), sorted(load::HOST));
        assert_eq!(keys(&s["properties"]["cluster"]), sorted(load::CLUSTER));
        assert_eq!(keys(&d["switch"]), sorted(load::SWITCH));
        assert_eq!(keys(&d["switch"]["properties"]["dhcp"]), sorted(load::DHCP));
        assert_eq!(keys(&d["switch"]["properties"]["vlan"]), sorted(load::VLAN));
        assert_eq!(
            keys(&d["switch"]["properties"]["vxlan"]),
            sorted(load::VXLAN)
        );
        assert_eq!(keys(&d["jail"]), sorted(load::JAIL));
        assert_eq!(keys(&d["nic"]), sorted(load::NIC));
        assert_eq!(keys(&d["vm"]), sorted(load::VM));
        assert_eq!(
            keys(&d["vm"]["properties"]["nic"]["items"]),
            sorted(load::VMNIC)
        );
    }
}
