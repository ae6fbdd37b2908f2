//! `Netlink`: one synchronous NETLINK_ROUTE socket bound to one namespace, and
//! `Request`: one typed rtnetlink request waiting to be sent. Owns framing,
//! sequence numbers, acks (with extended-ack text), multipart dumps and batching.

use std::io;
use std::marker::PhantomData;
use std::time::Duration;

use netlink_packet_core::{
    NetlinkHeader, NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED,
    NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST,
};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};

use crate::error::{Error, Result};
use crate::netns::NsFd;

/// How long to wait for a reply before giving up with [`Error::Timeout`].
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
/// Receive buffer for acks and single replies.
const RECV_BUF: usize = 64 * 1024;
/// Datagrams taken per receive call while dumping. Reading one lets the kernel fill the
/// next at once, so one `recvmmsg` brings a small dump's data and its closing DONE, and a
/// big dump in a quarter of the calls.
const DUMP_SLOTS: usize = 4;
/// Room for one dump datagram: the kernel makes them at most 32 KiB.
const DUMP_SLOT: usize = 32 * 1024;
/// Requests per datagram in a batch; keeps the acks well under the socket's rcvbuf.
const BATCH_CHUNK: usize = 64;
/// A dump interrupted by a concurrent change is retried this many times.
const DUMP_RETRIES: usize = 5;
/// `NLMSGERR_ATTR_MSG`: the extended-ack text.
const NLMSGERR_ATTR_MSG: u16 = 1;

/// A synchronous rtnetlink connection. The socket belongs to the namespace it was
/// opened in for its whole life, whatever thread later uses it.
#[derive(Debug)]
pub struct Netlink {
    socket: Socket,
    seq: u32,
    recv: Vec<u8>,
    send: Vec<u8>,
    label: String,
    /// Whether extended and capped acks were asked for (before the first request).
    acks_set: bool,
    /// Whether the kernel checks reads strictly (`NETLINK_GET_STRICT_CHK`).
    strict: bool,
}

/// One rtnetlink request (acked), built by the typed constructors in the
/// resource modules. `'a` ties it to any namespace fd it carries.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub(crate) message: RouteNetlinkMessage,
    pub(crate) flags: u16,
    pub(crate) op: String,
    pub(crate) _fd: PhantomData<&'a NsFd>,
}

impl<'a> Request<'a> {
    pub(crate) fn new(message: RouteNetlinkMessage, flags: u16, op: String) -> Request<'a> {
        Request {
            message,
            flags,
            op,
            _fd: PhantomData,
        }
    }

    /// What the request does, e.g. `create veth jh0 (peer eth0 in netns j1)`.
    pub fn describe(&self) -> &str {
        &self.op
    }
}

impl Netlink {
    /// Open a connection in the calling thread's network namespace. Two system calls:
    /// the kernel binds the socket on its first send, and unconnected sends go to the
    /// kernel (many connections are opened only to be dumped once).
    pub fn open() -> Result<Netlink> {
        let socket =
            Socket::new(NETLINK_ROUTE).map_err(|e| Error::socket("socket(NETLINK_ROUTE)", e))?;
        set_sockopt(
            &socket,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            &timeval(REPLY_TIMEOUT),
        )
        .map_err(|e| Error::socket("setsockopt(SO_RCVTIMEO)", e))?;
        Ok(Netlink {
            socket,
            seq: 0,
            recv: Vec::new(),
            send: Vec::new(),
            label: "current netns".to_string(),
            acks_set: false,
            strict: false,
        })
    }

    /// Open a connection inside namespace `ns` (the socket is created on a
    /// thread that entered `ns`; the caller's thread is untouched).
    pub fn open_in(ns: &NsFd) -> Result<Netlink> {
        let mut nl = ns.run(Netlink::open)??;
        nl.label = ns.label().to_string();
        Ok(nl)
    }

