//! Resolvers: `<etc_netns_dir>/<jail netns>/resolv.conf`, which `ip netns exec`
//! bind-mounts over `/etc/resolv.conf`. Written atomically (temporary file +
//! rename, mode 0644); Inherit copies the host's `/etc/resolv.conf`. Delete
//! removes the file, and the directory when it is then empty.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use jailnet_plan::resource::ResolvConf;
use jailnet_plan::{Change, Op, Resource};

use super::LinuxBackend;
use crate::error::{Error, Result};

/// The host's resolver file, copied for `Inherit`.
pub const HOST_RESOLV_CONF: &str = "/etc/resolv.conf";

/// Where jail `jail`'s resolv.conf goes.
pub(super) fn path(b: &LinuxBackend, jail: &str) -> PathBuf {
    b.options()
        .etc_netns_dir
        .join(b.jail_netns(jail))
        .join("resolv.conf")
}

pub(super) fn apply(b: &mut LinuxBackend, change: &Change) -> Result<()> {
    match (change.op, change.resource()) {
        (Op::Create | Op::Update, Some(Resource::Resolver { jail, conf })) => {
            write(&path(b, jail.as_str()), content(conf)?.as_bytes())
        }
        (Op::Delete, Some(Resource::Resolver { jail, .. })) => remove(&path(b, jail.as_str())),
        _ => Ok(()),
    }
}

/// Read the file back: `Inherit` when the desired value is and the content is
/// the host's, the lines otherwise.
pub(super) fn observe(b: &LinuxBackend, want: &Resource) -> Result<Option<Resource>> {
    let Resource::Resolver { jail, conf } = want else {
        return Ok(None);
    };
    let p = path(b, jail.as_str());
    let text = match fs::read_to_string(&p) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read", p, e)),
    };
    let conf = match conf {
        ResolvConf::Inherit if text == host_conf()? => ResolvConf::Inherit,
        _ => ResolvConf::Lines(text.lines().map(str::to_string).collect()),
    };
    Ok(Some(Resource::Resolver {
        jail: jail.clone(),
        conf,
    }))
}

pub(super) fn commands(b: &LinuxBackend, change: &Change) -> Vec<String> {
    match (change.op, change.resource()) {
        (Op::Create | Op::Update, Some(Resource::Resolver { jail, conf })) => {
            let what = match conf {
                ResolvConf::Inherit => format!("copy of {HOST_RESOLV_CONF}"),
                ResolvConf::Lines(l) => format!("{} line(s)", l.len()),
            };
            vec![format!(
                "write {} ({what})",
                path(b, jail.as_str()).display()
            )]
        }
        (Op::Delete, Some(Resource::Resolver { jail, .. })) => {
            vec![format!("remove {}", path(b, jail.as_str()).display())]
        }
        _ => Vec::new(),
    }
}

fn host_conf() -> Result<String> {
    match fs::read_to_string(HOST_RESOLV_CONF) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io("read", HOST_RESOLV_CONF, e)),
    }
}

fn content(conf: &ResolvConf) -> Result<String> {
    Ok(match conf {
        ResolvConf::Inherit => host_conf()?,
        ResolvConf::Lines(lines) => lines.iter().map(|l| format!("{l}\n")).collect(),
    })
}

fn write(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|e| Error::io("create directory", dir, e))?;
    let tmp = dir.join(format!(".resolv.conf.jailnet-{}", std::process::id()));
    let written = (|| {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o644)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        // The mode given at creation is masked by the umask; say it exactly.
        fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
        fs::rename(&tmp, path)
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::io("write", path, e)
    })
}

fn remove(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("remove", path, e)),
    }
    if let Some(dir) = path.parent() {
        // Only an empty directory goes; anything else the admin put there stays.
        match fs::remove_dir(dir) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::DirectoryNotEmpty
                ) => {}
            Err(e) => return Err(Error::io("remove directory", dir, e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_with_newlines() {
        let c = content(&ResolvConf::Lines(vec![
            "nameserver 10.1.1.1".into(),
            "search x".into(),
        ]));
        assert_eq!(c.ok().as_deref(), Some("nameserver 10.1.1.1\nsearch x\n"));
    }
}
