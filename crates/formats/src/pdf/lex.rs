//! A small PDF object parser (ISO 32000-1 §7.2–7.3): enough to read
//! dictionaries, arrays, references and object headers. Bounded nesting.

use crate::limits::MAX_PDF_NESTING;

/// A parsed PDF object. Strings and reals are not kept: nothing here needs them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Obj<'a> {
    Int(i64),
    Real,
    Bool,
    Null,
    Str,
    Name(&'a [u8]),
    Ref(u64, u64),
    Array(Vec<Obj<'a>>),
    Dict(Dict<'a>),
}

/// A dictionary, in file order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Dict<'a>(pub(crate) Vec<(&'a [u8], Obj<'a>)>);

impl<'a> Dict<'a> {
    pub(crate) fn get(&self, key: &[u8]) -> Option<&Obj<'a>> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(crate) fn int(&self, key: &[u8]) -> Option<i64> {
        match self.get(key)? {
            Obj::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub(crate) fn name(&self, key: &[u8]) -> Option<&'a [u8]> {
        match self.get(key)? {
            Obj::Name(n) => Some(n),
            _ => None,
        }
    }
}

/// Why parsing stopped, and where.
#[derive(Debug)]
pub(crate) struct LexError {
    pub(crate) at: usize,
    pub(crate) msg: &'static str,
    pub(crate) eof: bool,
}

pub(crate) fn is_white(c: u8) -> bool {
    matches!(c, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

fn is_delim(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

fn is_regular(c: u8) -> bool {
    !is_white(c) && !is_delim(c)
}

/// A cursor over the whole file; positions are file offsets.
pub(crate) struct Lexer<'a> {
    pub(crate) b: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(b: &'a [u8], pos: usize) -> Self {
        Lexer { b, pos }
    }

    fn err(&self, msg: &'static str) -> LexError {
        LexError {
            at: self.pos,
            msg,
            eof: self.pos >= self.b.len(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Skips white space and comments.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if is_white(c) {
                self.pos += 1;
            } else if c == b'%' {
                while self.peek().is_some_and(|c| c != b'\r' && c != b'\n') {
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// Consumes `kw` if it is next (after white space) and followed by a delimiter.
    pub(crate) fn keyword(&mut self, kw: &[u8]) -> bool {
        self.skip_ws();
        let end = self.pos + kw.len();
        let ok = self.b.get(self.pos..end) == Some(kw)
            && self.b.get(end).is_none_or(|&c| !is_regular(c));
        if ok {
            self.pos = end;
        }
        ok
    }

    /// An unsigned decimal integer, no sign, no fraction.
    pub(crate) fn uint(&mut self) -> Option<u64> {
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.pos += 1;
            if self.pos - start > 19 {
                return None;
            }
        }
        (self.pos > start).then_some(v)
    }

    /// `N G obj` exactly at the cursor (no leading white space); returns (N, G).
    /// Separators are plain white space of at most 16 bytes, so checking an
    /// object header costs a bounded number of bytes whatever the file holds.
    pub(crate) fn object_header(&mut self) -> Option<(u64, u64)> {
        let num = self.uint()?;
        self.short_white()?;
        let gen = self.uint()?;
        self.short_white()?;
        let end = self.pos + 3;
        let ok = self.b.get(self.pos..end) == Some(b"obj")
            && self.b.get(end).is_none_or(|&c| !is_regular(c));
        ok.then(|| {
            self.pos = end;
            (num, gen)
        })
    }

    fn short_white(&mut self) -> Option<()> {
        let n = self
            .b
            .get(self.pos..)?
            .iter()
            .take(17)
            .take_while(|&&c| is_white(c))
            .count();
        self.pos += n;
        (1..=16).contains(&n).then_some(())
    }

    pub(crate) fn object(&mut self) -> Result<Obj<'a>, LexError> {
        self.object_at_depth(0)
    }

    fn object_at_depth(&mut self, depth: usize) -> Result<Obj<'a>, LexError> {
        if depth > MAX_PDF_NESTING {
            return Err(self.err("arrays and dictionaries nested too deeply"));
        }
        self.skip_ws();
        let c = self.peek().ok_or_else(|| self.err("object expected"))?;
        match c {
            b'<' if self.b.get(self.pos + 1) == Some(&b'<') => self.dict(depth).map(Obj::Dict),
            b'<' => self.hex_string(),
            b'(' => self.literal_string(),
            b'[' => self.array(depth),
            b'/' => Ok(Obj::Name(self.name())),
            b'0'..=b'9' | b'+' | b'-' | b'.' => self.number_or_ref(),
            _ if self.keyword(b"true") || self.keyword(b"false") => Ok(Obj::Bool),
            _ if self.keyword(b"null") => Ok(Obj::Null),
            _ => Err(self.err("unexpected token where an object was expected")),
        }
    }

    pub(crate) fn dict(&mut self, depth: usize) -> Result<Dict<'a>, LexError> {
        self.skip_ws();
        if !self.b.get(self.pos..).is_some_and(|s| s.starts_with(b"<<")) {
            return Err(self.err("dictionary expected"));
        }
        self.pos += 2;
        let mut d = Dict::default();
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b'>') if self.b.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    return Ok(d);
                }
                Some(b'/') => {
                    let key = self.name();
                    let value = self.object_at_depth(depth + 1)?;
                    d.0.push((key, value));
                }
                _ => return Err(self.err("dictionary key (a name) or '>>' expected")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Obj<'a>, LexError> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_ws();
            if self.peek() == Some(b']') {
                self.pos += 1;
                return Ok(Obj::Array(items));
            }
            items.push(self.object_at_depth(depth + 1)?);
        }
    }

    /// A name without its slash (escapes `#xx` are left as written).
    fn name(&mut self) -> &'a [u8] {
        self.pos += 1;
        let start = self.pos;
        while self.peek().is_some_and(is_regular) {
            self.pos += 1;
        }
        &self.b[start..self.pos]
    }

    fn hex_string(&mut self) -> Result<Obj<'a>, LexError> {
        self.pos += 1;
        loop {
            match self.peek() {
                Some(b'>') => {
                    self.pos += 1;
                    return Ok(Obj::Str);
                }
                Some(c) if c.is_ascii_hexdigit() || is_white(c) => self.pos += 1,
                _ => return Err(self.err("invalid character in a hexadecimal string")),
            }
        }
    }

    fn literal_string(&mut self) -> Result<Obj<'a>, LexError> {
        self.pos += 1;
        let mut depth = 1usize;
        while depth > 0 {
            match self.peek() {
                None => return Err(self.err("unterminated string")),
                Some(b'\\') => self.pos = (self.pos + 1).min(self.b.len()),
                Some(b'(') => depth += 1,
                Some(b')') => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        Ok(Obj::Str)
    }

    /// An integer, a real, or `N G R`.
    fn number_or_ref(&mut self) -> Result<Obj<'a>, LexError> {
        let start = self.pos;
        if matches!(self.peek(), Some(b'+' | b'-')) {
            self.pos += 1;
        }
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == b'.') {
            self.pos += 1;
        }
        let text = &self.b[start..self.pos];
        if text.contains(&b'.') {
            return Ok(Obj::Real);
        }
        let v: i64 = std::str::from_utf8(text)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| self.err("malformed number"))?;
        if v >= 0 && text[0].is_ascii_digit() {
            let save = self.pos;
            self.skip_ws();
            if let Some(gen) = self.uint() {
                if self.keyword(b"R") {
                    return Ok(Obj::Ref(v as u64, gen));
                }
            }
            self.pos = save;
        }
        Ok(Obj::Int(v))
    }
}
