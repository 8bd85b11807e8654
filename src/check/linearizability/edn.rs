//! A small hand-written reader for the subset of EDN that Jepsen's
//! `history.edn` uses: a sequence of maps (one per line, or wrapped in one
//! vector), each an event `{:type :invoke, :f :read, :value nil, :process 0,
//! :time 12}`.
//!
//! Read: maps, vectors, lists, sets (`#{}`), keywords, symbols, strings (with
//! `\"`, `\\`, `\n`, `\t` escapes), integers, `nil`, `true` / `false`,
//! commas as whitespace, `;` comments, `#_` discards, and a tag before a map
//! (`#jepsen.history.Op{…}`) is skipped. Not read: floats, ratios,
//! characters, `#inst` and other tagged scalars: the reader says which line
//! has one. Keywords, symbols and booleans become strings (`:a` is `"a"`);
//! a map is allowed as an event, not as a value.

use super::events::{Event, ParseError, Type};
use super::models::Value;

/// An EDN value, as read.
#[derive(Clone, Debug, PartialEq)]
enum Edn {
    Nil,
    Int(i64),
    Text(String),
    Seq(Vec<Edn>),
    Map(Vec<(Edn, Edn)>),
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
    /// Collections open around the current position.
    depth: usize,
}

/// The deepest nesting of forms read (an event is three or four deep): a limit keeps
/// a file of ten thousand `[` from overflowing the stack.
const MAX_DEPTH: usize = 64;

fn err<T>(line: usize, message: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError { line, message: message.into() })
}

fn is_delim(c: u8) -> bool {
    c.is_ascii_whitespace() || b",()[]{}\";".contains(&c)
}

impl Reader<'_> {
    /// Skips whitespace, commas and comments; the next byte.
    fn skip(&mut self) -> Option<u8> {
        while let Some(&c) = self.text.get(self.pos) {
            match c {
                b'\n' => self.line += 1,
                b';' => {
                    while self.text.get(self.pos).is_some_and(|&c| c != b'\n') {
                        self.pos += 1;
                    }
                    continue;
                }
                c if c.is_ascii_whitespace() || c == b',' => {}
                c => return Some(c),
            }
            self.pos += 1;
        }
        None
    }

    fn token(&mut self) -> &str {
        let start = self.pos;
        while self.text.get(self.pos).is_some_and(|&c| !is_delim(c)) {
            self.pos += 1;
        }
        std::str::from_utf8(&self.text[start..self.pos]).unwrap_or("")
    }

    fn seq(&mut self, close: u8) -> Result<Vec<Edn>, ParseError> {
        let line = self.line;
        let mut items = Vec::new();
        loop {
            match self.skip() {
                None => return err(line, format!("unclosed '{}'", close as char)),
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(items);
                }
                Some(_) => {
                    if let Some(v) = self.value()? {
                        items.push(v);
                    }
                }
            }
        }
    }

    /// The next value (`None`: a `#_` discard consumed one).
    fn value(&mut self) -> Result<Option<Edn>, ParseError> {
        if self.depth >= MAX_DEPTH {
            return err(self.line, format!("nested deeper than {MAX_DEPTH} forms"));
        }
        self.depth += 1;
        let v = self.form();
        self.depth -= 1;
        v
    }

    fn form(&mut self) -> Result<Option<Edn>, ParseError> {
        let line = self.line;
        let Some(c) = self.skip() else { return err(line, "unexpected end of file") };
        self.pos += 1;
        Ok(Some(match c {
            b'(' => Edn::Seq(self.seq(b')')?),
            b'[' => Edn::Seq(self.seq(b']')?),
            b'{' => {
                let items = self.seq(b'}')?;
                if items.len() % 2 != 0 {
                    return err(line, "a map with an odd number of forms");
                }
                let mut it = items.into_iter();
                let mut pairs = Vec::new();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    pairs.push((k, v));
                }
                Edn::Map(pairs)
            }
            b')' | b']' | b'}' => return err(line, format!("unexpected '{}'", c as char)),
            b'"' => Edn::Text(self.string(line)?),
            b'#' => {
                match self.text.get(self.pos) {
                    Some(b'{') => {
                        self.pos += 1;
                        Edn::Seq(self.seq(b'}')?)
                    }
                    Some(b'_') => {
                        self.pos += 1;
                        self.value()?;
                        return Ok(None);
                    }
                    _ => {
                        let tag = self.token().to_string();
                        if self.skip() != Some(b'{') {
                            return err(line, format!("tagged value #{tag} is not supported (only a tag before a map)"));
                        }
                        return self.value();
                    }
                }
            }
            _ => {
                self.pos -= 1;
                let tok = self.token().to_string();
                match tok.as_str() {
                    "nil" => Edn::Nil,
                    "" => return err(line, format!("unexpected character {:?}", c as char)),
                    t if t.starts_with(':') => Edn::Text(t[1..].to_string()),
                    t if t.as_bytes()[0].is_ascii_digit()
                        || (t.len() > 1 && b"+-".contains(&t.as_bytes()[0])) =>
                    {
                        let digits = t.strip_suffix('N').unwrap_or(t);
                        match digits.parse::<i64>() {
                            Ok(i) => Edn::Int(i),
                            Err(_) => {
                                return err(
                                    line,
                                    format!("not an integer: {t} (floats are not supported)"),
                                )
                            }
                        }
                    }
                    t if t.starts_with('\\') => {
                        return err(line, format!("characters are not supported: {t}"))
                    }
                    t => Edn::Text(t.to_string()),
                }
            }
        }))
    }

    fn string(&mut self, line: usize) -> Result<String, ParseError> {
        let mut out = Vec::new();
        loop {
            let Some(&c) = self.text.get(self.pos) else { return err(line, "unclosed string") };
            self.pos += 1;
            match c {
                b'"' => {
                    return String::from_utf8(out).or_else(|_| err(line, "a string is not UTF-8"))
                }
                b'\\' => {
                    let Some(&e) = self.text.get(self.pos) else {
                        return err(line, "unclosed string");
                    };
                    self.pos += 1;
                    out.push(match e {
                        b'n' => b'\n',
                        b't' => b'\t',
                        b'r' => b'\r',
                        other => other,
                    });
                }
                b'\n' => {
                    self.line += 1;
                    out.push(c);
                }
                c => out.push(c),
            }
        }
    }
}

