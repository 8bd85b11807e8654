//! Panic payloads, read once: the text of a payload and whether it is a
//! `todo!()` / `unimplemented!()`. The loom harness, [`verify`](super::verify),
//! the loom suite and the exercises' panic hook all read panics through these
//! two functions.

use std::any::Any;

/// The text of a panic payload: `panic!("...")` with arguments carries a
/// `String`, a literal message a `&'static str`; any other payload
/// (`panic_any`, such as the loom harness's own signal of a violated property)
/// has none.
pub fn text(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
}

/// The text of a panic payload, or "a panic without a message".
pub fn message(payload: &(dyn Any + Send)) -> String {
    text(payload).unwrap_or("a panic without a message").to_string()
}

/// Whether a panic message is that of `todo!()` or `unimplemented!()` (with or
/// without a message of the caller's: "not yet implemented: decide_id").
pub fn is_todo(message: &str) -> bool {
    message.starts_with("not yet implemented") || message.starts_with("not implemented")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(f: impl FnOnce() + std::panic::UnwindSafe) -> Box<dyn Any + Send> {
        std::panic::catch_unwind(f).expect_err("it panics")
    }

    #[test]
    fn messages_and_todos_are_read_from_every_payload() {
        let todo = payload(|| todo!("decide_id"));
        assert_eq!(message(todo.as_ref()), "not yet implemented: decide_id");
        assert!(is_todo(&message(todo.as_ref())));
        let literal = payload(|| panic!("boom"));
        assert_eq!(text(literal.as_ref()), Some("boom"));
        assert!(!is_todo("boom"));
        assert!(is_todo(&message(payload(|| unimplemented!()).as_ref())));
        let other = payload(|| std::panic::panic_any(7_u8));
        assert_eq!(text(other.as_ref()), None);
        assert_eq!(message(other.as_ref()), "a panic without a message");
    }
}
