//! `sysctl -n K1 K2 …` output: one value per line, in the order asked.

use crate::error::Error;

/// Pairs each key with its line of `sysctl -n` output.
pub fn parse(keys: &[&str], text: &str) -> Result<Vec<(String, String)>, Error> {
    let values: Vec<&str> = text.lines().collect();
    if values.len() != keys.len() {
        return Err(Error::parse(
            "sysctl -n output",
            format!("{} values for {} keys: {text:?}", values.len(), keys.len()),
        ));
    }
    Ok(keys
        .iter()
        .zip(values)
        .map(|(k, v)| (k.to_string(), v.trim().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_key_order() {
        let v = parse(
            &["net.inet.ip.forwarding", "net.inet6.ip6.forwarding"],
            "0\n1\n",
        )
        .unwrap();
        assert_eq!(v[1], ("net.inet6.ip6.forwarding".into(), "1".into()));
        assert!(parse(&["a", "b"], "0\n").is_err());
    }
}
