//! The page's state in its URL: `?v=1&fd=8&fr=4`, so that a link reproduces what its sender saw.
//!
//! Conventions: one query parameter a control, named by the control's key (see README.md for the
//! list); `v` is the scheme's version; `embed` names a single figure to show alone. Only values that
//! differ from the defaults are written, so links stay short. Parsing never fails: an unknown
//! parameter is ignored, a garbage value keeps the default, an out-of-range value is clamped, and
//! each of these leaves a notice in plain text for the page to show, summed up when there are many
//! so that it stays a few sentences long.

use crate::format::thousands;
use crate::state::{Applied, ChapterState, PageState};

/// The version of the scheme this build writes and reads.
pub const VERSION: &str = "1";

/// The parameter that asks for one figure alone.
pub const EMBED_KEY: &str = "embed";

/// What a query string says.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed<S = PageState> {
    /// The state, every value valid.
    pub state: S,
    /// The figure to show alone, if the link asks for one (not yet checked against the page's ids).
    pub embed: Option<String>,
    /// What was changed or ignored, one sentence each, as plain text.
    pub notices: Vec<String>,
}

/// The query string (without `?`) that reproduces `state`, with `embed` if given.
pub fn to_query<S: ChapterState>(state: &S, embed: Option<&str>) -> String {
    let defaults = S::default();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("v", VERSION);
    if let Some(figure) = embed {
        query.append_pair(EMBED_KEY, figure);
    }
    for key in state.keys() {
        if let Some(value) = state.get(key) {
            if defaults.get(key).as_deref() != Some(value.as_str()) {
                query.append_pair(key, &value);
            }
        }
    }
    query.finish()
}

/// Reads a query string (with or without its leading `?`). Never panics, whatever the text.
///
/// The values are applied first, in page order (a control's range depends only on controls before
/// it, as the rank's on d and k), so the state does not depend on the order of the parameters.
/// Then each value the link gave is compared with the value in the final state, and any difference
/// is a notice naming the key, what was given and what was used.
pub fn parse(query: &str) -> Parsed {
    parse_chapter(query)
}