    /// Open a connection inside each namespace of `fds` (see [`NsFd::run_each`]).
    pub fn open_in_each(fds: &[&NsFd]) -> Result<Vec<Netlink>> {
        let opened = NsFd::run_each(fds, |_| Netlink::open())?;
        opened
            .into_iter()
            .zip(fds)
            .map(|(nl, fd)| {
                let mut nl = nl?;
                nl.label = fd.label().to_string();
                Ok(nl)
            })
            .collect()
    }

    /// Which namespace this connection talks to (for messages).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Send one request and wait for its ack.
    pub fn execute(&mut self, req: Request<'_>) -> Result<()> {
        let mut results = self.execute_batch(vec![req]);
        results.pop().unwrap_or(Ok(()))
    }

    /// Send many requests, packed many to a datagram, and collect every ack.
    /// The kernel handles each request independently: one failure does not stop
    /// the others. Results come back in request order.
    pub fn execute_batch(&mut self, reqs: Vec<Request<'_>>) -> Vec<Result<()>> {
        let mut out = Vec::with_capacity(reqs.len());
        let mut reqs = reqs.into_iter().peekable();
        while reqs.peek().is_some() {
            let chunk: Vec<Request<'_>> = reqs.by_ref().take(BATCH_CHUNK).collect();
            match self.send_chunk(&chunk) {
                Ok(first_seq) => out.extend(self.collect_acks(first_seq, &chunk)),
                Err(e) => {
                    let msg = e.to_string();
                    out.push(Err(e));
                    for r in chunk.iter().skip(1) {
                        out.push(Err(Error::Invalid {
                            op: r.op.clone(),
                            reason: format!("not sent: {msg}"),
                        }));
                    }
                }
            }
        }
        out
    }

    /// Send every request and fail with the first error (all are still attempted).
    pub fn execute_all(&mut self, reqs: Vec<Request<'_>>) -> Result<()> {
        self.execute_batch(reqs).into_iter().collect()
    }

    /// Turn the kernel's strict checking of requests (`NETLINK_GET_STRICT_CHK`) on or off;
    /// on, dump requests may carry filters. Only reads (GET requests) are checked.
    pub(crate) fn set_strict_check(&mut self, on: bool) -> io::Result<()> {
        const NETLINK_GET_STRICT_CHK: i32 = 12;
        set_sockopt(
            &self.socket,
            libc::SOL_NETLINK,
            NETLINK_GET_STRICT_CHK,
            &libc::c_int::from(on),
        )?;
        self.strict = on;
        Ok(())
    }

    /// Whether strict checking is on (see [`Netlink::set_strict_check`]).
    pub(crate) fn strict_check(&self) -> bool {
        self.strict
    }

    /// Run a dump request and return every message of the reply.
    pub(crate) fn dump(
        &mut self,
        message: RouteNetlinkMessage,
        op: &str,
    ) -> Result<Vec<RouteNetlinkMessage>> {
        self.dump_with(message, op, |raw| {
            match NetlinkMessage::<RouteNetlinkMessage>::deserialize(raw) {
                Ok(m) => match m.payload {
                    NetlinkPayload::InnerMessage(m) => Ok(Some(m)),
                    _ => Ok(None),
                },
                Err(e) => Err(e.to_string()),
            }
        })
    }

    /// Run a dump request; `decode` turns each data message of the reply (its raw
    /// bytes, netlink header included) into an item, or skips it. Decoding only
    /// what is needed is much cheaper than a full parse for a big dump.
    pub(crate) fn dump_with<T>(
        &mut self,
        message: RouteNetlinkMessage,
        op: &str,
        decode: impl FnMut(&[u8]) -> std::result::Result<Option<T>, String>,
    ) -> Result<Vec<T>> {
        // One receive area per thread, shared by every connection (a jail's is used for
        // two small dumps): taken here, given back after.
        let mut buf = DUMP_BUF.take();
        if buf.len() < DUMP_SLOTS * DUMP_SLOT {
            buf.resize(DUMP_SLOTS * DUMP_SLOT, 0);
        }
        let out = self.dump_into(&mut buf, message, op, decode);
        DUMP_BUF.set(buf);
        out
    }

