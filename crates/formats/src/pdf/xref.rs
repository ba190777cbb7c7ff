//! Cross-reference sections (ISO 32000-1 §7.5.4, §7.5.8): classic tables and
//! cross-reference streams, followed through /Prev and /XRefStm. Every in-use
//! entry must point inside the file at the header of the object it names.

use std::collections::BTreeSet;

mod stream;

use super::lex::{is_white, Dict, Lexer, Obj};
use super::{lex_error, F};
use crate::error::{corrupt, limit, truncated};
use crate::limits::MAX_PDF_XREF_SECTIONS;
use crate::FormatError;

/// What the walk learnt about the document.
pub(crate) struct Summary {
    /// Offset of the document catalog, when it is an ordinary (not compressed) object.
    pub(crate) catalog_at: Option<usize>,
    pub(crate) encrypted: bool,
    pub(crate) sections: usize,
    pub(crate) notes: Vec<String>,
}

#[derive(PartialEq)]
enum Root {
    Unseen,
    Found(Option<usize>),
}

struct Walk<'a> {
    b: &'a [u8],
    /// Entries still allowed: the total may not exceed the file length.
    budget: u64,
    /// Bytes still allowed to be lexed; sections that overlap exhaust it.
    lex_budget: usize,
    root: Option<(u64, u64)>,
    root_state: Root,
    /// A section could not be decoded, so "root not found" is not conclusive.
    partial: bool,
    notes: Vec<String>,
}

/// A classic subsection: first object number, entry count, offset of its entries.
type Subsection = (u64, u64, usize);

pub(crate) fn walk(b: &[u8], startxref: usize) -> Result<Summary, FormatError> {
    let mut w = Walk {
        b,
        budget: b.len() as u64,
        lex_budget: b.len() + 1024,
        root: None,
        root_state: Root::Unseen,
        partial: false,
        notes: Vec::new(),
    };
    let mut visited = BTreeSet::new();
    let mut next = Some(startxref);
    let mut encrypted = false;
    while let Some(off) = next {
        if !visited.insert(off) {
            return Err(corrupt(
                F,
                off,
                "the chain of cross-reference sections (/Prev) loops",
            ));
        }
        if visited.len() > MAX_PDF_XREF_SECTIONS {
            return Err(limit(
                F,
                format!("more than {MAX_PDF_XREF_SECTIONS} cross-reference sections"),
            ));
        }
        let first = visited.len() == 1;
        let trailer = w.section(off, first)?;
        encrypted |= first && trailer.get(b"Encrypt").is_some();
        if let Some(stm) = trailer.int(b"XRefStm") {
            let stm = w.offset(stm, "/XRefStm")?;
            if visited.insert(stm) {
                w.section(stm, false)?;
            }
        }
        next = match trailer.get(b"Prev") {
            None => None,
            Some(Obj::Int(p)) => Some(w.offset(*p, "/Prev")?),
            Some(_) => return Err(corrupt(F, off, "trailer /Prev is not an integer offset")),
        };
    }
    w.finish(encrypted, visited.len())
}

impl<'a> Walk<'a> {
    fn offset(&self, v: i64, what: &str) -> Result<usize, FormatError> {
        usize::try_from(v)
            .ok()
            .filter(|&o| o < self.b.len())
            .ok_or_else(|| {
                truncated(
                    F,
                    format!(
                        "trailer {what} offset {v} lies outside the file ({} bytes)",
                        self.b.len()
                    ),
                )
            })
    }

