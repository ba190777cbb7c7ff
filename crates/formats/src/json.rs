//! JSON (RFC 8259), whole input, UTF-8, bounded nesting.

use serde::de::IgnoredAny;

use crate::error::{corrupt, limit, truncated};
use crate::identify::UTF8_BOM;
use crate::limits::MAX_JSON_DEPTH;
use crate::{Format, FormatError, Identification};

const F: Format = Format::Json;

/// Parses the whole input with serde_json without building a value.
pub(crate) fn validate(b: &[u8]) -> Result<Identification, FormatError> {
    let bom = b.starts_with(UTF8_BOM);
    let base = if bom { UTF8_BOM.len() } else { 0 };
    let s = &crate::text::utf8(b, F)?[base..];
    check_depth(b)?;
    serde_json::from_str::<IgnoredAny>(s).map_err(|e| parse_error(s, &e, base))?;
    let mut id = Identification::new(
        F,
        "fmt/817",
        "application/json",
        "JSON Data Interchange Format",
    );
    let top = s.trim_start().starts_with('{');
    id.notes.push(format!(
        "top-level value is an {}",
        if top { "object" } else { "array" }
    ));
    if bom {
        id.notes
            .push("starts with a UTF-8 byte order mark, which RFC 8259 lets parsers ignore".into());
    }
    Ok(id)
}

/// Refuses nesting deeper than [`MAX_JSON_DEPTH`] before serde_json recurses.
fn check_depth(b: &[u8]) -> Result<(), FormatError> {
    let (mut depth, mut in_str, mut esc) = (0usize, false, false);
    for (i, &c) in b.iter().enumerate() {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(limit(
                        F,
                        format!("nesting deeper than {MAX_JSON_DEPTH} levels at byte offset {i}"),
                    ));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn parse_error(s: &str, e: &serde_json::Error, base: usize) -> FormatError {
    let (line, col) = (e.line(), e.column());
    let detail = format!("line {line}, column {col}: {e}");
    if e.is_eof() {
        return truncated(F, detail);
    }
    corrupt(F, base + offset_of(s, line, col), detail)
}

/// Byte offset of a 1-based line and (byte) column as serde_json reports them.
fn offset_of(s: &str, line: usize, col: usize) -> usize {
    let start: usize = s
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + col.saturating_sub(1)).min(s.len())
}
