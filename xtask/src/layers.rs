//! The layer check (`cargo xtask layers`, and the first step of `cargo xtask lint`).
//!
//! Two rules, checked in one pass over the sources, with a small hand-written
//! scanner (no parser, no dependencies):
//!
//! 1. The library `src/` of consensus-lab is layered ([`LAYERS`]): a top-level
//!    module may use only itself and modules in *lower* layers. Modules of one
//!    layer may not use each other; a top-level module missing from the table is
//!    an error.
//! 2. No two sibling modules import each other (a cycle of length 2) in code:
//!    in the library between `crate::a::x` and `crate::a::y`, and in the CLI
//!    crate (`conlab/src`, if it exists) also between its top-level modules.
//!    Comments do not count here: a protocol's doc link to its broken variant
//!    (which uses the protocol) is a pointer for the reader, not a cycle.
//!
//! What counts as an import of `M` for rule 1: any `crate::M` in the file
//! (code, comments and doc comments alike: a doc link to a higher layer is a
//! dependency a reader follows; string literals are skipped), each top-level name of a `crate::{a::x, b}` group, and
//! `crate::X` where `X` is a root re-export (a `use M::...X...` in `src/lib.rs`)
//! or a `#[macro_export]` macro (its module is the file that defines it). A name
//! that resolves to none of these is an error: the check fails closed.
//!
//! `super::` paths count too, for both rules: they are resolved to the path
//! from the crate root they stand for. In a file whose module path is
//! `[a, b]`, `super::c` is `a::c`; in a top-level module (`[a]`), `super::x`
//! is the crate root's `x` (for rule 1, resolved like `crate::x`). Inside an
//! inline `mod m { .. }` the module path is the file's plus `m`, so the
//! `use super::*` of a `mod tests` is the file's own module.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The architecture's layering rule for the library `src/` of consensus-lab,
/// lowest layer first: this table IS the rule (docs/src/architecture.md links
/// here). A module may use only modules in layers below its own (and itself).
/// Names with no module yet (`rsm`, `byzantine`) are fine.
pub(crate) const LAYERS: &[&[&str]] = &[
    &["sync"],
    &["trace", "threads"],
    &["objects"],
    &["consensus"],
    &["paxos"],
    &["rsm", "byzantine"],
    &["registry"],
    &["check"],
    &["bench"],
    &["demo"],
];

/// The layer of a top-level module, counted from 1 as in [`LAYERS`].
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module)).map(|i| i + 1)
}

/// One source file of a crate.
pub(crate) struct SourceFile {
    /// The path shown in messages, e.g. `src/consensus/cas.rs`.
    display: String,
    /// Its module path in the crate: `["consensus", "cas"]`; empty for a crate root.
    module: Vec<String>,
    text: String,
}

impl SourceFile {
    /// `rel` is the path under the crate's source directory `src_dir`
    /// (`consensus/cas.rs` under `src`).
    pub(crate) fn new(src_dir: &str, rel: &str, text: &str) -> Self {
        let mut module: Vec<String> = rel.split('/').map(str::to_string).collect();
        if let Some(last) = module.last_mut() {
            if let Some(stem) = last.strip_suffix(".rs") {
                *last = stem.to_string();
            }
        }
        let root = module.len() == 1 && (module[0] == "lib" || module[0] == "main");
        if root || module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        SourceFile { display: format!("{src_dir}/{rel}"), module, text: text.to_string() }
    }

    fn top(&self) -> Option<&str> {
        self.module.first().map(String::as_str)
    }
}

/// The outcome of a check.
pub(crate) struct Report {
    /// How many files were scanned.
    pub files: usize,
    /// One line per violation, `file:line: message`.
    pub violations: Vec<String>,
}

/// Checks the tree at `root` (the workspace root): the library in `src/`, and
/// the CLI crate in `conlab/src/` if that directory exists.
pub(crate) fn check_tree(root: &Path) -> Result<Report, String> {
    let lib = load_dir(root, "src")?;
    let cli_dir = root.join("conlab/src");
    let cli = if cli_dir.is_dir() { Some(load_dir(root, "conlab/src")?) } else { None };
    let files = lib.len() + cli.as_ref().map_or(0, Vec::len);
    Ok(Report { files, violations: check_sources(&lib, cli.as_deref()) })
}