fn to_value(e: Edn, line: usize) -> Result<Value, ParseError> {
    Ok(match e {
        Edn::Nil => Value::Nil,
        Edn::Int(i) => Value::Int(i),
        Edn::Text(s) => Value::Str(s),
        Edn::Seq(items) => {
            Value::List(items.into_iter().map(|x| to_value(x, line)).collect::<Result<_, _>>()?)
        }
        Edn::Map(_) => return err(line, "a map as a value is not supported"),
    })
}

fn event(pairs: Vec<(Edn, Edn)>, line: usize) -> Result<Event, ParseError> {
    let mut ev = Event {
        line,
        kind: Type::Invoke,
        process: None,
        f: String::new(),
        key: None,
        value: Value::Nil,
        time: None,
    };
    let mut kind = None;
    let mut has_process = false;
    for (k, v) in pairs {
        let Edn::Text(k) = k else { continue };
        match (k.as_str(), v) {
            ("type", Edn::Text(t)) => {
                kind = Some(Type::parse(&t).ok_or_else(|| ParseError {
                    line,
                    message: format!(":type :{t} (expected :invoke, :ok, :fail or :info)"),
                })?)
            }
            ("type", v) => return err(line, format!(":type must be a keyword, found {v:?}")),
            ("f", Edn::Text(f)) => ev.f = f,
            ("f", v) => return err(line, format!(":f must be a keyword, found {v:?}")),
            ("process", Edn::Int(p)) => (ev.process, has_process) = (Some(p), true),
            ("process", _) => has_process = true,
            ("time", Edn::Int(t)) => ev.time = Some(t),
            ("time", v) => return err(line, format!(":time must be an integer, found {v:?}")),
            ("value", v) => ev.value = to_value(v, line)?,
            ("key", v) => ev.key = Some(to_value(v, line)?),
            _ => {}
        }
    }
    ev.kind = kind.ok_or_else(|| ParseError { line, message: "an event with no :type".into() })?;
    if !has_process {
        return err(line, "an event with no :process");
    }
    if ev.f.is_empty() && ev.process.is_some() {
        return err(line, "an event with no :f");
    }
    Ok(ev)
}

/// Reads the events of an EDN history.
///
/// # Errors
/// The first malformed form, with its line.
pub fn parse(text: &str) -> Result<Vec<Event>, ParseError> {
    let mut r = Reader { text: text.as_bytes(), pos: 0, line: 1, depth: 0 };
    let mut events = Vec::new();
    while r.skip().is_some() {
        let line = r.line;
        match r.value()? {
            None => {}
            Some(Edn::Map(pairs)) => events.push(event(pairs, line)?),
            // One vector (or list) of all the events.
            Some(Edn::Seq(items)) if events.is_empty() => {
                for item in items {
                    let Edn::Map(pairs) = item else {
                        return err(line, "expected an event map in the vector");
                    };
                    events.push(event(pairs, line)?);
                }
            }
            Some(other) => return err(line, format!("expected an event map, found {other:?}")),
        }
    }
    Ok(events)
}
