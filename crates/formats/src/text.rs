//! Plain text in UTF-8.

use crate::error::corrupt;
use crate::identify::{is_forbidden_control, UTF8_BOM};
use crate::{Format, FormatError, Identification};

const F: Format = Format::Utf8Text;

/// Checks the whole input is UTF-8 and free of C0 controls other than TAB, LF, FF, CR.
pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let s = utf8(b, F)?;
    if let Some(pos) = first_forbidden_control(b) {
        return Err(corrupt(
            F,
            pos,
            format!(
                "control character U+{:04X} is not allowed in text (only TAB, LF, FF and CR are)",
                b[pos]
            ),
        ));
    }
    let mut id = Identification::new(F, "x-fmt/111", "text/plain", "Plain Text File");
    id.notes.push(
        "encoding UTF-8 (PRONOM has no UTF-8-specific text identifier; x-fmt/111 is plain text)"
            .into(),
    );
    if b.starts_with(UTF8_BOM) {
        id.notes.push("starts with a UTF-8 byte order mark".into());
    }
    if has_c1_control(s) {
        id.notes.push(
            "contains C1 control characters (U+0080–U+009F), often a sign of text decoded with the wrong encoding"
                .into(),
        );
    }
    id.notes.push(line_endings(b).into());
    Ok(id)
}

/// UTF-8 check shared by the text formats; the error names the first bad byte.
pub(crate) fn utf8(b: &[u8], format: Format) -> Result<&str, FormatError> {
    std::str::from_utf8(b).map_err(|e| {
        let at = e.valid_up_to();
        match e.error_len() {
            None => crate::error::truncated(
                format,
                format!("the last UTF-8 character (from byte offset {at}) is incomplete"),
            ),
            Some(_) => corrupt(
                format,
                at,
                format!(
                    "invalid UTF-8 (byte 0x{:02X}); the file may be in Latin-1 or Windows-1252 and must be converted to UTF-8",
                    b[at]
                ),
            ),
        }
    })
}

/// Whether the text has a C1 control (U+0080–U+009F). In UTF-8 these are
/// exactly the pairs `C2 80`…`C2 9F` (0xC2 is only ever a lead byte), and
/// ASCII text, the usual case, is ruled out by one fast scan.
fn has_c1_control(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_ascii()
        && b.windows(2)
            .any(|w| w[0] == 0xC2 && (0x80..=0x9F).contains(&w[1]))
}

/// The number of LF and of CR bytes. Counted into byte-wide lanes, 255
/// bytes at a time, which compiles to 16 comparisons per instruction (a
/// plain `filter().count()` widens every lane to 64 bits).
fn count_lf_cr(b: &[u8]) -> (usize, usize) {
    b.chunks(255).fold((0, 0), |(lf, cr), chunk| {
        let (l, c) = chunk.iter().fold((0u8, 0u8), |(l, c), &x| {
            (l + u8::from(x == b'\n'), c + u8::from(x == b'\r'))
        });
        (lf + usize::from(l), cr + usize::from(c))
    })
}

fn line_endings(b: &[u8]) -> &'static str {
    let (lf, cr) = count_lf_cr(b);
    // Pairs are only looked for when there is a CR.
    let crlf = if cr == 0 {
        0
    } else {
        b.windows(2).filter(|w| w == b"\r\n").count()
    };
    match (lf - crlf, crlf, cr - crlf) {
        (0, 0, 0) => "no line breaks",
        (_, 0, 0) => "line endings LF",
        (0, _, 0) => "line endings CRLF",
        (0, 0, _) => "line endings CR",
        _ => "mixed line endings",
    }
}

/// Validates UTF-8 text that arrives in chunks, with the rules above, for
/// files too large to hold in memory: the vault reads such a file once,
/// feeding each chunk here and to the encryption. Text that starts like XML
/// or JSON is refused here: those need the whole document to be checked.
#[derive(Debug, Default)]
pub struct TextStream {
    pending: Vec<u8>,
    offset: u64,
    started: bool,
}

impl TextStream {
    /// Checks the next chunk.
    pub fn update(&mut self, chunk: &[u8]) -> Result<(), FormatError> {
        let mut joined;
        let data: &[u8] = if self.pending.is_empty() {
            chunk
        } else {
            joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(chunk);
            &joined
        };
        if !self.started && !data.is_empty() {
            self.started = true;
            self.check_start(data)?;
        }
        let valid = match std::str::from_utf8(data) {
            Ok(_) => data.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                let at = e.valid_up_to();
                return Err(corrupt(
                    F,
                    self.offset as usize + at,
                    format!("invalid UTF-8 (byte 0x{:02X})", data[at]),
                ));
            }
        };
        if let Some(pos) = first_forbidden_control(&data[..valid]) {
            return Err(corrupt(
                F,
                self.offset as usize + pos,
                format!(
                    "control character U+{:04X} is not allowed in text",
                    data[pos]
                ),
            ));
        }
        self.pending = data[valid..].to_vec();
        self.offset += valid as u64;
        Ok(())
    }

    fn check_start(&self, data: &[u8]) -> Result<(), FormatError> {
        let head = &data[..data.len().min(4096)];
        match crate::identify(head) {
            Some(Format::Utf8Text) => Ok(()),
            Some(other) => Err(FormatError::Unsupported {
                format: other,
                detail: "too large to validate in memory, and only UTF-8 text can be validated while streaming".into(),
            }),
            None => Err(FormatError::Unknown),
        }
    }

    /// Ends the stream: an incomplete last character is refused.
    pub fn finish(self) -> Result<Identification, FormatError> {
        if !self.pending.is_empty() {
            return Err(crate::error::truncated(
                F,
                "the last UTF-8 character is incomplete",
            ));
        }
        if !self.started {
            return Err(FormatError::Empty);
        }
        let mut id = Identification::new(F, "x-fmt/111", "text/plain", "Plain Text File");
        id.notes
            .push("encoding UTF-8, validated while streaming".into());
        Ok(id)
    }
}