/// Every `.rs` file under `root/sub`, sorted, except the binaries under `bin/`.
fn load_dir(root: &Path, sub: &str) -> Result<Vec<SourceFile>, String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, String)>) -> Result<(), String> {
        let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let rel = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            if path.is_dir() {
                if rel != "bin" {
                    walk(&path, &rel, out)?;
                }
            } else if name.ends_with(".rs") {
                let text =
                    fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                out.push((rel, text));
            }
        }
        Ok(())
    }
    let mut found = Vec::new();
    walk(&root.join(sub), "", &mut found)?;
    Ok(found.iter().map(|(rel, text)| SourceFile::new(sub, rel, text)).collect())
}

/// Both checks on sources already in memory: `lib` is the library (`src/`),
/// `cli` the CLI crate (`conlab/src/`) if there is one.
pub(crate) fn check_sources(lib: &[SourceFile], cli: Option<&[SourceFile]>) -> Vec<String> {
    let mut out = layer_violations(lib);
    out.extend(sibling_cycles(lib, 1));
    if let Some(cli) = cli {
        out.extend(sibling_cycles(cli, 0));
    }
    out
}

/// What a name right after `crate::` stands for.
enum Target<'a> {
    /// A top-level module.
    Module(&'a str),
    /// Something of the crate root itself (a macro defined in `lib.rs`).
    Root,
}

/// How the library's names after `crate::` resolve to top-level modules.
struct Resolver {
    modules: BTreeSet<String>,
    /// Root re-exports (`use M::...X...` in lib.rs): X -> M.
    reexports: BTreeMap<String, String>,
    /// `#[macro_export]` macros: name -> module (`None`: defined in lib.rs).
    macros: BTreeMap<String, Option<String>>,
}

impl Resolver {
    fn new(files: &[SourceFile]) -> Self {
        let mut modules: BTreeSet<String> =
            files.iter().filter_map(|f| f.top().map(str::to_string)).collect();
        modules.extend(LAYERS.iter().flat_map(|l| l.iter().map(|m| m.to_string())));
        let mut reexports = BTreeMap::new();
        let mut macros = BTreeMap::new();
        for file in files {
            let code = mask(&file.text, true);
            if file.module.is_empty() {
                for path in use_paths(&code) {
                    let mut segs: Vec<&str> = path.segs.iter().map(|(s, _)| s.as_str()).collect();
                    if matches!(segs.first(), Some(&"crate") | Some(&"self")) {
                        segs.remove(0);
                    }
                    if segs.last() == Some(&"self") {
                        segs.pop();
                    }
                    let (Some(&module), Some(&leaf)) = (segs.first(), segs.last()) else {
                        continue;
                    };
                    let name = path.alias.as_deref().unwrap_or(leaf);
                    if segs.len() > 1 && name != "*" && modules.contains(module) {
                        reexports.insert(name.to_string(), module.to_string());
                    }
                }
            }
            for name in exported_macros(&code) {
                macros.insert(name, file.top().map(str::to_string));
            }
        }
        Resolver { modules, reexports, macros }
    }

    fn resolve(&self, name: &str) -> Option<Target<'_>> {
        if let Some(m) = self.modules.get(name) {
            return Some(Target::Module(m));
        }
        if let Some(m) = self.reexports.get(name) {
            return Some(Target::Module(m));
        }
        match self.macros.get(name) {
            Some(Some(m)) => Some(Target::Module(m)),
            Some(None) => Some(Target::Root),
            None => None,
        }
    }
}