    fn dump_into<T>(
        &mut self,
        buf: &mut [u8],
        message: RouteNetlinkMessage,
        op: &str,
        mut decode: impl FnMut(&[u8]) -> std::result::Result<Option<T>, String>,
    ) -> Result<Vec<T>> {
        for _ in 0..DUMP_RETRIES {
            let seq = self.next_seq();
            self.send.clear();
            append(
                &mut self.send,
                NLM_F_REQUEST | NLM_F_DUMP,
                seq,
                message.clone(),
            );
            self.send_buf(op)?;
            let mut items = Vec::new();
            let mut interrupted = false;
            let mut done = false;
            while !done {
                let lens = self.recv_dump_datagrams(buf, op)?;
                for (slot, len) in lens.iter().enumerate() {
                    let Some(len) = *len else { break };
                    let start = slot * DUMP_SLOT;
                    let datagram = &buf[start..start + len];
                    for raw in split_datagram(datagram, op)? {
                        let (kind, flags, seq_of) = raw_header(raw);
                        if seq_of != seq || done {
                            continue;
                        }
                        if flags & NLM_F_DUMP_INTR != 0 {
                            interrupted = true;
                        }
                        if kind > NLMSG_CONTROL_MAX {
                            match decode(raw) {
                                Ok(Some(item)) => items.push(item),
                                Ok(None) => {}
                                Err(detail) => {
                                    return Err(Error::Decode {
                                        op: op.to_string(),
                                        detail,
                                    })
                                }
                            }
                            continue;
                        }
                        done = dump_ended(raw, op)?;
                    }
                }
            }
            if !interrupted {
                return Ok(items);
            }
        }
        Err(Error::Kernel {
            op: op.to_string(),
            errno: libc::EINTR,
            message: Some("dump kept being interrupted by concurrent changes".into()),
        })
    }

