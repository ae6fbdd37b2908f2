//! Properties of `jailnet-model`'s parsers: the config loader, iocage property syntax and the
//! small value languages. Also compiled into `crates/model/tests/fuzz_replay.rs`.

use jailnet_model::names::IfName;
use jailnet_model::net::{Cidr, Mac};
use jailnet_model::{doc, iocage, syntax};

/// Checks a target by name; `false` when `target` is not one of this module's.
pub fn run(target: &str, data: &[u8]) -> bool {
    match target {
        "config" => config(data),
        "iocage" => iocage(data),
        "expose_alias_addr" => expose_alias_addr(data),
        _ => return false,
    }
    true
}

/// `check` and `doc::parse` never panic, every diagnostic's span lies inside the input, and
/// rendering them as `FILE:LINE:COL` works.
pub fn config(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Err(d) = doc::parse(&text) {
        assert_span(&text, &d.span, &d.message);
    }
    let (_cfg, diags) = jailnet_model::check(&text);
    for d in &diags.0 {
        assert_span(&text, &d.span, &d.message);
    }
    let rendered = diags.render("f.toml", &text);
    // One line per problem and one per hint: values quoted in messages are escaped, so
    // they cannot add lines or send terminal control sequences.
    let hints = diags.0.iter().filter(|d| d.hint.is_some()).count();
    assert_eq!(
        rendered.lines().count(),
        diags.len() + hints,
        "{rendered:?}"
    );
    assert!(
        !rendered.chars().any(|c| c.is_control() && c != '\n'),
        "{rendered:?}"
    );
}

fn assert_span(text: &str, span: &std::ops::Range<usize>, message: &str) {
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "span {span:?} outside the {}-byte input: {message}",
        text.len()
    );
}

/// `parse_assignments` → `jail_from_props` and `parse_nat_forwards` never panic. The first
/// line of the input is the jail name, the rest the properties.
pub fn iocage(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (name, props) = text.split_once('\n').unwrap_or((&text, ""));
    let props = iocage::parse_assignments(props);
    let uplink = IfName::new("em0").ok();
    let _ = iocage::jail_from_props(name, &props, uplink.as_ref());
    let _ = iocage::jail_from_props(name, &props, None);
    if let Some(v) = props.get("nat_forwards") {
        let _ = iocage::parse_nat_forwards(v);
    }
    let _ = iocage::parse_nat_forwards(&text);
}

/// `parse_expose`, `parse_alias`, `parse_addr_spec`, and `Cidr`/`Mac` `FromStr` never panic;
/// a `Cidr` or `Mac` that parses prints as text that parses back to itself.
pub fn expose_alias_addr(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    let _ = syntax::parse_expose(s);
    let em0 = IfName::new("em0").ok();
    let _ = syntax::parse_alias(s, em0.as_ref());
    let _ = syntax::parse_alias(s, None);
    let prefix = data.first().map(|b| b % 130);
    for v4 in [true, false] {
        let _ = syntax::parse_addr_spec(s, v4, prefix);
        let _ = syntax::parse_addr_spec(s, v4, None);
    }
    let _ = Cidr::parse_with_default(s, prefix);
    if let Ok(c) = s.parse::<Cidr>() {
        assert_eq!(c.to_string().parse::<Cidr>().ok(), Some(c), "{s:?}");
    }
    if let Ok(m) = s.parse::<Mac>() {
        assert_eq!(m.to_string().parse::<Mac>().ok(), Some(m), "{s:?}");
    }
}
