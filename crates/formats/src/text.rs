//! Plain text in UTF-8.

use crate::error::corrupt;
use crate::identify::{is_forbidden_control, UTF8_BOM};
use crate::{Format, FormatError, Identification};

const F: Format = Format::Utf8Text;

/// Checks the whole input is UTF-8 and free of C0 controls other than TAB, LF, FF, CR.
pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let s = utf8(b, F)?;
    if let Some(pos) = b.iter().position(|&c| is_forbidden_control(c)) {
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
    if s.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c)) {
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

fn line_endings(b: &[u8]) -> &'static str {
    let crlf = b.windows(2).filter(|w| w == b"\r\n").count();
    let lf = b.iter().filter(|&&c| c == b'\n').count();
    let cr = b.iter().filter(|&&c| c == b'\r').count();
    match (lf - crlf, crlf, cr - crlf) {
        (0, 0, 0) => "no line breaks",
        (_, 0, 0) => "line endings LF",
        (0, _, 0) => "line endings CRLF",
        (0, 0, _) => "line endings CR",
        _ => "mixed line endings",
    }
}
