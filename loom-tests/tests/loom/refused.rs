//! The trial every exercise with a rule to plug in has for each wrong rule
//! its check must refuse: the rule's verdict must be a failure that prints
//! the protocol's steps (the trace of the counterexample).

use consensus_lab::check::verify::Verdict;
use libtest_mimic::{Failed, Trial};

/// The trial `{exercise}/{name}/counterexample`: `verify(name, rule)` (the
/// exercise's check, `verify_zab_recovery` say) must refuse the wrong rule
/// `rule` with a trace.
pub(crate) fn refused<R>(
    exercise: &str,
    verify: fn(&str, R) -> Verdict,
    name: &'static str,
    rule: R,
) -> Trial
where
    R: Send + 'static,
{
    Trial::test(format!("{exercise}/{name}/counterexample"), move || {
        let v = verify(name, rule);
        println!("{v}");
        match v.failure() {
            Some(_) if v.to_string().contains("the protocol's steps") => Ok(()),
            Some(_) => Err(Failed::from(format!("refused, but without a trace:\n{v}"))),
            None => Err(Failed::from(format!("the wrong rule {name} passed:\n{v}"))),
        }
    })
}