    /// Validates the section at `off` and returns its trailer dictionary.
    fn section(&mut self, off: usize, first: bool) -> Result<Dict<'a>, FormatError> {
        if self.b[off..].starts_with(b"xref") {
            let (subs, trailer) = self.classic_layout(off)?;
            self.set_root(&trailer, first, off)?;
            let size = self.size(&trailer, off)?;
            for sub in subs {
                self.classic_entries(sub, size)?;
            }
            Ok(trailer)
        } else {
            self.stream(off, first)
        }
    }

    fn set_root(&mut self, trailer: &Dict<'a>, first: bool, off: usize) -> Result<(), FormatError> {
        if !first {
            return Ok(());
        }
        match trailer.get(b"Root") {
            Some(Obj::Ref(n, g)) => {
                self.root = Some((*n, *g));
                Ok(())
            }
            _ => Err(corrupt(
                F,
                off,
                "the trailer has no /Root reference to the document catalog",
            )),
        }
    }

    fn size(&self, trailer: &Dict<'a>, off: usize) -> Result<u64, FormatError> {
        trailer
            .int(b"Size")
            .and_then(|s| u64::try_from(s).ok())
            .ok_or_else(|| corrupt(F, off, "the trailer has no valid /Size"))
    }

    /// Cross-reference sections never share bytes; parsing more than the file means they do.
    fn charge(&mut self, n: usize, off: usize) -> Result<(), FormatError> {
        self.lex_budget = self.lex_budget.checked_sub(n).ok_or_else(|| {
            limit(F, format!("cross-reference section at offset {off} overlaps others (more bytes parsed than the file holds)"))
        })?;
        Ok(())
    }

    fn spend(&mut self, n: u64, off: usize) -> Result<(), FormatError> {
        self.budget = self.budget.checked_sub(n).ok_or_else(|| {
            corrupt(
                F,
                off,
                "cross-reference sections declare more entries than the file has bytes",
            )
        })?;
        Ok(())
    }

    /// Reads the subsection headers of a classic table and its trailer.
    fn classic_layout(&mut self, off: usize) -> Result<(Vec<Subsection>, Dict<'a>), FormatError> {
        let mut lx = Lexer::new(self.b, off + 4);
        if !lx.b.get(lx.pos).copied().is_some_and(is_white) {
            return Err(corrupt(
                F,
                off,
                "'xref' keyword is not followed by an end of line",
            ));
        }
        let mut subs = Vec::new();
        loop {
            lx.skip_ws();
            if lx.keyword(b"trailer") {
                break;
            }
            let at = lx.pos;
            let header = (lx.uint(), lx.b.get(lx.pos) == Some(&b' '));
            let (Some(start), true) = header else {
                return Err(subsection_error(self.b, at));
            };
            lx.pos += 1;
            let count = lx.uint().ok_or_else(|| subsection_error(self.b, at))?;
            lx.skip_ws();
            let bytes = count.checked_mul(20).filter(|&n| n <= (self.b.len() - lx.pos) as u64).ok_or_else(|| {
                truncated(F, format!("cross-reference subsection at offset {at} declares {count} entries; the file ends first"))
            })?;
            self.spend(count, at)?;
            subs.push((start, count, lx.pos));
            lx.pos += bytes as usize;
        }
        let trailer = lx
            .dict(0)
            .map_err(|e| lex_error(&e, "trailer dictionary"))?;
        self.charge(lx.pos - off, off)?;
        Ok((subs, trailer))
    }

    fn classic_entries(
        &mut self,
        (start, count, at): Subsection,
        size: u64,
    ) -> Result<(), FormatError> {
        for i in 0..count {
            let e_at = at + 20 * i as usize;
            let e = &self.b[e_at..e_at + 20];
            let digits = |r: std::ops::Range<usize>| {
                e[r].iter().try_fold(0u64, |v, &c| {
                    c.is_ascii_digit().then(|| v * 10 + u64::from(c - b'0'))
                })
            };
            let eol = matches!(&e[18..20], b" \r" | b" \n" | b"\r\n");
            let (Some(offset), Some(gen), true, true, true) = (
                digits(0..10),
                digits(11..16),
                e[10] == b' ',
                e[16] == b' ',
                eol,
            ) else {
                return Err(corrupt(F, e_at, "malformed cross-reference entry (20 bytes 'nnnnnnnnnn ggggg n' + end of line expected)"));
            };
            let num = start + i;
            self.check_number(num, size, e_at)?;
            match e[17] {
                b'n' if num == 0 => {
                    return Err(corrupt(
                        F,
                        e_at,
                        "object 0 must be free (the head of the free list)",
                    ))
                }
                b'n' => self.in_use(num, gen, offset, e_at)?,
                b'f' => self.free(num, e_at)?,
                _ => {
                    return Err(corrupt(
                        F,
                        e_at,
                        "cross-reference entry type is neither 'n' nor 'f'",
                    ))
                }
            }
        }
        Ok(())
    }

    fn check_number(&self, num: u64, size: u64, at: usize) -> Result<(), FormatError> {
        if num >= size {
            return Err(corrupt(
                F,
                at,
                format!("cross-reference entry for object {num}, but /Size is {size}"),
            ));
        }
        Ok(())
    }

    /// An in-use entry: `offset` must hold `num gen obj`.
    fn in_use(&mut self, num: u64, gen: u64, offset: u64, at: usize) -> Result<(), FormatError> {
        let ok = usize::try_from(offset)
            .ok()
            .filter(|&o| o < self.b.len())
            .is_some_and(|o| Lexer::new(self.b, o).object_header() == Some((num, gen)));
        if !ok {
            return Err(corrupt(F, at, format!("cross-reference entry for object {num} {gen} points to offset {offset}, where no '{num} {gen} obj' header starts")));
        }
        self.found(num, gen, Some(offset as usize), at)
    }

    fn found(
        &mut self,
        num: u64,
        gen: u64,
        at_offset: Option<usize>,
        at: usize,
    ) -> Result<(), FormatError> {
        match self.root {
            Some((n, g)) if n == num && self.root_state == Root::Unseen => {
                if g != gen {
                    return Err(corrupt(
                        F,
                        at,
                        format!("/Root is {n} {g} R but object {n} has generation {gen}"),
                    ));
                }
                self.root_state = Root::Found(at_offset);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn free(&mut self, num: u64, at: usize) -> Result<(), FormatError> {
        if self.root.is_some_and(|(n, _)| n == num) && self.root_state == Root::Unseen {
            return Err(corrupt(
                F,
                at,
                format!("the document catalog (/Root object {num}) is marked free"),
            ));
        }
        Ok(())
    }

    fn finish(mut self, encrypted: bool, sections: usize) -> Result<Summary, FormatError> {
        let catalog_at = match self.root_state {
            Root::Found(at) => at,
            Root::Unseen if self.partial => None,
            Root::Unseen => {
                let (n, g) = self.root.unwrap_or((0, 0));
                return Err(crate::error::corrupt_at(
                    F,
                    format!("/Root {n} {g} R has no cross-reference entry"),
                ));
            }
        };
        if catalog_at.is_none() {
            self.notes.push("the document catalog is in an object stream or an undecoded section; its dictionary was not inspected".into());
        }
        Ok(Summary {
            catalog_at,
            encrypted,
            sections,
            notes: self.notes,
        })
    }
}

fn subsection_error(b: &[u8], at: usize) -> FormatError {
    if at >= b.len() {
        return truncated(F, "the cross-reference table ends without a trailer");
    }
    corrupt(
        F,
        at,
        "malformed cross-reference subsection header ('first count' or 'trailer' expected)",
    )
}
