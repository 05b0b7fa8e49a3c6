//! The page's state in its URL: `?v=1&fd=8&fr=4`, so that a link reproduces what its sender saw.
//!
//! Conventions: one query parameter a control, named by the control's key (see README.md for the
//! list); `v` is the scheme's version; `embed` names a single figure to show alone. Only values that
//! differ from the defaults are written, so links stay short. Parsing never fails: an unknown
//! parameter is ignored, a garbage value keeps the default, an out-of-range value is clamped, and
//! each of these leaves a notice in plain text for the page to show.

use crate::state::{Applied, PageState, StateError};

/// The version of the scheme this build writes and reads.
pub const VERSION: &str = "1";

/// The parameter that asks for one figure alone.
pub const EMBED_KEY: &str = "embed";

/// What a query string says.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// The state, every value valid.
    pub state: PageState,
    /// The figure to show alone, if the link asks for one (not yet checked against the page's ids).
    pub embed: Option<String>,
    /// What was changed or ignored, one sentence each, as plain text.
    pub notices: Vec<String>,
}

/// The query string (without `?`) that reproduces `state`, with `embed` if given.
pub fn to_query(state: &PageState, embed: Option<&str>) -> String {
    let defaults = PageState::default();
    let mut parts = vec![format!("v={VERSION}")];
    if let Some(figure) = embed {
        parts.push(format!("{EMBED_KEY}={}", encode(figure)));
    }
    for key in state.keys() {
        if let Some(value) = state.get(key) {
            if defaults.get(key).as_deref() != Some(value.as_str()) {
                parts.push(format!("{key}={}", encode(&value)));
            }
        }
    }
    parts.join("&")
}

/// Reads a query string (with or without its leading `?`). Never panics, whatever the text.
pub fn parse(query: &str) -> Parsed {
    let mut state = PageState::default();
    let mut embed = None;
    let mut notices = Vec::new();
    let query = query.strip_prefix('?').unwrap_or(query);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (raw_key, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(raw_key);
        let value = decode(raw_value);
        match key.as_str() {
            "" => {}
            "v" => {
                if value != VERSION {
                    notices.push(format!(
                        "This link was made for version “{}” of the page's settings; they were read as version {VERSION}.",
                        shorten(&value)
                    ));
                }
            }
            EMBED_KEY => embed = Some(value),
            _ => match state.set(&key, &value) {
                Ok(Applied::AsGiven) => {}
                Ok(Applied::Clamped { used }) => notices.push(format!(
                    "{key} = “{}” is out of range; {used} was used instead.",
                    shorten(&value)
                )),
                Err(StateError::UnknownKey(_)) => notices.push(format!(
                    "The link's setting “{}” is not one this page knows; it was ignored.",
                    shorten(&key)
                )),
                Err(StateError::Unparsable { .. }) => notices.push(format!(
                    "{} = “{}” is not a valid value; the default was kept.",
                    shorten(&key),
                    shorten(&value)
                )),
            },
        }
    }
    Parsed {
        state,
        embed,
        notices,
    }
}

/// At most 40 characters of text from a link, for a notice.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        short.push('…');
    }
    short
}

/// Percent-encodes everything but unreserved characters.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Decodes percent escapes and `+` as a space; malformed escapes stay as they are, and invalid
/// UTF-8 becomes U+FFFD.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut idx = 0;
    while idx < bytes.len() {
        match bytes[idx] {
            b'+' => out.push(b' '),
            b'%' if idx + 2 < bytes.len()
                && bytes[idx + 1].is_ascii_hexdigit()
                && bytes[idx + 2].is_ascii_hexdigit() =>
            {
                out.push(hex_value(bytes[idx + 1]) * 16 + hex_value(bytes[idx + 2]));
                idx += 2;
            }
            byte => out.push(byte),
        }
        idx += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of an ASCII hex digit (0 for anything else, which callers rule out).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}
