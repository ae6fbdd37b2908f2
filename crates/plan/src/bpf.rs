//! Classic BPF programs as both backends write them (FreeBSD: ng_bpf hook programs;
//! Linux: a tc `cls_bpf` filter): the instruction, the opcodes they use, and an assembler
//! that turns labelled jumps into offsets. Text only; the backends do the I/O. (The
//! FreeBSD simulator reads programs with its own parser and interpreter, so the two cannot
//! hide each other's bugs.)

use std::collections::BTreeMap;

/// One classic BPF instruction (`struct bpf_insn` / `struct sock_filter`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Insn {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

// Classic BPF opcodes (bpf.h / filter.h).
pub const LD_W_ABS: u16 = 0x20;
pub const LD_H_ABS: u16 = 0x28;
pub const LD_B_ABS: u16 = 0x30;
pub const LD_B_IND: u16 = 0x50;
pub const LD_MEM: u16 = 0x60;
pub const LDX_IMM: u16 = 0x01;
pub const ST: u16 = 0x02;
pub const ADD_K: u16 = 0x04;
pub const ADD_X: u16 = 0x0c;
pub const LSH_K: u16 = 0x64;
pub const AND_K: u16 = 0x54;
pub const TAX: u16 = 0x07;
pub const JEQ_K: u16 = 0x15;
pub const RET_K: u16 = 0x06;

/// Where a conditional jump goes: on to the next instruction, or to a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum To {
    Next,
    Label(u16),
}

/// One instruction before jumps are resolved, or a label.
pub enum Op {
    Label(u16),
    /// An instruction without jumps: `code` and `k`.
    Stmt(u16, u32),
    /// `jeq #k, then, else`.
    Jeq(u32, To, To),
}

impl Op {
    /// The label `t` stands for (`To::Next` is no label: one that nothing jumps to).
    pub fn label(t: To) -> Op {
        match t {
            To::Label(l) => Op::Label(l),
            To::Next => Op::Label(u16::MAX),
        }
    }
}

/// An instruction without jumps.
pub fn stmt(code: u16, k: u32) -> Insn {
    Insn {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

/// Resolves labels into jump offsets; `Err` names a jump that does not go forward to a
/// label within 255 instructions.
pub fn assemble(ops: &[Op]) -> Result<Vec<Insn>, String> {
    let mut at: BTreeMap<To, usize> = BTreeMap::new();
    let mut pc = 0;
    for op in ops {
        match op {
            Op::Label(l) => {
                at.insert(To::Label(*l), pc);
            }
            _ => pc += 1,
        }
    }
    let mut out = Vec::with_capacity(pc);
    for op in ops {
        let here = out.len();
        let off = |t: To| -> Result<u8, String> {
            match t {
                To::Next => Ok(0),
                To::Label(l) => at
                    .get(&t)
                    .and_then(|target| target.checked_sub(here + 1))
                    .and_then(|d| u8::try_from(d).ok())
                    .ok_or_else(|| format!("jump {here} to label {l} is out of reach")),
            }
        };
        out.push(match op {
            Op::Label(_) => continue,
            Op::Stmt(code, k) => stmt(*code, *k),
            Op::Jeq(k, t, f) => Insn {
                code: JEQ_K,
                jt: off(*t)?,
                jf: off(*f)?,
                k: *k,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_become_forward_offsets_and_far_jumps_are_refused() {
        let ops = [
            Op::Jeq(1, To::Next, To::Label(7)),
            Op::Stmt(RET_K, 1),
            Op::label(To::Label(7)),
            Op::Stmt(RET_K, 0),
        ];
        let p = assemble(&ops).unwrap();
        assert_eq!(
            p[0],
            Insn {
                code: JEQ_K,
                jt: 0,
                jf: 1,
                k: 1
            }
        );
        assert_eq!(p.len(), 3);
        let mut far = vec![Op::Jeq(1, To::Label(1), To::Next)];
        far.extend((0..300).map(|_| Op::Stmt(RET_K, 0)));
        far.push(Op::Label(1));
        assert!(assemble(&far).is_err());
        assert!(assemble(&[Op::Jeq(1, To::Label(9), To::Next)]).is_err());
    }
}
