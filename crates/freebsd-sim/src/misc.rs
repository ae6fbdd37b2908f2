//! Small helpers jail setup scripts call: `kldload`/`kldstat -m`, and a tiny file store for
//! `cat`, `tee [-a]`, `rm [-f]`, `ls DIR`, `mkdir -p` (per jail root or the host), `true`,
//! `false`. Directories are not kept: `ls DIR` lists the files directly under DIR.

use crate::exec::{fail, Caller};
use crate::state::SimState;
use jailnet_host::Output;
use std::collections::BTreeMap;

/// Runs one of the helper programs.
pub(crate) fn run(
    st: &mut SimState,
    caller: &Caller,
    prog: &str,
    args: &[String],
    stdin: Option<&str>,
) -> Output {
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let flags: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| a.starts_with('-'))
        .collect();
    match prog {
        "true" | "mkdir" => Output::ok(""),
        "false" => Output::fail(1, ""),
        "kldload" => {
            for m in words {
                let m = m.trim_end_matches(".ko").to_string();
                if !st.modules.insert(m.clone()) && !flags.contains(&"-n") {
                    return fail(
                        "kldload",
                        format!("can't load {m}: module already loaded or in kernel"),
                    );
                }
            }
            Output::ok("")
        }
        "kldstat" => {
            let want = args
                .iter()
                .position(|a| a == "-m")
                .and_then(|i| args.get(i + 1));
            match want {
                Some(m) if st.modules.contains(m.as_str()) => {
                    Output::ok(if flags.contains(&"-q") {
                        String::new()
                    } else {
                        format!("Id Refs Name\n 1    1 {m}\n")
                    })
                }
                Some(m) => {
                    if flags.contains(&"-q") {
                        Output::fail(1, "")
                    } else {
                        fail(
                            "kldstat",
                            format!("can't find module {m}: No such file or directory"),
                        )
                    }
                }
                None => Output::ok(
                    st.modules
                        .iter()
                        .enumerate()
                        .map(|(i, m)| format!("{:>2} 1 {m}.ko\n", i + 1))
                        .collect::<String>(),
                ),
            }
        }
        _ => files(st, caller, prog, &words, &flags, stdin),
    }
}

fn files(
    st: &mut SimState,
    caller: &Caller,
    prog: &str,
    words: &[&str],
    flags: &[&str],
    stdin: Option<&str>,
) -> Output {
    let fs: &mut BTreeMap<String, String> =
        match caller.jail.as_ref().and_then(|j| st.jails.get_mut(j)) {
            Some(j) => &mut j.files,
            None => &mut st.files,
        };
    match prog {
        "cat" => {
            let mut out = Output::ok("");
            for p in words {
                match fs.get(*p) {
                    Some(t) => out.stdout.push_str(t),
                    None => {
                        out.status = 1;
                        out.stderr
                            .push_str(&format!("cat: {p}: No such file or directory\n"));
                    }
                }
            }
            out
        }
        "tee" => {
            let text = stdin.unwrap_or("");
            for p in words {
                let e = fs.entry(p.to_string()).or_default();
                if flags.contains(&"-a") {
                    e.push_str(text);
                } else {
                    *e = text.to_string();
                }
            }
            Output::ok(text)
        }
        "rm" => {
            let mut out = Output::ok("");
            for p in words {
                if fs.remove(*p).is_none() && !flags.iter().any(|f| f.contains('f')) {
                    out.status = 1;
                    out.stderr
                        .push_str(&format!("rm: {p}: No such file or directory\n"));
                }
            }
            out
        }
        "ls" => {
            let mut out = String::new();
            for d in words {
                let prefix = format!("{}/", d.trim_end_matches('/'));
                for p in fs.keys() {
                    if let Some(name) = p.strip_prefix(&prefix).filter(|n| !n.contains('/')) {
                        out.push_str(name);
                        out.push('\n');
                    }
                }
            }
            Output::ok(out)
        }
        _ => Output::fail(127, format!("sh: {prog}: not found\n")),
    }
}

#[cfg(test)]
mod tests {
    use crate::SimHost;
    use jailnet_host::Invocation;

    #[test]
    fn files_are_per_jail() {
        let mut h = SimHost::fresh();
        h.sh("jail", &["-c", "name=www", "vnet", "persist"]);
        let o = h.exec(
            &Invocation::new("tee", ["/etc/resolv.conf"])
                .in_jail("www")
                .with_stdin("nameserver 10.1.1.1\n"),
        );
        assert_eq!(o.status, 0);
        let o = h.exec(&Invocation::new("cat", ["/etc/resolv.conf"]).in_jail("www"));
        assert_eq!(o.stdout, "nameserver 10.1.1.1\n");
        assert_eq!(
            h.sh("cat", &["/etc/resolv.conf"]).stdout,
            "nameserver 192.168.0.1\n"
        );
        assert_eq!(h.sh("kldstat", &["-q", "-m", "pf"]).status, 0);
        assert_eq!(h.sh("kldstat", &["-q", "-m", "if_vxlan"]).status, 1);
    }
}