/// Rule 1 on the library.
fn layer_violations(files: &[SourceFile]) -> Vec<String> {
    let resolver = Resolver::new(files);
    let mut out = Vec::new();
    // A module missing from the table: one error, on its mod.rs (or M.rs) if any.
    let mut unknown = BTreeSet::new();
    for file in files {
        if let Some(top) = file.top() {
            if layer_of(top).is_none() && unknown.insert(top) {
                let home = files
                    .iter()
                    .find(|f| f.module.len() == 1 && f.module[0] == top)
                    .unwrap_or(file);
                out.push(format!(
                    "{}:1: module {top} is not in the layer table: add it to the layer table \
                     (LAYERS in xtask/src/layers.rs)",
                    home.display
                ));
            }
        }
    }
    for file in files {
        let Some(from) = file.top() else { continue }; // the crate root is exempt
        let Some(from_layer) = layer_of(from) else { continue }; // reported above
        let mut seen = BTreeSet::new();
        let code = mask(&file.text, false);
        let crate_paths = crate_paths(&code).into_iter().map(|p| (p, false));
        let super_paths = super_paths(&file.module, &code, &file.text).into_iter();
        for (path, written_super) in crate_paths.chain(super_paths.map(|p| (p, true))) {
            let Some((name, line)) = path.segs.first() else { continue };
            if name == "*" || name == "self" {
                continue; // `super::*` of a top-level module: the crate root's items
            }
            let via = |to: &str| {
                if name == to && !written_super {
                    String::new()
                } else if written_super {
                    format!(" via super:: (crate::{name})")
                } else {
                    format!(" via crate::{name}")
                }
            };
            let message = match resolver.resolve(name) {
                None => format!(
                    "crate::{name}{} is not a module, a root re-export (src/lib.rs) or a \
                     #[macro_export] macro: cannot tell its layer",
                    if written_super { " (written super::)" } else { "" }
                ),
                Some(Target::Root) => continue,
                Some(Target::Module(to)) => {
                    let Some(to_layer) = layer_of(to) else { continue }; // reported above
                    if to == from || to_layer < from_layer {
                        continue;
                    }
                    let rule = if to_layer == from_layer {
                        "modules in the same layer may not use each other"
                    } else {
                        "a module may only use layers below it"
                    };
                    format!(
                        "{from} (layer {from_layer}) imports {to} (layer {to_layer}){}: {rule}",
                        via(to)
                    )
                }
            };
            if seen.insert((*line, message.clone())) {
                out.push(format!("{}:{line}: {message}", file.display));
            }
        }
    }
    out
}

