//! Renders what a policy lets leave the device, per data class and age band, as Markdown.
//! The cells are computed from the rules and the floors, the same code `minimize` runs.

use std::fmt::Write;

use super::{floor, Action, DataClass, Policy, Rule};
use crate::consent::{AgeBand, Category};

/// The audiences the table has a column for: age band and guardian consent.
const COLUMNS: [(&str, AgeBand, bool); 4] = [
    ("adult", AgeBand::Adult, false),
    ("minor (14–17)", AgeBand::Minor, false),
    ("child (<14), guardian consented", AgeBand::Child, true),
    ("child (<14), no guardian consent", AgeBand::Child, false),
];

impl Policy {
    /// The Markdown table of what leaves the device for each data class, consent state and
    /// age band under this policy.
    pub fn render_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "| data class | examples | {} |",
            COLUMNS.map(|c| c.0).join(" | ")
        );
        let _ = writeln!(out, "|---|---|{}", "---|".repeat(COLUMNS.len()));
        for class in DataClass::ALL {
            let cells: Vec<String> = COLUMNS
                .iter()
                .map(|&(_, age, guardian)| self.cell(class, age, guardian))
                .collect();
            let _ = writeln!(
                out,
                "| `{class}` | {} | {} |",
                class.examples(),
                cells.join(" | ")
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Policy version {}. Essential processing (exempt from consent): {}.",
            self.version(),
            {
                match self.essential_purpose() {
                    Some(p) => format!("declared, for {p}"),
                    None => "not declared".to_owned(),
                }
            }
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "`scrub` runs these families on free text (and checks numbers kept as numbers against \
             the validated ones); a family's tag replaces what it finds:"
        );
        let _ = writeln!(out);
        let _ = writeln!(out, "| family | tag | finds | validated by |");
        let _ = writeln!(out, "|---|---|---|---|");
        for kind in self.families().iter() {
            let validated = if kind.validated() {
                "a check digit or structure rule"
            } else {
                "its shape"
            };
            let _ = writeln!(
                out,
                "| `{kind}` | `{}` | {} | {validated} |",
                kind.tag(),
                kind.describe()
            );
        }
        out
    }

    fn cell(&self, class: DataClass, age: AgeBand, guardian: bool) -> String {
        let mut parts = Vec::new();
        for rule in self.rules().iter().filter(|r| r.class == class) {
            if !could_match(rule, age, guardian) {
                continue;
            }
            let action = floor::apply(class, &rule.action, age, guardian)
                .map_or(rule.action.clone(), |(a, _)| a);
            match rule.when.granted {
                Some(category) => parts.push(format!("with `{category}`: {action}")),
                None => {
                    parts.push(if parts.is_empty() {
                        action.to_string()
                    } else {
                        format!("otherwise: {action}")
                    });
                    return parts.join("; ");
                }
            }
        }
        parts.push(if parts.is_empty() {
            Action::Drop.to_string()
        } else {
            format!("otherwise: {}", Action::Drop)
        });
        parts.join("; ")
    }
}

/// Whether some consent state lets `rule` match for this audience.
pub(super) fn could_match(rule: &Rule, age: AgeBand, guardian: bool) -> bool {
    if rule
        .when
        .age
        .as_ref()
        .is_some_and(|ages| !ages.contains(&age))
    {
        return false;
    }
    match rule.when.granted {
        None | Some(Category::Essential) => true,
        Some(_) if age == AgeBand::Child && !guardian => false,
        Some(Category::Advertising | Category::LocationPrecise) => age == AgeBand::Adult,
        Some(_) => true,
    }
}
