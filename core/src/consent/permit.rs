use super::{AgeBand, Basis, Category};

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

/// Which categories were permitted at one moment, with the age band and guardian flag the
/// floors need: [`super::Consent::permits`] evaluates every category once, so minimizing an
/// event checks a bit per field instead of re-reading the consent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permits {
    consented: u16,
    essential: bool,
    age: AgeBand,
    guardian_consent: bool,
}

impl Permits {
    pub(super) fn new(age: AgeBand, guardian_consent: bool) -> Permits {
        Permits {
            consented: 0,
            essential: false,
            age,
            guardian_consent,
        }
    }

    pub(super) fn insert(&mut self, permit: Permit) {
        match permit.basis {
            Basis::Essential => self.essential = true,
            Basis::Consent => self.consented |= 1 << permit.category as u16,
        }
    }

    /// A permit for `category` if it was permitted when this snapshot was taken.
    pub fn permit(&self, category: Category) -> Option<Permit> {
        if category == Category::Essential {
            return self.essential.then(Permit::essential);
        }
        (self.consented & (1 << category as u16) != 0).then(|| Permit::consent(category))
    }

    /// These permits less the categories in `bits` (bit `category as u16`).
    pub fn without(self, bits: u16) -> Permits {
        Permits {
            consented: self.consented & !bits,
            essential: self.essential && bits & (1 << Category::Essential as u16) == 0,
            ..self
        }
    }

    /// One bit per permitted category (bit `category as u16`), for a lock-free check on
    /// the caller's thread.
    pub fn bits(&self) -> u16 {
        self.consented | u16::from(self.essential) << Category::Essential as u16
    }

    pub fn age(&self) -> AgeBand {
        self.age
    }

    pub fn guardian_consent(&self) -> bool {
        self.guardian_consent
    }
}