/// Rule 2: sibling modules importing each other, at depth `min_depth` or deeper
/// (0: top-level modules too; 1: only inside a top-level module).
fn sibling_cycles(files: &[SourceFile], min_depth: usize) -> Vec<String> {
    // Every module path that has a file: `consensus`, `consensus::cas`, ...
    let mut modules = BTreeSet::new();
    for file in files {
        for k in 1..=file.module.len() {
            modules.insert(file.module[..k].to_vec());
        }
    }
    // from -> to -> where first seen.
    let mut edges: BTreeMap<(Vec<String>, Vec<String>), (String, usize)> = BTreeMap::new();
    for file in files {
        let code = mask(&file.text, true);
        let paths =
            crate_paths(&code).into_iter().chain(super_paths(&file.module, &code, &file.text));
        for path in paths {
            let segs: Vec<&(String, usize)> =
                path.segs.iter().filter(|(s, _)| s != "self" && s != "*").collect();
            let k = file.module.iter().zip(&segs).take_while(|(a, (b, _))| *a == b).count();
            if k < min_depth || k >= file.module.len() || k >= segs.len() {
                continue;
            }
            let to: Vec<String> = segs[..=k].iter().map(|(s, _)| s.clone()).collect();
            if !modules.contains(&to) {
                continue; // an item of the parent module, not a sibling
            }
            let from = file.module[..=k].to_vec();
            edges.entry((from, to)).or_insert_with(|| (file.display.clone(), segs[k].1));
        }
    }
    let mut out = Vec::new();
    for ((from, to), (file, line)) in &edges {
        if from < to {
            if let Some((back_file, back_line)) = edges.get(&(to.clone(), from.clone())) {
                let (a, b) = (from.join("::"), to.join("::"));
                out.push(format!(
                    "{file}:{line}: {a} imports {b}, and {b} imports {a} \
                     ({back_file}:{back_line}): sibling modules may not import each other"
                ));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// The scanner.

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `text` with the contents of string literals blanked (and, with
/// `strip_comments`, comments too); newlines are kept, so lines still count.
fn mask(text: &str, strip_comments: bool) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    let mut i = 0;
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'/' if next == Some(b'/') => {
                let end = b[i..].iter().position(|&c| c == b'\n').map_or(b.len(), |p| i + p);
                if strip_comments {
                    blank(&mut out, i, end);
                }
                i = end;
            }
            b'/' if next == Some(b'*') => {
                let (mut j, mut depth) = (i + 2, 1);
                while j < b.len() && depth > 0 {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                    } else {
                        j += 1;
                    }
                }
                if strip_comments {
                    blank(&mut out, i, j);
                }
                i = j;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i + 1, j);
                i = j + 1;
            }
            // A raw string: r"..", r#".."#, br"..", cr"..".
            b'r' if i == 0
                || !is_ident(b[i - 1])
                || (matches!(b[i - 1], b'b' | b'c') && (i < 2 || !is_ident(b[i - 2]))) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let start = i + 2 + hashes;
                let mut close = b"\"".to_vec();
                close.extend(std::iter::repeat_n(b'#', hashes));
                let end = b[start..]
                    .windows(close.len())
                    .position(|w| w == close.as_slice())
                    .map_or(b.len(), |p| start + p);
                blank(&mut out, start, end);
                i = end + close.len();
            }
            // A char literal ('x', '\n', '\u{..}'), or else a lifetime or label.
            b'\'' => {
                if next == Some(b'\\') {
                    let rest = b.get(i + 3..).unwrap_or_default();
                    let end = rest.iter().take(10).position(|&c| c == b'\'');
                    i = end.map_or(i + 1, |p| i + 3 + p + 1);
                } else if let Some(c) = next {
                    let len = match c {
                        0xf0.. => 4,
                        0xe0.. => 3,
                        0xc0.. => 2,
                        _ => 1,
                    };
                    i += if b.get(i + 1 + len) == Some(&b'\'') { len + 2 } else { 1 };
                } else {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    out
}

/// A path in a use tree, one segment at a time with the line it is on.
#[derive(Debug)]
struct UsePath {
    segs: Vec<(String, usize)>,
    alias: Option<String>,
}

struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
    line_starts: Vec<usize>,
}

impl<'a> Scanner<'a> {
    fn new(b: &'a [u8]) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(b.iter().enumerate().filter(|(_, &c)| c == b'\n').map(|(i, _)| i + 1));
        Scanner { b, pos: 0, line_starts }
    }

    fn line(&self, pos: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= pos)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn eat(&mut self, s: &[u8]) -> bool {
        let found = self.b[self.pos..].starts_with(s);
        if found {
            self.pos += s.len();
        }
        found
    }

    /// Whitespace inside a use group, which may span lines: also `//` comments,
    /// and the `///` or `//!` starting each line of a doc comment (the group goes
    /// on after it).
    fn skip_ws(&mut self) {
        loop {
            while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                self.pos += 1;
            }
            if self.eat(b"///") || self.eat(b"//!") {
                continue;
            }
            if self.b[self.pos..].starts_with(b"//") {
                while self.peek().is_some_and(|c| c != b'\n') {
                    self.pos += 1;
                }
                continue;
            }
            break;
        }
    }

    fn ident(&mut self) -> Option<String> {
        let start = self.pos;
        if !self.peek().is_some_and(|c| c.is_ascii_alphabetic() || c == b'_') {
            return None;
        }
        while self.peek().is_some_and(is_ident) {
            self.pos += 1;
        }
        Some(String::from_utf8_lossy(&self.b[start..self.pos]).into_owned())
    }

    /// The use tree at the cursor, each path appended to `prefix`; `ws`: inside
    /// braces or a `use` statement, where whitespace and newlines may separate
    /// the parts.
    fn tree(&mut self, prefix: &[(String, usize)], ws: bool, out: &mut Vec<UsePath>) {
        if ws {
            self.skip_ws();
        }
        if self.eat(b"{") {
            loop {
                self.skip_ws();
                if self.eat(b"}") {
                    break;
                }
                let before = self.pos;
                self.tree(prefix, true, out);
                if self.pos == before {
                    break; // not a use tree after all
                }
                self.skip_ws();
                if !self.eat(b",") {
                    self.eat(b"}");
                    break;
                }
            }
        } else if self.eat(b"*") {
            let mut segs = prefix.to_vec();
            segs.push(("*".to_string(), self.line(self.pos - 1)));
            out.push(UsePath { segs, alias: None });
        } else {
            let line = self.line(self.pos);
            let Some(name) = self.ident() else { return };
            let mut segs = prefix.to_vec();
            segs.push((name, line));
            if self.eat(b"::") {
                self.tree(&segs, ws, out);
                return;
            }
            let mut alias = None;
            if ws {
                let back = self.pos;
                self.skip_ws();
                if self.eat(b"as") && self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
                    self.skip_ws();
                    alias = self.ident();
                } else {
                    self.pos = back;
                }
            }
            out.push(UsePath { segs, alias });
        }
    }
}

