use serde::Serialize;

use super::Category;

/// Why processing is allowed: the user's consent, or the app's declaration of essential
/// processing. Reports show the basis so essential processing is never mistaken for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Consent,
    Essential,
}

/// Proof that processing for a category was allowed when it was checked. Only
/// [`super::Consent::permit`] makes one, so code that needs consent takes a `Permit` instead
/// of trusting a bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    category: Category,
    basis: Basis,
}

impl Permit {
    pub(super) fn consent(category: Category) -> Permit {
        Permit {
            category,
            basis: Basis::Consent,
        }
    }

    pub(super) fn essential() -> Permit {
        Permit {
            category: Category::Essential,
            basis: Basis::Essential,
        }
    }

    pub fn category(self) -> Category {
        self.category
    }

    pub fn basis(self) -> Basis {
        self.basis
    }
}
