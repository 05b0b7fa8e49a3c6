//! The course's chapters: the one list of them, and the navigation every chapter page shows.
//!
//! Each chapter is a page of its own with its own WebAssembly, so a reader downloads only the
//! chapter they read. Chapter 1 lives at the site's root (its links from before there were chapters
//! keep working); every other chapter lives in a folder named by its slug, `www/<slug>/index.html`.
//! Every link between chapters is relative, so the site works under any sub-path.

/// A chapter of the course, in reading order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chapter {
    /// Chapter 1: the notebook's parts, live.
    Understanding,
    /// Chapter 2: full fine-tuning and LoRA trained side by side, live.
    Learn,
    /// Chapter 3: 4-bit base weights, quantised live, and what an adapter absorbs.
    Qlora,
    /// Chapter 4: the calculator, LoRA's cost on a real model.
    Calculator,
}

impl Chapter {
    /// Every chapter, in reading order.
    pub const ALL: [Chapter; 4] = [
        Chapter::Understanding,
        Chapter::Learn,
        Chapter::Qlora,
        Chapter::Calculator,
    ];

    /// The chapter's number, from 1.
    pub fn number(self) -> usize {
        Self::ALL
            .iter()
            .position(|c| *c == self)
            .map_or(0, |i| i + 1)
    }

    /// The chapter's title, as its heading and the navigation write it.
    pub fn title(self) -> &'static str {
        match self {
            Chapter::Understanding => "Understanding LoRA",
            Chapter::Learn => "Watch LoRA learn",
            Chapter::Qlora => "QLoRA",
            Chapter::Calculator => "Your model, your adapter",
        }
    }

    /// The folder the chapter lives in, relative to the site's root; empty for the root itself.
    pub fn slug(self) -> &'static str {
        match self {
            Chapter::Understanding => "",
            Chapter::Learn => "learn",
            Chapter::Qlora => "qlora",
            Chapter::Calculator => "calculator",
        }
    }

    /// The path of the chapter's page source, relative to the repository's root.
    pub fn source(self) -> String {
        match self.slug() {
            "" => "www/index.html".to_string(),
            slug => format!("www/{slug}/index.html"),
        }
    }

    /// The relative link from this chapter's page to `target`'s.
    pub fn link_to(self, target: Chapter) -> String {
        if target == self {
            return "./".to_string();
        }
        let up = if self.slug().is_empty() { "" } else { "../" };
        match target.slug() {
            "" if up.is_empty() => "./".to_string(),
            "" => up.to_string(),
            slug => format!("{up}{slug}/"),
        }
    }

    /// The chapter before this one, if any.
    pub fn previous(self) -> Option<Chapter> {
        Self::ALL.get(self.number().checked_sub(2)?).copied()
    }

    /// The chapter after this one, if any.
    pub fn next(self) -> Option<Chapter> {
        Self::ALL.get(self.number()).copied()
    }

    /// The chapter list a page shows at its top: every chapter, this one marked as the current page.
    pub fn contents_html(self) -> String {
        let mut html = String::from("<nav class=\"chapters\" aria-label=\"Chapters\">\n  <ol>\n");
        for chapter in Self::ALL {
            let current = if chapter == self {
                " aria-current=\"page\""
            } else {
                ""
            };
            html += &format!(
                "    <li><a href=\"{}\"{current}>{}</a></li>\n",
                self.link_to(chapter),
                chapter.title()
            );
        }
        html + "  </ol>\n</nav>"
    }

    /// The previous and next links a page shows at its end (an empty navigation for a course of one
    /// chapter).
    pub fn steps_html(self) -> String {
        let mut html = String::from(
            "<nav class=\"chapter-steps\" aria-label=\"Previous and next chapter\">\n",
        );
        if let Some(previous) = self.previous() {
            html += &format!(
                "  <a rel=\"prev\" href=\"{}\">Previous: {}. {}</a>\n",
                self.link_to(previous),
                previous.number(),
                previous.title()
            );
        }
        if let Some(next) = self.next() {
            html += &format!(
                "  <a rel=\"next\" href=\"{}\">Next: {}. {}</a>\n",
                self.link_to(next),
                next.number(),
                next.title()
            );
        }
        html + "</nav>"
    }
}
