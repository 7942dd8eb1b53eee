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

/// Rules written as text, separated by `;`: `exact:NAME`, `pattern:GLOB`, or a bare name
/// (exact), each optionally followed by `@VERSION-PATTERN` — the import's rules cell and the
/// console's rules box (one per line there).
///
/// # Errors
/// A rule without a name.
pub fn parse_rules(cell: &str) -> Result<Vec<Rule>, String> {
    let mut rules = Vec::new();
    for part in cell.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let lower = part.to_ascii_lowercase();
        let (pattern, rest) = if lower.starts_with("pattern:") {
            (true, &part["pattern:".len()..])
        } else if lower.starts_with("exact:") {
            (false, &part["exact:".len()..])
        } else {
            (false, part)
        };
        let (name, version) = match rest.rfind('@').filter(|at| *at > 0) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, ""),
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("rules: {part:?} has no name"));
        }
        rules.push(Rule {
            pattern,
            name: name.to_string(),
            version: version.trim().to_string(),
        });
    }
    Ok(rules)
}

/// Rules as text (what [`parse_rules`] reads back).
pub fn format_rules(rules: &[Rule]) -> String {
    rules
        .iter()
        .map(|rule| {
            let kind = if rule.pattern { "pattern" } else { "exact" };
            if !rule.version.is_empty() {
                format!("{kind}:{}@{}", rule.name, rule.version)
            } else if rule.name.chars().skip(1).any(|c| c == '@') {
                format!("{kind}:{}@", rule.name)
            } else {
                format!("{kind}:{}", rule.name)
            }
        })
        .collect::<Vec<_>>()
        .join(";")
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

    fn rule(pattern: bool, name: &str, version: &str) -> Rule {
        Rule {
            pattern,
            name: name.into(),
            version: version.into(),
        }
    }

    #[test]
    fn the_rules_cell_reads_and_writes_back() {
        let rules =
            parse_rules("pattern:libreoffice-*; exact:firefox-esr@115* ;gimp;;PATTERN:@types/*")
                .expect("rules");
        assert_eq!(
            rules,
            vec![
                rule(true, "libreoffice-*", ""),
                rule(false, "firefox-esr", "115*"),
                rule(false, "gimp", ""),
                rule(true, "@types/*", ""),
            ]
        );
        let tricky = vec![rule(false, "pkg@corp", ""), rule(true, "a@b", "1.*")];
        for rules in [rules, tricky] {
            assert_eq!(parse_rules(&format_rules(&rules)), Ok(rules.clone()));
        }
        assert!(
            parse_rules("exact:@1.0").is_ok(),
            "a leading @ is part of the name"
        );
        assert!(parse_rules("pattern:").is_err());
        assert_eq!(parse_rules(""), Ok(Vec::new()));
    }
}
