//! Splits Cedar policy text into one piece per policy, only to name the
//! policy a syntax error is in (Cedar's own message carries no position we
//! can read without its diagnostic machinery). Cedar's parser stays the
//! judge of what the text means.

/// One policy's text and where it starts.
pub(crate) struct Piece<'a> {
    /// 1-based line of the first character that is neither blank nor comment.
    pub(crate) line: usize,
    /// The text, up to and including its `;` (or the end of input).
    pub(crate) text: &'a str,
}

/// Cuts at each `;` outside strings and `//` comments; drops pieces that
/// hold only blanks and comments.
pub(crate) fn pieces(src: &str) -> Vec<Piece<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut line) = (0usize, 1usize);
    let mut first_line: Option<usize> = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\n' => line += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                first_line.get_or_insert(line);
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    match b[i] {
                        b'\\' => i += 1,
                        b'\n' => line += 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            b';' => {
                out.push(Piece {
                    line: first_line.unwrap_or(line),
                    text: &src[start..=i],
                });
                start = i + 1;
                first_line = None;
            }
            c if !c.is_ascii_whitespace() => {
                first_line.get_or_insert(line);
            }
            _ => {}
        }
        i += 1;
    }
    if let Some(l) = first_line {
        out.push(Piece {
            line: l,
            text: src.get(start..).unwrap_or(""),
        });
    }
    out
}

/// The value of an `@id("…")` annotation in a policy's text, if it reads
/// simply (no escapes).
pub(crate) fn annotated_id(text: &str) -> Option<&str> {
    let at = text.find("@id")?;
    let rest = text[at + 3..].trim_start().strip_prefix('(')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let id = &rest[..end];
    (!id.contains('\\')).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_outside_strings_and_comments() {
        let src = "// a; comment\n@id(\"a\")\npermit(principal, action, resource) when { context.x == \"; \\\" ;\" };\n\n  @id( \"b\" ) forbid(principal, action, resource);\n// trailing; comment\n";
        let p = pieces(src);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].line, 2);
        assert_eq!(annotated_id(p[0].text), Some("a"));
        assert_eq!(p[1].line, 5);
        assert_eq!(annotated_id(p[1].text), Some("b"));
    }

    #[test]
    fn keeps_an_unterminated_tail() {
        let p = pieces("permit(principal, action, resource);\n@id(\"x\") permit(");
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].line, 2);
        assert_eq!(annotated_id(p[1].text), Some("x"));
    }
}
