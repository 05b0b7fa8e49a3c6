//! The chapter registry against the pages: every chapter has its page, every page is a chapter, and
//! each page shows exactly the navigation the registry writes.

use std::fs;
use std::path::Path;

use lora_explorer::chapters::Chapter;

fn page(chapter: Chapter) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(chapter.source());
    fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The markup of the `<nav class="…">` element in `html`, from its opening tag to its end.
fn nav<'a>(html: &'a str, class: &str) -> Option<&'a str> {
    let start = html.find(&format!("<nav class=\"{class}\""))?;
    let end = start + html[start..].find("</nav>")? + "</nav>".len();
    Some(&html[start..end])
}

/// Compares ignoring each line's indentation, so the markup may sit at any depth.
fn same_markup(a: &str, b: &str) -> bool {
    a.lines().map(str::trim).eq(b.lines().map(str::trim))
}

#[test]
fn every_chapter_page_shows_the_registrys_navigation() {
    for chapter in Chapter::ALL {
        let html = page(chapter);
        for (class, expected) in [
            ("chapters", chapter.contents_html()),
            ("chapter-steps", chapter.steps_html()),
        ] {
            let found = nav(&html, class);
            assert!(
                found.is_some_and(|found| same_markup(found, &expected)),
                "{}: its <nav class=\"{class}\"> must read exactly\n{expected}\nbut reads\n{}",
                chapter.source(),
                found.unwrap_or("(missing)")
            );
        }
    }
}

#[test]
fn every_page_folder_is_a_chapter() {
    let www = Path::new(env!("CARGO_MANIFEST_DIR")).join("www");
    for entry in fs::read_dir(&www).unwrap() {
        let path = entry.unwrap().path();
        if path.join("index.html").exists() {
            let slug = path.file_name().unwrap().to_str().unwrap();
            assert!(
                Chapter::ALL.iter().any(|c| c.slug() == slug),
                "www/{slug}/index.html is built as a page but no Chapter has the slug {slug}"
            );
        }
    }
}

#[test]
fn each_chapter_loads_only_its_own_binary() {
    let mut bins: Vec<String> = Vec::new();
    for chapter in Chapter::ALL {
        let html = page(chapter);
        let main_bins: Vec<&str> = html
            .match_indices("data-type=\"main\"")
            .filter_map(|(at, _)| {
                let tag_start = html[..at].rfind('<')?;
                let tag = &html[tag_start..at];
                let bin = tag.split("data-bin=\"").nth(1)?;
                bin.split('"').next()
            })
            .collect();
        assert_eq!(main_bins.len(), 1, "{}: one main binary", chapter.source());
        assert!(
            !bins.iter().any(|b| b == main_bins[0]),
            "{}: its binary {} is another chapter's",
            chapter.source(),
            main_bins[0]
        );
        bins.push(main_bins[0].to_string());
    }
}

#[test]
fn links_between_chapters_are_relative_and_reach_each_page() {
    for from in Chapter::ALL {
        for to in Chapter::ALL {
            let link = from.link_to(to);
            assert!(!link.starts_with('/') && !link.contains("://"), "{link}");
            // Resolving the link against the page's folder lands in the target's folder.
            let mut folder: Vec<&str> = from.slug().split('/').filter(|s| !s.is_empty()).collect();
            for part in link.split('/').filter(|s| !s.is_empty() && *s != ".") {
                if part == ".." {
                    folder.pop();
                } else {
                    folder.push(part);
                }
            }
            assert_eq!(folder.join("/"), to.slug(), "{from:?} → {to:?} by {link}");
        }
    }
}

#[test]
fn chapters_are_numbered_in_order_with_neighbours() {
    for (i, chapter) in Chapter::ALL.into_iter().enumerate() {
        assert_eq!(chapter.number(), i + 1);
        assert_eq!(
            chapter.previous(),
            i.checked_sub(1).map(|j| Chapter::ALL[j])
        );
        assert_eq!(chapter.next(), Chapter::ALL.get(i + 1).copied());
    }
}