/// The first C0 control other than TAB, LF, FF, CR. Eight bytes at a time:
/// a word with no byte below 0x20 (the usual case in text) is skipped with
/// one test, so validation keeps up with encryption on large files.
fn first_forbidden_control(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    for word in b.chunks_exact(8) {
        let x = u64::from_le_bytes(word.try_into().unwrap_or([0x20; 8]));
        // High bit set in a lane whose byte is below 0x20 (or above 0x9F:
        // those lanes are rechecked exactly below).
        if x.wrapping_sub(LO * 0x20) & !x & HI != 0 {
            if let Some(p) = word.iter().position(|&c| is_forbidden_control(c)) {
                return Some(at + p);
            }
        }
        at += 8;
    }
    b[at..]
        .iter()
        .position(|&c| is_forbidden_control(c))
        .map(|p| at + p)
}

#[cfg(test)]
mod stream_tests {
    use super::*;

    fn run(chunks: &[&[u8]]) -> Result<Identification, FormatError> {
        let mut t = TextStream::default();
        for c in chunks {
            t.update(c)?;
        }
        t.finish()
    }

    #[test]
    fn the_fast_control_scan_agrees_with_the_byte_scan() {
        for len in 0..40 {
            for at in 0..len {
                for c in 0u8..=255 {
                    let mut b = vec![b'a'; len];
                    b[at] = c;
                    let expected = b.iter().position(|&x| is_forbidden_control(x));
                    assert_eq!(
                        first_forbidden_control(&b),
                        expected,
                        "len {len} at {at} byte {c}"
                    );
                }
            }
        }
    }

    #[test]
    fn characters_split_across_chunks_are_accepted() {
        let text = "Ceci est un « dossier » — €\n".as_bytes();
        for cut in 0..text.len() {
            assert!(run(&[&text[..cut], &text[cut..]]).is_ok(), "cut {cut}");
        }
    }

    #[test]
    fn bad_bytes_controls_truncation_and_non_text_are_refused() {
        assert!(run(&[b"abc", b"\xff"]).is_err());
        assert!(run(&[b"abc\x01"]).is_err());
        assert!(run(&["é".as_bytes().split_at(1).0]).is_err());
        assert!(run(&[b"<?xml version=\"1.0\"?><a/>"]).is_err());
        assert!(run(&[b"%PDF-1.7\n"]).is_err());
        assert!(run(&[]).is_err());
    }
}

#[cfg(test)]
mod note_tests {
    use super::*;

    /// The byte-pair test for C1 controls agrees with its definition on
    /// characters, for every code point of one and two bytes and beyond.
    #[test]
    fn c1_detection_agrees_with_the_character_definition() {
        let by_chars = |s: &str| s.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c));
        for cp in (0u32..0x1000).chain([0xFFFD, 0x1_F600]) {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            for s in [format!("{c}"), format!("a{c}b"), format!("é{c}\u{A0}")] {
                assert_eq!(has_c1_control(&s), by_chars(&s), "U+{cp:04X} in {s:?}");
            }
        }
    }

    #[test]
    fn byte_counts_cross_chunk_boundaries() {
        for len in [0, 1, 254, 255, 256, 1000, 70_000] {
            let b: Vec<u8> = (0..len).map(|i| [b'\n', b'\r', b'a'][i % 3]).collect();
            let lf = b.iter().filter(|&&c| c == b'\n').count();
            let cr = b.iter().filter(|&&c| c == b'\r').count();
            assert_eq!(count_lf_cr(&b), (lf, cr), "{len} bytes");
        }
    }

    #[test]
    fn line_endings_are_named() {
        assert_eq!(line_endings(b"abc"), "no line breaks");
        assert_eq!(line_endings(b"a\nb\n"), "line endings LF");
        assert_eq!(line_endings(b"a\r\nb\r\n"), "line endings CRLF");
        assert_eq!(line_endings(b"a\rb\r"), "line endings CR");
        assert_eq!(line_endings(b"a\r\nb\n"), "mixed line endings");
        assert_eq!(line_endings(b"a\rb\n"), "mixed line endings");
    }
}
