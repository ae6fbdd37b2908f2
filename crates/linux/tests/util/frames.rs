//! Raw Ethernet frames for attack tests: an AF_PACKET socket bound to an interface, sending
//! frames from inside a namespace, and ICMPv6 packets (with extension headers) carrying
//! a correct checksum.

use std::net::Ipv6Addr;

use jailnet_linux::Netns;

/// An AF_PACKET socket on `ifname` (in the calling thread's namespace) receiving `proto`.
pub fn packet_socket(ifname: &str, proto: u16) -> (i32, libc::sockaddr_ll) {
    let name = std::ffi::CString::new(ifname).unwrap();
    // SAFETY: plain socket calls with correctly sized buffers and addresses.
    unsafe {
        let index = libc::if_nametoindex(name.as_ptr());
        assert!(index > 0, "no interface {ifname}");
        let s = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(proto.to_be()));
        assert!(s >= 0, "packet socket: {}", std::io::Error::last_os_error());
        let mut sa: libc::sockaddr_ll = std::mem::zeroed();
        sa.sll_family = libc::AF_PACKET as u16;
        sa.sll_protocol = proto.to_be();
        sa.sll_ifindex = index as i32;
        sa.sll_halen = 6;
        let r = libc::bind(
            s,
            &sa as *const _ as *const libc::sockaddr,
            std::mem::size_of_val(&sa) as u32,
        );
        assert_eq!(
            r,
            0,
            "bind packet socket: {}",
            std::io::Error::last_os_error()
        );
        (s, sa)
    }
}

/// Send raw Ethernet `frames` out of `ifname` inside namespace `ns`.
pub fn send_frames(ns: &str, ifname: &str, frames: Vec<Vec<u8>>) {
    let ifname = ifname.to_string();
    Netns::open(ns)
        .unwrap()
        .run(move || {
            let (s, sa) = packet_socket(&ifname, libc::ETH_P_ALL as u16);
            for f in &frames {
                // SAFETY: `f` and `sa` are valid for the given lengths.
                let n = unsafe {
                    libc::sendto(
                        s,
                        f.as_ptr() as *const _,
                        f.len(),
                        0,
                        &sa as *const _ as *const libc::sockaddr,
                        std::mem::size_of_val(&sa) as u32,
                    )
                };
                assert_eq!(
                    n,
                    f.len() as isize,
                    "send frame: {}",
                    std::io::Error::last_os_error()
                );
            }
            // SAFETY: `s` is our socket.
            unsafe { libc::close(s) };
        })
        .unwrap();
}

/// An IPv6 extension header to put before the ICMPv6 one.
#[derive(Clone, Copy)]
pub enum Ext {
    /// Hop-by-hop options (next header 0), 8 bytes of padding.
    HopByHop,
    /// Destination options (next header 60), 8 bytes of padding.
    DestOpts,
}

/// An Ethernet frame with an IPv6 packet (hop limit 255) from `src` to `dst` carrying
/// ICMPv6 message `icmp` (its checksum bytes are filled in) behind `exts`.
pub fn icmpv6(
    dst_mac: [u8; 6],
    src_mac: [u8; 6],
    src: Ipv6Addr,
    dst: Ipv6Addr,
    exts: &[Ext],
    mut icmp: Vec<u8>,
) -> Vec<u8> {
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src.octets());
    pseudo.extend_from_slice(&dst.octets());
    pseudo.extend_from_slice(&(icmp.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 58]);
    icmp[2..4].copy_from_slice(&[0, 0]);
    pseudo.extend_from_slice(&icmp);
    let mut sum: u32 = pseudo
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    icmp[2..4].copy_from_slice(&(!(sum as u16)).to_be_bytes());
    let code = |e: &Ext| match e {
        Ext::HopByHop => 0u8,
        Ext::DestOpts => 60,
    };
    let mut payload = Vec::new();
    for (i, _) in exts.iter().enumerate() {
        let next = exts.get(i + 1).map_or(58, code);
        // Next header, length 0 (8 bytes), PadN over the 6 bytes left.
        payload.extend_from_slice(&[next, 0, 1, 4, 0, 0, 0, 0]);
    }
    payload.extend_from_slice(&icmp);
    let mut f = Vec::new();
    f.extend_from_slice(&dst_mac);
    f.extend_from_slice(&src_mac);
    f.extend_from_slice(&[0x86, 0xdd, 0x60, 0, 0, 0]);
    f.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    f.extend_from_slice(&[exts.first().map_or(58, code), 255]);
    f.extend_from_slice(&src.octets());
    f.extend_from_slice(&dst.octets());
    f.extend_from_slice(&payload);
    f
}
