//! `conlab check-history FILE --model M`: checks a history recorded outside
//! the lab for linearizability.
//!
//! Two formats, told apart by the first non-blank character after the first
//! `{` (`"` for JSON, `:` for EDN), or by the extension `.edn`:
//!
//! - **JSON lines**: one event per line, an object with `type` (`"invoke"`,
//!   `"ok"`, `"fail"`, `"info"`), `process` (an integer; any other value marks
//!   an event to skip, like Jepsen's nemesis), `f` (`"read"`, `"write"`,
//!   `"cas"`, `"enqueue"`, `"dequeue"`, `"add"`), `value` (null, an integer, a
//!   string, or an array of those), and optionally `time` (an integer; if no
//!   event has one, the line order is the time) and `key`. Blank lines are
//!   skipped. Example: `{"type":"invoke","process":0,"f":"write","value":3,"time":10}`.
//! - **Jepsen EDN** (`history.edn`): the same fields as keywords, read by the
//!   library's small EDN reader (`check::linearizability::edn`).
//!
//! The event rules (which completion closes which invoke, what `fail` and
//! `info` mean, `[key value]` pairs for `kv`) are the library's
//! (`check::linearizability::events`). Exit codes: 0 linearizable, 1 not
//! linearizable, 4 unknown (the `--timeout` ran out, or the memo's 1 GiB
//! budget), 2 for a bad file (its line and what is wrong) or bad arguments.

use super::{Format, EXIT_INCONCLUSIVE, EXIT_VIOLATION};
use consensus_lab::check::linearizability::events::{self, Event, ParseError, Type};
use consensus_lab::check::linearizability::models::{Call, Kind, Value};
use consensus_lab::check::linearizability::{edn, html, Budget, History, Options, Verdict};
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// The models `--model` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelArg {
    /// read / write.
    Register,
    /// read / write / cas [old new].
    CasRegister,
    /// read / write / cas on keys ([key value] pairs, or a `key` field).
    Kv,
    /// enqueue / dequeue (a dequeue of nil: the queue was empty).
    Queue,
    /// add / read (a read returns every element, in any order).
    Set,
}

impl ModelArg {
    fn kind(self) -> Kind {
        match self {
            ModelArg::Register => Kind::Register,
            ModelArg::CasRegister => Kind::CasRegister,
            ModelArg::Kv => Kind::Kv,
            ModelArg::Queue => Kind::Queue,
            ModelArg::Set => Kind::Set,
        }
    }
}

/// Arguments of `conlab check-history`.
#[derive(Debug, clap::Args)]
pub struct CheckHistoryArgs {
    /// The history: JSON lines or Jepsen EDN.
    pub file: PathBuf,
    /// The sequential specification to check against.
    #[arg(long, value_enum)]
    pub model: ModelArg,
    /// Check each key on its own, in parallel (keys are independent objects).
    #[arg(long)]
    pub partition_by_key: bool,
    /// Give up with "unknown" after this many seconds.
    #[arg(long, value_parser = parse_seconds)]
    pub timeout: Option<Duration>,
    /// Write a picture of the history and the verdict to this HTML file.
    #[arg(long)]
    pub visualize: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

fn parse_seconds(s: &str) -> Result<Duration, String> {
    let secs: f64 = s.parse().map_err(|_| format!("not a number of seconds: {s}"))?;
    Duration::try_from_secs_f64(secs).map_err(|_| format!("not a duration: {s}"))
}

fn json_value(v: &serde_json::Value) -> Result<Value, String> {
    Ok(match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Str(b.to_string()),
        serde_json::Value::Number(n) => {
            Value::Int(n.as_i64().ok_or_else(|| format!("not an integer: {n}"))?)
        }
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(json_value).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(_) => return Err("an object as a value is not supported".into()),
    })
}