/// Reads a query string into chapter state `S`, as [`parse`] does for chapter 1.
pub fn parse_chapter<S: ChapterState>(query: &str) -> Parsed<S> {
    let query = query.strip_prefix('?').unwrap_or(query);
    // Each parameter's last value and how many times it was given, in name order. A vector, not a
    // map: the page's WebAssembly is smaller without a map's code, and links are short.
    let mut given: Vec<(String, (String, usize))> = Vec::new();
    // Percent escapes and `+` are decoded; malformed escapes stay as they are, and invalid UTF-8
    // becomes U+FFFD.
    for (key, value) in form_urlencoded::parse(query.as_bytes()) {
        if key.is_empty() {
            continue;
        }
        match given.iter_mut().find(|(known, _)| *known == key) {
            Some((_, entry)) => *entry = (value.into_owned(), entry.1 + 1),
            None => given.push((key.into_owned(), (value.into_owned(), 1))),
        }
    }
    given.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let lookup = |key: &str| {
        given
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, entry)| entry)
    };
    let mut state = S::default();
    let keys = state.keys();
    for key in &keys {
        if let Some((value, _)) = lookup(key) {
            // What became of the value is judged below, against the final state.
            let _ = state.set(key, value);
        }
    }
    let mut notices = Vec::new();
    if let Some((version, _)) = lookup("v").filter(|(v, _)| v != VERSION) {
        notices.push(format!(
            "This link was made for version “{}” of the page's settings; they were read as version {VERSION}.",
            shorten(version)
        ));
    }
    let defaults = S::default();
    let (mut clamped, mut invalid) = (Vec::new(), Vec::new());
    for key in &keys {
        let Some((value, _)) = lookup(key) else {
            continue;
        };
        let used = state.get(key).unwrap_or_default();
        let mut probe = state.clone();
        match probe.set(key, value) {
            Ok(Applied::AsGiven) if probe == state => {}
            Ok(_) => clamped.push((
                key.to_string(),
                format!(
                    "{key} = “{}” is out of range; {used} was used instead.",
                    shorten(value)
                ),
            )),
            Err(_) => invalid.push((
                key.to_string(),
                format!(
                    "{key} = “{}” is not a valid value; the default, {}, was kept.",
                    shorten(value),
                    defaults.get(key).unwrap_or_default()
                ),
            )),
        }
    }
    summarise(
        &mut notices,
        clamped,
        "were out of range; the nearest allowed values were used.",
    );
    summarise(
        &mut notices,
        invalid,
        "had values that are not valid; their defaults were kept.",
    );
    let is_known = |key: &str| key == "v" || key == EMBED_KEY || keys.contains(&key);
    let unknown: Vec<String> = given
        .iter()
        .map(|(key, _)| key)
        .filter(|key| !is_known(key))
        .map(|key| format!("“{}”", shorten(key)))
        .collect();
    match unknown.as_slice() {
        [] => {}
        [name] => notices.push(format!(
            "The link's setting {name} is not one this page knows; it was ignored."
        )),
        _ => notices.push(format!(
            "The link's settings {} are not ones this page knows; they were ignored.",
            name_list(&unknown)
        )),
    }
    let repeated: Vec<(&String, &(String, usize))> = given
        .iter()
        .filter(|(key, (_, count))| *count > 1 && is_known(key))
        .map(|(key, entry)| (key, entry))
        .collect();
    match repeated.as_slice() {
        [] => {}
        [(key, (value, count))] => notices.push(format!(
            "{key} was given {} times; only the last value, “{}”, was read.",
            thousands(*count as u64),
            shorten(value)
        )),
        _ => {
            let names: Vec<String> = repeated.iter().map(|(key, _)| key.to_string()).collect();
            notices.push(format!(
                "{} were each given more than once; only the last value of each was read.",
                name_list(&names)
            ));
        }
    }
    Parsed {
        embed: lookup(EMBED_KEY).map(|(figure, _)| figure.clone()),
        state,
        notices,
    }
}

/// How many values of one kind (out of range, or not valid) get a sentence each; past that, one
/// sentence names the first few and counts the rest. With one sentence for the version, one for
/// unknown names and one for repeated names, a notice has at most 9 sentences, whatever the link.
const LISTED: usize = 3;

/// Adds a sentence for each of `problems` (key, sentence), or, when there are more than
/// [`LISTED`], one sentence naming the first keys and counting the rest, then `summary`.
fn summarise(notices: &mut Vec<String>, problems: Vec<(String, String)>, summary: &str) {
    if problems.len() <= LISTED {
        notices.extend(problems.into_iter().map(|(_, sentence)| sentence));
    } else {
        let keys: Vec<String> = problems.into_iter().map(|(key, _)| key).collect();
        notices.push(format!("{} {summary}", name_list(&keys)));
    }
}

/// Names as prose, the first [`LISTED`] and a count of the rest: "a and b", "a, b, c and 9 others".
fn name_list(names: &[String]) -> String {
    let shown = names.len().min(LISTED);
    let mut parts = names[..shown].to_vec();
    let rest = names.len() - shown;
    if rest > 0 {
        let noun = if rest == 1 { "other" } else { "others" };
        parts.push(format!("{} {noun}", thousands(rest as u64)));
    }
    match parts.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, first)) => format!("{} and {last}", first.join(", ")),
        None => String::new(),
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

/// The iframe code that embeds the figure at `src` (an address whose query [`to_query`] wrote),
/// titled after the figure's `title` and `height` CSS pixels tall, its attribute values escaped.
pub fn iframe_snippet(src: &str, title: &str, height: i32) -> String {
    use html_escape::encode_double_quoted_attribute as escape;
    format!(
        "<iframe src=\"{}\" title=\"LoRA Explorer: {}\" width=\"100%\" height=\"{height}\" \
         style=\"border: 0;\" loading=\"lazy\"></iframe>",
        escape(src),
        escape(title)
    )
}