/// Whether `word` starts at `i` in `b`, as a whole word.
fn word_at(b: &[u8], i: usize, word: &[u8]) -> bool {
    b[i..].starts_with(word)
        && (i == 0 || !is_ident(b[i - 1]))
        && b.get(i + word.len()).is_none_or(|&c| !is_ident(c))
}

/// Every path after a `crate::` (or `$crate::`) in `code`, without the `crate`.
fn crate_paths(code: &[u8]) -> Vec<UsePath> {
    let mut scanner = Scanner::new(code);
    let mut out = Vec::new();
    for i in 0..code.len() {
        if word_at(code, i, b"crate") && code[i + 5..].starts_with(b"::") {
            scanner.pos = i + 7;
            scanner.tree(&[], false, &mut out);
        }
    }
    out
}

/// Every path after a `super::` (or `super::super::` ...) in `code`, resolved
/// to the path from the crate root it stands for (without `crate`), in a file
/// whose module path is `module`; `text` is the file's source, for finding the
/// inline modules (`mod m { .. }`) a path sits in. A `super` above the crate
/// root is left out (rustc refuses it anyway).
fn super_paths(module: &[String], code: &[u8], text: &str) -> Vec<UsePath> {
    let mods = inline_mods(&mask(text, true));
    let mut scanner = Scanner::new(code);
    let mut out = Vec::new();
    for i in 0..code.len() {
        // The first `super` of a chain (not one after `super::` or `self::`).
        if !word_at(code, i, b"super") || !code[i + 5..].starts_with(b"::") {
            continue;
        }
        if i >= 2 && &code[i - 2..i] == b"::" {
            continue;
        }
        let mut base: Vec<String> = module.to_vec();
        base.extend(mods.iter().filter(|m| m.0 <= i && i < m.1).map(|m| m.2.clone()));
        scanner.pos = i;
        let mut ups = 0;
        while word_at(code, scanner.pos, b"super") && code[scanner.pos + 5..].starts_with(b"::") {
            scanner.pos += 7;
            ups += 1;
        }
        let Some(keep) = base.len().checked_sub(ups) else { continue };
        let line = scanner.line(i);
        let prefix: Vec<(String, usize)> = base[..keep].iter().map(|m| (m.clone(), line)).collect();
        scanner.tree(&prefix, false, &mut out);
    }
    out
}

/// The inline modules of `code` (comments and strings blanked): for each
/// `mod name {`, where its body starts and ends and its name, outermost first.
fn inline_mods(code: &[u8]) -> Vec<(usize, usize, String)> {
    let mut scanner = Scanner::new(code);
    let mut out = Vec::new();
    for i in 0..code.len() {
        if !word_at(code, i, b"mod") {
            continue;
        }
        scanner.pos = i + 3;
        scanner.skip_ws();
        let Some(name) = scanner.ident() else { continue };
        scanner.skip_ws();
        if !scanner.eat(b"{") {
            continue; // `mod name;`: a module of its own file
        }
        let start = scanner.pos;
        let mut depth = 1;
        let mut j = start;
        while j < code.len() && depth > 0 {
            // A brace in a char literal ('{') does not count.
            let quoted = j > 0 && code[j - 1] == b'\'' && code.get(j + 1) == Some(&b'\'');
            match code[j] {
                b'{' if !quoted => depth += 1,
                b'}' if !quoted => depth -= 1,
                _ => {}
            }
            j += 1;
        }
        out.push((start, j, name));
    }
    out
}