    /// Run interface ioctl `cmd` (`SIOCGIF*`) on `ifr` in this connection's namespace: any
    /// socket answers them for its own namespace, a netlink one included.
    pub(crate) fn ifreq_ioctl(&self, cmd: libc::c_ulong, ifr: &mut libc::ifreq) -> io::Result<()> {
        use std::os::fd::AsRawFd;
        // SAFETY: `ifr` is a valid, writable ifreq for the duration of the call; the
        // SIOCGIF* requests write only inside it.
        if unsafe { libc::ioctl(self.socket.as_raw_fd(), cmd as _, ifr as *mut libc::ifreq) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Send a request that returns exactly one message (a `GET` by key).
    pub(crate) fn get_one(
        &mut self,
        message: RouteNetlinkMessage,
        op: &str,
    ) -> Result<RouteNetlinkMessage> {
        let seq = self.next_seq();
        self.send.clear();
        append(&mut self.send, NLM_F_REQUEST, seq, message);
        self.send_buf(op)?;
        loop {
            self.recv_datagram(op)?;
            for parsed in parse_datagram(&self.recv, op)? {
                let (hdr, payload) = parsed.into_parts();
                if hdr.sequence_number != seq {
                    continue;
                }
                match payload {
                    NetlinkPayload::InnerMessage(m) => return Ok(m),
                    NetlinkPayload::Error(e) => {
                        let code = e.code.map_or(0, |c| c.get());
                        let text = extack_message(hdr.flags, &e.header);
                        return Err(kernel_error(op, -code, text));
                    }
                    _ => {}
                }
            }
        }
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        if self.seq == 0 {
            self.seq = 1;
        }
        self.seq
    }

    /// Serialize `chunk` back to back into one datagram; returns the first seq.
    fn send_chunk(&mut self, chunk: &[Request<'_>]) -> Result<u32> {
        if !self.acks_set {
            // Best effort: older kernels lack these; errors then just carry less text.
            let _ = self.socket.set_ext_ack(true);
            let _ = self.socket.set_cap_ack(true);
            self.acks_set = true;
        }
        self.send.clear();
        let mut first = 0;
        for (i, req) in chunk.iter().enumerate() {
            let seq = self.next_seq();
            if i == 0 {
                first = seq;
            }
            let flags = NLM_F_REQUEST | NLM_F_ACK | req.flags;
            append(&mut self.send, flags, seq, req.message.clone());
        }
        let op = chunk.first().map(|r| r.op.clone()).unwrap_or_default();
        self.send_buf(&op)?;
        Ok(first)
    }

    fn collect_acks(&mut self, first_seq: u32, chunk: &[Request<'_>]) -> Vec<Result<()>> {
        let mut results: Vec<Option<Result<()>>> = (0..chunk.len()).map(|_| None).collect();
        let mut pending = chunk.len();
        while pending > 0 {
            let op = chunk
                .iter()
                .zip(&results)
                .find(|(_, r)| r.is_none())
                .map(|(q, _)| q.op.clone())
                .unwrap_or_default();
            if let Err(e) = self.recv_datagram(&op) {
                let msg = e.to_string();
                for (slot, req) in results.iter_mut().zip(chunk) {
                    if slot.is_none() {
                        *slot = Some(Err(Error::Invalid {
                            op: req.op.clone(),
                            reason: format!("no ack: {msg}"),
                        }));
                    }
                }
                break;
            }
            let parsed = match parse_datagram(&self.recv, &op) {
                Ok(p) => p,
                Err(e) => {
                    let msg = e.to_string();
                    for (slot, req) in results.iter_mut().zip(chunk) {
                        if slot.is_none() {
                            *slot = Some(Err(Error::Decode {
                                op: req.op.clone(),
                                detail: msg.clone(),
                            }));
                        }
                    }
                    break;
                }
            };
            for m in parsed {
                let (hdr, payload) = m.into_parts();
                let idx = hdr.sequence_number.wrapping_sub(first_seq) as usize;
                let Some(slot) = results.get_mut(idx) else {
                    continue;
                };
                if slot.is_some() {
                    continue;
                }
                if let NetlinkPayload::Error(e) = payload {
                    *slot = Some(match e.code {
                        None => Ok(()),
                        Some(code) => {
                            let text = extack_message(hdr.flags, &e.header);
                            Err(kernel_error(&chunk[idx].op, -code.get(), text))
                        }
                    });
                    pending -= 1;
                }
            }
        }
        results
            .into_iter()
            .zip(chunk)
            .map(|(r, q)| {
                r.unwrap_or_else(|| {
                    Err(Error::Decode {
                        op: q.op.clone(),
                        detail: "no ack".into(),
                    })
                })
            })
            .collect()
    }

    fn send_buf(&self, op: &str) -> Result<()> {
        let n = self
            .socket
            .send(&self.send, 0)
            .map_err(|e| Error::socket(format!("send {op}"), e))?;
        if n != self.send.len() {
            return Err(Error::socket(
                format!("send {op}"),
                io::Error::new(io::ErrorKind::WriteZero, "short netlink send"),
            ));
        }
        Ok(())
    }

    fn recv_datagram(&mut self, op: &str) -> Result<()> {
        if self.recv.capacity() < RECV_BUF {
            self.recv.reserve(RECV_BUF);
        }
        loop {
            self.recv.clear();
            match self.socket.recv(&mut self.recv, libc::MSG_TRUNC) {
                Ok(n) if n > self.recv.capacity() => {
                    return Err(Error::Decode {
                        op: op.to_string(),
                        detail: format!("reply of {n} bytes truncated"),
                    })
                }
                Ok(_) => return Ok(()),
                Err(e) => match recv_failed(op, e) {
                    Some(err) => return Err(err),
                    None => continue,
                },
            }
        }
    }

    /// Receive up to `DUMP_SLOTS` datagrams of a dump in one `recvmmsg` (waiting for the
    /// first only) into the slots of `buf`; their lengths, in slot order.
    fn recv_dump_datagrams(&self, buf: &mut [u8], op: &str) -> Result<[Option<usize>; DUMP_SLOTS]> {
        use std::os::fd::AsRawFd;
        loop {
            // SAFETY: zeroed iovec/mmsghdr are valid empty values; filled in below.
            let mut iov: [libc::iovec; DUMP_SLOTS] = unsafe { std::mem::zeroed() };
            let mut msgs: [libc::mmsghdr; DUMP_SLOTS] = unsafe { std::mem::zeroed() };
            for (i, (v, m)) in iov.iter_mut().zip(msgs.iter_mut()).enumerate() {
                v.iov_base = buf[i * DUMP_SLOT..].as_mut_ptr().cast();
                v.iov_len = DUMP_SLOT;
                m.msg_hdr.msg_iov = v;
                m.msg_hdr.msg_iovlen = 1;
            }
            // SAFETY: every msghdr points at one iovec inside `buf`, which outlives
            // the call; the kernel writes at most `iov_len` bytes into each.
            let n = unsafe {
                libc::recvmmsg(
                    self.socket.as_raw_fd(),
                    msgs.as_mut_ptr(),
                    DUMP_SLOTS as libc::c_uint,
                    libc::MSG_WAITFORONE,
                    std::ptr::null_mut(),
                )
            };
            if n < 0 {
                match recv_failed(op, io::Error::last_os_error()) {
                    Some(err) => return Err(err),
                    None => continue,
                }
            }
            let mut lens = [None; DUMP_SLOTS];
            for (len, m) in lens.iter_mut().zip(msgs.iter()).take(n as usize) {
                if m.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 {
                    return Err(Error::Decode {
                        op: op.to_string(),
                        detail: format!("a reply datagram over {DUMP_SLOT} bytes was truncated"),
                    });
                }
                *len = Some(m.msg_len as usize);
            }
            return Ok(lens);
        }
    }
}

/// What a failed receive means: `None` to try again (interrupted), the timeout when the
/// kernel did not answer within [`REPLY_TIMEOUT`], else the socket error.
fn recv_failed(op: &str, e: io::Error) -> Option<Error> {
    match e.kind() {
        io::ErrorKind::Interrupted => None,
        io::ErrorKind::WouldBlock => Some(Error::Timeout {
            op: op.to_string(),
            secs: REPLY_TIMEOUT.as_secs(),
        }),
        _ => Some(Error::socket(format!("receive reply to {op}"), e)),
    }
}

/// Serialize request `message` (with `flags` and `seq`) at the end of `buf`, padded to 4.
fn append(buf: &mut Vec<u8>, flags: u16, seq: u32, message: RouteNetlinkMessage) {
    let mut msg = NetlinkMessage::new(header(flags, seq), NetlinkPayload::InnerMessage(message));
    msg.finalize();
    let start = buf.len();
    let len = msg.buffer_len();
    buf.resize(start + align4(len), 0);
    msg.serialize(&mut buf[start..start + len]);
}

/// Whether netlink control message `raw` (of a dump) ends it: DONE or an ack; a DONE or
/// error carrying an errno is that error.
fn dump_ended(raw: &[u8], op: &str) -> Result<bool> {
    let parsed =
        NetlinkMessage::<RouteNetlinkMessage>::deserialize(raw).map_err(|e| Error::Decode {
            op: op.to_string(),
            detail: e.to_string(),
        })?;
    let (hdr, payload) = parsed.into_parts();
    match payload {
        NetlinkPayload::Done(d) if d.code < 0 => Err(kernel_error(op, -d.code, None)),
        NetlinkPayload::Done(_) => Ok(true),
        NetlinkPayload::Error(e) => match e.code {
            Some(code) => {
                let text = extack_message(hdr.flags, &e.header);
                Err(kernel_error(op, -code.get(), text))
            }
            None => Ok(true),
        },
        _ => Ok(false),
    }
}

fn header(flags: u16, seq: u32) -> NetlinkHeader {
    let mut h = NetlinkHeader::default();
    h.flags = flags;
    h.sequence_number = seq;
    h
}

fn align4(n: usize) -> usize {
    (n + 3) & !3
}

pub(crate) fn kernel_error(op: &str, errno: i32, message: Option<String>) -> Error {
    Error::Kernel {
        op: op.to_string(),
        errno,
        message,
    }
}

thread_local! {
    /// The dump receive area (`DUMP_SLOTS` × `DUMP_SLOT` bytes), see [`Netlink::dump_with`].
    static DUMP_BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Message types up to this one are netlink's own (NOOP, ERROR, DONE, OVERRUN).
const NLMSG_CONTROL_MAX: u16 = 4;

/// The messages of a datagram, as raw bytes (header included), in order.
pub(crate) fn split_datagram<'b>(buf: &'b [u8], op: &str) -> Result<Vec<&'b [u8]>> {
    let mut out = Vec::new();
    let mut off = 0;
    while buf.len() - off >= 16 {
        let len = u32::from_ne_bytes([buf[off], buf[off + 1], buf[off + 2], buf[off + 3]]) as usize;
        if len < 16 || off + len > buf.len() {
            return Err(Error::Decode {
                op: op.to_string(),
                detail: format!("bad message length {len} at offset {off}"),
            });
        }
        out.push(&buf[off..off + len]);
        off += align4(len);
    }
    Ok(out)
}

/// (type, flags, sequence number) of a raw message of at least 16 bytes.
pub(crate) fn raw_header(raw: &[u8]) -> (u16, u16, u32) {
    let u16_at = |i: usize| u16::from_ne_bytes([raw[i], raw[i + 1]]);
    let seq = u32::from_ne_bytes([raw[8], raw[9], raw[10], raw[11]]);
    (u16_at(4), u16_at(6), seq)
}

/// Split one datagram into its netlink messages, parsed.
fn parse_datagram(buf: &[u8], op: &str) -> Result<Vec<NetlinkMessage<RouteNetlinkMessage>>> {
    split_datagram(buf, op)?
        .into_iter()
        .map(|raw| {
            NetlinkMessage::<RouteNetlinkMessage>::deserialize(raw).map_err(|e| Error::Decode {
                op: op.to_string(),
                detail: e.to_string(),
            })
        })
        .collect()
}

/// The extended-ack text in an NLMSG_ERROR payload (after the error code):
/// the echoed request header (capped) or the whole request, then TLVs.
fn extack_message(flags: u16, payload: &[u8]) -> Option<String> {
    if flags & NLM_F_ACK_TLVS == 0 || payload.len() < 16 {
        return None;
    }
    let echoed = if flags & NLM_F_CAPPED != 0 {
        16
    } else {
        align4(u32::from_ne_bytes([payload[0], payload[1], payload[2], payload[3]]) as usize)
    };
    let mut tlvs = payload.get(echoed..)?;
    while tlvs.len() >= 4 {
        let len = u16::from_ne_bytes([tlvs[0], tlvs[1]]) as usize;
        let kind = u16::from_ne_bytes([tlvs[2], tlvs[3]]) & 0x3fff;
        if len < 4 || len > tlvs.len() {
            return None;
        }
        if kind == NLMSGERR_ATTR_MSG {
            let v = &tlvs[4..len];
            let end = v.iter().position(|b| *b == 0).unwrap_or(v.len());
            return Some(String::from_utf8_lossy(&v[..end]).into_owned());
        }
        tlvs = tlvs.get(align4(len)..).unwrap_or(&[]);
    }
    None
}

fn timeval(d: Duration) -> libc::timeval {
    libc::timeval {
        tv_sec: d.as_secs() as libc::time_t,
        tv_usec: 0,
    }
}

/// `setsockopt(level, name, value)` on a netlink socket.
pub(crate) fn set_sockopt<T>(socket: &Socket, level: i32, name: i32, value: &T) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: valid fd; `value` points at a `T` of the size passed.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (value as *const T).cast::<libc::c_void>(),
            std::mem::size_of::<T>() as libc::socklen_t,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extack_text_is_found_after_a_capped_header() {
        let mut p = vec![0u8; 16];
        let text = b"veth peer name in use\0";
        let len = (4 + text.len()) as u16;
        p.extend_from_slice(&len.to_ne_bytes());
        p.extend_from_slice(&NLMSGERR_ATTR_MSG.to_ne_bytes());
        p.extend_from_slice(text);
        let got = extack_message(NLM_F_ACK_TLVS | NLM_F_CAPPED, &p);
        assert_eq!(got.as_deref(), Some("veth peer name in use"));
        assert_eq!(extack_message(NLM_F_CAPPED, &p), None);
    }
}
