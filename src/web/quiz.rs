//! The quick check: each question's button checks the chosen answer and reveals the explanation.
//!
//! Markup: a `fieldset.quiz-question` with `data-correct` naming the right option's value, radio
//! inputs, a `button.quiz-check`, a `.quiz-feedback` and a hidden `.quiz-explanation`.

use wasm_bindgen::prelude::*;
use web_sys::{Document, Element, HtmlElement, HtmlInputElement};

use super::dom::listen;

/// Binds every question's button in `doc`.
pub fn bind(doc: &Document) -> Result<(), JsValue> {
    let questions = doc.query_selector_all("fieldset.quiz-question")?;
    for idx in 0..questions.length() {
        let Some(question) = questions
            .get(idx)
            .and_then(|n| n.dyn_into::<Element>().ok())
        else {
            continue;
        };
        let Some(button) = question.query_selector("button.quiz-check")? else {
            continue;
        };
        listen(&button, "click", move |_| {
            if let Err(err) = check(&question) {
                super::dom::show_error(&format!(
                    "The quiz could not check the answer: {}",
                    super::dom::describe(&err)
                ));
            }
        })?;
    }
    Ok(())
}

/// Says whether the chosen answer is right and reveals the explanation.
fn check(question: &Element) -> Result<(), JsValue> {
    let correct = question.get_attribute("data-correct").unwrap_or_default();
    let chosen = question
        .query_selector("input[type=radio]:checked")?
        .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
        .map(|input| input.value());
    let feedback = question.query_selector(".quiz-feedback")?;
    let explanation = question
        .query_selector(".quiz-explanation")?
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    let answered = chosen.is_some();
    let (text, class) = match chosen {
        None => ("Choose an answer first.", "quiz-feedback"),
        Some(value) if value == correct => ("Right.", "quiz-feedback quiz-right"),
        Some(_) => ("Not quite: see why below.", "quiz-feedback quiz-wrong"),
    };
    if let Some(feedback) = feedback {
        feedback.set_text_content(Some(text));
        feedback.set_class_name(class);
    }
    if let (Some(explanation), true) = (explanation, answered) {
        explanation.set_hidden(false);
    }
    Ok(())
}
