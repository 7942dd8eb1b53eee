//! Which installed software a managed software counts: a rule names a package exactly or by
//! a pattern (`*` any run of characters, `?` one; case-insensitive), and may narrow the
//! versions by a pattern. Pure functions, so a rule means the same in the console preview,
//! the member table and the tests.

use serde::{Deserialize, Serialize};

/// One rule of a managed software.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// `name` is a pattern rather than an exact name.
    #[serde(default)]
    pub pattern: bool,
    /// Package name, or its pattern.
    pub name: String,
    /// Version pattern; empty matches every version.
    #[serde(default)]
    pub version: String,
}

impl Rule {
    /// Whether an installed package (catalogue name and version) is counted.
    pub fn matches(&self, name: &str, version: &str) -> bool {
        let name_ok = if self.pattern {
            glob(&self.name, name)
        } else {
            self.name == name
        };
        name_ok && (self.version.is_empty() || glob(&self.version, version))
    }
}

/// Case-insensitive glob match of `text` against `pattern` (`*` and `?`), iterative with
/// backtracking to the last star, so a hostile pattern costs O(pattern × text).
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let t: Vec<char> = text.chars().flat_map(char::to_lowercase).collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((star_p, star_t)) = star {
            pi = star_p + 1;
            ti = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("libreoffice*", "LibreOffice-Calc"));
        assert!(glob("*office*", "openoffice.org"));
        assert!(glob("7.?", "7.4"));
        assert!(!glob("7.?", "7.41"));
        assert!(glob("*", ""));
        assert!(!glob("a*b", "acd"));
        assert!(glob("a*b*c", "aXbYbZc"));
        assert!(!glob("", "x"));
        // A pattern built to make naive backtracking explode still answers at once.
        let text = "a".repeat(5_000);
        assert!(!glob(&format!("{}b", "*a".repeat(50)), &text));
    }

    #[test]
    fn rules() {
        let exact = Rule {
            pattern: false,
            name: "firefox-esr".into(),
            version: String::new(),
        };
        assert!(exact.matches("firefox-esr", "115.0"));
        assert!(!exact.matches("Firefox-ESR", "115.0"), "exact means exact");
        let versioned = Rule {
            pattern: true,
            name: "libreoffice-*".into(),
            version: "7.*".into(),
        };
        assert!(versioned.matches("libreoffice-writer", "7.4.7"));
        assert!(!versioned.matches("libreoffice-writer", "24.2"));
    }
}
