//! `{{NAME}}` in a step: a variable from `set`, `capture`, `--var`, or `{{env.NAME}}` from
//! the environment. An unknown name fails the step; it never becomes an empty string.
//! `\{{` is a literal `{{`.

use std::collections::HashMap;

/// A `{{` that is not closed, or a name that is not a name: where (byte offset) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadReference {
    pub at: usize,
    pub len: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct Vars {
    values: HashMap<String, String>,
}

impl Vars {
    pub fn set(&mut self, name: &str, value: String) {
        self.values.insert(name.to_string(), value);
    }

    fn get(&self, name: &str) -> Option<String> {
        match name.strip_prefix("env.") {
            Some(variable) => std::env::var(variable).ok(),
            None => self.values.get(name).cloned(),
        }
    }

    /// `text` with every reference replaced; the first unknown name is the error.
    pub fn substitute(&self, text: &str) -> Result<String, String> {
        if !text.contains("{{") {
            return Ok(text.to_string());
        }
        let mut unknown = None;
        let out = expand(text, |name| {
            let value = self.get(name);
            if value.is_none() && unknown.is_none() {
                unknown = Some(name.to_string());
            }
            value.unwrap_or_default()
        })
        .map_err(|bad| bad.message)?;
        match unknown {
            Some(name) if name.starts_with("env.") => Err(format!(
                "unknown variable {{{{{name}}}}}: the environment has no {}",
                &name[4..]
            )),
            Some(name) => Err(format!(
                "unknown variable {{{{{name}}}}}: set it with `set {name} …`, `capture {name} …` \
                 or --var {name}=…"
            )),
            None => Ok(out),
        }
    }
}

pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Replaces each `{{NAME}}` with `value(NAME)`; checks the syntax of every reference.
pub fn expand(text: &str, mut value: impl FnMut(&str) -> String) -> Result<String, BadReference> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut offset = 0;
    while let Some(at) = rest.find("{{") {
        if rest[..at].ends_with('\\') {
            out.push_str(&rest[..at - 1]);
            out.push_str("{{");
            rest = &rest[at + 2..];
            offset += at + 2;
            continue;
        }
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let Some(end) = after.find("}}") else {
            return Err(BadReference {
                at: offset + at,
                len: 2,
                message: "`{{` is not closed by `}}` (write \\{{ for a literal {{)".into(),
            });
        };
        let name = after[..end].trim();
        let plain = name.strip_prefix("env.").unwrap_or(name);
        if !is_name(plain) {
            return Err(BadReference {
                at: offset + at,
                len: end + 4,
                message: format!("`{{{{{}}}}}` is not a variable name", &after[..end]),
            });
        }
        out.push_str(&value(name));
        rest = &after[end + 2..];
        offset += at + 2 + end + 2;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_replaced_and_unknown_ones_named() {
        let mut vars = Vars::default();
        vars.set("id", "42".into());
        assert_eq!(vars.substitute("id={{id}}, {{ id }}").unwrap(), "id=42, 42");
        assert_eq!(vars.substitute(r"\{{id}}").unwrap(), "{{id}}");
        let error = vars.substitute("{{nope}}").unwrap_err();
        assert!(error.contains("unknown variable {{nope}}"), "{error}");
        // SAFETY-free: reading an environment variable that the test process has.
        assert_eq!(
            vars.substitute("{{env.PATH}}").unwrap(),
            std::env::var("PATH").unwrap()
        );
        assert!(vars.substitute("{{env.WSX_SURELY_UNSET_1}}").is_err());
    }

    #[test]
    fn bad_references_say_where() {
        let bad = expand("ab {{oops", |_| String::new()).unwrap_err();
        assert_eq!((bad.at, bad.len), (3, 2));
        let bad = expand("x {{a b}}", |_| String::new()).unwrap_err();
        assert_eq!(bad.at, 2);
        assert!(bad.message.contains("not a variable name"));
    }
}
