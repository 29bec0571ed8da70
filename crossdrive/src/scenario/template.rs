//! Templates: a step's target and header values with `{n}` and captured
//! variables, substituted untimed before the stopwatch starts.

#[derive(Debug, Clone, Default)]
pub(super) struct Vars(Vec<(String, String)>);

impl Vars {
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn set(&mut self, name: &str, value: String) {
        self.0.push((name.to_owned(), value));
    }
}

/// A target or header value, split into literal text and variables.
#[derive(Debug, Clone)]
pub(super) struct Template(Vec<Piece>);

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Var(String),
}

impl Template {
    pub(super) fn parse(text: &str) -> Self {
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let var = after.find('}').map(|close| &after[..close]).filter(|v| {
                v.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
                    && v.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            });
            match var {
                Some(var) => {
                    pieces.push(Piece::Text(rest[..open].to_owned()));
                    pieces.push(Piece::Var(var.to_owned()));
                    rest = &after[var.len() + 1..];
                }
                None => {
                    pieces.push(Piece::Text(rest[..=open].to_owned()));
                    rest = after;
                }
            }
        }
        pieces.push(Piece::Text(rest.to_owned()));
        pieces.retain(|p| !matches!(p, Piece::Text(t) if t.is_empty()));
        Self(pieces)
    }

    pub(super) fn vars(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Piece::Var(v) => Some(v.as_str()),
            Piece::Text(_) => None,
        })
    }

    pub(super) fn is_fixed(&self) -> bool {
        self.vars().next().is_none()
    }

    pub(super) fn render(&self, vars: &Vars, n: u64) -> String {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Var(v) if v == "n" => out.push_str(&n.to_string()),
                // Compile checked every variable is defined before use.
                Piece::Var(v) => out.push_str(vars.get(v).unwrap_or_default()),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_keep_json_braces_and_find_variables() {
        let t = Template::parse(r#"/a/{n}/{location}?q={"x"}"#);
        assert_eq!(t.vars().collect::<Vec<_>>(), ["n", "location"]);
        let mut vars = Vars::default();
        vars.set("location", "L".into());
        assert_eq!(t.render(&vars, 7), r#"/a/7/L?q={"x"}"#);
    }
}
