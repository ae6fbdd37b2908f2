//! Hostile names and values in a config. jailnet runs no shell: every value reaches a tool
//! as one argv element (or a file's content), so `$(…)`, `;` and backticks are not
//! injections by themselves. What is checked here is that names that become kernel
//! interfaces, jails, pf anchors, descriptions or file names are rejected unless they are
//! short, ASCII and free of control characters, each with a `FILE:LINE:COL` diagnostic at
//! the offending text; and that the few free-form values that are accepted are harmless.

/// The rendered diagnostics of `text` as `f.toml`.
fn diagnose(text: &str) -> String {
    let (_cfg, d) = jailnet_model::check(text);
    d.render("f.toml", text)
}

/// Asserts `text` is rejected at `line:col` with a message containing `needle`, and that the
/// rendering has no raw control characters (values are escaped, one line per problem).
fn rejected(text: &str, line: usize, col: usize, needle: &str) {
    let out = diagnose(text);
    let at = format!("f.toml:{line}:{col}: error: ");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&at) && l.contains(needle)),
        "{text:?}: no {at}…{needle}… in\n{out}"
    );
    assert!(
        !out.chars().any(|c| c.is_control() && c != '\n'),
        "{text:?}: raw control character in\n{out:?}"
    );
}

fn accepted(text: &str) {
    let out = diagnose(text);
    assert!(out.is_empty(), "{text:?} should be accepted:\n{out}");
}

/// A switch and the start of a jail with one NIC on it; cases append the rest.
const BASE: &str = "[host]\nuplink = \"em0\"\n[switch.lan]\naddress = [\"10.1.1.1/24\"]\n";

#[test]
fn jail_names_are_short_ascii_words() {
    let long = "a".repeat(300);
    for (name, needle) in [
        ("\"a\\nb\"", r"character '\n' is not allowed"),
        ("\"a\\u0000b\"", r"character '\0' is not allowed"),
        ("\"$(reboot)\"", "character '$' is not allowed"),
        ("\"a;reboot\"", "character ';' is not allowed"),
        ("\"`id`\"", "character '`' is not allowed"),
        ("\"j\u{e4}il\"", "character 'ä' is not allowed"),
        // A right-to-left override would make the name display reversed.
        ("\"\u{202e}liaj\"", r"character '\u{202e}' is not allowed"),
        ("\"a b\"", "character ' ' is not allowed"),
        (long.as_str(), "300 characters long; the limit is 63"),
    ] {
        rejected(&format!("[jail.{name}]\n"), 1, 7, needle);
    }
}

#[test]
fn switch_names_are_interface_names_or_plain_labels() {
    // Without `ifname`, the switch name is the interface name: 15 characters at most.
    accepted("[switch.abcdefghijklmno]\n");
    rejected(
        "[switch.abcdefghijklmnop]\n",
        1,
        9,
        "switch name 'abcdefghijklmnop' is not a valid interface name",
    );
    rejected("[switch.\"br\\n0\"]\n", 1, 9, r"switch name 'br\n0'");
    // With `ifname`, the name is only a label, but it still reaches `ifconfig … description`
    // (a newline there would forge lines in `ifconfig -a` output), pf anchor names and
    // state files: same character set, 63 characters at most.
    let long = "s".repeat(300);
    for (name, needle) in [
        ("\"x;y\"", "character ';' is not allowed"),
        ("\"$(id)\"", "character '$' is not allowed"),
        ("\"`id`\"", "character '`' is not allowed"),
        (
            "\"lan\\n\\tinet 6.6.6.6\"",
            r"character '\n' is not allowed",
        ),
        ("\"lan\\u0000\"", r"character '\0' is not allowed"),
        ("\"j\u{e4}il\"", "character 'ä' is not allowed"),
        ("\"\u{200f}lan\"", r"character '\u{200f}' is not allowed"),
        (long.as_str(), "300 characters long; the limit is 63"),
    ] {
        let text = format!("[switch.{name}]\nifname = \"bridge0\"\n");
        rejected(&text, 1, 9, needle);
    }
    accepted("[switch.\"office.net-2\"]\nifname = \"bridge0\"\n");
}

