//! ng_bpf(4) hook programs: `msg NODE: setprogram { thisHook=… ifMatch=… ifNotMatch=…
//! bpf_prog_len=N bpf_prog=[ { code=… jt=… jf=… k=… } … ] }` parsed, checked like
//! bpf_validate (known opcodes, jumps inside the program, ending in a return), and run
//! over a frame's bytes as classic BPF does (a load past the end returns 0: no match).

use serde::{Deserialize, Serialize};

/// One hook's program and where its frames go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookProg {
    /// Hook that takes the frames the program matches ("" = dropped).
    pub if_match: String,
    /// Hook that takes the others ("" = dropped).
    pub if_not_match: String,
    pub prog: Vec<Insn>,
}

/// One classic BPF instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// The subset of bpf.h that is modelled.
const LD_W_ABS: u16 = 0x20;
const LD_H_ABS: u16 = 0x28;
const LD_B_ABS: u16 = 0x30;
const JA: u16 = 0x05;
const JEQ_K: u16 = 0x15;
const JGT_K: u16 = 0x25;
const JGE_K: u16 = 0x35;
const JSET_K: u16 = 0x45;
const AND_K: u16 = 0x54;
const RET_K: u16 = 0x06;
const RET_A: u16 = 0x16;

/// Parses the words after `setprogram` into the hook the program is for and the program;
/// `None` when the text is malformed or the program would not pass bpf_validate.
pub fn parse_setprogram(words: &[&str]) -> Option<(String, HookProg)> {
    let text = words.join(" ");
    let body = text.trim().strip_prefix('{')?.strip_suffix('}')?;
    let (head, prog_text) = match body.split_once("bpf_prog=[") {
        Some((h, p)) => (h, p.trim().strip_suffix(']')?),
        None => (body, ""),
    };
    let field = |name: &str| -> Option<String> {
        let at = head.find(&format!("{name}="))? + name.len() + 1;
        let rest = &head[at..];
        match rest.strip_prefix('"') {
            Some(q) => Some(q[..q.find('"')?].to_string()),
            None => Some(rest.split_whitespace().next()?.to_string()),
        }
    };
    let this = field("thisHook")?;
    let len: usize = field("bpf_prog_len")?.parse().ok()?;
    let mut prog = Vec::new();
    for item in prog_text
        .split('}')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let item = item.strip_prefix('{')?;
        let get = |name: &str| -> Option<u64> {
            let at = item.find(&format!("{name}="))? + name.len() + 1;
            item[at..].split_whitespace().next()?.parse().ok()
        };
        prog.push(Insn {
            code: u16::try_from(get("code")?).ok()?,
            jt: u8::try_from(get("jt")?).ok()?,
            jf: u8::try_from(get("jf")?).ok()?,
            k: u32::try_from(get("k")?).ok()?,
        });
    }
    if prog.len() != len || !valid(&prog) {
        return None;
    }
    Some((
        this,
        HookProg {
            if_match: field("ifMatch").unwrap_or_default(),
            if_not_match: field("ifNotMatch").unwrap_or_default(),
            prog,
        },
    ))
}

/// What bpf_validate checks of the modelled subset: known opcodes, forward jumps that land
/// inside the program, and a return as the last instruction.
fn valid(prog: &[Insn]) -> bool {
    let n = prog.len();
    !prog.is_empty()
        && matches!(prog[n - 1].code, RET_K | RET_A)
        && prog.iter().enumerate().all(|(pc, i)| match i.code {
            LD_W_ABS | LD_H_ABS | LD_B_ABS | AND_K | RET_K | RET_A => true,
            JA => pc + 1 + (i.k as usize) < n,
            JEQ_K | JGT_K | JGE_K | JSET_K => {
                pc + 1 + usize::from(i.jt) < n && pc + 1 + usize::from(i.jf) < n
            }
            _ => false,
        })
}

/// Runs `prog` over `pkt`: the number of bytes to keep, 0 for "no match".
pub fn run(prog: &[Insn], pkt: &[u8]) -> u32 {
    let mut a: u32 = 0;
    let mut pc = 0usize;
    let load = |k: u32, n: usize| -> Option<u32> {
        let at = k as usize;
        let b = pkt.get(at..at + n)?;
        Some(b.iter().fold(0u32, |v, x| (v << 8) | u32::from(*x)))
    };
    while let Some(i) = prog.get(pc) {
        pc += 1;
        match i.code {
            LD_W_ABS | LD_H_ABS | LD_B_ABS => {
                let n = match i.code {
                    LD_W_ABS => 4,
                    LD_H_ABS => 2,
                    _ => 1,
                };
                match load(i.k, n) {
                    Some(v) => a = v,
                    None => return 0,
                }
            }
            AND_K => a &= i.k,
            JA => pc += i.k as usize,
            JEQ_K | JGT_K | JGE_K | JSET_K => {
                let taken = match i.code {
                    JEQ_K => a == i.k,
                    JGT_K => a > i.k,
                    JGE_K => a >= i.k,
                    _ => a & i.k != 0,
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            RET_K => return i.k,
            RET_A => return a,
            _ => return 0,
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setprogram_text_parses_validates_and_runs() {
        let words: Vec<&str> = "{ thisHook=\"in\" ifMatch=\"out\" bpf_prog_len=4 bpf_prog=[ \
             { code=40 jt=0 jf=0 k=12 } { code=21 jt=0 jf=1 k=2054 } { code=6 jt=0 jf=0 k=0 } \
             { code=6 jt=0 jf=0 k=65535 } ] }"
            .split_whitespace()
            .collect();
        let (hook, p) = parse_setprogram(&words).unwrap();
        assert_eq!(
            (hook.as_str(), p.if_match.as_str(), p.if_not_match.as_str()),
            ("in", "out", "")
        );
        let mut frame = vec![0u8; 60];
        frame[12] = 0x08;
        frame[13] = 0x06;
        assert_eq!(run(&p.prog, &frame), 0, "ARP dropped");
        frame[13] = 0x00;
        assert_eq!(run(&p.prog, &frame), 65535, "IPv4 kept");
        assert_eq!(
            run(&p.prog, &frame[..10]),
            0,
            "a load past the end is no match"
        );
        // Wrong length, a jump out of the program, no final return: refused.
        let bad_len: Vec<&str> = words
            .iter()
            .map(|w| {
                if *w == "bpf_prog_len=4" {
                    "bpf_prog_len=3"
                } else {
                    w
                }
            })
            .collect();
        assert!(parse_setprogram(&bad_len).is_none());
        let far: Vec<&str> = words
            .iter()
            .map(|w| if *w == "jf=1" { "jf=9" } else { w })
            .collect();
        assert!(parse_setprogram(&far).is_none());
        assert!(!valid(&[Insn {
            code: LD_H_ABS,
            jt: 0,
            jf: 0,
            k: 12
        }]));
    }
}
