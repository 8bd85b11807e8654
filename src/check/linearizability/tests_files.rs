//! Reading history files: Jepsen's EDN, the event rules, bad input.

use super::edn;
use super::events::{history, Type};
use super::models::{Kind, Value, F};
use super::Verdict;

const CAS: &str = r#"
; a Jepsen cas-register history
{:type :invoke, :f :write, :value 1, :process 0, :time 10, :index 0}
{:type :ok,     :f :write, :value 1, :process 0, :time 20, :index 1}
{:type :invoke, :f :cas, :value [1 2], :process 1, :time 30}
{:type :info, :f :start, :value nil, :process :nemesis, :time 31}
{:type :invoke, :f :read, :value nil, :process 2, :time 40}
{:type :info,   :f :cas, :value [1 2], :process 1, :time 45}
{:type :ok,     :f :read, :value 2, :process 2, :time 50}
{:type :invoke, :f :cas, :value [5 6], :process 0, :time 60}
{:type :fail,   :f :cas, :value [5 6], :process 0, :time 70}
{:type :invoke, :f :read, :value nil, :process 3, :time 80}
"#;

#[test]
fn a_jepsen_history_is_read_and_checked() {
    let events = edn::parse(CAS).unwrap();
    assert_eq!(events.len(), 10);
    assert_eq!(events[0].line, 3);
    assert_eq!(events[3].process, None, "the nemesis");
    let h = history(&events, Kind::CasRegister, false).unwrap();
    // The failed cas is dropped; the crashed cas and the last read are open.
    assert_eq!(h.ops.len(), 4);
    assert_eq!(h.ops[1].op.f, F::Cas);
    assert!(h.ops[1].ret.is_none() && h.ops[3].ret.is_none());
    assert_eq!(h.ops[2].ret, Some((50, Value::Int(2))));
    // The read of 2 needs the crashed cas to have taken effect.
    let v = Kind::CasRegister.check(&h, false, &Default::default());
    let Verdict::Linearizable(w) = v else { panic!("{v}") };
    assert_eq!(w.order, vec![0, 1, 2]);
}

#[test]
fn edn_forms_of_the_subset() {
    let events = edn::parse(
        "[#jepsen.history.Op{:type :ok, :f :read, :value #{1 -2 \"a\\\"b\"}, :process 0, #_ :ignored :time 3}]",
    )
    .unwrap();
    assert_eq!(events[0].kind, Type::Ok);
    assert_eq!(
        events[0].value,
        Value::List(vec![Value::Int(1), Value::Int(-2), Value::Str("a\"b".into())])
    );
    assert_eq!(events[0].time, Some(3));
}

#[test]
fn bad_edn_says_which_line_and_what() {
    let deep = "[".repeat(100_000);
    let discards = "#_".repeat(100_000);
    for (text, line, what) in [
        (deep.as_str(), 1, "nested deeper than 64"),
        (discards.as_str(), 1, "nested deeper than 64"),
        ("{:type :invoke :f :read :process 0}\n{:type :ok :f :read", 2, "unclosed"),
        ("\n\n{:type :launch :f :read :process 0}", 3, ":type :launch"),
        ("{:type :ok :f :read :value 1.5 :process 0}", 1, "floats"),
        ("{:type :ok :f :read :process 0 :value}", 1, "odd number"),
        ("{:f :read :process 0}", 1, "no :type"),
        ("{:type :ok :f :read :value #inst \"2020\" :process 0}", 1, "#inst"),
        ("{:type :ok :value 1 :process 0}\n)", 1, "no :f"),
        ("\n)", 2, "unexpected ')'"),
        ("{:type :ok :f :read}", 1, "no :process"),
    ] {
        let e = edn::parse(text).unwrap_err();
        assert_eq!(e.line, line, "{text}: {e}");
        assert!(e.to_string().contains(what), "{text}: {e}");
    }
}

#[test]
fn events_that_break_the_rules_say_which_line() {
    let check = |text: &str, kind| {
        let events = edn::parse(text).unwrap();
        history(&events, kind, false).unwrap_err()
    };
    let e = check("{:type :ok :f :read :value 1 :process 0}", Kind::Register);
    assert!(e.to_string().starts_with("line 1: a completion of process 0 with no invoke"), "{e}");
    let e = check(
        "{:type :invoke :f :read :process 0}\n{:type :invoke :f :read :process 0}",
        Kind::Register,
    );
    assert!(
        e.to_string().contains("line 2: process 0 invoked again")
            && e.to_string().contains("line 1"),
        "{e}"
    );
    let e = check("{:type :invoke :f :dequeue :process 0}", Kind::Register);
    assert!(e.to_string().contains("not an operation of this model"), "{e}");
    let e = check("{:type :invoke :f :frob :process 0}", Kind::Register);
    assert!(e.to_string().contains("unknown function"), "{e}");
    let e = check("{:type :invoke :f :read :value 3 :process 0}", Kind::Kv);
    assert!(e.to_string().contains("[key value]"), "{e}");
    let e = check("{:type :invoke :f :cas :value 3 :process 0}", Kind::CasRegister);
    assert!(e.to_string().contains("[old new]"), "{e}");
    let e = check(
        "{:type :invoke :f :read :process 0 :time 5}\n{:type :ok :f :read :process 0}",
        Kind::Register,
    );
    assert!(e.to_string().contains("line 2: no time"), "{e}");
    let e = check(
        "{:type :invoke :f :read :process 0 :time 5}\n{:type :ok :f :read :process 0 :time 4}",
        Kind::Register,
    );
    assert!(e.to_string().contains("before its invoke"), "{e}");
}

#[test]
fn kv_values_are_key_value_pairs_and_positions_are_times() {
    let text = "{:type :invoke :f :write :value [:x 1] :process 0}\n\
                {:type :ok :f :write :value [:x 1] :process 0}\n\
                {:type :invoke :f :read :value [:x nil] :process 1}\n\
                {:type :ok :f :read :value [:x 1] :process 1}\n";
    let h = history(&edn::parse(text).unwrap(), Kind::Kv, false).unwrap();
    assert_eq!(h.ops[0].op.key, Some(Value::Str("x".into())));
    assert_eq!((h.ops[1].call, h.ops[1].ret.clone()), (2, Some((3, Value::Int(1)))));
    assert!(Kind::Kv.check(&h, true, &Default::default()).is_linearizable());
}