#[test]
fn nic_and_interface_names_follow_the_kernel_limit() {
    let nic = |name: &str| {
        format!("{BASE}[jail.w]\n[[jail.w.nic]]\nname = \"{name}\"\nswitch = \"lan\"\n")
    };
    rejected(&nic("v\\n0"), 7, 8, r"invalid nic name 'v\n0'");
    rejected(&nic("$(x)"), 7, 8, "character '$' is not allowed");
    rejected(&nic("v;0"), 7, 8, "character ';' is not allowed");
    rejected(&nic("v`0`"), 7, 8, "character '`' is not allowed");
    rejected(&nic("v\u{e4}0"), 7, 8, "character 'ä' is not allowed");
    rejected(
        &nic("abcdefghijklmnop"),
        7,
        8,
        "16 characters long; the limit is 15",
    );
    // IFNAMSIZ is 16 with the NUL: 15 characters is the longest name.
    accepted("[host]\nuplink = \"abcdefghijklmno\"\n");
    rejected(
        "[host]\nuplink = \"abcdefghijklmnop\"\n",
        2,
        10,
        "it is 16 characters long; the limit is 15",
    );
    rejected(
        "[host]\nuplink = \"em0\\u0000\"\n",
        2,
        10,
        r"character '\0' is not allowed",
    );
    // The interface part of a shared-IP alias is an interface name too.
    rejected(
        &format!("{BASE}[jail.w]\nip4 = [\"em0;reboot|10.1.1.5/24\"]\n"),
        6,
        8,
        "invalid interface name 'em0;reboot'",
    );
}

#[test]
fn string_values_are_parsed_not_passed_through() {
    let jail = |rest: &str| format!("{BASE}[jail.w]\n{rest}\n");
    // Values with a grammar reject anything outside it.
    rejected(
        &jail("expose = [\"tcp/$(reboot)\"]"),
        6,
        11,
        "'$(reboot)' is not a port",
    );
    rejected(
        &jail("expose = [\"tcp/80;reboot\"]"),
        6,
        11,
        "is not a port",
    );
    rejected(&jail("defaultrouter = \"10.1.1.1\\n\""), 6, 17, "is not");
    rejected(
        &format!("{BASE}[jail.w]\n[[jail.w.nic]]\nswitch = \"lan\"\nmac = \"`id`\"\n"),
        8,
        7,
        "is not a MAC address",
    );
    // A switch reference names a switch; the unknown name is quoted escaped.
    rejected(
        &format!("{BASE}[jail.w]\n[[jail.w.nic]]\nswitch = \"lan\\n\"\n"),
        7,
        10,
        r"unknown switch 'lan\n'",
    );
    rejected(
        "[switch.lan]\nkind = \"\u{202e}bridge\"\n",
        2,
        8,
        r"unknown switch kind '\u{202e}bridge'",
    );
    rejected(
        "[host]\nname = \"h$(x)\"\n",
        2,
        8,
        "is not a valid host name",
    );
    rejected(
        "[cluster]\netcd = [\"http://x\\n$(reboot)\"]\n",
        2,
        9,
        r"etcd endpoint 'http://x\n$(reboot)' is not a URL",
    );
}

#[test]
fn resolver_lines_are_file_content_without_control_characters() {
    let jail = |rest: &str| format!("{BASE}[jail.w]\n{rest}\n");
    // The resolver is the one free-form value: its lines are written to the jail's
    // /etc/resolv.conf through `tee`'s stdin, never through a shell. A newline (a forged
    // extra line), NUL, CR or ESC is rejected; the diagnostic points at the jail table.
    for bad in [
        "[\"nameserver 10.1.1.1\\nnameserver 6.6.6.6\"]",
        "[\"nameserver 10.1.1.1\\u0000\"]",
        "[\"search example.org\\r\"]",
        "[\"search \\u001b[31mred\"]",
    ] {
        rejected(
            &jail(&format!("resolver = {bad}")),
            5,
            1,
            "resolver lines may not contain newlines or control characters",
        );
    }
    // Accepted and harmless: `;` separates lines in the string form (as in iocage), and
    // `$(…)` or backticks are inert text in resolv.conf, which no shell reads.
    accepted(&jail(
        "resolver = \"nameserver 10.1.1.1; search $(reboot) `id`\"",
    ));
    accepted(&jail("resolver = [\"options\\tndots:2\"]"));
}