fn json_event(text: &str, line: usize) -> Result<Event, ParseError> {
    let bad = |message: String| ParseError { line, message };
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let obj = v.as_object().ok_or_else(|| bad("expected an object".into()))?;
    let text_field = |k: &str| obj.get(k).and_then(serde_json::Value::as_str);
    let kind = text_field("type").ok_or_else(|| bad("no \"type\" string".into()))?;
    let kind = Type::parse(kind)
        .ok_or_else(|| bad(format!("\"type\": {kind:?} (expected invoke, ok, fail or info)")))?;
    let process = obj.get("process").ok_or_else(|| bad("no \"process\"".into()))?.as_i64();
    let f = match text_field("f") {
        Some(f) => f.to_string(),
        None if process.is_none() => String::new(),
        None => return Err(bad("no \"f\" string".into())),
    };
    let value =
        obj.get("value").map(json_value).transpose().map_err(|e| bad(format!("\"value\": {e}")))?;
    let key =
        obj.get("key").map(json_value).transpose().map_err(|e| bad(format!("\"key\": {e}")))?;
    let time = match obj.get("time") {
        None => None,
        Some(t) => Some(t.as_i64().ok_or_else(|| bad(format!("\"time\" is not an integer: {t}")))?),
    };
    Ok(Event { line, kind, process, f, key, value: value.unwrap_or_default(), time })
}

/// Reads the events of `text` (EDN if `edn`, else JSON lines).
fn read_events(text: &str, is_edn: bool) -> Result<Vec<Event>, ParseError> {
    if is_edn {
        return edn::parse(text);
    }
    let mut events = Vec::new();
    for (k, l) in text.lines().enumerate() {
        if !l.trim().is_empty() {
            events.push(json_event(l, k + 1)?);
        }
    }
    Ok(events)
}

/// Parses a history file's text.
fn parse(
    text: &str,
    edn_name: bool,
    kind: Kind,
    by_key: bool,
) -> Result<History<Call, Value>, ParseError> {
    let after_brace = text.trim_start().strip_prefix('{').map(|r| r.trim_start());
    let is_edn = edn_name || after_brace.is_some_and(|r| r.starts_with(':'));
    events::history(&read_events(text, is_edn)?, kind, by_key)
}

fn describe(o: &consensus_lab::check::linearizability::Operation<Call, Value>) -> String {
    match &o.ret {
        Some((_, r)) => format!("p{} {} → {r}", o.thread, o.op),
        None => format!("p{} {} → ?", o.thread, o.op),
    }
}

/// What the picture shows: for a partition that is not linearizable, only
/// that partition's operations (the others linearize and would drown it).
fn pictured(
    history: &History<Call, Value>,
    verdict: &Verdict<Call, Value>,
) -> Option<(History<Call, Value>, Verdict<Call, Value>)> {
    let Verdict::NotLinearizable(e) = verdict else { return None };
    e.partition.as_ref()?;
    let key = e.stuck.first().or(e.prefix.first())?.op.key.clone();
    let mut new_id = std::collections::HashMap::new();
    let mut sub = History::default();
    for (i, o) in history.ops.iter().enumerate() {
        if o.op.key == key {
            new_id.insert(i, sub.ops.len());
            sub.ops.push(o.clone());
        }
    }
    let remap = |ids: &[usize]| ids.iter().filter_map(|i| new_id.get(i).copied()).collect();
    let mut e = e.clone();
    e.prefix_ids = remap(&e.prefix_ids);
    e.stuck_ids = remap(&e.stuck_ids);
    Some((sub, Verdict::NotLinearizable(e)))
}