/// Every path of every `use` statement in `code` (comments already blanked).
fn use_paths(code: &[u8]) -> Vec<UsePath> {
    let mut scanner = Scanner::new(code);
    let mut out = Vec::new();
    for i in 0..code.len() {
        if word_at(code, i, b"use") {
            scanner.pos = i + 3;
            scanner.skip_ws();
            scanner.eat(b"::");
            scanner.tree(&[], true, &mut out);
        }
    }
    out
}

/// The names of the `#[macro_export]` macros defined in `code` (comments
/// already blanked).
fn exported_macros(code: &[u8]) -> Vec<String> {
    let mut scanner = Scanner::new(code);
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = code[i..].windows(14).position(|w| w == b"#[macro_export") {
        i += p + 14;
        let Some(q) = code[i..].windows(12).position(|w| w == b"macro_rules!") else { break };
        scanner.pos = i + q + 12;
        scanner.skip_ws();
        out.extend(scanner.ident());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A library from `(path under src/, text)` pairs.
    fn lib(files: &[(&str, &str)]) -> Vec<SourceFile> {
        files.iter().map(|(rel, text)| SourceFile::new("src", rel, text)).collect()
    }

    fn check(files: &[(&str, &str)]) -> Vec<String> {
        check_sources(&lib(files), None)
    }

    #[test]
    fn a_clean_tree_passes() {
        let v = check(&[
            ("lib.rs", "pub mod sync;\npub mod consensus;\npub use consensus::Consensus;\n"),
            ("sync.rs", "pub use std::sync::atomic;\n"),
            (
                "consensus/mod.rs",
                "use crate::sync::atomic;\nuse super::sync::Mutex;\n\
                 mod tests {\n    use super::*;\n    use super::super::sync;\n}\n",
            ),
            ("consensus/cas.rs", "use super::Consensus;\nuse super::super::objects::X;\n"),
            ("check/mod.rs", "use crate::consensus::Consensus;\nuse crate::Consensus;\n"),
        ]);
        assert_eq!(v, Vec::<String>::new());
    }

    #[test]
    fn an_upward_import_is_found_with_file_and_line() {
        let v = check(&[
            ("consensus/mod.rs", "//! Consensus.\n\nfn f(t: &crate::check::trace::Trace) {}\n"),
            ("check/mod.rs", ""),
        ]);
        assert_eq!(
            v,
            ["src/consensus/mod.rs:3: consensus (layer 4) imports check (layer 8): \
              a module may only use layers below it"]
        );
    }

    #[test]
    fn every_top_level_name_of_a_group_counts() {
        let v = check(&[
            (
                "objects/queue.rs",
                "use crate::{\n    sync::Mutex,\n    // a comment\n    consensus::{cas, lock},\n    \
                 paxos,\n};\n",
            ),
            ("consensus/mod.rs", ""),
            ("paxos/mod.rs", ""),
        ]);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0].starts_with("src/objects/queue.rs:4: objects (layer 3) imports consensus"));
        assert!(v[1].starts_with("src/objects/queue.rs:5: objects (layer 3) imports paxos"));
    }

    #[test]
    fn a_doc_link_counts_and_a_string_does_not() {
        let v = check(&[
            (
                "consensus/cas.rs",
                "/// See [the trace](crate::check::y).\nconst S: &str = \"crate::demo\";\n\
                 const R: &str = r#\"crate::demo\"#;\nconst C: char = '\"';\n",
            ),
            ("check/mod.rs", ""),
            ("demo/mod.rs", ""),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("src/consensus/cas.rs:1: consensus (layer 4) imports check"));
    }

    #[test]
    fn a_macro_and_a_root_reexport_resolve_to_their_modules() {
        let v = check(&[
            ("lib.rs", "//! use paxos::Nothing;\npub use check::{verify::{self, Verify as V}};\n"),
            (
                "check/trace.rs",
                "/// Records a step.\n#[macro_export]\n/// More docs.\nmacro_rules! trace_step {\n    \
                 () => { $crate::check::trace::record() };\n}\n",
            ),
            ("check/verify.rs", ""),
            ("consensus/cas.rs", "crate::trace_step!();\nuse crate::V;\nuse crate::verify;\n"),
        ]);
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(v[0].starts_with(
            "src/consensus/cas.rs:1: consensus (layer 4) imports check (layer 8) via \
             crate::trace_step:"
        ));
        assert!(v[1].starts_with("src/consensus/cas.rs:2: consensus (layer 4) imports check"));
        assert!(v[2].starts_with("src/consensus/cas.rs:3: consensus (layer 4) imports check"));
    }

    #[test]
    fn an_unresolved_name_fails_closed() {
        let v =
            check(&[("lib.rs", "pub fn helper() {}\n"), ("paxos/run.rs", "crate::helper();\n")]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("src/paxos/run.rs:1: crate::helper is not a module"), "{v:?}");
    }

    #[test]
    fn a_module_not_in_the_table_fails_once() {
        let v = check(&[
            ("broken/read_write.rs", "use crate::consensus::X;\n"),
            ("broken/mod.rs", "use crate::check::Y;\n"),
            ("consensus/mod.rs", "use crate::broken::Z;\n"),
            ("check/mod.rs", ""),
        ]);
        assert_eq!(
            v,
            ["src/broken/mod.rs:1: module broken is not in the layer table: add it to the layer \
              table (LAYERS in xtask/src/layers.rs)"]
        );
    }

    #[test]
    fn modules_of_one_layer_may_not_use_each_other() {
        let v = check(&[("trace.rs", "use crate::threads::spawn;\n"), ("threads.rs", "")]);
        assert_eq!(
            v,
            ["src/trace.rs:1: trace (layer 2) imports threads (layer 2): modules in the same \
              layer may not use each other"]
        );
    }

    #[test]
    fn a_two_cycle_between_siblings_is_reported_once() {
        let v = check(&[
            ("check/mod.rs", "pub mod model;\npub mod stress;\npub use model::M;\n"),
            ("check/model.rs", "use crate::check::stress::run;\nuse crate::check::M;\n"),
            ("check/stress.rs", "\nuse crate::check::{model::M, Other};\n"),
            ("check/trace.rs", "use crate::check::model::M;\n"),
        ]);
        assert_eq!(
            v,
            ["src/check/model.rs:1: check::model imports check::stress, and check::stress \
              imports check::model (src/check/stress.rs:2): sibling modules may not import each \
              other"]
        );
    }

    #[test]
    fn a_doc_link_back_is_not_a_cycle() {
        let v = check(&[
            ("consensus/cas.rs", "//! See [`x`](crate::consensus::broken::x).\n"),
            ("consensus/broken.rs", "use crate::consensus::cas::Cas;\n"),
        ]);
        assert!(v.is_empty(), "{v:?}");
    }

    #[test]
    fn the_cli_crate_checks_top_level_cycles() {
        let cli: Vec<SourceFile> = [
            ("main.rs", "mod bench;\nmod plot;\nuse crate::plot::x;\n"),
            ("plot.rs", "use crate::bench::Row;\n"),
            ("bench.rs", "// draws with crate::plot\nuse crate::plot::Svg;\n"),
            ("run.rs", "use crate::plot;\n"),
        ]
        .iter()
        .map(|(rel, text)| SourceFile::new("conlab/src", rel, text))
        .collect();
        let v = check_sources(&[], Some(&cli));
        assert_eq!(
            v,
            ["conlab/src/bench.rs:2: bench imports plot, and plot imports bench \
              (conlab/src/plot.rs:1): sibling modules may not import each other"]
        );
    }

    #[test]
    fn super_paths_resolve_from_the_files_module() {
        let code = |t: &str| mask(t, true);
        let paths = |module: &[&str], text: &str| -> Vec<String> {
            let module: Vec<String> = module.iter().map(|m| m.to_string()).collect();
            super_paths(&module, &code(text), text)
                .iter()
                .map(|p| p.segs.iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join("::"))
                .collect()
        };
        // [a, b]: super::c is a::c, super::super::x the root's x.
        assert_eq!(
            paths(&["a", "b"], "use super::c;\nfn f() { super::super::x::y(); }\n"),
            ["a::c", "x::y"]
        );
        // Depth 1: the crate root's items; groups expand as after crate::.
        assert_eq!(
            paths(&["plot"], "use super::{bench::Row, Machine};\n"),
            ["bench::Row", "Machine"]
        );
        // In an inline module, super is the file's module; `pub(super)` is no path.
        assert_eq!(
            paths(
                &["a"],
                "pub(super) fn g() {}\nmod tests {\n    fn h() { let c = '{'; }\n    \
                 use super::*;\n    mod deep { use super::super::x; }\n}\nuse super::y;\n"
            ),
            ["a::*", "a::x", "y"]
        );
        // Above the root: left out.
        assert!(paths(&["a"], "use super::super::z;\n").is_empty());
        // Strings and (for rule 2) comments are not paths.
        assert!(paths(&["a", "b"], "// super::c\nconst S: &str = \"super::d\";\n").is_empty());
    }

    #[test]
    fn a_super_import_counts_for_both_rules() {
        // Rule 1: `super::` from a top-level module is the crate root.
        let v = check(&[("consensus/mod.rs", "use super::check::Report;\n"), ("check/mod.rs", "")]);
        assert_eq!(
            v,
            ["src/consensus/mod.rs:1: consensus (layer 4) imports check (layer 8) via super:: \
              (crate::check): a module may only use layers below it"]
        );
        let v = check(&[("consensus/mod.rs", "fn f() { super::helper(); }\n")]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].contains("crate::helper (written super::) is not a module"), "{v:?}");
        // Rule 2 in the library: siblings through super::.
        let v = check(&[
            ("check/model.rs", "use super::stress::run;\n"),
            ("check/stress.rs", "use crate::check::model::M;\n"),
        ]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].starts_with("src/check/model.rs:1: check::model imports check::stress"));
        // Rule 2 in the CLI crate: what plot.rs and bench.rs did.
        let cli: Vec<SourceFile> = [
            ("main.rs", "mod bench;\nmod plot;\nmod rows;\n"),
            ("plot.rs", "use super::bench::Row;\n"),
            ("bench.rs", "fn f() {\n    super::plot::svg();\n}\n"),
            ("rows.rs", ""),
        ]
        .iter()
        .map(|(rel, text)| SourceFile::new("conlab/src", rel, text))
        .collect();
        assert_eq!(
            check_sources(&[], Some(&cli)),
            ["conlab/src/bench.rs:2: bench imports plot, and plot imports bench \
              (conlab/src/plot.rs:1): sibling modules may not import each other"]
        );
        // ... and with the rows in a module of their own, no cycle.
        let mut cli = cli;
        cli[1] = SourceFile::new("conlab/src", "plot.rs", "use super::rows::Row;\n");
        assert!(check_sources(&[], Some(&cli)).is_empty());
    }

    #[test]
    fn a_tree_on_disk_with_and_without_the_cli_crate() {
        let root = std::env::temp_dir().join(format!("xtask-layers-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root); // a failed run's leftovers
        let write = |rel: &str, text: &str| {
            let path = root.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write("src/lib.rs", "pub mod sync;\npub mod demo;\n");
        write("src/main.rs", "fn main() { crate::nothing(); }\n");
        write("src/bin/tool.rs", "fn main() {}\n");
        write("src/sync.rs", "");
        write("src/demo/mod.rs", "use crate::sync;\n");
        let report = check_tree(&root).unwrap();
        assert_eq!((report.files, report.violations.len()), (4, 0), "{:?}", report.violations);
        write("conlab/src/a.rs", "use crate::b;\n");
        write("conlab/src/b.rs", "use crate::a;\n");
        let report = check_tree(&root).unwrap();
        assert_eq!(report.files, 6);
        assert_eq!(report.violations.len(), 1, "{:?}", report.violations);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_mask_keeps_lines_and_skips_strings() {
        let text = "a \"x\ny\" 'c' '\\'' b'\"' r##\"q\"#\"## 'a: /* \"/* */ \" */ e";
        let masked = String::from_utf8(mask(text, false)).unwrap();
        assert_eq!(masked, "a \" \n \" 'c' '\\'' b'\"' r##\"   \"## 'a: /* \"/* */ \" */ e");
        let stripped = String::from_utf8(mask("x // c\ny /* d */ z", true)).unwrap();
        assert_eq!(stripped, "x     \ny         z");
    }
}