pub(super) fn check_history(
    args: &CheckHistoryArgs,
    out: &mut dyn Write,
) -> Result<i32, Box<dyn std::error::Error>> {
    let name = args.file.display();
    let text = std::fs::read_to_string(&args.file).map_err(|e| format!("{name}: {e}"))?;
    let edn_name = args.file.extension().is_some_and(|e| e == "edn");
    let kind = args.model.kind();
    let history =
        parse(&text, edn_name, kind, args.partition_by_key).map_err(|e| format!("{name}: {e}"))?;
    let options = Options {
        budget: Budget { time: args.timeout, ..Budget::default() },
        ..Options::default()
    };
    let verdict = kind.check(&history, args.partition_by_key, &options);
    let crashed = history.ops.iter().filter(|o| o.ret.is_none()).count();
    if let Some(path) = &args.visualize {
        let title = format!("{name} ({:?})", args.model);
        let page = match pictured(&history, &verdict) {
            Some((h, v)) => {
                html::render(&h, &v, &format!("{title}: the failing partition"), &describe)
            }
            None => html::render(&history, &verdict, &title, &describe),
        };
        std::fs::write(path, page).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    match args.format {
        Format::Text => {
            writeln!(
                out,
                "{name}: {} operations ({crashed} never returned), model {:?}",
                history.ops.len(),
                args.model
            )?;
            match &verdict {
                Verdict::NotLinearizable(e) => {
                    let show = |o: &consensus_lab::check::linearizability::Operation<
                        Call,
                        Value,
                    >| describe(o);
                    if let Some(p) = &e.partition {
                        writeln!(out, "partition {p}:")?;
                    }
                    writeln!(out, "NOT LINEARIZABLE: the longest linearizable prefix has {} operations, ending with:", e.prefix.len())?;
                    for o in e.prefix.iter().rev().take(8).rev() {
                        writeln!(out, "    {}", show(o))?;
                    }
                    writeln!(out, "  after which none of these can come next:")?;
                    for o in &e.stuck {
                        writeln!(out, "    {}", show(o))?;
                    }
                    writeln!(out, "{}", e.stats)?;
                }
                v => writeln!(out, "{v}")?,
            }
            if let Some(path) = &args.visualize {
                writeln!(out, "picture: {}", path.display())?;
            }
        }
        Format::Json => {
            let v = serde_json::json!({
                "verdict": verdict.name(),
                "operations": history.ops.len(),
                "crashed": crashed,
                "stats": verdict.stats(),
                "partition": match &verdict {
                    Verdict::NotLinearizable(e) => e.partition.clone(),
                    Verdict::Unknown(u) => u.partition.clone(),
                    Verdict::Linearizable(_) => None,
                },
                "witness": match &verdict { Verdict::Linearizable(w) => Some(&w.order), _ => None },
                "prefix": verdict.violation().map(|e| &e.prefix_ids),
                "stuck": verdict.violation().map(|e| &e.stuck_ids),
                "unknown": match &verdict { Verdict::Unknown(u) => Some(u.reason), _ => None },
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
    }
    Ok(match verdict {
        Verdict::Linearizable(_) => 0,
        Verdict::NotLinearizable(_) => EXIT_VIOLATION,
        Verdict::Unknown(_) => EXIT_INCONCLUSIVE,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::run_cli;
    use consensus_lab::check::linearizability::generate::{generate, Generate};

    fn write(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("conlab-check-history-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// A history as JSON lines.
    fn jsonl(h: &History<Call, Value>) -> String {
        let mut ev: Vec<(u64, String)> = Vec::new();
        let val = |v: &Value| -> serde_json::Value {
            fn go(v: &Value) -> serde_json::Value {
                match v {
                    Value::Nil => serde_json::Value::Null,
                    Value::Int(i) => (*i).into(),
                    Value::Str(s) => s.clone().into(),
                    Value::List(l) => l.iter().map(go).collect(),
                }
            }
            go(v)
        };
        for o in &h.ops {
            let f = format!("{:?}", o.op.f).to_lowercase();
            let mut inv = serde_json::json!({"type": "invoke", "process": o.thread, "f": f, "value": val(&o.op.value), "time": o.call});
            if let Some(k) = &o.op.key {
                inv["key"] = val(k);
            }
            ev.push((2 * o.call + 1, inv.to_string()));
            if let Some((t, r)) = &o.ret {
                let mut ok = inv.clone();
                ok["type"] = "ok".into();
                ok["time"] = (*t).into();
                if !matches!(r, Value::Nil) {
                    ok["value"] = val(r);
                }
                ev.push((2 * t, ok.to_string()));
            }
        }
        ev.sort();
        ev.into_iter().map(|(_, l)| l + "\n").collect()
    }

    #[test]
    fn a_generated_10_process_kv_history_of_10000_operations_checks_in_seconds() {
        let h = generate(&Generate {
            kind: Kind::Kv,
            processes: 10,
            ops: 10_000,
            keys: 20,
            crash_percent: 2,
            seed: 1,
        });
        let p = write("kv.jsonl", &jsonl(&h));
        let start = std::time::Instant::now();
        let (code, out, err) =
            run_cli(&["check-history", p.to_str().unwrap(), "--model", "kv", "--partition-by-key"]);
        assert_eq!(code, 0, "{out}{err}");
        assert!(out.contains("linearizable: a witness order"), "{out}");
        assert!(start.elapsed() < Duration::from_secs(30), "{:?}", start.elapsed());
    }

    #[test]
    fn a_failing_edn_history_exits_1_and_its_picture_shows_the_stuck_operation() {
        let p = write(
            "bad.edn",
            "{:type :invoke, :f :write, :value [:x 1], :process 0, :time 1}\n\
             {:type :ok, :f :write, :value [:x 1], :process 0, :time 2}\n\
             {:type :invoke, :f :read, :value [:x nil], :process 1, :time 3}\n\
             {:type :ok, :f :read, :value [:x 0], :process 1, :time 4}\n\
             {:type :invoke, :f :read, :value [:y nil], :process 2, :time 5}\n\
             {:type :ok, :f :read, :value [:y nil], :process 2, :time 6}\n",
        );
        let html = p.with_extension("html");
        let (code, out, err) = run_cli(&[
            "check-history",
            p.to_str().unwrap(),
            "--model",
            "kv",
            "--partition-by-key",
            "--visualize",
            html.to_str().unwrap(),
        ]);
        assert_eq!(code, EXIT_VIOLATION, "{out}{err}");
        assert!(out.contains("partition key \"x\"") && out.contains("p1 Read[\"x\"] → 0"), "{out}");
        let page = std::fs::read_to_string(&html).unwrap();
        assert_eq!(page.matches(r#"class="op stuck""#).count(), 1, "{page}");
        // Only the failing partition (key x: 2 operations, 2 processes) is drawn.
        assert_eq!(page.matches(r#"<g class="lane">"#).count(), 2, "{page}");
        assert!(page.contains("the failing partition"), "{page}");
        let (code, out, _) =
            run_cli(&["check-history", p.to_str().unwrap(), "--model", "kv", "--format", "json"]);
        assert_eq!(code, EXIT_VIOLATION);
        assert!(out.contains("\"verdict\": \"not-linearizable\""), "{out}");
    }

    #[test]
    fn a_timeout_gives_unknown() {
        // Crashed enqueues of distinct values, then an impossible dequeue.
        let mut text = String::new();
        for p in 0..22 {
            text += &format!(
                "{{\"type\":\"invoke\",\"process\":{p},\"f\":\"enqueue\",\"value\":{p}}}\n"
            );
        }
        text += "{\"type\":\"invoke\",\"process\":99,\"f\":\"dequeue\"}\n{\"type\":\"ok\",\"process\":99,\"f\":\"dequeue\",\"value\":1000}\n";
        let p = write("hard.jsonl", &text);
        let (code, out, err) = run_cli(&[
            "check-history",
            p.to_str().unwrap(),
            "--model",
            "queue",
            "--timeout",
            "0.2",
        ]);
        assert_eq!(code, EXIT_INCONCLUSIVE, "{out}{err}");
        assert!(out.contains("unknown: the time budget ran out"), "{out}");
    }

    #[test]
    fn bad_files_name_the_line_and_exit_2() {
        for (text, what) in [
            ("{\"type\":\"invoke\",\"process\":0,\"f\":\"read\"}\n\n{\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":1.5}\n", "line 3: \"value\": not an integer"),
            ("{\"type\":\"invoke\",\"process\":0,\"f\":\"read\"}\nnot json\n", "line 2: not JSON"),
            ("{\"type\":\"begin\",\"process\":0,\"f\":\"read\"}\n", "line 1: \"type\": \"begin\""),
            ("\n{\"type\":\"ok\",\"f\":\"read\"}\n", "line 2: no \"process\""),
            ("{\"type\":\"ok\",\"process\":0,\"f\":\"read\",\"value\":1}\n", "line 1: a completion of process 0 with no invoke"),
            ("{:type :invoke :f :read :process 0}\n{:type :ok :f :read :process 0 :value [1\n", "line 2: unclosed"),
        ] {
            let p = write("bad-input", text);
            let (code, out, err) = run_cli(&["check-history", p.to_str().unwrap(), "--model", "register"]);
            assert_eq!(code, crate::EXIT_USAGE, "{text}: {out}{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(what), "{text}: {err}");
        }
        let (code, _, err) =
            run_cli(&["check-history", "/nonexistent/file", "--model", "register"]);
        assert_eq!(code, crate::EXIT_USAGE);
        assert!(err.contains("/nonexistent/file"), "{err}");
    }
}
